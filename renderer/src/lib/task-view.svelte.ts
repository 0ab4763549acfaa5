/**
 * One task as the renderer shows it. Events are applied in batches (once per
 * frame) and the log lines live in a plain array whose length is published
 * through `lineCount`, so thousands of lines never make every event a full
 * re-render.
 */
import type { SetupEvent, StageUpdate, TaskEvent, TaskFailure, UserRequest } from '../../../main/ipc/contract.ts';

export type TaskState = 'running' | 'done' | 'failed' | 'cancelled';

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
  /** Not reactive on purpose: read it together with `lineCount`. */
  readonly lines: string[] = [];

  constructor(first: Pick<TaskEvent, 'taskId' | 'step' | 'at' | 'parentId'>) {
    this.taskId = first.taskId;
    this.step = first.step;
    this.parentId = first.parentId ?? null;
    this.startedAt = first.at;
    this.lastAt = first.at;
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
