import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { findOnPath, which } from '../../../main/core/host/which.ts';

/** A temp dir holding `tool` (executable) directly and in `bin/`, made the working directory for the test. */
function plantedCwd(t: TestContext): string {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'terok-which-')));
  mkdirSync(path.join(dir, 'bin'));
  for (const file of [path.join(dir, 'tool'), path.join(dir, 'bin', 'tool')]) writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const before = process.cwd();
  process.chdir(dir);
  t.after(() => {
    process.chdir(before);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

test('relative PATH entries are ignored even when they name a directory holding the program', (t) => {
  plantedCwd(t);
  for (const PATH of ['.', 'bin', './bin', 'bin/', '../' + path.basename(process.cwd()) + '/bin']) {
    assert.equal(which({ env: { PATH } }, 'tool'), null, `PATH=${PATH}`);
  }
});

test('empty PATH entries (leading, trailing, doubled colon) do not stand for the working directory', (t) => {
  plantedCwd(t);
  for (const PATH of ['', ':', '::', ':/nonexistent-terok', '/nonexistent-terok:', '/nonexistent-terok::/nonexistent-terok-2']) {
    assert.equal(which({ env: { PATH } }, 'tool'), null, `PATH=${JSON.stringify(PATH)}`);
  }
  assert.equal(which({ env: {} }, 'tool'), null, 'no PATH at all');
});

test('an absolute PATH entry is found, after relative ones before it are skipped', (t) => {
  const dir = plantedCwd(t);
  assert.equal(which({ env: { PATH: `.:bin::${dir}/bin` } }, 'tool'), path.join(dir, 'bin', 'tool'));
  assert.equal(which({ env: { PATH: `${dir}` } }, 'tool'), path.join(dir, 'tool'));
});

test('extra directories count only when absolute', (t) => {
  const dir = plantedCwd(t);
  assert.equal(which({ env: { PATH: '' } }, 'tool', ['bin', '.', '']), null);
  assert.equal(which({ env: { PATH: '' } }, 'tool', ['bin', path.join(dir, 'bin')]), path.join(dir, 'bin', 'tool'));
});

test('a non-executable file or a directory of that name is not a match', (t) => {
  const dir = plantedCwd(t);
  writeFileSync(path.join(dir, 'plain'), 'data', { mode: 0o644 });
  mkdirSync(path.join(dir, 'adir'));
  assert.equal(findOnPath(dir, 'plain'), null);
  assert.equal(findOnPath(dir, 'adir'), null);
});
