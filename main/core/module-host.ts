/**
 * What a setup module may use of the engine: the host, the default settings,
 * and its own task steps. Modules get this, not the Engine, so they cannot
 * reach each other's internals or the faces.
 */
import type { HostContext } from './host/context.ts';
import type { GateSettings } from './settings.ts';
import type { TaskStep } from './task-steps.ts';
import type { StepImpl } from './tasks/task-manager.ts';

export interface ModuleHost {
  readonly ctx: HostContext;
  defaultSettings(): GateSettings;
  /** Offer a task step (the name is one of the typed task map's). */
  register(step: TaskStep, impl: StepImpl): void;
  /** Blank a one-time secret field in every stored result of `step` (after the user saved it). */
  redactResults(step: TaskStep, field: string): number;
}
