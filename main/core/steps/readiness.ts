/**
 * The probe sweep behind every page, badge and summary, and the one
 * readiness rule: every face (wizard, CLI check, CLI run, the fix-all task)
 * reads its verdict and exit code from here.
 */
import type { HostContext } from '../host/context.ts';
import { loadTerokConfig, type TerokConfig } from '../host/config.ts';
import { resolvePaths, type TerokPaths } from '../host/paths.ts';
import { configBaseImageProblem } from '../images/params.ts';
import { currentRoster } from '../roster/current.ts';
import { rosterDirsOf } from '../roster/load.ts';
import type { SetupVerdictReport } from '../sandbox/setup-stamp.ts';
import type { GateSettings } from '../settings.ts';
import type { TaskStep } from '../task-steps.ts';
import { isMet, type Explanation, type Probed, type Requirement, type StepStatus } from './descriptor.ts';
import { nextRunCommand } from './next-command.ts';
import { makeProbeEnv, setupVerdictOf, shieldHealthOf, type CheckResult, type ProbeEnv } from './probe-env.ts';
import { LAUNCH_ORDER, STEPS, stepOf, type FactsOf, type Step, type StepId } from './registry.ts';

export const EXIT_READY = 0;
export const EXIT_NOT_READY = 3;
export const EXIT_DOWNGRADE = 4;
export type ReadinessExit = typeof EXIT_READY | typeof EXIT_NOT_READY | typeof EXIT_DOWNGRADE;

/**
 * What the sidebar shows for a step:
 *   ok      — in place
 *   todo    — not set up yet (never attempted, or its home not created): neutral, not a failure
 *   warning — in place with a caveat, locked, or needing a refresh (after a terok upgrade)
 *   failed  — broken: installed but not answering, or the check itself failed
 *   blocked — waits for an unmet dependency
 * A fix that was tried and failed is the renderer's to mark (it saw the task end).
 */
export const STEP_STATES = ['ok', 'todo', 'warning', 'failed', 'blocked'] as const;
export type StepState = (typeof STEP_STATES)[number];

export interface StepReportOf<Id extends StepId> {
  id: Id;
  title: string;
  requirement: Requirement;
  gate: Step['gate'];
  /** terok's line. */
  result: CheckResult;
  status: StepStatus;
  state: StepState;
  /** Unmet steps this one waits for (non-empty exactly when `state` is blocked). */
  blockedBy: StepId[];
  facts: FactsOf<Id>;
  explanation: Explanation;
  /** The wizard's one line for this step in a list (Summary): "Not set up yet" when never done, else terok's message. */
  summary: string;
  /** Lines terok prints when this step stays unmet (empty when met). */
  consequence: string[];
  manualCommand: string | null;
  offer: string | null;
  /** The step has a fix and it can help in this state (a page shows its button only then). */
  fixable: boolean;
  /** An unattended walk (`run --yes`, "Set up everything") starts that fix; an explicit one (installing podman) waits for its own button. */
  walkFixes: boolean;
  /** The task and params of "run again" (e.g. Rebuild), for this step's settings. */
  again: { task: TaskStep; params: Record<string, unknown> } | null;
}

/** One step's report; `facts` is typed by `id`. */
export type StepReport = { [Id in StepId]: StepReportOf<Id> }[StepId];

/** A step's report out of a sweep, typed by its id. */
export function reportOf<Id extends StepId>(report: Pick<ReadinessReport, 'steps'>, id: Id): StepReportOf<Id> | undefined {
  return report.steps.find((s) => s.id === id) as StepReportOf<Id> | undefined;
}

export interface Verdict {
  ready: boolean;
  /** Short reasons for "not ready", in step order (terok's words). */
  reasons: string[];
  /** The steps those reasons belong to (a stale setup stamp is the sandbox step's), for pages to link and word themselves. */
  unmet: StepId[];
  /** Shield bypass is on: ready, but with unrestricted network. */
  bypass: boolean;
}

export interface ReadinessReport {
  settings: GateSettings;
  steps: StepReport[];
  /** The setup stamp against the installed terok; terok's run refuses to start unless it is "ok". */
  setup: SetupVerdictReport;
  /** What to run once ready (names the base image when it is not terok's default). */
  nextCommand: string;
  verdict: Verdict;
  durationMs: number;
  checkedAt: string;
  warnings: string[];
}

export const NOT_SET_UP = 'Not set up yet';

/**
 * The state a step shows: blocked by an unmet dependency, else from its status.
 * Never attempted is "todo" whatever the requirement; red "failed" is kept for
 * what is broken, and never for an informational step.
 */
export function stateOf(step: Pick<Step, 'requirement'>, status: StepStatus, blocked: boolean): StepState {
  if (blocked) return 'blocked';
  switch (status) {
    case 'ok': return 'ok';
    case 'missing': case 'not-set-up': return 'todo';
    case 'degraded': case 'outdated': case 'locked': return 'warning';
    case 'unresponsive': case 'error': return step.requirement === 'info' ? 'warning' : 'failed';
  }
}

/**
 * The readiness rule. Podman must pass (terok stops there); then every
 * required terok gate line must pass and the setup stamp must be current
 * (terok's run-time gate). Wizard-only steps never count.
 */
export function verdictOf(results: ReadonlyMap<StepId, CheckResult>, setup: Pick<SetupVerdictReport, 'verdict' | 'message'> | null, bypass: boolean): Verdict {
  const reasons: string[] = [];
  const unmet: StepId[] = [];
  for (const step of STEPS) {
    const r = results.get(step.id);
    if (step.gate !== 'terok-preflight' || step.requirement !== 'required' || !r || r.ok) continue;
    if ((step as Step).stopsEverything) {
      return { ready: false, reasons: [`${r.name}: ${r.message}`], unmet: [step.id], bypass };
    }
    reasons.push(`${r.name}: ${r.message}`);
    unmet.push(step.id);
  }
  if (setup && setup.verdict !== 'ok') {
    reasons.push(`setup stamp: ${setup.message}`);
    unmet.push('sandbox');
  }
  return { ready: reasons.length === 0, reasons, unmet: STEPS.map((s) => s.id).filter((id) => unmet.includes(id)), bypass };
}

/** terok's script contract: 0 ready, 4 downgrade (outranks every other reason), else 3. */
export function exitCodeOf(verdict: Pick<Verdict, 'ready'>, setup: Pick<SetupVerdictReport, 'verdict'> | null): ReadinessExit {
  if (setup?.verdict === 'stale_after_downgrade') return EXIT_DOWNGRADE;
  return verdict.ready ? EXIT_READY : EXIT_NOT_READY;
}

/** Run a probe and turn any unexpected exception into a failed result (never a stack trace). */
export async function safeProbe(step: Step, env: ProbeEnv): Promise<Probed<unknown>> {
  try {
    return await step.probe(env);
  } catch (err) {
    return { result: { name: step.checkName(env.settings), ok: false, message: `check failed: ${(err as Error).message}` }, status: 'error', facts: {} };
  }
}

/** Start the given probes at once (process-bound ones first); read the map by id. */
export function launchProbes(env: ProbeEnv, ids: readonly StepId[] = LAUNCH_ORDER): Map<StepId, Promise<Probed<unknown>>> {
  const wanted = new Set(ids);
  return new Map(LAUNCH_ORDER.filter((id) => wanted.has(id)).map((id) => [id, safeProbe(stepOf(id), env)] as const));
}

/** A step's fix exists and can help in the probed state. */
export function fixApplies(step: Step, probed: Probed<unknown>): boolean {
  const fix = step.fix as { applies?(p: Probed<unknown>): boolean } | undefined;
  return Boolean(fix) && (fix!.applies?.(probed) ?? true);
}

/** The walk (`run --yes`, "Set up everything") starts the step's fix: it applies and waits for no button of its own. */
export function walkFixes(step: Step, probed: Probed<unknown>): boolean {
  return fixApplies(step, probed) && !step.fix!.explicit;
}

/** The step's dependencies that are not met in `statuses`. */
export function blockedBy(step: Step, statuses: ReadonlyMap<StepId, StepStatus>): StepId[] {
  return (step.dependsOn as readonly StepId[]).filter((d) => !isMet(statuses.get(d) ?? 'error'));
}

export function stepReport(step: Step, probed: Probed<unknown>, settings: GateSettings, statuses: ReadonlyMap<StepId, StepStatus>): StepReport {
  const blockers = blockedBy(step, statuses);
  const again = step.fix?.again?.call(settings);
  const state = stateOf(step, probed.status, blockers.length > 0);
  const explanation = step.explain(probed, settings);
  // The descriptor's probe produced these facts for this id; the union cannot see that through the erased `Step`.
  return {
    id: step.id,
    title: step.title,
    requirement: step.requirement,
    gate: step.gate,
    result: probed.result,
    status: probed.status,
    state,
    blockedBy: blockers,
    facts: probed.facts,
    explanation,
    summary: explanation.summary ?? (state === 'todo' ? NOT_SET_UP : probed.result.message),
    consequence: probed.result.ok ? [] : step.unmet(settings).lines.map((l) => l.trim()),
    manualCommand: step.manualCommand?.(settings) ?? null,
    offer: step.fix?.offer(settings) ?? null,
    fixable: fixApplies(step, probed),
    walkFixes: walkFixes(step, probed),
    again: again ? { task: again.task, params: again.params } : null,
  } as StepReport;
}

/** A step whose report is not in yet: its own probe still runs, and/or it waits on a dependency's. */
export interface PendingStep {
  id: StepId;
  /** Its own probe has not answered yet. */
  probing: boolean;
  /** Dependencies whose probes have not answered yet (its report needs their status). */
  waitingFor: StepId[];
}

/**
 * Probes answered during a sweep (those of one event-loop turn together).
 * `steps` are the reports that became final with them (a step's report is final once its probe and its dependencies' have
 * answered, so the sweep's report holds exactly these objects); `pending` is
 * everything still out. The last progress of a sweep has `pending` empty.
 */
export interface SweepProgress {
  steps: StepReport[];
  pending: PendingStep[];
}

export async function runSweep(ctx: HostContext, settings: GateSettings, signal?: AbortSignal, onProgress?: (p: SweepProgress) => void): Promise<ReadinessReport> {
  const started = performance.now();
  const env = makeProbeEnv(ctx, settings, signal);
  const launched = launchProbes(env);
  const answered = new Map<StepId, Probed<unknown>>();
  const reports = new Map<StepId, StepReport>();
  const statuses = new Map<StepId, StepStatus>();
  const depsOf = (s: Step) => s.dependsOn as readonly StepId[];
  // Landings in one turn of the event loop go out as one progress (the in-process probes land together).
  let told: StepReport[] | null = null;
  const tell = () => {
    if (!told || !onProgress) return;
    const steps = told;
    told = null;
    const pending = (STEPS as readonly Step[]).filter((s) => !reports.has(s.id))
      .map((s) => ({ id: s.id, probing: !answered.has(s.id), waitingFor: depsOf(s).filter((d) => !answered.has(d)) }));
    // A listener's failure must not lose the sweep.
    try { onProgress({ steps, pending }); } catch { /* the final report still carries every step */ }
  };
  const land = (id: StepId, probed: Probed<unknown>) => {
    answered.set(id, probed);
    statuses.set(id, probed.status);
    if (onProgress && !told) { told = []; setImmediate(tell); }
    for (const s of STEPS as readonly Step[]) {
      if (reports.has(s.id) || !answered.has(s.id) || !depsOf(s).every((d) => answered.has(d))) continue;
      const r = stepReport(s, answered.get(s.id)!, settings, statuses);
      reports.set(s.id, r);
      told?.push(r);
    }
  };
  const probes = Promise.all(STEPS.map((s) => launched.get(s.id)!.then((p) => land(s.id, p))));
  const [, setup] = await Promise.all([probes, setupVerdictOf(env)]);
  // The last landings go out before the report does.
  tell();
  const shield = await shieldHealthOf(env).catch(() => null);
  const steps = STEPS.map((s) => reports.get(s.id)!);
  return {
    settings,
    steps,
    setup,
    nextCommand: nextRunCommand(settings),
    verdict: verdictOf(new Map(steps.map((s) => [s.id, s.result] as const)), setup, shield?.health === 'bypass'),
    durationMs: Math.round(performance.now() - started),
    checkedAt: new Date().toISOString(),
    warnings: warningsOf(env.config, env.paths),
  };
}

/**
 * Everything of the user's that is being ignored or overridden — a config.yml
 * that cannot be used, a deprecated variable, agent or provider files that do
 * not load — in one list, for every face: the report (the wizard's banner)
 * and the CLI, before any command that depends on it.
 */
export function warningsOf(config: TerokConfig, paths: TerokPaths, opts: { roster?: boolean } = {}): string[] {
  const roster = opts.roster === false ? null : currentRoster(rosterDirsOf(paths)).error;
  const baseImage = configBaseImageProblem(config);
  return [
    ...config.warnings,
    ...paths.warnings,
    ...(baseImage ? [baseImage] : []),
    ...(roster ? [`your agent or provider files cannot be used, so the bundled roster stands in (installing the sandbox stops at its first stage until they are fixed): ${roster.message}`] : []),
  ];
}

export function hostWarnings(ctx: HostContext, opts: { roster?: boolean } = {}): string[] {
  const config = loadTerokConfig(ctx);
  return warningsOf(config, resolvePaths(ctx, config), opts);
}
