/**
 * Uninstall (terok-sandbox §1.4): supervisor hooks, shield hooks, the legacy
 * sweep, then the stamp — exactly what setup installed. Kept on purpose:
 * routes.json, the credential DB and its passphrase tiers, the recovery
 * marker, containers.conf (its hooks_dir entries then point at empty dirs,
 * which podman accepts) and the hook directories themselves.
 *
 * Holds the same `setup.lock` as the install; a cancelled task stops before
 * the next phase and returns what it did (`cancelled: true`). Once any hook
 * was removed the stamp goes too, so it never vouches for a half-removed setup.
 */
import type { HostContext } from '../host/context.ts';
import { loadTerokConfig } from '../host/config.ts';
import { withSetupLock } from '../host/lock.ts';
import { resolvePaths, type TerokPaths } from '../host/paths.ts';
import type { TaskContext } from '../tasks/task-manager.ts';
import { LEGACY_CLEANUP_DETAIL, sweepLegacyInstall } from './legacy-cleanup.ts';
import { clearStamp } from './setup-stamp.ts';
import { uninstallShieldHooks } from './shield-hooks.ts';
import { uninstallSupervisorHooks } from './supervisor-hooks.ts';

export interface UninstallOptions {
  noShield?: boolean;
}

export interface UninstallResult {
  /** 1 also when cancelled. */
  exitCode: 0 | 1;
  /** The task was cancelled: later phases did not run (the stamp is removed only if a phase had run). */
  cancelled: boolean;
  failedStages: string[];
  removedFiles: string[];
  stampRemoved: boolean;
}

export async function uninstallSandbox(ctx: HostContext, task: Pick<TaskContext, 'stage' | 'log' | 'signal'>, opts: UninstallOptions = {}): Promise<UninstallResult> {
  const paths = resolvePaths(ctx, loadTerokConfig(ctx));
  return withSetupLock(paths.stateRoot, () => uninstallLocked(ctx, paths, task, opts));
}

async function uninstallLocked(ctx: HostContext, paths: TerokPaths, task: Pick<TaskContext, 'stage' | 'log' | 'signal'>, opts: UninstallOptions): Promise<UninstallResult> {
  const failed: string[] = [];
  const removedFiles: string[] = [];
  const cancelledResult = (started: boolean): UninstallResult => {
    const stampRemoved = started && clearStamp(paths.setupStamp);
    task.log(`Cancelled — the remaining steps were not run${stampRemoved ? '; setup stamp removed' : ''}.`);
    return { exitCode: 1, cancelled: true, failedStages: failed, removedFiles, stampRemoved };
  };
  const attempt = async (label: string, body: () => Promise<string[]> | string[]) => {
    try {
      await task.stage(label, async (s) => {
        removedFiles.push(...await body());
        s.ok('removed');
      });
    } catch {
      failed.push(label);
    }
  };
  if (task.signal.aborted) return cancelledResult(false);
  task.log('Services:');
  await attempt('Supervisor hooks', () => uninstallSupervisorHooks(paths));
  if (!opts.noShield) {
    if (task.signal.aborted) return cancelledResult(true);
    await attempt('Shield hooks', () => uninstallShieldHooks(paths));
  }
  if (task.signal.aborted) return cancelledResult(true);
  try {
    await task.stage('Legacy install cleanup', async (s) => {
      removedFiles.push(...(await sweepLegacyInstall(ctx, paths, task.signal)).removedFiles);
      s.ok(LEGACY_CLEANUP_DETAIL);
    });
  } catch {
    failed.push('Legacy install cleanup');
  }
  if (task.signal.aborted) return cancelledResult(true);
  const stampRemoved = clearStamp(paths.setupStamp);
  if (stampRemoved) task.log('→ setup stamp removed');
  return { exitCode: failed.length ? 1 : 0, cancelled: false, failedStages: failed, removedFiles, stampRemoved };
}
