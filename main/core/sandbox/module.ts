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
 *   terok.install              {}                                      → { command, version }  (pipx, live output; pipx itself through packages.install)
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
import { CancelledError, TaskError, type SubTaskOutcome, type TaskContext } from '../tasks/task-manager.ts';
import { failureOf } from '../errors.ts';
import { detectDistro } from '../host/distro.ts';
import { tierValidationError, type ProvisionableTier } from '../vault/provisioning.ts';
import { confirmRecoveryKey, pendingKey } from '../vault/recovery-key.ts';
import { UNLOCK_TIERS, unlockParamsError, unlockVault, type UnlockOutcome, type UnlockTier } from '../vault/unlock.ts';
import { ensureSandboxReady, type InstallOptions, type VaultRoutesStep } from './install.ts';
import { uninstallSandbox, type UninstallOptions } from './uninstall.ts';
import { describeRuntime, detectTerokRuntime, terokInstallPlan, type TerokInstallPlan } from './terok-runtime.ts';
import { payloadRefusal, verifyHookPayload } from './payload-verify.ts';
import { PAYLOAD_DIGESTS, TEROK_PYPI_PACKAGE, type PayloadDigestTable } from './terok-release.ts';
import { optBool, optStr, parseWith, taskParams, v } from '../validate.ts';
import { InvalidParamsError } from '../errors.ts';
import type { TaskStep } from '../task-steps.ts';

export interface SandboxModuleDeps {
  /** The roster module's routes.json stage. */
  vaultRoutes?: VaultRoutesStep;
  /** What hook payloads are checked against (default: the recorded releases; tests pass their fixture's). */
  payloadDigests?: PayloadDigestTable;
  /** Gets pipx onto the host when it is missing (default: the packages.install step). */
  obtainPipx?: ObtainPipx;
}

/** Installs pipx or throws a TaskError saying why it could not. */
export type ObtainPipx = (task: TaskContext) => Promise<void>;

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
    ensureSandboxReady({ ctx: host.ctx, task, vaultRoutes: deps.vaultRoutes, payloadDigests: deps.payloadDigests }, parseInstallParams(params)));
  host.register('sandbox.uninstall', (params, task) => uninstallSandbox(host.ctx, task, parseUninstallParams(params)));
  host.register('terok.install', (params, task) => installTerok(host, params, task, deps));
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

/** Where a distribution's pipx lands, looked at too after installing it (a session PATH may be thin). */
export const PIPX_SYSTEM_DIRS = ['/usr/bin'] as const;

/** pipx through the distribution's packages (the packages.install step: PackageKit / pkexec). */
export const pipxFromPackages: ObtainPipx = async (task) => {
  let outcome: SubTaskOutcome;
  try {
    outcome = await task.runStep('packages.install', { tools: ['pipx'] });
  } catch (err) {
    if (err instanceof CancelledError) throw err;
    outcome = { taskId: '', state: 'failed', failure: failureOf(err) };
  }
  if (outcome.state === 'cancelled') throw new CancelledError();
  if (outcome.state === 'failed') throw new TaskError({ ...outcome.failure, code: 'pipx-missing' });
};

const pipxMissing = (plan: TerokInstallPlan, why: string) => new TaskError({
  code: 'pipx-missing',
  message: `pipx is not installed, so terok cannot be installed from here: ${why}`,
  detail: `Run in a terminal:\n  ${plan.prerequisite}\n  ${plan.display}`,
});

/**
 * Installs the release this wizard knows with pipx, streaming its output;
 * pipx itself first when it is missing. Then checks what got installed: the
 * step fails unless the hook payload matches the recorded digests, so a
 * tampered or unknown payload never reaches sandbox.install through here.
 */
async function installTerok(host: ModuleHost, raw: unknown, task: TaskContext, deps: SandboxModuleDeps): Promise<{ command: string; version: string | null }> {
  parseWith(NO_PARAMS, raw);
  const family = detectDistro().family;
  let plan = terokInstallPlan(host.ctx, family);
  if (!plan.argv) {
    task.log('pipx is not installed: installing it first, from the distribution\'s packages');
    try {
      await (deps.obtainPipx ?? pipxFromPackages)(task);
    } catch (err) {
      if (err instanceof CancelledError) throw err;
      throw pipxMissing(plan, failureOf(err).message);
    }
    plan = terokInstallPlan(host.ctx, family, PIPX_SYSTEM_DIRS);
    if (!plan.argv) throw pipxMissing(plan, `it was installed, but is found neither on PATH nor in ${PIPX_SYSTEM_DIRS.join(', ')}`);
  }
  const [file, ...args] = plan.argv;
  task.log(`$ ${plan.display}`);
  // ctx.env, not this process's: it is what the lookups above (and detection below) saw.
  await host.ctx.run(file!, args, {
    timeoutMs: TEROK_INSTALL_TIMEOUT_MS, signal: task.signal, env: { ...host.ctx.env }, extendEnv: false,
    onLine: (line, stream) => task.log(line, stream),
  });

  const runtime = await detectTerokRuntime(host.ctx, task.signal);
  if (!runtime.python || !runtime.shieldDir || !runtime.sandboxDir) {
    throw new TaskError({
      code: 'terok-incomplete',
      message: runtime.python
        ? `pipx finished, but the terok behind ${runtime.via} lacks ${!runtime.shieldDir ? 'terok_shield' : 'terok_sandbox'}${runtime.error ? ` (${runtime.error})` : ''}.`
        : `pipx finished, but no terok command was found on PATH or in ${host.ctx.env.PIPX_BIN_DIR || `${host.ctx.home}/.local/bin`}.`,
      hint: `Reinstall terok: pipx uninstall ${TEROK_PYPI_PACKAGE}, then ${plan.display}`,
    });
  }
  const version = runtime.packages[TEROK_PYPI_PACKAGE] ?? null;
  task.log(`installed: ${describeRuntime(runtime)}`);
  const refusal = payloadRefusal(verifyHookPayload(runtime, deps.payloadDigests ?? PAYLOAD_DIGESTS));
  if (refusal) {
    throw new TaskError({
      code: refusal.code,
      message: `${TEROK_PYPI_PACKAGE} ${version ?? '(version unknown)'} was installed, but ${refusal.summary}; the hooks will not be installed from it.`,
      detail: refusal.lines.join('\n'),
      hint: refusal.hint,
    });
  }
  return { command: plan.display, version };
}
