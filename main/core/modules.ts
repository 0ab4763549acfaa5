/**
 * Setup modules plug their task steps and gate fixes into the engine here.
 * Each module exports `register(engine)`; the order does not matter.
 */
import type { Engine } from './engine.ts';

type SetupModule = { register(engine: Engine): void };

const MODULES: readonly SetupModule[] = [];

export function registerSetupModules(engine: Engine): void {
  for (const m of MODULES) m.register(engine);
}
