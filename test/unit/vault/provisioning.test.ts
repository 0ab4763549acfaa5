/**
 * Passphrase tiers and provisioning on a sandboxed host. Real: the session
 * file fallback, passphrase_command, config.yml edits, SQLCipher files. Fake:
 * only the desktop keyring daemon (a `secret-tool` stand-in that keeps its
 * secret in a file) and keyctl (always failing, so the real user keyring of
 * this machine is never touched).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { failingKeyctl } from '../../support/sandbox-install.ts';
import { loadTerokConfig } from '../../../main/core/host/config.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { CredentialDb } from '../../../main/core/vault/credential-db.ts';
import { resolvePassphrase, sessionDigest } from '../../../main/core/vault/passphrase.ts';
import { ensureCredentials, ProvisioningError } from '../../../main/core/vault/provisioning.ts';
import { confirmRecoveryKey as acknowledgeRecoveryKey, recoveryConfirmed as recoveryAcknowledged } from '../../../main/core/vault/recovery-key.ts';

function withHost(body: (host: SandboxHost) => Promise<void>, env: Record<string, string> = {}) {
  return async () => {
    const host = createSandboxHost({ env });
    try {
      failingKeyctl(host);
      await body(host);
    } finally {
      host.cleanup();
    }
  };
}

/** A Secret Service stand-in: `store` reads stdin into a file, `lookup` and `search` print it as secret-tool does. */
function fakeSecretTool(host: SandboxHost): string {
  const store = path.join(host.root, 'fake-keyring');
  host.writeBin('secret-tool', `#!/bin/sh\necho "$@" >> ${store}.args\ncase "$1" in\n  store) cat > ${store} ;;\n  lookup) [ -f ${store} ] && cat ${store} ;;\n  search) [ -f ${store} ] && { echo "[/org/freedesktop/secrets/collection/login/7]"; echo "label = terok-sandbox"; printf "secret = "; cat ${store}; echo; echo "attribute.service = terok-sandbox"; } ;;\nesac\n`);
  return store;
}

const env = (host: SandboxHost) => ({ paths: resolvePaths(host.ctx), config: loadTerokConfig(host.ctx) });

test('no tier chosen, none resolving, no systemd-creds: refusal with an actionable hint, nothing created', withHost(async (host) => {
  const { paths, config } = env(host);
  await assert.rejects(ensureCredentials(host.ctx, paths, config), (e: Error) => e instanceof ProvisioningError && /no passphrase tier was chosen/.test(e.message) && /--passphrase-tier keyring/.test(e.message));
  assert.equal(existsSync(paths.credentialDb), false);
}));

test('kernel-keyring without a usable keyctl: session file 0600 in a 0700 dir; generated once, reused after', withHost(async (host) => {
  const { paths, config } = env(host);
  const first = await ensureCredentials(host.ctx, paths, config, { tier: 'kernel-keyring' });
  assert.equal(first.source, 'kernel-keyring');
  assert.equal(first.db, 'created');
  assert.match(first.generatedPassphrase!, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(!first.detail.includes(first.generatedPassphrase!));
  const file = path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(paths.vaultSessionDir).mode & 0o777, 0o700);
  // Not confirmed yet: the re-run opens the same vault and hands the same key back to be shown again.
  const again = await ensureCredentials(host.ctx, paths, config, { tier: 'kernel-keyring' });
  assert.equal(again.generatedPassphrase, first.generatedPassphrase);
  assert.equal(again.recovery, 'unsaved');
  assert.equal(again.db, 'opened');
  acknowledgeRecoveryKey(paths);
  const saved = await ensureCredentials(host.ctx, paths, config, { tier: 'kernel-keyring' });
  assert.equal(saved.generatedPassphrase, null);
  assert.equal(saved.recovery, 'saved');
}));

test('keyring tier (fake daemon): stored under terok\'s names, use_keyring persisted with comments kept, 0600/0700', withHost(async (host) => {
  const store = fakeSecretTool(host);
  const cfgFile = host.write(path.join(host.home, '.config/terok/config.yml'), '# my terok config\nimage:\n  base_image: fedora:41  # pinned\n');
  const { paths, config } = env(host);
  const out = await ensureCredentials(host.ctx, paths, config, { tier: 'keyring' });
  assert.equal(out.source, 'keyring');
  assert.equal(readFileSync(store, 'utf8'), out.generatedPassphrase);
  const yaml = readFileSync(cfgFile, 'utf8');
  assert.match(yaml, /# my terok config/);
  assert.match(yaml, /base_image: fedora:41 +# pinned/);
  assert.match(readFileSync(store + '.args', 'utf8'), /^store --label=.* service terok-sandbox username credentials-db$/m);
  assert.match(yaml, /credentials:\n {2}use_keyring: true/);
  assert.equal(statSync(cfgFile).mode & 0o777, 0o600);
  const resolved = await resolvePassphrase(host.ctx, paths, loadTerokConfig(host.ctx));
  assert.equal(resolved?.source, 'keyring');
  assert.equal(resolved?.value, out.generatedPassphrase);
  // Reads use `search`, which never raises an unlock dialog (lookup would on a locked keyring).
  assert.match(readFileSync(store + '.args', 'utf8'), /^search service terok-sandbox username credentials-db$/m);
  assert.doesNotMatch(readFileSync(store + '.args', 'utf8'), /^lookup /m);
}, { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' }));

test('keyring tier without a session bus: clear refusal naming the alternative', withHost(async (host) => {
  fakeSecretTool(host);
  const { paths, config } = env(host);
  await assert.rejects(ensureCredentials(host.ctx, paths, config, { tier: 'keyring' }), /no login keyring is reachable.*kernel-keyring/);
}));

test('precedence: an already resolving tier is reused silently (keyring pre-empts kernel keyring and passphrase_command)', withHost(async (host) => {
  const store = fakeSecretTool(host);
  writeFileSync(store, 'from-keyring');
  const { paths } = env(host);
  host.write(path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb)), 'from-session');
  host.write(path.join(host.home, '.config/terok/config.yml'), 'credentials:\n  passphrase_command: printf from-command\n');
  const config = loadTerokConfig(host.ctx);
  assert.equal((await resolvePassphrase(host.ctx, paths, config))?.source, 'keyring');
  const out = await ensureCredentials(host.ctx, paths, config);
  assert.equal(out.source, 'keyring');
  assert.equal(out.generatedPassphrase, null);
  CredentialDb.open(paths.credentialDb, 'from-keyring').close();
}, { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' }));

test('precedence: kernel-keyring session file pre-empts passphrase_command; the command alone works', withHost(async (host) => {
  const { paths } = env(host);
  host.write(path.join(host.home, '.config/terok/config.yml'), 'credentials:\n  passphrase_command: printf "from command"\n');
  const config = loadTerokConfig(host.ctx);
  assert.deepEqual(await resolvePassphrase(host.ctx, paths, config), { source: 'passphrase-command', value: 'from command' });
  host.write(path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb)), 'from-session\n');
  assert.deepEqual(await resolvePassphrase(host.ctx, paths, config), { source: 'kernel-keyring', value: 'from-session' });
}));

test('a configured passphrase_command that yields nothing is a hard error (fail closed)', withHost(async (host) => {
  const { paths } = env(host);
  host.write(path.join(host.home, '.config/terok/config.yml'), 'credentials:\n  passphrase_command: "false"\n');
  await assert.rejects(resolvePassphrase(host.ctx, paths, loadTerokConfig(host.ctx)), /passphrase_command produced no passphrase/);
}));

test('a sealed systemd-creds file that cannot be unsealed is a hard error', withHost(async (host) => {
  const { paths, config } = env(host);
  host.write(paths.sealedPassphrase, 'not a credential', 0o600);
  host.writeBin('systemd-creds', '#!/bin/sh\necho "systemd 252"\n');
  await assert.rejects(resolvePassphrase(host.ctx, paths, config), /exists but cannot be unsealed: needs systemd ≥ 257/);
}));

test('encrypted DB with no resolving tier: "locked" refusal, no new passphrase minted', withHost(async (host) => {
  const { paths, config } = env(host);
  CredentialDb.open(paths.credentialDb, 'original').close();
  await assert.rejects(ensureCredentials(host.ctx, paths, config, { tier: 'kernel-keyring' }), /is encrypted, but no passphrase tier holds its passphrase/);
  assert.equal(existsSync(path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb))), false);
}));

test('encrypted DB with a wrong resolving passphrase: WrongPassphraseError surfaces', withHost(async (host) => {
  const { paths, config } = env(host);
  CredentialDb.open(paths.credentialDb, 'original').close();
  host.write(path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb)), 'different');
  await assert.rejects(ensureCredentials(host.ctx, paths, config), /wrong passphrase/);
}));

test('plaintext legacy DB is encrypted in place with a backup; the data survives', withHost(async (host) => {
  const { paths, config } = env(host);
  const { default: Database } = await import('better-sqlite3-multiple-ciphers');
  host.write(paths.credentialDb, '');
  const plain = new Database(paths.credentialDb);
  plain.exec("CREATE TABLE credentials (credential_set TEXT NOT NULL, provider TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (credential_set, provider)); INSERT INTO credentials VALUES ('default','anthropic','{\"type\":\"api_key\",\"key\":\"k\"}')");
  plain.close();
  const out = await ensureCredentials(host.ctx, paths, config, { tier: 'kernel-keyring' });
  assert.equal(out.db, 'encrypted-in-place');
  assert.ok(out.backup && existsSync(out.backup));
  const db = CredentialDb.open(paths.credentialDb, out.generatedPassphrase!);
  assert.deepEqual(db.loadCredential('default', 'anthropic'), { type: 'api_key', key: 'k' });
  db.close();
}));

test('recovery marker: zero-byte 0600 file', withHost(async (host) => {
  const { paths } = env(host);
  assert.equal(recoveryAcknowledged(paths), false);
  const marker = acknowledgeRecoveryKey(paths);
  assert.equal(readFileSync(marker, 'utf8'), '');
  assert.equal(statSync(marker).mode & 0o777, 0o600);
  assert.equal(recoveryAcknowledged(paths), true);
}));

test('onMinted: a new passphrase reaches the caller before it is stored, so a failing store cannot lose it', withHost(async (host) => {
  host.writeBin('secret-tool', '#!/bin/sh\ncat > /dev/null\necho "secret-tool: keyring refused" >&2\nexit 1\n');
  const { paths, config } = env(host);
  const minted: string[] = [];
  await assert.rejects(ensureCredentials(host.ctx, paths, config, { tier: 'keyring', onMinted: (p) => minted.push(p) }), /could not store the passphrase in the login keyring: secret-tool: keyring refused/);
  assert.equal(minted.length, 1);
  assert.match(minted[0]!, /^[A-Za-z0-9_-]{43}$/);
}, { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' }));

test('onMinted: not called for an unusable tier (checked first) nor for a passphrase the user saved', withHost(async (host) => {
  const { paths, config } = env(host);
  const minted: (string | null)[] = [];
  await assert.rejects(ensureCredentials(host.ctx, paths, config, { tier: 'keyring', onMinted: (p) => minted.push(p) }), /secret-tool|no login keyring/);
  assert.equal(minted.length, 0);
  const first = await ensureCredentials(host.ctx, paths, config, { tier: 'kernel-keyring', onMinted: (p) => minted.push(p) });
  assert.deepEqual(minted, [first.generatedPassphrase]);
  await ensureCredentials(host.ctx, paths, config, { tier: 'kernel-keyring', onMinted: (p) => minted.push(p) });
  assert.deepEqual(minted, [first.generatedPassphrase, first.generatedPassphrase], 'still unsaved: handed over again, never a second key');
  acknowledgeRecoveryKey(paths);
  await ensureCredentials(host.ctx, paths, config, { tier: 'kernel-keyring', onMinted: (p) => minted.push(p) });
  assert.equal(minted.length, 2);
}));

test('kernel-keyring needs keyctl: without it the tier is unavailable and refused before any passphrase is minted', async () => {
  const { tierChoices } = await import('../../../main/core/vault/provisioning.ts');
  const host = createSandboxHost({ inheritPath: false });
  try {
    const choice = (await tierChoices(host.ctx)).find((c) => c.tier === 'kernel-keyring');
    assert.deepEqual([choice?.available, choice?.reason], [false, 'keyctl is not installed (package keyutils)']);
    const { paths, config } = env(host);
    let minted = 0;
    await assert.rejects(ensureCredentials(host.ctx, paths, config, { tier: 'kernel-keyring', onMinted: () => { minted++; } }), /needs keyctl/);
    assert.equal(minted, 0);
    assert.equal(existsSync(paths.vaultSessionDir), false, 'no session file terok would never read');
  } finally {
    host.cleanup();
  }
});
