/**
 * What an unattended `run` did, step by step, as one machine-readable
 * document (`terok-setup run --yes --json`): the readiness report before
 * and after, and per step whether it changed, was skipped (and why), failed
 * (with the message and the failing command's last lines) or needs a person
 * (a credential, a recovery key to collect, a locked vault). Configuration
 * management (the Ansible role) reads `changed` and the failures from here.
 *
 * The walk is recorded from its task events; nothing here holds a secret:
 * sub-task results (which may carry a new passphrase) are never read.
 */
import type { TaskEvent, TaskFailure, UserRequest } from '../tasks/task-manager.ts';
import type { ReadinessReport, StepReport } from './readiness.ts';
import { exitCodeOf, type ReadinessExit } from './readiness.ts';
import { STEP_IDS, stepOf, type StepId } from './registry.ts';

/** Bumped when a field changes meaning or goes away (new fields do not bump it). */
export const RUN_REPORT_SCHEMA = 'terok-setup/run/1';

/** How many of a failing fix's last output lines the report carries. */
export const COMMAND_TAIL_LINES = 20;

export const RUN_OUTCOMES = ['ok', 'changed', 'skipped', 'failed', 'needs_user'] as const;
/**
 * ok         — in place before, nothing done
 * changed    — this run put it in place (or changed it)
 * skipped    — not attempted; `reason` says why (waits for another step, optional with no fix here)
 * failed     — unmet: the fix failed (`message`, `commandTail`), or nothing here can fix it (`command` can)
 * needs_user — only a person can finish it (a credential, a recovery key to collect, a vault to unlock)
 */
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

export interface StepSnapshot {
  status: StepReport['status'];
  ok: boolean;
  message: string;
}

export interface RunStepEntry {
  id: StepId;
  title: string;
  requirement: StepReport['requirement'];
  outcome: RunOutcome;
  /** Something on this host changed for this step in this run (Ansible's `changed`). */
  changed: boolean;
  /** skipped: why. */
  reason?: string;
  /** failed / needs_user: what is wrong or wanted, in a sentence. */
  message?: string;
  /** failed: the last lines the failing fix printed. */
  commandTail?: string[];
  /** failed / needs_user: what a person can run to finish it. */
  command?: string;
  before: StepSnapshot;
  after: StepSnapshot | null;
}

export interface RecoveryKeyDelivery {
  /** written — the new key is in `file` (0600) and marked saved; pending — it waits to be collected. */
  state: 'written' | 'pending';
  file: string | null;
  message: string;
}

export interface RunReport {
  schema: typeof RUN_REPORT_SCHEMA;
  ready: boolean;
  /** The exit code terok's gate gives after this run (0 ready, 3 not ready, 4 downgrade), or 128+signal. */
  exitCode: number;
  changed: boolean;
  steps: RunStepEntry[];
  /** Ids by outcome, for a quick look. */
  failed: StepId[];
  needsUser: StepId[];
  recoveryKey: RecoveryKeyDelivery | null;
  /** The walk itself could not run or was stopped (another setup holds the lock, Ctrl-C). */
  error: { code: string; message: string; hint?: string } | null;
  interrupted: NodeJS.Signals | null;
  before: ReadinessReport;
  after: ReadinessReport | null;
}

/** What the walk did to one step, from its setup events. */
interface StepTrace {
  /** null: no fix ran; else whether it worked. */
  fixOk: boolean | null;
  /** terok's lines for a failed fix. */
  failureLines: string[];
  /** The failed sub-task's own failure (message, hint), the better sentence when there is one. */
  subFailure: TaskFailure | null;
  /** The last lines the fix's sub-tasks printed (their stage lines among them). */
  tail: string[];
  /** The fix's stages that ended FAIL, as "label: detail". */
  failedStages: string[];
  /** Nothing here can fix it: terok's words why. */
  unfixable: string[] | null;
  /** Its fix was not tried: these steps are unmet. */
  blockedBy: StepId[] | null;
  /** A question of the fix was answered no (the unattended face skips what needs a person). */
  declined: boolean;
  asked: UserRequest | null;
}

const emptyTrace = (): StepTrace => ({ fixOk: null, failureLines: [], subFailure: null, tail: [], failedStages: [], unfixable: null, blockedBy: null, declined: false, asked: null });

/** Records a fix-all walk from its events (root task and sub-tasks), as `driveTask` hands them over. */
export class WalkRecorder {
  private readonly traces = new Map<StepId, StepTrace>();
  /** The step whose fix is running (sub-task output belongs to it). */
  private fixing: StepId | null = null;
  /** The step last offered a fix (a question the walk asks belongs to it). */
  private offered: StepId | null = null;

  private trace(id: string): StepTrace {
    const key = id as StepId;
    let t = this.traces.get(key);
    if (!t) { t = emptyTrace(); this.traces.set(key, t); }
    return t;
  }

  event(e: TaskEvent): void {
    if (e.type === 'setup') {
      const s = e.event;
      switch (s.kind) {
        case 'offer': this.offered = s.id as StepId; break;
        case 'declined': this.trace(s.id).declined = true; break;
        case 'unfixable': this.trace(s.id).unfixable = s.lines; break;
        case 'skipped': this.trace(s.id).blockedBy = s.blockedBy as StepId[]; break;
        case 'fix-start': {
          const t = this.trace(s.id);
          t.tail = [];
          t.failedStages = [];
          t.subFailure = null;
          this.fixing = s.id as StepId;
          break;
        }
        case 'fix-end': {
          const t = this.trace(s.id);
          t.fixOk = s.ok;
          t.failureLines = s.lines;
          this.fixing = null;
          break;
        }
        default: break;
      }
      return;
    }
    if (!e.parentId || !this.fixing) return;
    const t = this.trace(this.fixing);
    const keep = (line: string) => {
      t.tail.push(line);
      if (t.tail.length > COMMAND_TAIL_LINES) t.tail.shift();
    };
    if (e.type === 'log') keep(e.line);
    else if (e.type === 'stage' && e.stage.status !== 'running') {
      const detail = e.stage.detail.split('\n')[0]!;
      keep(`${e.stage.label}: ${e.stage.status}${detail ? ` (${detail})` : ''}`);
      // MISSING marks a prerequisite the install goes on without (a host tool); FAIL is what stopped it.
      if (e.stage.status === 'FAIL') t.failedStages.push(detail ? `${e.stage.label}: ${detail}` : e.stage.label);
    } else if (e.type === 'failed' && e.error.code !== 'cancelled') {
      t.subFailure = e.error;
    }
  }

  /** A question the walk asked the user (answered by the unattended face). */
  asked(request: UserRequest): void {
    if (this.offered) this.trace(this.offered).asked = request;
  }

  traceOf(id: StepId): StepTrace {
    return this.traces.get(id) ?? emptyTrace();
  }
}

const snapshot = (s: StepReport): StepSnapshot => ({ status: s.status, ok: s.result.ok, message: s.result.message });

function byId(report: ReadinessReport | null): Map<StepId, StepReport> {
  return new Map((report?.steps ?? []).map((s) => [s.id, s]));
}

const titles = (ids: readonly StepId[]) => ids.map((id) => stepOf(id).title).join(', ');

function requestMessage(request: UserRequest): string {
  switch (request.kind) {
    case 'credential': return `${request.label} needs an API key or a sign-in, which an unattended run cannot give (pipe a key into --api-key-stdin, or sign in on this host)`;
    case 'recovery-key': return 'a new vault recovery key must be collected';
    case 'confirm': return `the fix was not confirmed: ${request.prompt}`;
  }
}

/** One step's entry: what the walk did (trace) read against the state before and after. */
function entryOf(id: StepId, trace: StepTrace, before: StepReport, after: StepReport | undefined, delivery: RecoveryKeyDelivery | null): RunStepEntry {
  const step = stepOf(id);
  const base = { id, title: step.title, requirement: step.requirement, before: snapshot(before), after: after ? snapshot(after) : null };
  const met = after ? after.result.ok : before.result.ok;
  // Put in place by its own fix, or by another step's (the sandbox fix creates the vault), or its key was delivered.
  const changed = trace.fixOk === true || (!before.result.ok && after?.result.ok === true) || (id === 'vault' && delivery?.state === 'written');
  const now = after ?? before;
  const manual = now.manualCommand ?? now.explanation.commands?.[0]?.command;

  if (id === 'vault' && delivery?.state === 'pending') {
    return { ...base, outcome: 'needs_user', changed, message: delivery.message };
  }
  if (trace.fixOk === false) {
    const failure = trace.subFailure;
    // The best sentence there is: the failed task's own, else its failed stages', else terok's line.
    const message = failure ? [failure.message, failure.hint].filter(Boolean).join(' ')
      : trace.failedStages.length ? trace.failedStages.join('; ')
        : trace.failureLines.map((l) => l.trim()).filter(Boolean).join(' ');
    return { ...base, outcome: 'failed', changed: false, message: message || `${step.title} could not be fixed`, commandTail: trace.tail, ...(manual ? { command: manual } : {}) };
  }
  if (met) return { ...base, outcome: changed ? 'changed' : 'ok', changed };
  // Unmet after the run.
  const status = now.status;
  if (trace.declined && trace.asked) return { ...base, outcome: 'needs_user', changed, message: requestMessage(trace.asked), ...(manual ? { command: manual } : {}) };
  if (status === 'locked') {
    return { ...base, outcome: 'needs_user', changed, message: now.explanation.headline, ...(manual ? { command: manual } : {}) };
  }
  const blockers = after?.blockedBy.length ? after.blockedBy : trace.blockedBy ?? [];
  if (blockers.length) return { ...base, outcome: 'skipped', changed, reason: `waits for ${titles(blockers)}` };
  if (!after) return { ...base, outcome: 'skipped', changed, reason: 'not checked after the run' };
  if (step.gate === 'terok-preflight' && step.requirement === 'required') {
    const message = trace.unfixable?.map((l) => l.trim()).filter(Boolean).join(' ') || [`${after.result.name}: ${after.result.message}.`, ...after.consequence].join(' ');
    return { ...base, outcome: 'failed', changed, message, ...(manual ? { command: manual } : {}) };
  }
  return { ...base, outcome: 'skipped', changed, reason: `${step.requirement === 'required' ? 'not checked by terok\'s gate' : step.requirement}: ${after.summary}` };
}

export interface RunReportInput {
  before: ReadinessReport;
  after: ReadinessReport | null;
  recorder: WalkRecorder;
  recoveryKey: RecoveryKeyDelivery | null;
  error: RunReport['error'];
  /** The signal that stopped the walk, and the exit code it means (128 + its number). */
  interrupted: { signal: NodeJS.Signals; exitCode: number } | null;
}

export function runReport(input: RunReportInput): RunReport {
  const before = byId(input.before);
  const after = byId(input.after);
  const steps = STEP_IDS.map((id) => entryOf(id, input.recorder.traceOf(id), before.get(id)!, after.get(id), input.recoveryKey));
  const truth = input.after ?? input.before;
  const readiness: ReadinessExit = exitCodeOf(truth.verdict, truth.setup);
  return {
    schema: RUN_REPORT_SCHEMA,
    ready: input.after !== null && !input.error && truth.verdict.ready,
    exitCode: input.interrupted?.exitCode ?? readiness,
    changed: steps.some((s) => s.changed),
    steps,
    failed: steps.filter((s) => s.outcome === 'failed').map((s) => s.id),
    needsUser: steps.filter((s) => s.outcome === 'needs_user').map((s) => s.id),
    recoveryKey: input.recoveryKey,
    error: input.error,
    interrupted: input.interrupted?.signal ?? null,
    before: input.before,
    after: input.after,
  };
}
