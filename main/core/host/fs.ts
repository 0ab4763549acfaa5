/**
 * Filesystem helpers with the guarantees setup needs: atomic replace (temp
 * file in the same directory, fsync, rename — a crash or a full disk leaves
 * the old file intact), explicit modes for secrets, no symlink following
 * where a writable mount could be used to redirect a write, writes that
 * leave a file alone when it already has the bytes (`writeFileIfChanged`),
 * and the one reader for files a user controls (`readUserFile`: regular
 * files only, a cap on the bytes actually read, messages that name the file).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import { errnoMessage, isErrnoError, SetupError } from '../errors.ts';

export interface AtomicWriteOptions {
  /** Mode of the final file (default 0o644). */
  mode?: number;
  /** Mode for directories this call creates (default 0o755). */
  dirMode?: number;
  /** Refuse when the target (or its directory) is a symlink. */
  refuseSymlinks?: boolean;
  /** Give the file exactly `mode` (default: `mode` filtered by the umask, as open(2) does). */
  exactMode?: boolean;
}

export class UnsafePathError extends SetupError {
  readonly target: string;

  constructor(target: string, reason: string) {
    super('unsafe-path', `refusing to write ${target}: ${reason}`);
    this.target = target;
  }
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

export function atomicWriteFile(target: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const dir = path.dirname(target);
  if (opts.refuseSymlinks && (isSymlink(dir) || isSymlink(target))) {
    throw new UnsafePathError(target, 'it (or its directory) is a symbolic link');
  }
  mkdirSync(dir, { recursive: true, mode: opts.dirMode ?? 0o755 });
  const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, opts.mode ?? 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (opts.exactMode) fchmodSync(fd, opts.mode ?? 0o644);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw err;
  }
  closeSync(fd);
  // Checked again right before the rename: a directory that containers can write
  // to may have been swapped for a link while we were writing.
  if (opts.refuseSymlinks && (isSymlink(dir) || isSymlink(target))) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw new UnsafePathError(target, 'it (or its directory) became a symbolic link while it was being written');
  }
  try {
    renameSync(tmp, target);
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw err;
  }
  // Make the rename durable too.
  try {
    const dfd = openSync(dir, constants.O_RDONLY);
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* some filesystems refuse fsync on directories */ }
}

/** Turn an fs error into words a user can act on (what, where, how to fix). */
export function describeFsError(err: unknown, what: string): string {
  if (isErrnoError(err)) return errnoMessage(err, what);
  return `${what} failed: ${err instanceof Error ? err.message : String(err)}`;
}

// ---- reading files a user controls -------------------------------------------

/** What a stat says a path is, in words for a message. */
export function fileKindOf(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'a special file';
}

export type UserFileReason = 'not-regular' | 'symlink' | 'too-large' | 'not-utf8' | 'unreadable';

/**
 * A user's file that cannot be used as it is. `problem` is the sentence
 * without the file's name ("is a FIFO (named pipe), not a regular file —
 * …"), for callers that name the file themselves; the message is
 * "<What> <file> <problem>".
 */
export class UserFileError extends SetupError {
  readonly file: string;
  readonly reason: UserFileReason;
  readonly problem: string;

  constructor(file: string, what: string, reason: UserFileReason, problem: string, cause?: unknown) {
    super('user-file', `${what.charAt(0).toUpperCase()}${what.slice(1)} ${file} ${problem}`, { cause });
    this.file = file;
    this.reason = reason;
    this.problem = problem;
  }
}

export interface ReadUserFileOptions {
  /** Refuse files holding more bytes than this (counted as read, not as stat reports them). */
  maxBytes: number;
  /** What the file is, for messages: "roster file", "terok config file", … */
  what: string;
  /** Follow a symbolic link to its target (default true: dotfile repos link these files in). */
  followSymlinks?: boolean;
  /** Appended to the too-large message, e.g. "a roster file is a few lines of YAML". */
  sizeHint?: string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

const notRegular = (kind: string) => kind === 'a directory'
  ? 'is a directory, not a regular file — move the directory away and put a file there (or nothing)'
  : `is ${kind}, not a regular file — replace it with a file or remove it`;
const NOT_FOLLOWED = 'is a symbolic link, which is not followed here — replace it with a regular file';

/**
 * Read at most `limit` bytes from `fd` (fewer at end of file). The cap holds
 * whatever the file claims to be: /proc files and devices stat as size 0.
 */
export function readAtMost(fd: number, limit: number): Buffer {
  const buf = Buffer.allocUnsafe(Math.min(limit, 64 * 1024));
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, limit - total), null);
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
    total += n;
  }
  return Buffer.concat(chunks, total);
}

function readProblem(err: NodeJS.ErrnoException, follow: boolean): { reason: UserFileReason; problem: string } {
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return { reason: 'unreadable', problem: 'cannot be read: permission denied — check its owner and permissions (ls -l), or remove it' };
    case 'ELOOP':
      return follow
        ? { reason: 'unreadable', problem: 'cannot be read: too many symbolic links (a loop?) — fix or remove the link' }
        : { reason: 'symlink', problem: NOT_FOLLOWED };
    case 'ENOTDIR':
      return { reason: 'unreadable', problem: 'cannot be read: a component of its path is a file, not a directory — move that file away' };
    case 'ENXIO':
      return { reason: 'not-regular', problem: notRegular('a socket') };
    case 'EISDIR':
      return { reason: 'not-regular', problem: notRegular('a directory') };
    default:
      return { reason: 'unreadable', problem: `cannot be read: ${err.message}` };
  }
}

/**
 * The one reader for files a user controls (roster YAML, config.yml,
 * containers.conf, the setup stamp): the text, or null when the file does
 * not exist (a dangling symlink counts as absent). Only a regular file is
 * opened — a FIFO would block forever, a device could stream without end —
 * and the type is checked again on the open descriptor, so a file swapped
 * in between is caught too. At most `maxBytes + 1` bytes are read; text
 * must be UTF-8 and comes back byte for byte (a BOM is kept). Anything
 * else throws `UserFileError` saying which file is wrong and why.
 */
export function readUserFile(file: string, opts: ReadUserFileOptions): string | null {
  const follow = opts.followSymlinks ?? true;
  const fail = (reason: UserFileReason, problem: string, cause?: unknown) => new UserFileError(file, opts.what, reason, problem, cause);
  let st: Stats;
  try {
    st = follow ? statSync(file) : lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    const { reason, problem } = readProblem(err as NodeJS.ErrnoException, follow);
    throw fail(reason, problem, err);
  }
  if (st.isSymbolicLink()) throw fail('symlink', NOT_FOLLOWED);
  if (!st.isFile()) throw fail('not-regular', notRegular(fileKindOf(st)));
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | (follow ? 0 : constants.O_NOFOLLOW));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    const { reason, problem } = readProblem(err as NodeJS.ErrnoException, follow);
    throw fail(reason, problem, err);
  }
  let bytes: Buffer;
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) throw fail('not-regular', notRegular(fileKindOf(opened)));
    bytes = readAtMost(fd, opts.maxBytes + 1);
  } catch (err) {
    if (err instanceof UserFileError) throw err;
    const { reason, problem } = readProblem(err as NodeJS.ErrnoException, follow);
    throw fail(reason, problem, err);
  } finally {
    closeSync(fd);
  }
  if (bytes.length > opts.maxBytes) {
    throw fail('too-large', `is larger than ${formatBytes(opts.maxBytes)}${opts.sizeHint ? ` — ${opts.sizeHint}` : ''}; check that it is the right file`);
  }
  try {
    return strictUtf8.decode(bytes);
  } catch (err) {
    throw fail('not-utf8', 'is not UTF-8 text — save it as UTF-8', err);
  }
}

// ---- writing only what changed -----------------------------------------------

/**
 * True when `target` is a regular file of this user's holding exactly `bytes` (and, when `mode` is
 * given, with that mode). A file someone else owns is rewritten, so the new one is ours: its owner
 * could otherwise change the bytes later, whatever they are now.
 */
function holdsExactly(target: string, bytes: Uint8Array, mode: number | undefined, follow: boolean): boolean {
  let fd: number;
  try {
    const st = follow ? statSync(target) : lstatSync(target);
    if (!st.isFile() || st.size !== bytes.length) return false;
    fd = openSync(target, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | (follow ? 0 : constants.O_NOFOLLOW));
  } catch {
    return false;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || (mode !== undefined && (st.mode & 0o7777) !== mode)) return false;
    if (typeof process.geteuid === 'function' && st.uid !== process.geteuid()) return false;
    return readAtMost(fd, bytes.length + 1).equals(bytes);
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * `atomicWriteFile` unless the file already holds exactly these bytes, so a
 * re-run keeps its inode and mtime. `opts.mode`, when given, is the file's
 * exact mode (not filtered by the umask) and part of the comparison. A
 * target that is not a regular file is never read. Returns whether it wrote.
 */
export function writeFileIfChanged(target: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): boolean {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (holdsExactly(target, bytes, opts.mode, !opts.refuseSymlinks)) return false;
  atomicWriteFile(target, bytes, { ...opts, exactMode: opts.mode !== undefined });
  return true;
}
