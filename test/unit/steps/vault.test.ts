/**
 * The wizard-only vault step against real SQLCipher-4 files: unlocked, locked
 * or not set up, and never a line in terok's gate. Hosts get no inherited
 * PATH, so no real keyctl or secret-tool is ever asked for a passphrase.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { afterEach, test } from 'node:test';
import { main } from '../../../main/cli/index.ts';
import { Engine } from '../../../main/core/engine.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { l1AliasTag } from '../../../main/core/images/tags.ts';
import { registerSetupModules } from '../../../main/core/modules.ts';
import { makeProbeEnv } from '../../../main/core/steps/probe-env.ts';
import type { ReadinessReport } from '../../../main/core/steps/readiness.ts';
import { stepOf } from '../../../main/core/steps/registry.ts';
import { vaultStep } from '../../../main/core/steps/vault.ts';
import { captureStreams } from '../../support/auth-harness.ts';
import { createVaultFixture, FIXTURE_PASSPHRASE, installShieldHooksFixture, provideSessionPassphrase, writeStampFixture } from '../../support/fixtures.ts';
import { createSandboxHost, installFakePodman, type SandboxHost } from '../../support/host.ts';

const settings = { provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null };
let host: SandboxHost;
afterEach(() => host?.cleanup());

const probe = () => vaultStep.probe(makeProbeEnv(host.ctx, settings));

/** A vault DB that exists while no tier holds its passphrase (as after a reboot on the kernel-keyring tier). */
function lockedVault(): void {
  createVaultFixture(host);
  rmSync(resolvePaths(host.ctx).vaultSessionDir, { recursive: true });
}

test('a passphrase that opens the DB → ok, state "unlocked", the source names the tier that held it', async () => {
  host = createSandboxHost({ inheritPath: false });
  const db = createVaultFixture(host);
  const out = await probe();
  assert.equal(out.status, 'ok');
  assert.deepEqual(out.result, { name: 'vault', ok: true, message: 'unlocked (kernel-keyring)' });
  assert.deepEqual(out.facts, { state: 'unlocked', source: 'kernel-keyring', dbPath: db, dbExists: true, reason: null });
});

test('the source follows the tier: a passphrase_command opening the DB reports "passphrase-command"', async () => {
  host = createSandboxHost({ inheritPath: false });
  lockedVault();
  const secret = host.write('secret.txt', `${FIXTURE_PASSPHRASE}\n`, 0o600);
  host.write('home/.config/terok/config.yml', `credentials:\n  passphrase_command: /bin/cat '${secret}'\n`);
  const out = await probe();
  assert.equal(out.status, 'ok');
  assert.equal(out.facts.state, 'unlocked');
  assert.equal(out.facts.source, 'passphrase-command');
});

test('a passphrase but no DB yet → unlocked with nothing stored, and the probe does not create the DB', async () => {
  host = createSandboxHost({ inheritPath: false });
  provideSessionPassphrase(host);
  const out = await probe();
  assert.equal(out.status, 'ok');
  assert.equal(out.facts.dbExists, false);
  assert.equal(vaultStep.explain(out, settings).headline, 'The vault is unlocked (no credentials stored yet).');
  assert.equal((await probe()).facts.dbExists, false, 'still no DB after probing');
});

test('the DB exists but no tier has its passphrase → status "locked", with the reason', async () => {
  host = createSandboxHost({ inheritPath: false });
  lockedVault();
  const out = await probe();
  assert.equal(out.status, 'locked');
  assert.deepEqual(out.result, { name: 'vault', ok: false, message: 'locked' });
  assert.equal(out.facts.state, 'locked');
  assert.equal(out.facts.source, null);
  assert.equal(out.facts.dbExists, true);
  assert.match(out.facts.reason ?? '', /no SQLCipher passphrase available/);
});

test('a wrong passphrase for an existing DB is "locked" too, never "unlocked"', async () => {
  host = createSandboxHost({ inheritPath: false });
  createVaultFixture(host);
  provideSessionPassphrase(host, 'not-the-right-one');
  const out = await probe();
  assert.equal(out.status, 'locked');
  assert.match(out.facts.reason ?? '', /wrong passphrase/);
});

test('no DB and no passphrase → status "not-set-up"', async () => {
  host = createSandboxHost({ inheritPath: false });
  const out = await probe();
  assert.equal(out.status, 'not-set-up');
  assert.deepEqual(out.result, { name: 'vault', ok: false, message: 'not set up' });
  assert.deepEqual({ state: out.facts.state, source: out.facts.source, dbExists: out.facts.dbExists }, { state: 'not-set-up', source: null, dbExists: false });
});

test('a locked vault is explained with the `terok-sandbox vault unlock` command; the other states offer none', async () => {
  host = createSandboxHost({ inheritPath: false });
  lockedVault();
  const locked = vaultStep.explain(await probe(), settings);
  assert.deepEqual(locked.commands, [{ label: 'Unlock the vault', command: 'terok-sandbox vault unlock' }]);
  // The page names the database; the resolver's internal reason (which repeats the path) stays out.
  assert.ok(locked.details?.some((d) => d.label === 'Database'));
  assert.ok(!locked.details?.some((d) => d.label === 'Why'));
  host.cleanup();

  host = createSandboxHost({ inheritPath: false });
  assert.equal(vaultStep.explain(await probe(), settings).commands, undefined, 'not set up');
  createVaultFixture(host);
  assert.equal(vaultStep.explain(await probe(), settings).commands, undefined, 'unlocked');
});

test("the vault is a wizard-only, non-required step with no fix", () => {
  const step = stepOf('vault');
  assert.equal(step.gate, 'wizard');
  assert.notEqual(step.requirement, 'required');
  assert.equal(step.fix, undefined);
});

/** A host where terok's gate passes; the vault is locked (its DB there, no passphrase), so its line would say so. */
function readyHostWithLockedVault(): Engine {
  host = createSandboxHost({ inheritPath: false });
  installFakePodman(host).addImage(l1AliasTag(settings.baseImage));
  host.writeBin('git', '#!/bin/sh\nexit 0\n');
  installShieldHooksFixture(host);
  writeStampFixture(host);
  lockedVault();
  const engine = new Engine(host.ctx);
  registerSetupModules(engine);
  return engine;
}

test('`terok-setup check` never prints a vault line, and a locked vault does not change its verdict', async () => {
  const cli = captureStreams();
  const code = await main(['check'], cli.io, readyHostWithLockedVault());
  const lines = cli.out().split('\n');
  assert.ok(lines.includes('  podman                 ok (ok)'), cli.out());
  assert.ok(lines.includes('  claude credentials     FAIL (credential database unavailable)'), cli.out());
  assert.deepEqual(lines.filter((l) => l.startsWith('  vault')), []);
  assert.ok(!/\bvault\b.*\blocked\b/.test(cli.out() + cli.err()), 'the vault state is not printed anywhere');
  // SSH key and credentials are optional: terok is ready with the vault locked.
  assert.equal(code, 0);
});

test('`terok-setup check --json` lists the vault step with its state', async () => {
  const cli = captureStreams();
  await main(['check', '--json'], cli.io, readyHostWithLockedVault());
  const report = JSON.parse(cli.out()) as ReadinessReport;
  const vault = report.steps.find((s) => s.id === 'vault');
  assert.ok(vault, 'the vault step is in the JSON report');
  assert.equal(vault.gate, 'wizard');
  assert.equal(vault.status, 'locked');
  assert.deepEqual(vault.result, { name: 'vault', ok: false, message: 'locked' });
  assert.equal(report.verdict.ready, true);
});
