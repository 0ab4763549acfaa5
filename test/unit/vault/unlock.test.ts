/**
 * Unlocking a locked vault with its recovery key, against a real SQLCipher
 * DB made by the project's own code and the real kernel keyring of a
 * private user namespace (test/support/kernel-keyring.ts; the host's own
 * keyring is never touched). Fake: a keyctl that always fails (for the
 * session-file fallback) — nothing else.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { loadTerokConfig } from '../../../main/core/host/config.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { makeProbeEnv } from '../../../main/core/steps/probe-env.ts';
import { vaultStep } from '../../../main/core/steps/vault.ts';
import { kernelKeyDescription, sessionDigest } from '../../../main/core/vault/passphrase.ts';
import { unlockChoices, unlockParamsError, unlockVault, UnlockError } from '../../../main/core/vault/unlock.ts';
import { setupEngine } from '../../support/engine.ts';
import { createVaultFixture, FIXTURE_PASSPHRASE, provideSessionPassphrase } from '../../support/fixtures.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { privateKernelKeyring, privateKeyringUnavailable, type PrivateKeyring } from '../../support/kernel-keyring.ts';

const settings = { provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null };
const KEYRING_SKIP = { skip: privateKeyringUnavailable() ?? false };

let host: SandboxHost;
let ring: PrivateKeyring | undefined;
afterEach(() => { ring?.stop(); ring = undefined; host?.cleanup(); });

/** A vault DB that exists while no tier holds its passphrase (after a reboot on the kernel-keyring tier). */
function lockedHost(): SandboxHost {
  host = createSandboxHost({ inheritPath: false });
  createVaultFixture(host, { credentials: [{ set: 'default', provider: 'anthropic', data: { type: 'api_key', key: 'sk-fixture' } }] });
  rmSync(resolvePaths(host.ctx).vaultSessionDir, { recursive: true });
  return host;
}

const paths = () => resolvePaths(host.ctx);
const unlock = (recoveryKey: string, tier?: 'kernel-keyring' | 'keyring') => unlockVault(host.ctx, paths(), loadTerokConfig(host.ctx), { recoveryKey, ...(tier ? { tier } : {}) });
const probeVault = () => vaultStep.probe(makeProbeEnv(host.ctx, settings));
const sessionFile = () => path.join(paths().vaultSessionDir, sessionDigest(paths().credentialDb));

test('the right recovery key: cached in the kernel keyring under terok\'s description, and the vault probe then says unlocked', KEYRING_SKIP, async () => {
  lockedHost();
  ring = await privateKernelKeyring(host);
  assert.equal((await probeVault()).facts.state, 'locked');

  const out = await unlock(`${FIXTURE_PASSPHRASE}\n`);
  assert.deepEqual([out.tier, out.storedIn], ['kernel-keyring', 'kernel-keyring']);
  assert.deepEqual(out.lines, ['→ cached passphrase in the kernel keyring (RAM-only, cleared at logout)', '  verified: the value opens the credentials DB']);
  assert.equal(ring.read(kernelKeyDescription(paths().credentialDb)), FIXTURE_PASSPHRASE, 'the key terok reads holds the passphrase, without the line ending');
  assert.equal(existsSync(sessionFile()), false, 'no session file when the kernel keyring works');

  const after = await probeVault();
  assert.deepEqual([after.status, after.facts.state, after.facts.source], ['ok', 'unlocked', 'kernel-keyring']);
  // They typed the key, so they have it: no "never confirmed as saved" right after.
  assert.equal(out.recoveryConfirmed, true);
  assert.equal(existsSync(paths().recoveryMarker), true);
  assert.equal(after.facts.recovery, 'saved');
});

test('a wrong key says so, stores nothing anywhere, and the vault stays locked', KEYRING_SKIP, async () => {
  lockedHost();
  ring = await privateKernelKeyring(host);
  const wrong = 'not-the-recovery-key-0123456789';
  const err = await unlock(wrong).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof UnlockError);
  assert.equal(err.failureCode, 'vault-wrong-key');
  assert.equal(err.message, `that passphrase does not open ${paths().credentialDb} — nothing was written.`);
  assert.doesNotMatch(`${err.message} ${err.hint}`, new RegExp(wrong));
  assert.equal(ring.read(kernelKeyDescription(paths().credentialDb)), null);
  assert.equal(existsSync(sessionFile()), false);
  assert.equal(existsSync(paths().recoveryMarker), false, 'a wrong key confirms nothing');
  assert.equal((await probeVault()).facts.state, 'locked');
});

test('a durable tier already resolves the vault: refused with terok\'s words, nothing cached', KEYRING_SKIP, async () => {
  lockedHost();
  ring = await privateKernelKeyring(host);
  host.write(path.join(host.home, '.config/terok/config.yml'), `credentials:\n  passphrase_command: printf ${FIXTURE_PASSPHRASE}\n`);
  host.writeBin('printf', `#!/bin/sh\nexec /usr/bin/printf "$@"\n`);
  const err = await unlock(FIXTURE_PASSPHRASE).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof UnlockError);
  assert.equal(err.failureCode, 'vault-durable-tier');
  assert.match(err.message, /^vault already auto-unlocks via passphrase-command; /);
  assert.equal(ring.read(kernelKeyDescription(paths().credentialDb)), null);
});

test('a sealed systemd credential that cannot be unsealed is a durable tier too (fail closed): refused', KEYRING_SKIP, async () => {
  lockedHost();
  ring = await privateKernelKeyring(host);
  host.write(paths().sealedPassphrase, 'sealed-blob', 0o600);
  const err = await unlock(FIXTURE_PASSPHRASE).then(() => null, (e: unknown) => e);
  assert.equal((err as UnlockError).failureCode, 'vault-durable-tier');
  assert.match((err as Error).message, /^vault already auto-unlocks via systemd-creds; /);
  assert.equal(ring.read(kernelKeyDescription(paths().credentialDb)), null);
});

test('a kernel keyring that refuses (container seccomp): the session file the resolver reads, 0600, and the vault opens', async () => {
  lockedHost();
  host.writeBin('keyctl', '#!/bin/sh\necho "keyctl: Operation not permitted" >&2\nexit 1\n');
  const out = await unlock(FIXTURE_PASSPHRASE);
  assert.equal(out.storedIn, 'session-file');
  assert.equal(out.lines[0], `→ wrote passphrase to ${sessionFile()} (RAM-backed, cleared on reboot)`);
  assert.equal(readFileSync(sessionFile(), 'utf8'), FIXTURE_PASSPHRASE);
  assert.equal(statSync(sessionFile()).mode & 0o777, 0o600);
  assert.equal((await probeVault()).facts.state, 'unlocked');
});

test('nothing to unlock, or no usable tier: a clear refusal before any key derivation, nothing written', async () => {
  host = createSandboxHost({ inheritPath: false });
  await assert.rejects(unlock(FIXTURE_PASSPHRASE), (e: UnlockError) => e.failureCode === 'vault-no-db' && /does not exist; installing the sandbox services sets the vault up/.test(e.message));
  assert.equal(existsSync(paths().credentialDb), false, 'the DB is never created by unlock');
  host.cleanup();
  lockedHost(); // no keyctl on PATH at all
  await assert.rejects(unlock(FIXTURE_PASSPHRASE), /the kernel-keyring tier needs keyctl/);
  await assert.rejects(unlock(FIXTURE_PASSPHRASE, 'keyring'), /secret-tool/);
  assert.equal(existsSync(sessionFile()), false);
});

test('the tiers offered: kernel keyring (terok\'s default) and the login keyring, each with whether this host has it', async () => {
  host = createSandboxHost({ inheritPath: false });
  host.writeBin('keyctl', '#!/bin/sh\nexit 1\n');
  const choices = await unlockChoices(host.ctx);
  assert.deepEqual(choices.map((c) => [c.tier, c.available]), [['kernel-keyring', true], ['keyring', false]]);
  assert.match(choices[1]!.reason!, /secret-tool is not installed/);
});

test('params are checked before the vault is touched, and no message ever contains the key', () => {
  assert.equal(unlockParamsError(undefined, undefined), 'recoveryKey must be a string');
  assert.match(unlockParamsError('  \n', undefined)!, /empty/);
  assert.match(unlockParamsError('abc\ndef', undefined)!, /single line/);
  assert.match(unlockParamsError('x'.repeat(2000), undefined)!, /longer than 1024/);
  assert.match(unlockParamsError('abc', 'systemd-creds')!, /tier must be one of: kernel-keyring, keyring/);
  assert.equal(unlockParamsError('abc\r\n', 'keyring'), null);
});

test('the vault.unlock task: the key appears in no event and no result; a wrong key fails with its code', KEYRING_SKIP, async () => {
  lockedHost();
  ring = await privateKernelKeyring(host);
  const engine = setupEngine(host.ctx);
  const wrongKey = 'wrong-key-d41d8cd98f00b204e980';
  const bad = engine.tasks.start('vault.unlock', { recoveryKey: wrongKey });
  assert.equal(await engine.tasks.wait(bad), 'failed');
  const failed = engine.tasks.events(bad).at(-1)!;
  assert.equal(failed.type === 'failed' && failed.error.code, 'vault-wrong-key');

  const badParams = engine.tasks.start('vault.unlock', { recoveryKey: wrongKey, tier: 'systemd-creds' });
  assert.equal(await engine.tasks.wait(badParams), 'failed');
  const refused = engine.tasks.events(badParams).at(-1)!;
  assert.equal(refused.type === 'failed' && refused.error.code, 'invalid-params');

  const good = engine.tasks.start('vault.unlock', { recoveryKey: FIXTURE_PASSPHRASE, tier: 'kernel-keyring' });
  assert.equal(await engine.tasks.wait(good), 'done');
  const all = JSON.stringify([...engine.tasks.events(bad), ...engine.tasks.events(badParams), ...engine.tasks.events(good)]);
  assert.doesNotMatch(all, new RegExp(`${wrongKey}|${FIXTURE_PASSPHRASE}`));
  assert.deepEqual((engine.tasks.resultOf(good) as { storedIn: string }).storedIn, 'kernel-keyring');
  assert.equal((await probeVault()).facts.state, 'unlocked');
});

test('a wrong key cached in the kernel-keyring tier (no durable tier in the way): the page offers unlock, and the right key replaces it', async () => {
  lockedHost();
  host.writeBin('keyctl', '#!/bin/sh\nexit 1\n');
  provideSessionPassphrase(host, 'a-key-from-another-install');
  const before = await probeVault();
  assert.equal(before.facts.state, 'wrong-passphrase');
  assert.deepEqual(before.facts.unlockTiers?.map((t) => t.tier), ['kernel-keyring', 'keyring']);
  const out = await unlock(FIXTURE_PASSPHRASE);
  assert.equal(out.storedIn, 'session-file');
  assert.equal(readFileSync(sessionFile(), 'utf8'), FIXTURE_PASSPHRASE);
  const after = await probeVault();
  assert.deepEqual([after.facts.state, after.facts.unlockTiers], ['unlocked', undefined]);
});
