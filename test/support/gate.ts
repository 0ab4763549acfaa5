/**
 * One step's gate fix as terok prints it (what the old per-step fix functions
 * returned): runs the real `setup.fix` task through the CLI's face and says
 * whether the step is fixed. The engine must have the orchestrator registered.
 */
import { runFixFace, type GateIO } from '../../main/cli/gate-face.ts';
import type { Engine } from '../../main/core/engine.ts';
import type { GateSettings } from '../../main/core/settings.ts';
import type { FixOptions } from '../../main/core/steps/descriptor.ts';
import type { StepId } from '../../main/core/steps/registry.ts';

export function gateFix(engine: Engine, step: StepId, options: FixOptions = {}) {
  return async (settings: GateSettings, io: GateIO): Promise<boolean> => {
    const end = await runFixFace(engine, io, step, settings, options);
    if (end.state !== 'done') throw new Error(`setup.fix ended ${end.state}: ${end.failure.message}`);
    return end.fix!.fixed;
  };
}
