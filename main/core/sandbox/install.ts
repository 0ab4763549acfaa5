/**
 * `ensure_sandbox_ready`: terok-sandbox's install aggregator preceded by the
 * executor's routes stage — the same phases, order and outcome rules
 * (terok-sandbox §1.2), each emitted as a live stage line:
 *
 *   Vault routes (a failure stops here) → Prerequisites (report only) → Legacy install cleanup →
 *   Shield hooks → Credentials DB → Supervisor hooks → setup stamp
 *
 * A failing phase does not stop later ones; any failure ⇒ exit 1; otherwise
 * a missing/outdated SELinux policy ⇒ exit 5; only a clean run writes the
 * stamp (exit 0). Deviations from terok, for the user's sake: "nft missing"
 * fails the shield stage cleanly instead of crashing setup; the credentials
 * phase is a stage line (the wizard has no free-form column) and it checks
 * that an existing encrypted DB really opens, instead of assuming it does.
 *
 * Beyond terok: one install at a time per state root (`setup.lock`, shared by
 * the wizard and the CLI); a cancelled task stops before the next phase and
 * returns what it has (never a stamp); and a passphrase this run mints is in
 * the result from the moment it exists, whatever fails or is cancelled later.
 * A hook stage copies nothing whose bytes differ from the recorded release
 * (payload-verify.ts); a version with no record is installed with a note.
 */
import { errnoMessage, isErrnoError, SetupError } from '../errors.ts';
import type { HostContext } from '../host/context.ts';
import { loadTerokConfig, type TerokConfig } from '../host/config.ts';
import { detectDistro, installCommand } from '../host/distro.ts';
import { resolvePaths, type TerokPaths } from '../host/paths.ts';
import { which } from '../host/which.ts';
import { withSetupLock } from '../host/lock.ts';
import type { TaskContext } from '../tasks/task-manager.ts';
import { errorText, type StageHandle } from '../tasks/stages.ts';
import { ensureCredentials, tierValidationError, RECOVERY_ACK_COMMAND, RECOVERY_REVEAL_COMMAND, SYSTEMD_CREDS_UNAVAILABLE, type CredentialsOutcome, type ProvisionableTier } from '../vault/provisioning.ts';
import { recoveryConfirmed } from '../vault/recovery-key.ts';
import { describeRepair, repairSecretModes } from '../vault/secret-modes.ts';
import { systemdCredsAvailability } from '../vault/passphrase.ts';
import { planHooksDir } from './containers-conf.ts';
import { apparmorHint, apparmorInstallCommand, checkAppArmor, checkSelinux, selinuxBlocksSetup, selinuxHint, selinuxLine } from './host-policies.ts';
import { LEGACY_CLEANUP_DETAIL, sweepLegacyInstall } from './legacy-cleanup.ts';
import { checkHostTools } from './prerequisites.ts';
import { writeStamp } from './setup-stamp.ts';
import { installShieldHooks } from './shield-hooks.ts';
import { installSupervisorHooks } from './supervisor-hooks.ts';
import { detectTerokRuntime, describeRuntime, terokInstallPlan, type TerokRuntime } from './terok-runtime.ts';
import { hookStageRefusal } from './payload-verify.ts';
import { PAYLOAD_DIGESTS, type PayloadDigestTable } from './terok-release.ts';

export const EXIT_OK = 0;
export const EXIT_PHASE_FAILED = 1;
export const EXIT_MANUAL_STEP = 5;

export interface InstallOptions {
  noShield?: boolean;
  noVault?: boolean;
  passphraseTier?: ProvisionableTier;
}

/** Regenerates routes.json (the roster module's stage); returns the stage detail. */
export type VaultRoutesStep = (ctx: HostContext, signal?: AbortSignal) => Promise<string>;

export interface InstallDeps {
  ctx: HostContext;
  task: Pick<TaskContext, 'stage' | 'log' | 'signal'>;
  /** Absent until the roster module provides it; the stage then fails with an explanation. */
  vaultRoutes?: VaultRoutesStep;
  /** Pre-detected runtime (tests, or a caller that already has it). */
  runtime?: TerokRuntime;
  /** Root for /sys and /etc lookups of the SELinux/AppArmor checks (tests). */
  sysRoot?: string;
  /** What the hook payload is checked against before it is copied (default: the recorded releases). */
  payloadDigests?: PayloadDigestTable;
}

export interface InstallResult {
  /** 1 also when cancelled. */
  exitCode: 0 | 1 | 5;
  /** The task was cancelled: the phases after the current one did not run and no stamp was written. */
  cancelled: boolean;
  failedStages: string[];
  stampPath: string | null;
  /** Shown before/while containers.conf gains hooks_dir for the first time; null otherwise. */
  containersConfWarning: string | null;
  /** Vault outcome without secrets; null with noVault or when the stage failed. */
  vault: Omit<CredentialsOutcome, 'generatedPassphrase'> | null;
  /**
   * A passphrase the user has not yet confirmed saving — minted by this run,
   * or by an interrupted one (kept in the pending file until confirmed). The
   * wizard shows it as the recovery key; it is in no stage line and no log.
   * Set the moment it is minted, so it is here even when storing it, the DB
   * step or a later phase failed, or the run was cancelled.
   */
  generatedPassphrase: string | null;
  recoveryAcknowledged: boolean;
  packages: TerokRuntime['packages'];
}

/** The §1.2 step-0 validation, before any output or change; the message, or null when fine. */
export async function validateInstallOptions(ctx: HostContext, opts: InstallOptions, signal?: AbortSignal): Promise<string | null> {
  if (opts.noVault || opts.passphraseTier === undefined) return null;
  const bad = tierValidationError(opts.passphraseTier);
  if (bad) return bad;
  if (opts.passphraseTier === 'systemd-creds' && !(await systemdCredsAvailability(ctx, signal)).available) return SYSTEMD_CREDS_UNAVAILABLE;
  return null;
}

export class ConfigIgnoredError extends SetupError {
  constructor(warnings: readonly string[]) {
    super('config-invalid', `setup did not start, because a settings file cannot be used: ${warnings.map((w) => w.replace(/; ignoring it$/, '')).join('; ')}`, {
      hint: 'Fix that file (or move it away to use the defaults), then run the setup again.',
    });
  }
}

/** Run `body` as a stage; a throw becomes that stage's FAIL and `false`, never an abort. */
async function phase(task: InstallDeps['task'], label: string, body: (s: StageHandle) => Promise<boolean> | boolean): Promise<boolean> {
  try {
    return await task.stage(label, body);
  } catch {
    return false;
  }
}

/**
 * Run `body` and show a stage line only when it throws (terok prints no line
 * for the stamp on success); false then, true when it went through.
 */
async function phaseOnFailure(task: InstallDeps['task'], label: string, doing: string, body: () => void): Promise<boolean> {
  try {
    body();
    return true;
  } catch (err) {
    await phase(task, label, (s) => { s.fail(isErrnoError(err) ? errnoMessage(err, doing) : errorText(err)); return false; });
    return false;
  }
}

const notInstalledText = (ctx: HostContext) => `terok is not installed — install it with: ${terokInstallPlan(ctx).display}`;

export async function ensureSandboxReady(deps: InstallDeps, opts: InstallOptions = {}): Promise<InstallResult> {
  const invalid = await validateInstallOptions(deps.ctx, opts, deps.task.signal);
  if (invalid) throw new Error(invalid);
  const config: TerokConfig = loadTerokConfig(deps.ctx);
  // A config.yml that was ignored may hold paths.root: installing on the defaults would put
  // hooks, the vault and the stamp where the user's terok never looks.
  if (config.warnings.length) throw new ConfigIgnoredError(config.warnings);
  const paths: TerokPaths = resolvePaths(deps.ctx, config);
  // Two concurrent runs (wizard + CLI) could each mint a passphrase: the second fails fast.
  return withSetupLock(paths.stateRoot, () => installLocked(deps, opts, config, paths));
}

async function installLocked(deps: InstallDeps, opts: InstallOptions, config: TerokConfig, paths: TerokPaths): Promise<InstallResult> {
  const { ctx, task } = deps;
  const signal = task.signal;
  const runtime = deps.runtime ?? await detectTerokRuntime(ctx, signal);
  const digests = deps.payloadDigests ?? PAYLOAD_DIGESTS;
  const failed: string[] = [];
  const result: InstallResult = {
    exitCode: EXIT_OK, cancelled: false, failedStages: failed, stampPath: null, containersConfWarning: null, vault: null,
    generatedPassphrase: null, recoveryAcknowledged: false, packages: runtime.packages,
  };
  const track = (label: string, ok: boolean) => { if (!ok) failed.push(label); };
  /** Checked before each phase: on cancel, stop here and hand back what this run has. */
  const cancelled = (): boolean => {
    if (!signal.aborted) return false;
    result.cancelled = true;
    result.exitCode = EXIT_PHASE_FAILED;
    result.recoveryAcknowledged = recoveryConfirmed(paths);
    task.log('Cancelled — the remaining steps were not run; no setup stamp written.');
    return true;
  };
  if (cancelled()) return result;

  // Routes first: the per-container supervisor reads routes.json at container start.
  // A roster error stops the install here, as in terok: nothing else runs, no stamp.
  if (!opts.noVault) {
    const routed = await phase(task, 'Vault routes', async (s) => {
      if (!deps.vaultRoutes) throw new Error('routes generation is not available in this build');
      s.ok(await deps.vaultRoutes(ctx, signal));
      return true;
    });
    track('Vault routes', routed);
    if (cancelled()) return result;
    if (!routed) { result.exitCode = EXIT_PHASE_FAILED; return result; }
  }

  task.log(`terok: ${describeRuntime(runtime)}${runtime.via ? ` (via ${runtime.via})` : ''}`);
  task.log('Prerequisites:');
  const family = detectDistro().family;
  for (const tool of checkHostTools(ctx)) {
    await phase(task, tool.name, (s) => {
      const detail = tool.installCommand && tool.marker !== 'ok' ? `${tool.detail}\ninstall: ${tool.installCommand}` : tool.detail;
      (tool.marker === 'ok' ? s.ok : tool.marker === 'WARN' ? s.warn : s.missing)(detail);
      return true;
    });
  }
  if (config.values.experimental === true) {
    await phase(task, 'ip', (s) => {
      const found = which(ctx, 'ip', ['/usr/sbin', '/sbin']);
      if (found) s.ok(found); else s.missing(`in-netns IP assignment for the krun runtime\ninstall: ${installCommand(family, 'iproute2') ?? 'install iproute2'}`);
      return true;
    });
  }
  const apparmor = checkAppArmor(ctx, { sysRoot: deps.sysRoot });
  if (apparmor.status !== 'not_applicable') {
    await phase(task, 'AppArmor profile', (s) => {
      if (apparmor.status === 'ok') s.ok('installed');
      else s.missing(`install: ${apparmorInstallCommand(runtime.sandboxDir, paths.sandboxLive)}`);
      return true;
    });
  }
  const selinux = await checkSelinux(ctx, config, runtime.python, { sysRoot: deps.sysRoot, signal });
  const seLine = selinuxLine(selinux, runtime.sandboxDir);
  if (seLine) await phase(task, 'SELinux policy', (s) => { (seLine.marker === 'ok' ? s.ok : s.missing)(seLine.detail); return true; });

  if (cancelled()) return result;
  task.log('');
  task.log('Services:');
  await phase(task, 'Legacy install cleanup', async (s) => {
    const swept = await sweepLegacyInstall(ctx, paths, signal);
    for (const f of swept.removedFiles) task.log(`removed legacy file ${f}`);
    for (const u of swept.disabledUnits) task.log(`disabled legacy unit ${u}`);
    s.ok(LEGACY_CLEANUP_DETAIL);
    return true;
  });

  if (!opts.noShield) {
    if (cancelled()) return result;
    track('Shield hooks', await phase(task, 'Shield hooks', (s) => {
      if (!runtime.shieldDir) { s.fail(notInstalledText(ctx)); return false; }
      const nft = checkHostTools(ctx).find((t) => t.name === 'nft');
      if (!nft?.path) {
        s.fail(`nft is not installed — the shield cannot enforce its firewall without it${nft?.installCommand ? `\ninstall: ${nft.installCommand}` : ''}`);
        return false;
      }
      const refused = hookStageRefusal(runtime, digests, 'terok-shield', (l) => task.log(l));
      if (refused) { s.fail(refused); return false; }
      const plan = planHooksDir(ctx, paths.containersConf, paths.shieldHooksDir);
      if (plan.warning) { result.containersConfWarning = plan.warning; task.log(plan.warning); }
      const installed = installShieldHooks(ctx, paths, runtime);
      const health = installed.health.health;
      if (health === 'ok') { s.ok('active'); return true; }
      if (health === 'bypass') { s.warn('bypass_firewall_no_protection is active'); return true; }
      s.fail(`installed but health: ${health}${installed.health.issues.length ? '\n' + installed.health.issues.join('\n') : ''}`);
      return false;
    }));
  }

  if (!opts.noVault) {
    if (cancelled()) return result;
    track('Credentials DB', await phase(task, 'Credentials DB', async (s) => {
      let outcome: CredentialsOutcome;
      // Tightened whatever happens below: a DB terok created 0644 stays 0644 unless repaired.
      const tighten = () => {
        const modes = repairSecretModes(paths);
        for (const line of describeRepair(modes)) task.log(line);
        return modes.failed.length;
      };
      try {
        outcome = await ensureCredentials(ctx, paths, config, {
          tier: opts.passphraseTier, signal,
          // Into the result before it is stored anywhere: whatever fails next, the user still gets it.
          onMinted: (passphrase) => { result.generatedPassphrase = passphrase; },
        });
      } catch (err) {
        tighten();
        if (!result.generatedPassphrase) throw err;
        s.fail(`${errorText(err)}\na new passphrase was generated before this failed — save the recovery key`);
        return false;
      }
      const stillLoose = tighten();
      const { generatedPassphrase, ...safe } = outcome;
      result.vault = safe;
      result.generatedPassphrase = generatedPassphrase ?? result.generatedPassphrase;
      if (stillLoose) s.warn(`${outcome.detail}; ${stillLoose} vault file(s) are still readable by others — see the commands above`);
      else if (outcome.recovery === 'unconfirmed') s.warn(outcome.detail);
      else s.ok(generatedPassphrase && outcome.db !== 'opened' ? `${outcome.detail}; new passphrase generated — save the recovery key` : outcome.detail);
      return true;
    }));
  }

  // Last, so a half-installed host never has a live hook pointing at a missing binary.
  if (cancelled()) return result;
  track('Supervisor hooks', await phase(task, 'Supervisor hooks', (s) => {
    if (!runtime.sandboxDir) { s.fail(notInstalledText(ctx)); return false; }
    const refused = hookStageRefusal(runtime, digests, 'terok-sandbox', (l) => task.log(l));
    if (refused) { s.fail(refused); return false; }
    const installed = installSupervisorHooks(ctx, paths, runtime);
    if (!result.containersConfWarning && installed.containersConf.warning) {
      result.containersConfWarning = installed.containersConf.warning;
      task.log(installed.containersConf.warning);
    }
    s.ok('installed (OCI hook + wrapper)');
    return true;
  }));

  if (cancelled()) return result;
  if (selinuxBlocksSetup(selinux)) for (const l of selinuxHint(selinux, runtime.sandboxDir)) task.log(l);
  if (apparmor.status === 'profile_missing') for (const l of apparmorHint(runtime.sandboxDir, paths.sandboxLive)) task.log(l);

  result.recoveryAcknowledged = recoveryConfirmed(paths);
  if (failed.length) {
    result.exitCode = EXIT_PHASE_FAILED;
  } else if (selinuxBlocksSetup(selinux)) {
    result.exitCode = EXIT_MANUAL_STEP;
  } else if (!(await phaseOnFailure(task, 'Setup stamp', 'writing the setup stamp', () => writeStamp(paths.setupStamp, runtime.packages as Record<string, string>)))) {
    failed.push('Setup stamp');
    result.exitCode = EXIT_PHASE_FAILED;
  } else {
    result.stampPath = paths.setupStamp;
    task.log(`→ setup stamp written: ${paths.setupStamp}`);
    if (!opts.noVault && !result.recoveryAcknowledged) {
      // terok says `terok vault passphrase …`; we name terok-sandbox's own CLI,
      // which a pipx install of terok-executor always provides (as the CLI does).
      task.log('Recovery key — save it off-host');
      task.log(`  • show it again with: ${RECOVERY_REVEAL_COMMAND}`);
      task.log(`  • once saved, confirm with: ${RECOVERY_ACK_COMMAND} (or "I have saved it" in Terok Setup)`);
    }
  }
  return result;
}
