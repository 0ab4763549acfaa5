/**
 * Sandbox services: the shield hooks and the credential vault, installed once
 * per user and refreshed after terok upgrades. terok's gate line looks at the
 * hooks; the setup stamp (terok's run-time gate) decides whether the step is
 * done, so its status is "outdated" or "not-set-up" while the line says ok.
 * Beyond terok: a hook tree another user could replace (owner-only-dirs.ts)
 * makes a ready step "degraded" — a warning with the chmod fix — and its line
 * says so, in the wizard and in `terok-setup check` alike.
 */
import { planHooksDir } from '../sandbox/containers-conf.ts';
import { hookTreeProblems } from '../sandbox/hook-tree.ts';
import { installBlockOf, type InstallBlock } from '../sandbox/install-block.ts';
import { describeOwnerOnlyProblem, type OwnerOnlyProblem } from '../sandbox/owner-only-dirs.ts';
import { checkHostTools, type HostTool } from '../sandbox/prerequisites.ts';
import type { SetupVerdictReport } from '../sandbox/setup-stamp.ts';
import { terokInstallPlan, type TerokInstallPlan } from '../sandbox/terok-runtime.ts';
import { tierChoices, type TierChoice } from '../vault/provisioning.ts';
import type { VaultProblem } from '../vault/vault-access.ts';
import { defineStep, type Explanation, type FixCall, type Probed, type StepStatus } from './descriptor.ts';
import { setupVerdictOf, shieldHealthOf, terokRuntimeOf, vaultFileExists, vaultSnapshotOf, type ProbeEnv } from './probe-env.ts';

export interface VaultPlan {
  provisioned: boolean;
  source: string | null;
  reason: string | null;
  /** The DB exists but does not open (no tier holds its passphrase, or the one found does not fit). */
  locked: boolean;
  /** No tier holds a passphrase, no DB exists and systemd-creds is unavailable: the user picks a tier. */
  needsChoice: boolean;
  choices: TierChoice[];
}

export interface SandboxFacts {
  health: string;
  hooksDirs: string[];
  hooksDirsSource: string;
  installedBundleVersion: number | null;
  expectedBundleVersion: number | null;
  issues: string[];
  hostTools: HostTool[];
  terok: { via: string | null; packages: Record<string, string>; error: string | null; install: TerokInstallPlan | null };
  /** Shown before the install edits the user's containers.conf (or why it cannot). */
  containersConfPlan: { warning: string | null; error: string | null };
  vault: VaultPlan;
  setup: SetupVerdictReport['verdict'];
  shieldHooksDir: string;
  containersConf: string;
  /** Directories or hook files another user could use to replace a hook, each with its fix. */
  hookTree: OwnerOnlyProblem[];
  /** Why the install is certain to fail right now (a roster error, an ignored config.yml), or null. */
  installBlock: InstallBlock | null;
}

const LOCKED: ReadonlySet<VaultProblem> = new Set(['no-passphrase', 'broken-tier', 'wrong-passphrase']);

async function vaultPlan(env: ProbeEnv): Promise<VaultPlan> {
  const snapshot = await vaultSnapshotOf(env);
  const provisioned = snapshot.status !== 'unavailable' || vaultFileExists(env);
  const choices = provisioned ? [] : await tierChoices(env.ctx, env.signal);
  const automatic = choices.some((c) => c.tier === 'systemd-creds' && c.available);
  return {
    provisioned,
    source: snapshot.status === 'unavailable' ? null : snapshot.source,
    reason: snapshot.status === 'unavailable' ? snapshot.reason : null,
    locked: snapshot.status === 'unavailable' && LOCKED.has(snapshot.problem),
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

/** terok's line, plus (beyond terok) the first hook-tree problem: the CLI check shows only this line. */
function withHookTree(message: string, problems: readonly OwnerOnlyProblem[]): string {
  if (!problems.length) return message;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return `${message}; another user could replace the hooks: ${describeOwnerOnlyProblem(problems[0]!)}${more}`;
}

function statusOf(health: string, setup: SetupVerdictReport['verdict']): StepStatus {
  // Hooks gone while a setup record from an older terok exists: the upgrade moved them, it did not wipe the setup.
  if (health === 'setup-needed') return setup === 'stale_after_update' ? 'outdated' : 'missing';
  if (health === 'stale-hooks') return 'outdated';
  if (setup === 'first_run') return 'not-set-up';
  return setup === 'ok' ? 'ok' : 'outdated';
}

/** What "Refresh sandbox services" redoes and what it leaves alone (terok-executor setup is idempotent). */
export const REFRESH_NOTE = 'Refreshing redoes the firewall hooks, the supervisor wrapper, the setup record and the routes. It keeps your vault, credentials, SSH keys and images.';
export const NEEDS_REFRESH = 'Needs refresh after the terok upgrade';

function outdatedExplanation(facts: SandboxFacts): { headline: string; summary: string; fixNote?: string } {
  if (facts.setup === 'stale_after_downgrade') {
    return { headline: 'terok was downgraded since the last setup: it refuses to run against files set up by a newer release. The note at the top says what to do.', summary: 'terok was downgraded since the last setup' };
  }
  if (facts.setup === 'stamp_corrupt') {
    return { headline: 'The setup record is unreadable. Refresh the sandbox services to write it again.', summary: 'Needs refresh: the setup record is unreadable', fixNote: REFRESH_NOTE };
  }
  const what = facts.health === 'stale-hooks' ? 'the installed firewall hooks are from the previous version'
    : facts.health === 'setup-needed' ? 'the firewall hooks are not where the new version looks for them'
      : 'the setup record is from the previous version';
  return { headline: `${NEEDS_REFRESH}: ${what}. Nothing of yours was lost.`, summary: NEEDS_REFRESH, fixNote: REFRESH_NOTE };
}

/** A ready (or not yet installed) sandbox whose hook tree others could write says so; the install block lists each directory and its fix command. */
function hookTreeExplanation(base: Explanation, facts: SandboxFacts): Explanation {
  if (!facts.hookTree.length) return base;
  const lead = base.headline.replace(/\.$/, '');
  return {
    ...base,
    headline: `${lead}, but another user on this computer could replace the hooks, which podman runs as you at every container start. Make the directories below yours alone; until then setup refuses to write hooks there.`,
  };
}

function servicesExplanation(status: StepStatus, facts: SandboxFacts): Explanation {
  const bypass = facts.health === 'bypass';
  switch (status) {
    // Degraded is ready with unsafe hook directories: hookTreeExplanation adds that.
    case 'ok': case 'degraded': return { headline: bypass ? 'The firewall is bypassed by configuration: containers have unrestricted network.' : 'Shield ready, setup current.' };
    case 'not-set-up': return { headline: 'The firewall hooks are in place, but setup has not finished on this machine yet.' };
    case 'outdated': return outdatedExplanation(facts);
    default: return { headline: 'Not set up yet: the firewall hooks and the credential vault are installed in one step.' };
  }
}

export const sandboxStep = defineStep({
  id: 'sandbox',
  title: 'Sandbox services',
  requirement: 'required',
  gate: 'terok-preflight',
  dependsOn: ['podman'],
  cost: 'files',
  about: 'Every terok container gets an egress firewall (the shield) and a credential vault through podman hooks. They are installed once per user, and refreshed after terok upgrades.',
  checkName: () => 'sandbox services',
  async probe(env): Promise<Probed<SandboxFacts>> {
    const [report, runtime, vault, setup] = await Promise.all([shieldHealthOf(env), terokRuntimeOf(env), vaultPlan(env), setupVerdictOf(env)]);
    const hookTree = hookTreeProblems(env.ctx, env.paths);
    const facts: SandboxFacts = {
      health: report.health,
      hooksDirs: report.hooksDirs,
      hooksDirsSource: report.hooksDirsSource,
      installedBundleVersion: report.installedVersion,
      expectedBundleVersion: report.expectedVersion,
      issues: report.issues,
      hostTools: checkHostTools(env.ctx),
      terok: { via: runtime.via, packages: runtime.packages, error: runtime.error ?? null, install: runtime.via ? null : terokInstallPlan(env.ctx) },
      containersConfPlan: planContainersConf(env),
      vault,
      setup: setup.verdict,
      shieldHooksDir: env.paths.shieldHooksDir,
      containersConf: env.paths.containersConf,
      hookTree,
      installBlock: installBlockOf(env.ctx, env.config, env.paths, hookTree),
    };
    const hooksOk = report.health === 'ok' || report.health === 'bypass';
    const result = { name: 'sandbox services', ok: hooksOk, message: withHookTree(hooksOk ? 'shield ready' : 'missing: shield hooks', facts.hookTree) };
    const status = statusOf(report.health, setup.verdict);
    // Works, but not safely: a warning, never "ok" (a not-yet-ready step keeps its own status; its install block says why).
    return { result, status: status === 'ok' && facts.hookTree.length ? 'degraded' : status, facts };
  },
  unmet: () => ({ stream: 'stderr', lines: ['      Run: terok-executor setup'] }),
  manualCommand: () => 'terok-executor setup',
  explain(probed) {
    const { status, facts } = probed;
    const base = hookTreeExplanation(servicesExplanation(status, facts), facts);
    if (!facts.vault.locked) return base;
    // Never "ready" over a locked vault without saying so; an install stops at a locked vault, so it says that too.
    const locked = status === 'ok'
      ? ' The vault is locked, though: SSH keys and agent credentials cannot be used until you unlock it.'
      : ' The vault is locked, and installing stops there until it is unlocked: unlock it first.';
    return { ...base, headline: base.headline + locked, prerequisite: { step: 'vault', label: 'Unlock the vault' } };
  },
  fix: {
    offer: () => 'Install shield hooks now?',
    action: 'Install sandbox services',
    tasks: ['terok.install', 'sandbox.install'],
    plan(_s, facts, options) {
      const calls: FixCall[] = [];
      // terok itself first, when pipx can install it (without pipx the install reports what to run).
      if (!facts.terok.via && facts.terok.install?.argv) calls.push({ task: 'terok.install', params: {} });
      const picked = options.pickTier && facts.vault.needsChoice ? facts.vault.choices.find((c) => c.available)?.tier : undefined;
      const tier = options.passphraseTier ?? picked;
      calls.push({ task: 'sandbox.install', params: tier ? { passphraseTier: tier } : {}, succeeded: (r) => (r as { exitCode?: number } | null)?.exitCode === 0 });
      return { run: calls };
    },
    terok: {
      stages: true,
      // terok's text for an exit request is just the code.
      failed: (f) => [`  sandbox setup failed: ${'failure' in f ? f.failure.message : (f.result as { exitCode?: number } | null)?.exitCode ?? 1}`],
    },
  },
});
