/**
 * Long-running setup work as tasks: `start(step, params) → taskId`, then a
 * stream of typed events, and `cancel(taskId)`. Every event is also kept in
 * the task's history, so a window that (re)attaches late — or a user looking
 * at a failure — sees the whole log, not just what arrived while watching.
 */
import { randomUUID } from 'node:crypto';
import { CancelledError, failureOf, SetupError, type Failure } from '../errors.ts';
import type { SetupEvent } from './setup-events.ts';
import { runStage, type StageHandle, type StageUpdate } from './stages.ts';

export type { SetupEvent } from './setup-events.ts';
export { CancelledError } from '../errors.ts';

/** A failed task's outcome: the one `Failure` shape (see errors.ts). */
export type TaskFailure = Failure;

export type TaskEventBody =
  | { type: 'stage'; stage: StageUpdate }
  | { type: 'log'; line: string; stream: 'stdout' | 'stderr' | 'info' }
  | { type: 'progress'; done: number; total: number; label?: string }
  | { type: 'done'; result: unknown }
  | { type: 'failed'; error: TaskFailure }
  /** The task waits for the user; `respond(taskId, requestId, answer)` resumes it. */
  | { type: 'needs-user'; requestId: string; request: UserRequest }
  /** The request was answered (the answer itself is never recorded: it may hold a key). */
  | { type: 'answered'; requestId: string }
  /** Progress of the fix-all walk (see setup-events.ts). */
  | { type: 'setup'; event: SetupEvent };

/** `parentId`: the task that started this one as a sub-task (the fix-all walk). */
export type TaskEvent = TaskEventBody & { taskId: string; step: string; seq: number; at: number; parentId?: string };

/** What a task may stop and ask the user; the face (wizard page, CLI prompt) answers. */
export type UserRequest =
  /** Run this fix? (an interactive `run` without --yes) */
  | { kind: 'confirm'; prompt: string }
  /** A new vault passphrase is in the result of task `taskId`: the user must save it. */
  | { kind: 'recovery-key'; taskId: string }
  /** An API key for `agent` (or a sign-in elsewhere, then skip). */
  | { kind: 'credential'; agent: string; label: string; hint: string | null; oauth: boolean };

export type UserAnswer =
  | { kind: 'confirm'; yes: boolean }
  | { kind: 'recovery-key'; saved: boolean }
  | { kind: 'credential'; apiKey: string }
  | { kind: 'credential'; skip: true };

/** How a sub-task ended. */
export type SubTaskOutcome =
  | { taskId: string; state: 'done'; result: unknown }
  | { taskId: string; state: 'failed' | 'cancelled'; failure: TaskFailure };

export type TaskState = 'running' | 'done' | 'failed' | 'cancelled';

/** What a step implementation gets to talk to the world. */
export interface TaskContext {
  signal: AbortSignal;
  log(line: string, stream?: 'stdout' | 'stderr' | 'info'): void;
  progress(done: number, total: number, label?: string): void;
  stage<T>(label: string, body: (s: StageHandle) => Promise<T> | T): Promise<T>;
  /** Stop until the user answers (rejects with CancelledError when the task is cancelled). */
  ask(request: UserRequest): Promise<UserAnswer>;
  /** Run another step as this task's sub-task: its own events (with parentId), cancelled with this one. */
  runStep(step: string, params: unknown): Promise<SubTaskOutcome>;
  /** Report the fix-all walk's progress. */
  note(event: SetupEvent): void;
}

export type StepImpl = (params: unknown, task: TaskContext) => Promise<unknown>;

/** A failure spelled out where it happens (a step's own condition, not a lower error). */
export class TaskError extends SetupError {
  readonly failure: TaskFailure;

  constructor(failure: TaskFailure) {
    super(failure.code, failure.message);
    this.failure = failure;
  }

  override toFailure(): Failure {
    return this.failure;
  }
}

interface TaskRecord {
  id: string;
  step: string;
  parentId?: string;
  state: TaskState;
  controller: AbortController;
  events: TaskEvent[];
  finished: Promise<void>;
  /** The open user request, if the task is waiting. */
  waiting?: { requestId: string; kind: UserRequest['kind']; resolve(answer: UserAnswer): void };
}

/** Maximum events kept per task; older log lines are dropped first (never stages or the outcome). */
const MAX_EVENTS = 20_000;


export class TaskManager {
  private readonly steps = new Map<string, StepImpl>();
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly listeners = new Set<(e: TaskEvent) => void>();
  private seq = 0;

  register(step: string, impl: StepImpl): void {
    this.steps.set(step, impl);
  }

  hasStep(step: string): boolean {
    return this.steps.has(step);
  }

  stepNames(): string[] {
    return [...this.steps.keys()].sort();
  }

  subscribe(listener: (e: TaskEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Only one task per step runs at a time; starting it again returns the running one. */
  start(step: string, params: unknown, parentId?: string): string {
    const impl = this.steps.get(step);
    if (!impl) throw new TaskError({ code: 'unknown-step', message: `no setup step named '${step}'` });
    for (const t of this.tasks.values()) if (t.step === step && t.state === 'running') return t.id;
    const id = randomUUID();
    const controller = new AbortController();
    const record: TaskRecord = { id, step, state: 'running', controller, events: [], finished: Promise.resolve(), ...(parentId ? { parentId } : {}) };
    this.tasks.set(id, record);
    const emit = (body: TaskEventBody) => this.emit(record, body);
    const ctx: TaskContext = {
      signal: controller.signal,
      log: (line, stream = 'info') => emit({ type: 'log', line, stream }),
      progress: (done, total, label) => emit({ type: 'progress', done, total, ...(label ? { label } : {}) }),
      stage: (label, body) => runStage((stage) => emit({ type: 'stage', stage }), label, body),
      note: (event) => emit({ type: 'setup', event }),
      ask: (request) => this.ask(record, request),
      runStep: (sub, subParams) => this.runSubTask(record, sub, subParams),
    };
    // A step that returns ends `done` with its result, even when cancel came
    // late: the result may be the only copy of something the user must see
    // (the sandbox install's one-time passphrase). Only a throw while aborted
    // is `cancelled`; a step that honours cancel returns or throws as it sees fit.
    record.finished = (async () => {
      let result: unknown;
      try {
        result = await impl(params, ctx);
      } catch (err) {
        // A step that says what its cancel left behind keeps its words; anything else thrown after a cancel is just "Cancelled."
        const own = failureOf(err);
        const failure = controller.signal.aborted && own.code !== 'cancelled' ? failureOf(new CancelledError()) : own;
        record.state = failure.code === 'cancelled' ? 'cancelled' : 'failed';
        emit({ type: 'failed', error: failure });
        return;
      }
      record.state = 'done';
      emit({ type: 'done', result });
    })();
    return id;
  }

  /** Answer a task's open request; false when it is not waiting for this request or kind. */
  respond(taskId: string, requestId: string, answer: UserAnswer): boolean {
    const t = this.tasks.get(taskId);
    if (!t?.waiting || t.waiting.requestId !== requestId || t.waiting.kind !== answer.kind) return false;
    const { resolve } = t.waiting;
    t.waiting = undefined;
    this.emit(t, { type: 'answered', requestId });
    resolve(answer);
    return true;
  }

  private ask(record: TaskRecord, request: UserRequest): Promise<UserAnswer> {
    if (record.controller.signal.aborted) return Promise.reject(new CancelledError());
    const requestId = randomUUID();
    return new Promise<UserAnswer>((resolve, reject) => {
      const onAbort = () => { record.waiting = undefined; reject(new CancelledError()); };
      record.controller.signal.addEventListener('abort', onAbort, { once: true });
      record.waiting = { requestId, kind: request.kind, resolve: (a) => { record.controller.signal.removeEventListener('abort', onAbort); resolve(a); } };
      this.emit(record, { type: 'needs-user', requestId, request });
    });
  }

  private async runSubTask(parent: TaskRecord, step: string, params: unknown): Promise<SubTaskOutcome> {
    // A task of this step started elsewhere (a page's Rebuild) is not adopted: its params are
    // not ours and cancelling this walk must not cancel it. Wait for it, then start our own.
    for (let other = this.runningTask(step); other; other = this.runningTask(step)) {
      let stopWaiting = () => {};
      const aborted = new Promise<void>((resolve) => { stopWaiting = resolve; });
      parent.controller.signal.addEventListener('abort', stopWaiting, { once: true });
      await Promise.race([other.finished, aborted]);
      parent.controller.signal.removeEventListener('abort', stopWaiting);
      if (parent.controller.signal.aborted) throw new CancelledError();
    }
    if (parent.controller.signal.aborted) throw new CancelledError();
    const id = this.start(step, params, parent.id);
    const cancel = () => this.cancel(id);
    parent.controller.signal.addEventListener('abort', cancel, { once: true });
    // The step's first synchronous stretch ran inside start(): a cancel that came during it found no link yet.
    if (parent.controller.signal.aborted) cancel();
    try {
      await this.wait(id);
    } finally {
      parent.controller.signal.removeEventListener('abort', cancel);
    }
    const events = this.tasks.get(id)!.events;
    const last = events.at(-1);
    if (last?.type === 'done') return { taskId: id, state: 'done', result: last.result };
    const failure = last?.type === 'failed' ? last.error : { code: 'error', message: 'the step ended without an outcome' };
    return { taskId: id, state: failure.code === 'cancelled' ? 'cancelled' : 'failed', failure };
  }

  private runningTask(step: string): TaskRecord | undefined {
    for (const t of this.tasks.values()) if (t.step === step && t.state === 'running') return t;
    return undefined;
  }

  /** The finished result of a task, if it ended `done`. */
  resultOf(taskId: string): unknown {
    const last = this.tasks.get(taskId)?.events.findLast((e) => e.type === 'done');
    return last?.type === 'done' ? last.result : undefined;
  }

  cancel(taskId: string): boolean {
    const t = this.tasks.get(taskId);
    if (!t || t.state !== 'running') return false;
    t.controller.abort();
    return true;
  }

  cancelAll(): void {
    for (const t of this.tasks.values()) if (t.state === 'running') t.controller.abort();
  }

  events(taskId: string): TaskEvent[] {
    return [...(this.tasks.get(taskId)?.events ?? [])];
  }

  state(taskId: string): TaskState | undefined {
    return this.tasks.get(taskId)?.state;
  }

  /** Resolves when the task has emitted its final event. */
  async wait(taskId: string): Promise<TaskState | undefined> {
    const t = this.tasks.get(taskId);
    if (!t) return undefined;
    await t.finished;
    return t.state;
  }

  /**
   * Blank a field of every stored result of `step` (e.g. a one-time secret
   * once the user confirmed saving it), so a later history fetch cannot
   * replay it. Returns how many results were changed.
   */
  redactResults(step: string, field: string): number {
    let changed = 0;
    for (const t of this.tasks.values()) {
      if (t.step !== step) continue;
      for (const [i, e] of t.events.entries()) {
        if (e.type !== 'done' || typeof e.result !== 'object' || e.result === null || !(field in e.result)) continue;
        t.events[i] = { ...e, result: { ...(e.result as Record<string, unknown>), [field]: null } };
        changed++;
      }
    }
    return changed;
  }

  list(): { id: string; step: string; state: TaskState }[] {
    return [...this.tasks.values()].map(({ id, step, state }) => ({ id, step, state }));
  }

  private emit(record: TaskRecord, body: TaskEventBody): void {
    const event = { ...body, taskId: record.id, step: record.step, seq: ++this.seq, at: Date.now(), ...(record.parentId ? { parentId: record.parentId } : {}) } as TaskEvent;
    record.events.push(event);
    if (record.events.length > MAX_EVENTS) {
      const idx = record.events.findIndex((e) => e.type === 'log');
      if (idx >= 0) record.events.splice(idx, 1);
    }
    for (const l of this.listeners) l(event);
  }
}
