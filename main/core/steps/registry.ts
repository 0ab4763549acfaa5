/**
 * Every setup step, in terok's order; everything else is derived from this
 * list: the id union, the facts types, terok's gate order, the probe launch
 * order and the wizard's page list. Adding a step = one descriptor file and
 * one line here.
 */
import { credentialsStep } from './credentials.ts';
import type { TaskStep } from '../task-steps.ts';
import type { ProbeCost, RecoveryAction, StepDescriptor } from './descriptor.ts';
import { gitStep } from './git.ts';
import { imagesStep } from './images.ts';
import { podmanStep } from './podman.ts';
import { sandboxStep } from './sandbox.ts';
import { sshKeyStep } from './ssh-key.ts';
import { vaultStep } from './vault.ts';

/** terok's gate order; wizard-only steps sit where their page belongs. */
export const STEPS = [podmanStep, gitStep, sandboxStep, vaultStep, imagesStep, sshKeyStep, credentialsStep] as const;

export type AnyStep = (typeof STEPS)[number];
export type StepId = AnyStep['id'];
export type FactsOf<Id extends StepId> = Extract<AnyStep, { id: Id }> extends StepDescriptor<Id, infer F> ? F : never;

/** Erased view for generic code (the walk, the sweep). */
export type Step = StepDescriptor<StepId, unknown>;
const ALL = STEPS as readonly Step[];

export const STEP_IDS: readonly StepId[] = ALL.map((s) => s.id);

/** terok's own gate lines, in its order. */
export const PREFLIGHT_STEPS: readonly Step[] = ALL.filter((s) => s.gate === 'terok-preflight');

const COST_RANK: Record<ProbeCost, number> = { 'child-process': 0, 'key-derivation': 1, files: 2 };

/**
 * Probes that wait on child processes start first, so those processes run
 * while in-process probes do their reads; ties keep terok's order.
 */
export const LAUNCH_ORDER: readonly StepId[] = [...ALL].sort((a, b) => COST_RANK[a.cost] - COST_RANK[b.cost] || ALL.indexOf(a) - ALL.indexOf(b)).map((s) => s.id);

export function stepOf(id: StepId): Step {
  return ALL.find((s) => s.id === id)!;
}

/** What the sidebar and the page list show, in page order. */
export interface StepPage {
  id: StepId;
  title: string;
  requirement: StepDescriptor['requirement'];
  gate: StepDescriptor['gate'];
  about: string;
  /** The wizard's fix button, when the step has a fix. */
  fixAction: string | null;
  /** The tasks the fix can start (a page shows their logs). */
  fixTasks: TaskStep[];
  /** "Run again" once met (e.g. Rebuild), by label. */
  againAction: string | null;
  /** Offered beside "Try again" once the fix failed. */
  recover: RecoveryAction[];
}

export const STEP_PAGES: readonly StepPage[] = ALL.map((s) => ({
  id: s.id, title: s.title, requirement: s.requirement, gate: s.gate, about: s.about,
  fixAction: s.fix?.action ?? null,
  fixTasks: [...(s.fix?.tasks ?? [])],
  againAction: s.fix?.again?.action ?? null,
  recover: [...(s.fix?.recover ?? [])],
}));
