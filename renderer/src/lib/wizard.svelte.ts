/**
 * Wizard state: the settings, the latest probe report (the one source of
 * truth every page, badge and summary reads), the current page, and the live
 * tasks. Re-probing keeps the previous report on screen until the new one
 * arrives, so nothing jumps or flickers.
 */
import type { AppInfo } from '../../../main/ipc/contract.ts';
import type { GateSettings } from '../../../main/core/probes/types.ts';
import type { ReadinessReport, StepReport, StepState } from '../../../main/core/preflight/sweep.ts';
import type { StepId } from '../../../main/core/preflight/steps.ts';
import type { TaskEvent, TaskFailure } from '../../../main/core/tasks/task-manager.ts';
import type { StageUpdate } from '../../../main/core/tasks/stages.ts';
import { api, ApiError, unwrap } from './api.ts';

export type PageId = 'welcome' | StepId | 'summary';

export interface PageDef {
  id: PageId;
  title: string;
  /** Marked in the sidebar. */
  requirement: 'required' | 'optional' | 'info' | null;
}

export const PAGES: readonly PageDef[] = [
  { id: 'welcome', title: 'Welcome', requirement: null },
  { id: 'podman', title: 'Podman', requirement: 'required' },
  { id: 'git', title: 'Git', requirement: 'info' },
  { id: 'sandbox', title: 'Sandbox services', requirement: 'required' },
  { id: 'images', title: 'Container images', requirement: 'required' },
  { id: 'ssh', title: 'SSH key', requirement: 'optional' },
  { id: 'credentials', title: 'Credentials', requirement: 'optional' },
  { id: 'summary', title: 'Summary', requirement: null },
];

export type SidebarState = StepState | 'pending' | 'checking';

/**
 * One task as the renderer shows it. Events are applied in batches (once per
 * frame) and the log lines live in a plain array whose length is published
 * through `lineCount`, so thousands of lines never make every event a
 * full re-render.
 */
export class TaskView {
  readonly taskId: string;
  readonly step: string;
  readonly startedAt: number;
  state = $state<'running' | 'done' | 'failed' | 'cancelled'>('running');
  stages = $state.raw<StageUpdate[]>([]);
  progress = $state.raw<{ done: number; total: number; label?: string } | null>(null);
  failure = $state.raw<TaskFailure | null>(null);
  result = $state.raw<unknown>(null);
  lastAt = $state(0);
  lineCount = $state(0);
  /** Not reactive on purpose: read it together with `lineCount`. */
  readonly lines: string[] = [];

  constructor(taskId: string, step: string, startedAt: number) {
    this.taskId = taskId;
    this.step = step;
    this.startedAt = startedAt;
    this.lastAt = startedAt;
  }

  apply(events: readonly TaskEvent[]): void {
    let stages: StageUpdate[] | null = null;
    for (const e of events) {
      this.lastAt = e.at;
      if (e.type === 'log') this.lines.push(e.line);
      else if (e.type === 'stage') {
        stages ??= [...this.stages];
        const i = stages.findIndex((x) => x.label === e.stage.label);
        if (i >= 0) stages[i] = e.stage; else stages.push(e.stage);
      } else if (e.type === 'progress') this.progress = { done: e.done, total: e.total, ...(e.label ? { label: e.label } : {}) };
      else if (e.type === 'done') { this.result = e.result; this.state = 'done'; }
      else if (e.type === 'failed') { this.failure = e.error; this.state = e.error.code === 'cancelled' ? 'cancelled' : 'failed'; }
    }
    if (stages) this.stages = stages;
    this.lineCount = this.lines.length;
  }
}

/** Minimum gap between focus-triggered re-probes. */
const FOCUS_REPROBE_MS = 1500;

class Wizard {
  info = $state<AppInfo | null>(null);
  settings = $state<GateSettings>({ provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null });
  report = $state<ReadinessReport | null>(null);
  checking = $state(false);
  error = $state<string | null>(null);
  pageIndex = $state(0);
  tasks = $state<Record<string, TaskView>>({});
  /**
   * A newly generated vault passphrase, held here (not in a task view, which a
   * new run would replace) until the user confirms saving it.
   */
  recoveryKey = $state<string | null>(null);
  private pendingEvents: TaskEvent[] = [];
  private flushScheduled = false;
  private lastProbe = 0;
  private pendingRecheck = false;

  get page(): PageDef {
    return PAGES[this.pageIndex]!;
  }

  step(id: StepId): StepReport | undefined {
    return this.report?.steps.find((s) => s.id === id);
  }

  sidebarState(id: PageId): SidebarState {
    if (id === 'welcome') return this.report ? 'ok' : 'pending';
    if (id === 'summary') {
      if (!this.report) return this.checking ? 'checking' : 'pending';
      return this.report.verdict.ready ? 'ok' : 'failed';
    }
    const s = this.step(id);
    if (!s) return this.checking ? 'checking' : 'pending';
    return s.state;
  }

  /** The latest result of a finished task step, if any. */
  taskResult<T>(step: string): T | null {
    const t = this.tasks[step];
    return t?.state === 'done' ? (t.result as T) : null;
  }

  /** Forget a one-time secret the renderer was shown (after the user saved it). */
  forgetResultField(step: string, field: string): void {
    const t = this.tasks[step];
    if (t && t.result && typeof t.result === 'object' && field in t.result) t.result = { ...(t.result as Record<string, unknown>), [field]: null };
  }

  hasTask(step: string): boolean {
    return this.info?.taskSteps.includes(step) ?? false;
  }

  async start(): Promise<void> {
    try {
      this.info = await unwrap(api().appInfo({}));
      this.settings = { ...this.info.defaults };
    } catch (err) {
      this.error = messageOf(err);
      return;
    }
    api().on('task:event', (e) => this.onTaskEvent(e));
    api().on('app:focus', () => {
      if (Date.now() - this.lastProbe > FOCUS_REPROBE_MS) void this.recheck();
    });
    // Menu → Re-run setup: back to the start, everything checked afresh.
    api().on('app:rerun', () => {
      this.go(0);
      void this.recheck();
    });
    await this.recheck();
  }

  /** Run the probe sweep again; concurrent calls coalesce into one follow-up sweep. */
  async recheck(): Promise<void> {
    if (this.checking) { this.pendingRecheck = true; return; }
    this.checking = true;
    this.lastProbe = Date.now();
    try {
      this.report = await unwrap(api().sweep({ settings: $state.snapshot(this.settings) }));
      this.error = null;
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.checking = false;
    }
    if (this.pendingRecheck) { this.pendingRecheck = false; await this.recheck(); }
  }

  go(index: number): void {
    this.pageIndex = Math.max(0, Math.min(PAGES.length - 1, index));
  }

  goTo(id: PageId): void {
    this.go(PAGES.findIndex((p) => p.id === id));
  }

  async startTask(step: string, params: Record<string, unknown>): Promise<string> {
    const { taskId } = await unwrap(api().startTask({ step, params }));
    if (!this.tasks[step] || this.tasks[step].taskId !== taskId) this.tasks[step] = new TaskView(taskId, step, Date.now());
    return taskId;
  }

  /** Resolves with the task's final state once it has ended (and the probes have run again). */
  waitForTask(step: string): Promise<TaskView['state']> {
    return new Promise((resolve) => {
      const check = () => {
        const t = this.tasks[step];
        if (t && t.state !== 'running' && !this.checking) resolve(t.state);
        else setTimeout(check, 100);
      };
      check();
    });
  }

  /**
   * "Fix everything for me" — the assume-yes path: every fix this build has,
   * in terok's order (terok itself, sandbox services, images, SSH key),
   * each only when its probe says so, each re-probed before the next.
   * Stops at the first required fix that fails; credentials need the user.
   */
  fixing = $state<string | null>(null);

  async fixEverything(): Promise<void> {
    if (this.fixing) return;
    const run = async (page: PageId, step: string, params: Record<string, unknown> = {}): Promise<boolean> => {
      if (!this.hasTask(step)) return true;
      this.fixing = step;
      this.goTo(page);
      await this.startTask(step, params);
      return (await this.waitForTask(step)) === 'done';
    };
    try {
      await this.recheck();
      const sandbox = () => this.step('sandbox');
      const facts = () => (sandbox()?.facts ?? {}) as { terok?: { via: string | null; install: { argv: string[] | null } | null }; vault?: { needsChoice: boolean; choices: { tier: string; available: boolean }[] } };
      if (this.step('podman')?.result.ok !== true) { this.goTo('podman'); return; }
      if (facts().terok && !facts().terok?.via) {
        // Without pipx there is nothing safe to run for the user: the page shows the commands.
        if (!facts().terok?.install?.argv) { this.goTo('sandbox'); return; }
        if (!(await run('sandbox', 'terok.install'))) return;
      }
      const setupCurrent = () => this.report?.setup.verdict === 'ok';
      if (!sandbox()?.result.ok || !setupCurrent()) {
        const vault = facts().vault;
        const tier = vault?.needsChoice ? vault.choices.find((c) => c.available)?.tier : undefined;
        if (!(await run('sandbox', 'sandbox.install', tier ? { passphraseTier: tier } : {}))) return;
        // A new recovery key is shown once: wait on its page until the user has saved it.
        this.fixing = 'recovery-key';
        await until(() => this.recoveryKey === null);
        if (!this.step('sandbox')?.result.ok) return;
      }
      if (!this.step('images')?.result.ok) {
        if (!(await run('images', 'images.build', { baseImage: this.settings.baseImage, family: this.settings.family }))) return;
      }
      if (!this.step('ssh')?.result.ok) await run('ssh', 'ssh.generate', {});
      this.goTo(this.step('credentials')?.result.ok ? 'summary' : 'credentials');
    } finally {
      this.fixing = null;
    }
  }

  /** "I have saved it": the key is forgotten only once main has written the marker. */
  async acknowledgeRecoveryKey(): Promise<void> {
    await this.startTask('vault.acknowledge-recovery', {});
    const state = await this.waitForTask('vault.acknowledge-recovery');
    if (state !== 'done') throw new Error(this.tasks['vault.acknowledge-recovery']?.failure?.message ?? 'the confirmation could not be saved');
    this.recoveryKey = null;
    this.forgetResultField('sandbox.install', 'generatedPassphrase');
  }

  async cancelTask(step: string): Promise<void> {
    const t = this.tasks[step];
    if (t) await unwrap(api().cancelTask({ taskId: t.taskId }));
  }

  private onTaskEvent(e: TaskEvent): void {
    this.pendingEvents.push(e);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // One render per frame, however fast a build prints (a hidden window gets a timer instead).
    const flush = () => this.flushTaskEvents();
    if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') requestAnimationFrame(flush);
    else setTimeout(flush, 50);
  }

  private flushTaskEvents(): void {
    this.flushScheduled = false;
    const batch = this.pendingEvents.splice(0);
    const byTask = new Map<string, TaskEvent[]>();
    for (const e of batch) {
      const list = byTask.get(e.taskId) ?? [];
      list.push(e);
      byTask.set(e.taskId, list);
    }
    let finished = false;
    for (const [taskId, events] of byTask) {
      const first = events[0]!;
      let t = this.tasks[first.step];
      if (!t || t.taskId !== taskId) {
        t = new TaskView(taskId, first.step, first.at);
        this.tasks[first.step] = t;
      }
      t.apply(events);
      for (const e of events) {
        const key = e.type === 'done' ? (e.result as { generatedPassphrase?: unknown } | null)?.generatedPassphrase : null;
        if (typeof key === 'string' && key) this.recoveryKey = key;
      }
      finished ||= events.some((e) => e.type === 'done' || e.type === 'failed');
    }
    // One source of truth: after any task ends, the probes run again.
    if (finished) void this.recheck();
  }
}

function until(condition: () => boolean, everyMs = 150): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (condition() ? resolve() : setTimeout(check, everyMs));
    check();
  });
}

export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export const wizard = new Wizard();
