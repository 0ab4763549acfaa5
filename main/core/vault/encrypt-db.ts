/**
 * Encrypting a legacy plaintext credentials.db in place (pre-0.8 terok),
 * the way terok does it: a 0600 tar.gz backup of the DB and its sidecars
 * next to it first, then the encrypted copy renamed over the original — the
 * plaintext file is never half-converted, and a failure leaves it untouched.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Runner } from '../host/process.ts';
import { CredentialDb } from './credential-db.ts';

const SIDECARS = ['-wal', '-shm', '-journal'] as const;

function stampForName(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

/** tar.gz of the DB and whichever sidecars exist, created 0600 whatever the umask. */
export async function backupPlaintextDb(run: Runner, dbPath: string, now = new Date(), signal?: AbortSignal): Promise<string> {
  const dir = path.dirname(dbPath);
  const base = path.basename(dbPath);
  const name = `${base}.plaintext-backup-${stampForName(now)}.tar.gz`;
  const members = [base, ...SIDECARS.map((s) => base + s).filter((f) => existsSync(path.join(dir, f)))];
  // Built inside a private (0700) staging dir, so the archive is never readable by others, even briefly.
  const staging = mkdtempSync(path.join(dir, '.backup-'));
  try {
    const archive = path.join(staging, name);
    await run('tar', ['-czf', archive, '-C', dir, '--', ...members], { timeoutMs: 120_000, signal });
    chmodSync(archive, 0o600);
    const target = path.join(dir, name);
    renameSync(archive, target);
    return target;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Re-key a copy of the plaintext DB with SQLCipher 4 and swap it in. */
export function encryptDbInPlace(dbPath: string, passphrase: string): void {
  if (!passphrase) throw new Error('refusing an empty vault passphrase (it would leave the DB unencrypted)');
  const tmp = `${dbPath}.encrypting`;
  const cleanup = () => { for (const f of [tmp, ...SIDECARS.map((s) => tmp + s)]) rmSync(f, { force: true }); };
  cleanup();
  try {
    copyFileSync(dbPath, tmp);
    if (existsSync(dbPath + '-wal')) copyFileSync(dbPath + '-wal', tmp + '-wal');
    chmodSync(tmp, 0o600);
    const db = new Database(tmp, { timeout: 2000 });
    try {
      db.pragma('journal_mode = DELETE'); // folds the copied WAL in; rekey needs a rollback journal
      db.pragma(`cipher='sqlcipher'`);
      db.pragma('legacy=4');
      db.pragma(`rekey='${passphrase.replace(/'/g, "''")}'`);
    } finally {
      db.close();
    }
    CredentialDb.openReadOnly(tmp, passphrase).close(); // proves the copy opens with the new key
    renameSync(tmp, dbPath);
    for (const s of SIDECARS) rmSync(dbPath + s, { force: true });
  } catch (err) {
    cleanup();
    throw err;
  }
}

