import { parseArgs } from 'node:util';
import type { Engine } from '../../core/engine.ts';
import { detectDistro, installCommand, type InstallableTool } from '../../core/host/distro.ts';
import { which } from '../../core/host/which.ts';
import { PACKAGES_INSTALL_STEP, type PackageInstallResult } from '../../core/packages/install.ts';
import { checkHostTools, missingInstallable } from '../../core/sandbox/prerequisites.ts';
import { TEROK_COMMANDS } from '../../core/sandbox/terok-runtime.ts';
import { createStagePrinter } from '../../core/sandbox/stage-printer.ts';
import { colourEnabled } from '../../core/tasks/stages.ts';
import { EXIT_FAILURE, EXIT_MANUAL_STEP, EXIT_READY, type CliCommand, type CliStreams } from '../command.ts';
import { driveTask, endExitCode, noQuestions } from '../task-face.ts';

/** How long polkit's text agent may wait for the password (the install itself has its own ceiling). */
const AGENT_TIMEOUT_MS = 60 * 60_000;

/** The tools terok needs from the system that are missing here, pipx included while terok itself is missing. */
export function missingPrerequisites(engine: Pick<Engine, 'ctx'>): InstallableTool[] {
  const { ctx } = engine;
  const missing = missingInstallable(checkHostTools(ctx));
  const pipxBin = ctx.env.PIPX_BIN_DIR || `${ctx.home}/.local/bin`;
  const terokMissing = !TEROK_COMMANDS.some((c) => which(ctx, c, [pipxBin]));
  if (terokMissing && !which(ctx, 'pipx')) missing.push('pipx');
  return missing;
}

/**
 * polkit's text agent for this process, so PackageKit can ask for the
 * password on this terminal (the desktop's agent does it in a window).
 * Returns a stop function; a missing pkttyagent is not an error (a desktop
 * agent may still answer).
 */
function startTextAgent(engine: Engine, io: CliStreams): () => void {
  const agent = io.stdinIsTty ? which(engine.ctx, 'pkttyagent', ['/usr/bin']) : null;
  if (!agent) return () => {};
  const stop = new AbortController();
  void engine.ctx.run(agent, ['--process', String(process.pid), '--fallback'], { inheritStdio: true, allowNonZero: true, timeoutMs: AGENT_TIMEOUT_MS, signal: stop.signal }).catch(() => {});
  return () => stop.abort();
}

export const installPrereqsCommand: CliCommand = {
  name: 'install-prereqs',
  summary: 'Install the system packages terok needs (podman, nftables, dnsmasq, dig, pipx …)',
  help: `Usage: terok-setup install-prereqs [--yes]

Find the host tools terok needs that are missing here (podman, git,
ssh-keygen, catatonit, nft, dnsmasq, dig, and pipx while terok itself is not
installed) and install their packages for this distribution through
PackageKit, the system's software service. polkit asks for the password:
here in the terminal (pkttyagent), or in the desktop's own prompt. This
command never reads a password itself. Without PackageKit it runs the
distribution's package manager through pkexec; where neither works, it
prints the command to run as root.

  --yes        Install without asking first
  -h, --help   Show this help

Exit codes: 0 everything is installed, 1 the install failed, 2 usage error,
5 nothing could be installed from here (run the printed command as root),
130 interrupted by Ctrl-C (143 SIGTERM, 129 SIGHUP).`,
  async run(engine, args, io) {
    const { values } = parseArgs({ args, strict: true, options: { yes: { type: 'boolean', short: 'y' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) { io.out(this.help + '\n'); return EXIT_READY; }
    const missing = missingPrerequisites(engine);
    if (!missing.length) {
      io.out('Everything terok needs from the system is installed.\n');
      return EXIT_READY;
    }
    const distro = detectDistro();
    const command = installCommand(distro.family, missing);
    io.out(`Missing on this computer (${distro.name}): ${missing.join(', ')}\n`);
    if (!command) {
      io.err(`terok-setup: ${distro.name} is not a distribution this tool knows the packages of; install ${missing.join(', ')} with its package manager.\n`);
      return EXIT_MANUAL_STEP;
    }
    if (!values.yes) {
      if (!io.stdinIsTty) {
        io.err(`terok-setup: not a terminal, so not asking; re-run with --yes, or run as root:\n  ${command}\n`);
        return EXIT_MANUAL_STEP;
      }
      const answer = (await io.readLine(`Install them now (${command.replace(/^sudo /, '')})? [Y/n] `))?.trim().toLowerCase();
      if (answer === null || answer === undefined || (answer !== '' && answer !== 'y' && answer !== 'yes')) {
        io.out(`Nothing installed. To install them yourself, run as root:\n  ${command}\n`);
        return EXIT_MANUAL_STEP;
      }
    }
    const printer = createStagePrinter(io.out, { progressive: false, colour: colourEnabled(engine.ctx.env, Boolean(process.stdout.isTTY)) });
    const stopAgent = startTextAgent(engine, io);
    const end = await driveTask(engine, PACKAGES_INSTALL_STEP, { tools: missing }, noQuestions((e) => {
      if (e.type === 'stage') printer.stage(e.stage);
      else if (e.type === 'log') printer.log(e.line);
    })).finally(stopAgent);
    if (end.state !== 'done') {
      const { failure } = end;
      if (failure.code === 'install-needs-terminal') {
        io.err(`terok-setup: ${failure.message}\nRun as root:\n  ${command}\n`);
        return end.interrupted ? endExitCode(end)! : EXIT_MANUAL_STEP;
      }
      io.err(`terok-setup: ${failure.message}\n${failure.detail ? `${failure.detail.replace(/^/gm, '  ')}\n` : ''}${failure.hint ? `${failure.hint}\n` : ''}`);
      return endExitCode(end) ?? EXIT_FAILURE;
    }
    const result = end.result as PackageInstallResult;
    io.out(result.installed.length ? `Installed: ${result.installed.join(', ')}.\n` : 'Everything was already installed.\n');
    io.out('Run `terok-setup check` to see where the setup stands.\n');
    return EXIT_READY;
  },
};
