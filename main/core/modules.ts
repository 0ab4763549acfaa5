/**
 * Setup modules plug their task steps and gate fixes into the engine here.
 * Each module exports `register(engine)`; the order does not matter.
 */
import type { Engine } from './engine.ts';
import * as sandboxModule from './sandbox/module.ts';
import * as images from './images/module.ts';
import * as auth from './auth/module.ts';

type SetupModule = { register(engine: Engine): void };

const MODULES: readonly SetupModule[] = [images, sandboxModule, auth];

export function registerSetupModules(engine: Engine): void {
  for (const m of MODULES) m.register(engine);
}
