import { checkHostTools } from '../sandbox/prerequisites.ts';
import { computeShieldHealth, type ShieldHealthReport } from '../sandbox/shield-health.ts';
import { detectTerokRuntime, terokInstallPlan, type TerokRuntime } from '../sandbox/terok-runtime.ts';
import { planHooksDir } from '../sandbox/containers-conf.ts';
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

function planContainersConf(env: ProbeEnv): { warning: string | null; error: string | null } {
  try {
    return { warning: planHooksDir(env.ctx, env.paths.containersConf, env.paths.shieldHooksDir).warning, error: null };
  } catch (err) {
    return { warning: null, error: (err as Error).message };
  }
}

export const probeSandboxServices: Probe = async (env) => {
  const [report, runtime] = await Promise.all([shieldHealthOf(env), terokRuntimeOf(env)]);
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
