/** The cross-process setup lock: exclusive, 0600, names its owner, takes over stale locks, releases only its own. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireSetupLock, LockBusyError, processStartTime, SETUP_LOCK_NAME, withSetupLock } from '../../../main/core/host/lock.ts';

function withDir(body: (dir: string) => Promise<void> | void) {
  return async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'terok-setup-lock-'));
    try {
      await body(path.join(dir, 'state', 'terok'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** A pid that was alive a moment ago and is not now. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
}

const lockFile = (root: string) => path.join(root, SETUP_LOCK_NAME);

test('the lock is created 0600 with pid and start time, and removed on release', withDir((root) => {
  const lock = acquireSetupLock(root);
  assert.equal(lock.path, lockFile(root));
  assert.equal(statSync(lock.path).mode & 0o777, 0o600);
  const owner = JSON.parse(readFileSync(lock.path, 'utf8'));
  assert.equal(owner.pid, process.pid);
  assert.ok(!Number.isNaN(Date.parse(owner.startedAt)));
  assert.equal(owner.procStart, processStartTime(process.pid));
  lock.release();
  assert.equal(existsSync(lock.path), false);
  lock.release(); // twice is fine
}));

test('a second holder fails fast while the first runs; free again after', withDir(async (root) => {
  let second: unknown = null;
  await withSetupLock(root, async () => {
    try { acquireSetupLock(root); } catch (err) { second = err; }
  });
  assert.ok(second instanceof LockBusyError);
  assert.equal((second as Error).message, `another Terok Setup install is running (pid ${process.pid}); wait for it to finish`);
  assert.equal(existsSync(lockFile(root)), false, 'released in finally');
  acquireSetupLock(root).release();
}));

test('released even when the body throws', withDir(async (root) => {
  await assert.rejects(withSetupLock(root, async () => { throw new Error('boom'); }), /boom/);
  assert.equal(existsSync(lockFile(root)), false);
}));

test('a lock left by a dead process is taken over', withDir((root) => {
  mkdirSync(root, { recursive: true });
  const pid = deadPid();
  writeFileSync(lockFile(root), JSON.stringify({ pid, procStart: '1', startedAt: '2020-01-01T00:00:00Z' }));
  const lock = acquireSetupLock(root);
  assert.equal(JSON.parse(readFileSync(lock.path, 'utf8')).pid, process.pid);
  lock.release();
  assert.deepEqual(readdir(root), [], 'no stale leftovers');
}));

test('a live pid with another start time is a reused pid: stale', withDir((root) => {
  mkdirSync(root, { recursive: true });
  writeFileSync(lockFile(root), JSON.stringify({ pid: process.pid, procStart: 'not-the-real-start', startedAt: '' }));
  if (processStartTime(process.pid) === null) return; // no /proc: the pid check alone decides
  const lock = acquireSetupLock(root);
  assert.equal(JSON.parse(readFileSync(lock.path, 'utf8')).procStart, processStartTime(process.pid), 'taken over and rewritten as ours');
  lock.release();
  assert.equal(existsSync(lockFile(root)), false);
}));

test('an empty lock is a create in progress at first, stale once old', withDir((root) => {
  mkdirSync(root, { recursive: true });
  writeFileSync(lockFile(root), '');
  assert.throws(() => acquireSetupLock(root), /another Terok Setup install is running \(pid unknown\)/);
  const old = new Date(Date.now() - 60_000);
  utimesSync(lockFile(root), old, old);
  acquireSetupLock(root).release();
}));

test('release leaves a lock that is no longer ours alone', withDir((root) => {
  const lock = acquireSetupLock(root);
  rmSync(lock.path);
  writeFileSync(lock.path, JSON.stringify({ pid: 1, procStart: null, startedAt: '' }));
  lock.release();
  assert.equal(existsSync(lock.path), true);
}));

test('a live owner (test seam) keeps the lock; a dead one (seam) does not', withDir((root) => {
  mkdirSync(root, { recursive: true });
  writeFileSync(lockFile(root), JSON.stringify({ pid: 4242, procStart: null, startedAt: '' }));
  assert.throws(() => acquireSetupLock(root, { isAlive: () => true }), (e: unknown) => e instanceof LockBusyError && e.pid === 4242);
  acquireSetupLock(root, { isAlive: (pid) => pid !== 4242 }).release();
}));

function readdir(dir: string): string[] {
  return (spawnSync('ls', ['-A', dir]).stdout.toString().split('\n').filter(Boolean));
}
