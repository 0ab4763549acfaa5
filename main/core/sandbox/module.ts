/**
 * The sandbox setup module: task steps the wizard and the CLI start (the
 * readiness gate's fix for "sandbox services" runs `sandbox.install`, see
 * steps/sandbox.ts).
 *
 *   sandbox.install            { noShield?, noVault?, passphraseTier? } → InstallResult
 *   sandbox.uninstall          { noShield? }                           → UninstallResult
 *   vault.acknowledge-recovery {}                                      → { marker }  (drops the pending copy)
 *   vault.recovery-key         {}                                      → { generatedPassphrase }  (the pending, unsaved key)
 *   vault.unlock               { recoveryKey, tier? }                  → UnlockOutcome  (the key is checked, never echoed)
 *   terok.install              {}                                      → { command }  (pipx, live output)
 *
 * Params arrive from the renderer, so they are validated here, strictly.
 * An install always ends as `done` with its exit code — even when a stage
 * failed or the task was cancelled (`cancelled: true`) — because the result
 * may carry the one-time generated passphrase, which must reach the user
 * whatever happened after it was minted.
 */
import type { ModuleHost } from '../module-host.ts';
import { loadTerokConfig } from '../host/config.ts';
import { resolvePaths } from '../host/paths.ts';
import { vaultRoutesStep } from '../roster/vault-routes.ts';
import { TaskError, type TaskContext } from '../tasks/task-manager.ts';
import { tierValidationError, type ProvisionableTier } from '../vault/provisioning.ts';
import { confirmRecoveryKey, pendingKey } from '../vault/recovery-key.ts';
import { UNLOCK_TIERS, unlockParamsError, unlockVault, type UnlockOutcome, type UnlockTier } from '../vault/unlock.ts';
import { ensureSandboxReady, type InstallOptions, type VaultRoutesStep } from './install.ts';
import { uninstallSandbox, type UninstallOptions } from './uninstall.ts';
import { terokInstallPlan } from './terok-runtime.ts';
import { optBool, optStr, parseWith, taskParams, v } from '../validate.ts';
import { InvalidParamsError } from '../errors.ts';
import type { TaskStep } from '../task-steps.ts';

export interface SandboxModuleDeps {
  /** The roster module's routes.json stage. */
  vaultRoutes?: VaultRoutesStep;
}

export const INSTALL_PARAMS = taskParams({ noShield: optBool('noShield'), noVault: optBool('noVault'), passphraseTier: optStr('passphraseTier') });
export const UNINSTALL_PARAMS = taskParams({ noShield: optBool('noShield') });
export const NO_PARAMS = taskParams({});
/** The messages never name the key's value: this field holds a secret. */
export const UNLOCK_PARAMS = v.pipe(
  taskParams({ recoveryKey: v.optional(v.unknown()), tier: v.optional(v.nullable(v.picklist(UNLOCK_TIERS, `tier must be one of: ${UNLOCK_TIERS.join(', ')}`))) }),
  v.check((p) => unlockParamsError(p.recoveryKey, p.tier) === null, (issue) => unlockParamsError((issue.input as { recoveryKey?: unknown }).recoveryKey, (issue.input as { tier?: unknown }).tier) ?? 'invalid unlock request'),
);

export function parseUnlockParams(raw: unknown): { recoveryKey: string; tier?: UnlockTier } {
  const p = parseWith(UNLOCK_PARAMS, raw);
  return { recoveryKey: p.recoveryKey as string, ...(p.tier ? { tier: p.tier } : {}) };
}

export function parseInstallParams(raw: unknown): InstallOptions {
  const p = parseWith(INSTALL_PARAMS, raw);
  const opts: InstallOptions = { noShield: p.noShield ?? undefined, noVault: p.noVault ?? undefined };
  const tier = p.passphraseTier ?? undefined;
  if (tier !== undefined) {
    const bad = opts.noVault ? null : tierValidationError(tier);
    if (bad) throw new InvalidParamsError(bad);
    if (!opts.noVault) opts.passphraseTier = tier as ProvisionableTier;
  }
  return opts;
}

export function parseUninstallParams(raw: unknown): UninstallOptions {
  return { noShield: parseWith(UNINSTALL_PARAMS, raw).noShield ?? undefined };
}

/** Routes come from the roster module's stage; tests inject their own. */
export function register(host: ModuleHost, deps: SandboxModuleDeps = { vaultRoutes: vaultRoutesStep }): void {
  host.register('sandbox.install', (params, task: TaskContext) =>
    ensureSandboxReady({ ctx: host.ctx, task, vaultRoutes: deps.vaultRoutes }, parseInstallParams(params)));
  host.register('sandbox.uninstall', (params, task) => uninstallSandbox(host.ctx, task, parseUninstallParams(params)));
  host.register('terok.install', (params, task) => installTerok(host, params, task));
  host.register('vault.acknowledge-recovery', async (raw) => {
    parseWith(NO_PARAMS, raw);
    const paths = resolvePaths(host.ctx, loadTerokConfig(host.ctx));
    const marker = confirmRecoveryKey(paths);
    // Once saved, no history fetch may replay the key.
    for (const step of RECOVERY_KEY_STEPS) host.redactResults(step, 'generatedPassphrase');
    return { marker };
  });
  // The recovery key is checked before the vault is touched; it is never logged and never in the result.
  host.register('vault.unlock', async (raw, task): Promise<UnlockOutcome> => {
    const request = parseUnlockParams(raw);
    const config = loadTerokConfig(host.ctx);
    const outcome = await unlockVault(host.ctx, resolvePaths(host.ctx, config), config, request, task.signal);
    for (const line of outcome.lines) task.log(line);
    return outcome;
  });
  // A key minted by an interrupted run, still not confirmed: handed over again to be shown and saved.
  host.register('vault.recovery-key', async (raw) => {
    parseWith(NO_PARAMS, raw);
    return { generatedPassphrase: pendingKey(resolvePaths(host.ctx, loadTerokConfig(host.ctx))) };
  });
}

/** The steps whose result may carry a recovery key the user has not saved yet. */
export const RECOVERY_KEY_STEPS = ['sandbox.install', 'vault.recovery-key'] as const satisfies readonly TaskStep[];

/** pipx can take a while on a slow mirror; it still gets a ceiling. */
const TEROK_INSTALL_TIMEOUT_MS = 15 * 60_000;

/**
 * Installs terok with pipx, streaming its output. Without pipx there is
 * nothing safe to run for the user (installing pipx needs sudo), so the step
 * fails with the exact commands to run in a terminal.
 */
async function installTerok(host: ModuleHost, raw: unknown, task: TaskContext): Promise<{ command: string }> {
  parseWith(NO_PARAMS, raw);
  const plan = terokInstallPlan(host.ctx);
  if (!plan.argv) {
    throw new TaskError({
      code: 'pipx-missing',
      message: 'pipx is not installed, so terok cannot be installed from here.',
      detail: `Run in a terminal:\n  ${plan.prerequisite}\n  ${plan.display}`,
    });
  }
  const [file, ...args] = plan.argv;
  task.log(`$ ${plan.display}`);
  await host.ctx.run(file!, args, { timeoutMs: TEROK_INSTALL_TIMEOUT_MS, signal: task.signal, onLine: (line, stream) => task.log(line, stream) });
  return { command: plan.display };
}
