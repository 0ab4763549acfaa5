/**
 * The wizard-only vault step against real SQLCipher-4 files: unlocked, not
 * set up, an empty DB file, locked, a broken tier, a wrong passphrase, a
 * legacy plaintext DB, a damaged file, a directory, loose file modes — each
 * with its own status, facts and headline — and never a line in terok's
 * gate. Hosts get no inherited PATH, so no real keyctl or secret-tool is
 * ever asked for a passphrase.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3-multiple-ciphers';
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
import { confirmRecoveryKey, dropPendingKey, keepPendingKey } from '../../../main/core/vault/recovery-key.ts';
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
  // terok made this vault (no pending copy of ours) and nobody confirmed its key: said, not degrading.
  assert.deepEqual(out.facts, { state: 'unlocked', source: 'kernel-keyring', dbPath: db, dbExists: true, dbEmpty: false, reason: null, looseModes: [], recovery: 'unconfirmed' });
});

test('the recovery key: unsaved (our pending copy) degrades with the card\'s headline; unconfirmed offers terok\'s reveal/acknowledge; saved says so', async () => {
  host = createSandboxHost({ inheritPath: false });
  createVaultFixture(host);
  const paths = resolvePaths(host.ctx);
  keepPendingKey(paths, FIXTURE_PASSPHRASE);
  const unsaved = await probe();
  assert.equal(unsaved.status, 'degraded');
  assert.equal(unsaved.result.message, 'unlocked (kernel-keyring); recovery key not saved');
  assert.equal(unsaved.facts.recovery, 'unsaved');
  assert.match(vaultStep.explain(unsaved, settings).headline, /its new recovery key has not been saved yet/);

  dropPendingKey(paths);
  const unconfirmed = vaultStep.explain(await probe(), settings);
  assert.deepEqual(unconfirmed.commands?.map((c) => c.command), ['terok-sandbox vault passphrase reveal', 'terok-sandbox vault passphrase acknowledge']);
  assert.ok(unconfirmed.details?.some((d) => d.label === 'Recovery key' && d.value === 'never confirmed as saved'));

  confirmRecoveryKey(paths);
  const saved = await probe();
  assert.equal(saved.status, 'ok');
  assert.equal(saved.facts.recovery, 'saved');
  assert.equal(vaultStep.explain(saved, settings).commands, undefined);
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

test('a wrong passphrase for an existing DB is its own state (status "locked", never "unlocked"), naming the tier that gave it', async () => {
  host = createSandboxHost({ inheritPath: false });
  createVaultFixture(host);
  provideSessionPassphrase(host, 'not-the-right-one');
  const out = await probe();
  assert.equal(out.status, 'locked');
  assert.equal(out.facts.state, 'wrong-passphrase');
  assert.equal(out.facts.source, 'kernel-keyring');
  assert.deepEqual(out.result, { name: 'vault', ok: false, message: 'wrong passphrase' });
  assert.match(out.facts.reason ?? '', /wrong passphrase/);
  const e = vaultStep.explain(out, settings);
  assert.match(e.headline, /^The vault does not open: the passphrase from kernel-keyring does not fit its database/);
  assert.match(e.headline, /Nothing was changed/);
  assert.ok(e.commands?.some((c) => c.command === 'terok-sandbox vault unlock'));
});

test('a zero-byte credentials.db without a passphrase is "not set up (empty database file)", not locked', async () => {
  host = createSandboxHost({ inheritPath: false });
  const db = resolvePaths(host.ctx).credentialDb;
  host.write(db, '', 0o600);
  const out = await probe();
  assert.equal(out.status, 'not-set-up');
  assert.deepEqual(out.result, { name: 'vault', ok: false, message: 'not set up (empty database file)' });
  assert.deepEqual({ state: out.facts.state, dbExists: out.facts.dbExists, dbEmpty: out.facts.dbEmpty }, { state: 'empty', dbExists: true, dbEmpty: true });
  const e = vaultStep.explain(out, settings);
  assert.match(e.headline, /^The vault is not set up yet: credentials\.db is an empty file \(0 bytes\), so nothing was ever stored in it and there is nothing to unlock/);
  assert.doesNotMatch(e.headline, /locked|encrypted/);
  assert.equal(statSync(db).size, 0, 'the probe left the file as it was');
});

test('a zero-byte credentials.db with a passphrase is unlocked with nothing stored', async () => {
  host = createSandboxHost({ inheritPath: false });
  provideSessionPassphrase(host);
  mkdirSync(resolvePaths(host.ctx).vaultDir, { recursive: true, mode: 0o700 });
  host.write(resolvePaths(host.ctx).credentialDb, '', 0o600);
  const out = await probe();
  assert.equal(out.status, 'ok');
  assert.equal(out.facts.state, 'unlocked');
  assert.equal(vaultStep.explain(out, settings).headline, 'The vault is unlocked (no credentials stored yet: its database file is empty).');
});

test('a configured tier that cannot be read is "locked (passphrase store unreadable)", with its reason', async () => {
  host = createSandboxHost({ inheritPath: false });
  lockedVault();
  host.write('home/.config/terok/config.yml', 'credentials:\n  passphrase_command: /bin/true\n');
  const out = await probe();
  assert.equal(out.status, 'locked');
  assert.equal(out.facts.state, 'broken-tier');
  assert.equal(out.result.message, 'locked (passphrase store unreadable)');
  assert.match(vaultStep.explain(out, settings).headline, /^The vault is locked: a passphrase store is configured but cannot be read \(passphrase_command produced no passphrase/);
});

test('a file that is not SQLite or SQLCipher is a damaged database (status "error"), told without a passphrase', async () => {
  host = createSandboxHost({ inheritPath: false });
  const db = resolvePaths(host.ctx).credentialDb;
  host.write(db, 'these are my notes, not a database\n', 0o600);
  const out = await probe();
  assert.equal(out.status, 'error');
  assert.equal(out.facts.state, 'corrupt');
  assert.equal(out.result.message, 'damaged database');
  const e = vaultStep.explain(out, settings);
  assert.match(e.headline, /^The vault's database is damaged or is not a credential database \(.*not a whole number of database pages/);
  assert.match(e.headline, /It was not changed/);
  assert.deepEqual(e.commands?.[0], { label: 'Keep a copy', command: `cp -p ${db} ${db}.damaged` });
});

test('a DB that decrypts but has damaged pages is "corrupt" too', async () => {
  host = createSandboxHost({ inheritPath: false });
  const db = createVaultFixture(host, { credentials: [{ set: 'default', provider: 'anthropic', data: { type: 'api_key', key: 'k' } }] });
  const bytes = Buffer.from(await import('node:fs').then((fs) => fs.readFileSync(db)));
  bytes.fill(7, 4096); // every page after the first: the schema decrypts, the tables do not
  writeFileSync(db, bytes);
  const out = await probe();
  assert.equal(out.status, 'error');
  assert.equal(out.facts.state, 'corrupt');
  assert.match(out.facts.reason ?? '', /damaged|malformed/);
});

test('a directory where credentials.db belongs is "not a database file"', async () => {
  host = createSandboxHost({ inheritPath: false });
  provideSessionPassphrase(host);
  mkdirSync(resolvePaths(host.ctx).credentialDb, { recursive: true });
  const out = await probe();
  assert.equal(out.status, 'error');
  assert.equal(out.facts.state, 'not-a-file');
  assert.equal(out.result.message, 'not a database file');
  assert.match(vaultStep.explain(out, settings).headline, /^The vault cannot live here: .*credentials\.db is not a database file \(.* is a directory/);
});

test('a legacy plaintext DB is "unencrypted", and setup is where it is fixed', async () => {
  host = createSandboxHost({ inheritPath: false });
  const file = resolvePaths(host.ctx).credentialDb;
  host.write(file, '');
  const plain = new Database(file);
  plain.exec('CREATE TABLE credentials (credential_set TEXT, provider TEXT, data TEXT)');
  plain.close();
  const out = await probe();
  assert.equal(out.status, 'not-set-up');
  assert.equal(out.facts.state, 'plaintext');
  assert.match(vaultStep.explain(out, settings).headline, /unencrypted \(legacy\) SQLite database\. Installing the sandbox services encrypts it in place/);
});

test('unlocked, but the DB is 0644 and the vault dir 0755: degraded, with the chmod commands', async () => {
  host = createSandboxHost({ inheritPath: false });
  const db = createVaultFixture(host);
  const dir = resolvePaths(host.ctx).vaultDir;
  chmodSync(db, 0o644);
  chmodSync(dir, 0o755);
  const out = await probe();
  assert.equal(out.status, 'degraded');
  assert.equal(out.facts.state, 'unlocked');
  assert.deepEqual(out.result, { name: 'vault', ok: true, message: 'unlocked (kernel-keyring); files readable by others' });
  // The read-only open leaves SQLite's -shm/-wal beside the DB, with the DB's mode: they are listed too.
  const loose = out.facts.looseModes.filter((l) => l.what !== 'credential database journal');
  assert.deepEqual(loose.map((l) => [l.path, l.mode, l.want]), [[dir, 0o755, 0o700], [db, 0o644, 0o600]]);
  const e = vaultStep.explain(out, settings);
  assert.match(e.headline, /^The vault is unlocked, but other users on this computer can read or list its files \(vault directory, credential database/);
  assert.deepEqual(e.commands?.slice(0, 2).map((c) => c.command), [`chmod 700 ${dir}`, `chmod 600 ${db}`]);
  assert.ok(e.details?.some((d) => d.label === 'Too open' && d.value === `${db} is 0644, should be 0600`));
  assert.equal(statSync(db).mode & 0o777, 0o644, 'the probe only looks');
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
  assert.deepEqual(locked.commands, [{ label: 'Or unlock it in a terminal', command: 'terok-sandbox vault unlock' }]);
  // The page names the database; the resolver's internal reason (which repeats the path) stays out.
  assert.ok(locked.details?.some((d) => d.label === 'Database'));
  assert.ok(!locked.details?.some((d) => d.label === 'Why'));
  host.cleanup();

  host = createSandboxHost({ inheritPath: false });
  assert.equal(vaultStep.explain(await probe(), settings).commands, undefined, 'not set up');
  createVaultFixture(host);
  confirmRecoveryKey(resolvePaths(host.ctx));
  assert.equal(vaultStep.explain(await probe(), settings).commands, undefined, 'unlocked, its key saved');
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

test('over a locked vault, Sandbox is never plain "ready": its headline says the vault is locked and links to the Vault page; terok\'s lines are unchanged', async () => {
  const cli = captureStreams();
  await main(['check', '--json'], cli.io, readyHostWithLockedVault());
  const report = JSON.parse(cli.out()) as ReadinessReport;
  const sandbox = report.steps.find((s) => s.id === 'sandbox')!;
  assert.deepEqual(sandbox.result, { name: 'sandbox services', ok: true, message: 'shield ready' });
  assert.equal(sandbox.status, 'ok');
  assert.equal(sandbox.explanation.headline, 'Shield ready, setup current. The vault is locked, though: SSH keys and agent credentials cannot be used until you unlock it.');
  assert.deepEqual(sandbox.explanation.prerequisite, { step: 'vault', label: 'Unlock the vault' });
  for (const id of ['ssh', 'credentials'] as const) {
    const s = report.steps.find((x) => x.id === id)!;
    assert.equal(s.result.message, 'credential database unavailable');
    assert.deepEqual(s.explanation.prerequisite, { step: 'vault', label: 'Unlock the vault' }, id);
  }
});

test('no vault yet: SSH key and Credentials point at the Sandbox page (which sets the vault up), Sandbox says nothing about a lock', async () => {
  host = createSandboxHost({ inheritPath: false });
  const engine = new Engine(host.ctx);
  registerSetupModules(engine);
  const cli = captureStreams();
  await main(['check', '--json'], cli.io, engine);
  const report = JSON.parse(cli.out()) as ReadinessReport;
  for (const id of ['ssh', 'credentials'] as const) {
    assert.deepEqual(report.steps.find((x) => x.id === id)!.explanation.prerequisite, { step: 'sandbox', label: 'Set up the sandbox services' }, id);
  }
  const sandbox = report.steps.find((s) => s.id === 'sandbox')!;
  assert.equal(sandbox.explanation.prerequisite, undefined);
  assert.doesNotMatch(sandbox.explanation.headline, /locked/);
});
