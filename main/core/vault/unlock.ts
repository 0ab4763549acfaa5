/**
 * Unlocking a locked vault with its recovery key, as terok-sandbox's
 * `vault unlock` does (spec §8.3): the key must open the existing
 * credential DB (read-only, always closed), a durable tier that already
 * resolves the vault is never shadowed, and only then is the key cached —
 * by default in the kernel keyring (`@u`, the same key description and
 * session-file fallback the resolver reads; see passphrase.ts). The login
 * keyring is offered too where the host has one, so the vault opens again
 * after the next login.
 *
 * A wrong key stores nothing. The key travels only to the DB opener and on
 * stdin of keyctl / secret-tool; no message here ever contains it.
 */
import path from 'node:path';
import type { HostContext } from '../host/context.ts';
import type { TerokConfig } from '../host/config.ts';
import type { TerokPaths } from '../host/paths.ts';
import { SetupError } from '../errors.ts';
import { CredentialDb, inspectDbFile, NotADbError, PlaintextDbError, WrongPassphraseError } from './credential-db.ts';
import { BrokenTierError, resolvePassphrase, sessionDigest, type TierName } from './passphrase.ts';
import { storeInTier, tierChoices, tierUnusable, type StoredIn, type TierChoice } from './provisioning.ts';
import { confirmRecoveryKey, recoveryConfirmed } from './recovery-key.ts';

export type UnlockTier = 'kernel-keyring' | 'keyring';
export const UNLOCK_TIERS: readonly UnlockTier[] = ['kernel-keyring', 'keyring'];
/** terok's `vault unlock` caches in the kernel keyring. */
export const DEFAULT_UNLOCK_TIER: UnlockTier = 'kernel-keyring';

/** A generated key is 43 characters; a typed passphrase may be longer, but not this long. */
export const MAX_RECOVERY_KEY_LENGTH = 1024;

const DURABLE: ReadonlySet<TierName> = new Set(['systemd-creds', 'keyring', 'passphrase-command']);

export type UnlockFailure = 'vault-wrong-key' | 'vault-durable-tier' | 'vault-no-db' | 'vault-unlock';

export class UnlockError extends SetupError {
  constructor(code: UnlockFailure, message: string, opts: { hint?: string } = {}) {
    super(code, message, opts);
  }
}

/** The tiers unlock can cache in, with whether this host has each (the same availability the install's chooser uses). */
export async function unlockChoices(ctx: HostContext, signal?: AbortSignal): Promise<(TierChoice & { tier: UnlockTier })[]> {
  const all = await tierChoices(ctx, signal);
  return UNLOCK_TIERS.map((t) => all.find((c) => c.tier === t)! as TierChoice & { tier: UnlockTier });
}

/** Why these params cannot be an unlock request (checked before the vault is touched), or null. The message never shows the key. */
export function unlockParamsError(recoveryKey: unknown, tier: unknown): string | null {
  if (typeof recoveryKey !== 'string') return 'recoveryKey must be a string';
  const key = recoveryKey.replace(/[\r\n]+$/, '');
  if (!key.trim()) return 'the recovery key is empty; paste the key you saved when the vault was set up';
  if (key.length > MAX_RECOVERY_KEY_LENGTH) return `the recovery key is longer than ${MAX_RECOVERY_KEY_LENGTH} characters; paste only the key`;
  if (/[\r\n]/.test(key)) return 'the recovery key is a single line; paste only the key';
  if (tier !== undefined && tier !== null && !(UNLOCK_TIERS as readonly unknown[]).includes(tier)) {
    return `tier must be one of: ${UNLOCK_TIERS.join(', ')}`;
  }
  return null;
}

/** The key as terok reads one line: the line ending goes, everything else is the key. */
export const normalizeRecoveryKey = (raw: string): string => raw.replace(/[\r\n]+$/, '');

/**
 * The durable tier that already resolves the vault (or is configured and
 * fails closed), or null — terok's no-shadow guard. Only the tier's name
 * leaves this function.
 */
async function activeDurableSource(ctx: HostContext, paths: TerokPaths, config: TerokConfig, signal?: AbortSignal): Promise<TierName | null> {
  try {
    const pass = await resolvePassphrase(ctx, paths, config, signal);
    return pass && DURABLE.has(pass.source) ? pass.source : null;
  } catch (err) {
    if (err instanceof BrokenTierError) return err.tier;
    throw err;
  }
}

export interface UnlockOutcome {
  tier: UnlockTier;
  /** Where the key landed: the kernel keyring, its session-file fallback, or the login keyring. */
  storedIn: StoredIn;
  dbPath: string;
  /** What terok's `vault unlock` prints for the same outcome (no secret in them). */
  lines: string[];
  /** The key was typed and opened the DB, so the user has it: its "saved" marker was written (if it was missing). */
  recoveryConfirmed: boolean;
}

function successLines(storedIn: StoredIn, paths: TerokPaths): string[] {
  const first = storedIn === 'kernel-keyring'
    ? '→ cached passphrase in the kernel keyring (RAM-only, cleared at logout)'
    : storedIn === 'session-file'
      ? `→ wrote passphrase to ${path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb))} (RAM-backed, cleared on reboot)`
      : '→ stored passphrase in the login keyring (opens the vault again at every login)';
  return [first, '  verified: the value opens the credentials DB'];
}

export const wrongKeyMessage = (dbPath: string) => `that passphrase does not open ${dbPath} — nothing was written.`;
const WRONG_KEY_HINT = "Check that it is the recovery key saved for this computer's vault, copied whole and without extra characters.";

export async function unlockVault(
  ctx: HostContext,
  paths: TerokPaths,
  config: TerokConfig,
  request: { recoveryKey: string; tier?: UnlockTier },
  signal?: AbortSignal,
): Promise<UnlockOutcome> {
  const bad = unlockParamsError(request.recoveryKey, request.tier);
  if (bad) throw new UnlockError('vault-unlock', bad);
  const key = normalizeRecoveryKey(request.recoveryKey);
  const tier = request.tier ?? DEFAULT_UNLOCK_TIER;
  const dbPath = paths.credentialDb;

  // What the file alone says: there must be an encrypted DB to unlock.
  const file = inspectDbFile(dbPath);
  if (file.kind === 'absent' || file.kind === 'empty') {
    throw new UnlockError('vault-no-db', `there is no vault to unlock: ${dbPath} ${file.kind === 'absent' ? 'does not exist' : 'is empty'}; installing the sandbox services sets the vault up`);
  }
  if (file.kind === 'plaintext') throw new UnlockError('vault-unlock', new PlaintextDbError(dbPath).message);
  if (file.kind === 'corrupt') throw new UnlockError('vault-unlock', new NotADbError(dbPath, file.why).message);
  if (file.kind === 'not-a-file') throw new UnlockError('vault-unlock', new NotADbError(dbPath, `it is ${file.what}`).message);
  if (file.kind === 'unreadable') throw new UnlockError('vault-unlock', `${dbPath} cannot be read: ${file.why}`);

  const durable = await activeDurableSource(ctx, paths, config, signal);
  if (durable) {
    throw new UnlockError('vault-durable-tier',
      `vault already auto-unlocks via ${durable}; not caching the passphrase (${durable} is read first, so a cached copy would never be used, and it would be lost on the next reboot).`,
      { hint: 'See terok\'s view of the vault with: terok-sandbox vault status' });
  }
  const unusable = await tierUnusable(ctx, tier, signal);
  if (unusable) throw unusable;

  let db: CredentialDb;
  try {
    db = await CredentialDb.openReadOnlyAsync(dbPath, key);
  } catch (err) {
    if (err instanceof NotADbError) throw new UnlockError('vault-unlock', err.message);
    if (err instanceof WrongPassphraseError) throw new UnlockError('vault-wrong-key', wrongKeyMessage(dbPath), { hint: WRONG_KEY_HINT });
    throw err;
  }
  db.close();
  signal?.throwIfAborted();

  const storedIn = await storeInTier(ctx, paths, tier, key, signal);
  return { tier, storedIn, dbPath, lines: successLines(storedIn, paths), recoveryConfirmed: confirmHeldKey(paths) };
}

/**
 * Whoever just unlocked with the recovery key holds it: the wizard stops
 * asking them to save it (terok's marker; a pending copy goes). A marker
 * that cannot be written leaves the unlock done and the reminder in place.
 */
function confirmHeldKey(paths: TerokPaths): boolean {
  if (recoveryConfirmed(paths)) return true;
  try {
    confirmRecoveryKey(paths);
    return true;
  } catch {
    return false;
  }
}
