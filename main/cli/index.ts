/**
 * `terok-setup` — the headless face of the engine, for scripts and admins.
 * Same probes, same verdict, same exit codes as terok: 0 ready, 3 not ready,
 * 2 usage error.
 */
import { createInterface } from 'node:readline';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Engine, APP_VERSION } from '../core/engine.ts';
import { hostContextFromProcess } from '../core/host/context.ts';
import { runGate, type GateIO } from '../core/preflight/gate.ts';
import type { GateSettings } from '../core/probes/types.ts';
import { KNOWN_ENTRIES } from '../core/roster/auth-map.ts';

export const EXIT_READY = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_NOT_READY = 3;

export interface CliStreams {
  out(text: string): void;
  err(text: string): void;
  stdinIsTty: boolean;
  /** Reads one line; null on EOF. */
  readLine(prompt: string): Promise<string | null>;
}

class UsageError extends Error {}

const SETTINGS_OPTIONS = {
  provider: { type: 'string' },
  base: { type: 'string' },
  family: { type: 'string' },
  'credential-set': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const HELP: Record<string, string> = {
  main: `Usage: terok-setup <command> [options]

Prepare this workstation for terok, without the desktop window.

Commands:
  check    Report every prerequisite and the readiness verdict
  run      Run the readiness gate, offering each available fix

Options:
  -h, --help     Show help for a command
  --version      Print the version

Exit codes: 0 ready, 3 not ready, 2 usage error.`,
  check: `Usage: terok-setup check [--json] [--provider AGENT] [--base IMAGE] [--family deb|rpm] [--credential-set SET]

Report podman, git, sandbox services, container images, SSH key and
credentials, in terok's order. Changes nothing.

  --json                 Print the full report as JSON
  --provider AGENT       Agent to prepare (default: claude)
  --base IMAGE           Base image (default: config image.base_image, else ubuntu:24.04)
  --family deb|rpm       Package family override
  --credential-set SET   Credential set to check (default: default)

Exit codes: 0 ready, 3 not ready, 2 usage error.`,
  run: `Usage: terok-setup run [--yes] [--non-interactive] [--provider AGENT] [--base IMAGE] [--family deb|rpm] [--credential-set SET]

Run the readiness gate. On a terminal each missing prerequisite that can be
fixed is offered with a [Y/n] question.

  --yes                  Accept every offer without asking
  --non-interactive      Report each missing item once; fix nothing

Exit codes: 0 ready, 3 not ready, 2 usage error.`,
};

function settingsFrom(engine: Engine, values: Record<string, string | boolean | undefined>): GateSettings {
  const defaults = engine.defaultSettings();
  const provider = (values.provider as string | undefined) ?? defaults.provider;
  if (!KNOWN_ENTRIES.includes(provider)) {
    throw new UsageError(`Unknown agent '${provider}'. Available: ${[...KNOWN_ENTRIES].sort().join(', ')}`);
  }
  const family = values.family as string | undefined;
  if (family !== undefined && family !== 'deb' && family !== 'rpm') {
    throw new UsageError(`family must be 'deb' or 'rpm', got '${family}'`);
  }
  const base = (values.base as string | undefined)?.trim();
  if (base !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._\/:@-]*$/.test(base)) {
    throw new UsageError(`'${values.base}' is not a valid image reference (example: ubuntu:24.04)`);
  }
  const credentialSet = (values['credential-set'] as string | undefined) ?? defaults.credentialSet;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(credentialSet)) throw new UsageError(`'${credentialSet}' is not a valid credential set name`);
  return { ...defaults, provider, baseImage: base || defaults.baseImage, family: family ?? defaults.family, credentialSet };
}

function gateIO(io: CliStreams): GateIO {
  return { out: (l) => io.out(l + '\n'), err: (l) => io.err(l + '\n'), ask: (p) => io.readLine(p) };
}

async function check(engine: Engine, args: string[], io: CliStreams): Promise<number> {
  const { values } = parseArgs({ args, options: { ...SETTINGS_OPTIONS, json: { type: 'boolean' } }, strict: true });
  if (values.help) { io.out(HELP.check + '\n'); return EXIT_READY; }
  const settings = settingsFrom(engine, values);
  if (values.json) {
    const report = await engine.sweep(settings);
    io.out(JSON.stringify(report, null, 2) + '\n');
    return report.verdict.ready ? EXIT_READY : EXIT_NOT_READY;
  }
  const result = await runGate(engine.ctx, settings, { interactive: false, assumeYes: false }, gateIO(io), {});
  io.out(result.ready ? 'Ready: terok can start an agent.\n' : 'Not ready: run `terok-setup run` or the Terok Setup app to fix the items above.\n');
  return result.ready ? EXIT_READY : EXIT_NOT_READY;
}

async function run(engine: Engine, args: string[], io: CliStreams): Promise<number> {
  const { values } = parseArgs({ args, options: { ...SETTINGS_OPTIONS, yes: { type: 'boolean', short: 'y' }, 'non-interactive': { type: 'boolean' } }, strict: true });
  if (values.help) { io.out(HELP.run + '\n'); return EXIT_READY; }
  const settings = settingsFrom(engine, values);
  const interactive = !values['non-interactive'];
  if (interactive && !values.yes && !io.stdinIsTty) {
    io.err('terok-setup: prerequisites unchecked (stdin is not a tty).\n');
    io.err('  Run:   terok-setup run --yes\n');
    io.err('  Or:    terok-setup run --non-interactive\n');
    return EXIT_NOT_READY;
  }
  const result = await runGate(engine.ctx, settings, { interactive, assumeYes: Boolean(values.yes) }, gateIO(io), engine.fixes);
  return result.ready ? EXIT_READY : EXIT_NOT_READY;
}

export async function main(argv: string[], io: CliStreams, engine = new Engine(hostContextFromProcess())): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === '--version' || command === '-V') { io.out(`terok-setup ${APP_VERSION}\n`); return EXIT_READY; }
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') { io.out(HELP.main + '\n'); return command === undefined ? EXIT_USAGE : EXIT_READY; }
    if (command === 'check') return await check(engine, rest, io);
    if (command === 'run') return await run(engine, rest, io);
    throw new UsageError(`unknown command '${command}'`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`terok-setup: ${(err as Error).message}\nTry 'terok-setup ${command && HELP[command] ? command + ' ' : ''}--help'.\n`);
      return EXIT_USAGE;
    }
    io.err(`terok-setup: ${(err as Error).message}\n`);
    return EXIT_FAILURE;
  } finally {
    engine.dispose();
  }
}

export function processStreams(): CliStreams {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    stdinIsTty: Boolean(process.stdin.isTTY),
    readLine: (prompt) =>
      new Promise((resolve) => {
        const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: Boolean(process.stdin.isTTY) });
        let answered = false;
        rl.question(prompt, (answer) => { answered = true; rl.close(); resolve(answer); });
        rl.on('close', () => { if (!answered) { process.stdout.write('\n'); resolve(null); } });
        rl.on('SIGINT', () => rl.close());
      }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2), processStreams()).then((code) => { process.exitCode = code; });
}
