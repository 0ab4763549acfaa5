/**
 * Hooks are written only where no one else can replace them, and a tree that
 * became writable by others is reported: the install on a sandboxed HOME with
 * the fixture terok, real directories with real modes and owners (chgrp only
 * in the root lane), the real sweep and the real `terok-setup check`. The
 * only fake is keyctl (always failing), as in install.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../main/cli/index.ts';
import { resolvePaths, type TerokPaths } from '../../../main/core/host/paths.ts';
import { reportOf, runSweep } from '../../../main/core/steps/readiness.ts';
import { captureStreams } from '../../support/auth-harness.ts';
import { setupEngine } from '../../support/engine.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { runningAsRoot } from '../../support/rootless.ts';
import { failingKeyctl, install } from '../../support/sandbox-install.ts';
import { createTerokFixture } from '../../support/terok-fixture.ts';

const settings = { provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null };
/** A group this user is not alone in: in the root lane, terok-ci's (root may give a dir to any group). */
const OTHER_GID = 1001;
const GROUP_SKIP = runningAsRoot && process.getegid!() !== OTHER_GID ? false
  : "giving a directory to a group other than one's own private group needs root (chgrp); unprivileged, this user's only group is private, which the check accepts — the group rule runs in the root lane and in the unit tests";

function withHost(body: (host: SandboxHost, paths: TerokPaths) => Promise<void>, env: Record<string, string> = {}) {
  return async () => {
    const host = createSandboxHost({ env: { NO_COLOR: '1', ...env } });
    try {
      createTerokFixture(host);
      failingKeyctl(host);
      await body(host, resolvePaths(host.ctx));
    } finally {
      host.cleanup();
    }
  };
}

const stageOf = (r: Awaited<ReturnType<typeof install>>, label: string) => r.rec.stages.find((s) => s.label === label && s.status !== 'running')!;

/** Nothing of the hooks was written: no hook dir, no wrapper, no reader, no hooks_dir in containers.conf. */
function assertNoHooksWritten(paths: TerokPaths) {
  for (const p of [paths.shieldHooksDir, paths.supervisorHooksDir, paths.supervisorWrapper, path.join(paths.shieldState, 'nflog-reader.py')]) {
    assert.equal(existsSync(p), false, `${p} must not be written`);
  }
  const conf = existsSync(paths.containersConf) ? readFileSync(paths.containersConf, 'utf8') : '';
  assert.ok(!conf.includes(paths.shieldHooksDir) && !conf.includes(paths.supervisorHooksDir), `containers.conf untouched:\n${conf}`);
}

/** Both hook stages refused, each naming `dir` and the chmod that fixes it; the rest of the install ran. */
function assertRefused(r: Awaited<ReturnType<typeof install>>, dir: string, why: RegExp) {
  assert.equal(r.exitCode, 1, r.rec.lines.join('\n'));
  assert.deepEqual(r.failedStages, ['Shield hooks', 'Supervisor hooks']);
  for (const [label, what] of [['Shield hooks', 'the shield hooks'], ['Supervisor hooks', 'the supervisor hooks and wrapper']] as const) {
    const stage = stageOf(r, label);
    assert.equal(stage.status, 'FAIL');
    assert.ok(stage.detail.startsWith(`refusing to write ${what}: another user could replace them — ${dir} `), stage.detail);
    assert.match(stage.detail, why);
    assert.ok(stage.detail.includes(`run: chmod go-w ${dir}`), stage.detail);
  }
  assert.equal(r.stampPath, null);
}

test('a state root under a group-writable directory: the install writes no hook and names the directory and its fix; the probe blocks the install and says why', { skip: GROUP_SKIP }, withHost(async (host, paths) => {
  const dataHome = host.ctx.env.XDG_DATA_HOME!;
  mkdirSync(dataHome, { recursive: true });
  chownSync(dataHome, process.geteuid!(), OTHER_GID);
  chmodSync(dataHome, 0o775);
  const r = await install(host, { passphraseTier: 'kernel-keyring' });
  assertRefused(r, dataHome, new RegExp(`is writable by its group \\(gid ${OTHER_GID}, mode 0775\\)`));
  assertNoHooksWritten(paths);

  const report = await runSweep(host.ctx, settings);
  const sandbox = reportOf(report, 'sandbox')!;
  assert.equal(sandbox.facts.installBlock?.kind, 'hook-tree');
  assert.deepEqual(sandbox.facts.installBlock.problems.map((p) => p.file), [dataHome]);
  assert.match(sandbox.facts.installBlock.problems[0]!.message, new RegExp(`^is writable by its group \\(gid ${OTHER_GID}, mode 0775\\)$`));
  assert.equal(sandbox.facts.installBlock.problems[0]!.command, `chmod go-w ${dataHome}`, 'the fix, as a command to copy');
  assert.match(sandbox.result.message, new RegExp(`another user could replace the hooks: ${dataHome} is writable by its group`));

  // The fix it names is the fix.
  chmodSync(dataHome, 0o755);
  const again = await install(host, { passphraseTier: 'kernel-keyring' });
  assert.equal(again.exitCode, 0, again.rec.lines.join('\n'));
}));

test('a world-writable directory on the way: refused the same way, and nothing of the hooks is written', withHost(async (host, paths) => {
  const local = path.join(host.home, '.local');
  mkdirSync(local, { recursive: true });
  chmodSync(local, 0o757);
  const r = await install(host, { passphraseTier: 'kernel-keyring' });
  assertRefused(r, local, /is writable by every user on this computer \(mode 0757\)/);
  assertNoHooksWritten(paths);
  assert.equal(stageOf(r, 'Credentials DB').status, 'ok', 'the other stages still ran');
}));

test('the supervisor wrapper\'s directory is checked on its own: a world-writable sandbox state dir refuses only the supervisor stage', withHost(async (host, paths) => {
  mkdirSync(paths.sandboxState, { recursive: true });
  chmodSync(paths.sandboxState, 0o777);
  const r = await install(host, { passphraseTier: 'kernel-keyring' });
  assert.deepEqual(r.failedStages, ['Supervisor hooks'], r.rec.lines.join('\n'));
  assert.ok(stageOf(r, 'Supervisor hooks').detail.includes(`${paths.sandboxState} is writable by every user on this computer (mode 0777) — run: chmod go-w ${paths.sandboxState}`));
  assert.equal(existsSync(paths.supervisorWrapper), false);
  assert.equal(existsSync(paths.supervisorHooksDir), false);
  assert.ok(existsSync(paths.shieldHooksDir), 'the shield tree is fine and was installed');
}));

test('XDG_DATA_HOME through a symbolic link to a world-writable directory: the real directory is named and refused', withHost(async (host, paths) => {
  const real = path.join(host.root, 'data-elsewhere');
  mkdirSync(real);
  chmodSync(real, 0o777);
  mkdirSync(path.dirname(host.ctx.env.XDG_DATA_HOME!), { recursive: true });
  symlinkSync(real, host.ctx.env.XDG_DATA_HOME!);
  const r = await install(host, { passphraseTier: 'kernel-keyring' });
  assertRefused(r, real, /is writable by every user on this computer \(mode 0777\)/);
  assertNoHooksWritten(paths);
}));

test('after a clean install a hooks dir made writable by others is reported: a warning with the chmod fix, in the report and in `terok-setup check`', withHost(async (host, paths) => {
  const r = await install(host, { passphraseTier: 'kernel-keyring' });
  assert.equal(r.exitCode, 0, r.rec.lines.join('\n'));
  const clean = reportOf(await runSweep(host.ctx, settings), 'sandbox')!;
  assert.deepEqual(clean.facts.hookTree, []);
  assert.equal(clean.result.message, 'shield ready');

  chmodSync(paths.shieldHooksDir, 0o777);
  const report = await runSweep(host.ctx, settings);
  const sandbox = reportOf(report, 'sandbox')!;
  assert.equal(sandbox.status, 'degraded');
  assert.equal(sandbox.state, 'warning');
  assert.deepEqual(sandbox.facts.hookTree.map((p) => [p.path, p.reason]), [[paths.shieldHooksDir, 'world-writable']]);
  assert.equal(sandbox.result.message, `shield ready; another user could replace the hooks: ${paths.shieldHooksDir} is writable by every user on this computer (mode 0777) — run: chmod go-w ${paths.shieldHooksDir}`);
  assert.match(sandbox.explanation.headline, /another user on this computer could replace the hooks/);
  assert.equal(sandbox.facts.installBlock?.kind, 'hook-tree', 'a re-run would refuse: the page says so beside the button');
  assert.deepEqual(sandbox.facts.installBlock.problems.map((p) => p.command), [`chmod go-w ${paths.shieldHooksDir}`], 'with the fix to copy');

  // A hook file itself made writable by others counts too.
  chmodSync(paths.shieldHooksDir, 0o755);
  const hook = path.join(paths.shieldHooksDir, 'terok-shield-hook');
  chmodSync(hook, 0o777);
  const file = reportOf(await runSweep(host.ctx, settings), 'sandbox')!;
  assert.deepEqual(file.facts.hookTree.map((p) => [p.path, p.reason]), [[hook, 'world-writable']]);
  chmodSync(hook, 0o755);

  // The CLI prints the same line (terok's gate stops at podman when podman does not answer here).
  chmodSync(paths.shieldHooksDir, 0o777);
  const podman = reportOf(report, 'podman')!;
  if (!podman.result.ok) return;
  const streams = captureStreams();
  await main(['check'], streams.io, setupEngine(host.ctx));
  const line = streams.out().split('\n').find((l) => l.startsWith('  sandbox services'));
  assert.ok(line?.includes(`ok (shield ready; another user could replace the hooks: ${paths.shieldHooksDir} is writable`), streams.out());
  assert.ok(line!.includes(`run: chmod go-w ${paths.shieldHooksDir})`), line);
}));
