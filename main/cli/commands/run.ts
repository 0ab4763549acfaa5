import { parseArgs } from 'node:util';
import { runGate } from '../../core/preflight/gate.ts';
import { setSandboxFixOptions } from '../../core/sandbox/module.ts';
import { tierValidationError, type ProvisionableTier } from '../../core/vault/provisioning.ts';
import { EXIT_NOT_READY, EXIT_READY, UsageError, type CliCommand } from '../command.ts';
import { stampGate } from './stamp-gate.ts';
import { gateIO, SETTINGS_HELP, SETTINGS_OPTIONS, settingsFrom } from './settings.ts';

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Run the readiness gate, offering each available fix',
  help: `Usage: terok-setup run [--yes] [--non-interactive] [--passphrase-tier TIER] [options]

Run the readiness gate. On a terminal each missing prerequisite that can be
fixed is offered with a [Y/n] question (Enter means yes).

  -y, --yes              Accept every offer without asking
  --non-interactive      Report each missing item once; fix nothing
  --passphrase-tier TIER Where the sandbox fix keeps a new vault passphrase:
                         systemd-creds, keyring or kernel-keyring (without it,
                         only hosts with systemd-creds ≥ 257 can create one)
${SETTINGS_HELP}

Exit codes: 0 ready, 3 not ready, 4 downgrade detected, 2 usage error.`,
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
      setSandboxFixOptions(engine, { passphraseTier: tier as ProvisionableTier });
    }
    const interactive = !values['non-interactive'];
    if (interactive && !values.yes && !io.stdinIsTty) {
      io.err('terok-setup: prerequisites unchecked (stdin is not a tty).\n');
      io.err('  Run:   terok-setup run --yes\n');
      io.err('  Or:    terok-setup run --non-interactive\n');
      return EXIT_NOT_READY;
    }
    const opts = { interactive, assumeYes: Boolean(values.yes) };
    const result = await runGate(engine.ctx, settings, opts, gateIO(io), engine.fixes);
    if (!result.results.podman?.ok) return EXIT_NOT_READY;
    const stampCode = await stampGate(engine, settings, gateIO(io), opts);
    return result.ready ? stampCode : EXIT_NOT_READY;
  },
};
