/**
 * Shield health, computed natively the way terok-shield's
 * `check_environment` does — without importing Python:
 *
 *  1. active hooks dirs: the user containers.conf's `engine.hooks_dir` if it
 *     lists any; else the first system containers.conf that does; else
 *     podman's default hook dirs that exist;
 *  2. installed = an active dir holds `terok-shield-createRuntime.json`;
 *  3. version = walking the dirs from last to first, the first dir holding
 *     the descriptor decides: its `hook.path` (or `args[2]` for an
 *     interpreter-style descriptor) locates `_oci_state.py`, whose
 *     `BUNDLE_VERSION` must equal the installed terok-shield's.
 *
 * The persisting-hooks branch (podman ≥ 99) is dead upstream and skipped, so
 * this probe never spawns podman.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { HostContext } from '../host/context.ts';
import { isPlainObject } from '../host/config.ts';
import { readUserFile } from '../host/fs.ts';
import { activeHooksDirs } from './containers-conf.ts';

export type ShieldHealth = 'ok' | 'setup-needed' | 'stale-hooks' | 'bypass';

export const SHIELD_CREATE_RUNTIME = 'terok-shield-createRuntime.json';

export interface ShieldHealthReport {
  health: ShieldHealth;
  hooksDirs: string[];
  /** Which file the active dirs came from (or 'podman defaults'). */
  hooksDirsSource: string;
  descriptorDir: string | null;
  installedVersion: number | null;
  expectedVersion: number | null;
  issues: string[];
}

/** Hook scripts and descriptors are small; a hooks dir is the user's, so a FIFO or device there must not hang a probe. */
const MAX_HOOK_FILE_BYTES = 1024 * 1024;

const BUNDLE_RE = /^BUNDLE_VERSION\s*=\s*(\d+)/m;

export function readBundleVersion(ballastFile: string): number | null {
  try {
    const m = BUNDLE_RE.exec(readUserFile(ballastFile, { maxBytes: MAX_HOOK_FILE_BYTES, what: 'shield hook file' }) ?? '');
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The `_oci_state.py` a descriptor's hook script sits next to, or null if malformed. */
export function ballastForDescriptor(descriptorFile: string): string | null {
  try {
    const doc: unknown = JSON.parse(readUserFile(descriptorFile, { maxBytes: MAX_HOOK_FILE_BYTES, what: 'OCI hook descriptor' }) ?? '');
    if (!isPlainObject(doc) || !isPlainObject(doc.hook)) return null;
    const hook = doc.hook;
    let script = typeof hook.path === 'string' ? hook.path : null;
    const args = Array.isArray(hook.args) ? hook.args : [];
    // Interpreter-style descriptors: [python, "-I", "<script>", "<stage>"].
    if (script && /python[0-9.]*$/.test(path.basename(script)) && typeof args[2] === 'string') script = args[2];
    return script ? path.join(path.dirname(script), '_oci_state.py') : null;
  } catch {
    return null;
  }
}

export function computeShieldHealth(
  ctx: Pick<HostContext, 'home' | 'systemContainersConfs' | 'defaultHooksDirs'>,
  userConf: string,
  expectedVersion: number | null,
  opts: { bypass?: boolean } = {},
): ShieldHealthReport {
  if (opts.bypass) {
    return {
      health: 'bypass', hooksDirs: [], hooksDirsSource: '', descriptorDir: null, installedVersion: null, expectedVersion,
      issues: ['bypass_firewall_no_protection is set — egress firewall disabled'],
    };
  }
  const { dirs, source, issues } = activeHooksDirs(ctx, userConf);
  const withDescriptor = dirs.filter((d) => existsSync(path.join(d, SHIELD_CREATE_RUNTIME)));
  const base = { hooksDirs: dirs, hooksDirsSource: source, expectedVersion, issues };
  if (!withDescriptor.length) {
    return {
      ...base, health: 'setup-needed', descriptorDir: null, installedVersion: null,
      issues: [...issues, 'Global hooks not installed - containers will lose firewall on restart'],
    };
  }
  const decisive = withDescriptor.at(-1)!;
  const ballast = ballastForDescriptor(path.join(decisive, SHIELD_CREATE_RUNTIME));
  const installedVersion = ballast ? readBundleVersion(ballast) : null;
  if (installedVersion === null) {
    return { ...base, health: 'stale-hooks', descriptorDir: decisive, installedVersion, issues: [...issues, `Installed hook in ${decisive} has no readable version. Re-run setup to update.`] };
  }
  if (expectedVersion !== null && installedVersion !== expectedVersion) {
    return {
      ...base, health: 'stale-hooks', descriptorDir: decisive, installedVersion,
      issues: [...issues, `Installed hook version ${installedVersion} != expected ${expectedVersion}. Re-run setup to update.`],
    };
  }
  return { ...base, health: 'ok', descriptorDir: decisive, installedVersion };
}
