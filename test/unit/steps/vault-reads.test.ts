/** Credentials and SSH-key probes against real SQLCipher-4 files (spec §2.5, §9.1). */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { credentialsStep } from '../../../main/core/steps/credentials.ts';
import { sshKeyStep } from '../../../main/core/steps/ssh-key.ts';
import { makeProbeEnv } from '../../../main/core/steps/probe-env.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { CredentialDb } from '../../../main/core/vault/credential-db.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { createVaultFixture, FIXTURE_PASSPHRASE, provideSessionPassphrase } from '../../support/fixtures.ts';
import Database from 'better-sqlite3-multiple-ciphers';

const settings = (over: Partial<{ provider: string; credentialSet: string }> = {}) =>
  ({ provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null, ...over });
let host: SandboxHost;
afterEach(() => host?.cleanup());

test('stored credential for claude is looked up as (default, anthropic) → ok "stored"', async () => {
  host = createSandboxHost();
  createVaultFixture(host, { credentials: [{ set: 'default', provider: 'anthropic', data: { type: 'api_key', key: 'k' } }] });
  const out = await credentialsStep.probe(makeProbeEnv(host.ctx, settings()));
  assert.deepEqual(out.result, { name: 'claude credentials', ok: true, message: 'stored' });
  assert.equal(out.facts.credentialProvider, 'anthropic');
  assert.ok(!JSON.stringify(out).includes('"k"'), 'the secret is not in the probe outcome');
});

test('a custom credential set looks in its own namespace', async () => {
  host = createSandboxHost();
  createVaultFixture(host, { credentials: [{ set: 'my-proj', provider: 'anthropic', data: { type: 'api_key', key: 'k' } }] });
  assert.equal((await credentialsStep.probe(makeProbeEnv(host.ctx, settings()))).result.message, 'not found');
  assert.equal((await credentialsStep.probe(makeProbeEnv(host.ctx, settings({ credentialSet: 'my-proj' })))).result.message, 'stored');
});

test('no row → not ok "not found"; the DB stays closed and unchanged', async () => {
  host = createSandboxHost();
  const db = createVaultFixture(host);
  const r = (await credentialsStep.probe(makeProbeEnv(host.ctx, settings({ provider: 'codex' })))).result;
  assert.deepEqual(r, { name: 'codex credentials', ok: false, message: 'not found' });
  // A writer can take the DB right away: the probe left no lock behind.
  CredentialDb.open(db, FIXTURE_PASSPHRASE).close();
});

test('a passphrase tier but no DB yet → "not found", and the probe does not create the DB', async () => {
  host = createSandboxHost();
  provideSessionPassphrase(host);
  assert.equal((await credentialsStep.probe(makeProbeEnv(host.ctx, settings()))).result.message, 'not found');
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(resolvePaths(host.ctx).credentialDb), false);
});

test('no passphrase in any tier → "credential database unavailable", never a prompt', async () => {
  host = createSandboxHost();
  const r = (await credentialsStep.probe(makeProbeEnv(host.ctx, settings()))).result;
  assert.deepEqual(r, { name: 'claude credentials', ok: false, message: 'credential database unavailable' });
});

test('a wrong passphrase → unavailable', async () => {
  host = createSandboxHost();
  createVaultFixture(host);
  provideSessionPassphrase(host, 'not-the-right-one');
  const out = await credentialsStep.probe(makeProbeEnv(host.ctx, settings()));
  assert.equal(out.result.message, 'credential database unavailable');
  assert.match(JSON.stringify(out.facts), /wrong passphrase/);
});

test('a plaintext (legacy) DB → unavailable, with the reason naming it', async () => {
  host = createSandboxHost();
  provideSessionPassphrase(host);
  const file = resolvePaths(host.ctx).credentialDb;
  host.write(file, '');
  const plain = new Database(file);
  plain.exec('CREATE TABLE credentials (credential_set TEXT, provider TEXT, data TEXT)');
  plain.close();
  const out = await credentialsStep.probe(makeProbeEnv(host.ctx, settings()));
  assert.equal(out.result.message, 'credential database unavailable');
  assert.match(JSON.stringify(out.facts), /unencrypted/);
});

test('passphrase_command tier opens the DB; one that prints nothing is a broken tier', async () => {
  host = createSandboxHost();
  createVaultFixture(host, { credentials: [{ set: 'default', provider: 'openai', data: { type: 'oauth', access_token: 'a' } }] });
  const paths = resolvePaths(host.ctx);
  const { rmSync } = await import('node:fs');
  rmSync(paths.vaultSessionDir, { recursive: true });
  const secretFile = host.write('secret.txt', `${FIXTURE_PASSPHRASE}\n`, 0o600);
  host.write('home/.config/terok/config.yml', `credentials:\n  use_keyring: false\n  passphrase_command: cat '${secretFile}'\n`);
  assert.equal((await credentialsStep.probe(makeProbeEnv(host.ctx, settings({ provider: 'codex' })))).result.message, 'stored');
  host.write('home/.config/terok/config.yml', 'credentials:\n  passphrase_command: "true"\n');
  const out = await credentialsStep.probe(makeProbeEnv(host.ctx, settings({ provider: 'codex' })));
  assert.equal(out.result.message, 'credential database unavailable');
  assert.match(JSON.stringify(out.facts), /passphrase_command produced no passphrase/);
});

test('a sealed systemd credential that cannot be unsealed fails closed', async () => {
  host = createSandboxHost({ inheritPath: false });
  createVaultFixture(host);
  host.write(resolvePaths(host.ctx).sealedPassphrase, 'sealed-blob', 0o600);
  const out = await credentialsStep.probe(makeProbeEnv(host.ctx, settings()));
  assert.equal(out.result.message, 'credential database unavailable');
  assert.match(JSON.stringify(out.facts), /cannot be unsealed: systemd-creds not found/);
});

test("ssh key: one key assigned to 'standalone' → ok with the count", async () => {
  host = createSandboxHost();
  createVaultFixture(host, { sshKeyScope: 'standalone' });
  const out = await sshKeyStep.probe(makeProbeEnv(host.ctx, settings()));
  assert.deepEqual(out.result, { name: 'ssh key', ok: true, message: "1 key(s) registered for 'standalone'" });
});

test("ssh key: keys of other scopes do not count → none registered for 'standalone'", async () => {
  host = createSandboxHost();
  createVaultFixture(host, { sshKeyScope: 'proj' });
  assert.deepEqual((await sshKeyStep.probe(makeProbeEnv(host.ctx, settings()))).result, { name: 'ssh key', ok: false, message: "none registered for 'standalone'" });
});

test('ssh key: no passphrase → credential database unavailable', async () => {
  host = createSandboxHost();
  assert.equal((await sshKeyStep.probe(makeProbeEnv(host.ctx, settings()))).result.message, 'credential database unavailable');
});

test('a v2 DB no writer has migrated yet: the row under the agent name counts as stored', async () => {
  host = createSandboxHost();
  const db = createVaultFixture(host);
  const writer = CredentialDb.open(db, FIXTURE_PASSPHRASE);
  writer.raw.prepare('INSERT INTO credentials (credential_set, provider, data) VALUES (?, ?, ?)').run('default', 'claude', '{"type":"api_key","key":"k"}');
  writer.raw.pragma('user_version = 2');
  writer.close();
  assert.equal((await credentialsStep.probe(makeProbeEnv(host.ctx, settings()))).result.message, 'stored');
});
