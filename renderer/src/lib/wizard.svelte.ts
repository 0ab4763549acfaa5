/**
 * Wizard state: the settings, the latest probe report (the one source of
 * truth every page, badge and summary reads), the pages and the current one.
 * Tasks live in the task store; "Fix everything" in the fix-all client.
 * Re-probing keeps the previous report on screen until the new one arrives,
 * so nothing jumps or flickers; each step's new report replaces its old one
 * as soon as its probe lands (main's `probe:progress`), and the sweep's
 * report, made of those very reports, replaces the whole.
 */
import type { AppInfo, GateSettings, PendingStep, ProbeProgress, ReadinessReport, StepId, StepPage, StepReport, StepReportOf, StepState, TaskParams, TaskStep } from '../../../main/ipc/contract.ts';
import { api, ApiError, unwrap } from './api.ts';
import { FixAllClient } from './fix-all.svelte.ts';
import { RECOVERY_KEY_STEPS, TASK_STEPS, TaskStore } from './tasks.svelte.ts';
import type { TaskOutcome, TaskView } from './task-view.svelte.ts';

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

/** Pages that show the recovery key card (leaving one with the key unsaved asks first). */
export const RECOVERY_KEY_PAGES: readonly PageId[] = ['sandbox', 'vault'];

/** Minimum gap between focus-triggered re-probes. */
const FOCUS_REPROBE_MS = 1500;
/** A probe still out after this long says so (page header, sidebar). */
export const SLOW_PROBE_MS = 2000;
/** Names this window's sweeps apart from an earlier window's (a reload). */
const WINDOW_NONCE = Date.now().toString(36);

/** The sweep in flight: its id, when it started, and what main says is still out (null: nothing landed yet, all out). */
interface Probing {
  id: string;
  startedAt: number;
  pending: PendingStep[] | null;
}

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
  /**
   * Steps whose task has ended while the re-probe that follows has not landed:
   * their pages show "finishing" instead of the old report beside the new result.
   */
  finishing = $state<StepId[]>([]);
  /** The unconfirmed key was saved to a file or printed in this window: leaving no longer asks. */
  recoveryKeyKept = $state(false);
  /** A page move waiting on "leave without saving the key?" (the page index), or null. */
  leaving = $state<number | null>(null);
  readonly tasks = new TaskStore((events) => this.onTaskEvents(events));
  readonly fixAll = new FixAllClient(this.tasks, { goTo: (id) => this.goTo(id) });
  private lastProbe = 0;
  private pendingRecheck = false;
  probing = $state<Probing | null>(null);
  /** First sweep only (no report yet): the step reports that landed so far. */
  private landed = $state<StepReport[]>([]);
  /** Ticks while a sweep runs, for the "still checking… 4 s" counters. */
  now = $state(Date.now());
  private sweepSeq = 0;

  /** Welcome, one page per step (from main's registry), Summary. */
  readonly pages: PageDef[] = $derived([WELCOME, ...(this.info?.steps ?? []).map((s) => ({ id: s.id, title: s.title, requirement: s.requirement, step: s })), SUMMARY]);

  get page(): PageDef {
    return this.pages[this.pageIndex] ?? WELCOME;
  }

  step<Id extends StepId>(id: Id): StepReportOf<Id> | undefined {
    return (this.report?.steps ?? this.landed).find((s) => s.id === id) as StepReportOf<Id> | undefined;
  }

  /**
   * A step whose probe (or a dependency's) is still out after SLOW_PROBE_MS:
   * the sentence ("still checking podman… 4 s", "waiting for Podman… 4 s") and
   * the sidebar's short form ("checking… 4 s", "waiting"); null otherwise.
   */
  slowProbe(id: PageId): { sentence: string; short: string } | null {
    const p = this.probing;
    if (!p || id === 'welcome' || id === 'summary' || this.now - p.startedAt < SLOW_PROBE_MS) return null;
    const pending = p.pending ? p.pending.find((x) => x.id === id) : { id, probing: true, waitingFor: [] };
    if (!pending) return null;
    const secs = `${Math.floor((this.now - p.startedAt) / 1000)} s`;
    const title = (x: StepId) => this.info?.steps.find((s) => s.id === x)?.title ?? x;
    if (pending.probing) return { sentence: `still checking ${inSentence(title(pending.id))}… ${secs}`, short: `checking… ${secs}` };
    return { sentence: `waiting for ${pending.waitingFor.map(title).join(', ')}… ${secs}`, short: 'waiting' };
  }

  /** A fix of this step is running right now (its own button, or "Fix everything" at it). */
  fixing(id: StepId): boolean {
    const page = this.info?.steps.find((s) => s.id === id);
    if (page?.fixTasks.some((t) => this.tasks.running(t))) return true;
    // A fix started through the orchestrator (a page's button, "Fix everything") is running before,
    // between and after its sub-tasks: its own events say which step it is at.
    return [TASK_STEPS.fix, TASK_STEPS.fixAll].some((s) => this.tasks.get(s)?.fixingStep === id);
  }

  /** The step's task ended and the re-probe has not landed yet. */
  isFinishing(id: StepId): boolean {
    return this.finishing.includes(id);
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
    if (this.isFinishing(id)) return 'checking';
    const s = this.step(id);
    if (!s) return this.checking || this.probing ? 'checking' : 'pending';
    // Not set up, and its fix was tried in this session and failed: that is a failure, not "not set up yet"
    // (one that stopped for an administrator's step is a warning, as its page says "Almost done").
    if (s.state !== 'todo') return s.state;
    const outcome = this.lastFixOutcome(id);
    return outcome === 'failed' ? 'failed' : outcome === 'needs-admin' ? 'warning' : s.state;
  }

  /** The newest task this step's fix (or "run again") started: its page shows its log. */
  lastFixTask(id: StepId): TaskView | undefined {
    const page = this.info?.steps.find((p) => p.id === id);
    return (page?.fixTasks ?? []).map((t) => this.tasks.get(t)).filter((t) => t !== undefined).sort((a, b) => b.startedAt - a.startedAt)[0];
  }

  /** The typed outcome of the newest task of this step's fix (a cancel is not a failure). */
  lastFixOutcome(id: StepId): TaskOutcome | null {
    return this.lastFixTask(id)?.outcome ?? null;
  }

  /**
   * A step page's header: terok's line (what `check` prints), or the step's own short words where that line
   * would mislead (terok's "missing: shield hooks" after an upgrade); while blocked, what it waits for.
   */
  statusLine(id: StepId): string | null {
    const s = this.step(id);
    if (!s) return null;
    if (s.state === 'blocked') return `Not checked yet: ${this.blockers(id).join(', ')} must work first.`;
    return `${s.result.name}: ${s.explanation.summary ?? s.result.message}`;
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
    api().on('probe:progress', (e) => this.onProgress(e));
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
    const sweepId = `${WINDOW_NONCE}-${++this.sweepSeq}`;
    this.probing = { id: sweepId, startedAt: Date.now(), pending: null };
    this.now = Date.now();
    const tick = setInterval(() => { this.now = Date.now(); }, 250);
    try {
      this.report = await unwrap(api().sweep({ settings: $state.snapshot(this.settings), sweepId }));
      this.error = null;
      this.fetchUnsavedRecoveryKey();
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      // Events of this sweep still in transit are ignored from here on: the report holds them all.
      clearInterval(tick);
      this.probing = null;
      this.landed = [];
      this.checking = false;
      // A sweep that started before a task ended is followed by another; only the last one settles the pages.
      if (!this.pendingRecheck) this.finishing = [];
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

  /** The recovery key card is on screen with a key not yet saved anywhere. */
  get keyUnsavedHere(): boolean {
    return Boolean(this.recoveryKey) && !this.recoveryKeyKept && RECOVERY_KEY_PAGES.includes(this.page.id);
  }

  /** Every page move (sidebar, Back/Next, Alt+arrows, links): leaving the unsaved key asks first. */
  go(index: number): void {
    const target = Math.max(0, Math.min(this.pages.length - 1, index));
    if (target === this.pageIndex) return;
    if (this.keyUnsavedHere) { this.leaving = target; return; }
    this.pageIndex = target;
  }

  /** The answer to the leave question. */
  answerLeave(leave: boolean): void {
    const target = this.leaving;
    this.leaving = null;
    if (leave && target !== null) this.pageIndex = target;
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
    this.recoveryKeyKept = false;
    for (const step of RECOVERY_KEY_STEPS) this.tasks.forgetResultField(step, 'generatedPassphrase');
  }

  /** A probe of the sweep in flight landed; any other sweep's event (stale, or late) is ignored. */
  private onProgress(e: ProbeProgress): void {
    const p = this.probing;
    if (!p || e.sweepId !== p.id) return;
    this.probing = { ...p, pending: e.pending };
    if (!e.steps.length) return;
    const fresh = new Map(e.steps.map((s) => [s.id, s] as const));
    if (this.report) this.report = { ...this.report, steps: this.report.steps.map((s) => fresh.get(s.id) ?? s) };
    else this.landed = [...this.landed.filter((s) => !fresh.has(s.id)), ...e.steps];
  }

  private onTaskEvents(events: readonly Parameters<TaskStore['push']>[0][]): void {
    let finished = false;
    for (const e of events) {
      if (e.type === 'done' && RECOVERY_KEY_STEPS.includes(e.step as TaskStep)) {
        const key = (e.result as { generatedPassphrase?: unknown } | null)?.generatedPassphrase;
        if (typeof key === 'string' && key && key !== this.recoveryKey) { this.recoveryKey = key; this.recoveryKeyKept = false; }
      }
      if (e.type === 'done' || e.type === 'failed') {
        finished = true;
        for (const p of this.info?.steps ?? []) if (p.fixTasks.includes(e.step as TaskStep) && !this.finishing.includes(p.id)) this.finishing.push(p.id);
      }
    }
    this.fixAll.follow(events);
    // One source of truth: after any task ends, the probes run again.
    if (finished) void this.recheck();
  }
}

/** A title inside a sentence: "Podman" → "podman", but "SSH key" stays. */
function inSentence(title: string): string {
  return /^[A-Z][a-z]/.test(title) ? title[0]!.toLowerCase() + title.slice(1) : title;
}

export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export const wizard = new Wizard();
