import { parseArgs } from 'node:util';
import { runGate } from '../../core/preflight/gate.ts';
import { EXIT_DOWNGRADE, EXIT_NOT_READY, EXIT_READY, type CliCommand } from '../command.ts';
import { stampGate } from './stamp-gate.ts';
import { nextRunCommand } from '../../core/preflight/next-command.ts';
import { gateIO, SETTINGS_HELP, SETTINGS_OPTIONS, settingsFrom } from './settings.ts';

export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'Report every prerequisite and the readiness verdict',
  help: `Usage: terok-setup check [--json] [options]

Report podman, git, sandbox services, container images, SSH key and
credentials, in terok's order. Changes nothing.

  --json                 Print the full report as JSON
${SETTINGS_HELP}

Exit codes: 0 ready, 3 not ready, 4 downgrade detected, 2 usage error.`,
  async run(engine, args, io) {
    const { values } = parseArgs({ args, options: { ...SETTINGS_OPTIONS, json: { type: 'boolean' } }, strict: true });
    if (values.help) { io.out(this.help + '\n'); return EXIT_READY; }
    const settings = settingsFrom(engine, values);
    if (values.json) {
      const report = await engine.sweep(settings);
      io.out(JSON.stringify(report, null, 2) + '\n');
      // As in terok, a downgrade (exit 4) outranks every other reason for "not ready".
      if (report.setup.verdict === 'stale_after_downgrade') return EXIT_DOWNGRADE;
      return report.verdict.ready ? EXIT_READY : EXIT_NOT_READY;
    }
    const result = await runGate(engine.ctx, settings, { interactive: false, assumeYes: false }, gateIO(io), {});
    // A failed podman stops everything, as in terok; otherwise the stamp decides too.
    const stampCode = result.results.podman?.ok ? await stampGate(engine, settings, gateIO(io), { interactive: false, assumeYes: false }) : EXIT_READY;
    const ready = result.ready && stampCode === EXIT_READY;
    io.out(ready ? `Ready: terok can start an agent.\nTry:  ${nextRunCommand(settings)}\n` : 'Not ready: run `terok-setup run` or the Terok Setup app to fix the items above.\n');
    if (ready) return EXIT_READY;
    return stampCode === EXIT_DOWNGRADE ? EXIT_DOWNGRADE : EXIT_NOT_READY;
  },
};
