/**
 * A lock across test processes for what has one fixed name per podman user:
 * terok's login container is always `host-auth-<agent>`, so two suites that
 * log in (each file runs in its own process, two at a time) must take turns.
 *
 * The lock file holds its owner's pid and kernel start time; a lock whose
 * owner is gone (or whose pid now belongs to a newer process) is taken over.
 * It lives in TEROK_TEST_LOCK_DIR (.ci/run gives each lane a fresh one),
 * else in the runtime dir of the podman identity it guards (XDG_RUNTIME_DIR
 * for rootless podman, /run/lock for root, else /tmp), and is removed on
 * release.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pidAlive, processStartTime } from '../../main/core/host/lock.ts';
import { runningAsRoot } from './rootless.ts';

const WAIT_MS = 300_000;

/** Not os.tmpdir(): a suite may point TMPDIR at a dir of its own, and every suite must meet here. */
function lockDir(): string {
  if (process.env.TEROK_TEST_LOCK_DIR) return process.env.TEROK_TEST_LOCK_DIR;
  if (runningAsRoot) return existsSync('/run/lock') ? '/run/lock' : '/tmp';
  return process.env.XDG_RUNTIME_DIR || '/tmp';
}

const ownerOf = (pid: number) => `${pid} ${processStartTime(pid) ?? '-'}`;

function stale(owner: string): boolean {
  const pid = Number(owner.split(' ')[0]);
  return !(pid > 0 && pidAlive(pid) && ownerOf(pid) === owner);
}

/** Take the lock `name`, waiting for another test process to release it. Returns the release function. */
export async function acquireTestLock(name: string): Promise<() => void> {
  const file = path.join(lockDir(), `terok-test-${name}.lock`);
  const me = ownerOf(process.pid);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, me);
      closeSync(fd);
      return () => { try { if (readFileSync(file, 'utf8') === me) unlinkSync(file); } catch { /* already gone */ } };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = '';
    try { owner = readFileSync(file, 'utf8'); } catch { continue; }
    if (owner && stale(owner)) {
      // Move it aside first and look at what was moved: only the stale lock itself is discarded.
      const aside = `${file}.${process.pid}.stale`;
      try {
        renameSync(file, aside);
        const moved = readFileSync(aside, 'utf8');
        if (moved === owner) unlinkSync(aside); else renameSync(aside, file);
      } catch { /* another waiter got there first */ }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`test lock ${file} still held by ${owner || 'an unknown process'} after ${WAIT_MS / 1000} s`);
    await sleep(100);
  }
}
