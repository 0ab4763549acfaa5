import { parseArgs } from 'node:util';
import { resolvePaths } from '../../core/host/paths.ts';
import { ensureVaultRoutes, stageRunnerFor } from '../../core/roster/vault-routes.ts';
import { colourEnabled, stageCompletion, stageLabel } from '../../core/tasks/stages.ts';
import { EXIT_FAILURE, EXIT_READY, type CliCommand } from '../command.ts';

export const routesCommand: CliCommand = {
  name: 'routes',
  summary: 'Regenerate the vault routes file (routes.json) from the agent roster',
  help: `Usage: terok-setup routes

Rebuild routes.json — the file each container's vault reads to know where
to forward credentials — from the bundled agent roster and your own files in
~/.config/terok/agent/agents/ and ~/.config/terok/agent/providers/.
The file is replaced atomically; if the roster is invalid nothing is written.

Exit codes: 0 written, 1 roster or write error, 2 usage error.`,
  async run(engine, args, io) {
    const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, strict: true });
    if (values.help) { io.out(this.help + '\n'); return EXIT_READY; }
    const colour = colourEnabled(engine.ctx.env, Boolean(process.stdout.isTTY));
    // Progressive stage line: the label first, the marker when the stage ends.
    const stage = stageRunnerFor((update) => {
      io.out(update.status === 'running' ? stageLabel(update.label) : stageCompletion(update.status, update.detail, colour) + '\n');
    });
    try {
      const result = await ensureVaultRoutes(resolvePaths(engine.ctx), stage);
      for (const warning of result.warnings) io.err(warning + '\n');
      io.out(`Routes written to ${result.path}\n`);
      return EXIT_READY;
    } catch {
      // The stage line already shows what went wrong and where.
      return EXIT_FAILURE;
    }
  },
};
