/**
 * The setup-stamp half of "ready": terok's run refuses to start (exit 3, or 4
 * for a downgrade) unless the stamp matches the installed terok, so the CLI
 * reports it after the prerequisite lines, in terok's words.
 */
import type { Engine } from '../../core/engine.ts';
import { isYes, type GateIO } from '../../core/preflight/gate.ts';
import { makeProbeEnv, setupVerdictOf } from '../../core/preflight/sweep.ts';
import type { GateSettings } from '../../core/probes/types.ts';
import type { SetupVerdictReport } from '../../core/sandbox/setup-stamp.ts';
import { EXIT_DOWNGRADE, EXIT_NOT_READY, EXIT_READY } from '../command.ts';

const NUDGES: Record<Exclude<SetupVerdictReport['verdict'], 'ok' | 'stale_after_downgrade'>, string> = {
  first_run: "no setup stamp found — terok-executor hasn't been initialised",
  stale_after_update: 'package versions changed since the last setup — re-run to apply',
  stamp_corrupt: 'setup stamp is unreadable — re-run setup to refresh it',
};

export function stampExitCode(report: SetupVerdictReport): number {
  if (report.verdict === 'ok') return EXIT_READY;
  return report.verdict === 'stale_after_downgrade' ? EXIT_DOWNGRADE : EXIT_NOT_READY;
}

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
  return [`terok-setup: ${NUDGES[report.verdict]}.`, '  Fix:    terok-setup install'];
}

export async function currentStamp(engine: Engine, settings: GateSettings): Promise<SetupVerdictReport> {
  return setupVerdictOf(makeProbeEnv(engine.ctx, settings));
}

/**
 * After the gate: if the stamp is not current, report it; on an interactive
 * run offer to re-run the sandbox setup (which writes the stamp).
 */
export async function stampGate(engine: Engine, settings: GateSettings, io: GateIO, opts: { interactive: boolean; assumeYes: boolean }): Promise<number> {
  let report = await currentStamp(engine, settings);
  const fix = engine.fixes.sandbox;
  if (report.verdict !== 'ok' && report.verdict !== 'stale_after_downgrade' && opts.interactive && fix) {
    io.out(`  setup stamp... ${report.message}`);
    const prompt = '  Run the sandbox setup now? [Y/n] ';
    const yes = opts.assumeYes ? (io.out(`${prompt}y`), true) : isYes(await io.ask(prompt));
    if (yes && (await fix(settings, io).catch(() => false))) report = await currentStamp(engine, settings);
  }
  for (const line of stampLines(report)) io.err(line);
  return stampExitCode(report);
}
