/**
 * Read-only access to the credential DB for probes: resolve the passphrase
 * without prompting, open without creating, always close. Any failure becomes
 * a reason string — a probe never prompts and never throws.
 */
import { existsSync } from 'node:fs';
import type { HostContext } from '../host/context.ts';
import type { TerokConfig } from '../host/config.ts';
import type { TerokPaths } from '../host/paths.ts';
import { CredentialDb } from './credential-db.ts';
import { resolvePassphrase, type ResolvedPassphrase, type TierName } from './passphrase.ts';

export type VaultRead<T> =
  | { status: 'ok'; value: T; source: TierName }
  /** A tier resolves but there is no DB yet — terok would create an empty one. */
  | { status: 'empty'; source: TierName }
  | { status: 'unavailable'; reason: string };

export async function readVault<T>(
  ctx: HostContext,
  paths: TerokPaths,
  config: TerokConfig,
  read: (db: CredentialDb) => T,
  opts: { signal?: AbortSignal; passphrase?: Promise<ResolvedPassphrase | null> } = {},
): Promise<VaultRead<T>> {
  let pass: ResolvedPassphrase | null;
  try {
    pass = await (opts.passphrase ?? resolvePassphrase(ctx, paths, config, opts.signal));
  } catch (err) {
    return { status: 'unavailable', reason: (err as Error).message };
  }
  if (!pass) return { status: 'unavailable', reason: `no SQLCipher passphrase available for ${paths.credentialDb}` };
  if (!existsSync(paths.credentialDb)) return { status: 'empty', source: pass.source };
  let db: CredentialDb;
  try {
    db = await CredentialDb.openReadOnlyAsync(paths.credentialDb, pass.value);
  } catch (err) {
    return { status: 'unavailable', reason: (err as Error).message };
  }
  try {
    return { status: 'ok', value: read(db), source: pass.source };
  } catch (err) {
    return { status: 'unavailable', reason: (err as Error).message };
  } finally {
    db.close();
  }
}
