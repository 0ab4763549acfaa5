/** A task step that prints like a long podman build, as fast as it can (for the log view's tests and benchmark). */
import type { StepImpl } from '../../main/core/tasks/task-manager.ts';

export const lastLine = (lines: number) => `STEP ${lines}/${lines}: RUN echo line ${lines}`;

export function noisyBuild(lines: number): StepImpl {
  return async (_params, task) => {
    for (let i = 1; i <= lines; i++) {
      task.log(`STEP ${i}/${lines}: RUN echo line ${i}`, 'stdout');
      if (i % 500 === 0) { task.progress(i, lines, `L1 step ${i}/${lines}`); await new Promise((r) => setImmediate(r)); }
    }
    return { l0: 'terok-l0:x', l1: 'terok-l1-cli:x', cached: false };
  };
}
