/**
 * terok-sandbox's per-container supervisor hook (§3.1): the hook script and
 * its ballast under `<sandbox state>/hooks`, the wrapper one level up with the
 * resolved `terok-sandbox` command baked in, two descriptors, and the hooks
 * dir registered in containers.conf. Installed last by the aggregator, so a
 * half-installed host never has a live hook pointing at a missing binary.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { HostContext } from '../host/context.ts';
import type { TerokPaths } from '../host/paths.ts';
import { registerHooksDir, type HooksDirEdit } from './containers-conf.ts';
import { assertHookDirsOwnerOnly, ensureDirectory, HOOK_STAGES, removeFiles, renderHookDescriptor, type HookStage } from './hook-files.ts';
import { writeFileIfChanged } from '../host/fs.ts';
import { locatePayloadFile, resolveTerokSandboxCommand, type TerokRuntime } from './terok-runtime.ts';

export const SUPERVISOR_ANNOTATION = 'terok.sandbox.sidecar';
export const SUPERVISOR_HOOK = 'supervisor_hook.py';
export const SUPERVISOR_BALLAST = '_supervisor_state.py';
export const SUPERVISOR_WRAPPER = 'supervisor_wrapper.py';
/** The wrapper template's argv placeholder, replaced by the JSON argv of `terok-sandbox`. */
export const WRAPPER_PLACEHOLDER = '["__TEROK_SANDBOX_BIN__"]';

export const supervisorDescriptorName = (stage: HookStage) => `terok-sandbox-supervisor-${stage}.json`;

/** The five files the supervisor installer owns. */
export function supervisorHookFiles(paths: Pick<TerokPaths, 'supervisorHooksDir' | 'supervisorWrapper'>): string[] {
  return [
    path.join(paths.supervisorHooksDir, SUPERVISOR_HOOK),
    path.join(paths.supervisorHooksDir, SUPERVISOR_BALLAST),
    ...HOOK_STAGES.map((s) => path.join(paths.supervisorHooksDir, supervisorDescriptorName(s))),
    paths.supervisorWrapper,
  ];
}

/** The directories the supervisor installer writes into: the hooks dir and the wrapper's. */
export const supervisorHookDirs = (paths: Pick<TerokPaths, 'supervisorHooksDir' | 'supervisorWrapper'>): string[] =>
  [paths.supervisorHooksDir, path.dirname(paths.supervisorWrapper)];

export interface SupervisorInstallResult {
  hooksDir: string;
  terokSandbox: string;
  written: string[];
  containersConf: HooksDirEdit;
}

type SupervisorCtx = Pick<HostContext, 'env' | 'home' | 'systemContainersConfs' | 'defaultHooksDirs'>;

export function installSupervisorHooks(ctx: SupervisorCtx, paths: TerokPaths, runtime: Pick<TerokRuntime, 'sandboxDir' | 'python'>): SupervisorInstallResult {
  const sandboxDir = runtime.sandboxDir;
  if (!sandboxDir) throw new Error('terok-sandbox is not installed; install terok first');
  const source = (file: string) => {
    const found = locatePayloadFile(sandboxDir, file);
    if (!found) throw new Error(`the installed terok-sandbox (${sandboxDir}) does not ship ${file}; reinstall terok and re-run setup`);
    return found;
  };
  const hook = source(SUPERVISOR_HOOK);
  const ballast = source(SUPERVISOR_BALLAST);
  const template = readFileSync(source(SUPERVISOR_WRAPPER), 'utf8');
  if (!template.includes(WRAPPER_PLACEHOLDER)) {
    throw new Error(`${source(SUPERVISOR_WRAPPER)} has no ${WRAPPER_PLACEHOLDER} placeholder; this terok-sandbox release is not supported by Terok Setup`);
  }
  // Resolved before anything is written, so a missing binary leaves no half install.
  const terokSandbox = resolveTerokSandboxCommand(ctx, runtime);

  const hooksDir = paths.supervisorHooksDir;
  assertHookDirsOwnerOnly(ctx, 'the supervisor hooks and wrapper', supervisorHookDirs(paths));
  ensureDirectory(paths.sandboxState);
  ensureDirectory(hooksDir);
  const written: string[] = [];
  const put = (target: string, data: string | Buffer, mode: number) => { if (writeFileIfChanged(target, data, { mode, refuseSymlinks: true })) written.push(target); };
  put(path.join(hooksDir, SUPERVISOR_HOOK), readFileSync(hook), 0o755);
  put(path.join(hooksDir, SUPERVISOR_BALLAST), readFileSync(ballast), 0o755);
  put(paths.supervisorWrapper, template.split(WRAPPER_PLACEHOLDER).join(JSON.stringify([terokSandbox])), 0o755);
  for (const stage of HOOK_STAGES) {
    const descriptor = renderHookDescriptor({ script: path.join(hooksDir, SUPERVISOR_HOOK), argv0: 'supervisor_hook', stage, annotation: SUPERVISOR_ANNOTATION, pattern: '.+' });
    put(path.join(hooksDir, supervisorDescriptorName(stage)), descriptor, 0o644);
  }
  const containersConf = registerHooksDir(ctx, paths.containersConf, hooksDir);
  return { hooksDir, terokSandbox, written, containersConf };
}

export function uninstallSupervisorHooks(paths: TerokPaths): string[] {
  return removeFiles(supervisorHookFiles(paths));
}
