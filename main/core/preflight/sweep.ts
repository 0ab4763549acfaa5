/**
 * The probe sweep behind every page, badge and summary: all probes start at
 * once (they are independent), results come back in terok's order, and one
 * verdict function decides "ready" for the wizard, the CLI and the gate.
 */
import type { HostContext } from '../host/context.ts';
import { loadTerokConfig, type TerokConfig } from '../host/config.ts';
import { resolvePaths, type TerokPaths } from '../host/paths.ts';
import { shieldHealthOf, terokRuntimeOf } from '../probes/sandbox.ts';
import { classifyStamp, type SetupVerdictReport } from '../sandbox/setup-stamp.ts';
import { nextRunCommand } from './next-command.ts';
import { createMemo, type CheckResult, type GateSettings, type ProbeEnv, type ProbeOutcome } from '../probes/types.ts';
import { countsAgainstReadiness, STEPS, type StepId, type StepKind, type StepSpec } from './steps.ts';

/** What the sidebar shows for a step. */
export type StepState = 'ok' | 'warning' | 'failed' | 'skipped' | 'blocked';

export interface StepReport {
  id: StepId;
  title: string;
  kind: StepKind;
  result: CheckResult;
  facts: Record<string, unknown>;
  state: StepState;
  /** Lines terok prints when this step stays unmet (empty when met). */
  consequence: string[];
  manualCommand: string | null;
  offer: string | null;
}

export interface Verdict {
  ready: boolean;
  /** Short reasons for "not ready", in step order. */
  reasons: string[];
  /** Shield bypass is on: ready, but with unrestricted network. */
  bypass: boolean;
}

export interface ReadinessReport {
  settings: GateSettings;
  steps: StepReport[];
  /**
   * The setup stamp against the installed terok. terok's own `run` refuses
   * to start (exit 3/4) unless this is "ok", so "ready" requires it too.
   */
  setup: SetupVerdictReport;
  /** What to run once ready (names the base image when it is not terok's default). */
  nextCommand: string;
  verdict: Verdict;
  durationMs: number;
  checkedAt: string;
  warnings: string[];
}

export function makeProbeEnv(ctx: HostContext, settings: GateSettings, signal?: AbortSignal, config?: TerokConfig, paths?: TerokPaths): ProbeEnv {
  const cfg = config ?? loadTerokConfig(ctx);
  return { ctx, config: cfg, paths: paths ?? resolvePaths(ctx, cfg), settings, signal, memo: createMemo() };
}

function stateOf(spec: StepSpec, result: CheckResult, podmanOk: boolean): StepState {
  if (spec.id !== 'podman' && !podmanOk) return 'blocked';
  if (result.ok) return spec.id === 'podman' && result.message !== 'ok' ? 'warning' : 'ok';
  if (spec.kind === 'info') return 'warning';
  if (spec.kind === 'optional') return 'skipped';
  return 'failed';
}

export function buildStepReport(spec: StepSpec, outcome: ProbeOutcome, settings: GateSettings, podmanOk: boolean): StepReport {
  return {
    id: spec.id,
    title: spec.title,
    kind: spec.kind,
    result: outcome.result,
    facts: outcome.facts,
    state: stateOf(spec, outcome.result, podmanOk),
    consequence: outcome.result.ok ? [] : spec.unmet(settings).lines.map((l) => l.trim()),
    manualCommand: spec.manualCommand?.(settings) ?? null,
    offer: spec.offer?.(settings) ?? null,
  };
}

/**
 * The single readiness rule: podman must pass, then sandbox services and
 * images (terok's preflight), and the setup stamp must be current (terok's
 * run-time gate, which runs before its preflight).
 */
export function verdictOf(results: ReadonlyMap<StepId, CheckResult>, bypass: boolean, setup?: SetupVerdictReport): Verdict {
  const reasons: string[] = [];
  const podman = results.get('podman');
  if (!podman?.ok) {
    return { ready: false, reasons: [`podman: ${podman?.message ?? 'not checked'}`], bypass };
  }
  for (const spec of STEPS) {
    const r = results.get(spec.id);
    if (countsAgainstReadiness(spec.kind) && r && !r.ok) reasons.push(`${r.name}: ${r.message}`);
  }
  if (setup && setup.verdict !== 'ok') reasons.push(`setup stamp: ${setup.message}`);
  return { ready: reasons.length === 0, reasons, bypass };
}

/** The stamp verdict for this sweep, reusing the sweep's terok runtime lookup. */
export async function setupVerdictOf(env: ProbeEnv): Promise<SetupVerdictReport> {
  const runtime = await terokRuntimeOf(env);
  return classifyStamp(env.paths.setupStamp, runtime.packages as Record<string, string>);
}

/** Run a probe and turn any unexpected exception into a failed result (never a stack trace). */
export async function safeProbe(spec: StepSpec, env: ProbeEnv): Promise<ProbeOutcome> {
  try {
    return await spec.probe(env);
  } catch (err) {
    const name = spec.id === 'credentials' ? `${env.settings.provider} credentials` : spec.title.toLowerCase();
    return { result: { name, ok: false, message: `check failed: ${(err as Error).message}` }, facts: {} };
  }
}

/**
 * Probes that wait on external processes start first, so their processes run
 * while the in-process probes do their file reads; results still come back
 * in terok's order.
 */
const LAUNCH_ORDER: readonly StepId[] = ['podman', 'images', 'credentials', 'ssh', 'sandbox', 'git'];

/** Start every probe at once (process-bound ones first); the map is in launch order, read it by id. */
export function launchProbes(env: ProbeEnv, specs: readonly StepSpec[] = STEPS): Map<StepId, Promise<ProbeOutcome>> {
  const ordered = [...specs].sort((a, b) => LAUNCH_ORDER.indexOf(a.id) - LAUNCH_ORDER.indexOf(b.id));
  return new Map(ordered.map((spec) => [spec.id, safeProbe(spec, env)] as const));
}

export async function runSweep(ctx: HostContext, settings: GateSettings, signal?: AbortSignal): Promise<ReadinessReport> {
  const started = performance.now();
  const env = makeProbeEnv(ctx, settings, signal);
  const launched = launchProbes(env);
  const [outcomes, setup] = await Promise.all([Promise.all(STEPS.map((spec) => launched.get(spec.id)!)), setupVerdictOf(env)]);
  const shield = await shieldHealthOf(env).catch(() => null);
  const podmanOk = outcomes[0]!.result.ok;
  const steps = STEPS.map((spec, i) => buildStepReport(spec, outcomes[i]!, settings, podmanOk));
  // Hooks in place but the setup stamp not current: terok would still refuse to run, so the
  // sandbox step is not done (its probe line stays terok's; the state is what every view shows).
  const sandbox = steps.find((s) => s.id === 'sandbox')!;
  if (sandbox.state === 'ok' && setup.verdict !== 'ok') sandbox.state = 'failed';
  const results = new Map(steps.map((s) => [s.id, s.result] as const));
  return {
    settings,
    steps,
    setup,
    nextCommand: nextRunCommand(settings),
    verdict: verdictOf(results, shield?.health === 'bypass', setup),
    durationMs: Math.round(performance.now() - started),
    checkedAt: new Date().toISOString(),
    warnings: [...env.config.warnings, ...env.paths.warnings],
  };
}
