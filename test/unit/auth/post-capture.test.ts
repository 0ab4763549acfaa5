/** post_capture_state merges into the shared mount: idempotent, recovers from corrupt JSON, refuses traversal and symlinks. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { applyPostCaptureState } from '../../../main/core/auth/post-capture.ts';
import { bundledRoster } from '../../../main/core/roster/current.ts';

const claude = { hostDir: '_claude-config' };
const onboarding = bundledRoster().agents.get('claude')!.spec.auth!.post_capture_state;

function mounts(): { dir: string; file(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'terok-post-capture-'));
  return { dir, file: (name) => path.join(dir, '_claude-config', name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('bundled claude state: .claude.json gets hasCompletedOnboarding, other keys kept, 0600 in 0700; second run is a no-op', () => {
  const m = mounts();
  try {
    mkdirSync(path.join(m.dir, '_claude-config'), { mode: 0o700 });
    writeFileSync(m.file('.claude.json'), '{"theme":"dark","numStartups":3}');
    const first = applyPostCaptureState(claude, onboarding, m.dir);
    assert.deepEqual(first, { written: [m.file('.claude.json')], unchanged: [], warnings: [] });
    assert.equal(readFileSync(m.file('.claude.json'), 'utf8'), '{\n  "theme": "dark",\n  "numStartups": 3,\n  "hasCompletedOnboarding": true\n}\n');
    assert.equal(statSync(m.file('.claude.json')).mode & 0o777, 0o600);
    const mtime = statSync(m.file('.claude.json')).mtimeMs;
    const second = applyPostCaptureState(claude, onboarding, m.dir);
    assert.deepEqual(second, { written: [], unchanged: [m.file('.claude.json')], warnings: [] });
    assert.equal(statSync(m.file('.claude.json')).mtimeMs, mtime, 'not rewritten');
  } finally {
    m.cleanup();
  }
});

test('absent file and dir are created (0700 dir, 0600 file)', () => {
  const m = mounts();
  try {
    assert.deepEqual(applyPostCaptureState(claude, onboarding, m.dir).written, [m.file('.claude.json')]);
    assert.deepEqual(JSON.parse(readFileSync(m.file('.claude.json'), 'utf8')), { hasCompletedOnboarding: true });
    assert.equal(statSync(path.dirname(m.file('.claude.json'))).mode & 0o777, 0o700);
  } finally {
    m.cleanup();
  }
});

test('corrupt JSON or a non-object is replaced by the keys, with a warning naming the file', () => {
  for (const bad of ['{"theme": "dark",', '[1, 2]', '"text"']) {
    const m = mounts();
    try {
      mkdirSync(path.join(m.dir, '_claude-config'));
      writeFileSync(m.file('.claude.json'), bad);
      const r = applyPostCaptureState(claude, onboarding, m.dir);
      assert.deepEqual(r.written, [m.file('.claude.json')]);
      assert.deepEqual(r.warnings, [`${m.file('.claude.json')} did not hold a JSON object; it was replaced by the keys Terok Setup sets (hasCompletedOnboarding)`]);
      assert.deepEqual(JSON.parse(readFileSync(m.file('.claude.json'), 'utf8')), { hasCompletedOnboarding: true });
      // Recovered: the next run is a no-op.
      assert.deepEqual(applyPostCaptureState(claude, onboarding, m.dir).unchanged, [m.file('.claude.json')]);
    } finally {
      m.cleanup();
    }
  }
});

test('traversal in a file name or host dir, and a planted symlink, are refused as warnings; nothing written outside', () => {
  const m = mounts();
  try {
    const outside = path.join(m.dir, 'outside.json');
    const traversal = applyPostCaptureState(claude, new Map([['../outside.json', new Map([['x', 1]])]]), m.dir);
    assert.deepEqual(traversal.written, []);
    assert.match(traversal.warnings[0]!, /^could not update \.\.\/outside\.json in the shared _claude-config mount: refusing file name/);
    const hostDir = applyPostCaptureState({ hostDir: '../up' }, onboarding, m.dir);
    assert.match(hostDir.warnings[0]!, /refusing mount directory name/);
    assert.equal(existsSync(outside), false);
    assert.equal(existsSync(path.join(path.dirname(m.dir), 'up')), false);

    mkdirSync(path.join(m.dir, '_claude-config'));
    writeFileSync(outside, '{"keep": true}');
    symlinkSync(outside, m.file('.claude.json'));
    const link = applyPostCaptureState(claude, onboarding, m.dir);
    assert.deepEqual(link.written, []);
    assert.match(link.warnings[0]!, /is a symbolic link/);
    assert.equal(readFileSync(outside, 'utf8'), '{"keep": true}', 'the link target is untouched');
  } finally {
    m.cleanup();
  }
});

test('no state → nothing; `~` (null) state creates an empty object once', () => {
  const m = mounts();
  try {
    assert.deepEqual(applyPostCaptureState(claude, undefined, m.dir), { written: [], unchanged: [], warnings: [] });
    assert.deepEqual(applyPostCaptureState(claude, new Map([['state.json', null]]), m.dir).written, [m.file('state.json')]);
    assert.equal(readFileSync(m.file('state.json'), 'utf8'), '{}\n');
    assert.deepEqual(applyPostCaptureState(claude, new Map([['state.json', null]]), m.dir).unchanged, [m.file('state.json')]);
  } finally {
    m.cleanup();
  }
});
