/**
 * The one orchestrator: `setup.fix-all` walks the steps in terok's order,
 * fixes what its descriptors can fix (each fix a sub-task), re-probes after
 * every fix, goes on with independent steps when one fails, and stops for the
 * user where it must (a confirmation, a new recovery key, a credential). The
 * wizard's "Fix everything", `terok-setup run` and `check` all drive it; with
 * `fix: false` it only reports.
 */
import type { HostContext } from '../host/context.ts';
import { authenticatableNames } from '../roster/auth-map.ts';
import { settingsSchema, type GateSettings } from '../settings.ts';
import { optBool, parseWith, taskParams, v } from '../validate.ts';
import { CancelledError, InvalidParamsError } from '../errors.ts';
import type { StepImpl, TaskContext } from '../tasks/task-manager.ts';
import { PROVISIONABLE_TIERS } from '../vault/provisioning.ts';
import type { FixCall, FixOptions, Probed, StepStatus } from './descriptor.ts';
import { makeProbeEnv, setupVerdictOf, shieldHealthOf, type CheckResult, type ProbeEnv } from './probe-env.ts';
import { blockedBy, exitCodeOf, launchProbes, verdictOf, walkFixes, type ReadinessExit } from './readiness.ts';
import { STEPS, STEP_IDS, stepOf, type Step, type StepId } from './registry.ts';

export const FIX_ALL_STEP = 'setup.fix-all';
/** One step's fix through the same code (a page's fix button). */
export const FIX_STEP = 'setup.fix';
export const ACKNOWLEDGE_STEP = 'vault.acknowledge-recovery';

export interface FixAllParams {
  settings: GateSettings;
  /** false: report only, change nothing (`check`). */
  fix: boolean;
  /** Ask before each fix (an interactive `run` without --yes); otherwise every offer is accepted. */
  confirm: boolean;
  options: FixOptions;
}

export interface FixAllResult {
  ready: boolean;
  exitCode: ReadinessExit;
  results: Partial<Record<StepId, CheckResult>>;
  fixed: StepId[];
  failed: StepId[];
}

/** The walk's order: terok's gate first (its lines and exits stay byte-exact), then wizard-only checks. */
const WALK: readonly Step[] = [...(STEPS as readonly Step[]).filter((s) => s.gate === 'terok-preflight'), ...(STEPS as readonly Step[]).filter((s) => s.gate === 'wizard')];


const WALK_FIELDS = {
  settings: v.optional(settingsSchema()),
  fix: optBool('fix'),
  confirm: optBool('confirm'),
  passphraseTier: v.optional(v.picklist(PROVISIONABLE_TIERS, `passphraseTier must be one of ${PROVISIONABLE_TIERS.join(', ')}`)),
  pickTier: optBool('pickTier'),
};
/** `setup.fix-all` params (they come from the renderer too). */
export const FIX_ALL_PARAMS = taskParams(WALK_FIELDS);
/** `setup.fix` params: the walk's, plus the step. */
export const FIX_ONE_PARAMS = taskParams({ ...WALK_FIELDS, step: v.picklist(STEP_IDS.filter((id) => stepOf(id).fix), 'step must be a step with a fix') });

function walkParams(p: v.InferOutput<typeof FIX_ALL_PARAMS>, defaults: GateSettings): FixAllParams {
  return {
    settings: p.settings ?? defaults,
    fix: p.fix !== false,
    confirm: p.confirm === true,
    options: { ...(p.passphraseTier ? { passphraseTier: p.passphraseTier } : {}), ...(p.pickTier ? { pickTier: true } : {}) },
  };
}

export const parseFixAllParams = (raw: unknown, defaults: GateSettings): FixAllParams => walkParams(parseWith(FIX_ALL_PARAMS, raw), defaults);

class Walk {
  private env: ProbeEnv;
  private pending: Map<StepId, Promise<Probed<unknown>>>;
  readonly results: FixAllResult['results'] = {};
  readonly statuses = new Map<StepId, StepStatus>();
  readonly fixed: StepId[] = [];
  readonly failed: StepId[] = [];
  /** Steps whose fix was offered in this walk (each is offered once). */
  readonly offered = new Set<StepId>();
  /** Stops this walk's probes when it ends (a refusal returns before they finish). */
  private readonly probes = new AbortController();

  private readonly ctx: HostContext;
  private readonly params: FixAllParams;
  private readonly task: TaskContext;

  constructor(ctx: HostContext, params: FixAllParams, task: TaskContext, ids?: readonly StepId[]) {
    this.ctx = ctx;
    this.params = params;
    this.task = task;
    this.env = makeProbeEnv(ctx, params.settings, this.signal);
    this.pending = launchProbes(this.env, ids);
  }

  private get signal(): AbortSignal {
    return AbortSignal.any([this.task.signal, this.probes.signal]);
  }

  /** The walk is over: probes still running are stopped. */
  close(): void {
    this.probes.abort();
  }

  get probeEnv(): ProbeEnv {
    return this.env;
  }

  probe(id: StepId): Promise<Probed<unknown>> {
    return this.pending.get(id)!;
  }

  /** Fresh probes for these steps (a fix may change what they see). */
  reprobe(ids: readonly StepId[]): void {
    this.env = makeProbeEnv(this.ctx, this.params.settings, this.signal);
    this.pending = launchProbes(this.env, ids);
  }

  private checkCancelled(): void {
    if (this.task.signal.aborted) throw new CancelledError();
  }

  /** Offer a fix (asking when the face confirms); true when accepted. */
  async offer(id: StepId, subject: Pick<CheckResult, 'name' | 'message'>, offer: string): Promise<boolean> {
    this.offered.add(id);
    this.task.note({ kind: 'offer', id, subject: { name: subject.name, message: subject.message }, offer, assumed: !this.params.confirm });
    if (!this.params.confirm) return true;
    const answer = await this.task.ask({ kind: 'confirm', prompt: offer });
    const yes = answer.kind === 'confirm' && answer.yes;
    if (!yes) this.task.note({ kind: 'declined', id });
    return yes;
  }

  /** Run a step's fix plan; true when every call succeeded. */
  async fix(step: Step, probed: Probed<unknown>): Promise<boolean> {
    const plan = step.fix!.plan(this.params.settings, probed.facts, this.params.options);
    let calls: FixCall[] | null;
    if ('unfixable' in plan) {
      this.task.note({ kind: 'unfixable', id: step.id, lines: plan.unfixable });
      return false;
    }
    if ('ask' in plan) {
      calls = plan.then(await this.task.ask(plan.ask));
      if (!calls) {
        this.task.note({ kind: 'declined', id: step.id });
        return false;
      }
    } else {
      calls = plan.run;
    }
    this.task.note({ kind: 'fix-start', id: step.id });
    for (const call of calls) {
      const outcome = await this.task.runStep(call.task, call.params);
      this.checkCancelled();
      if (outcome.state === 'done') {
        await this.collectRecoveryKey(outcome.taskId, outcome.result);
        if (call.succeeded && !call.succeeded(outcome.result)) return this.fixFailed(step, { result: outcome.result });
      } else {
        if (outcome.state === 'cancelled') throw new CancelledError();
        return this.fixFailed(step, { failure: outcome.failure });
      }
    }
    this.task.note({ kind: 'fix-end', id: step.id, ok: true, lines: [] });
    this.fixed.push(step.id);
    return true;
  }

  private fixFailed(step: Step, shortfall: Parameters<NonNullable<Step['fix']>['terok']['failed']>[0]): false {
    // The lines are computed here so no result (which may hold a passphrase) enters this task's history.
    this.task.note({ kind: 'fix-end', id: step.id, ok: false, lines: step.fix!.terok.failed(shortfall) });
    this.failed.push(step.id);
    return false;
  }

  /** A newly generated passphrase: the walk waits until the face has shown it (and the user saved it). */
  private async collectRecoveryKey(taskId: string, result: unknown): Promise<void> {
    const key = (result as { generatedPassphrase?: unknown } | null)?.generatedPassphrase;
    if (typeof key !== 'string' || !key) return;
    const answer = await this.task.ask({ kind: 'recovery-key', taskId });
    if (answer.kind === 'recovery-key' && answer.saved) await this.task.runStep(ACKNOWLEDGE_STEP, {});
  }
}

export async function fixAll(ctx: HostContext, params: FixAllParams, task: TaskContext): Promise<FixAllResult> {
  const walk = new Walk(ctx, params, task);
  try {
    return await walkAll(walk, params, task);
  } finally {
    walk.close();
  }
}

async function walkAll(walk: Walk, params: FixAllParams, task: TaskContext): Promise<FixAllResult> {
  const done = (exitCode: ReadinessExit, ready: boolean): FixAllResult => ({ ready, exitCode, results: walk.results, fixed: walk.fixed, failed: walk.failed });

  // As terok's run: a setup made by a newer terok is refused before anything is changed.
  if (params.fix) {
    const setup = await setupVerdictOf(walk.probeEnv);
    if (setup.verdict === 'stale_after_downgrade') {
      task.note({ kind: 'refused', setup });
      return done(exitCodeOf({ ready: false }, setup), false);
    }
  }

  for (const [i, step] of WALK.entries()) {
    let probed = await walk.probe(step.id);
    // A probe stopped by the cancel reports "cancelled", which is not a fact about the host: print nothing of it.
    if (task.signal.aborted) throw new CancelledError();
    const blocked = blockedBy(step, walk.statuses);
    if (!probed.result.ok && params.fix && walkFixes(step, probed)) {
      if (blocked.length) task.note({ kind: 'skipped', id: step.id, blockedBy: blocked });
      else if (await walk.offer(step.id, probed.result, step.fix!.offer(params.settings))) {
        if (await walk.fix(step, probed)) {
          walk.reprobe(WALK.slice(i).map((s) => s.id));
          probed = await walk.probe(step.id);
        }
      }
    }
    walk.results[step.id] = probed.result;
    walk.statuses.set(step.id, probed.status);
    task.note({ kind: 'checked', id: step.id, result: probed.result, status: probed.status });
    if (!probed.result.ok && step.stopsEverything) return done(exitCodeOf({ ready: false }, null), false);
  }

  const results = new Map(Object.entries(walk.results) as [StepId, CheckResult][]);
  const bypass = (await shieldHealthOf(walk.probeEnv).catch(() => null))?.health === 'bypass';
  const preflightReady = verdictOf(results, null, bypass).ready;
  const others = preflightReady && params.fix ? authenticatableNames(walk.probeEnv.paths).filter((n) => n !== params.settings.provider).sort() : [];
  task.note({ kind: 'preflight-done', ready: preflightReady, bypass, authHint: others });

  // The setup stamp: hooks in place but setup not current → offer the sandbox setup, unless
  // this walk already offered it (a failed or declined install is not run twice).
  let setup = await setupVerdictOf(walk.probeEnv);
  if (params.fix && setup.verdict !== 'ok' && setup.verdict !== 'stale_after_downgrade' && !walk.offered.has('sandbox')) {
    const sandbox = stepOf('sandbox');
    if (await walk.offer('sandbox', { name: 'setup stamp', message: setup.message }, 'Run the sandbox setup now?')) {
      walk.reprobe(['sandbox']);
      if (await walk.fix(sandbox, await walk.probe('sandbox'))) {
        walk.reprobe([]);
        setup = await setupVerdictOf(walk.probeEnv);
      }
    }
  }
  task.note({ kind: 'stamp', setup });
  const verdict = verdictOf(results, setup, bypass);
  return done(exitCodeOf(verdict, setup), verdict.ready);
}

export interface FixOneResult {
  step: StepId;
  fixed: boolean;
  result: CheckResult;
  status: StepStatus;
}

/**
 * Run one step's fix (a page's button; the face decides when to offer it):
 * the same plan, sub-tasks and recovery-key stop as the walk, then a re-probe.
 */
export async function fixOne(ctx: HostContext, params: FixAllParams, id: StepId, task: TaskContext): Promise<FixOneResult> {
  const step = stepOf(id);
  if (!step.fix) throw new InvalidParamsError(`${step.title} has no fix`);
  const walk = new Walk(ctx, params, task, [id]);
  try {
    return await fixOneWith(walk, step, params, task);
  } finally {
    walk.close();
  }
}

async function fixOneWith(walk: Walk, step: Step, params: FixAllParams, task: TaskContext): Promise<FixOneResult> {
  const id = step.id;
  let probed = await walk.probe(id);
  let fixed = false;
  if (await walk.offer(id, probed.result, step.fix!.offer(params.settings))) {
    fixed = await walk.fix(step, probed);
    walk.reprobe([id]);
    probed = await walk.probe(id);
  }
  task.note({ kind: 'checked', id, result: probed.result, status: probed.status });
  return { step: id, fixed, result: probed.result, status: probed.status };
}

export function fixAllStep(ctx: HostContext, defaults: () => GateSettings): StepImpl {
  return (raw, task) => fixAll(ctx, parseFixAllParams(raw, defaults()), task);
}

export function fixOneStep(ctx: HostContext, defaults: () => GateSettings): StepImpl {
  return (raw, task) => {
    const { step, ...rest } = parseWith(FIX_ONE_PARAMS, raw);
    return fixOne(ctx, walkParams(rest, defaults()), step, task);
  };
}
