import { parseArgs } from 'node:util';
import { EXIT_READY, type CliCommand } from '../command.ts';
import { runStepWithStageLines } from './install.ts';

export const uninstallCommand: CliCommand = {
  name: 'uninstall',
  summary: 'Remove the hooks and the setup stamp (keeps routes and credentials)',
  help: `Usage: terok-setup uninstall [--no-shield]

Remove what \`terok-setup install\` installed: supervisor hooks, shield hooks,
legacy leftovers and the setup stamp. Keeps routes.json, the credential DB
and its passphrase, and your containers.conf.

  --no-shield    Leave the shield hooks installed

Exit codes: 0 removed, 1 a stage failed, 2 usage error.`,
  async run(engine, args, io) {
    const { values } = parseArgs({ args, strict: true, options: { 'no-shield': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) { io.out(this.help + '\n'); return EXIT_READY; }
    const ran = await runStepWithStageLines(engine, io, 'sandbox.uninstall', { noShield: Boolean(values['no-shield']) });
    return 'result' in ran ? (ran.result as { exitCode: number }).exitCode : ran.exitCode;
  },
};
