/**
 * The one way the engine runs external programs.
 *
 * Argument arrays only (never a shell string), a timeout on every call,
 * cancellation through an AbortSignal, optional line-by-line streaming, and a
 * single error type that carries what a user (or a bug report) needs: the
 * command, the exit code and the last lines of stderr.
 */
import { execa } from 'execa';

export type CommandFailureReason = 'not-found' | 'timeout' | 'cancelled' | 'exit' | 'spawn';

/** How many stderr lines a failure keeps for display. */
export const STDERR_TAIL_LINES = 20;

export class CommandError extends Error {
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
    super(opts.message);
    this.name = 'CommandError';
    this.command = opts.command;
    this.reason = opts.reason;
    this.exitCode = opts.exitCode;
    this.stderrTail = opts.stderrTail;
    this.stdout = opts.stdout ?? '';
  }
}

export interface RunOptions {
  /** Hard limit; the process is killed (SIGTERM, then SIGKILL after 2 s). */
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

export const runCommand: Runner = async (file, args, opts) => {
  const command = [file, ...args];
  const subprocess = execa(file, [...args], {
    timeout: opts.timeoutMs,
    cancelSignal: opts.signal,
    forceKillAfterDelay: 2000,
    env: opts.env,
    extendEnv: opts.extendEnv ?? true,
    cwd: opts.cwd,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : 'pipe',
    reject: false,
    stripFinalNewline: false,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
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
  const result = await subprocess;
  const stdout = typeof result.stdout === 'string' ? result.stdout : '';
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  const stderrTail = tailLines(stderr);
  const shown = command.join(' ');

  if (result.isCanceled || (opts.signal?.aborted ?? false)) {
    throw new CommandError({
      command, reason: 'cancelled', exitCode: result.exitCode ?? null, stderrTail, stdout,
      message: `${file} was cancelled`,
    });
  }
  if (result.timedOut) {
    throw new CommandError({
      command, reason: 'timeout', exitCode: null, stderrTail, stdout,
      message: `${file} did not finish within ${Math.round(opts.timeoutMs / 100) / 10} s`,
    });
  }
  if (result.failed && result.exitCode === undefined) {
    const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') {
      throw new CommandError({
        command, reason: 'not-found', exitCode: null, stderrTail: '', stdout,
        message: `${file} is not installed (not found on PATH)`,
      });
    }
    const detail = result.cause instanceof Error ? result.cause.message : String(result.cause ?? 'unknown error');
    throw new CommandError({
      command, reason: 'spawn', exitCode: null, stderrTail, stdout,
      message: `could not start ${file}: ${detail}`,
    });
  }
  const exitCode = result.exitCode ?? -1;
  if (exitCode !== 0 && !opts.allowNonZero) {
    throw new CommandError({
      command, reason: 'exit', exitCode, stderrTail, stdout,
      message: `${shown} exited with code ${exitCode}${stderrTail ? `: ${stderrTail.split('\n').at(-1)}` : ''}`,
    });
  }
  return { exitCode, stdout, stderr };
};
