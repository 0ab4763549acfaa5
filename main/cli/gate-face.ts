/**
 * terok's readiness gate on the terminal: the fix-all task's events printed
 * as terok prints its preflight — step lines padded to 22, `[Y/n]` offers,
 * the fixes' own lines, consequences of unmet steps, the setup-stamp lines.
 */
import type { Engine } from '../core/engine.ts';
import { RECOVERY_ACK_COMMAND } from '../core/vault/provisioning.ts';
import type { SetupVerdictReport } from '../core/sandbox/setup-stamp.ts';
import { createStagePrinter, type StagePrinter } from '../core/sandbox/stage-printer.ts';
import { ACKNOWLEDGE_STEP, FIX_ALL_STEP, FIX_STEP, type FixAllResult, type FixOneResult } from '../core/steps/fix-all.ts';
import type { CheckLine } from '../core/tasks/setup-events.ts';
import { stepOf, type StepId } from '../core/steps/registry.ts';
import type { GateSettings } from '../core/settings.ts';
import type { TaskEvent, UserAnswer, UserRequest } from '../core/tasks/task-manager.ts';
import type { FixOptions, TerokFixLines } from '../core/steps/descriptor.ts';
import type { HostContext } from '../core/host/context.ts';
import { unsavedRecoveryKey } from '../core/vault/recovery-key.ts';
import { driveTask, noQuestions, type TaskEnd, type TaskFace } from './task-face.ts';

export const CHECK_NAME_WIDTH = 22;

export function formatStepLine(r: CheckLine): string {
  return `  ${r.name.padEnd(CHECK_NAME_WIDTH)} ${r.ok ? 'ok' : 'FAIL'} (${r.message})`;
}

/** `[Y/n]`: empty, y or yes (any case, trimmed) is yes; anything else, EOF included, is no. */
export function isYes(answer: string | null): boolean {
  if (answer === null) return false;
  return ['', 'y', 'yes'].includes(answer.trim().toLowerCase());
}

/** Line-oriented terminal I/O (no trailing newlines in the strings). */
export interface GateIO {
  out(line: string): void;
  err(line: string): void;
  /** Ask one question; null on EOF. */
  ask(prompt: string): Promise<string | null>;
}

const NUDGES: Record<Exclude<SetupVerdictReport['verdict'], 'ok' | 'stale_after_downgrade'>, string> = {
  first_run: "no setup stamp found — terok-executor hasn't been initialised",
  stale_after_update: 'package versions changed since the last setup — re-run to apply',
  stamp_corrupt: 'setup stamp is unreadable — re-run setup to refresh it',
};

/** terok's stamp-gate lines for a verdict other than ok. */
export function stampLines(report: SetupVerdictReport): string[] {
  if (report.verdict === 'ok') return [];
  if (report.verdict === 'stale_after_downgrade') {
    const list = report.offenders.length ? report.offenders.join(', ') : 'one or more packages';
    return [
      `terok-setup: refusing to continue — downgrade detected (${list}).`,
      '  The setup on this machine was made by a newer terok. Reinstall that version,',
      '  or, if the downgrade is intended, remove the stamp and run setup again:',
      `    rm ${report.stampPath}`,
    ];
  }
  // terok's two lines, then (beyond terok) why an unreadable stamp is unreadable.
  const why = report.verdict === 'stamp_corrupt' ? [`  Why:    ${report.message}`] : [];
  return [`terok-setup: ${NUDGES[report.verdict]}.`, '  Fix:    terok-setup install', ...why];
}

export function recoveryKeyLines(passphrase: string): string[] {
  return [
    '',
    `Vault passphrase: ${passphrase}`,
    "  Write this down — it's your recovery key for rebuilds and other hosts.",
    `  Once saved, confirm it: ${RECOVERY_ACK_COMMAND}`,
  ];
}

/**
 * Shows a recovery key the user has not confirmed saving, at most once per
 * run: as soon as it exists (the credentials stage ended) and again at the
 * end if it is still pending — the pending copy is read from disk, so no
 * secret travels in task events. `confirm` asks for terok's SAVED on a terminal.
 */
export class RecoveryKeyNotice {
  private readonly printed = new Set<string>();
  private readonly ctx: HostContext;
  private readonly out: (line: string) => void;

  constructor(ctx: HostContext, out: (line: string) => void) {
    this.ctx = ctx;
    this.out = out;
  }

  get shown(): boolean {
    return this.printed.size > 0;
  }

  show(key: string | null): void {
    if (!key || this.printed.has(key)) return;
    this.printed.add(key);
    for (const l of recoveryKeyLines(key)) this.out(l);
  }

  showPending(): void {
    this.show(unsavedRecoveryKey(this.ctx));
  }

  /** terok's confirmation: exactly SAVED writes the marker (and drops the pending copy). */
  async confirm(engine: Engine, io: { stdinIsTty: boolean; readLine(prompt: string): Promise<string | null> }): Promise<void> {
    if (!this.shown || !io.stdinIsTty || !unsavedRecoveryKey(this.ctx)) return;
    const answer = await io.readLine('Type SAVED to confirm you have stored the recovery key elsewhere: ');
    if (answer?.trim() === 'SAVED') {
      const end = await driveTask(engine, ACKNOWLEDGE_STEP, {}, noQuestions(() => {}));
      if (end.state === 'done') { this.out('  recovery key marked as saved.'); return; }
    }
    this.out(`  recovery key NOT confirmed — it is shown again on the next install; once saved, run ${RECOVERY_ACK_COMMAND}`);
  }
}

/** Prints one fix's sub-task events the way terok's fix prints them. */
class FixPrinter {
  private readonly stages: StagePrinter | null;
  private readonly io: GateIO;
  private readonly lines: TerokFixLines;

  constructor(io: GateIO, lines: TerokFixLines) {
    this.io = io;
    this.lines = lines;
    this.stages = lines.stages ? createStagePrinter((t) => io.out(t.replace(/\n$/, '')), { progressive: false, colour: false }) : null;
  }

  event(e: TaskEvent): void {
    if (e.type === 'stage' && this.stages) this.stages.stage(e.stage);
    else if (e.type === 'log') {
      const line = (this.lines.logIndent ?? '') + e.line;
      if (this.stages) this.stages.log(line);
      else (e.stream === 'stderr' ? this.io.err : this.io.out)(line);
    }
  }
}

export interface GateRun {
  settings: GateSettings;
  fix: boolean;
  confirm: boolean;
  options?: FixOptions;
  /**
   * An unattended face (`run --json`): it answers the walk's questions itself
   * and sees every event; no recovery key is ever printed.
   */
  attendant?: TaskFace;
}

/** Run the fix-all task and print it as terok's gate. */
export async function runGateFace(engine: Engine, io: GateIO, run: GateRun): Promise<TaskEnd & { gate?: FixAllResult }> {
  io.out('');
  const end = await printSetupTask(engine, io, FIX_ALL_STEP, { settings: run.settings, fix: run.fix, confirm: run.confirm, ...run.options }, run.settings, false, run.attendant);
  return end.state === 'done' ? { ...end, gate: end.result as FixAllResult } : end;
}

/**
 * One step's fix (`setup.fix`) with only the lines terok's fix itself prints
 * inside the gate — what scripts and tests of a single fix look at.
 */
export async function runFixFace(engine: Engine, io: GateIO, step: StepId, settings: GateSettings, options: FixOptions = {}): Promise<TaskEnd & { fix?: FixOneResult }> {
  const end = await printSetupTask(engine, io, FIX_STEP, { step, settings, fix: true, confirm: false, ...options }, settings, true);
  return end.state === 'done' ? { ...end, fix: end.result as FixOneResult } : end;
}

async function printSetupTask(engine: Engine, io: GateIO, task: string, params: Record<string, unknown>, settings: GateSettings, fixLinesOnly: boolean, attendant?: TaskFace): Promise<TaskEnd> {
  const passphrases = new Map<string, string>();
  const notice = new RecoveryKeyNotice(engine.ctx, io.out);
  let printer: FixPrinter | null = null;

  const onSetup = (e: Extract<TaskEvent, { type: 'setup' }>['event']) => {
    const step = 'id' in e ? stepOf(e.id as StepId) : null;
    // Wizard-only steps never print: terok's transcript stays byte-exact.
    if (step && step.gate !== 'terok-preflight') return;
    if (fixLinesOnly && ['offer', 'checked', 'preflight-done', 'stamp'].includes(e.kind)) return;
    switch (e.kind) {
      case 'refused': for (const l of stampLines(e.setup)) io.err(l); break;
      case 'offer':
        io.out(`  ${e.subject.name}... ${e.subject.message}`);
        if (e.assumed) io.out(`  ${e.offer} [Y/n] y`);
        break;
      case 'unfixable': for (const l of e.lines) io.err(l); break;
      case 'fix-start':
        printer = new FixPrinter(io, step!.fix!.terok);
        for (const l of step!.fix!.terok.before ?? []) io.out(l);
        break;
      case 'fix-end':
        printer = null;
        if (e.ok) for (const l of step!.fix!.terok.after ?? []) io.out(l);
        else for (const l of e.lines) io.err(l);
        break;
      case 'checked': {
        io.out(formatStepLine(e.result));
        if (e.result.ok) break;
        const { stream, lines } = step!.unmet(settings);
        for (const l of lines) (stream === 'stderr' ? io.err : io.out)(l);
        break;
      }
      case 'preflight-done':
        if (e.bypass) { io.out(''); io.out('  Note: shield is in bypass mode — containers have unrestricted network'); }
        if (e.authHint.length) {
          io.out('');
          io.out('  Hint: authenticate additional tools with: terok-executor auth <name>');
          io.out(`        Available: ${e.authHint.join(', ')}`);
        }
        io.out('');
        break;
      case 'stamp': for (const l of stampLines(e.setup)) io.err(l); break;
      default: break;
    }
  };

  const answer = async (request: UserRequest): Promise<UserAnswer> => {
    switch (request.kind) {
      case 'confirm': return { kind: 'confirm', yes: isYes(await io.ask(`  ${request.prompt} [Y/n] `)) };
      case 'recovery-key': {
        // Shown once, here; confirming is the user's own step afterwards.
        notice.show(passphrases.get(request.taskId) ?? null);
        passphrases.delete(request.taskId);
        return { kind: 'recovery-key', saved: false };
      }
      case 'credential': {
        if (request.hint) io.out(`  ${request.hint}`);
        io.out(`  (The key is shown while you type; to avoid that use: terok-setup auth ${request.agent} --api-key-stdin)`);
        const key = await io.ask(`  ${request.label} API key: `);
        if (key === null) {
          io.err('  API key entry cancelled.');
          return { kind: 'credential', skip: true };
        }
        return { kind: 'credential', apiKey: key };
      }
    }
  };

  const end = await driveTask(engine, task, params, {
    onEvent: (e) => {
      attendant?.onEvent(e);
      if (e.type === 'setup') onSetup(e.event);
      else if (e.parentId) {
        if (e.type === 'done' && !attendant) {
          const key = (e.result as { generatedPassphrase?: unknown } | null)?.generatedPassphrase;
          if (typeof key === 'string' && key) passphrases.set(e.taskId, key);
        }
        printer?.event(e);
      }
    },
    answer: attendant?.answer ?? answer,
  });
  // A key not yet saved is shown again by every run that may fix things, and by any walk that ended early.
  if (!attendant && (params.fix === true || end.state !== 'done' || end.interrupted)) notice.showPending();
  return end;
}

export function gateIO(io: { out(t: string): void; err(t: string): void; readLine(prompt: string): Promise<string | null> }): GateIO {
  return { out: (l) => io.out(l + '\n'), err: (l) => io.err(l + '\n'), ask: (p) => io.readLine(p) };
}
