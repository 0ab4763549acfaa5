/**
 * The CI host guard (scripts/host-guard.mjs) must catch a suite that damages
 * its host. Exercised on a fake host under a temp dir (HOST_GUARD_ROOT), never
 * on the real /dev/null or /etc.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
// @ts-expect-error plain-JavaScript CI script, no type declarations
import { compareHost, snapshotHost } from '../../../scripts/host-guard.mjs';
import { runningAsRoot as asRoot } from '../../support/rootless.ts';

const GUARD = path.resolve(import.meta.dirname, '../../../scripts/host-guard.mjs');

function fakeHost(t: TestContext): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'terok-guard-test-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'dev'));
  mkdirSync(path.join(root, os.tmpdir()), { recursive: true });
  mkdirSync(path.join(root, 'etc', 'containers', 'containers.conf.d'), { recursive: true });
  chmodSync(path.join(root, 'etc', 'containers', 'containers.conf.d'), 0o755); // whatever the umask
  writeFileSync(path.join(root, 'etc', 'containers', 'containers.conf.d', '50-ci.conf'), '[engine]\nruntime = "runc"\n');
  mkdirSync(path.join(root, os.homedir(), '.config', 'containers'), { recursive: true });
  writeFileSync(path.join(root, os.homedir(), '.config', 'containers', 'containers.conf'), '# mine\n');
  return root;
}

/** A real character device 1,3 at the fake host's /dev/null (only root may mknod). */
function fakeDevNull(root: string): string {
  const file = path.join(root, 'dev', 'null');
  execFileSync('mknod', ['-m', '666', file, 'c', '1', '3']);
  chmodSync(file, 0o666);
  return file;
}

const guard = (root: string, ...args: string[]) =>
  spawnSync(process.execPath, [GUARD, ...args], { encoding: 'utf8', env: { ...process.env, HOST_GUARD_ROOT: root, HOST_GUARD_PODMAN: '0', HOST_GUARD_USER: '' } });

test('an untouched fake host compares clean', { skip: !asRoot && 'mknod needs root' }, (t) => {
  const root = fakeHost(t);
  fakeDevNull(root);
  const before = snapshotHost({ prefix: root, podman: false });
  assert.deepEqual(compareHost(before, snapshotHost({ prefix: root, podman: false })), []);
});

test('the old busybox probe (copyFileSync onto the device) is caught: /dev/null is no longer a device', { skip: !asRoot && 'mknod needs root' }, (t) => {
  const root = fakeHost(t);
  const devNull = fakeDevNull(root);
  const state = path.join(root, 'before.json');
  assert.equal(guard(root, 'snapshot', state).status, 0);

  const source = path.join(root, 'payload');
  writeFileSync(source, 'not a device');
  try { copyFileSync(source, devNull); } catch { /* the helper swallowed this too */ }

  const check = guard(root, 'check', state);
  assert.equal(check.status, 1, check.stdout + check.stderr);
  assert.match(check.stderr, /host guard: the test suites changed this host/);
  assert.match(check.stderr, new RegExp(`${devNull.replace(/[.]/g, '\\.')} (is gone|is no longer a character device)`));
});

test('a damaged /dev/null stops CI before the tests run', (t) => {
  const root = fakeHost(t);
  writeFileSync(path.join(root, 'dev', 'null'), '');
  const snap = guard(root, 'snapshot', path.join(root, 'before.json'));
  assert.equal(snap.status, 1);
  assert.match(snap.stderr, /already damaged before the tests:\n {2}.*dev\/null is no longer a character device \(restore: /);
});

test('writes, chmods, additions and deletions under the watched trees, and terok temp dirs left behind, are each reported', (t) => {
  const root = fakeHost(t);
  const before = snapshotHost({ prefix: root, podman: false });
  const etc = path.join(root, 'etc', 'containers');
  writeFileSync(path.join(etc, 'containers.conf.d', '50-ci.conf'), '[engine]\nruntime = "crun"\n');
  chmodSync(path.join(etc, 'containers.conf.d'), 0o700);
  writeFileSync(path.join(etc, 'containers.conf'), '[engine]\n');
  rmSync(path.join(root, os.homedir(), '.config', 'containers', 'containers.conf'));
  mkdirSync(path.join(root, os.homedir(), '.local', 'share', 'terok'), { recursive: true });
  mkdirSync(path.join(root, os.tmpdir(), 'terok-setup-test-abc123'));
  mkdirSync(path.join(root, os.tmpdir(), 'unrelated-tool-dir'));

  const problems: string[] = compareHost(before, snapshotHost({ prefix: root, podman: false }));
  const text = problems.join('\n');
  assert.match(text, /changed: .*50-ci\.conf \(.*sha256/);
  assert.match(text, /changed: .*containers\.conf\.d \(mode 755 → 700\)/);
  assert.match(text, /added: .*etc\/containers\/containers\.conf \(file\)/);
  assert.match(text, /removed: .*\.config\/containers\/containers\.conf \(file\)/);
  assert.match(text, /added: .*\.local\/share\/terok \(dir\)/);
  assert.match(text, new RegExp(`left behind: ${path.join(os.tmpdir(), 'terok-setup-test-abc123')}$`, 'm'));
  assert.doesNotMatch(text, /unrelated-tool-dir/);
});

test('podman objects a suite left behind or removed are reported, ones left as they were are not', () => {
  const state = (images: string[], containers: string[]) => ({ devNull: '/dev/null', trees: {}, podman: { user: { images, containers } } });
  const problems: string[] = compareHost(
    state(['sha256:a localhost/mine:1', 'sha256:c localhost/theirs:2'], ['old img']),
    state(['sha256:a localhost/mine:1', 'sha256:b localhost/terok-test-base-1:latest'], ['old img', 'host-auth-claude localhost/x']),
  );
  assert.deepEqual(problems.filter((p) => !p.includes('/dev/null')), [
    'left behind: user container host-auth-claude localhost/x',
    'left behind: user image sha256:b localhost/terok-test-base-1:latest',
    'removed: user image sha256:c localhost/theirs:2',
  ]);
});
