/**
 * Sweep what older terok releases installed and the current layout replaced:
 * systemd user units for the host vault/gate/clearance services, their
 * sockets, the old shield hook files in `~/.local/share/containers/oci/hooks.d`
 * and an NFLOG reader at its old path. Best effort: every step swallows its
 * own errors, and a clean host costs one quick `systemctl` call.
 */
import { readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { HostContext } from '../host/context.ts';
import type { TerokPaths } from '../host/paths.ts';
import { which } from '../host/which.ts';
import { NFLOG_READER } from './shield-hooks.ts';

export const LEGACY_UNITS = [
  'terok-clearance-hub.service', 'terok-clearance-verdict.service', 'terok-clearance-notifier.service',
  'terok-vault.service', 'terok-vault.socket', 'terok-vault-socket.service',
  'terok-gate.socket', 'terok-gate@.service', 'terok-gate-socket.service',
] as const;

/** Unit files in the user unit dir that belong to the legacy services. */
const LEGACY_UNIT_FILE = /^(terok-clearance-.*\.service|terok-vault\.(service|socket)|terok-vault-.*\.(service|socket)|terok-gate.*\.(service|socket))$/;

export const LEGACY_HOOK_FILES = [
  '_oci_state.py', 'terok-shield-hook', 'terok-shield-bridge-hook',
  'terok-shield-createRuntime.json', 'terok-shield-poststop.json',
  'terok-shield-bridge-createRuntime.json', 'terok-shield-bridge-poststop.json',
] as const;

const LEGACY_RUNTIME_SOCKETS = ['vault.sock', 'ssh-agent.sock', 'gate-server.sock'] as const;

export const LEGACY_CLEANUP_DETAIL = 'swept (legacy units + sockets, if any)';

export interface LegacySweep {
  disabledUnits: string[];
  removedFiles: string[];
}

function tryUnlink(file: string, removed: string[]): void {
  try {
    unlinkSync(file);
    removed.push(file);
  } catch { /* absent or not ours to remove: best effort */ }
}

function tryRmdirIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch { /* best effort */ }
}

/** `$XDG_CONFIG_HOME/systemd/user`, or null when it must not be touched (root, or outside HOME). */
export function userUnitDir(ctx: Pick<HostContext, 'env' | 'home' | 'isRealRoot'>): string | null {
  if (ctx.isRealRoot) return null;
  const base = path.resolve(ctx.env.XDG_CONFIG_HOME || path.join(ctx.home, '.config'));
  const home = path.resolve(ctx.home);
  if (base !== home && !base.startsWith(home + path.sep)) return null;
  return path.join(base, 'systemd', 'user');
}

export async function sweepLegacyInstall(ctx: HostContext, paths: TerokPaths, signal?: AbortSignal): Promise<LegacySweep> {
  const sweep: LegacySweep = { disabledUnits: [], removedFiles: [] };
  const systemctl = which(ctx, 'systemctl');
  const unitDir = userUnitDir(ctx);
  let unitFiles: string[] = [];
  if (unitDir) {
    try { unitFiles = readdirSync(unitDir).filter((f) => LEGACY_UNIT_FILE.test(f)); } catch { /* no unit dir */ }
  }

  if (systemctl) {
    // Ask systemd which legacy units it knows, so a clean host costs one call instead of nine.
    let known: string[] = [];
    try {
      const listed = await ctx.run(systemctl, ['--user', 'list-unit-files', '--no-legend', '--no-pager', 'terok-*'], { timeoutMs: 5000, signal, allowNonZero: true });
      known = listed.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((u) => (LEGACY_UNITS as readonly string[]).includes(u) || LEGACY_UNIT_FILE.test(u));
    } catch { /* no user manager: nothing to disable */ }
    for (const unit of new Set([...known, ...unitFiles])) {
      try {
        await ctx.run(systemctl, ['--user', 'disable', '--now', unit], { timeoutMs: 10_000, signal, allowNonZero: true });
        sweep.disabledUnits.push(unit);
      } catch { /* best effort */ }
    }
  }
  if (unitDir) for (const f of unitFiles) tryUnlink(path.join(unitDir, f), sweep.removedFiles);
  if (systemctl && (sweep.disabledUnits.length || unitFiles.length)) {
    try { await ctx.run(systemctl, ['--user', 'daemon-reload'], { timeoutMs: 10_000, signal, allowNonZero: true }); } catch { /* best effort */ }
  }

  if (ctx.env.XDG_RUNTIME_DIR) tryUnlink(path.join(ctx.env.XDG_RUNTIME_DIR, 'terok-shield-events.sock'), sweep.removedFiles);
  // vault.passphrase in the same dir is a live passphrase cache: never touched.
  for (const s of LEGACY_RUNTIME_SOCKETS) tryUnlink(path.join(paths.sandboxRuntime, s), sweep.removedFiles);

  // The reader's old home; terok also deletes it when it is the current path, which breaks
  // the bridge hook under --no-shield. We only remove it when it is really stale.
  const oldShieldDir = path.join(ctx.env.XDG_DATA_HOME || path.join(ctx.home, '.local', 'share'), 'terok', 'shield');
  if (path.resolve(oldShieldDir) !== path.resolve(paths.shieldState)) {
    tryUnlink(path.join(oldShieldDir, NFLOG_READER), sweep.removedFiles);
    tryRmdirIfEmpty(oldShieldDir);
    tryRmdirIfEmpty(path.dirname(oldShieldDir));
  }

  const oldHooksDir = path.join(ctx.home, '.local', 'share', 'containers', 'oci', 'hooks.d');
  for (const f of LEGACY_HOOK_FILES) tryUnlink(path.join(oldHooksDir, f), sweep.removedFiles);
  return sweep;
}
