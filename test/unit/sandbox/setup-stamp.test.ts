import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createSandboxHost } from '../../support/host.ts';
import { classifyStamp, clearStamp, compareVersions, inspectStamp, MAX_STAMP_BYTES, StampWriteError, writeStamp } from '../../../main/core/sandbox/setup-stamp.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';

const INSTALLED = { 'terok-executor': '0.4.0a22', 'terok-sandbox': '0.5.0a23', 'terok-shield': '0.8.0a10' };

function withStampDir(body: (dir: string, stamp: string) => void): void {
  const host = createSandboxHost();
  try {
    const dir = path.join(host.root, 'state');
    mkdirSync(dir, { recursive: true });
    body(dir, path.join(dir, 'setup.stamp'));
  } finally {
    host.cleanup();
  }
}

test('no stamp → first_run', () => withStampDir((_d, stamp) => {
  assert.equal(classifyStamp(stamp, INSTALLED).verdict, 'first_run');
}));

test('same versions → ok; packages installed but not stamped are ignored', () => withStampDir((_d, stamp) => {
  writeStamp(stamp, INSTALLED);
  assert.equal(classifyStamp(stamp, { ...INSTALLED, terok: '1.0.0' }).verdict, 'ok');
}));

test('a newer package → stale_after_update naming the move', () => withStampDir((_d, stamp) => {
  writeStamp(stamp, INSTALLED);
  const r = classifyStamp(stamp, { ...INSTALLED, 'terok-sandbox': '0.5.0' });
  assert.equal(r.verdict, 'stale_after_update');
  assert.deepEqual(r.changes, [{ name: 'terok-sandbox', stamped: '0.5.0a23', installed: '0.5.0', direction: 'upgrade' }]);
  assert.match(r.message, /terok-sandbox 0\.5\.0a23 → 0\.5\.0/);
}));

test('an older or missing package → stale_after_downgrade with offenders in terok wording (wins over upgrades)', () => withStampDir((_d, stamp) => {
  writeStamp(stamp, INSTALLED);
  const { 'terok-shield': _gone, ...rest } = INSTALLED;
  const r = classifyStamp(stamp, { ...rest, 'terok-executor': '0.4.0a21', 'terok-sandbox': '0.6.0' });
  assert.equal(r.verdict, 'stale_after_downgrade');
  assert.deepEqual(r.offenders, ['terok-executor 0.4.0a22 → 0.4.0a21', 'terok-shield (uninstalled)']);
}));

test('stamp_corrupt: invalid JSON, array root, wrong version, string packages, a directory', () => withStampDir((dir, stamp) => {
  for (const bad of ['{not json', '[]', '{"version": 2, "packages": {}}', '{"version": 1, "packages": "x"}']) {
    writeFileSync(stamp, bad);
    assert.equal(classifyStamp(stamp, INSTALLED).verdict, 'stamp_corrupt', bad);
  }
  const asDir = path.join(dir, 'dir.stamp');
  mkdirSync(asDir);
  assert.equal(classifyStamp(asDir, INSTALLED).verdict, 'stamp_corrupt');
}));

test('write: sorted keys, indent 2, no trailing newline, version 1, UTC seconds, no temp file left', () => withStampDir((dir, stamp) => {
  writeStamp(stamp, { 'terok-shield': '0.8.0a10', 'terok-executor': '0.4.0a22', 'not-terok': '9' }, new Date('2026-05-07T12:34:56.789Z'));
  const text = readFileSync(stamp, 'utf8');
  assert.equal(text, '{\n  "completed_at": "2026-05-07T12:34:56+00:00",\n  "packages": {\n    "terok-executor": "0.4.0a22",\n    "terok-shield": "0.8.0a10"\n  },\n  "version": 1\n}');
  assert.ok(!Number.isNaN(Date.parse(JSON.parse(text).completed_at)));
  assert.deepEqual(readdirSync(dir), ['setup.stamp']);
}));

test('clear returns true, then false', () => withStampDir((_d, stamp) => {
  writeStamp(stamp, INSTALLED);
  assert.equal(clearStamp(stamp), true);
  assert.equal(clearStamp(stamp), false);
}));

test('PEP 440 ordering: dev < a < b < rc < final < post; epochs; trailing zeros equal', () => {
  const ordered = ['1.0.dev1', '1.0a1', '1.0a2', '1.0b1', '1.0rc1', '1.0', '1.0.post1', '1.1', '2!0.1'];
  for (let i = 0; i + 1 < ordered.length; i++) assert.ok(compareVersions(ordered[i]!, ordered[i + 1]!) < 0, `${ordered[i]} < ${ordered[i + 1]}`);
  assert.equal(compareVersions('1.0', '1.0.0'), 0);
  assert.ok(compareVersions('0.5.0a23', '0.5.0a3') > 0, 'numeric, not lexical, pre-release numbers');
});

test('unparseable versions fall back to string comparison', () => {
  assert.ok(compareVersions('banana', 'cherry') < 0);
  assert.equal(compareVersions('x-y', 'x-y'), 0);
});

test('stamp path honours TEROK_ROOT', () => {
  const host = createSandboxHost({ env: { TEROK_ROOT: '/srv/terok' } });
  try {
    assert.equal(resolvePaths(host.ctx).setupStamp, '/srv/terok/setup.stamp');
  } finally {
    host.cleanup();
  }
});

test('PEP 440 local versions: none < some, numbers above letters, longer wins on a shared prefix', () => {
  const ordered = ['1.0', '1.0+abc', '1.0+abc.5', '1.0+1', '1.0+2', '1.0+10', '1.1.dev5+gabc', '1.1.dev5+gdef'];
  for (let i = 0; i + 1 < ordered.length; i++) assert.ok(compareVersions(ordered[i]!, ordered[i + 1]!) < 0, `${ordered[i]} < ${ordered[i + 1]}`);
  assert.equal(compareVersions('1.0+Ubuntu.1', '1.0+ubuntu-1'), 0, 'case-blind, separators equivalent');
});

test('a stamp reached through a symlink is read like terok reads it; a dangling link is a first run', async () => {
  const { mkdtempSync, symlinkSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stamp-link-'));
  try {
    const real = path.join(dir, 'real.stamp');
    writeStamp(real, { 'terok-sandbox': '0.5.0a23' });
    symlinkSync(real, path.join(dir, 'setup.stamp'));
    assert.equal(classifyStamp(path.join(dir, 'setup.stamp'), { 'terok-sandbox': '0.5.0a23' }).verdict, 'ok');
    symlinkSync(path.join(dir, 'missing'), path.join(dir, 'dangling.stamp'));
    assert.equal(classifyStamp(path.join(dir, 'dangling.stamp'), {}).verdict, 'first_run');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a FIFO, a link to /dev/zero, an oversized file: stamp_corrupt saying why, without blocking or reading without bound', () => withStampDir((dir, stamp) => {
  assert.equal(spawnSync('mkfifo', [stamp], { timeout: 5000 }).status, 0);
  const fifo = classifyStamp(stamp, INSTALLED);
  assert.equal(fifo.verdict, 'stamp_corrupt');
  assert.equal(fifo.message, `The setup stamp ${stamp} is unreadable: it is a FIFO (named pipe), not a regular file — replace it with a file or remove it. Run setup again to refresh it.`);
  const zero = path.join(dir, 'zero.stamp');
  symlinkSync('/dev/zero', zero);
  assert.match(classifyStamp(zero, INSTALLED).message, /unreadable: it is a character device, not a regular file/);
  const big = path.join(dir, 'big.stamp');
  writeFileSync(big, `{"version": 1, "packages": {}, "pad": "${'x'.repeat(MAX_STAMP_BYTES)}"}`);
  assert.match(classifyStamp(big, INSTALLED).message, /unreadable: it is larger than 64 KiB/);
  assert.deepEqual(inspectStamp(path.join(dir, 'none')), { state: 'absent' });
  writeFileSync(stamp + '.json', '{"version": 2, "packages": {}}');
  assert.deepEqual(inspectStamp(stamp + '.json'), { state: 'corrupt', reason: 'its version is 2, not 1' });
}));

test('writing the same stamp twice keeps the inode and mtime; a new completed_at replaces it', () => withStampDir((dir, stamp) => {
  const at = new Date('2026-05-07T12:34:56Z');
  writeStamp(stamp, INSTALLED, at);
  const first = statSync(stamp);
  writeStamp(stamp, INSTALLED, at);
  assert.equal(statSync(stamp).ino, first.ino);
  assert.equal(statSync(stamp).mtimeMs, first.mtimeMs);
  writeStamp(stamp, INSTALLED, new Date('2026-05-07T12:34:57Z'));
  assert.notEqual(statSync(stamp).ino, first.ino);
  assert.deepEqual(readdirSync(dir), ['setup.stamp']);
}));

test('a FIFO at the stamp path is replaced by the write; a directory there fails with a StampWriteError naming the file', () => withStampDir((dir, stamp) => {
  assert.equal(spawnSync('mkfifo', [stamp], { timeout: 5000 }).status, 0);
  writeStamp(stamp, INSTALLED);
  assert.equal(classifyStamp(stamp, INSTALLED).verdict, 'ok');
  const asDir = path.join(dir, 'dir.stamp');
  mkdirSync(path.join(asDir, 'inside'), { recursive: true });
  assert.throws(() => writeStamp(asDir, INSTALLED), (err: Error) => err instanceof StampWriteError &&
    /while writing the setup stamp/.test(err.message) && err.message.includes(`file: ${asDir} (the previous stamp, if any, was left as it was)`));
  assert.deepEqual(readdirSync(asDir), ['inside']);
  assert.deepEqual(readdirSync(dir).sort(), ['dir.stamp', 'setup.stamp']);
}));
