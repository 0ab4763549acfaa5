/** An engine with every setup module, as the CLI and the app build it, on a test host (roster cache cleared first). */
import { Engine } from '../../main/core/engine.ts';
import type { HostContext } from '../../main/core/host/context.ts';
import { registerSetupModules } from '../../main/core/modules.ts';
import { clearRosterCache } from '../../main/core/roster/current.ts';

export function setupEngine(ctx: HostContext): Engine {
  clearRosterCache();
  const engine = new Engine(ctx);
  registerSetupModules(engine);
  return engine;
}
