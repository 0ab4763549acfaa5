/**
 * OAuth from the desktop wizard, which has no terminal of its own: open the
 * user's terminal emulator running our CLI (`terok-setup auth <agent> --oauth
 * --credential-set S`), which runs the login container in the foreground
 * there. The wizard re-probes when its window regains focus, so the stored
 * login shows up when the user comes back.
 *
 * Everything is an argument array: the terminal's "run this" flag followed by
 * the command words, never a shell string.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { HostContext } from '../host/context.ts';
import { which } from '../host/which.ts';
import { shellQuote } from '../images/podman.ts';
import { SetupError } from '../errors.ts';

/** Terminals we know, in the order we try them, with the flag that precedes the command. */
export const TERMINALS: readonly { name: string; flag: readonly string[] }[] = [
  { name: 'x-terminal-emulator', flag: ['-e'] }, // Debian/Ubuntu alternative: the user's chosen terminal
  { name: 'gnome-terminal', flag: ['--'] },
  { name: 'konsole', flag: ['-e'] },
  { name: 'xfce4-terminal', flag: ['-x'] },
  { name: 'kitty', flag: [] },
  { name: 'alacritty', flag: ['-e'] },
  { name: 'xterm', flag: ['-e'] },
];

export interface FoundTerminal {
  name: string;
  path: string;
  /** Arguments before the command words. */
  flag: readonly string[];
}

export function findTerminal(ctx: Pick<HostContext, 'env'>): FoundTerminal | null {
  for (const t of TERMINALS) {
    const found = which(ctx, t.name);
    if (found) return { name: t.name, path: found, flag: t.flag };
  }
  return null;
}

export interface CliRuntime {
  /** The running executable (node, or the app's Electron binary). */
  execPath: string;
  /** Running inside Electron (process.versions.electron is set). */
  electron: boolean;
  /** Electron started from an installed app (not `electron <dir>` in development). */
  packaged: boolean;
  /** Directory holding the app's package.json: the repository in development, `resources/app.asar` when packaged. */
  appRoot: string;
  /** Where deb/rpm packages put the command (a path without spaces, unlike /opt/Terok Setup). */
  systemLauncher?: string;
}

export const SYSTEM_LAUNCHER = '/usr/bin/terok-setup';

/** The directory with our package.json above this module (works from source and from the bundled out/main). */
function findAppRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(start, '..', '..', '..');
    dir = up;
  }
}

export function currentRuntime(): CliRuntime {
  const electron = typeof process.versions.electron === 'string';
  return { execPath: process.execPath, electron, packaged: electron && !(process as { defaultApp?: boolean }).defaultApp, appRoot: findAppRoot(import.meta.dirname) };
}

/** What build/linux/terok-setup passes the app binary for CLI mode (main/electron/cli-mode.ts). */
export const ELECTRON_CLI_SWITCHES = ['--ozone-platform=headless', '--disable-gpu', '--no-sandbox', '--password-store=basic', '--terok-cli', '--'] as const;

/**
 * How to start our own CLI, as argument words (the CLI's arguments follow).
 *
 * - Plain Node (development, `npm run cli`, tests): this Node runs the
 *   TypeScript entry `main/cli/index.ts` directly (Node ≥ 22 strips types);
 *   from a build without sources it runs the bundled `out/main/cli.js`.
 * - Packaged app: the `terok-setup` launcher installed next to the app
 *   binary (build/linux/terok-setup); without it, the app binary itself in
 *   CLI mode with the launcher's switches. The binary's RunAsNode fuse is
 *   off, so it cannot run out/main/cli.js as a plain node — CLI mode runs
 *   that same code in the main process.
 * - Electron in development (`electron <dir>`): the same CLI mode, with the
 *   app directory as Electron's first argument.
 */
export function cliInvocation(rt: CliRuntime = currentRuntime()): string[] {
  if (rt.electron) {
    if (rt.packaged) {
      // Preferred: some terminals (x-terminal-emulator wrappers) re-split `-e` on spaces.
      const system = rt.systemLauncher ?? SYSTEM_LAUNCHER;
      if (existsSync(system)) return [system];
      const launcher = path.join(path.dirname(rt.execPath), 'terok-setup');
      if (launcher !== rt.execPath && existsSync(launcher)) return [launcher];
      return [rt.execPath, ...ELECTRON_CLI_SWITCHES];
    }
    return [rt.execPath, rt.appRoot, ...ELECTRON_CLI_SWITCHES];
  }
  const source = path.join(rt.appRoot, 'main', 'cli', 'index.ts');
  return [rt.execPath, existsSync(source) ? source : path.join(rt.appRoot, 'out', 'main', 'cli.js')];
}

/** The CLI arguments of one OAuth login (after the program): the one place they are composed. */
export function oauthCliArgs(agent: string, credentialSet: string, opts: { keepOpen?: boolean } = {}): string[] {
  return ['auth', agent, '--oauth', '--credential-set', credentialSet, ...(opts.keepOpen ? ['--keep-open'] : [])];
}

/** The CLI words for one OAuth login; `keepOpen` waits for Enter at the end so the window does not vanish. */
export function oauthCliCommand(agent: string, credentialSet: string, opts: { keepOpen?: boolean; rt?: CliRuntime } = {}): string[] {
  return [...cliInvocation(opts.rt), ...oauthCliArgs(agent, credentialSet, opts)];
}

/**
 * The sign-in command a person types, for how this app is installed:
 * `terok-setup …` when the deb/rpm command is on PATH, the launcher beside
 * the app binary (tar.gz, AppImage) by its path, `npm run cli -- …` in a
 * development checkout — never the internal words (`node main/cli/index.ts`,
 * Electron's CLI-mode switches) the app itself starts.
 */
export function oauthManualCommand(agent: string, credentialSet: string, rt: CliRuntime = currentRuntime()): string {
  const args = oauthCliArgs(agent, credentialSet);
  const words = cliInvocation(rt);
  if (rt.electron && rt.packaged) {
    const system = rt.systemLauncher ?? SYSTEM_LAUNCHER;
    if (words.length === 1) return shellQuote([words[0] === system ? 'terok-setup' : words[0]!, ...args]);
    // No launcher anywhere: the app binary's own CLI mode is the only way in.
    return shellQuote([...words, ...args]);
  }
  if (existsSync(path.join(rt.appRoot, 'main', 'cli', 'index.ts'))) return `npm run cli -- ${shellQuote(args)}`;
  return shellQuote([...words, ...args]);
}

export class NoTerminalError extends SetupError {
  /** The command to run by hand, shell-quoted. */
  readonly manualCommand: string;

  constructor(manualCommand: string) {
    super('no-terminal', `No terminal emulator found (looked for ${TERMINALS.map((t) => t.name).join(', ')} on PATH). Open a terminal yourself and run:\n${manualCommand}`, { detail: manualCommand });
    this.manualCommand = manualCommand;
  }
}

export class TerminalStartError extends SetupError {
  constructor(message: string, manualCommand: string) {
    super('terminal-failed', message, { detail: manualCommand });
  }
}

export interface OpenedTerminal {
  /** Terminal name (e.g. gnome-terminal). */
  terminal: string;
  /** Argument words started inside it. */
  command: string[];
}

/** How long the terminal gets to start (spawn, not the login). */
export const TERMINAL_START_TIMEOUT_MS = 10_000;

/**
 * Start `command` in a new terminal window, detached (it outlives this
 * process and its task), and return once the terminal process has started.
 */
export async function openInTerminal(ctx: Pick<HostContext, 'env'>, command: string[], manualCommand: string = shellQuote(command)): Promise<OpenedTerminal> {
  const term = findTerminal(ctx);
  if (!term) throw new NoTerminalError(manualCommand);
  const child = spawn(term.path, [...term.flag, ...command], { detached: true, stdio: 'ignore', env: { ...ctx.env } as NodeJS.ProcessEnv });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TerminalStartError(`${term.name} did not start within ${TERMINAL_START_TIMEOUT_MS / 1000} s; run this in a terminal yourself:\n${manualCommand}`, manualCommand)), TERMINAL_START_TIMEOUT_MS);
    child.once('spawn', () => { clearTimeout(timer); resolve(); });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new TerminalStartError(`could not start ${term.path}: ${err.message}; run this in a terminal yourself:\n${manualCommand}`, manualCommand));
    });
  });
  child.unref();
  return { terminal: term.name, command };
}
