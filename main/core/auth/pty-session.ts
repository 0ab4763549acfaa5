/**
 * Pseudo-terminal sessions for the wizard's embedded sign-in terminal: the
 * renderer's xterm.js shows what a session prints and sends what the user
 * types; the process in the session is the app's own CLI login
 * (`terok-setup auth <agent> --oauth …`), the same command the external
 * terminal and the copyable fallback run.
 *
 * Closing a session hangs it up the way closing a terminal window does:
 * SIGHUP to its process group (the CLI's SIGHUP handling stops the login
 * container and removes it), then, after a grace period for that cleanup,
 * SIGKILL. The pty stays open during the grace period so the CLI can still
 * write its last lines instead of dying of EIO mid-cleanup.
 *
 * Output is only ever forwarded to the listener (the renderer): it may hold
 * a login URL or a token, so it is never logged.
 *
 * node-pty sits behind `PtySpawner` so this stays testable and the IPC
 * handlers stay transport-agnostic.
 */
import { randomUUID } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { SetupError } from '../errors.ts';

/** The part of a node-pty process this module uses. */
export interface PtyProcess {
  readonly pid: number;
  onData(listener: (data: string) => void): unknown;
  onExit(listener: (e: { exitCode: number; signal?: number }) => void): unknown;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Close the pty (node-pty: SIGHUP to the child and the master fd closed). */
  kill(signal?: string): void;
}

export interface PtySpawnOptions {
  cols: number;
  rows: number;
  cwd: string;
  env: Record<string, string>;
}

export type PtySpawner = (file: string, args: string[], opts: PtySpawnOptions) => PtyProcess;

/** What the renderer gets; `data` chunks arrive in order, `exit` is the last event of a session. */
export type PtyEvent =
  | { sessionId: string; type: 'data'; data: string }
  | { sessionId: string; type: 'exit'; exitCode: number | null; signal: number | null };

/** Bounds for what crosses from the renderer (validate.ts uses the same numbers). */
export const PTY_LIMITS = {
  minCols: 20, maxCols: 500,
  minRows: 5, maxRows: 200,
  /** One write: a pasted code or a few keystrokes; far more than a login needs, far less than a flood. */
  maxWrite: 16 * 1024,
  /** Sessions at once (one login at a time is the normal case). */
  maxSessions: 4,
} as const;

/** One data event carries at most this much (a burst is split, never dropped). */
export const MAX_DATA_EVENT = 64 * 1024;
/** How long a hung-up session gets to stop its container before SIGKILL. */
export const CLOSE_GRACE_MS = 15_000;

export class PtySessionError extends SetupError {
  constructor(code: 'pty-unknown-session' | 'pty-too-many' | 'pty-unavailable' | 'pty-start-failed' | 'pty-input-too-long', message: string) {
    super(code, message);
  }
}

interface Session {
  id: string;
  proc: PtyProcess;
  exited: Promise<void>;
  done: boolean;
  hungUp?: boolean;
  closing?: Promise<void>;
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.floor(n)));

function killGroup(pid: number, signal: NodeJS.Signals): void {
  // node-pty starts the child as a session leader: its pid is its process group.
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}

export class PtySessions {
  private readonly sessions = new Map<string, Session>();
  private readonly listeners = new Set<(e: PtyEvent) => void>();
  private readonly spawner: () => PtySpawner;
  private readonly graceMs: number;

  /** `spawner` is called on the first start (node-pty is loaded only when a terminal is opened). */
  constructor(spawner: () => PtySpawner = loadNodePty, opts: { graceMs?: number } = {}) {
    this.spawner = spawner;
    this.graceMs = opts.graceMs ?? CLOSE_GRACE_MS;
  }

  subscribe(listener: (e: PtyEvent) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  private emit(e: PtyEvent): void {
    for (const l of this.listeners) l(e);
  }

  get active(): number {
    return [...this.sessions.values()].filter((s) => !s.done).length;
  }

  /** Start `command` (argument words, never a shell string) in a new pty. */
  start(command: readonly string[], opts: PtySpawnOptions): { sessionId: string } {
    if (this.active >= PTY_LIMITS.maxSessions) throw new PtySessionError('pty-too-many', `${PTY_LIMITS.maxSessions} sign-in terminals are open already; close one first`);
    const [file, ...args] = command;
    if (!file) throw new TypeError('PtySessions.start: empty command');
    // node-pty forks before exec: a missing program would only show as an instant exit.
    try { accessSync(file, constants.X_OK); } catch {
      throw new PtySessionError('pty-start-failed', `the sign-in terminal could not start ${file}: it does not exist or is not executable`);
    }
    const cols = clamp(opts.cols, PTY_LIMITS.minCols, PTY_LIMITS.maxCols);
    const rows = clamp(opts.rows, PTY_LIMITS.minRows, PTY_LIMITS.maxRows);
    let proc: PtyProcess;
    try {
      proc = this.spawner()(file, args, { ...opts, cols, rows });
    } catch (err) {
      if (err instanceof PtySessionError) throw err;
      throw new PtySessionError('pty-start-failed', `the sign-in terminal could not start ${file}: ${(err as Error).message}`);
    }
    const id = randomUUID();
    let resolveExit!: () => void;
    const session: Session = { id, proc, done: false, exited: new Promise((r) => { resolveExit = r; }) };
    this.sessions.set(id, session);
    proc.onData((data) => {
      for (let i = 0; i < data.length; i += MAX_DATA_EVENT) this.emit({ sessionId: id, type: 'data', data: data.slice(i, i + MAX_DATA_EVENT) });
    });
    proc.onExit(({ exitCode, signal }) => {
      session.done = true;
      this.sessions.delete(id);
      this.emit({ sessionId: id, type: 'exit', exitCode: signal ? null : exitCode, signal: signal || null });
      resolveExit();
    });
    return { sessionId: id };
  }

  private get(id: string): Session {
    const s = this.sessions.get(id);
    if (!s || s.done) throw new PtySessionError('pty-unknown-session', 'that sign-in terminal has already closed');
    return s;
  }

  write(id: string, data: string): void {
    if (data.length > PTY_LIMITS.maxWrite) throw new PtySessionError('pty-input-too-long', `input too long for the sign-in terminal (at most ${PTY_LIMITS.maxWrite} characters at once)`);
    this.get(id).proc.write(data);
  }

  resize(id: string, cols: number, rows: number): void {
    this.get(id).proc.resize(clamp(cols, PTY_LIMITS.minCols, PTY_LIMITS.maxCols), clamp(rows, PTY_LIMITS.minRows, PTY_LIMITS.maxRows));
  }

  /**
   * Hang up: SIGHUP to the group, wait for the exit (the login removes its
   * container meanwhile), SIGKILL after the grace period. Resolves when the
   * session has ended; false when it had ended already. The hang-up is sent
   * once per session: the CLI dies of a second one without cleaning up.
   */
  async close(id: string): Promise<boolean> {
    const s = this.sessions.get(id);
    if (!s || s.done) return false;
    s.closing ??= this.hangUp(s);
    await s.closing;
    return true;
  }

  private async hangUp(s: Session): Promise<void> {
    if (!s.hungUp) { s.hungUp = true; killGroup(s.proc.pid, 'SIGHUP'); }
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        killGroup(s.proc.pid, 'SIGKILL');
        try { s.proc.kill('SIGKILL'); } catch { /* gone */ }
        resolve();
      }, this.graceMs);
    });
    await Promise.race([s.exited, forced]);
    clearTimeout(timer);
    await s.exited;
  }

  /** Close every session (app quit, engine disposed). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
  }

  /**
   * No time to wait (the engine is disposed, the process is exiting): hang
   * every session up now; each login still stops its container on its own.
   */
  hangUpAll(): void {
    for (const s of this.sessions.values()) {
      if (!s.hungUp) { s.hungUp = true; killGroup(s.proc.pid, 'SIGHUP'); }
    }
  }
}

/** node-pty, loaded on first use (a CommonJS native module; this file is ESM). */
export function loadNodePty(): PtySpawner {
  let pty: { spawn(file: string, args: string[], opts: Record<string, unknown>): PtyProcess };
  try {
    pty = createRequire(import.meta.url)('@lydell/node-pty') as typeof pty;
  } catch (err) {
    throw new PtySessionError('pty-unavailable', `the embedded terminal is not available in this build (${(err as Error).message}); use "Open a terminal window" or run the command yourself`);
  }
  return (file, args, opts) => pty.spawn(file, args, { name: 'xterm-256color', cols: opts.cols, rows: opts.rows, cwd: opts.cwd, env: opts.env });
}
