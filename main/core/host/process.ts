/**
 * The one way the engine runs external programs.
 *
 * Argument arrays only (never a shell string), a timeout on every call,
 * cancellation through an AbortSignal, optional line-by-line streaming, and a
 * single error type that carries what a user (or a bug report) needs: the
 * command, the exit code and the last lines of stderr.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { SetupError, type Failure } from '../errors.ts';
import { findOnPath, isExecutableFile } from './which.ts';

export type CommandFailureReason = 'not-found' | 'timeout' | 'cancelled' | 'exit' | 'spawn';

/** How many stderr lines a failure keeps for display. */
export const STDERR_TAIL_LINES = 20;

export class CommandError extends SetupError {
  readonly command: readonly string[];
  readonly reason: CommandFailureReason;
  readonly exitCode: number | null;
  readonly stderrTail: string;
  readonly stdout: string;

  constructor(opts: {
    command: readonly string[];
    reason: CommandFailureReason;
    exitCode: number | null;
    stderrTail: string;
    stdout?: string;
    message: string;
  }) {
    super(opts.reason === 'cancelled' ? 'cancelled' : `command-${opts.reason}`, opts.message);
    this.command = opts.command;
    this.reason = opts.reason;
    this.exitCode = opts.exitCode;
    this.stderrTail = opts.stderrTail;
    this.stdout = opts.stdout ?? '';
  }

  override toFailure(): Failure {
    return { ...super.toFailure(), command: [...this.command], exitCode: this.exitCode, stderrTail: this.stderrTail };
  }
}

export interface RunOptions {
  /** Hard limit; the process group is killed (SIGTERM, then SIGKILL after KILL_GRACE_MS). */
  timeoutMs: number;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Replace (not extend) the environment. */
  extendEnv?: boolean;
  cwd?: string;
  /** Written to stdin, then stdin is closed. Never logged. */
  input?: string;
  /** Called for every complete line of output while the process runs. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Resolve instead of throwing on a non-zero exit. */
  allowNonZero?: boolean;
  /**
   * Give the child this process's stdin/stdout/stderr (an interactive login
   * on the user's terminal). The child then stays in our process group, the
   * terminal's foreground group, so it may read the terminal; a timeout or
   * cancel signals the child itself. Nothing is captured: stdout/stderr of
   * the result are empty. Excludes `input` and `onLine`.
   */
  inheritStdio?: boolean;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Signature used everywhere so tests and benchmarks can count or fake calls. */
export type Runner = (file: string, args: readonly string[], opts: RunOptions) => Promise<RunResult>;

export function tailLines(text: string, n = STDERR_TAIL_LINES): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  return lines.slice(-n).join('\n');
}

function splitLines(onLine: NonNullable<RunOptions['onLine']>, stream: 'stdout' | 'stderr') {
  let pending = '';
  return {
    push(chunk: string) {
      pending += chunk;
      let idx: number;
      while ((idx = pending.search(/\r?\n|\r/)) >= 0) {
        const line = pending.slice(0, idx);
        const sepLen = pending.startsWith('\r\n', idx) ? 2 : 1;
        pending = pending.slice(idx + sepLen);
        onLine(line, stream);
      }
    },
    flush() {
      if (pending) onLine(pending, stream);
      pending = '';
    },
  };
}

/** Kill targets still running (-pgid for a group, pid for a single child). */
const liveGroups = new Set<number>();
let hooksInstalled = false;

/** How long a child gets between SIGTERM and SIGKILL, on cancel, timeout or our own exit. */
export const KILL_GRACE_MS = 2000;

/** `target` is a negative process-group id or a positive pid. */
function killGroup(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch { /* already gone */ }
}

/**
 * Whether a kill target still has a live (non-zombie) member. A child we
 * killed stays a zombie until our event loop reaps it — which it cannot
 * while we wait synchronously — so kill(0) alone would call it alive.
 */
function groupAlive(target: number): boolean {
  try {
    process.kill(target, 0);
  } catch {
    return false;
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true; // no /proc: kill(0) is all we know
  }
  const group = Math.abs(target);
  for (const pid of pids) {
    let stat: string;
    try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const member = target < 0 ? Number(pgrp) === group : Number(pid) === group;
    if (member && state !== 'Z') return true;
  }
  return false;
}

/**
 * Stop every child still running: SIGTERM, then SIGKILL for whatever is left
 * after `graceMs`. Synchronous (it may be called while this process dies);
 * returns once all are gone or killed.
 */
export function killAllChildren(graceMs = KILL_GRACE_MS): void {
  const targets = [...liveGroups];
  for (const t of targets) killGroup(t, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (targets.some(groupAlive) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 20);
  for (const t of targets) if (groupAlive(t)) killGroup(t, 'SIGKILL');
}

export const TERMINATING_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Children run in their own process groups (below), so neither the terminal's
 * Ctrl-C nor a signal aimed at us reaches them. When this process goes,
 * they go first: on a normal exit they are killed; on a terminating signal
 * that nobody else handles (a face that handles it cancels its task, which
 * stops its children), they get SIGTERM and a grace period, then the signal
 * is raised again so we die of it as we would have. SIGKILL cannot be caught:
 * that one case leaves children to finish on their own.
 */
const signalHooks = new Map<NodeJS.Signals, () => void>();

function installParentHooks(): void {
  if (!hooksInstalled) {
    hooksInstalled = true;
    process.once('exit', () => { for (const target of liveGroups) killGroup(target, 'SIGKILL'); });
  }
  // Only while children run: with none, a signal does to this process what it always did.
  if (signalHooks.size) return;
  for (const signal of TERMINATING_SIGNALS) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 1) return;
      killAllChildren();
      removeSignalHooks();
      process.kill(process.pid, signal);
    };
    signalHooks.set(signal, onSignal);
    // First in line, so the count above still includes a face's `once` listener (removed as it fires).
    process.prependListener(signal, onSignal);
  }
}

function removeSignalHooks(): void {
  for (const [signal, onSignal] of signalHooks) process.removeListener(signal, onSignal);
  signalHooks.clear();
}

/** util-linux's setpriv (Essential on Debian), which sets the kernel's parent-death signal for the program it execs. */
let setprivPath: string | null | undefined;
export const SETPRIV = (): string | null => {
  if (setprivPath === undefined) setprivPath = ['/usr/bin/setpriv', '/bin/setpriv'].find(isExecutableFile) ?? null;
  return setprivPath;
};

/**
 * The program a bare name runs, looked up on the PATH the child will get
 * (only absolute entries: a relative one would depend on the working
 * directory); null when there is none. A name with a slash is taken as is.
 */
function resolveProgram(file: string, opts: Pick<RunOptions, 'env' | 'extendEnv'>): string | null {
  if (file.includes('/')) return file;
  return findOnPath(opts.env?.PATH ?? (opts.extendEnv === false ? undefined : process.env.PATH), file);
}

/**
 * Each command runs in its own process group, so a timeout or a cancel stops
 * everything it started (a shell script's children included) instead of
 * leaving a grandchild holding the output pipes open.
 */
export const runCommand: Runner = async (file, args, opts) => {
  const command = [file, ...args];
  const name = path.basename(file);
  const inherit = opts.inheritStdio === true;
  if (inherit && (opts.input !== undefined || opts.onLine)) throw new TypeError('runCommand: inheritStdio excludes input and onLine');
  // Resolved here, not by the spawner, so a relative PATH entry never picks the program.
  const program = resolveProgram(file, opts);
  if (program === null) {
    throw new CommandError({ command, reason: 'not-found', exitCode: null, stderrTail: '', message: `${name} is not installed (not found on PATH)` });
  }
  // Through setpriv when we can: then even our death by SIGKILL (or the OOM killer) takes the child along.
  const [spawnFile, spawnArgs] = SETPRIV() ? [SETPRIV()!, ['--pdeathsig', 'KILL', '--', program, ...args]] : [program, [...args]];
  const subprocess = execa(spawnFile, spawnArgs, {
    detached: !inherit,
    cleanup: false,
    env: opts.env,
    extendEnv: opts.extendEnv ?? true,
    cwd: opts.cwd,
    ...(inherit ? { stdio: 'inherit' as const } : { input: opts.input, stdin: opts.input === undefined ? 'ignore' as const : 'pipe' as const }),
    reject: false,
    stripFinalNewline: false,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const pid = subprocess.pid;
  const killTarget = pid === undefined ? undefined : inherit ? pid : -pid;
  let stopped: 'timeout' | 'cancelled' | null = null;
  let forceTimer: NodeJS.Timeout | undefined;
  const stop = (why: 'timeout' | 'cancelled') => {
    if (stopped || killTarget === undefined) return;
    stopped = why;
    killGroup(killTarget, 'SIGTERM');
    forceTimer = setTimeout(() => killGroup(killTarget, 'SIGKILL'), KILL_GRACE_MS);
    forceTimer.unref();
  };
  const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
  const onAbort = () => stop('cancelled');
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (killTarget !== undefined) { installParentHooks(); liveGroups.add(killTarget); }

  if (opts.onLine) {
    const out = splitLines(opts.onLine, 'stdout');
    const err = splitLines(opts.onLine, 'stderr');
    subprocess.stdout?.setEncoding('utf8');
    subprocess.stderr?.setEncoding('utf8');
    subprocess.stdout?.on('data', (c: string) => out.push(c));
    subprocess.stderr?.on('data', (c: string) => err.push(c));
    subprocess.stdout?.on('end', () => out.flush());
    subprocess.stderr?.on('end', () => err.flush());
  }
  let result;
  try {
    result = await subprocess;
  } finally {
    clearTimeout(timer);
    clearTimeout(forceTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    if (killTarget !== undefined) liveGroups.delete(killTarget);
    if (!liveGroups.size) removeSignalHooks();
  }
  const stdout = typeof result.stdout === 'string' ? result.stdout : '';
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  const stderrTail = tailLines(stderr);

  if (stopped === 'cancelled') {
    throw new CommandError({ command, reason: 'cancelled', exitCode: null, stderrTail, stdout, message: `${name} was cancelled` });
  }
  if (stopped === 'timeout') {
    throw new CommandError({
      command, reason: 'timeout', exitCode: null, stderrTail, stdout,
      message: `${name} did not finish within ${Math.round(opts.timeoutMs / 100) / 10} s`,
    });
  }
  if (result.failed && result.exitCode === undefined) {
    const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') {
      throw new CommandError({ command, reason: 'not-found', exitCode: null, stderrTail: '', stdout, message: `${name} is not installed (not found on PATH)` });
    }
    const detail = result.cause instanceof Error ? result.cause.message : String(result.cause ?? 'unknown error');
    throw new CommandError({ command, reason: 'spawn', exitCode: null, stderrTail, stdout, message: `could not start ${name}: ${detail}` });
  }
  const exitCode = result.exitCode ?? -1;
  if (exitCode !== 0 && !opts.allowNonZero) {
    const last = stderrTail.split('\n').at(-1);
    throw new CommandError({ command, reason: 'exit', exitCode, stderrTail, stdout, message: `${name} exited with code ${exitCode}${last ? `: ${last}` : ''}` });
  }
  return { exitCode, stdout, stderr };
};
