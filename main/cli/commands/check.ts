import { parseArgs } from 'node:util';
import { runGate } from '../../core/preflight/gate.ts';
import { EXIT_NOT_READY, EXIT_READY, type CliCommand } from '../command.ts';
import { gateIO, SETTINGS_HELP, SETTINGS_OPTIONS, settingsFrom } from './settings.ts';

export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'Report every prerequisite and the readiness verdict',
  help: `Usage: terok-setup check [--json] [options]

Report podman, git, sandbox services, container images, SSH key and
credentials, in terok's order. Changes nothing.

  --json                 Print the full report as JSON
${SETTINGS_HELP}

Exit codes: 0 ready, 3 not ready, 2 usage error.`,
  async run(engine, args, io) {
    const { values } = parseArgs({ args, options: { ...SETTINGS_OPTIONS, json: { type: 'boolean' } }, strict: true });
    if (values.help) { io.out(this.help + '\n'); return EXIT_READY; }
    const settings = settingsFrom(engine, values);
    if (values.json) {
      const report = await engine.sweep(settings);
      io.out(JSON.stringify(report, null, 2) + '\n');
      return report.verdict.ready ? EXIT_READY : EXIT_NOT_READY;
    }
    const result = await runGate(engine.ctx, settings, { interactive: false, assumeYes: false }, gateIO(io), {});
    io.out(result.ready ? 'Ready: terok can start an agent.\n' : 'Not ready: run `terok-setup run` or the Terok Setup app to fix the items above.\n');
    return result.ready ? EXIT_READY : EXIT_NOT_READY;
  },
};
