/**
 * terok-shield's OCI hooks: the installed package's payload copied into
 * `<terok state>/shield/hooks`, four descriptors, and the dir registered in
 * the user's containers.conf.
 *
 * Why we copy the files ourselves instead of running the installed
 * `terok-sandbox shield install-hooks`: the payload bytes are the package's
 * own (byte-for-byte copies, so health checks and terok agree), but the
 * containers.conf edit is ours — terok's installer writes a duplicate
 * `hooks_dir` key for `hooks_dir = []`, hides podman's default hook dirs, and
 * cannot show the user a warning before it edits. Copying also costs no
 * Python start-up, which keeps a re-run on a ready host near a second.
 * Descriptors follow the script-path layout (terok-shield's installer
 * generation "A"), which runs the scripts through their own shebang.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { HostContext } from '../host/context.ts';
import type { TerokPaths } from '../host/paths.ts';
import { registerHooksDir, type HooksDirEdit } from './containers-conf.ts';
import { assertHookDirsOwnerOnly, ensureDirectory, HOOK_STAGES, removeFiles, renderHookDescriptor, type HookStage } from './hook-files.ts';
import { writeFileIfChanged } from '../host/fs.ts';
import { computeShieldHealth, type ShieldHealthReport } from './shield-health.ts';
import { locatePayloadFile, type TerokRuntime } from './terok-runtime.ts';
import { pythonJsonString } from '../host/python-json.ts';

export const SHIELD_ANNOTATION = 'terok.shield.profiles';
export const SHIELD_HOOK = 'terok-shield-hook';
export const SHIELD_BRIDGE_HOOK = 'terok-shield-bridge-hook';
export const SHIELD_BALLAST = '_oci_state.py';
/** Only shipped by newer terok-shield releases; copied when present. */
export const SHIELD_HOST_TOOLS = '_host_tools.py';
export const NFLOG_READER = 'nflog-reader.py';
/** The quoted placeholder in the bridge hook that becomes the reader's absolute path as a JSON string. */
export const READER_PATH_PLACEHOLDER = '"__READER_SCRIPT_PATH__"';

/** Installed name → the file terok-shield ships it as (in its `resources/`). */
export const SHIELD_PAYLOAD_SOURCES: Readonly<Record<string, string>> = {
  [SHIELD_BALLAST]: '_oci_state.py',
  [SHIELD_HOOK]: 'nft_hook.py',
  [SHIELD_BRIDGE_HOOK]: 'reader_hook.py',
  [NFLOG_READER]: 'nflog_reader.py',
  [SHIELD_HOST_TOOLS]: '_host_tools.py',
};

const ROLE_SCRIPTS = [SHIELD_HOOK, SHIELD_BRIDGE_HOOK] as const;

/** `terok-shield-createRuntime.json`, `terok-shield-bridge-poststop.json`, … */
export const shieldDescriptorName = (script: (typeof ROLE_SCRIPTS)[number], stage: HookStage) =>
  `${script === SHIELD_HOOK ? 'terok-shield' : 'terok-shield-bridge'}-${stage}.json`;

/** Every file the shield installer may put in the hooks dir (what uninstall removes). */
export function shieldHookFiles(hooksDir: string): string[] {
  const names = [SHIELD_BALLAST, SHIELD_HOST_TOOLS, ...ROLE_SCRIPTS];
  for (const script of ROLE_SCRIPTS) for (const stage of HOOK_STAGES) names.push(shieldDescriptorName(script, stage));
  return names.map((n) => path.join(hooksDir, n));
}

/** The directories the shield installer writes into: the hooks dir and the state dir holding the NFLOG reader. */
export const shieldHookDirs = (paths: Pick<TerokPaths, 'shieldHooksDir' | 'shieldState'>): string[] => [paths.shieldHooksDir, paths.shieldState];

/** The NFLOG reader the bridge hook starts (outside the hooks dir, as terok puts it). */
export const shieldReaderPath = (paths: Pick<TerokPaths, 'shieldState'>): string => path.join(paths.shieldState, NFLOG_READER);

export interface ShieldInstallResult {
  hooksDir: string;
  readerPath: string;
  /** Files whose bytes changed in this run. */
  written: string[];
  containersConf: HooksDirEdit;
  health: ShieldHealthReport;
}

type ShieldCtx = Pick<HostContext, 'home' | 'systemContainersConfs' | 'defaultHooksDirs'>;

function requirePayload(shieldDir: string, installedName: string): string {
  const shipped = SHIELD_PAYLOAD_SOURCES[installedName]!;
  const found = locatePayloadFile(shieldDir, shipped);
  if (!found) throw new Error(`the installed terok-shield (${shieldDir}) does not ship ${shipped}; reinstall terok and re-run setup`);
  return found;
}

export function installShieldHooks(ctx: ShieldCtx, paths: TerokPaths, runtime: Pick<TerokRuntime, 'shieldDir' | 'expectedBundleVersion'>): ShieldInstallResult {
  const shieldDir = runtime.shieldDir;
  if (!shieldDir) throw new Error('terok-shield is not installed, so there are no hooks to install; install terok first');
  // Locate everything before writing anything: a broken package leaves the host untouched.
  const sources = new Map<string, string>();
  for (const f of [SHIELD_BALLAST, ...ROLE_SCRIPTS, NFLOG_READER]) sources.set(f, requirePayload(shieldDir, f));
  const hostTools = locatePayloadFile(shieldDir, SHIELD_PAYLOAD_SOURCES[SHIELD_HOST_TOOLS]!);
  if (hostTools) sources.set(SHIELD_HOST_TOOLS, hostTools);

  const hooksDir = paths.shieldHooksDir;
  const readerPath = shieldReaderPath(paths);
  assertHookDirsOwnerOnly(ctx, 'the shield hooks', shieldHookDirs(paths));
  ensureDirectory(paths.shieldState);
  ensureDirectory(hooksDir);
  const written: string[] = [];
  const put = (target: string, data: string | Buffer, mode: number) => { if (writeFileIfChanged(target, data, { mode, refuseSymlinks: true })) written.push(target); };

  put(readerPath, readFileSync(sources.get(NFLOG_READER)!), 0o755);
  for (const [name, source] of sources) {
    if (name === NFLOG_READER) continue;
    let data: string | Buffer = readFileSync(source);
    if (name === SHIELD_BRIDGE_HOOK) data = data.toString('utf8').split(READER_PATH_PLACEHOLDER).join(pythonJsonString(readerPath));
    put(path.join(hooksDir, name), data, ROLE_SCRIPTS.includes(name as never) ? 0o755 : 0o644);
  }
  for (const script of ROLE_SCRIPTS) {
    for (const stage of HOOK_STAGES) {
      const descriptor = renderHookDescriptor({ script: path.join(hooksDir, script), argv0: script, stage, annotation: SHIELD_ANNOTATION, pattern: '.*' });
      put(path.join(hooksDir, shieldDescriptorName(script, stage)), descriptor, 0o644);
    }
  }
  const containersConf = registerHooksDir(ctx, paths.containersConf, hooksDir);
  const health = computeShieldHealth(ctx, paths.containersConf, runtime.expectedBundleVersion);
  return { hooksDir, readerPath, written, containersConf, health };
}

/** Removes exactly the installer's files; the dir, the reader and containers.conf stay (as terok does). */
export function uninstallShieldHooks(paths: TerokPaths): string[] {
  return removeFiles(shieldHookFiles(paths.shieldHooksDir));
}
