/** The cross-process test lock (support/exclusive.ts), in a lock dir of its own. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { acquireTestLock } from '../../support/exclusive.ts';

function lockDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'terok-lock-test-'));
  const saved = process.env.TEROK_TEST_LOCK_DIR;
  process.env.TEROK_TEST_LOCK_DIR = dir;
  t.after(() => {
    if (saved === undefined) delete process.env.TEROK_TEST_LOCK_DIR; else process.env.TEROK_TEST_LOCK_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

test('a second holder waits until the first releases; release removes the file', async (t) => {
  const dir = lockDir(t);
  const file = path.join(dir, 'terok-test-demo.lock');
  const release = await acquireTestLock('demo');
  assert.match(readFileSync(file, 'utf8'), new RegExp(`^${process.pid} \\d+$`), 'pid and kernel start time');
  let second = false;
  const waiting = acquireTestLock('demo').then((r) => { second = true; return r; });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(second, false, 'the second holder is still waiting');
  release();
  const releaseSecond = await waiting;
  assert.equal(existsSync(file), true);
  releaseSecond();
  assert.equal(existsSync(file), false);
});

test('a lock whose owner is dead is taken over', async (t) => {
  const dir = lockDir(t);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  writeFileSync(path.join(dir, 'terok-test-demo.lock'), dead);
  const release = await acquireTestLock('demo');
  assert.match(readFileSync(path.join(dir, 'terok-test-demo.lock'), 'utf8'), new RegExp(`^${process.pid} `));
  release();
  assert.deepEqual(readdirSync(dir), [], 'nothing left in the lock dir');
});

test('a live pid with another start time (a reused pid, say after a reboot) does not hold the lock', async (t) => {
  const dir = lockDir(t);
  writeFileSync(path.join(dir, 'terok-test-demo.lock'), `${process.pid} 1`);
  const release = await acquireTestLock('demo');
  assert.notEqual(readFileSync(path.join(dir, 'terok-test-demo.lock'), 'utf8'), `${process.pid} 1`);
  release();
});
