/**
 * What every probe gets — the host, its config and paths, the settings and a
 * per-sweep memo — and the expensive lookups several probes share through it.
 */
import type { HostContext } from '../host/context.ts';
import { loadTerokConfig, type TerokConfig } from '../host/config.ts';
import { resolvePaths, type TerokPaths } from '../host/paths.ts';
import { credentialProviderFor } from '../roster/auth-map.ts';
import { computeShieldHealth, type ShieldHealthReport } from '../sandbox/shield-health.ts';
import { detectTerokRuntime, type TerokRuntime } from '../sandbox/terok-runtime.ts';
import { classifyStamp, type SetupVerdictReport } from '../sandbox/setup-stamp.ts';
import { DEFAULT_SSH_SCOPE, type GateSettings } from '../settings.ts';
import { inspectDbFile } from '../vault/credential-db.ts';
import { readVault, type VaultProblem } from '../vault/vault-access.ts';
import type { StepStatus } from './descriptor.ts';

/** Outcome of one prerequisite check — terok's `CheckResult(name, ok, message)`. */
export interface CheckResult {
  name: string;
  ok: boolean;
  message: string;
}

export interface ProbeEnv {
  ctx: HostContext;
  config: TerokConfig;
  paths: TerokPaths;
  settings: GateSettings;
  signal?: AbortSignal;
  /** Shares expensive lookups (terok runtime, passphrase, DB open) between concurrent probes. */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

export function createMemo(): ProbeEnv['memo'] {
  const cache = new Map<string, Promise<unknown>>();
  return <T>(key: string, compute: () => Promise<T>) => {
    let p = cache.get(key) as Promise<T> | undefined;
    if (!p) { p = compute(); cache.set(key, p); }
    return p;
  };
}

export function makeProbeEnv(ctx: HostContext, settings: GateSettings, signal?: AbortSignal, config?: TerokConfig, paths?: TerokPaths): ProbeEnv {
  const cfg = config ?? loadTerokConfig(ctx);
  return { ctx, config: cfg, paths: paths ?? resolvePaths(ctx, cfg), settings, signal, memo: createMemo() };
}

export const terokRuntimeOf = (env: ProbeEnv): Promise<TerokRuntime> =>
  env.memo('terok-runtime', () => detectTerokRuntime(env.ctx, env.signal));

/** One health computation per sweep, shared by the sandbox step and the verdict's bypass note. */
export const shieldHealthOf = (env: ProbeEnv): Promise<ShieldHealthReport> =>
  env.memo('shield-health', async () => {
    const runtime = await terokRuntimeOf(env);
    // terok-sandbox hard-wires shield_bypass off for standalone use; only an
    // orchestrator's own config can turn it on, so the wizard never does.
    return computeShieldHealth(env.ctx, env.paths.containersConf, runtime.expectedBundleVersion);
  });

/** The setup stamp against the installed terok (reuses the sweep's runtime lookup). */
export const setupVerdictOf = (env: ProbeEnv): Promise<SetupVerdictReport> =>
  env.memo('setup-verdict', async () => {
    const runtime = await terokRuntimeOf(env);
    return classifyStamp(env.paths.setupStamp, runtime.packages as Record<string, string>);
  });

/**
 * One DB open per sweep, shared by every vault-reading step: opening costs a
 * full PBKDF2 key derivation (SQLCipher 4: 256 000 rounds, ~¼ s) on the
 * calling thread, so two opens would serialise and double the sweep.
 */
export const vaultSnapshotOf = (env: ProbeEnv) =>
  env.memo('vault-snapshot', () => {
    const credentialProvider = credentialProviderFor(env.paths, env.settings.provider);
    return readVault(env.ctx, env.paths, env.config, (db) => ({
      // A pre-v3 DB (not yet opened by a writer) still keys rows by agent name (claude, not anthropic).
      credential: db.loadCredential(env.settings.credentialSet, credentialProvider)
        ?? (db.schemaVersion() < 3 ? db.loadCredential(env.settings.credentialSet, env.settings.provider) : null),
      sshKeys: db.listSshKeysForScope(DEFAULT_SSH_SCOPE),
    }), { signal: env.signal });
  });

/**
 * Whether something holding (or claiming to hold) credentials sits at the DB
 * path — a locked vault still has its file. A zero-byte file holds nothing
 * and does not count: the vault is set up in its place, as for no file.
 */
export const vaultFileExists = (env: ProbeEnv): boolean => {
  const kind = inspectDbFile(env.paths.credentialDb).kind;
  return kind !== 'absent' && kind !== 'empty';
};

/**
 * The status a vault that cannot be read gives every step that reads it
 * (vault, SSH key, credentials), so their pages agree:
 *   not-set-up — nothing to open yet (no DB, a zero-byte one, or a legacy
 *                plaintext one that setup encrypts)
 *   locked     — a DB that only its passphrase opens: none held, a broken
 *                tier, or one that does not fit
 *   error      — the file itself is wrong (damaged, a directory, unreadable, held by another process)
 */
export function vaultProblemStatus(problem: VaultProblem): StepStatus {
  switch (problem) {
    case 'not-set-up': case 'plaintext': return 'not-set-up';
    case 'no-passphrase': case 'broken-tier': case 'wrong-passphrase': return 'locked';
    default: return 'error';
  }
}

/** One sentence for a page that needs the vault open (SSH key, credentials): what is wrong and where it is fixed. */
export function closedVaultHeadline(problem: VaultProblem, what: string): string {
  switch (problem) {
    case 'not-set-up': return `The vault is not set up yet, so ${what}. Set up the sandbox services first (Sandbox page).`;
    case 'plaintext': return `The vault is an unencrypted legacy database, so ${what}. Setting up the sandbox services encrypts it in place (Sandbox page).`;
    case 'no-passphrase': return `The vault is locked (no keyring holds its passphrase), so ${what}. Unlock it first (Vault page).`;
    case 'broken-tier': return `The vault is locked (its passphrase store cannot be read), so ${what}. See the Vault page for the fix.`;
    case 'wrong-passphrase': return `The vault does not open with the passphrase found for it, so ${what}. See the Vault page for the fix.`;
    case 'busy': return `The vault's database is held by another process, so ${what}. Try again when it is done (Vault page).`;
    default: return `The vault's database cannot be read, so ${what}. The Vault page says what is wrong and how to fix it.`;
  }
}
