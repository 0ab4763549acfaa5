import { parseArgs } from 'node:util';
import type { Engine } from '../../core/engine.ts';
import { createStagePrinter } from '../../core/sandbox/stage-printer.ts';
import { colourEnabled } from '../../core/tasks/stages.ts';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_READY, type CliCommand, type CliStreams } from '../command.ts';
import { recoveryKeyLines } from '../gate-face.ts';
import { driveTask, noQuestions } from '../task-face.ts';

/**
 * Run a task step and print its stage lines progressively, in terok's
 * format (Ctrl-C, SIGTERM and SIGHUP cancel it); resolves with the step's
 * result, or null after printing a failure.
 */
export async function runStepWithStageLines(engine: Engine, io: CliStreams, step: string, params: unknown): Promise<unknown> {
  const printer = createStagePrinter(io.out, { progressive: true, colour: colourEnabled(engine.ctx.env, Boolean(process.stdout.isTTY)) });
  const end = await driveTask(engine, step, params, noQuestions((e) => {
    if (e.type === 'stage') printer.stage(e.stage);
    else if (e.type === 'log') printer.log(e.line);
  }));
  if (end.state !== 'done') {
    io.err(`terok-setup: ${end.failure.message}\n`);
    return null;
  }
  return end.result;
}

interface InstallOutcome {
  exitCode: number;
  cancelled?: boolean;
  generatedPassphrase: string | null;
}

export const installCommand: CliCommand = {
  name: 'install',
  summary: 'Install the sandbox: hooks, credential DB, routes, setup stamp',
  help: `Usage: terok-setup install [--no-shield] [--no-vault] [--passphrase-tier TIER]

Prepare the sandbox the way \`terok-executor setup\` does: vault routes,
prerequisites report, legacy cleanup, shield hooks, credential DB,
supervisor hooks, and the setup stamp when everything succeeded.
Safe to re-run; a ready host is left unchanged.

  --no-shield              Skip the shield (egress firewall) hooks
  --no-vault               Skip routes and the credential DB
  --passphrase-tier TIER   Where a new vault passphrase lives:
                           systemd-creds, keyring or kernel-keyring

A newly generated vault passphrase is printed once: store it off this machine.

Exit codes: 0 ready (stamp written), 1 a stage failed,
5 a manual host step is needed (SELinux policy), 2 usage error,
130 interrupted (Ctrl-C, SIGTERM, SIGHUP).`,
  async run(engine, args, io) {
    const { values } = parseArgs({
      args, strict: true,
      options: { 'no-shield': { type: 'boolean' }, 'no-vault': { type: 'boolean' }, 'passphrase-tier': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) { io.out(this.help + '\n'); return EXIT_READY; }
    const params = {
      noShield: Boolean(values['no-shield']),
      noVault: Boolean(values['no-vault']),
      ...(values['passphrase-tier'] !== undefined ? { passphraseTier: values['passphrase-tier'] } : {}),
    };
    const result = await runStepWithStageLines(engine, io, 'sandbox.install', params) as InstallOutcome | null;
    if (!result) return EXIT_FAILURE;
    if (result.generatedPassphrase) {
      // The one and only time this value is shown — also after a failed or cancelled run.
      const lines = recoveryKeyLines(result.generatedPassphrase);
      lines[lines.length - 1] += ' (or "I have saved it" in Terok Setup)';
      io.out(lines.join('\n') + '\n');
    }
    if (result.cancelled) {
      io.err('terok-setup: install cancelled; no setup stamp written\n');
      return EXIT_INTERRUPTED;
    }
    return result.exitCode;
  },
};
