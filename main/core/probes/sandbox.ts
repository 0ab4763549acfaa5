import { checkHostTools } from '../sandbox/prerequisites.ts';
import { computeShieldHealth, type ShieldHealthReport } from '../sandbox/shield-health.ts';
import { detectTerokRuntime, terokInstallPlan, type TerokRuntime } from '../sandbox/terok-runtime.ts';
import { planHooksDir } from '../sandbox/containers-conf.ts';
import { tierChoices } from '../vault/provisioning.ts';
import { vaultSnapshotOf } from './vault.ts';
import { existsSync } from 'node:fs';
import type { Probe, ProbeEnv } from './types.ts';

export const terokRuntimeOf = (env: ProbeEnv): Promise<TerokRuntime> =>
  env.memo('terok-runtime', () => detectTerokRuntime(env.ctx, env.signal));

/** One health computation per sweep, shared by the sandbox-services and shield probes. */
export const shieldHealthOf = (env: ProbeEnv): Promise<ShieldHealthReport> =>
  env.memo('shield-health', async () => {
    const runtime = await terokRuntimeOf(env);
    // terok-sandbox hard-wires shield_bypass off for standalone use; only an
    // orchestrator's own config can turn it on, so the wizard never does.
    return computeShieldHealth(env.ctx, env.paths.containersConf, runtime.expectedBundleVersion);
  });

/**
 * Whether the install will need the user to pick where the vault passphrase
 * lives: only when no tier holds one yet, no DB exists, and systemd-creds
 * (which the install uses on its own) is unavailable.
 */
async function vaultPlan(env: ProbeEnv) {
  const snapshot = await vaultSnapshotOf(env);
  const provisioned = snapshot.status !== 'unavailable' || existsSync(env.paths.credentialDb);
  const choices = provisioned ? [] : await tierChoices(env.ctx, env.signal);
  const automatic = choices.some((c) => c.tier === 'systemd-creds' && c.available);
  return {
    provisioned,
    source: snapshot.status === 'unavailable' ? null : snapshot.source,
    reason: snapshot.status === 'unavailable' ? snapshot.reason : null,
    needsChoice: !provisioned && !automatic,
    choices: choices.filter((c) => c.tier !== 'systemd-creds'),
  };
}

function planContainersConf(env: ProbeEnv): { warning: string | null; error: string | null } {
  try {
    return { warning: planHooksDir(env.ctx, env.paths.containersConf, env.paths.shieldHooksDir).warning, error: null };
  } catch (err) {
    return { warning: null, error: (err as Error).message };
  }
}

export const probeSandboxServices: Probe = async (env) => {
  const [report, runtime, vault] = await Promise.all([shieldHealthOf(env), terokRuntimeOf(env), vaultPlan(env)]);
  const facts = {
    health: report.health,
    hooksDirs: report.hooksDirs,
    hooksDirsSource: report.hooksDirsSource,
    installedBundleVersion: report.installedVersion,
    expectedBundleVersion: report.expectedVersion,
    issues: report.issues,
    hostTools: checkHostTools(env.ctx),
    terok: { via: runtime.via, packages: runtime.packages, error: runtime.error ?? null, install: runtime.via ? null : terokInstallPlan(env.ctx) },
    // Shown before the install edits the user's containers.conf (or why it cannot).
    containersConfPlan: planContainersConf(env),
    vault,
    shieldHooksDir: env.paths.shieldHooksDir,
    containersConf: env.paths.containersConf,
  };
  if (report.health !== 'ok' && report.health !== 'bypass') {
    return { result: { name: 'sandbox services', ok: false, message: 'missing: shield hooks' }, facts };
  }
  return { result: { name: 'sandbox services', ok: true, message: 'shield ready' }, facts };
};

/** Informational; unlike sandbox services, bypass counts as not active here. */
export const probeShield: Probe = async (env) => {
  const report = await shieldHealthOf(env);
  const facts = { health: report.health };
  if (report.health === 'ok') return { result: { name: 'shield', ok: true, message: 'active' }, facts };
  return { result: { name: 'shield', ok: false, message: 'not installed (containers have unrestricted network)' }, facts };
};
