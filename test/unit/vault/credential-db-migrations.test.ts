/** Real SQLCipher-4 files: schema, migrations v0–v2 → v3, and the failure outcomes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3-multiple-ciphers';
import { execFileSync, spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CredentialDb, DbLockedError, PlaintextDbError, SCHEMA_VERSION, WrongPassphraseError, isPlaintextSqlite } from '../../../main/core/vault/credential-db.ts';
import { backupPlaintextDb, encryptDbInPlace } from '../../../main/core/vault/encrypt-db.ts';
import { runCommand } from '../../../main/core/host/process.ts';

const PASS = 'correct horse battery staple';

function tmpDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'terok-vault-test-'));
}

function rawEncrypted(file: string, passphrase = PASS) {
  const db = new Database(file);
  db.pragma(`cipher='sqlcipher'`);
  db.pragma('legacy=4');
  db.pragma(`key='${passphrase}'`);
  return db;
}

test('fresh DB: SQLCipher-encrypted, schema v3, WAL, foreign keys, 0600 in a 0700 dir', () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'vault', 'credentials.db');
    const db = CredentialDb.open(file, PASS);
    assert.equal(db.raw.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.raw.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(db.raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    const tables = (db.raw.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    assert.deepEqual(tables, ['credentials', 'proxy_tokens', 'ssh_key_assignments', 'ssh_keys']);
    db.storeCredential('default', 'anthropic', { type: 'api_key', key: 'sk-x' });
    db.close();
    assert.equal(isPlaintextSqlite(file), false);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    // Round trip through an independent SQLCipher-4 connection.
    const raw = rawEncrypted(file);
    assert.deepEqual(JSON.parse((raw.prepare('SELECT data FROM credentials').get() as { data: string }).data), { type: 'api_key', key: 'sk-x' });
    raw.close();
    assert.deepEqual(CredentialDb.open(file, PASS).loadCredential('default', 'anthropic'), { type: 'api_key', key: 'sk-x' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wrong passphrase → WrongPassphraseError naming the file', () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'credentials.db');
    CredentialDb.open(file, PASS).close();
    assert.throws(() => CredentialDb.open(file, 'nope'), (e: Error) => e instanceof WrongPassphraseError && e.message.includes(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plaintext DB → PlaintextDbError; encrypt in place keeps data, drops sidecars, 0600 backup tarball with sidecars', async () => {
  const dir = tmpDir();
  const oldUmask = process.umask(0o022);
  try {
    const file = path.join(dir, 'credentials.db');
    const plain = new Database(file);
    plain.pragma('journal_mode = WAL');
    plain.exec("CREATE TABLE credentials (credential_set TEXT NOT NULL, provider TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (credential_set, provider)); INSERT INTO credentials VALUES ('default','claude','{\"key\":\"k\"}')");
    assert.ok(existsSync(file + '-wal'));
    assert.equal(isPlaintextSqlite(file), true);
    assert.throws(() => CredentialDb.open(file, PASS), PlaintextDbError);

    const backup = await backupPlaintextDb(runCommand, file);
    assert.match(path.basename(backup), /^credentials\.db\.plaintext-backup-\d{8}-\d{6}\.tar\.gz$/);
    assert.equal(statSync(backup).mode & 0o777, 0o600);
    const members = execFileSync('tar', ['-tzf', backup], { encoding: 'utf8' }).trim().split('\n').sort();
    assert.deepEqual(members, ['credentials.db', 'credentials.db-shm', 'credentials.db-wal']);
    plain.close();

    encryptDbInPlace(file, PASS);
    assert.equal(isPlaintextSqlite(file), false);
    assert.equal(existsSync(file + '-wal'), false);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('encrypting')), []);
    const db = CredentialDb.open(file, PASS);
    assert.deepEqual(db.loadCredential('default', 'anthropic'), { key: 'k' }, 'v2→v3 re-keys claude to anthropic');
    db.close();
    assert.throws(() => encryptDbInPlace(file, ''), /empty vault passphrase/);
  } finally {
    process.umask(oldUmask);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a DB locked by another process → DbLockedError with the fuser hint', async () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'credentials.db');
    const db = CredentialDb.open(file, PASS);
    db.raw.pragma('user_version = 2'); // forces the next open to write (migrate)
    db.close();
    const holder = spawn(process.execPath, ['-e', `
      const Database = require(${JSON.stringify(require_resolve())});
      const db = new Database(${JSON.stringify(file)});
      db.pragma("cipher='sqlcipher'"); db.pragma('legacy=4'); db.pragma(${JSON.stringify(`key='${PASS}'`)});
      db.exec('BEGIN EXCLUSIVE'); db.exec("INSERT INTO credentials VALUES ('s','p','{}')");
      console.log('locked'); setTimeout(() => {}, 20000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => { if (d.toString().includes('locked')) resolve(); });
        holder.on('exit', () => reject(new Error('lock holder exited early')));
      });
      assert.throws(() => CredentialDb.open(file, PASS), (e: Error) => e instanceof DbLockedError && e.message.includes(`fuser -v ${file}`));
    } finally {
      holder.kill('SIGKILL');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function require_resolve(): string {
  return path.resolve(import.meta.dirname, '../../../node_modules/better-sqlite3-multiple-ciphers');
}

test('v0 → v3: OpenSSH PEM keys become PKCS#8 DER, hex fingerprints SHA256, task → subject, providers re-keyed', () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'credentials.db');
    const raw = rawEncrypted(file);
    raw.exec(`
      CREATE TABLE credentials (credential_set TEXT NOT NULL, provider TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (credential_set, provider));
      CREATE TABLE ssh_keys (id INTEGER PRIMARY KEY AUTOINCREMENT, key_type TEXT NOT NULL, private_pem TEXT NOT NULL, public_blob BLOB NOT NULL,
        comment TEXT NOT NULL DEFAULT '', fingerprint TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL DEFAULT (datetime('now')));
      CREATE TABLE ssh_key_assignments (scope TEXT NOT NULL, key_id INTEGER NOT NULL REFERENCES ssh_keys(id) ON DELETE CASCADE,
        assigned_at TEXT NOT NULL DEFAULT (datetime('now')), PRIMARY KEY (scope, key_id));
      CREATE TABLE proxy_tokens (token TEXT PRIMARY KEY, scope TEXT NOT NULL, task TEXT NOT NULL, credential_set TEXT NOT NULL, provider TEXT NOT NULL);
      INSERT INTO credentials VALUES ('default', 'claude', '{"k":1}'), ('default', 'codex', '{"k":2}'), ('default', 'openai', '{"k":"kept"}');
      INSERT INTO proxy_tokens VALUES ('terok-p-1', 'proj', 'task-1', 'default', 'gh');
    `);
    const insert = raw.prepare('INSERT INTO ssh_keys (key_type, private_pem, public_blob, fingerprint) VALUES (?, ?, ?, ?)');
    const keys: { type: string; pem: string; blob: Buffer }[] = [];
    for (const [type, args] of [['ed25519', ['-t', 'ed25519']], ['rsa', ['-t', 'rsa', '-b', '2048']]] as const) {
      const keyFile = path.join(dir, `id_${type}`);
      execFileSync('ssh-keygen', [...args, '-N', '', '-q', '-C', 'tk-main:proj', '-f', keyFile]);
      const pem = readFileSync(keyFile, 'utf8');
      const blob = Buffer.from(readFileSync(keyFile + '.pub', 'utf8').split(' ')[1]!, 'base64');
      keys.push({ type, pem, blob });
      insert.run(type, pem, blob, `deadbeef${type}`);
    }
    raw.close();

    const db = CredentialDb.open(file, PASS);
    assert.equal(db.raw.pragma('user_version', { simple: true }), 3);
    assert.deepEqual(db.listCredentials('default'), ['anthropic', 'codex', 'openai'], 'a clash (codex→openai) keeps the old row');
    const token = db.raw.prepare('SELECT subject, provider FROM proxy_tokens').get();
    assert.deepEqual({ ...(token as object) }, { subject: 'task-1', provider: 'github' });
    const rows = db.raw.prepare('SELECT key_type, private_der, public_blob, fingerprint FROM ssh_keys ORDER BY id').all() as { key_type: string; private_der: Buffer; public_blob: Buffer; fingerprint: string }[];
    for (const [i, row] of rows.entries()) {
      const fromDer = createPrivateKey({ key: row.private_der, format: 'der', type: 'pkcs8' });
      assert.equal(row.public_blob.equals(keys[i]!.blob), true);
      assert.equal(row.fingerprint, execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path.join(dir, `id_${keys[i]!.type}.pub`)], { encoding: 'utf8' }).split(' ')[1]);
      // Same key pair: the DER key's public half equals the key material in the SSH public blob.
      const jwk = createPublicKey(fromDer).export({ format: 'jwk' });
      const material = Buffer.from((row.key_type === 'ed25519' ? jwk.x : jwk.n)!, 'base64url');
      assert.ok(row.public_blob.subarray(row.public_blob.length - material.length).equals(material), `${row.key_type} key material`);
    }
    db.close();
    // Idempotent: opening again changes nothing.
    const again = CredentialDb.open(file, PASS);
    assert.deepEqual(again.listCredentials('default'), ['anthropic', 'codex', 'openai']);
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a schema newer than v3 is refused with an update hint', () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'credentials.db');
    const raw = rawEncrypted(file);
    raw.pragma('user_version = 4');
    raw.close();
    assert.throws(() => CredentialDb.open(file, PASS), /schema version 4, newer than .*update Terok Setup/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
