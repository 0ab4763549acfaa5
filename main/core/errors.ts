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

/** A failed system call, as Node reports it (`code` like EACCES, often `path` and `syscall`). */
type ErrnoError = Error & { code: string; path?: string; dest?: string; syscall?: string };

export function isErrnoError(err: unknown): err is ErrnoError {
  const e = err as { code?: unknown; syscall?: unknown };
  return err instanceof Error && typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) && typeof e.syscall === 'string';
}

/**
 * A failed file operation in words a user can act on: what went wrong,
 * where, and how to fix it. `doing` says what we were doing ("writing the
 * setup stamp"); without it the system call is named.
 */
export function errnoMessage(err: ErrnoError, doing?: string): string {
  // A rename names its source in `path` and the file it replaces in `dest`: the latter is the user's.
  const where = err.dest ?? err.path ?? '';
  const at = where ? ` (${where})` : '';
  const during = doing ?? (err.syscall ? `${err.syscall}${where ? ` ${where}` : ''}` : 'a file operation');
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied while ${during}${doing ? at : ''} — check the owner and permissions of that path`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `the disk is full while ${during}${doing ? at : ''} — free some space and try again`;
    case 'EROFS':
      return `read-only filesystem while ${during}${doing ? at : ''} — choose a writable location`;
    case 'ENOTDIR':
      return `a path component is a file, not a directory, while ${during}${doing ? at : ''} — move that file away`;
    case 'EISDIR':
      return `expected a file but found a directory while ${during}${doing ? at : ''} — move the directory away`;
    case 'EEXIST':
      return `something is in the way while ${during}${doing ? at : ''} (a file where a directory belongs?) — move it away`;
    case 'ELOOP':
      return `too many symbolic links (a loop?) while ${during}${doing ? at : ''}`;
    case 'ENOENT':
      return `no such file or directory while ${during}${doing ? at : ''}`;
    default:
      return `${during} failed${doing ? at : ''}: ${err.message}`;
  }
}

/** SQLite's own result codes (better-sqlite3 puts them in `code`) for what a full or failing disk does to the vault. */
const SQLITE_MESSAGES: Record<string, string> = {
  SQLITE_FULL: 'the disk is full: the credential database could not grow — free some space and run the setup again',
  SQLITE_IOERR: 'the credential database could not be written (disk I/O error) — the disk may be full or failing; free some space and run the setup again',
  SQLITE_READONLY: 'the credential database is read-only — check its permissions and that its filesystem is writable',
  SQLITE_CANTOPEN: 'the credential database cannot be opened — check that its directory exists and is yours',
};

function sqliteMessage(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (!(err instanceof Error) || typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  return SQLITE_MESSAGES[code] ?? SQLITE_MESSAGES[code.replace(/_[A-Z]+$/, '')] ?? null;
}

/** The one mapper: anything thrown → the failure every face shows. */
export function failureOf(err: unknown): Failure {
  if (err instanceof SetupError) return err.toFailure();
  if (isErrnoError(err)) return { code: `fs-${err.code.toLowerCase()}`, message: errnoMessage(err) };
  const sqlite = sqliteMessage(err);
  if (sqlite) return { code: 'vault-io', message: sqlite };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}
