/**
 * Giving the vault a passphrase and a place to live (terok-sandbox §1.5),
 * without a terminal: the wizard (or `--passphrase-tier`) picks the tier,
 * and a newly generated passphrase is handed back once to be shown as the
 * recovery key. Tiers are written exactly where terok's resolver reads them:
 *
 *   systemd-creds   `systemd-creds encrypt --user` → vault.passphrase.cred (0600)
 *   keyring         `secret-tool store` service terok-sandbox / user credentials-db,
 *                   plus `credentials.use_keyring: true` in the user config.yml
 *   kernel-keyring  `keyctl padd user <desc> @u`, else the 0600 session file
 *
 * The passphrase travels only on stdin of those commands — never in argv,
 * never in a log line.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { HostContext } from '../host/context.ts';
import { MAX_CONFIG_FILE_BYTES, writableConfigFile, type TerokConfig } from '../host/config.ts';
import { atomicWriteFile, readUserFile } from '../host/fs.ts';
import { errorText } from '../tasks/stages.ts';
import type { TerokPaths } from '../host/paths.ts';
import { CommandError } from '../host/process.ts';
import { which } from '../host/which.ts';
import { CredentialDb, inspectDbFile } from './credential-db.ts';
import { quoteInput } from '../validate.ts';
import { backupPlaintextDb, encryptDbInPlace } from './encrypt-db.ts';
import {
  KEYRING_SERVICE, KEYRING_USER, SYSTEMD_CRED_NAME, kernelKeyDescription, resolvePassphrase, sessionDigest, systemdCredsAvailability,
  type ResolvedPassphrase, type TierName,
} from './passphrase.ts';
import { SetupError } from '../errors.ts';
import { dropPendingKey, keepPendingKey, pendingKey, recoveryConfirmed } from './recovery-key.ts';

/** The recovery-key commands of terok-sandbox's own CLI (a pipx install of terok-executor always provides it). */
export const RECOVERY_REVEAL_COMMAND = 'terok-sandbox vault passphrase reveal';
export const RECOVERY_ACK_COMMAND = 'terok-sandbox vault passphrase acknowledge';

export type ProvisionableTier = 'systemd-creds' | 'keyring' | 'kernel-keyring';
export const PROVISIONABLE_TIERS: readonly ProvisionableTier[] = ['kernel-keyring', 'keyring', 'systemd-creds'];

/** A choice the operator must make, or a tier that cannot be used: the message says what to do. */
export class ProvisioningError extends SetupError {
  constructor(message: string) {
    super('vault-provisioning', message);
  }
}

/** terok's tier pre-validation message, or null when the value is acceptable. */
export function tierValidationError(tier: string): string | null {
  if ((PROVISIONABLE_TIERS as readonly string[]).includes(tier)) return null;
  return `unknown --passphrase-tier ${quoteInput(tier)}; expected one of: ${PROVISIONABLE_TIERS.join(', ')}`;
}

export const SYSTEMD_CREDS_UNAVAILABLE = '--passphrase-tier=systemd-creds requested but systemd-creds is unavailable (needs systemd ≥ 257 with the Varlink io.systemd.Credentials interface)';

/** 32 random bytes, URL-safe base64 (43 characters), like terok's `token_urlsafe(32)`. */
export const generatePassphrase = (): string => randomBytes(32).toString('base64url');

export interface TierChoice {
  tier: ProvisionableTier;
  available: boolean;
  reason?: string;
  description: string;
}

export async function tierChoices(ctx: HostContext, signal?: AbortSignal): Promise<TierChoice[]> {
  const sd = await systemdCredsAvailability(ctx, signal);
  const keyringReason = !which(ctx, 'secret-tool')
    ? 'secret-tool is not installed (package libsecret-tools / libsecret)'
    : !ctx.env.DBUS_SESSION_BUS_ADDRESS ? 'no desktop session bus, so no login keyring is reachable' : undefined;
  return [
    { tier: 'systemd-creds', available: sd.available, ...(sd.reason ? { reason: sd.reason } : {}), description: 'sealed by systemd with this machine\'s key; unlocks without a login' },
    { tier: 'keyring', available: !keyringReason, ...(keyringReason ? { reason: keyringReason } : {}), description: 'your login keyring (recommended; auto-unlocks at login)' },
    { tier: 'kernel-keyring', available: Boolean(which(ctx, 'keyctl')), ...(which(ctx, 'keyctl') ? {} : { reason: KEYCTL_MISSING }), description: 'RAM-only cache; re-unlock after logout or reboot' },
  ];
}

// ---- storing a passphrase in a tier ---------------------------------------------

async function sealWithSystemdCreds(ctx: HostContext, paths: TerokPaths, passphrase: string, signal?: AbortSignal): Promise<void> {
  const { stdout } = await ctx.run('systemd-creds', ['encrypt', '--user', `--name=${SYSTEMD_CRED_NAME}`, '--with-key=auto', '-', '-'], { timeoutMs: 15_000, signal, input: passphrase });
  atomicWriteFile(paths.sealedPassphrase, stdout, { mode: 0o600, dirMode: 0o700, refuseSymlinks: true });
}

/** `credentials.use_keyring: true` in the user config.yml, comments preserved, 0600 in a 0700 dir. */
export function persistUseKeyring(ctx: Pick<HostContext, 'env' | 'home'>): string {
  const file = writableConfigFile(ctx);
  // Only a missing file is "new": anything else unreadable stops here, before the user's config is replaced.
  let text: string;
  try {
    text = readUserFile(file, { maxBytes: MAX_CONFIG_FILE_BYTES, what: 'terok config file' }) ?? '';
  } catch (err) {
    throw new ProvisioningError(`${errorText(err)}; fix it, then re-run setup`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length) throw new ProvisioningError(`${file} is not valid YAML (${doc.errors[0]!.message.split('\n')[0]}); fix it, then re-run setup`);
  if (doc.getIn(['credentials', 'use_keyring']) === true) return file;
  if (doc.contents === null) doc.contents = doc.createNode({}) as never;
  doc.setIn(['credentials', 'use_keyring'], true);
  atomicWriteFile(file, String(doc), { mode: 0o600, dirMode: 0o700, refuseSymlinks: true });
  return file;
}

/**
 * terok reaches the kernel keyring through libkeyutils; we reach it through
 * keyctl. Without keyctl we could only write the session-file fallback,
 * which terok reads only when the kernel facility itself is unusable — so
 * the tier is refused rather than silently diverging from terok.
 */
const KEYCTL_MISSING = 'keyctl is not installed (package keyutils)';

/** Why `tier` cannot take a passphrase here (checked before one is minted), or null. */
export async function tierUnusable(ctx: HostContext, tier: ProvisionableTier, signal?: AbortSignal): Promise<ProvisioningError | null> {
  if (tier === 'systemd-creds') {
    const avail = await systemdCredsAvailability(ctx, signal);
    return avail.available ? null : new ProvisioningError(`${SYSTEMD_CREDS_UNAVAILABLE}: ${avail.reason}`);
  }
  if (tier === 'keyring') {
    if (!which(ctx, 'secret-tool')) return new ProvisioningError('the keyring tier needs secret-tool (install libsecret-tools on Debian/Ubuntu, libsecret on Fedora), or choose another tier');
    if (!ctx.env.DBUS_SESSION_BUS_ADDRESS) return new ProvisioningError('no login keyring is reachable (no desktop session bus); log in to a desktop session or choose the kernel-keyring tier');
  }
  if (tier === 'kernel-keyring' && !which(ctx, 'keyctl')) {
    return new ProvisioningError(`the kernel-keyring tier needs keyctl so terok finds the same cached passphrase: ${KEYCTL_MISSING}; install it, or choose another tier`);
  }
  return null;
}

async function storeInKeyring(ctx: HostContext, passphrase: string, signal?: AbortSignal): Promise<void> {
  const bin = which(ctx, 'secret-tool')!;
  try {
    await ctx.run(bin, ['store', '--label=terok-sandbox credentials-db', 'service', KEYRING_SERVICE, 'username', KEYRING_USER], { timeoutMs: 60_000, signal, input: passphrase });
  } catch (err) {
    const why = err instanceof CommandError ? (err.reason === 'timeout' ? 'the keyring did not answer (locked, waiting for an unlock dialog?)' : err.stderrTail || err.message) : (err as Error).message;
    throw new ProvisioningError(`could not store the passphrase in the login keyring: ${why}. Unlock the keyring and try again, or choose another tier.`);
  }
  persistUseKeyring(ctx);
}

async function storeInKernelKeyring(ctx: HostContext, paths: TerokPaths, passphrase: string, signal?: AbortSignal): Promise<'keyring' | 'session-file'> {
  const keyctl = which(ctx, 'keyctl');
  if (keyctl) {
    try {
      const { stdout } = await ctx.run(keyctl, ['padd', 'user', kernelKeyDescription(paths.credentialDb), '@u'], { timeoutMs: 5000, signal, input: passphrase });
      const id = stdout.trim();
      // Possessor: all; user: view/read/write/search/link; matches terok's 0x3f2f0000.
      if (/^\d+$/.test(id)) await ctx.run(keyctl, ['setperm', id, '0x3f2f0000'], { timeoutMs: 5000, signal, allowNonZero: true });
      return 'keyring';
    } catch { /* kernel keyring unusable here (e.g. container seccomp): fall back */ }
  }
  atomicWriteFile(path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb)), passphrase, { mode: 0o600, dirMode: 0o700, refuseSymlinks: true });
  return 'session-file';
}

/** Where a stored passphrase landed: the tier, or the kernel tier's session-file fallback. */
export type StoredIn = 'systemd-creds' | 'keyring' | 'kernel-keyring' | 'session-file';

export async function storeInTier(ctx: HostContext, paths: TerokPaths, tier: ProvisionableTier, passphrase: string, signal?: AbortSignal): Promise<StoredIn> {
  const unusable = await tierUnusable(ctx, tier, signal);
  if (unusable) throw unusable;
  if (tier === 'systemd-creds') {
    await sealWithSystemdCreds(ctx, paths, passphrase, signal);
    return 'systemd-creds';
  }
  if (tier === 'keyring') {
    await storeInKeyring(ctx, passphrase, signal);
    return 'keyring';
  }
  return (await storeInKernelKeyring(ctx, paths, passphrase, signal)) === 'keyring' ? 'kernel-keyring' : 'session-file';
}

// ---- the credentials phase -------------------------------------------------------

export interface CredentialsOutcome {
  source: TierName;
  dbPath: string;
  /** What happened to the DB. */
  db: 'created' | 'opened' | 'encrypted-in-place';
  /** Plaintext backup made before encrypting in place. */
  backup: string | null;
  /** A passphrase the user has not confirmed saving (minted now, or by an interrupted run): show it, then forget it. */
  generatedPassphrase: string | null;
  /** Whether the user confirmed saving the recovery key (see recoveryStateOf). */
  recovery: RecoveryState;
  /** Safe to show: never contains the passphrase. */
  detail: string;
}

export interface CredentialsOptions {
  tier?: ProvisionableTier;
  signal?: AbortSignal;
  /**
   * Called with a passphrase the user has not confirmed saving — newly minted
   * (already kept in the pending file) or a pending one from an interrupted
   * run — before it is stored in a tier or keys the DB, so the caller holds it
   * whatever fails afterwards. Not called for a passphrase the user saved.
   */
  onMinted?: (passphrase: string) => void;
}

export const noTierChosenHint = (invocation: string) =>
  `${invocation}: running non-interactively but no passphrase tier was chosen.\n` +
  'Choose where the vault passphrase lives and re-run:\n' +
  `  ${invocation} --passphrase-tier keyring          (login keyring; recommended on a desktop)\n` +
  `  ${invocation} --passphrase-tier kernel-keyring   (RAM only; unlock again after logout)`;

/**
 * The passphrase for a vault that has none yet: the one an interrupted run
 * minted and the user never confirmed (so a re-run keys the vault with the
 * key already shown, not a second one), else a new one — kept in the
 * pending file before anything else happens to it (a failure to keep it
 * stops here, with nothing stored anywhere).
 */
function mint(paths: TerokPaths, opts: CredentialsOptions): string {
  let value = pendingKey(paths);
  if (!value) {
    value = generatePassphrase();
    keepPendingKey(paths, value);
  }
  opts.onMinted?.(value);
  return value;
}

/** Which passphrase to use for a vault that has none yet, and whether we minted it. */
async function obtainPassphrase(ctx: HostContext, paths: TerokPaths, existing: ResolvedPassphrase | null, opts: CredentialsOptions): Promise<{ value: string; source: TierName; generated: boolean }> {
  if (opts.tier) {
    if (existing && existing.source === opts.tier) return { ...existing, generated: false };
    // A tier that cannot take it fails before anything is minted (nothing to show, nothing stored).
    if (!existing) { const unusable = await tierUnusable(ctx, opts.tier, opts.signal); if (unusable) throw unusable; }
    // Move an already resolving passphrase into the requested tier rather than minting a second one.
    const value = existing?.value ?? mint(paths, opts);
    await storeInTier(ctx, paths, opts.tier, value, opts.signal);
    return { value, source: opts.tier, generated: !existing };
  }
  if (existing) return { ...existing, generated: false };
  if ((await systemdCredsAvailability(ctx, opts.signal)).available) {
    const value = mint(paths, opts);
    await sealWithSystemdCreds(ctx, paths, value, opts.signal);
    return { value, source: 'systemd-creds', generated: true };
  }
  throw new ProvisioningError(noTierChosenHint('terok-setup install'));
}

/**
 * Make the credential DB usable non-interactively: a tier resolves its
 * passphrase and the DB opens with it at schema v3. Re-running on a ready
 * host reuses everything (no new passphrase, no rewrite).
 */
export async function ensureCredentials(ctx: HostContext, paths: TerokPaths, config: TerokConfig, opts: CredentialsOptions = {}): Promise<CredentialsOutcome> {
  const dbPath = paths.credentialDb;
  const existing = await resolvePassphrase(ctx, paths, config, opts.signal);
  // A zero-byte file never held anything: it takes the new-vault path (it is not "encrypted, locked").
  const file = inspectDbFile(dbPath);
  const dbExists = file.kind !== 'absent' && file.kind !== 'empty';
  const plaintext = file.kind === 'plaintext';

  const pending = pendingKey(paths);
  if (dbExists && !plaintext) {
    // Encrypted already: only its own passphrase will do — never mint over it.
    if (!existing) {
      // An interrupted run keyed the DB with a key it had not yet stored in a tier: finish that.
      if (pending && opensWith(dbPath, pending)) {
        const pass = await obtainPassphrase(ctx, paths, null, opts);
        return { source: pass.source, dbPath, db: 'opened', backup: null, generatedPassphrase: pass.value, recovery: 'unsaved', detail: `passphrase source: ${pass.source}; recovery key not yet saved — shown again` };
      }
      throw new ProvisioningError(`${dbPath} is encrypted, but no passphrase tier holds its passphrase (the vault is locked). Unlock it with your recovery key (the Vault page of Terok Setup, terok-setup unlock, or terok-sandbox vault unlock), then re-run setup.`);
    }
    CredentialDb.open(dbPath, existing.value).close();
    if (opts.tier && opts.tier !== existing.source) await storeInTier(ctx, paths, opts.tier, existing.value, opts.signal);
    const source = opts.tier ?? existing.source;
    const recovery = recoveryStateOf(paths, existing.value, pending);
    if (recovery === 'unsaved') opts.onMinted?.(existing.value);
    return {
      source, dbPath, db: 'opened', backup: null, generatedPassphrase: recovery === 'unsaved' ? existing.value : null, recovery,
      detail: `passphrase source: ${source}${RECOVERY_DETAIL[recovery]}`,
    };
  }

  const pass = await obtainPassphrase(ctx, paths, existing, opts);
  let backup: string | null = null;
  if (plaintext) {
    backup = await backupPlaintextDb(ctx.run, dbPath, new Date(), opts.signal);
    encryptDbInPlace(dbPath, pass.value);
  }
  CredentialDb.open(dbPath, pass.value).close();
  const what = plaintext ? `encrypted ${dbPath} in place; delete the plaintext backup ${backup} once you have checked the vault` : `created ${dbPath}`;
  const recovery = pass.generated ? 'unsaved' : recoveryStateOf(paths, pass.value, pending);
  return {
    source: pass.source, dbPath, db: plaintext ? 'encrypted-in-place' : 'created', backup,
    generatedPassphrase: recovery === 'unsaved' ? pass.value : null, recovery,
    detail: `passphrase source: ${pass.source}; ${what}${pass.generated ? '' : RECOVERY_DETAIL[recovery]}`,
  };
}

/**
 * saved        terok's recovery marker exists;
 * unsaved      this wizard minted it and the user has not confirmed (the pending copy holds it);
 * unconfirmed  a tier holds it, no marker and no pending copy: it was never confirmed as saved,
 *              and this wizard cannot tell whether anyone ever saw it — say so, never adopt it silently.
 */
export type RecoveryState = 'saved' | 'unsaved' | 'unconfirmed';

function recoveryStateOf(paths: TerokPaths, passphrase: string, pending: string | null): RecoveryState {
  if (recoveryConfirmed(paths)) return 'saved';
  if (pending === passphrase) return 'unsaved';
  // A pending copy that is not this vault's key is of no use to anyone.
  if (pending) dropPendingKey(paths);
  return 'unconfirmed';
}

const RECOVERY_DETAIL: Record<RecoveryState, string> = {
  saved: '',
  unsaved: '; recovery key not yet saved — shown again',
  unconfirmed: `; recovery key never confirmed as saved — show it with ${RECOVERY_REVEAL_COMMAND}, save it off this machine, then run ${RECOVERY_ACK_COMMAND}`,
};

function opensWith(dbPath: string, passphrase: string): boolean {
  try {
    CredentialDb.open(dbPath, passphrase).close();
    return true;
  } catch {
    return false;
  }
}
