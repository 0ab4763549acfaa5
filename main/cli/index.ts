/**
 * `terok-setup` — the headless face of the engine, for scripts and admins.
 * Same probes, same verdict, same exit codes as terok: 0 ready, 3 not ready,
 * 2 usage error.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { Engine, APP_VERSION } from '../core/engine.ts';
import { hostContextFromProcess } from '../core/host/context.ts';
import { hostWarnings } from '../core/steps/readiness.ts';
import { registerSetupModules } from '../core/modules.ts';
import { failureOf } from '../core/errors.ts';
import { EXIT_FAILURE, EXIT_READY, EXIT_USAGE, UsageError, type CliStreams } from './command.ts';
import { COMMANDS } from './commands/index.ts';

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `Usage: terok-setup <command> [options]

Prepare this workstation for terok, without the desktop window.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`).join('\n')}

Options:
  -h, --help     Show help (also: terok-setup <command> --help)
  --version      Print the version

Exit codes: 0 ready, 1 failure, 2 usage error, 3 not ready.`;
}

/** Commands whose own output is the roster and its problems. */
const ROSTER_REPORTERS = new Set(['routes', 'agents']);

export function createCliEngine(): Engine {
  const engine = new Engine(hostContextFromProcess());
  registerSetupModules(engine);
  return engine;
}

export async function main(argv: string[], io: CliStreams, engine: Engine = createCliEngine()): Promise<number> {
  const [name, ...rest] = argv;
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (name === '--version' || name === '-V') { io.out(`terok-setup ${APP_VERSION}\n`); return EXIT_READY; }
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      (name === undefined ? io.err : io.out)(mainHelp() + '\n');
      return name === undefined ? EXIT_USAGE : EXIT_READY;
    }
    if (!command) throw new UsageError(`unknown command '${name}'`);
    // A file of the user's that is ignored changes what every command does: say so first
    // (routes and agents report the roster in full themselves).
    if (!rest.includes('--help') && !rest.includes('-h')) {
      for (const w of hostWarnings(engine.ctx, { roster: !ROSTER_REPORTERS.has(command.name) })) io.err(`terok-setup: warning: ${w}\n`);
    }
    return await command.run(engine, rest, io);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`terok-setup: ${(err as Error).message}\nTry 'terok-setup ${command ? command.name + ' ' : ''}--help'.\n`);
      return EXIT_USAGE;
    }
    // Anything else: the same failure a task or the wizard would show, never a stack trace.
    const failure = failureOf(err);
    io.err(`terok-setup: ${failure.message}\n${failure.hint ? `${failure.hint}\n` : ''}`);
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
      }),
    readSecret: (prompt) =>
      new Promise((resolve) => {
        // The prompt is written once; what is typed after it is not echoed.
        process.stdout.write(prompt);
        const muted = new Writable({ write: (_chunk, _enc, done) => done() });
        const rl = createInterface({ input: process.stdin, output: muted, terminal: Boolean(process.stdin.isTTY) });
        let answered = false;
        rl.question('', (answer) => { answered = true; rl.close(); process.stdout.write('\n'); resolve(answer); });
        rl.on('close', () => { if (!answered) { process.stdout.write('\n'); resolve(null); } });
      }),
    readAll: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

// Compare URLs, not strings: the packaged path ("/opt/Terok Setup/…") has a space that a URL encodes.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2), processStreams()).then((code) => { process.exitCode = code; });
}
