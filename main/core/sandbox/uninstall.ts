/**
 * Uninstall (terok-sandbox §1.4): supervisor hooks, shield hooks, the legacy
 * sweep, then the stamp — exactly what setup installed. Kept on purpose:
 * routes.json, the credential DB and its passphrase tiers, the recovery
 * marker, containers.conf (its hooks_dir entries then point at empty dirs,
 * which podman accepts) and the hook directories themselves.
 */
import type { HostContext } from '../host/context.ts';
import { loadTerokConfig } from '../host/config.ts';
import { resolvePaths } from '../host/paths.ts';
import type { TaskContext } from '../tasks/task-manager.ts';
import { LEGACY_CLEANUP_DETAIL, sweepLegacyInstall } from './legacy-cleanup.ts';
import { clearStamp } from './setup-stamp.ts';
import { uninstallShieldHooks } from './shield-hooks.ts';
import { uninstallSupervisorHooks } from './supervisor-hooks.ts';

export interface UninstallOptions {
  noShield?: boolean;
}

export interface UninstallResult {
  exitCode: 0 | 1;
  failedStages: string[];
  removedFiles: string[];
  stampRemoved: boolean;
}

export async function uninstallSandbox(ctx: HostContext, task: Pick<TaskContext, 'stage' | 'log' | 'signal'>, opts: UninstallOptions = {}): Promise<UninstallResult> {
  const paths = resolvePaths(ctx, loadTerokConfig(ctx));
  const failed: string[] = [];
  const removedFiles: string[] = [];
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
  task.log('Services:');
  await attempt('Supervisor hooks', () => uninstallSupervisorHooks(paths));
  if (!opts.noShield) await attempt('Shield hooks', () => uninstallShieldHooks(paths));
  try {
    await task.stage('Legacy install cleanup', async (s) => {
      removedFiles.push(...(await sweepLegacyInstall(ctx, paths, task.signal)).removedFiles);
      s.ok(LEGACY_CLEANUP_DETAIL);
    });
  } catch {
    failed.push('Legacy install cleanup');
  }
  const stampRemoved = clearStamp(paths.setupStamp);
  if (stampRemoved) task.log('→ setup stamp removed');
  return { exitCode: failed.length ? 1 : 0, failedStages: failed, removedFiles, stampRemoved };
}
