/**
 * The renderer's tasks: the latest task of each step (what a page shows),
 * fed by main's task events — batched once per frame — with promises for a
 * task's end instead of polling.
 */
import type { TaskEvent, TaskParams, TaskResult, TaskStep, UserAnswer } from '../../../main/ipc/contract.ts';
import { api, unwrap } from './api.ts';
import { TaskView, type TaskState } from './task-view.svelte.ts';

/** Task step names the engine may offer; a page shows its button only when the engine has the step. */
export const TASK_STEPS = {
  fixAll: 'setup.fix-all',
  fix: 'setup.fix',
  sandboxInstall: 'sandbox.install',
  imagesBuild: 'images.build',
  imagesImport: 'images.import',
  rosterDisableUserFile: 'roster.disable-user-file',
  sshGenerate: 'ssh.generate',
  credentialsApiKey: 'credentials.api-key',
  credentialsOauthTerminal: 'credentials.oauth-terminal',
  sandboxUninstall: 'sandbox.uninstall',
  acknowledgeRecovery: 'vault.acknowledge-recovery',
  recoveryKey: 'vault.recovery-key',
  vaultUnlock: 'vault.unlock',
  terokInstall: 'terok.install',
  packagesInstall: 'packages.install',
} as const satisfies Record<string, TaskStep>;

/** Steps whose result may carry a recovery key the user has not saved yet (main's RECOVERY_KEY_STEPS). */
export const RECOVERY_KEY_STEPS: readonly TaskStep[] = [TASK_STEPS.sandboxInstall, TASK_STEPS.recoveryKey];

export class TaskStore {
  /** The latest task of each step. */
  byStep = $state<Record<string, TaskView>>({});
  private readonly byId = new Map<string, TaskView>();
  private readonly ends = new Map<string, ((state: TaskState) => void)[]>();
  private readonly starts: { step: string; parentId: string; resolve(t: TaskView): void }[] = [];
  private pending: TaskEvent[] = [];
  private flushScheduled = false;
  /** Called once per batch, after the views are updated. */
  private readonly onBatch: (events: readonly TaskEvent[]) => void;

  constructor(onBatch: (events: readonly TaskEvent[]) => void) {
    this.onBatch = onBatch;
  }

  get(step: string): TaskView | undefined {
    return this.byStep[step];
  }

  byTaskId(taskId: string): TaskView | undefined {
    return this.byId.get(taskId);
  }

  /** The latest finished result of a step, if it ended `done`. */
  result<S extends TaskStep>(step: S): TaskResult<S> | null {
    const t = this.byStep[step];
    return t?.state === 'done' ? (t.result as TaskResult<S>) : null;
  }

  running(step: string): boolean {
    return this.byStep[step]?.state === 'running';
  }

  async start<S extends TaskStep>(step: S, params: TaskParams<S>): Promise<string> {
    const { taskId } = await unwrap(api().startTask({ step, params: params as Record<string, unknown> }));
    const view = this.viewFor({ taskId, step, at: Date.now() });
    const subject = (params as { step?: unknown }).step;
    if (typeof subject === 'string') view.subject = subject;
    return taskId;
  }

  /** A call main composed (a descriptor's "run again"): its params were derived, and are checked, in main. */
  startCall(call: { task: TaskStep; params: Record<string, unknown> }): Promise<string> {
    return this.start(call.task, call.params as TaskParams<typeof call.task>);
  }

  async cancel(step: string): Promise<void> {
    const t = this.byStep[step];
    if (t) await unwrap(api().cancelTask({ taskId: t.taskId }));
  }

  async respond(taskId: string, requestId: string, answer: UserAnswer): Promise<boolean> {
    return (await unwrap(api().respond({ taskId, requestId, answer }))).accepted;
  }

  /** Resolves with the task's final state. */
  ended(taskId: string): Promise<TaskState> {
    const t = this.byId.get(taskId);
    if (t && t.state !== 'running') return Promise.resolve(t.state);
    return new Promise((resolve) => this.ends.set(taskId, [...(this.ends.get(taskId) ?? []), resolve]));
  }

  /** Resolves with the next sub-task of `parentId` that runs `step`. */
  subTask(parentId: string, step: string): Promise<TaskView> {
    return new Promise((resolve) => this.starts.push({ step, parentId, resolve }));
  }

  /** Forget a one-time secret field of a step's result (after the user saved it). */
  forgetResultField(step: string, field: string): void {
    const t = this.byStep[step];
    if (t && t.result && typeof t.result === 'object' && field in t.result) t.result = { ...(t.result as Record<string, unknown>), [field]: null };
  }

  push(e: TaskEvent): void {
    this.pending.push(e);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // One render per frame, however fast a build prints (a hidden window gets a timer instead).
    const flush = () => this.flush();
    if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') requestAnimationFrame(flush);
    else setTimeout(flush, 50);
  }

  private viewFor(first: Pick<TaskEvent, 'taskId' | 'step' | 'at' | 'parentId'>): TaskView {
    let t = this.byId.get(first.taskId);
    if (!t) {
      t = new TaskView(first);
      this.byId.set(first.taskId, t);
      this.byStep[first.step] = t;
      const i = this.starts.findIndex((w) => w.step === first.step && w.parentId === first.parentId);
      if (i >= 0) this.starts.splice(i, 1)[0]!.resolve(t);
    }
    return t;
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending.splice(0);
    const byTask = new Map<string, TaskEvent[]>();
    for (const e of batch) {
      const list = byTask.get(e.taskId);
      if (list) list.push(e); else byTask.set(e.taskId, [e]);
    }
    for (const [taskId, events] of byTask) {
      const t = this.viewFor(events[0]!);
      t.apply(events);
      if (t.state !== 'running') {
        for (const resolve of this.ends.get(taskId) ?? []) resolve(t.state);
        this.ends.delete(taskId);
      }
    }
    this.onBatch(batch);
  }
}
