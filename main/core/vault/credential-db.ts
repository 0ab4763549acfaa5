/**
 * terok's credential DB: SQLCipher 4 (passphrase-keyed, PBKDF2), schema v3.
 * Opened through SQLite3MultipleCiphers in `sqlcipher` legacy-4 mode, which
 * reads and writes the same files as terok's sqlcipher3 binding.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { chmodSync, closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { createHash, pbkdf2 } from 'node:crypto';
import path from 'node:path';
import { pemToPkcs8Der, sshFingerprint } from './openssh-key.ts';
import { pythonJsonDumps, type PyJson } from '../host/python-json.ts';
import { SetupError } from '../errors.ts';

export const SCHEMA_VERSION = 3;

type DB = InstanceType<typeof Database>;

/** The file does not decrypt with the passphrase given (and nothing about it says it is damaged). */
export class WrongPassphraseError extends SetupError {
  constructor(dbPath: string, other?: { code: string; message: string }) {
    super(other?.code ?? 'vault-wrong-passphrase', other?.message ?? `could not decrypt ${dbPath}: wrong passphrase, or the DB was created with a different key`);
  }
}

/**
 * The file at the DB path cannot be a credential database at all (damaged,
 * truncated, some other file, a directory). A WrongPassphraseError too, so
 * every caller that says "nothing was stored" for an undecryptable DB says
 * it here as well — but its own code and message say what is really wrong.
 */
export class NotADbError extends WrongPassphraseError {
  constructor(dbPath: string, why: string) {
    super(dbPath, { code: 'vault-corrupt', message: `${dbPath} is not a usable credential database: ${why}; it was left as it is (keep a copy before you replace it)` });
  }
}

export class PlaintextDbError extends SetupError {
  constructor(dbPath: string) {
    super('vault-plaintext', `${dbPath} is an unencrypted (legacy) SQLite file; run setup to encrypt it in place (terok-sandbox credentials encrypt-db)`);
  }
}

export class DbLockedError extends SetupError {
  constructor(dbPath: string) {
    super('vault-locked', `${dbPath} is locked by another process (a running terok supervisor?); find it with: fuser -v ${dbPath}`);
  }
}

const SQLITE_MAGIC = 'SQLite format 3\0';

/** True when the file is a readable, unencrypted SQLite database. */
export function isPlaintextSqlite(dbPath: string): boolean {
  try {
    if (statSync(dbPath).size < 16) return false;
    const fd = openSync(dbPath, 'r');
    try {
      const buf = Buffer.alloc(16);
      readSync(fd, buf, 0, 16, 0);
      return buf.toString('latin1') === SQLITE_MAGIC;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * What sits at the DB path, told from the file alone: no passphrase, never
 * opened as a database, nothing written.
 *   absent      nothing there
 *   empty       zero bytes and no write-ahead log holding data: nothing was ever stored
 *   encrypted   could be SQLCipher (only its passphrase can tell)
 *   plaintext   a legacy unencrypted SQLite file
 *   corrupt     cannot be a SQLCipher or SQLite file (why says what gives it away)
 *   not-a-file  a directory, a FIFO, a dangling link …
 *   unreadable  there, but this user cannot read it
 */
export type DbFile =
  | { kind: 'absent' }
  | { kind: 'empty' }
  | { kind: 'encrypted'; size: number }
  | { kind: 'plaintext' }
  | { kind: 'corrupt'; why: string }
  | { kind: 'not-a-file'; what: string }
  | { kind: 'unreadable'; why: string };

/** The smallest SQLite/SQLCipher page; every database file is a whole number of pages. */
const MIN_PAGE = 512;

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code;

function fileTypeOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device';
  return 'not a regular file';
}

export function inspectDbFile(dbPath: string): DbFile {
  let st: Stats;
  try {
    st = statSync(dbPath);
  } catch (err) {
    const code = errno(err);
    if (code === 'ENOENT') {
      try {
        if (lstatSync(dbPath).isSymbolicLink()) return { kind: 'not-a-file', what: 'a symbolic link to a missing file' };
      } catch { /* really absent */ }
      return { kind: 'absent' };
    }
    if (code === 'ELOOP') return { kind: 'not-a-file', what: 'a symbolic link loop' };
    if (code === 'ENOTDIR') return { kind: 'not-a-file', what: 'below something that is not a directory' };
    return { kind: 'unreadable', why: code === 'EACCES' ? 'permission denied on its directory' : (err as Error).message };
  }
  if (!st.isFile()) return { kind: 'not-a-file', what: fileTypeOf(st) };
  if (st.size === 0) {
    let wal = 0;
    try { wal = statSync(`${dbPath}-wal`).size; } catch { /* no log */ }
    if (wal > 0) return { kind: 'corrupt', why: `it is empty, but its write-ahead log ${dbPath}-wal holds ${wal} bytes that were never written back` };
    return { kind: 'empty' };
  }
  let head: Buffer;
  try {
    const fd = openSync(dbPath, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      head = Buffer.alloc(Math.min(st.size, 4096));
      head = head.subarray(0, readSync(fd, head, 0, head.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    return { kind: 'unreadable', why: errno(err) === 'EACCES' ? 'permission denied' : (err as Error).message };
  }
  if (head.length >= 16 && head.subarray(0, 16).toString('latin1') === SQLITE_MAGIC) return { kind: 'plaintext' };
  if (st.size % MIN_PAGE !== 0) return { kind: 'corrupt', why: `its size (${st.size} bytes) is not a whole number of database pages (truncated, or some other file)` };
  // An encrypted page is random-looking: 4 KiB of it without a single byte ≥ 0x80 is text or zeros, never ciphertext.
  if (!head.some((b) => b >= 0x80)) return { kind: 'corrupt', why: 'its first page is plain text or zeros, not encrypted data' };
  return { kind: 'encrypted', size: st.size };
}

/** The NotADbError for a file inspectDbFile rules out, else null. */
function notADb(dbPath: string, file: DbFile): NotADbError | null {
  if (file.kind === 'corrupt') return new NotADbError(dbPath, file.why);
  if (file.kind === 'not-a-file') return new NotADbError(dbPath, `it is ${file.what}`);
  return null;
}

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS credentials (
  credential_set TEXT NOT NULL,
  provider TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (credential_set, provider)
);
CREATE TABLE IF NOT EXISTS ssh_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key_type TEXT NOT NULL CHECK (key_type IN ('ed25519','rsa')),
  private_der BLOB NOT NULL,
  public_blob BLOB NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  fingerprint TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE IF NOT EXISTS ssh_key_assignments (
  scope TEXT NOT NULL,
  key_id INTEGER NOT NULL REFERENCES ssh_keys(id) ON DELETE CASCADE,
  assigned_at TEXT NOT NULL DEFAULT (datetime('now')),
  PRIMARY KEY (scope, key_id)
);
CREATE TABLE IF NOT EXISTS proxy_tokens (
  token TEXT PRIMARY KEY,
  scope TEXT NOT NULL,
  subject TEXT NOT NULL,
  credential_set TEXT NOT NULL,
  provider TEXT NOT NULL
);
`;

/** SQLCipher 4's KDF: PBKDF2-HMAC-SHA512, 256 000 rounds, 32-byte key, the file's first 16 bytes as salt. */
const KDF_ROUNDS = 256_000;
const derivedKeys = new Map<string, Buffer>();

/**
 * Derive the page key the way SQLCipher 4 would, but asynchronously (node's
 * thread pool) and once per process for a given passphrase and file salt:
 * the ~¼ s derivation then never blocks the main process, and later probe
 * sweeps skip it. Null when the file has no salt to read (absent, too short,
 * or plaintext SQLite).
 */
export async function deriveRawKey(dbPath: string, passphrase: string): Promise<string | null> {
  if (!passphrase) throw new Error('refusing an empty vault passphrase (it would mean "unencrypted")');
  let salt: Buffer;
  try {
    const fd = openSync(dbPath, 'r');
    try {
      salt = Buffer.alloc(16);
      if (readSync(fd, salt, 0, 16, 0) < 16) return null;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  if (salt.toString('latin1') === SQLITE_MAGIC) return null;
  const cacheKey = createHash('sha256').update(passphrase).update('\0').update(salt).digest('hex');
  let key = derivedKeys.get(cacheKey);
  if (!key) {
    key = await new Promise<Buffer>((resolve, reject) => pbkdf2(passphrase, salt, KDF_ROUNDS, 32, 'sha512', (e, k) => (e ? reject(e) : resolve(k))));
    if (derivedKeys.size > 16) derivedKeys.clear();
    derivedKeys.set(cacheKey, key);
  }
  return `x'${key.toString('hex')}${salt.toString('hex')}'`;
}

/** Forget derived keys (the vault was locked, or a benchmark wants a cold start). */
export function forgetDerivedKeys(): void {
  derivedKeys.clear();
}

/** `secret` is a passphrase, or a raw key literal (`x'…'`) from deriveRawKey. */
function keyed(dbPath: string, secret: string, readonly: boolean, raw = false): DB {
  if (!secret) throw new Error('refusing an empty vault passphrase (it would mean "unencrypted")');
  const db = new Database(dbPath, { readonly, fileMustExist: readonly, timeout: 2000 });
  try {
    db.pragma(`cipher='sqlcipher'`);
    db.pragma('legacy=4');
    // The key goes through a bound-free pragma; escape single quotes SQL-style.
    db.pragma(raw ? `key="${secret}"` : `key='${secret.replace(/'/g, "''")}'`);
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_NOTADB') {
      if (isPlaintextSqlite(dbPath)) throw new PlaintextDbError(dbPath);
      throw notADb(dbPath, inspectDbFile(dbPath)) ?? new WrongPassphraseError(dbPath);
    }
    if (code === 'SQLITE_CORRUPT') throw new NotADbError(dbPath, 'it decrypts, but its pages are damaged');
    if (isLockError(err)) throw new DbLockedError(dbPath);
    throw err;
  }
}

/** SQLite's busy/locked family (or our DbLockedError), raised while opening or while writing. */
export function isLockError(err: unknown): boolean {
  if (err instanceof DbLockedError) return true;
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || /database is locked/i.test((err as Error).message ?? '');
}

function withLockHint<T>(dbPath: string, body: () => T): T {
  try {
    return body();
  } catch (err) {
    if (isLockError(err)) throw new DbLockedError(dbPath);
    throw err;
  }
}

/** terok's v2→v3 re-keying of provider values from agent names to provider names. */
export const PROVIDER_RENAMES: readonly (readonly [string, string])[] = [
  ['claude', 'anthropic'], ['codex', 'openai'], ['vibe', 'mistral'], ['gh', 'github'], ['glab', 'gitlab'], ['sonar', 'sonarcloud'],
];

const columnsOf = (db: DB, table: string): string[] =>
  (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((r) => r.name);

/** Bring any v0–v3 file to v3; a fresh or empty DB just gets the schema. */
function migrate(db: DB, dbPath: string): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > SCHEMA_VERSION) {
    throw new Error(`${dbPath} has schema version ${version}, newer than this wizard understands (${SCHEMA_VERSION}); update Terok Setup`);
  }
  if (version === SCHEMA_VERSION) {
    db.exec(SCHEMA_SQL); // idempotent; repairs a table dropped by hand
    return;
  }
  db.transaction(() => {
    // v0 → v1: OpenSSH PEM private keys become PKCS#8 DER; hex fingerprints become SHA256:<b64>.
    if (columnsOf(db, 'ssh_keys').includes('private_pem')) {
      const rows = db.prepare('SELECT id, private_pem, public_blob, fingerprint FROM ssh_keys').all() as { id: number; private_pem: string | Buffer; public_blob: Buffer; fingerprint: string }[];
      db.exec('ALTER TABLE ssh_keys RENAME COLUMN private_pem TO private_der');
      const update = db.prepare('UPDATE ssh_keys SET private_der = ?, fingerprint = ? WHERE id = ?');
      for (const r of rows) {
        const der = pemToPkcs8Der(Buffer.isBuffer(r.private_pem) ? r.private_pem.toString('utf8') : r.private_pem);
        const fp = r.fingerprint.startsWith('SHA256:') ? r.fingerprint : sshFingerprint(r.public_blob);
        update.run(der, fp, r.id);
      }
    }
    // v1 → v2: proxy_tokens.task is now subject.
    if (columnsOf(db, 'proxy_tokens').includes('task')) db.exec('ALTER TABLE proxy_tokens RENAME COLUMN task TO subject');
    db.exec(SCHEMA_SQL);
    // v2 → v3: UPDATE OR IGNORE, so a clash keeps the old row (as terok does).
    if (version < 3) {
      for (const table of ['credentials', 'proxy_tokens']) {
        const stmt = db.prepare(`UPDATE OR IGNORE ${table} SET provider = ? WHERE provider = ?`);
        for (const [from, to] of PROVIDER_RENAMES) stmt.run(to, from);
      }
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

export interface SshKeyRow {
  id: number;
  key_type: 'ed25519' | 'rsa';
  fingerprint: string;
  comment: string;
  created_at: string;
  /** The public key (wire format); never the private half. */
  public_blob: Buffer;
}

export class CredentialDb {
  private readonly db: DB;
  readonly dbPath: string;

  private constructor(db: DB, dbPath: string) {
    this.db = db;
    this.dbPath = dbPath;
  }

  /** Read-only open of an existing DB (probes: never creates, never migrates). */
  static openReadOnly(dbPath: string, passphrase: string): CredentialDb {
    return new CredentialDb(keyed(dbPath, passphrase, true), dbPath);
  }

  /** Read-only open that derives the key off the main thread (and reuses it): what probes use. */
  static async openReadOnlyAsync(dbPath: string, passphrase: string): Promise<CredentialDb> {
    const raw = await deriveRawKey(dbPath, passphrase);
    return new CredentialDb(raw ? keyed(dbPath, raw, true, true) : keyed(dbPath, passphrase, true), dbPath);
  }

  /**
   * Writer open: creates the file (0600, parent 0700) and the v3 schema when
   * absent, migrates v0–v2 files, WAL journal, foreign keys on.
   */
  static open(dbPath: string, passphrase: string): CredentialDb {
    // Never open (and so never let SQLite reset a journal of) a file that cannot be a DB: it stays as found.
    const refused = notADb(dbPath, inspectDbFile(dbPath));
    if (refused) throw refused;
    mkdirSync(path.dirname(dbPath), { recursive: true, mode: 0o700 });
    const fresh = !existsSync(dbPath);
    const db = keyed(dbPath, passphrase, false);
    try {
      if (fresh) chmodSync(dbPath, 0o600);
      withLockHint(dbPath, () => {
        if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
        db.pragma('foreign_keys = ON');
        migrate(db, dbPath);
      });
    } catch (err) {
      db.close();
      throw err;
    }
    return new CredentialDb(db, dbPath);
  }

  close(): void {
    this.db.close();
  }

  /** `PRAGMA user_version`: 3 for terok's current schema, lower for a DB no writer has migrated yet. */
  schemaVersion(): number {
    return Number(this.db.pragma('user_version', { simple: true }));
  }

  loadCredential(credentialSet: string, provider: string): Record<string, unknown> | null {
    const row = this.db.prepare('SELECT data FROM credentials WHERE credential_set = ? AND provider = ?').get(credentialSet, provider) as { data: string } | undefined;
    if (!row) return null;
    try {
      const parsed: unknown = JSON.parse(row.data);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  storeCredential(credentialSet: string, provider: string, data: Record<string, unknown>): void {
    this.db.prepare('INSERT OR REPLACE INTO credentials (credential_set, provider, data) VALUES (?, ?, ?)').run(credentialSet, provider, pythonJsonDumps(data as PyJson));
  }

  listCredentials(credentialSet: string): string[] {
    return (this.db.prepare('SELECT provider FROM credentials WHERE credential_set = ? ORDER BY provider').all(credentialSet) as { provider: string }[]).map((r) => r.provider);
  }

  listSshKeysForScope(scope: string): SshKeyRow[] {
    return this.db.prepare(
      `SELECT k.id, k.key_type, k.fingerprint, k.comment, k.created_at, k.public_blob
         FROM ssh_key_assignments a JOIN ssh_keys k ON k.id = a.key_id
        WHERE a.scope = ? ORDER BY a.assigned_at, k.id`,
    ).all(scope) as SshKeyRow[];
  }

  /** Raw handle for the vault modules that own more of the schema (SSH keys, tokens). */
  get raw(): DB {
    return this.db;
  }
}
