/**
 * Write access to the credential DB for setup steps (store a key, mint an SSH
 * key): resolve the passphrase without prompting, open (creating the DB when
 * absent, as terok does on first store), run the body, always close. Every
 * failure becomes a VaultWriteError whose message says what is wrong, where,
 * and how to fix it — and never carries the passphrase or a stored secret.
 */
import type { HostContext } from '../host/context.ts';
import type { TerokConfig } from '../host/config.ts';
import type { TerokPaths } from '../host/paths.ts';
import { CredentialDb, isLockError, PlaintextDbError, WrongPassphraseError } from './credential-db.ts';
import { BrokenTierError, resolvePassphrase } from './passphrase.ts';
import { SetupError } from '../errors.ts';

export type VaultWriteFailure = 'vault-locked' | 'vault-no-passphrase' | 'vault-unavailable';

export class VaultWriteError extends SetupError {
  readonly code: VaultWriteFailure;

  constructor(code: VaultWriteFailure, message: string) {
    super(code, message);
    this.code = code;
  }
}

export const UNLOCK_HINT = 'run `terok-sandbox vault unlock` (or `terok-setup unlock`, or the Vault page of Terok Setup) to provide the vault passphrase for this session';

function asVaultWriteError(err: unknown, dbPath: string): unknown {
  if (err instanceof VaultWriteError) return err;
  if (isLockError(err)) {
    return new VaultWriteError('vault-locked', `the credential database ${dbPath} is locked by another process (a running terok supervisor or vault?); nothing was stored — wait for it to finish and try again, or find it with: fuser -v ${dbPath}`);
  }
  if (err instanceof BrokenTierError) return new VaultWriteError('vault-no-passphrase', `${err.message}; nothing was stored`);
  if (err instanceof WrongPassphraseError || err instanceof PlaintextDbError) return new VaultWriteError('vault-unavailable', `${err.message}; nothing was stored`);
  return err;
}

export async function withWritableVault<T>(
  ctx: HostContext,
  paths: TerokPaths,
  config: TerokConfig,
  body: (db: CredentialDb) => T,
  signal?: AbortSignal,
): Promise<T> {
  const dbPath = paths.credentialDb;
  let db: CredentialDb;
  try {
    const pass = await resolvePassphrase(ctx, paths, config, signal);
    if (!pass) throw new VaultWriteError('vault-no-passphrase', `no SQLCipher passphrase available for ${dbPath}; nothing was stored — ${UNLOCK_HINT}`);
    db = CredentialDb.open(dbPath, pass.value);
  } catch (err) {
    throw asVaultWriteError(err, dbPath);
  }
  try {
    return body(db);
  } catch (err) {
    throw asVaultWriteError(err, dbPath);
  } finally {
    db.close();
  }
}
