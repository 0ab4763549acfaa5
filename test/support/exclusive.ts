/**
 * A lock across test processes for what has one fixed name per podman user:
 * terok's login container is always `host-auth-<agent>`, so two suites that
 * log in (each file runs in its own process, two at a time) must take turns.
 * The lock file lives in the runtime dir of the podman identity it guards
 * (XDG_RUNTIME_DIR for rootless podman, /run/lock for root; else /tmp) and is removed
 * on release; a lock whose owner died is taken over. TEROK_TEST_LOCK_DIR
 * overrides the dir (the lock's own test).
 */
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pidAlive } from '../../main/core/host/lock.ts';

const WAIT_MS = 300_000;

/** Not os.tmpdir(): a suite may point TMPDIR at a dir of its own, and every suite must meet here. */
function lockDir(): string {
  if (process.env.TEROK_TEST_LOCK_DIR) return process.env.TEROK_TEST_LOCK_DIR;
  if (process.getuid?.() === 0) return existsSync('/run/lock') ? '/run/lock' : '/tmp';
  return process.env.XDG_RUNTIME_DIR || '/tmp';
}

/** Take the lock `name`, waiting for another test process to release it. Returns the release function. */
export async function acquireTestLock(name: string): Promise<() => void> {
  const file = path.join(lockDir(), `terok-test-${name}.lock`);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => { try { if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file); } catch { /* already gone */ } };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = 0;
    try { owner = Number(readFileSync(file, 'utf8')); } catch { continue; }
    if (owner > 0 && !pidAlive(owner)) { try { unlinkSync(file); } catch { /* raced */ } continue; }
    if (Date.now() > deadline) throw new Error(`test lock ${file} still held by pid ${owner} after ${WAIT_MS / 1000} s`);
    await sleep(100);
  }
}
