/**
 * Filesystem helpers with the guarantees setup needs: atomic replace (temp
 * file in the same directory, fsync, rename — a crash or a full disk leaves
 * the old file intact), explicit modes for secrets, and no symlink following
 * where a writable mount could be used to redirect a write.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { SetupError } from '../errors.ts';

export interface AtomicWriteOptions {
  /** Mode of the final file (default 0o644). */
  mode?: number;
  /** Mode for directories this call creates (default 0o755). */
  dirMode?: number;
  /** Refuse when the target (or its directory) is a symlink. */
  refuseSymlinks?: boolean;
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
  const e = err as NodeJS.ErrnoException;
  const where = e.path ? ` (${e.path})` : '';
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied while ${what}${where} — check the owner and permissions of that path`;
    case 'ENOSPC':
      return `the disk is full while ${what}${where} — free some space and try again`;
    case 'EROFS':
      return `read-only filesystem while ${what}${where}`;
    case 'ENOTDIR':
      return `a path component is a file, not a directory, while ${what}${where} — move that file away`;
    case 'EISDIR':
      return `expected a file but found a directory while ${what}${where}`;
    case 'ELOOP':
      return `too many symbolic links (a loop?) while ${what}${where}`;
    default:
      return `${what} failed${where}: ${e.message ?? String(err)}`;
  }
}
