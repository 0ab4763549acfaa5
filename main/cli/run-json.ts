/**
 * `terok-setup run --yes --json`: the walk unattended, for configuration
 * management. terok's gate lines go to stderr as progress; stdout carries
 * exactly one JSON document (core/steps/run-report.ts). Nothing waits for a
 * person: a credential is taken from stdin when the caller piped one
 * (--api-key-stdin) and is otherwise left to the user; a new recovery key is
 * written to the file the caller named (--recovery-key-file, 0600) and then
 * marked saved, or left pending — never printed.
 */
import type { Engine } from '../core/engine.ts';
import { SetupError } from '../core/errors.ts';
import type { FixOptions } from '../core/steps/descriptor.ts';
import { ACKNOWLEDGE_STEP } from '../core/steps/fix-all.ts';
import { runReport, WalkRecorder, type RecoveryKeyDelivery, type RunReport } from '../core/steps/run-report.ts';
import type { GateSettings } from '../core/settings.ts';
import type { UserAnswer, UserRequest } from '../core/tasks/task-manager.ts';
import { RECOVERY_ACK_COMMAND } from '../core/vault/provisioning.ts';
import { RecoveryKeySaveError, saveUnsavedRecoveryKey, unsavedRecoveryKey } from '../core/vault/recovery-key.ts';
import { exitCodeForSignal, type CliStreams } from './command.ts';
import { gateIO, runGateFace } from './gate-face.ts';
import { driveTask, noQuestions } from './task-face.ts';

export interface RunJsonOptions {
  settings: GateSettings;
  options: FixOptions;
  /** Where a new recovery key goes (absolute); null: it stays pending for the user. */
  recoveryKeyFile: string | null;
  /** The credential to store when the walk asks for one (piped in with --api-key-stdin). */
  apiKey: string | null;
}

/** Runs the walk; prints the document on stdout and returns the exit code it names. */
export async function runJson(engine: Engine, io: CliStreams, opts: RunJsonOptions): Promise<number> {
  // Progress, in terok's words, on stderr only.
  const progress = gateIO({ out: (t) => io.err(t), err: (t) => io.err(t), readLine: async () => null });
  const before = await engine.sweep(opts.settings);
  const recorder = new WalkRecorder();
  let keyGiven = false;
  const answer = async (request: UserRequest): Promise<UserAnswer> => {
    recorder.asked(request);
    switch (request.kind) {
      case 'confirm': return { kind: 'confirm', yes: true };
      // Delivered after the walk from the pending copy on disk, so no key travels through here.
      case 'recovery-key': return { kind: 'recovery-key', saved: false };
      case 'credential':
        if (opts.apiKey && !keyGiven) { keyGiven = true; return { kind: 'credential', apiKey: opts.apiKey }; }
        return { kind: 'credential', skip: true };
    }
  };
  const end = await runGateFace(engine, progress, { settings: opts.settings, fix: true, confirm: false, options: opts.options, attendant: { onEvent: (e) => recorder.event(e), answer } });

  const interrupted = end.interrupted ?? (end.state === 'cancelled' ? 'SIGINT' : null);
  const recoveryKey = interrupted ? pendingDelivery(engine, null) : await deliverRecoveryKey(engine, opts.recoveryKeyFile);
  const after = interrupted ? null : await engine.sweep(opts.settings);
  const report: RunReport = runReport({
    before, after, recorder, recoveryKey,
    error: end.state === 'done' ? null : { code: end.failure.code, message: end.failure.message, ...(end.failure.hint ? { hint: end.failure.hint } : {}) },
    interrupted: interrupted ? { signal: interrupted, exitCode: exitCodeForSignal(interrupted) } : null,
  });
  io.out(JSON.stringify(report, null, 2) + '\n');
  return report.exitCode;
}

function pendingDelivery(engine: Engine, why: string | null): RecoveryKeyDelivery | null {
  if (!unsavedRecoveryKey(engine.ctx)) return null;
  return {
    state: 'pending', file: null,
    message: why ?? `A new vault recovery key waits to be collected: re-run with --recovery-key-file PATH, or run \`terok-setup run\` on a terminal (it shows the key once), then confirm with \`${RECOVERY_ACK_COMMAND}\``,
  };
}

/** A pending recovery key (new in this run, or left by an earlier one) written to `file` and marked saved. */
async function deliverRecoveryKey(engine: Engine, file: string | null): Promise<RecoveryKeyDelivery | null> {
  if (!unsavedRecoveryKey(engine.ctx)) return null;
  if (!file) return pendingDelivery(engine, null);
  try {
    const written = saveUnsavedRecoveryKey(engine.ctx, file, { replaceConfirmed: false });
    const ack = await driveTask(engine, ACKNOWLEDGE_STEP, {}, noQuestions(() => {}));
    if (ack.state !== 'done') return { state: 'pending', file: written, message: `The recovery key was written to ${written}, but could not be marked saved: ${ack.failure.message}` };
    return { state: 'written', file: written, message: `The new vault recovery key was written to ${written} (mode 0600); move it off this host to a safe place.` };
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    // Never over another file (replaceConfirmed: false): it may be the escrowed key of this host's previous vault.
    if (err instanceof RecoveryKeySaveError && err.problem === 'exists') {
      return pendingDelivery(engine, `${file} already exists, so the new recovery key was not written there (it may hold an earlier key). Re-run with another --recovery-key-file.`);
    }
    return pendingDelivery(engine, `${err.message} The key stays pending on this host until it is collected.`);
  }
}
