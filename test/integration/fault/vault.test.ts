/**
 * Fault suite: the credential vault in every state a user's machine can
 * leave it in — no DB, a zero-byte DB (with and without a passphrase, with
 * a write-ahead log holding data), locked, a broken passphrase tier, a wrong
 * passphrase, a text file, damaged pages, a legacy plaintext DB, a
 * directory or a FIFO where the DB belongs, an unreadable DB, a vault dir
 * and DB other users can read — and the repair of those modes. Each case
 * runs the real `terok-setup check --json` in-process (and, where a write
 * would be tempting, `terok-setup auth … --api-key-stdin`) and asserts what
 * the user reads (the vault step's message and headline; terok's own
 * `credential database unavailable` lines, byte for byte), the step status
 * and the exit code, and that nothing was lost: the sha256 and mode of
 * every file in the sandbox (HOME, the runtime dir with the session
 * passphrase, the fake system dirs) are the same before and after (SQLite's
 * -wal/-shm sidecars, which a read-only open leaves, aside), and the DB
 * still opens with its passphrase and holds its rows.
 *
 * Real: SQLCipher-4 files (SQLite3MultipleCiphers), the session-file
 * passphrase tier, passphrase_command, config.yml, FIFOs, symlinks, file
 * modes, the engine and the CLI. Faked: the home (a sandbox HOME with its
 * own XDG dirs); podman (a script answering `version` and `image exists`
 * for the L1 alias); git; terok's shield hooks and setup stamp (fixture
 * files); keyctl (always fails, so the real user keyring is never touched
 * and the passphrase lives in the session file).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { main } from '../../../main/cli/index.ts';
import { Engine } from '../../../main/core/engine.ts';
import { resolvePaths, type TerokPaths } from '../../../main/core/host/paths.ts';
import { l1AliasTag } from '../../../main/core/images/tags.ts';
import type { ReadinessReport } from '../../../main/core/steps/readiness.ts';
import { CredentialDb } from '../../../main/core/vault/credential-db.ts';
import { repairSecretModes } from '../../../main/core/vault/secret-modes.ts';
import { captureStreams } from '../../support/auth-harness.ts';
import { assertUnchanged, snapshotTree, type TreeSnapshot } from '../../support/fault.ts';
import { createVaultFixture, FIXTURE_PASSPHRASE, installShieldHooksFixture, provideSessionPassphrase, writeStampFixture } from '../../support/fixtures.ts';
import { createSandboxHost, installFakePodman, type SandboxHost } from '../../support/host.ts';
import { failingKeyctl } from '../../support/sandbox-install.ts';
import { createTerokFixture } from '../../support/terok-fixture.ts';
import { setupEngine } from '../../support/engine.ts';

const ROOT_SKIP = { skip: process.getuid?.() === 0 ? 'root ignores file modes' : false };
const BASE = 'ubuntu:24.04';
const STORED = { set: 'default', provider: 'anthropic', data: { type: 'api_key', key: 'fixture-key-not-a-secret' } };
const NEW_KEY = 'sk-ant-fault-0123456789abcdefNEWKEY';
const UNAVAILABLE = 'credential database unavailable';

let host: SandboxHost;
let paths: TerokPaths;
afterEach(() => host?.cleanup());

// ---- harness -------------------------------------------------------------------

/** A host where terok's gate passes except for what the vault says; the user already has files in HOME. */
function faultHost(): void {
  host = createSandboxHost({ inheritPath: false });
  installFakePodman(host).addImage(l1AliasTag(BASE));
  host.writeBin('git', '#!/bin/sh\nexit 0\n');
  failingKeyctl(host);
  installShieldHooksFixture(host);
  writeStampFixture(host);
  host.write(path.join(host.home, '.config/terok/config.yml'), `# my terok settings\nimage:\n  base_image: ${BASE}\n`);
  host.write(path.join(host.home, '.ssh/id_ed25519'), 'placeholder, not a key\n', 0o600);
  paths = resolvePaths(host.ctx);
}

const engine = (): Engine => setupEngine(host.ctx);

type Step = ReadinessReport['steps'][number];

async function check(): Promise<{ code: number; vault: Step; ssh: Step; credentials: Step; report: ReadinessReport }> {
  const cli = captureStreams();
  const code = await main(['check', '--json'], cli.io, engine());
  const report = JSON.parse(cli.out()) as ReadinessReport;
  const step = (id: string) => report.steps.find((s) => s.id === id)!;
  return { code, vault: step('vault'), ssh: step('ssh'), credentials: step('credentials'), report };
}

/** terok's two vault-reading lines, exactly as `check` prints them. */
async function gateLines(): Promise<string[]> {
  const cli = captureStreams();
  await main(['check'], cli.io, engine());
  return cli.out().split('\n').filter((l) => /^ {2}(ssh key|claude credentials) /.test(l));
}

/** `terok-setup auth claude --api-key-stdin` with a new key. */
async function storeKey(): Promise<{ code: number; err: string }> {
  const cli = captureStreams(NEW_KEY);
  const code = await main(['auth', 'claude', '--api-key-stdin'], cli.io, engine());
  assert.ok(!(cli.out() + cli.err()).includes(NEW_KEY), 'the key is never echoed');
  return { code, err: cli.err() };
}

const SIDECARS = (rel: string) => /credentials\.db-(wal|shm)$/.test(rel);
/** The whole sandbox: HOME, the runtime dir (session passphrases), the fake system dirs. */
const before = (): TreeSnapshot => snapshotTree(host.root);
const nothingLost = (snap: TreeSnapshot) => assertUnchanged(snap, snapshotTree(host.root), SIDECARS);
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The DB opens with its passphrase and still holds the row it was made with. */
function stillOpens(db = paths.credentialDb): void {
  const open = CredentialDb.openReadOnly(db, FIXTURE_PASSPHRASE);
  try {
    assert.deepEqual(open.loadCredential(STORED.set, STORED.provider), STORED.data);
  } finally {
    open.close();
  }
}

const realVault = () => createVaultFixture(host, { credentials: [STORED] });
const dropPassphrase = () => rmSync(paths.vaultSessionDir, { recursive: true, force: true });
const bothUnavailable = async () => assert.deepEqual(await gateLines(), [`  ssh key                FAIL (${UNAVAILABLE})`, `  claude credentials     FAIL (${UNAVAILABLE})`]);

// ---- the states ------------------------------------------------------------------

test('no DB, no passphrase: not set up; terok\'s lines say unavailable; ready (exit 0); nothing created', async () => {
  faultHost();
  const snap = before();
  const r = await check();
  assert.equal(r.code, 0);
  assert.equal(r.report.verdict.ready, true);
  assert.deepEqual([r.vault.status, r.vault.result.message], ['not-set-up', 'not set up']);
  assert.equal(r.vault.explanation.headline, 'The vault is not set up yet; installing the sandbox services creates it.');
  assert.deepEqual([r.ssh.status, r.credentials.status], ['not-set-up', 'not-set-up']);
  assert.equal(r.credentials.explanation.headline, 'The vault is not set up yet, so credentials cannot be read or stored. Set up the sandbox services first (Sandbox page).');
  await bothUnavailable();
  assert.equal(existsSync(paths.credentialDb), false);
  nothingLost(snap);
});

test('a zero-byte credentials.db, no passphrase: not set up (empty database file) — never "locked" or "encrypted"', async () => {
  faultHost();
  mkdirSync(paths.vaultDir, { recursive: true, mode: 0o700 });
  host.write(paths.credentialDb, '', 0o600);
  const snap = before();
  const r = await check();
  assert.equal(r.code, 0);
  assert.deepEqual([r.vault.status, r.vault.result.message], ['not-set-up', 'not set up (empty database file)']);
  assert.match(r.vault.explanation.headline, /^The vault is not set up yet: credentials\.db is an empty file \(0 bytes\), so nothing was ever stored in it and there is nothing to unlock\. Installing the sandbox services sets the vault up in its place\.$/);
  for (const s of [r.vault, r.ssh, r.credentials]) assert.doesNotMatch(s.explanation.headline, /locked|encrypted/, s.id);
  assert.deepEqual([r.ssh.status, r.credentials.status], ['not-set-up', 'not-set-up']);
  await bothUnavailable();
  // The sandbox page offers the tier choice (the empty file is no provisioned vault).
  const sandbox = r.report.steps.find((s) => s.id === 'sandbox')!;
  assert.equal((sandbox.facts as { vault: { provisioned: boolean } }).vault.provisioned, false);
  assert.equal(lstatSync(paths.credentialDb).size, 0);
  nothingLost(snap);
});

test('a zero-byte credentials.db with a passphrase: unlocked, nothing stored; terok\'s lines say not found / none registered', async () => {
  faultHost();
  provideSessionPassphrase(host);
  mkdirSync(paths.vaultDir, { recursive: true, mode: 0o700 });
  host.write(paths.credentialDb, '', 0o600);
  const snap = before();
  const r = await check();
  assert.deepEqual([r.code, r.vault.status, r.vault.result.message], [0, 'ok', 'unlocked (kernel-keyring)']);
  assert.equal(r.vault.explanation.headline, 'The vault is unlocked (no credentials stored yet: its database file is empty).');
  assert.deepEqual(await gateLines(), ["  ssh key                FAIL (none registered for 'standalone')", '  claude credentials     FAIL (not found)']);
  assert.equal(lstatSync(paths.credentialDb).size, 0, 'the probe did not write into it');
  nothingLost(snap);
});

test('locked (DB there, no tier holds its passphrase): "locked" with the unlock command; the DB is untouched and still opens', async () => {
  faultHost();
  const db = realVault();
  dropPassphrase();
  const snap = before();
  const r = await check();
  assert.deepEqual([r.code, r.vault.status, r.vault.result.message], [0, 'locked', 'locked']);
  assert.match(r.vault.explanation.headline, /^The vault is locked: its database exists, but no keyring holds its passphrase/);
  assert.deepEqual(r.vault.explanation.commands, [{ label: 'Or unlock it in a terminal', command: 'terok-sandbox vault unlock' }]);
  assert.deepEqual([r.ssh.status, r.credentials.status], ['locked', 'locked']);
  assert.equal(r.ssh.explanation.headline, 'The vault is locked (no keyring holds its passphrase), so keys cannot be read or generated. Unlock it first (Vault page).');
  assert.deepEqual([r.ssh.explanation.prerequisite, r.credentials.explanation.prerequisite], [{ step: 'vault', label: 'Unlock the vault' }, { step: 'vault', label: 'Unlock the vault' }]);
  await bothUnavailable();
  nothingLost(snap);
  stillOpens(db);
});

test('a wrong passphrase: its own state, naming the tier; a store attempt stores nothing (exit 2); the DB is byte-identical and opens with the right one', async () => {
  faultHost();
  const db = realVault();
  provideSessionPassphrase(host, 'a-passphrase-from-another-install');
  const snap = before();
  const digest = sha(db);
  const r = await check();
  assert.deepEqual([r.code, r.vault.status, r.vault.result.message], [0, 'locked', 'wrong passphrase']);
  assert.match(r.vault.explanation.headline, /^The vault does not open: the passphrase from kernel-keyring does not fit its database .* Nothing was changed\./);
  assert.equal((r.vault.facts as { state: string }).state, 'wrong-passphrase');
  assert.equal(r.credentials.status, 'locked');
  assert.match(r.credentials.explanation.headline, /^The vault does not open with the passphrase found for it/);
  await bothUnavailable();
  const store = await storeKey();
  assert.equal(store.code, 2);
  assert.match(store.err, /^Error: could not decrypt .*credentials\.db: wrong passphrase, or the DB was created with a different key; nothing was stored\n/);
  assert.equal(sha(db), digest);
  nothingLost(snap);
  stillOpens(db);
});

test('a broken tier (passphrase_command prints nothing): locked, passphrase store unreadable, with its reason', async () => {
  faultHost();
  const db = realVault();
  dropPassphrase();
  host.write(path.join(host.home, '.config/terok/config.yml'), `image:\n  base_image: ${BASE}\ncredentials:\n  passphrase_command: /bin/true\n`);
  const snap = before();
  const r = await check();
  assert.deepEqual([r.code, r.vault.status, r.vault.result.message], [0, 'locked', 'locked (passphrase store unreadable)']);
  assert.match(r.vault.explanation.headline, /^The vault is locked: a passphrase store is configured but cannot be read \(passphrase_command produced no passphrase; check credentials\.passphrase_command in config\.yml\)/);
  assert.equal(r.ssh.status, 'locked');
  await bothUnavailable();
  nothingLost(snap);
  stillOpens(db);
});

test('a text file at credentials.db: damaged database (status error), told before any tier is asked; a store is refused, the file byte-identical', async () => {
  faultHost();
  provideSessionPassphrase(host);
  mkdirSync(paths.vaultDir, { recursive: true, mode: 0o700 });
  const notes = 'my notes, saved here by mistake\n';
  host.write(paths.credentialDb, notes, 0o600);
  const snap = before();
  const r = await check();
  assert.deepEqual([r.code, r.vault.status, r.vault.result.message], [0, 'error', 'damaged database']);
  assert.match(r.vault.explanation.headline, /^The vault's database is damaged or is not a credential database \(.*its size \(32 bytes\) is not a whole number of database pages.*\)\. It was not changed\. Keep a copy/);
  assert.deepEqual(r.vault.explanation.commands?.[0], { label: 'Keep a copy', command: `cp -p ${paths.credentialDb} ${paths.credentialDb}.damaged` });
  assert.deepEqual([r.ssh.status, r.credentials.status], ['error', 'error']);
  assert.match(r.credentials.explanation.headline, /^The vault's database cannot be read, so credentials cannot be read or stored\. The Vault page says/);
  await bothUnavailable();
  const store = await storeKey();
  assert.equal(store.code, 2);
  assert.match(store.err, /is not a usable credential database: .*; it was left as it is .*; nothing was stored/);
  assert.equal(readFileSync(paths.credentialDb, 'utf8'), notes);
  nothingLost(snap);
});

test('a real DB with damaged pages: damaged database; the bytes stay as they were', async () => {
  faultHost();
  const db = realVault();
  const bytes = readFileSync(db);
  bytes.fill(0x5a, 4096);
  writeFileSync(db, bytes);
  const snap = before();
  const r = await check();
  assert.deepEqual([r.code, r.vault.status, r.vault.result.message], [0, 'error', 'damaged database']);
  assert.match(r.vault.explanation.headline, /^The vault's database is damaged or is not a credential database/);
  await bothUnavailable();
  assert.deepEqual(readFileSync(db), bytes);
  nothingLost(snap);
});

test('a zero-byte DB whose write-ahead log holds data: damaged, not "empty" — neither file is touched, a store is refused', async () => {
  faultHost();
  provideSessionPassphrase(host);
  mkdirSync(paths.vaultDir, { recursive: true, mode: 0o700 });
  host.write(paths.credentialDb, '', 0o600);
  const wal = host.write(`${paths.credentialDb}-wal`, 'x'.repeat(8192), 0o600);
  const digest = sha(wal);
  const r = await check();
  assert.deepEqual([r.vault.status, r.vault.result.message], ['error', 'damaged database']);
  assert.match(r.vault.explanation.headline, /it is empty, but its write-ahead log .*credentials\.db-wal holds 8192 bytes/);
  assert.equal((await storeKey()).code, 2);
  assert.equal(sha(wal), digest, 'the log that may hold the data is untouched');
  assert.equal(lstatSync(paths.credentialDb).size, 0);
});

test('a directory where credentials.db belongs: "not a database file"; its contents are untouched; a store is refused', async () => {
  faultHost();
  provideSessionPassphrase(host);
  const inside = host.write(path.join(paths.credentialDb, 'something-of-mine.txt'), 'keep me\n');
  const snap = before();
  const r = await check();
  assert.deepEqual([r.code, r.vault.status, r.vault.result.message], [0, 'error', 'not a database file']);
  assert.match(r.vault.explanation.headline, /^The vault cannot live here: .*credentials\.db is not a database file \(.*is a directory, not a database file\)\. Look at what is there/);
  assert.deepEqual(r.vault.explanation.commands?.[0], { label: 'See what is there', command: `ls -la ${paths.credentialDb}` });
  await bothUnavailable();
  assert.equal((await storeKey()).code, 2);
  assert.equal(readFileSync(inside, 'utf8'), 'keep me\n');
  nothingLost(snap);
});

test('a FIFO at credentials.db: "not a database file", and check comes back (it is never opened)', async () => {
  faultHost();
  provideSessionPassphrase(host);
  mkdirSync(paths.vaultDir, { recursive: true, mode: 0o700 });
  assert.equal(spawnSync('mkfifo', [paths.credentialDb]).status, 0);
  const snap = before();
  const started = Date.now();
  const r = await check();
  assert.ok(Date.now() - started < 20_000);
  assert.deepEqual([r.code, r.vault.status, r.vault.result.message], [0, 'error', 'not a database file']);
  assert.match(r.vault.explanation.headline, /is a named pipe/);
  await bothUnavailable();
  assert.ok(lstatSync(paths.credentialDb).isFIFO());
  nothingLost(snap);
});

test('a legacy plaintext DB: "unencrypted (legacy database)", setup is the fix; its rows are untouched', async () => {
  faultHost();
  mkdirSync(paths.vaultDir, { recursive: true, mode: 0o700 });
  const plain = new Database(paths.credentialDb);
  plain.exec("CREATE TABLE credentials (credential_set TEXT, provider TEXT, data TEXT); INSERT INTO credentials VALUES ('default', 'anthropic', '{}')");
  plain.close();
  chmodSync(paths.credentialDb, 0o600);
  const snap = before();
  const r = await check();
  assert.deepEqual([r.code, r.vault.status, r.vault.result.message], [0, 'not-set-up', 'unencrypted (legacy database)']);
  assert.match(r.vault.explanation.headline, /^The vault is an unencrypted \(legacy\) SQLite database\. Installing the sandbox services encrypts it in place and keeps a 0600 backup/);
  assert.match(r.credentials.explanation.headline, /^The vault is an unencrypted legacy database, so credentials cannot be read or stored/);
  await bothUnavailable();
  nothingLost(snap);
});

test('a DB this user cannot read: "unreadable", with the chown fix; mode and bytes unchanged', ROOT_SKIP, async () => {
  faultHost();
  const db = realVault();
  chmodSync(db, 0o000);
  const snap = before();
  try {
    const r = await check();
    assert.deepEqual([r.code, r.vault.status, r.vault.result.message], [0, 'error', 'unreadable']);
    assert.match(r.vault.explanation.headline, /^The vault's database cannot be read \(.*permission denied\)\. It may belong to another user/);
    assert.ok(r.vault.explanation.commands?.some((c) => c.command === `sudo chown "$USER": ${db}`));
    await bothUnavailable();
    nothingLost(snap);
  } finally {
    chmodSync(db, 0o600);
  }
  stillOpens(db);
});

// ---- file modes ------------------------------------------------------------------

test('a vault dir other users can list (0755): unlocked but degraded, `chmod 700 <dir>`; the probe changes no mode', async () => {
  faultHost();
  const db = realVault();
  chmodSync(paths.vaultDir, 0o755);
  const snap = before();
  const r = await check();
  assert.deepEqual([r.code, r.vault.status, r.vault.result.message], [0, 'degraded', 'unlocked (kernel-keyring); files readable by others']);
  assert.match(r.vault.explanation.headline, /^The vault is unlocked, but other users on this computer can read or list its files \(vault directory\)\. Tighten them/);
  assert.deepEqual(r.vault.explanation.commands?.filter((c) => c.group === 'File permissions'), [{ label: 'Tighten the vault directory', command: `chmod 700 ${paths.vaultDir}`, group: 'File permissions' }]);
  assert.equal(r.vault.state, 'warning');
  assert.deepEqual(await gateLines(), ["  ssh key                FAIL (none registered for 'standalone')", '  claude credentials     ok (stored)'], 'terok\'s lines do not change');
  nothingLost(snap);
  stillOpens(db);
});

test('a DB other users can read (0644, as terok leaves it under umask 022): degraded, `chmod 600 <db>`', async () => {
  faultHost();
  const db = realVault();
  chmodSync(db, 0o644);
  const snap = before();
  const r = await check();
  assert.deepEqual([r.code, r.vault.status], [0, 'degraded']);
  assert.ok(r.vault.explanation.commands?.some((c) => c.command === `chmod 600 ${db}`));
  assert.ok(r.vault.explanation.details?.some((d) => d.label === 'Too open' && d.value === `${db} is 0644, should be 0600`));
  nothingLost(snap);
  stillOpens(db);
});

test('the repair tightens the dir, the DB, routes and the session file — bytes unchanged, links and other files left alone; then check is ok', async () => {
  faultHost();
  const db = realVault();
  chmodSync(paths.vaultDir, 0o775);
  chmodSync(db, 0o664);
  host.write(paths.routesJson, '{}\n', 0o644);
  const [session] = readdirSync(paths.vaultSessionDir).map((n) => path.join(paths.vaultSessionDir, n));
  chmodSync(session!, 0o644);
  const mine = host.write(path.join(host.home, 'Documents/mine.txt'), 'mine\n', 0o644);
  symlinkSync(mine, path.join(paths.vaultDir, 'credential_audit.jsonl'));
  const other = host.write(path.join(paths.vaultDir, 'not-vault-material.txt'), 'other\n', 0o644);
  const digests = [sha(db), sha(paths.routesJson), sha(session!), sha(mine), sha(other)];
  const snap = before();
  const repair = repairSecretModes(paths);
  assert.deepEqual(repair.failed, []);
  assert.deepEqual(repair.changed.map((c) => [c.path, c.from, c.to]), [
    [db, 0o664, 0o600],
    [paths.routesJson, 0o644, 0o600],
    [session, 0o644, 0o600],
    [paths.vaultDir, 0o775, 0o700],
  ]);
  // Only those four modes changed; every byte, link and other file is as it was.
  const modes = new Set([db, paths.routesJson, session!, paths.vaultDir].map((p) => path.relative(host.root, p)));
  assertUnchanged(snap, snapshotTree(host.root), (rel) => modes.has(rel));
  assert.deepEqual([sha(db), sha(paths.routesJson), sha(session!), sha(mine), sha(other)], digests);
  assert.equal(lstatSync(mine).mode & 0o777, 0o644, 'the link target outside the vault is untouched');
  assert.equal(lstatSync(other).mode & 0o777, 0o644, 'a file that is not vault material is untouched');
  assert.deepEqual(repairSecretModes(paths), { changed: [], failed: [] }, 'a second run changes nothing');
  const r = await check();
  assert.deepEqual([r.code, r.vault.status, r.vault.result.message], [0, 'ok', 'unlocked (kernel-keyring)']);
  stillOpens(db);
});

test('install repairs what check reports: a 0755 vault dir and a 0644 DB are degraded before, 0700/0600 after, the change is logged, the DB still opens', async () => {
  faultHost();
  createTerokFixture(host);
  const db = realVault();
  chmodSync(paths.vaultDir, 0o755);
  chmodSync(db, 0o644);
  const seen = await check();
  assert.equal(seen.vault.status, 'degraded');
  assert.match(seen.vault.explanation.commands?.map((c) => c.command).join('\n') ?? '', /chmod 700 .*\nchmod 600 |chmod 600 .*\nchmod 700 /s);
  const cli = captureStreams();
  const code = await main(['install'], cli.io, engine());
  assert.equal(code, 0, cli.out() + cli.err());
  assert.equal(lstatSync(paths.vaultDir).mode & 0o777, 0o700);
  assert.equal(lstatSync(db).mode & 0o777, 0o600);
  assert.match(cli.out(), /0755 → 0700|755.*700/, 'the repair is said, not silent');
  const after = await check();
  assert.equal(after.vault.status, 'ok');
  stillOpens(db);
});
