import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Engine } from '../../core/engine.ts';
import { loadTerokConfig } from '../../core/host/config.ts';
import { resolvePaths } from '../../core/host/paths.ts';
import { checkRecoveryKeyTarget, RecoveryKeySaveError } from '../../core/vault/recovery-key.ts';
import { tierValidationError, type ProvisionableTier } from '../../core/vault/provisioning.ts';
import { EXIT_NOT_READY, EXIT_READY, exitCodeForSignal, UsageError, type CliCommand, type CliStreams } from '../command.ts';
import { runJson } from '../run-json.ts';
import { gateIO, runGateFace } from '../gate-face.ts';
import { SETTINGS_HELP, SETTINGS_OPTIONS, settingsFrom } from './settings.ts';

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Run the readiness gate, offering each available fix',
  help: `Usage: terok-setup run [--yes] [--non-interactive] [--passphrase-tier TIER] [options]
       terok-setup run --yes --json [--recovery-key-file PATH] [--api-key-stdin] [options]

Run the readiness gate. On a terminal each missing prerequisite that can be
fixed is offered with a [Y/n] question (Enter means yes). A setup made by a
newer terok is refused before anything is changed.

  -y, --yes              Accept every offer without asking
  --non-interactive      Report each missing item once; fix nothing
  --passphrase-tier TIER Where the sandbox fix keeps a new vault passphrase:
                         systemd-creds, keyring or kernel-keyring (without it,
                         only hosts with systemd-creds ≥ 257 can create one)
  --json                 Unattended (with --yes): one JSON document on stdout
                         saying per step what changed, was skipped, failed or
                         needs a person; terok's lines go to stderr
  --recovery-key-file PATH
                         With --json: write a new vault recovery key to PATH
                         (mode 0600, never over an existing file) and mark it
                         saved; without it the key waits to be collected
  --api-key-stdin        With --json: the agent's API key, piped in, is stored
                         when the credentials step asks for one
${SETTINGS_HELP}

Exit codes: 0 ready, 3 not ready, 4 downgrade detected, 2 usage error,
130 interrupted by Ctrl-C (143 SIGTERM, 129 SIGHUP).`,
  async run(engine, args, io) {
    const { values } = parseArgs({
      args, strict: true,
      options: {
        ...SETTINGS_OPTIONS, yes: { type: 'boolean', short: 'y' }, 'non-interactive': { type: 'boolean' }, 'passphrase-tier': { type: 'string' },
        json: { type: 'boolean' }, 'recovery-key-file': { type: 'string' }, 'api-key-stdin': { type: 'boolean' },
      },
    });
    if (values.help) { io.out(this.help + '\n'); return EXIT_READY; }
    const settings = settingsFrom(engine, values);
    const tier = values['passphrase-tier'];
    if (tier !== undefined) {
      const bad = tierValidationError(tier);
      if (bad) throw new UsageError(bad);
    }
    const options = tier ? { passphraseTier: tier as ProvisionableTier } : {};
    if (values.json) {
      if (!values.yes) throw new UsageError('run --json fixes things unattended and needs --yes; for a report that changes nothing use: terok-setup check --json');
      if (values['non-interactive']) throw new UsageError('--json and --non-interactive do not go together; for a report that changes nothing use: terok-setup check --json');
      const recoveryKeyFile = recoveryKeyTarget(engine, values['recovery-key-file']);
      const apiKey = values['api-key-stdin'] ? await apiKeyFromStdin(io) : null;
      return runJson(engine, io, { settings, options, recoveryKeyFile, apiKey });
    }
    for (const only of ['recovery-key-file', 'api-key-stdin'] as const) {
      if (values[only] !== undefined) throw new UsageError(`--${only} goes with --json (on a terminal, run shows the recovery key and asks for the API key)`);
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
      options,
    });
    if (end.interrupted || end.state === 'cancelled') { io.err('terok-setup: interrupted; nothing more was changed\n'); return exitCodeForSignal(end.interrupted ?? 'SIGINT'); }
    if (end.state === 'failed') { io.err(`terok-setup: ${end.failure.message}\n`); return EXIT_NOT_READY; }
    return end.gate!.exitCode;
  },
};

/** The recovery-key file, checked before anything is changed (relative to the working directory). */
function recoveryKeyTarget(engine: Engine, given: string | undefined): string | null {
  if (given === undefined) return null;
  if (!given.trim()) throw new UsageError('--recovery-key-file needs a file path');
  try {
    return checkRecoveryKeyTarget(resolvePaths(engine.ctx, loadTerokConfig(engine.ctx)), path.resolve(given), { replaceConfirmed: true });
  } catch (err) {
    if (err instanceof RecoveryKeySaveError) throw new UsageError(`--recovery-key-file: ${err.message}`);
    throw err;
  }
}

async function apiKeyFromStdin(io: CliStreams): Promise<string> {
  if (!io.readAll) throw new UsageError('--api-key-stdin is not available here');
  const key = (await io.readAll()).trim();
  if (!key) throw new UsageError('--api-key-stdin: nothing was piped in (pipe the API key into this command)');
  return key;
}
