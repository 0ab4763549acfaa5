/** Running the sandbox install against a sandboxed host, collecting its stage lines. */
import type { SandboxHost } from './host.ts';
import { ensureSandboxReady, type InstallOptions, type InstallResult, type VaultRoutesStep } from '../../main/core/sandbox/install.ts';
import { uninstallSandbox, type UninstallResult } from '../../main/core/sandbox/uninstall.ts';
import { formatStageLine, runStage, type StageUpdate } from '../../main/core/tasks/stages.ts';
import type { TaskContext } from '../../main/core/tasks/task-manager.ts';

export interface Recorded {
  lines: string[];
  stages: StageUpdate[];
  logs: string[];
  task: Pick<TaskContext, 'stage' | 'log' | 'signal'>;
}

export function recordingTask(): Recorded {
  const rec: Recorded = { lines: [], stages: [], logs: [], task: null as never };
  rec.task = {
    signal: new AbortController().signal,
    log: (line) => { rec.logs.push(line); rec.lines.push(line); },
    stage: (label, body) => runStage((u) => {
      rec.stages.push(u);
      if (u.status !== 'running') rec.lines.push(formatStageLine(u.label, u.status, u.detail));
    }, label, body),
  };
  return rec;
}

export const fakeRoutes = async () => 'regenerated';

export async function install(host: SandboxHost, opts: InstallOptions = {}, vaultRoutes: VaultRoutesStep = fakeRoutes): Promise<InstallResult & { rec: Recorded }> {
  const rec = recordingTask();
  const result = await ensureSandboxReady({ ctx: host.ctx, task: rec.task, vaultRoutes, sysRoot: host.root }, opts);
  return { ...result, rec };
}

export async function uninstall(host: SandboxHost, opts: { noShield?: boolean } = {}): Promise<UninstallResult & { rec: Recorded }> {
  const rec = recordingTask();
  return { ...(await uninstallSandbox(host.ctx, rec.task, opts)), rec };
}

/** A keyctl that always fails, so the kernel-keyring tier uses its session-file fallback (never the real user keyring). */
export const failingKeyctl = (host: SandboxHost) => host.writeBin('keyctl', '#!/bin/sh\necho "keyctl: disabled in tests" >&2\nexit 1\n');
