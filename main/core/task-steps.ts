/**
 * Every task step the engine offers, with its params (what a caller may pass,
 * as its schema accepts it) and its result. The contract hands this map to
 * the renderer, so `start(step, params)` and a step's result are typed end to
 * end; main still validates every params object (a renderer is untrusted).
 */
import type { StoredCredential } from './auth/credentials.ts';
import type { API_KEY_PARAMS, OAUTH_TERMINAL_PARAMS, SSH_PARAMS, SshKeyResult } from './auth/module.ts';
import type { OpenedTerminal } from './auth/terminal.ts';
import type { BuildResult, SidecarResult } from './images/build.ts';
import type { BUILD_PARAMS, SIDECAR_PARAMS } from './images/params.ts';
import type { IMPORT_PARAMS, ImportResult } from './images/import.ts';
import type { DISABLE_PARAMS, DisabledFile } from './roster/disable.ts';
import type { InstallResult } from './sandbox/install.ts';
import type { InstallableTool } from './host/distro.ts';
import type { PackageInstallResult } from './packages/install.ts';
import type { INSTALL_PARAMS, NO_PARAMS, UNINSTALL_PARAMS } from './sandbox/module.ts';
import type { UninstallResult } from './sandbox/uninstall.ts';
import type { UnlockOutcome, UnlockTier } from './vault/unlock.ts';
import type { FIX_ALL_PARAMS, FIX_ONE_PARAMS, FixAllResult, FixOneResult } from './steps/fix-all.ts';
import type { v } from './validate.ts';

type In<S extends v.GenericSchema> = NonNullable<v.InferInput<S>>;

export interface TaskStepMap {
  'setup.fix-all': { params: In<typeof FIX_ALL_PARAMS>; result: FixAllResult };
  'setup.fix': { params: In<typeof FIX_ONE_PARAMS>; result: FixOneResult };
  'sandbox.install': { params: In<typeof INSTALL_PARAMS>; result: InstallResult };
  'sandbox.uninstall': { params: In<typeof UNINSTALL_PARAMS>; result: UninstallResult };
  'vault.acknowledge-recovery': { params: In<typeof NO_PARAMS>; result: { marker: string } };
  'vault.recovery-key': { params: In<typeof NO_PARAMS>; result: { generatedPassphrase: string | null } };
  'vault.unlock': { params: { recoveryKey: string; tier?: UnlockTier | null }; result: UnlockOutcome };
  'terok.install': { params: In<typeof NO_PARAMS>; result: { command: string; version: string | null } };
  'packages.install': { params: { tools: InstallableTool[] }; result: PackageInstallResult };
  'images.build': { params: In<typeof BUILD_PARAMS>; result: BuildResult };
  'images.build-sidecar': { params: In<typeof SIDECAR_PARAMS>; result: SidecarResult };
  'images.import': { params: In<typeof IMPORT_PARAMS>; result: ImportResult };
  'roster.disable-user-file': { params: In<typeof DISABLE_PARAMS>; result: DisabledFile };
  'ssh.generate': { params: In<typeof SSH_PARAMS>; result: SshKeyResult };
  'credentials.api-key': { params: In<typeof API_KEY_PARAMS>; result: StoredCredential };
  'credentials.oauth-terminal': { params: In<typeof OAUTH_TERMINAL_PARAMS>; result: OpenedTerminal };
}

export type TaskStep = keyof TaskStepMap;
export type TaskParams<S extends TaskStep> = TaskStepMap[S]['params'];
export type TaskResult<S extends TaskStep> = TaskStepMap[S]['result'];

/** The same names at run time (a test checks the engine registers exactly these). */
export const TASK_STEP_NAMES = [
  'setup.fix-all', 'setup.fix', 'sandbox.install', 'sandbox.uninstall', 'vault.acknowledge-recovery', 'vault.recovery-key', 'vault.unlock', 'terok.install', 'packages.install',
  'images.build', 'images.build-sidecar', 'images.import', 'roster.disable-user-file', 'ssh.generate', 'credentials.api-key', 'credentials.oauth-terminal',
] as const satisfies readonly TaskStep[];

// Compile-time: the list names every step of the map.
type Unlisted = Exclude<TaskStep, (typeof TASK_STEP_NAMES)[number]>;
export const EVERY_STEP_LISTED: [Unlisted] extends [never] ? true : Unlisted = true;
