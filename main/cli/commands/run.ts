import { parseArgs } from 'node:util';
import { tierValidationError, type ProvisionableTier } from '../../core/vault/provisioning.ts';
import { EXIT_NOT_READY, EXIT_READY, exitCodeForSignal, UsageError, type CliCommand } from '../command.ts';
import { gateIO, runGateFace } from '../gate-face.ts';
import { SETTINGS_HELP, SETTINGS_OPTIONS, settingsFrom } from './settings.ts';

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Run the readiness gate, offering each available fix',
  help: `Usage: terok-setup run [--yes] [--non-interactive] [--passphrase-tier TIER] [options]

Run the readiness gate. On a terminal each missing prerequisite that can be
fixed is offered with a [Y/n] question (Enter means yes). A setup made by a
newer terok is refused before anything is changed.

  -y, --yes              Accept every offer without asking
  --non-interactive      Report each missing item once; fix nothing
  --passphrase-tier TIER Where the sandbox fix keeps a new vault passphrase:
                         systemd-creds, keyring or kernel-keyring (without it,
                         only hosts with systemd-creds ≥ 257 can create one)
${SETTINGS_HELP}

Exit codes: 0 ready, 3 not ready, 4 downgrade detected, 2 usage error,
130 interrupted by Ctrl-C (143 SIGTERM, 129 SIGHUP).`,
  async run(engine, args, io) {
    const { values } = parseArgs({
      args, strict: true,
      options: { ...SETTINGS_OPTIONS, yes: { type: 'boolean', short: 'y' }, 'non-interactive': { type: 'boolean' }, 'passphrase-tier': { type: 'string' } },
    });
    if (values.help) { io.out(this.help + '\n'); return EXIT_READY; }
    const settings = settingsFrom(engine, values);
    const tier = values['passphrase-tier'];
    if (tier !== undefined) {
      const bad = tierValidationError(tier);
      if (bad) throw new UsageError(bad);
    }
    const interactive = !values['non-interactive'];
    if (interactive && !values.yes && !io.stdinIsTty) {
      io.err('terok-setup: prerequisites unchecked (stdin is not a tty).\n');
      io.err('  Run:   terok-setup run --yes\n');
      io.err('  Or:    terok-setup run --non-interactive\n');
      return EXIT_NOT_READY;
    }
    const end = await runGateFace(engine, gateIO(io), {
      settings, fix: interactive, confirm: interactive && !values.yes,
      options: tier ? { passphraseTier: tier as ProvisionableTier } : {},
    });
    if (end.interrupted || end.state === 'cancelled') { io.err('terok-setup: interrupted; nothing more was changed\n'); return exitCodeForSignal(end.interrupted ?? 'SIGINT'); }
    if (end.state === 'failed') { io.err(`terok-setup: ${end.failure.message}\n`); return EXIT_NOT_READY; }
    return end.gate!.exitCode;
  },
};
