/** Native shield health (sandbox spec §2.5) over real files in a sandboxed HOME. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { computeShieldHealth } from '../../../main/core/sandbox/shield-health.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { installShieldHooksFixture } from '../../support/fixtures.ts';

let host: SandboxHost;
afterEach(() => host?.cleanup());
const conf = () => resolvePaths(host.ctx).containersConf;

test('no hooks anywhere → setup-needed', () => {
  host = createSandboxHost();
  const r = computeShieldHealth(host.ctx, conf(), 12);
  assert.equal(r.health, 'setup-needed');
  assert.match(r.issues.join(), /not installed/);
});

test('descriptor in the user-listed hooks dir with the expected bundle version → ok', () => {
  host = createSandboxHost();
  const dir = installShieldHooksFixture(host, 12);
  const r = computeShieldHealth(host.ctx, conf(), 12);
  assert.equal(r.health, 'ok');
  assert.equal(r.descriptorDir, dir);
  assert.equal(r.installedVersion, 12);
});

test('bundle version mismatch → stale-hooks with the versions named', () => {
  host = createSandboxHost();
  installShieldHooksFixture(host, 11);
  const r = computeShieldHealth(host.ctx, conf(), 12);
  assert.equal(r.health, 'stale-hooks');
  assert.match(r.issues.join(), /11 != expected 12/);
});

test('unknown expected version (terok not found) trusts a readable installed version', () => {
  host = createSandboxHost();
  installShieldHooksFixture(host, 7);
  assert.equal(computeShieldHealth(host.ctx, conf(), null).health, 'ok');
});

test('a garbled descriptor in the decisive (last) dir → stale-hooks; lower dirs are not consulted', () => {
  host = createSandboxHost();
  const good = installShieldHooksFixture(host, 12);
  const broken = path.join(host.root, 'broken-hooks');
  host.write(path.join(broken, 'terok-shield-createRuntime.json'), '{not json');
  host.write(conf(), `[engine]\nhooks_dir = ["${good}", "${broken}"]\n`);
  assert.equal(computeShieldHealth(host.ctx, conf(), 12).health, 'stale-hooks');
});

test('a ballast without a BUNDLE_VERSION line → stale-hooks', () => {
  host = createSandboxHost();
  const dir = installShieldHooksFixture(host, 12);
  host.write(path.join(dir, '_oci_state.py'), '# nothing here\n');
  assert.equal(computeShieldHealth(host.ctx, conf(), 12).health, 'stale-hooks');
});

test('interpreter-style descriptors ([python, -I, script, stage]) locate the ballast through args[2]', () => {
  host = createSandboxHost();
  const dir = installShieldHooksFixture(host, 12);
  host.write(path.join(dir, 'terok-shield-createRuntime.json'), JSON.stringify({
    version: '1.0.0', hook: { path: '/usr/bin/python3', args: ['/usr/bin/python3', '-I', path.join(dir, 'terok-shield-hook'), 'createRuntime'] },
    when: { annotations: { 'terok.shield.profiles': '.*' } }, stages: ['createRuntime'],
  }));
  assert.equal(computeShieldHealth(host.ctx, conf(), 12).health, 'ok');
});

test('without a user hooks_dir the first system containers.conf listing one is used', () => {
  host = createSandboxHost();
  const dir = installShieldHooksFixture(host, 12);
  host.write(conf(), '[engine]\n');
  host.write(host.ctx.systemContainersConfs[0]!, `[engine]\nhooks_dir = "${dir}"\n`);
  const r = computeShieldHealth(host.ctx, conf(), 12);
  assert.equal(r.health, 'ok');
  assert.equal(r.hooksDirsSource, host.ctx.systemContainersConfs[0]);
});

test("with no hooks_dir anywhere, podman's default hook dirs that exist are active", () => {
  host = createSandboxHost();
  const dir = installShieldHooksFixture(host, 12);
  host.write(conf(), '# nothing\n');
  const defaults = host.ctx.defaultHooksDirs[1]!;
  for (const f of ['terok-shield-createRuntime.json', '_oci_state.py', 'terok-shield-hook']) {
    host.write(path.join(defaults, f), readFileSync(path.join(dir, f), 'utf8'));
  }
  const r = computeShieldHealth(host.ctx, conf(), 12);
  assert.deepEqual(r.hooksDirs, [defaults]);
  assert.equal(r.hooksDirsSource, 'podman defaults');
});

test('an invalid user containers.conf is reported as an issue, not a crash', () => {
  host = createSandboxHost();
  host.write(conf(), '[engine\nhooks_dir = ');
  const r = computeShieldHealth(host.ctx, conf(), 12);
  assert.equal(r.health, 'setup-needed');
  assert.match(r.issues.join(), /not valid TOML/);
});

test('bypass is synthesised without touching any file', () => {
  host = createSandboxHost();
  const r = computeShieldHealth(host.ctx, conf(), 12, { bypass: true });
  assert.equal(r.health, 'bypass');
  assert.match(r.issues.join(), /bypass_firewall_no_protection/);
});
