/**
 * Locating terok never trusts the working directory: a `terok-executor`
 * planted there (reached through a relative PATH entry, a relative
 * PIPX_BIN_DIR or a relative `#!` line) must not choose the interpreter that
 * the supervisor wrapper bakes in. Real scripts in a temp dir, real python3.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { HostContext } from '../../../main/core/host/context.ts';
import { runCommand } from '../../../main/core/host/process.ts';
import { detectTerokRuntime, shebangInterpreter } from '../../../main/core/sandbox/terok-runtime.ts';

const SYSTEM_PATH = '/usr/bin:/bin';

/** A temp dir, made the working directory, with `terok-executor` in it and in `bin/`. */
function plantedCwd(t: TestContext): string {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'terok-runtime-')));
  mkdirSync(path.join(dir, 'bin'));
  mkdirSync(path.join(dir, 'home'));
  for (const d of [dir, path.join(dir, 'bin')]) writeFileSync(path.join(d, 'terok-executor'), '#!/usr/bin/env python3\n', { mode: 0o755 });
  const before = process.cwd();
  process.chdir(dir);
  t.after(() => { process.chdir(before); rmSync(dir, { recursive: true, force: true }); });
  return dir;
}

function ctxWith(dir: string, env: Record<string, string>): HostContext {
  return { env, home: path.join(dir, 'home'), isRealRoot: false, run: runCommand, systemConfigFile: path.join(dir, 'etc-config.yml'), systemContainersConfs: [], defaultHooksDirs: [] };
}

test('a terok-executor reached through a relative PATH entry or PIPX_BIN_DIR is not used', async (t) => {
  const dir = plantedCwd(t);
  const envs: Record<string, string>[] = [{ PATH: `.:bin::${SYSTEM_PATH}` }, { PATH: SYSTEM_PATH, PIPX_BIN_DIR: 'bin' }];
  for (const env of envs) {
    const runtime = await detectTerokRuntime(ctxWith(dir, env));
    assert.equal(runtime.via, null, JSON.stringify(env));
    assert.equal(runtime.python, null, JSON.stringify(env));
  }
});

test('the same terok-executor on an absolute PATH entry is found, with its interpreter', { skip: !existsSync('/usr/bin/python3') && 'no /usr/bin/python3 here' }, async (t) => {
  const dir = plantedCwd(t);
  const runtime = await detectTerokRuntime(ctxWith(dir, { PATH: `${dir}/bin:${SYSTEM_PATH}` }));
  assert.equal(runtime.via, path.join(dir, 'bin', 'terok-executor'));
  assert.equal(runtime.python, '/usr/bin/python3');
});

test('a relative #! interpreter is not taken, an absolute one is', (t) => {
  const dir = plantedCwd(t);
  const ctx = ctxWith(dir, { PATH: SYSTEM_PATH });
  const script = (name: string, line: string) => { const f = path.join(dir, name); writeFileSync(f, `${line}\n`, { mode: 0o755 }); return f; };
  assert.equal(shebangInterpreter(ctx, script('rel', '#!./python3')), null);
  assert.equal(shebangInterpreter(ctx, script('bare', '#!python3')), null);
  assert.equal(shebangInterpreter(ctx, script('relenv', '#!bin/env python3')), null);
  assert.equal(shebangInterpreter(ctx, script('abs', '#!/opt/venv/bin/python3 -I')), '/opt/venv/bin/python3');
});
