/**
 * The client of the engine's orchestrator: "Fix everything" starts one
 * `setup.fix-all` task and follows its events — it shows the page of the step
 * being fixed, stops where the task asks the user (the recovery key on the
 * Sandbox page, a credential on the Credentials page) and lands on Summary.
 * The walk itself (order, re-probes, what to fix) lives in main.
 */
import type { GateSettings, SetupEvent, StepId, TaskEvent, UserRequest } from '../../../main/ipc/contract.ts';
import type { TaskStore } from './tasks.svelte.ts';
import { TASK_STEPS } from './tasks.svelte.ts';

export interface FixAllHost {
  goTo(id: StepId | 'summary'): void;
}

export class FixAllClient {
  private readonly store: TaskStore;
  private readonly host: FixAllHost;
  taskId = $state<string | null>(null);

  constructor(store: TaskStore, host: FixAllHost) {
    this.store = store;
    this.host = host;
  }

  /** The walk is running. */
  get running(): boolean {
    return this.taskId !== null && this.store.byTaskId(this.taskId)?.state === 'running';
  }

  /** The step the walk is at, from its last offer. */
  get current(): StepId | null {
    const events = this.taskId ? this.store.byTaskId(this.taskId)?.setup ?? [] : [];
    const last = events.findLast((e): e is Extract<SetupEvent, { kind: 'offer' }> => e.kind === 'offer');
    return (last?.id as StepId | undefined) ?? null;
  }

  /** The walk ran to its end (not cancelled, not failed): Summary then lists what is left. */
  get finished(): boolean {
    return this.taskId !== null && this.store.byTaskId(this.taskId)?.state === 'done';
  }

  /** Steps whose fix the walk tried and that did not work (it went on with the steps that do not need them). */
  get failedSteps(): StepId[] {
    const events = this.taskId ? this.store.byTaskId(this.taskId)?.setup ?? [] : [];
    return events.flatMap((e) => (e.kind === 'fix-end' && !e.ok ? [e.id as StepId] : []));
  }

  /** What the walk waits for, if anything. */
  get waitingFor(): UserRequest | null {
    return this.taskId ? this.store.byTaskId(this.taskId)?.request?.request ?? null : null;
  }

  /** What the walk is paused on, in the user's words (null while it works or has ended). */
  get waitingText(): string | null {
    switch (this.waitingFor?.kind) {
      case 'recovery-key': return 'Set up everything is paused until you save the vault recovery key. It goes on when you press “I have saved it”.';
      case 'credential': return 'Set up everything is paused until you add a credential (or skip it) on the Credentials page.';
      case 'confirm': return 'Set up everything is waiting for your answer.';
      default: return null;
    }
  }

  async start(settings: GateSettings): Promise<void> {
    if (this.running) return;
    // The wizard accepts every offer and picks the recommended passphrase tier when one must be chosen.
    this.taskId = await this.store.start(TASK_STEPS.fixAll, { settings, pickTier: true });
  }

  async stop(): Promise<void> {
    if (this.running) await this.store.cancel(TASK_STEPS.fixAll);
  }

  /** Follow the walk: one page move per event, in order. */
  follow(events: readonly TaskEvent[]): void {
    for (const e of events) {
      if (e.taskId !== this.taskId) continue;
      if (e.type === 'setup' && e.event.kind === 'offer') this.host.goTo(e.event.id as StepId);
      else if (e.type === 'needs-user' && e.request.kind === 'credential') this.host.goTo('credentials');
      else if (e.type === 'done') this.host.goTo('summary');
    }
  }
}
