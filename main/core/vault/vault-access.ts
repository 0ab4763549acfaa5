/**
 * Read-only access to the credential DB for probes: look at the file first
 * (nothing is opened that cannot be a DB), resolve the passphrase without
 * prompting, open without creating, always close. Any failure becomes a
 * typed problem with a reason string — a probe never prompts and never throws.
 *
 * The problems, each with its own fix (the steps word them):
 *   not-set-up        no DB (or a zero-byte one) and no tier holds a passphrase
 *   no-passphrase     the DB exists, no tier holds its passphrase (locked)
 *   broken-tier       a configured tier is there but cannot yield (fail closed)
 *   wrong-passphrase  a tier yields one, the DB does not open with it
 *   plaintext         a legacy unencrypted SQLite file
 *   corrupt           not SQLite, not SQLCipher, or damaged pages
 *   not-a-file        a directory (or pipe, dangling link …) where the DB belongs
 *   unreadable        the file is there but this user cannot read it
 *   busy              another process holds the DB's lock
 *   error             anything else (the reason says what)
 */
import type { HostContext } from '../host/context.ts';
import type { TerokConfig } from '../host/config.ts';
import type { TerokPaths } from '../host/paths.ts';
import { CredentialDb, DbLockedError, inspectDbFile, isLockError, NotADbError, PlaintextDbError, WrongPassphraseError, type DbFile } from './credential-db.ts';
import { resolvePassphrase, type ResolvedPassphrase, type TierName } from './passphrase.ts';

export type VaultProblem =
  | 'not-set-up' | 'no-passphrase' | 'broken-tier' | 'wrong-passphrase' | 'plaintext'
  | 'corrupt' | 'not-a-file' | 'unreadable' | 'busy' | 'error';

export type VaultRead<T> =
  | { status: 'ok'; value: T; source: TierName }
  /** A tier resolves but there is no DB yet (or a zero-byte one) — terok would create it on first use. */
  | { status: 'empty'; source: TierName; file: 'absent' | 'empty' }
  | {
    status: 'unavailable';
    problem: VaultProblem;
    /** Safe to show: paths and tier names, never the passphrase. */
    reason: string;
    /** The tier that yielded a passphrase (wrong-passphrase, or a failure after the open), else null. */
    source: TierName | null;
    /** What the file at the DB path is, told without opening it. */
    file: DbFile['kind'];
  };

/** The problem an error thrown while opening or reading the DB stands for. */
export function vaultProblemOf(err: unknown): VaultProblem {
  if (err instanceof NotADbError) return 'corrupt';
  if (err instanceof WrongPassphraseError) return 'wrong-passphrase';
  if (err instanceof PlaintextDbError) return 'plaintext';
  if (err instanceof DbLockedError || isLockError(err)) return 'busy';
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') return 'corrupt';
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'SQLITE_READONLY' || code === 'EACCES') return 'unreadable';
  return 'error';
}

export async function readVault<T>(
  ctx: HostContext,
  paths: TerokPaths,
  config: TerokConfig,
  read: (db: CredentialDb) => T,
  opts: { signal?: AbortSignal; passphrase?: Promise<ResolvedPassphrase | null> } = {},
): Promise<VaultRead<T>> {
  const dbPath = paths.credentialDb;
  const file = inspectDbFile(dbPath);
  const unavailable = (problem: VaultProblem, reason: string, source: TierName | null = null): VaultRead<T> =>
    ({ status: 'unavailable', problem, reason, source, file: file.kind });

  // What the file alone says needs no passphrase (and a tier is not asked for nothing).
  if (file.kind === 'not-a-file') return unavailable('not-a-file', `${dbPath} is ${file.what}, not a database file`);
  if (file.kind === 'unreadable') return unavailable('unreadable', `${dbPath} cannot be read: ${file.why}`);
  if (file.kind === 'corrupt') return unavailable('corrupt', new NotADbError(dbPath, file.why).message);
  if (file.kind === 'plaintext') return unavailable('plaintext', new PlaintextDbError(dbPath).message);

  let pass: ResolvedPassphrase | null;
  try {
    pass = await (opts.passphrase ?? resolvePassphrase(ctx, paths, config, opts.signal));
  } catch (err) {
    return unavailable('broken-tier', (err as Error).message);
  }
  const noDb = file.kind === 'absent' || file.kind === 'empty';
  if (!pass) return unavailable(noDb ? 'not-set-up' : 'no-passphrase', `no SQLCipher passphrase available for ${dbPath}`);
  if (noDb) return { status: 'empty', source: pass.source, file: file.kind };
  let db: CredentialDb;
  try {
    db = await CredentialDb.openReadOnlyAsync(dbPath, pass.value);
  } catch (err) {
    return unavailable(vaultProblemOf(err), (err as Error).message, pass.source);
  }
  try {
    return { status: 'ok', value: read(db), source: pass.source };
  } catch (err) {
    return unavailable(vaultProblemOf(err), (err as Error).message, pass.source);
  } finally {
    db.close();
  }
}
