/**
 * The one error base class and the one mapper. Every error a user may see
 * carries its failure code (and, where it helps, a hint); `failureOf` turns
 * any thrown value into the same `Failure` for a task's failed event, an IPC
 * error and the CLI's message — no face translates error classes itself.
 * A foundation module: it imports nothing.
 */

/** What a failure shows a user; never secrets. */
export interface Failure {
  code: string;
  message: string;
  /** What to do about it, in one line (shown under the message). */
  hint?: string;
  detail?: string;
  command?: string[];
  exitCode?: number | null;
  stderrTail?: string;
}

export class SetupError extends Error {
  /** Stable code faces and scripts act on (e.g. invalid-params, vault-locked, cancelled). */
  readonly failureCode: string;
  readonly hint: string | undefined;
  readonly detail: string | undefined;

  constructor(failureCode: string, message: string, opts: { hint?: string; detail?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.failureCode = failureCode;
    this.hint = opts.hint;
    this.detail = opts.detail;
  }

  /** Subclasses add what they know (a command, its exit code, its output). */
  toFailure(): Failure {
    return { code: this.failureCode, message: this.message, ...(this.hint ? { hint: this.hint } : {}), ...(this.detail ? { detail: this.detail } : {}) };
  }
}

/** Parameters from outside (the renderer, the command line) that a step cannot take. */
export class InvalidParamsError extends SetupError {
  constructor(message: string) {
    super('invalid-params', message);
  }
}

export class CancelledError extends SetupError {
  constructor() {
    super('cancelled', 'Cancelled.');
  }
}

/** The one mapper: anything thrown → the failure every face shows. */
export function failureOf(err: unknown): Failure {
  if (err instanceof SetupError) return err.toFailure();
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}
