/**
 * Setup modules plug their task steps into the engine here.
 * Each module exports `register(engine)`; the order does not matter.
 */
import type { ModuleHost } from './module-host.ts';
import * as sandboxModule from './sandbox/module.ts';
import * as images from './images/module.ts';
import * as auth from './auth/module.ts';
import * as roster from './roster/module.ts';
import * as packages from './packages/module.ts';
import { FIX_ALL_STEP, FIX_STEP, fixAllStep, fixOneStep } from './steps/fix-all.ts';

type SetupModule = { register(host: ModuleHost): void };

/** The orchestrator: "Fix everything", `terok-setup run` and `check`, and each page's fix (see steps/fix-all.ts). */
export function registerOrchestrator(host: ModuleHost): void {
  const defaults = () => host.defaultSettings();
  host.register(FIX_ALL_STEP, fixAllStep(host.ctx, defaults));
  host.register(FIX_STEP, fixOneStep(host.ctx, defaults));
}

const MODULES: readonly SetupModule[] = [images, sandboxModule, auth, roster, packages, { register: registerOrchestrator }];

export function registerSetupModules(host: ModuleHost): void {
  for (const m of MODULES) m.register(host);
}
