/**
 * One install at a time across processes: the wizard and `terok-setup
 * install` (or `run`) must not both provision the vault — two concurrent
 * runs could mint two passphrases. The lock is `<stateRoot>/setup.lock`,
 * created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW, 0600) and holding the
 * owner's pid, its kernel start time and when it was taken. A lock whose
 * owner is gone (no such pid, or the pid now belongs to a newer process) is
 * stale and taken over; a live one makes the second run fail at once.
 */
import { closeSync, constants, fstatSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { SetupError } from '../errors.ts';
import { readUserFile } from './fs.ts';

export const SETUP_LOCK_NAME = 'setup.lock';

export interface LockOwner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot); null where /proc is unavailable. */
  procStart: string | null;
  /** ISO time the lock was taken (for people reading the file). */
  startedAt: string;
}

export class LockBusyError extends SetupError {
  readonly pid: number;
  readonly lockPath: string;

  constructor(lockPath: string, pid: number) {
    super('busy', `another Terok Setup install is running (${pid > 0 ? `pid ${pid}` : 'pid unknown'}); wait for it to finish`);
    this.pid = pid;
    this.lockPath = lockPath;
  }
}

export interface LockHandle {
  path: string;
  /** Remove the lock if it is still ours; safe to call twice. */
  release(): void;
}

export interface LockOptions {
  /** Test seams: whether a pid runs, and its start time. */
  isAlive?: (pid: number) => boolean;
  procStart?: (pid: number) => string | null;
}

/** The start time of `pid` from /proc, or null (no /proc, no such process). */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parens: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null; // field 22 = index 19 after pid, comm
  } catch {
    return null;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | null {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (!Number.isInteger(v.pid) || (v.pid as number) <= 0) return null;
    return { pid: v.pid as number, procStart: typeof v.procStart === 'string' ? v.procStart : null, startedAt: String(v.startedAt ?? '') };
  } catch {
    return null;
  }
}

/** How long an empty or unreadable lock file may be someone's create-then-write in progress. */
const HALF_WRITTEN_GRACE_MS = 5000;

function isStale(owner: LockOwner | null, ageMs: number, opts: Required<LockOptions>): boolean {
  // Unparseable: a writer between create and write (it fills the file within
  // microseconds), or one that died there — stale once it has stayed so a while.
  if (!owner) return ageMs > HALF_WRITTEN_GRACE_MS;
  if (!opts.isAlive(owner.pid)) return true;
  // Same pid, different start time: the pid was reused by an unrelated process.
  const now = opts.procStart(owner.pid);
  return owner.procStart !== null && now !== null && now !== owner.procStart;
}

function tryCreate(lockPath: string, owner: LockOwner): { ino: number; text: string } | null {
  let fd: number;
  try {
    fd = openSync(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw err;
  }
  try {
    const text = JSON.stringify(owner) + '\n';
    writeSync(fd, text);
    return { ino: fstatSync(fd).ino, text };
  } finally {
    closeSync(fd);
  }
}

/**
 * Move a stale lock aside, checking that what was moved is the file judged
 * stale (not a fresh lock another process took meanwhile — that one is put back).
 */
function removeStale(lockPath: string, staleIno: number): void {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return; // already gone: someone else cleaned it up
  }
  try {
    if (statSync(aside).ino !== staleIno) {
      try { linkSync(aside, lockPath); } catch { /* a newer lock is there already */ }
    }
  } finally {
    try { unlinkSync(aside); } catch { /* gone */ }
  }
}

/** Take `<stateRoot>/setup.lock`, or throw LockBusyError naming the running pid. */
export function acquireSetupLock(stateRoot: string, options: LockOptions = {}): LockHandle {
  const opts: Required<LockOptions> = { isAlive: options.isAlive ?? pidAlive, procStart: options.procStart ?? processStartTime };
  mkdirSync(stateRoot, { recursive: true, mode: 0o755 });
  const lockPath = path.join(stateRoot, SETUP_LOCK_NAME);
  const me: LockOwner = { pid: process.pid, procStart: opts.procStart(process.pid), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    const created = tryCreate(lockPath, me);
    if (created) {
      let released = false;
      return {
        path: lockPath,
        release: () => {
          if (released) return;
          released = true;
          try {
            // Ours only if it is the same file with the same owner record (inodes get reused).
            if (statSync(lockPath).ino === created.ino && readLock(lockPath) === created.text) unlinkSync(lockPath);
          } catch { /* already gone */ }
        },
      };
    }
    let text = '';
    let ino = -1;
    let ageMs = 0;
    try {
      const st = statSync(lockPath);
      ino = st.ino;
      ageMs = Date.now() - st.mtimeMs;
      text = readLock(lockPath);
    } catch {
      continue; // released between our create and our read: try again
    }
    const owner = parseOwner(text);
    if (!isStale(owner, ageMs, opts)) throw new LockBusyError(lockPath, owner?.pid ?? 0);
    removeStale(lockPath, ino);
  }
  const owner = (() => { try { return parseOwner(readLock(lockPath)); } catch { return null; } })();
  throw new LockBusyError(lockPath, owner?.pid ?? 0);
}

/** The lock file's text ('' when gone); never blocks on a FIFO planted at its path. */
function readLock(lockPath: string): string {
  return readUserFile(lockPath, { maxBytes: 4096, what: 'setup lock', followSymlinks: false }) ?? '';
}

/** Run `body` holding the setup lock; it is released however `body` ends. */
export async function withSetupLock<T>(stateRoot: string, body: () => Promise<T>, options?: LockOptions): Promise<T> {
  const lock = acquireSetupLock(stateRoot, options);
  try {
    return await body();
  } finally {
    lock.release();
  }
}
