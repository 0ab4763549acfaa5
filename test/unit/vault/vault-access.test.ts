/**
 * readVault and inspectDbFile against real files: every vault state gets its
 * own problem (not set up, an empty file, locked, a broken tier, a wrong
 * passphrase, plaintext, damaged, a directory, a FIFO, a dangling link,
 * unreadable), told from the file where the file alone can tell, and the
 * writer never opens a file that cannot be a DB. Hosts get no inherited
 * PATH, so no real keyctl or secret-tool is asked for anything.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { loadTerokConfig } from '../../../main/core/host/config.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { CredentialDb, DbLockedError, inspectDbFile, NotADbError, PlaintextDbError, WrongPassphraseError } from '../../../main/core/vault/credential-db.ts';
import { readVault, vaultProblemOf } from '../../../main/core/vault/vault-access.ts';
import { createVaultFixture, FIXTURE_PASSPHRASE, provideSessionPassphrase } from '../../support/fixtures.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import Database from 'better-sqlite3-multiple-ciphers';

const ROOT_SKIP = { skip: process.getuid?.() === 0 ? 'root ignores file modes' : false };
let host: SandboxHost;
afterEach(() => host?.cleanup());

const newHost = () => (host = createSandboxHost({ inheritPath: false }));
const paths = () => resolvePaths(host.ctx);
const read = () => readVault(host.ctx, paths(), loadTerokConfig(host.ctx), (db) => db.listCredentials('default'));
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function problem() {
  const r = await read();
  assert.equal(r.status, 'unavailable', JSON.stringify(r));
  return r as Extract<typeof r, { status: 'unavailable' }>;
}

test('no DB, no passphrase → not-set-up (file absent); with a passphrase → empty', async () => {
  newHost();
  assert.deepEqual(await problem(), { status: 'unavailable', problem: 'not-set-up', reason: `no SQLCipher passphrase available for ${paths().credentialDb}`, source: null, file: 'absent' });
  provideSessionPassphrase(host);
  assert.deepEqual(await read(), { status: 'empty', source: 'kernel-keyring', file: 'absent' });
});

test('a zero-byte DB is not-set-up without a passphrase and empty with one — never locked', async () => {
  newHost();
  const db = host.write(paths().credentialDb, '', 0o600);
  const r = await problem();
  assert.equal(r.problem, 'not-set-up');
  assert.equal(r.file, 'empty');
  provideSessionPassphrase(host);
  assert.deepEqual(await read(), { status: 'empty', source: 'kernel-keyring', file: 'empty' });
  assert.equal(readFileSync(db).length, 0, 'still zero bytes');
});

test('a zero-byte DB whose write-ahead log holds data is corrupt (its data may be in the log), not empty', async () => {
  newHost();
  host.write(paths().credentialDb, '', 0o600);
  host.write(`${paths().credentialDb}-wal`, 'x'.repeat(4096), 0o600);
  const r = await problem();
  assert.equal(r.problem, 'corrupt');
  assert.match(r.reason, /it is empty, but its write-ahead log .*credentials\.db-wal holds 4096 bytes/);
});

test('DB present, no tier → no-passphrase (locked)', async () => {
  newHost();
  createVaultFixture(host);
  rmSync(paths().vaultSessionDir, { recursive: true });
  const r = await problem();
  assert.equal(r.problem, 'no-passphrase');
  assert.equal(r.file, 'encrypted');
  assert.match(r.reason, /no SQLCipher passphrase available/);
});

test('a broken tier → broken-tier, with the tier\'s own words', async () => {
  newHost();
  createVaultFixture(host);
  host.write(paths().sealedPassphrase, 'sealed-blob', 0o600);
  const r = await problem();
  assert.equal(r.problem, 'broken-tier');
  assert.match(r.reason, /cannot be unsealed: systemd-creds not found/);
});

test('a tier that yields the wrong passphrase → wrong-passphrase, naming the tier; the DB is unchanged', async () => {
  newHost();
  const db = createVaultFixture(host, { credentials: [{ set: 'default', provider: 'anthropic', data: { type: 'api_key', key: 'k' } }] });
  const before = sha(db);
  provideSessionPassphrase(host, 'not-the-right-one');
  const r = await problem();
  assert.equal(r.problem, 'wrong-passphrase');
  assert.equal(r.source, 'kernel-keyring');
  assert.equal(sha(db), before);
  provideSessionPassphrase(host);
  assert.deepEqual(await read(), { status: 'ok', value: ['anthropic'], source: 'kernel-keyring' });
});

test('text, a truncated DB and a zeroed page are corrupt, told from the file before any tier is asked', async () => {
  newHost();
  // A tier that would fail loudly if asked: the file alone must decide.
  host.write(paths().sealedPassphrase, 'sealed-blob', 0o600);
  const db = paths().credentialDb;
  const cases: [Buffer, RegExp][] = [
    [Buffer.from('my notes\n'), /size \(9 bytes\) is not a whole number of database pages/],
    [Buffer.alloc(4096), /first page is plain text or zeros/],
    [Buffer.from('a'.repeat(1024)), /first page is plain text or zeros/],
  ];
  for (const [bytes, why] of cases) {
    host.write(db, '', 0o600);
    writeFileSync(db, bytes);
    const r = await problem();
    assert.equal(r.problem, 'corrupt', why.source);
    assert.match(r.reason, why);
    assert.match(r.reason, /is not a usable credential database: .*; it was left as it is/);
    assert.deepEqual(readFileSync(db), bytes, 'left as it is');
  }
  // A real DB cut short mid-page.
  rmSync(db);
  rmSync(paths().sealedPassphrase);
  const real = createVaultFixture(host);
  writeFileSync(real, readFileSync(real).subarray(0, 5000));
  assert.equal((await problem()).problem, 'corrupt');
});

test('a DB that decrypts but has damaged pages → corrupt (from SQLite\'s own check)', async () => {
  newHost();
  const db = createVaultFixture(host, { credentials: [{ set: 'default', provider: 'anthropic', data: { type: 'api_key', key: 'k' } }] });
  const bytes = readFileSync(db);
  bytes.fill(7, 4096); // every page after the first: the schema decrypts, the tables do not
  writeFileSync(db, bytes);
  const r = await problem();
  assert.equal(r.problem, 'corrupt');
  assert.equal(r.source, 'kernel-keyring');
});

test('a directory, a FIFO and a dangling link at the DB path → not-a-file (never opened)', async () => {
  newHost();
  provideSessionPassphrase(host);
  const db = paths().credentialDb;
  mkdirSync(db, { recursive: true });
  assert.deepEqual(inspectDbFile(db), { kind: 'not-a-file', what: 'a directory' });
  assert.match((await problem()).reason, /credentials\.db is a directory, not a database file$/);
  rmSync(db, { recursive: true });
  assert.equal(spawnSync('mkfifo', [db]).status, 0);
  // Opening a FIFO would block forever; the probe must come back.
  assert.equal((await problem()).problem, 'not-a-file');
  assert.deepEqual(inspectDbFile(db), { kind: 'not-a-file', what: 'a named pipe' });
  rmSync(db);
  symlinkSync(path.join(host.root, 'nowhere'), db);
  assert.deepEqual(inspectDbFile(db), { kind: 'not-a-file', what: 'a symbolic link to a missing file' });
});

test('a legacy plaintext DB → plaintext, with terok\'s encrypt-db hint', async () => {
  newHost();
  const file = host.write(paths().credentialDb, '');
  const plain = new Database(file);
  plain.exec('CREATE TABLE credentials (credential_set TEXT, provider TEXT, data TEXT)');
  plain.close();
  const r = await problem();
  assert.equal(r.problem, 'plaintext');
  assert.match(r.reason, /unencrypted \(legacy\) SQLite file; run setup to encrypt it in place/);
});

test('a DB this user cannot read → unreadable', ROOT_SKIP, async () => {
  newHost();
  const db = createVaultFixture(host);
  chmodSync(db, 0o000);
  try {
    const r = await problem();
    assert.equal(r.problem, 'unreadable');
    assert.match(r.reason, /cannot be read: permission denied/);
  } finally {
    chmodSync(db, 0o600);
  }
});

test('the writer refuses a file that cannot be a DB and leaves it byte for byte; a wrong key is still WrongPassphraseError', () => {
  newHost();
  const dir = paths().vaultDir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = path.join(dir, 'credentials.db');
  writeFileSync(db, 'not a database\n');
  assert.throws(() => CredentialDb.open(db, FIXTURE_PASSPHRASE), (e: unknown) => e instanceof NotADbError && e instanceof WrongPassphraseError && e.failureCode === 'vault-corrupt');
  assert.equal(readFileSync(db, 'utf8'), 'not a database\n');
  rmSync(db);
  CredentialDb.open(db, FIXTURE_PASSPHRASE).close();
  assert.throws(() => CredentialDb.open(db, 'nope'), (e: unknown) => e instanceof WrongPassphraseError && !(e instanceof NotADbError));
});

test('vaultProblemOf maps the DB errors', () => {
  assert.equal(vaultProblemOf(new NotADbError('/x', 'y')), 'corrupt');
  assert.equal(vaultProblemOf(new WrongPassphraseError('/x')), 'wrong-passphrase');
  assert.equal(vaultProblemOf(new PlaintextDbError('/x')), 'plaintext');
  assert.equal(vaultProblemOf(new DbLockedError('/x')), 'busy');
  assert.equal(vaultProblemOf(Object.assign(new Error('x'), { code: 'SQLITE_BUSY' })), 'busy');
  assert.equal(vaultProblemOf(Object.assign(new Error('x'), { code: 'SQLITE_CANTOPEN' })), 'unreadable');
  assert.equal(vaultProblemOf(new Error('something else')), 'error');
});
