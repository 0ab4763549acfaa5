/**
 * What one setup step is, in one place: its identity, what it means for the
 * verdict, its probe (typed status and facts, with terok's line beside them),
 * how it is fixed and what the user reads about it. The registry derives
 * every list the engine, the CLI and the wizard need from these descriptors.
 */
import type { GateSettings } from '../settings.ts';
import type { TaskStep } from '../task-steps.ts';
import type { TaskFailure, UserAnswer, UserRequest } from '../tasks/task-manager.ts';
import type { ProvisionableTier } from '../vault/provisioning.ts';
import type { CheckResult, ProbeEnv } from './probe-env.ts';

/**
 * What a probe found, for every face to act on (pages never read message text):
 *   ok           — in place
 *   degraded     — works, with a caveat (podman older than tested)
 *   outdated     — in place but must be refreshed (stale hooks, setup not re-run after an upgrade)
 *   missing      — not installed / not built / not stored
 *   unresponsive — installed but does not answer
 *   locked       — exists but cannot be opened without its passphrase
 *   not-set-up   — the thing it lives in is not created yet (no vault, no setup record)
 *   error        — the check itself failed
 */
export const STEP_STATUSES = ['ok', 'degraded', 'outdated', 'missing', 'unresponsive', 'locked', 'not-set-up', 'error'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** Whether a status counts as "in place" for the verdict. */
export const isMet = (status: StepStatus): boolean => status === 'ok' || status === 'degraded';

/**
 * required — unmet means "not ready"
 * optional — never blocks; what you lose is said, a fix may be offered
 * info     — never blocks, informs
 */
export type Requirement = 'required' | 'optional' | 'info';

/** What a probe waits on; the sweep starts the slow kinds first. */
export type ProbeCost = 'child-process' | 'key-derivation' | 'files';

export interface Probed<F> {
  /** terok's line (name, ok, message) — what the CLI prints, byte for byte. */
  result: CheckResult;
  status: StepStatus;
  facts: F;
}

/** How a step reads on its page and in the report — composed in core, so every face says the same. */
export interface Explanation {
  headline: string;
  /** One short line for the Summary's list when terok's line would mislead (default: see StepReport.summary). */
  summary?: string;
  /** What the fix will redo and what it keeps, shown beside its button. */
  fixNote?: string;
  /** Said only before the fix has been tried (how long it takes); a page drops it once a fix has ended. */
  beforeFix?: string;
  details?: { label: string; value: string }[];
  /** Commands the user can copy (install hints, manual fixes); a `group` folds them under that heading. */
  commands?: { label: string; command: string; group?: string }[];
  /** Documentation to open in the browser (https, allow-listed hosts). */
  links?: { label: string; url: string }[];
  /**
   * Another step must be put right before this one's action can work (the vault is locked, not set up …):
   * faces disable the action, the headline says why, and this links to that step's page.
   */
  prerequisite?: { step: string; label: string };
}

export type RecoveryAction = 'base-image' | 'import-image';

/** One task the fix starts, with params derived from settings and facts. */
export interface FixCall {
  task: TaskStep;
  params: Record<string, unknown>;
  /** Whether the finished task's result means the step is fixed (default: it finished). */
  succeeded?(result: unknown): boolean;
}

export interface FixOptions {
  /** Where a new vault passphrase goes (`run --passphrase-tier`). */
  passphraseTier?: ProvisionableTier;
  /** Pick the first available tier when the host needs a choice (the wizard's "Fix everything"). */
  pickTier?: boolean;
}

export type FixPlan =
  | { run: FixCall[] }
  /** Ask the user first (a credential); `then` turns the answer into calls, or null to skip. */
  | { ask: UserRequest; then(answer: UserAnswer): FixCall[] | null }
  /** Nothing can be run from here; why, in terok's words. */
  | { unfixable: string[] };

/** The outcome a failed fix is described from: a failed task, or a finished one whose result says no. */
export type FixShortfall = { failure: TaskFailure } | { result: unknown };

/** terok's lines around a gate fix (the CLI prints them; the wizard shows the task log instead). */
export interface TerokFixLines {
  before?: readonly string[];
  after?: readonly string[];
  /** Print the fix task's stage lines. */
  stages?: boolean;
  /** Prefix for the fix task's log lines. */
  logIndent?: string;
  failed(shortfall: FixShortfall): string[];
}

export interface StepFix<F> {
  /** terok's [Y/n] question, e.g. "Install shield hooks now?". */
  offer(settings: GateSettings): string;
  /** The wizard's button, e.g. "Build images". */
  action: string;
  /** Every task step `plan` may call (a page shows their live logs). */
  tasks: readonly TaskStep[];
  plan(settings: GateSettings, facts: F, options: FixOptions): FixPlan;
  /** Whether the fix can help in this state (default: whenever unmet); the walk offers it and a page shows its button only then. */
  applies?(probed: Probed<F>): boolean;
  /**
   * Only its own button (and `install-prereqs`) starts it, never the walk (`run`, "Set up everything"):
   * installing system software asks for an administrator's password, which is the user's call, and terok's run prints no such offer.
   */
  explicit?: boolean;
  terok: TerokFixLines;
  /**
   * What else a page offers once the fix has failed, besides "Try again":
   * base-image — pick another base image; import-image — load an image archive (offline machines).
   */
  recover?: readonly RecoveryAction[];
  /** Run again once met (the wizard's "Rebuild"): a plain task, not a fix. */
  again?: { action: string; call(settings: GateSettings): FixCall };
}

export interface StepDescriptor<Id extends string = string, F = unknown> {
  id: Id;
  title: string;
  requirement: Requirement;
  /**
   * terok-preflight — one of terok's own gate lines (its text and exit code stay byte-exact);
   * wizard — a check only the wizard makes (never printed in terok's gate, never blocks).
   */
  gate: 'terok-preflight' | 'wizard';
  /** Failing stops everything after it (podman, as in terok). */
  stopsEverything?: boolean;
  /** Steps that must be met before this one can be checked or fixed. */
  dependsOn: readonly string[];
  cost: ProbeCost;
  /** One paragraph for the page: what this is for. */
  about: string;
  /** terok's check name (credentials are named after the agent). */
  checkName(settings: GateSettings): string;
  probe(env: ProbeEnv): Promise<Probed<F>>;
  /** terok's lines when the step stays unmet. */
  unmet(settings: GateSettings): { stream: 'stdout' | 'stderr'; lines: string[] };
  /** The command that fixes this step by hand, in a terminal. */
  manualCommand?(settings: GateSettings): string;
  explain(probed: Probed<F>, settings: GateSettings): Explanation;
  fix?: StepFix<F>;
}

/** Keeps the literal id (the registry derives the id union from it) and checks the shape. */
export function defineStep<const Id extends string, F>(d: StepDescriptor<Id, F>): StepDescriptor<Id, F> {
  return d;
}
