/**
 * The sandbox setup module: task steps the wizard and the CLI start, and the
 * readiness gate's fix for "sandbox services".
 *
 *   sandbox.install            { noShield?, noVault?, passphraseTier? } → InstallResult
 *   sandbox.uninstall          { noShield? }                           → UninstallResult
 *   vault.acknowledge-recovery {}                                      → { marker }
 *   terok.install              {}                                      → { command }  (pipx, live output)
 *
 * Params arrive from the renderer, so they are validated here, strictly.
 * An install always ends as `done` with its exit code — even when a stage
 * failed or the task was cancelled (`cancelled: true`) — because the result
 * may carry the one-time generated passphrase, which must reach the user
 * whatever happened after it was minted.
 */
import type { Engine } from '../engine.ts';
import { loadTerokConfig } from '../host/config.ts';
import { resolvePaths } from '../host/paths.ts';
import { vaultRoutesStep } from '../roster/vault-routes.ts';
import type { GateIO, StepFix } from '../preflight/gate.ts';
import type { GateSettings } from '../probes/types.ts';
import { errorText, runStage } from '../tasks/stages.ts';
import { TaskError, type TaskContext } from '../tasks/task-manager.ts';
import { acknowledgeRecoveryKey, tierValidationError, type ProvisionableTier } from '../vault/provisioning.ts';
import { createStagePrinter } from './stage-printer.ts';
import { ensureSandboxReady, RECOVERY_ACK_COMMAND, type InstallOptions, type InstallResult, type VaultRoutesStep } from './install.ts';
import { uninstallSandbox, type UninstallOptions } from './uninstall.ts';
import { terokInstallPlan } from './terok-runtime.ts';
import { readParams } from '../tasks/params.ts';

export interface SandboxModuleDeps {
  /** The roster module's routes.json stage. */
  vaultRoutes?: VaultRoutesStep;
}

function invalid(message: string): TaskError {
  return new TaskError({ code: 'invalid-params', message });
}

const params = (raw: unknown, allowed: readonly string[]) => readParams(raw, allowed, invalid);

export function parseInstallParams(raw: unknown): InstallOptions {
  const p = params(raw, ['noShield', 'noVault', 'passphraseTier']);
  const opts: InstallOptions = { noShield: p.bool('noShield'), noVault: p.bool('noVault') };
  const tier = p.str('passphraseTier');
  if (tier !== undefined) {
    const bad = opts.noVault ? null : tierValidationError(tier);
    if (bad) throw invalid(bad);
    if (!opts.noVault) opts.passphraseTier = tier as ProvisionableTier;
  }
  return opts;
}

/** What the gate's sandbox fix passes to the install beyond terok's no-argument call (`run --passphrase-tier`). */
export interface SandboxFixOptions {
  passphraseTier?: ProvisionableTier;
}

const fixOptions = new WeakMap<Engine, SandboxFixOptions>();

/** Options for this engine's sandbox gate fix (runGate's and the stamp gate's); `terok-setup run` sets them. */
export function setSandboxFixOptions(engine: Engine, opts: SandboxFixOptions): void {
  fixOptions.set(engine, { ...opts });
}

export function sandboxFixOptions(engine: Engine): SandboxFixOptions {
  return { ...fixOptions.get(engine) };
}

export function parseUninstallParams(raw: unknown): UninstallOptions {
  return { noShield: params(raw, ['noShield']).bool('noShield') };
}

/** Routes come from the roster module's stage; tests inject their own. */
export function register(engine: Engine, deps: SandboxModuleDeps = { vaultRoutes: vaultRoutesStep }): void {
  engine.tasks.register('sandbox.install', (params, task: TaskContext) =>
    ensureSandboxReady({ ctx: engine.ctx, task, vaultRoutes: deps.vaultRoutes }, parseInstallParams(params)));
  engine.tasks.register('sandbox.uninstall', (params, task) => uninstallSandbox(engine.ctx, task, parseUninstallParams(params)));
  engine.tasks.register('terok.install', (params, task) => installTerok(engine, params, task));
  engine.tasks.register('vault.acknowledge-recovery', async (raw) => {
    params(raw, []);
    const paths = resolvePaths(engine.ctx, loadTerokConfig(engine.ctx));
    const marker = acknowledgeRecoveryKey(paths);
    // The passphrase was shown once; once saved, no history fetch may replay it.
    engine.tasks.redactResults('sandbox.install', 'generatedPassphrase');
    return { marker };
  });

  engine.fixes.sandbox = sandboxFix(engine, deps);
}

/**
 * The gate's "Install shield hooks now?" (terok-executor §2.6): the same
 * install, stage lines on the gate's stdout; exit 1/5 or an error prints
 * `  sandbox setup failed: <code or message>` to stderr and returns false.
 * A generated passphrase is printed whatever the outcome.
 */
export function sandboxFix(engine: Engine, deps: SandboxModuleDeps = { vaultRoutes: vaultRoutesStep }): StepFix {
  return async (_settings: GateSettings, io: GateIO, signal?: AbortSignal) => {
    const printer = createStagePrinter((text) => io.out(text.replace(/\n$/, '')), { progressive: false, colour: false });
    const task: Pick<TaskContext, 'stage' | 'log' | 'signal'> = {
      signal: signal ?? new AbortController().signal,
      log: (line) => printer.log(line),
      stage: (label, body) => runStage(printer.stage, label, body),
    };
    const { passphraseTier } = sandboxFixOptions(engine);
    let result: InstallResult;
    try {
      result = await ensureSandboxReady({ ctx: engine.ctx, task, vaultRoutes: deps.vaultRoutes }, passphraseTier ? { passphraseTier } : {});
    } catch (err) {
      io.err(`  sandbox setup failed: ${errorText(err)}`);
      return false;
    }
    if (result.generatedPassphrase) {
      io.out('');
      io.out(`Vault passphrase: ${result.generatedPassphrase}`);
      io.out("  Write this down — it's your recovery key for rebuilds and other hosts.");
      io.out(`  Once saved, confirm it: ${RECOVERY_ACK_COMMAND}`);
    }
    if (result.exitCode !== 0) {
      // terok's text for an exit request: just the code.
      io.err(`  sandbox setup failed: ${result.exitCode}`);
      return false;
    }
    return true;
  };
}

/** pipx can take a while on a slow mirror; it still gets a ceiling. */
const TEROK_INSTALL_TIMEOUT_MS = 15 * 60_000;

/**
 * Installs terok with pipx, streaming its output. Without pipx there is
 * nothing safe to run for the user (installing pipx needs sudo), so the step
 * fails with the exact commands to run in a terminal.
 */
async function installTerok(engine: Engine, raw: unknown, task: TaskContext): Promise<{ command: string }> {
  params(raw, []);
  const plan = terokInstallPlan(engine.ctx);
  if (!plan.argv) {
    throw new TaskError({
      code: 'pipx-missing',
      message: 'pipx is not installed, so terok cannot be installed from here.',
      detail: `Run in a terminal:\n  ${plan.prerequisite}\n  ${plan.display}`,
    });
  }
  const [file, ...args] = plan.argv;
  task.log(`$ ${plan.display}`);
  await engine.ctx.run(file!, args, { timeoutMs: TEROK_INSTALL_TIMEOUT_MS, signal: task.signal, onLine: (line, stream) => task.log(line, stream) });
  return { command: plan.display };
}
