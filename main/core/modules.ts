/**
 * Setup modules plug their task steps into the engine here.
 * Each module exports `register(engine)`; the order does not matter.
 */
import type { Engine } from './engine.ts';
import * as sandboxModule from './sandbox/module.ts';
import * as images from './images/module.ts';
import * as auth from './auth/module.ts';
import { FIX_ALL_STEP, FIX_STEP, fixAllStep, fixOneStep } from './steps/fix-all.ts';

type SetupModule = { register(engine: Engine): void };

/** The orchestrator: "Fix everything", `terok-setup run` and `check`, and each page's fix (see steps/fix-all.ts). */
export function registerOrchestrator(engine: Engine): void {
  const defaults = () => engine.defaultSettings();
  engine.tasks.register(FIX_ALL_STEP, fixAllStep(engine.ctx, defaults));
  engine.tasks.register(FIX_STEP, fixOneStep(engine.ctx, defaults));
}

const MODULES: readonly SetupModule[] = [images, sandboxModule, auth, { register: registerOrchestrator }];

export function registerSetupModules(engine: Engine): void {
  for (const m of MODULES) m.register(engine);
}
