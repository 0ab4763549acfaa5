/**
 * One task as the renderer shows it. Events are applied in batches (once per
 * frame) and the log lines live in a plain array whose length is published
 * through `lineCount`, so thousands of lines never make every event a full
 * re-render.
 */
import type { SetupEvent, StageUpdate, TaskEvent, TaskFailure, UserRequest } from '../../../main/ipc/contract.ts';

export type TaskState = 'running' | 'done' | 'failed' | 'cancelled';

/**
 * How a task ended, as the user reads it — decided here, once, from typed
 * data: a task that ran to its end (`done`) may still report a failure in its
 * result (`exitCode` ≠ 0, `ok: false`) or that it was cancelled
 * (`cancelled: true`, the install hands back what it has).
 */
export type TaskOutcome = 'running' | 'finished' | 'failed' | 'needs-admin' | 'cancelled';

/** terok's EXIT_MANUAL_STEP_NEEDED: everything ran, one step needs an administrator. */
const EXIT_MANUAL_STEP = 5;

export function outcomeOf(state: TaskState, result: unknown): TaskOutcome {
  if (state === 'running') return 'running';
  if (state !== 'done') return state;
  const r = (result && typeof result === 'object' ? result : {}) as { cancelled?: unknown; exitCode?: unknown; ok?: unknown };
  if (r.cancelled === true) return 'cancelled';
  if (r.exitCode === EXIT_MANUAL_STEP) return 'needs-admin';
  if ((typeof r.exitCode === 'number' && r.exitCode !== 0) || r.ok === false) return 'failed';
  return 'finished';
}

/** A stage as shown: one stopped by a cancel reads "cancelled", not FAIL or still running. */
export type ShownStageStatus = StageUpdate['status'] | 'cancelled';
export type ShownStage = Omit<StageUpdate, 'status'> & { status: ShownStageStatus };

export class TaskView {
  readonly taskId: string;
  readonly step: string;
  readonly parentId: string | null;
  readonly startedAt: number;
  state = $state<TaskState>('running');
  stages = $state.raw<StageUpdate[]>([]);
  progress = $state.raw<{ done: number; total: number; label?: string } | null>(null);
  failure = $state.raw<TaskFailure | null>(null);
  result = $state.raw<unknown>(null);
  /** The question the task waits on, if any. */
  request = $state.raw<{ requestId: string; request: UserRequest } | null>(null);
  /** The fix-all walk's progress (orchestrator tasks only). */
  setup = $state.raw<SetupEvent[]>([]);
  lastAt = $state(0);
  lineCount = $state(0);
  /** The step a one-step fix (setup.fix) was started for, when this window started it. */
  subject: string | null = null;
  /** The label of the stage that changed last (the one a cancel stopped). */
  lastStage = $state<string | null>(null);
  /** Not reactive on purpose: read it together with `lineCount`. */
  readonly lines: string[] = [];

  constructor(first: Pick<TaskEvent, 'taskId' | 'step' | 'at' | 'parentId'>) {
    this.taskId = first.taskId;
    this.step = first.step;
    this.parentId = first.parentId ?? null;
    this.startedAt = first.at;
    this.lastAt = first.at;
  }

  get outcome(): TaskOutcome {
    return outcomeOf(this.state, this.result);
  }

  /**
   * The stages as the user should read them: after a cancel, the stage that
   * was running (and FAILed only because it was stopped) and any stage still
   * marked running read "cancelled", so one state is on screen.
   */
  get shownStages(): ShownStage[] {
    if (this.outcome !== 'cancelled') return this.stages;
    return this.stages.map((s) => (s.status === 'running' || (s.status === 'FAIL' && s.label === this.lastStage) ? { ...s, status: 'cancelled' as const, detail: '' } : s));
  }

  /**
   * The step an orchestrator task (setup.fix, setup.fix-all) is fixing now,
   * from its setup events; none while it waits for the user (that is not work).
   */
  get fixingStep(): string | null {
    if (this.state !== 'running' || this.request) return null;
    const last = this.setup.findLast((e) => 'id' in e);
    // Before its first event a one-step fix is probing its step: that is part of fixing it.
    if (!last) return this.subject;
    return last.kind === 'offer' || last.kind === 'fix-start' ? last.id : null;
  }

  apply(events: readonly TaskEvent[]): void {
    let stages: StageUpdate[] | null = null;
    let setup: SetupEvent[] | null = null;
    for (const e of events) {
      this.lastAt = e.at;
      switch (e.type) {
        case 'log': this.lines.push(e.line); break;
        case 'stage': {
          stages ??= [...this.stages];
          const i = stages.findIndex((x) => x.label === e.stage.label);
          if (i >= 0) stages[i] = e.stage; else stages.push(e.stage);
          this.lastStage = e.stage.label;
          break;
        }
        case 'progress': this.progress = { done: e.done, total: e.total, ...(e.label ? { label: e.label } : {}) }; break;
        case 'setup': (setup ??= [...this.setup]).push(e.event); break;
        case 'needs-user': this.request = { requestId: e.requestId, request: e.request }; break;
        case 'answered': if (this.request?.requestId === e.requestId) this.request = null; break;
        case 'done': this.result = e.result; this.state = 'done'; this.request = null; break;
        case 'failed': this.failure = e.error; this.state = e.error.code === 'cancelled' ? 'cancelled' : 'failed'; this.request = null; break;
      }
    }
    if (stages) this.stages = stages;
    if (setup) this.setup = setup;
    this.lineCount = this.lines.length;
  }
}
