/** The roster module's task steps (see disable.ts). */
import { loadTerokConfig } from '../host/config.ts';
import { resolvePaths } from '../host/paths.ts';
import type { ModuleHost } from '../module-host.ts';
import { DISABLE_USER_FILE_STEP, disableUserFile, parseDisableParams } from './disable.ts';

export function register(host: ModuleHost): void {
  host.register(DISABLE_USER_FILE_STEP, async (params, task) => {
    const file = parseDisableParams(params);
    const paths = resolvePaths(host.ctx, loadTerokConfig(host.ctx));
    return task.stage('Use the built-in definition', (stage) => {
      const moved = disableUserFile(paths, file);
      stage.ok(`moved to ${moved.movedTo}`);
      return moved;
    });
  });
}
