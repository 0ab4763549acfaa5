import { parseArgs } from 'node:util';
import type { Engine } from '../../core/engine.ts';
import { createStagePrinter } from '../../core/sandbox/stage-printer.ts';
import { colourEnabled } from '../../core/tasks/stages.ts';
import { parseInstallParams } from '../../core/sandbox/module.ts';
import { InvalidParamsError } from '../../core/errors.ts';
import type { TaskEvent } from '../../core/tasks/task-manager.ts';
import { RECOVERY_ACK_COMMAND } from '../../core/vault/provisioning.ts';
import { EXIT_FAILURE, EXIT_READY, UsageError, exitCodeForSignal, type CliCommand, type CliStreams } from '../command.ts';
import { RecoveryKeyNotice } from '../gate-face.ts';
import { driveTask, endExitCode, noQuestions } from '../task-face.ts';

/**
 * Run a task step and print its stage lines progressively, in terok's
 * format (Ctrl-C, SIGTERM and SIGHUP cancel it); resolves with the step's
 * result, or with the exit code after printing a failure.
 */
export async function runStepWithStageLines(engine: Engine, io: CliStreams, step: string, params: unknown, onEvent?: (e: TaskEvent) => void): Promise<{ result: unknown; interrupted: NodeJS.Signals | null } | { exitCode: number }> {
  const printer = createStagePrinter(io.out, { progressive: true, colour: colourEnabled(engine.ctx.env, Boolean(process.stdout.isTTY)) });
  const end = await driveTask(engine, step, params, noQuestions((e) => {
    if (e.type === 'stage') printer.stage(e.stage);
    else if (e.type === 'log') printer.log(e.line);
    onEvent?.(e);
  }));
  if (end.state !== 'done') {
    io.err(`terok-setup: ${end.failure.message}\n${end.failure.hint ? `${end.failure.hint}\n` : ''}`);
    return { exitCode: endExitCode(end) ?? EXIT_FAILURE };
  }
  return { result: end.result, interrupted: end.interrupted };
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

A newly generated vault passphrase is printed as soon as it exists: store it
off this machine. Until you confirm that (type SAVED when asked, or run
${RECOVERY_ACK_COMMAND}), every install shows it again.

Exit codes: 0 ready (stamp written), 1 a stage failed,
5 a manual host step is needed (SELinux policy), 2 usage error,
130 interrupted by Ctrl-C (143 SIGTERM, 129 SIGHUP).`,
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
    // The task's own validation, before anything runs: a bad value is a usage error (exit 2).
    try {
      parseInstallParams(params);
    } catch (err) {
      if (err instanceof InvalidParamsError) throw new UsageError(err.message);
      throw err;
    }
    const notice = new RecoveryKeyNotice(engine.ctx, (l) => io.out(l + '\n'));
    // The key is printed the moment the credentials stage ends, before any later stage can fail or be interrupted.
    const ran = await runStepWithStageLines(engine, io, 'sandbox.install', params, (e) => {
      if (e.type === 'stage' && e.stage.label === 'Credentials DB' && e.stage.status !== 'running') notice.showPending();
    });
    const result = 'result' in ran ? ran.result as InstallOutcome : null;
    notice.show(result?.generatedPassphrase ?? null);
    notice.showPending();
    if (!result) return (ran as { exitCode: number }).exitCode;
    if (result.cancelled || (ran as { interrupted: NodeJS.Signals | null }).interrupted) {
      io.err('terok-setup: install cancelled; no setup stamp written\n');
      return exitCodeForSignal((ran as { interrupted: NodeJS.Signals | null }).interrupted ?? 'SIGINT');
    }
    await notice.confirm(engine, io);
    return result.exitCode;
  },
};
