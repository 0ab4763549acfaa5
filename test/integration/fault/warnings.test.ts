/**
 * Fault suite: a file of the user's that cannot be used (config.yml, agent
 * files) is never silently ignored — every command that depends on it says
 * so on stderr, the readiness report carries it for the wizard's banner, and
 * nothing of the user's is changed. Real YAML files in a sandbox home; the
 * CLI runs in-process against it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { main } from '../../../main/cli/index.ts';
import { Engine } from '../../../main/core/engine.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { registerSetupModules } from '../../../main/core/modules.ts';
import { clearRosterCache } from '../../../main/core/roster/current.ts';

async function cli(host: SandboxHost, args: string[]) {
  const engine = new Engine(host.ctx);
  registerSetupModules(engine);
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += t; }, err: (t) => { err += t; }, stdinIsTty: false, readLine: async () => null }, engine);
  return { code, out, err };
}

function withHost(body: (host: SandboxHost) => Promise<void>) {
  return async () => {
    // No podman or terok on this PATH: the probes answer fast and the verdict is "not ready".
    const host = createSandboxHost({ inheritPath: false, env: { NO_COLOR: '1' } });
    clearRosterCache();
    try {
      await body(host);
    } finally {
      clearRosterCache();
      host.cleanup();
    }
  };
}

const brokenConfig = (host: SandboxHost) => host.write(path.join(host.home, '.config/terok/config.yml'), 'image:\n  base_image: [ubuntu\n');
const brokenAgent = (host: SandboxHost) => host.write(path.join(resolvePaths(host.ctx).userAgentsDir, 'mine.yaml'), 'name: mine\nbinary: [x\n');

test('check: a broken config.yml is a warning on stderr naming file:line:column, and in the JSON report', withHost(async (host) => {
  const cfg = brokenConfig(host);
  const before = readFileSync(cfg, 'utf8');
  const r = await cli(host, ['check']);
  assert.equal(r.code, 3);
  assert.match(r.err, new RegExp(`^terok-setup: warning: ${cfg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: not valid YAML`, 'm'));
  const json = await cli(host, ['check', '--json']);
  const report = JSON.parse(json.out) as { warnings: string[] };
  assert.ok(report.warnings.some((w) => w.includes(cfg)), json.out);
  assert.equal(readFileSync(cfg, 'utf8'), before, 'the user\'s file is untouched');
}));

test('check: an agent file that does not load is a warning (the bundled roster stands in), with its file and line', withHost(async (host) => {
  const file = brokenAgent(host);
  const r = await cli(host, ['check']);
  assert.match(r.err, /terok-setup: warning: your agent or provider files cannot be used, so the bundled roster stands in/);
  assert.ok(r.err.includes(path.basename(file)), r.err);
  const report = JSON.parse((await cli(host, ['check', '--json'])).out) as { warnings: string[] };
  assert.ok(report.warnings.some((w) => w.includes('bundled roster stands in')));
}));

test('routes reports the roster problem itself, once (no second copy as a warning)', withHost(async (host) => {
  brokenAgent(host);
  const r = await cli(host, ['routes']);
  assert.notEqual(r.code, 0);
  assert.doesNotMatch(r.err, /terok-setup: warning: your agent or provider files/);
  assert.ok((r.out + r.err).includes('mine.yaml'), r.out + r.err);
}));

test('--help prints no warnings (nothing there depends on the files)', withHost(async (host) => {
  brokenConfig(host);
  const r = await cli(host, ['check', '--help']);
  assert.equal(r.code, 0);
  assert.equal(r.err, '');
}));

test('a healthy host prints no warnings', withHost(async (host) => {
  const r = await cli(host, ['check']);
  assert.equal(r.code, 3);
  assert.doesNotMatch(r.err, /warning/);
}));
