/**
 * Wizard state: the settings, the latest probe report (the one source of
 * truth every page, badge and summary reads), the pages and the current one.
 * Tasks live in the task store; "Fix everything" in the fix-all client.
 * Re-probing keeps the previous report on screen until the new one arrives,
 * so nothing jumps or flickers.
 */
import type { AppInfo, GateSettings, ReadinessReport, StepId, StepPage, StepReportOf, StepState, TaskParams, TaskStep } from '../../../main/ipc/contract.ts';
import { api, ApiError, unwrap } from './api.ts';
import { FixAllClient } from './fix-all.svelte.ts';
import { RECOVERY_KEY_STEPS, TASK_STEPS, TaskStore } from './tasks.svelte.ts';

export type PageId = 'welcome' | StepId | 'summary';

export interface PageDef {
  id: PageId;
  title: string;
  /** Marked in the sidebar; null for Welcome and Summary. */
  requirement: StepPage['requirement'] | null;
  /** The step behind the page (null for Welcome and Summary). */
  step: StepPage | null;
}

const WELCOME: PageDef = { id: 'welcome', title: 'Welcome', requirement: null, step: null };
const SUMMARY: PageDef = { id: 'summary', title: 'Summary', requirement: null, step: null };

/** A step's state in the sidebar, plus the wizard's own moments ('skipped': the user chose "Skip for now"). */
export type SidebarState = StepState | 'skipped' | 'pending' | 'checking' | 'working';

/** Minimum gap between focus-triggered re-probes. */
const FOCUS_REPROBE_MS = 1500;

class Wizard {
  info = $state<AppInfo | null>(null);
  settings = $state<GateSettings>({ provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null });
  report = $state<ReadinessReport | null>(null);
  checking = $state(false);
  error = $state<string | null>(null);
  pageIndex = $state(0);
  /**
   * A newly generated vault passphrase, held here (not in a task view, which a
   * new run would replace) until the user confirms saving it.
   */
  recoveryKey = $state<string | null>(null);
  readonly tasks = new TaskStore((events) => this.onTaskEvents(events));
  readonly fixAll = new FixAllClient(this.tasks, { goTo: (id) => this.goTo(id) });
  private lastProbe = 0;
  private pendingRecheck = false;

  /** Welcome, one page per step (from main's registry), Summary. */
  readonly pages: PageDef[] = $derived([WELCOME, ...(this.info?.steps ?? []).map((s) => ({ id: s.id, title: s.title, requirement: s.requirement, step: s })), SUMMARY]);

  get page(): PageDef {
    return this.pages[this.pageIndex] ?? WELCOME;
  }

  step<Id extends StepId>(id: Id): StepReportOf<Id> | undefined {
    return this.report?.steps.find((s) => s.id === id) as StepReportOf<Id> | undefined;
  }

  /** A fix of this step is running right now (its own button, or "Fix everything" at it). */
  fixing(id: StepId): boolean {
    const page = this.info?.steps.find((s) => s.id === id);
    return Boolean(page?.fixTasks.some((t) => this.tasks.running(t)));
  }

  sidebarState(id: PageId): SidebarState {
    if (id === 'welcome') return this.report ? 'ok' : 'pending';
    if (id === 'summary') {
      if (!this.report) return this.checking ? 'checking' : 'pending';
      if (this.report.verdict.ready) return 'ok';
      // Not ready is red only when something failed; a first run is simply not set up yet.
      return this.report.steps.some((s) => this.sidebarState(s.id) === 'failed') ? 'failed' : 'todo';
    }
    if (this.fixing(id)) return 'working';
    const s = this.step(id);
    if (!s) return this.checking ? 'checking' : 'pending';
    // Not set up, and its fix was tried in this session and failed: that is a failure, not "not set up yet".
    return s.state === 'todo' && this.fixFailed(id) ? 'failed' : s.state;
  }

  /** The newest task of this step's fix ended in failure (a failed task, or a setup that exited non-zero). */
  fixFailed(id: StepId): boolean {
    const page = this.info?.steps.find((p) => p.id === id);
    const last = (page?.fixTasks ?? []).map((t) => this.tasks.get(t)).filter((t) => t !== undefined).sort((a, b) => b.startedAt - a.startedAt)[0];
    if (!last) return false;
    const exitCode = (last.result as { exitCode?: unknown } | null)?.exitCode;
    return last.state === 'failed' || (last.state === 'done' && typeof exitCode === 'number' && exitCode !== 0);
  }

  /** The titles of the unmet steps this page waits for (main decides which; see StepReport.blockedBy). */
  blockers(id: PageId): string[] {
    if (id === 'welcome' || id === 'summary') return [];
    return (this.step(id)?.blockedBy ?? []).map((d) => this.info?.steps.find((s) => s.id === d)?.title ?? d);
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
    api().on('task:event', (e) => this.tasks.push(e));
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
      this.fetchUnsavedRecoveryKey();
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.checking = false;
    }
    if (this.pendingRecheck) { this.pendingRecheck = false; await this.recheck(); }
  }

  /**
   * A recovery key minted earlier (an install that was interrupted, or a window
   * closed before "I have saved it") and still not confirmed: fetched from main
   * once, so the card shows it again until the user confirms.
   */
  private fetchUnsavedRecoveryKey(): void {
    const vault = this.step('vault');
    if (this.recoveryKey || vault?.facts.recovery !== 'unsaved' || !this.hasTask(TASK_STEPS.recoveryKey)) return;
    if (this.tasks.get(TASK_STEPS.recoveryKey)?.state === 'running') return;
    void this.tasks.start(TASK_STEPS.recoveryKey, {}).catch(() => { /* shown again on the next check */ });
  }

  go(index: number): void {
    this.pageIndex = Math.max(0, Math.min(this.pages.length - 1, index));
  }

  goTo(id: PageId): void {
    const i = this.pages.findIndex((p) => p.id === id);
    if (i >= 0) this.go(i);
  }

  /** A step's fix through the engine's orchestrator (the same code "Fix everything" and the CLI run). */
  fix(id: StepId, options: Omit<TaskParams<'setup.fix'>, 'step' | 'settings'> = {}): Promise<string> {
    return this.tasks.start(TASK_STEPS.fix, { step: id, settings: $state.snapshot(this.settings), ...options });
  }

  /**
   * "I have saved it": the task that showed the key is told so (it then
   * confirms it in main); the key is forgotten once main has written the marker.
   */
  async acknowledgeRecoveryKey(): Promise<void> {
    const waiting = [TASK_STEPS.fixAll, TASK_STEPS.fix].map((s) => this.tasks.get(s)).find((t) => t?.request?.request.kind === 'recovery-key');
    if (waiting?.request) {
      // The walk runs the confirmation as its sub-task; wait for that task to end.
      const ack = this.tasks.subTask(waiting.taskId, TASK_STEPS.acknowledgeRecovery);
      if (!(await this.tasks.respond(waiting.taskId, waiting.request.requestId, { kind: 'recovery-key', saved: true }))) throw new Error('the setup task no longer waits for this key');
      await this.tasks.ended((await ack).taskId);
    } else {
      await this.tasks.ended(await this.tasks.start(TASK_STEPS.acknowledgeRecovery, {}));
    }
    const ack = this.tasks.get(TASK_STEPS.acknowledgeRecovery);
    if (ack?.state !== 'done') throw new Error(ack?.failure?.message ?? 'the confirmation could not be saved');
    this.recoveryKey = null;
    for (const step of RECOVERY_KEY_STEPS) this.tasks.forgetResultField(step, 'generatedPassphrase');
  }

  private onTaskEvents(events: readonly Parameters<TaskStore['push']>[0][]): void {
    let finished = false;
    for (const e of events) {
      if (e.type === 'done' && RECOVERY_KEY_STEPS.includes(e.step as TaskStep)) {
        const key = (e.result as { generatedPassphrase?: unknown } | null)?.generatedPassphrase;
        if (typeof key === 'string' && key) this.recoveryKey = key;
      }
      finished ||= e.type === 'done' || e.type === 'failed';
    }
    this.fixAll.follow(events);
    // One source of truth: after any task ends, the probes run again.
    if (finished) void this.recheck();
  }
}

export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export const wizard = new Wizard();
