/**
 * terok's `Preflight.run()` readiness gate, with its exact output and rules:
 * podman failing stops everything; only podman, sandbox services and images
 * count against readiness; optional items print their consequence; an
 * interactive run offers each fix ([Y/n], default yes; assume-yes answers
 * without reading input); a non-interactive run reports each missing item
 * once and fixes nothing.
 *
 * Probes start concurrently up front; results are consumed in terok's order.
 * Once a fix has run, later steps are probed afresh (the fix may have changed
 * what they see — e.g. the sandbox install creates the vault passphrase).
 */
import type { HostContext } from '../host/context.ts';
import { shieldHealthOf } from '../probes/sandbox.ts';
import type { CheckResult, GateSettings, ProbeOutcome } from '../probes/types.ts';
import { authenticatableNames } from '../roster/auth-map.ts';
import { STEPS, countsAgainstReadiness, type StepId } from './steps.ts';
import { launchProbes, makeProbeEnv } from './sweep.ts';

export const CHECK_NAME_WIDTH = 22;

export function formatStepLine(r: CheckResult): string {
  return `  ${r.name.padEnd(CHECK_NAME_WIDTH)} ${r.ok ? 'ok' : 'FAIL'} (${r.message})`;
}

export interface GateIO {
  out(line: string): void;
  err(line: string): void;
  /** Ask a [Y/n] question; only called when interactive and not assume-yes. */
  ask(prompt: string): Promise<string | null>;
}

/** A fix returns true when it believes it succeeded (then the step is re-probed). */
export type StepFix = (settings: GateSettings, io: GateIO, signal?: AbortSignal) => Promise<boolean>;
export type FixTable = Partial<Record<StepId, StepFix>>;

export interface GateOptions {
  interactive: boolean;
  assumeYes: boolean;
  signal?: AbortSignal;
}

export interface GateResult {
  ready: boolean;
  results: Partial<Record<StepId, CheckResult>>;
}

/** `[Y/n]`: empty, y or yes (any case, trimmed) is yes; anything else, EOF included, is no. */
export function isYes(answer: string | null): boolean {
  if (answer === null) return false;
  return ['', 'y', 'yes'].includes(answer.trim().toLowerCase());
}

export async function runGate(ctx: HostContext, settings: GateSettings, opts: GateOptions, io: GateIO, fixes: FixTable): Promise<GateResult> {
  const sweep = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, sweep.signal]) : sweep.signal;
  let env = makeProbeEnv(ctx, settings, signal);
  let pending = launchProbes(env);
  const results: GateResult['results'] = {};
  let allReady = true;

  const confirm = async (prompt: string): Promise<boolean> => {
    if (opts.assumeYes) {
      io.out(`  ${prompt} [Y/n] y`);
      return true;
    }
    return isYes(await io.ask(`  ${prompt} [Y/n] `));
  };

  io.out('');
  try {
    for (const spec of STEPS) {
      let outcome: ProbeOutcome = await pending.get(spec.id)!;
      const fix = fixes[spec.id];
      if (!outcome.result.ok && opts.interactive && spec.offer && fix) {
        io.out(`  ${outcome.result.name}... ${outcome.result.message}`);
        if (await confirm(spec.offer(settings))) {
          let fixed = false;
          try {
            fixed = await fix(settings, io, signal);
          } catch (err) {
            io.err(`  ${spec.title.toLowerCase()} fix failed: ${(err as Error).message}`);
          }
          if (fixed) {
            // Fresh probes for this and every later step.
            env = makeProbeEnv(ctx, settings, signal);
            pending = launchProbes(env, STEPS.slice(STEPS.indexOf(spec)));
            outcome = await pending.get(spec.id)!;
          }
        }
      }
      results[spec.id] = outcome.result;
      io.out(formatStepLine(outcome.result));
      if (!outcome.result.ok) {
        const { stream, lines } = spec.unmet(settings);
        for (const l of lines) (stream === 'stderr' ? io.err : io.out)(l);
        if (spec.kind === 'hard') return { ready: false, results };
        if (countsAgainstReadiness(spec.kind)) allReady = false;
      }
    }

    const shield = await shieldHealthOf(env).catch(() => null);
    if (shield?.health === 'bypass') {
      io.out('');
      io.out('  Note: shield is in bypass mode — containers have unrestricted network');
    }

    if (allReady && opts.interactive) {
      // Only names `auth` accepts (terok's list also offers copilot/opencode/pi, which it then rejects).
      const others = authenticatableNames(env.paths).filter((n) => n !== settings.provider).sort();
      if (others.length) {
        io.out('');
        io.out('  Hint: authenticate additional tools with: terok-executor auth <name>');
        io.out(`        Available: ${others.join(', ')}`);
      }
    }
    io.out('');
    return { ready: allReady, results };
  } finally {
    sweep.abort();
  }
}
