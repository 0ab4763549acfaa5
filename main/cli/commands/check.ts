import { parseArgs } from 'node:util';
import { exitCodeOf } from '../../core/steps/readiness.ts';
import { nextRunCommand } from '../../core/steps/next-command.ts';
import { EXIT_NOT_READY, EXIT_READY, exitCodeForSignal, type CliCommand } from '../command.ts';
import { gateIO, runGateFace } from '../gate-face.ts';
import { SETTINGS_HELP, SETTINGS_OPTIONS, settingsFrom } from './settings.ts';

export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'Report every prerequisite and the readiness verdict',
  help: `Usage: terok-setup check [--json] [options]

Report podman, git, sandbox services, container images, SSH key and
credentials, in terok's order. Changes nothing.

  --json                 Print the full report as JSON
${SETTINGS_HELP}

Exit codes: 0 ready, 3 not ready, 4 downgrade detected, 2 usage error,
130 interrupted by Ctrl-C (143 SIGTERM, 129 SIGHUP).`,
  async run(engine, args, io) {
    const { values } = parseArgs({ args, options: { ...SETTINGS_OPTIONS, json: { type: 'boolean' } }, strict: true });
    if (values.help) { io.out(this.help + '\n'); return EXIT_READY; }
    const settings = settingsFrom(engine, values);
    if (values.json) {
      const report = await engine.sweep(settings);
      io.out(JSON.stringify(report, null, 2) + '\n');
      return exitCodeOf(report.verdict, report.setup);
    }
    const end = await runGateFace(engine, gateIO(io), { settings, fix: false, confirm: false });
    if (end.interrupted || end.state === 'cancelled') { io.err('terok-setup: interrupted\n'); return exitCodeForSignal(end.interrupted ?? 'SIGINT'); }
    if (end.state === 'failed') { io.err(`terok-setup: ${end.failure.message}\n`); return EXIT_NOT_READY; }
    const { ready, exitCode } = end.gate!;
    io.out(ready ? `Ready: terok can start an agent.\nTry:  ${nextRunCommand(settings)}\n` : 'Not ready: run `terok-setup run` or the Terok Setup app to fix the items above.\n');
    return exitCode;
  },
};
