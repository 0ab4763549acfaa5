/**
 * Files in the shared agent-config mounts (`<mounts_dir>/<host_dir>/<file>`).
 * Task containers can write into these directories, so a planted symlink
 * could redirect a host-side write anywhere the user can write: every path
 * component from the mounts dir down is checked with lstat, names may not
 * climb out, reads never follow a symlink, and writes are atomic, 0600 in
 * 0700 directories.
 */
import { closeSync, constants, lstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { atomicWriteFile, describeFsError } from '../host/fs.ts';
import { SetupError } from '../errors.ts';
import { quoteInput } from '../validate.ts';

export class MountPathError extends SetupError {
  constructor(message: string) {
    super('mount-path', message);
  }
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false; // absent: will be created as a real directory or file
  }
}

/**
 * The absolute path of `file` in the mount `hostDir`, refusing traversal
 * (`..`, absolute names, a host dir with a slash) and any symlink on the way.
 */
export function mountFilePath(mountsDir: string, hostDir: string, file: string): string {
  if (!hostDir || hostDir === '.' || hostDir === '..' || /[\\/]/.test(hostDir)) {
    throw new MountPathError(`refusing mount directory name ${quoteInput(hostDir)}: it must be a single directory name inside ${mountsDir}`);
  }
  if (!file || path.isAbsolute(file) || file.split(/[\\/]/).some((part) => part === '..' || part === '')) {
    throw new MountPathError(`refusing file name ${quoteInput(file)} in ${hostDir}: it must be a relative path that stays inside the mount`);
  }
  const root = path.resolve(mountsDir);
  const target = path.join(root, hostDir, file);
  const hops = [root, ...path.relative(root, target).split(path.sep).map((_, i, parts) => path.join(root, ...parts.slice(0, i + 1)))];
  for (const hop of hops) {
    if (isSymlink(hop)) {
      throw new MountPathError(`refusing to use ${target}: ${hop} is a symbolic link (a container may have planted it); remove the link and run again`);
    }
  }
  return target;
}

/** Write atomically (temp file + rename, no symlink followed), 0600 in 0700 dirs. */
export function writeMountFile(target: string, content: string): void {
  try {
    atomicWriteFile(target, content, { mode: 0o600, dirMode: 0o700, refuseSymlinks: true });
  } catch (err) {
    if (err instanceof Error && err.name === 'UnsafePathError') throw new MountPathError(`${err.message}; remove the link and run again`);
    throw new MountPathError(describeFsError(err, `writing ${target}`));
  }
}

/** Current content, or null when the file does not exist; never follows a symlink. */
export function readMountFile(target: string): string | null {
  let fd: number;
  try {
    fd = openSync(target, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new MountPathError(`refusing to read ${target}: it is a symbolic link; remove the link and run again`);
    throw new MountPathError(describeFsError(err, `reading ${target}`));
  }
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
