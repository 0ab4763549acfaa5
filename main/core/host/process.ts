/**
 * The one way the engine runs external programs.
 *
 * Argument arrays only (never a shell string), a timeout on every call,
 * cancellation through an AbortSignal, optional line-by-line streaming, and a
 * single error type that carries what a user (or a bug report) needs: the
 * command, the exit code and the last lines of stderr.
 */
import path from 'node:path';
import { execa } from 'execa';
import { SetupError, type Failure } from '../errors.ts';

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
  /** Hard limit; the process group is killed (SIGTERM, then SIGKILL after 2 s). */
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

/** Kill targets still running (-pgid for a group, pid for a single child), killed if this process exits first. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** `target` is a negative process-group id or a positive pid. */
function killGroup(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch { /* already gone */ }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => { for (const target of liveGroups) killGroup(target, 'SIGKILL'); });
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
  const subprocess = execa(file, [...args], {
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
    forceTimer = setTimeout(() => killGroup(killTarget, 'SIGKILL'), 2000);
    forceTimer.unref();
  };
  const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
  const onAbort = () => stop('cancelled');
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (killTarget !== undefined) { installExitHook(); liveGroups.add(killTarget); }

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
