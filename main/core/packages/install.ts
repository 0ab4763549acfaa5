/**
 * Installing the distribution packages a host tool comes in, without a
 * terminal. Three routes, tried in this order:
 *
 *   packagekit — the desktop's software service over D-Bus; polkit shows the
 *                system's own password prompt (see packagekit.ts)
 *   pkexec     — where PackageKit is absent: the distribution's package
 *                manager run through pkexec, which also prompts graphically
 *                (or in the terminal it was started from)
 *   command    — neither works here: the exact command to run, to copy
 *
 * A refusal (not authorized) is final: asking again through another route
 * would be a second password prompt for an answer the user already gave.
 */
import type { HostContext } from '../host/context.ts';
import { detectDistro, INSTALLABLE_TOOLS, installCommand, packageNames, rootInstallArgv, type DistroFamily, type InstallableTool } from '../host/distro.ts';
import { CommandError } from '../host/process.ts';
import { findOnPath, which } from '../host/which.ts';
import { CancelledError } from '../errors.ts';
import { TaskError, type TaskContext } from '../tasks/task-manager.ts';
import { parseWith, taskParams, v } from '../validate.ts';
import { INFO, PackageKitClient, PackageKitError, parsePackageId, STATUS_WAITING_FOR_AUTH, SYSTEM_BUS_DEFAULT, type PackageKitProgress } from './packagekit.ts';

export const PACKAGES_INSTALL_STEP = 'packages.install';

const PACKAGES_INSTALL_PARAMS = taskParams({
  tools: v.pipe(
    v.array(v.picklist(INSTALLABLE_TOOLS, `tools must be some of: ${INSTALLABLE_TOOLS.join(', ')}`), 'tools must be a list of tool names'),
    v.minLength(1, 'tools must name at least one tool'),
    v.maxLength(INSTALLABLE_TOOLS.length, `tools names at most ${INSTALLABLE_TOOLS.length} tools`),
  ),
});

export type InstallRoute = 'packagekit' | 'pkexec';

export interface PackageInstallResult {
  route: InstallRoute;
  /** The distribution packages asked for. */
  packages: string[];
  /** Those that were not installed before (empty: everything was already there). */
  installed: string[];
  /** The same install as a terminal command (for the log and the CLI). */
  command: string;
}

/** The system bus this process talks to (a test points it at a private one). */
const systemBusAddress = (ctx: Pick<HostContext, 'env'>): string => ctx.env.DBUS_SYSTEM_BUS_ADDRESS || SYSTEM_BUS_DEFAULT;

/** Where pkexec can show its prompt: a graphical session has an agent, a terminal gets pkexec's own. */
export function pkexecCanPrompt(ctx: Pick<HostContext, 'env'>, stdinIsTty: boolean): boolean {
  return graphicalSession(ctx) || stdinIsTty;
}

const graphicalSession = (ctx: Pick<HostContext, 'env'>): boolean => Boolean(ctx.env.DISPLAY || ctx.env.WAYLAND_DISPLAY);

/** pkexec's own exit codes: 126 the user dismissed the prompt or was refused, 127 no agent could ask. */
const PKEXEC_REFUSED = 126;
const PKEXEC_NO_AGENT = 127;

/** A package manager may take long (downloads), but not forever. */
const PKEXEC_TIMEOUT_MS = 30 * 60_000;

export interface InstallDeps {
  ctx: HostContext;
  task: TaskContext;
  /** Whether this process's stdin is a terminal (where pkexec can ask for the password itself). */
  stdinIsTty: boolean;
  family?: DistroFamily;
}

export function parsePackagesInstallParams(raw: unknown): InstallableTool[] {
  return parseWith(PACKAGES_INSTALL_PARAMS, raw).tools as InstallableTool[];
}

export async function installPackages(deps: InstallDeps, tools: readonly InstallableTool[]): Promise<PackageInstallResult> {
  const { ctx, task } = deps;
  const family = deps.family ?? detectDistro().family;
  if (family === 'unknown') {
    throw new TaskError({
      code: 'unknown-distribution',
      message: `This Linux distribution is not one the wizard knows how to install packages on, so ${tools.join(', ')} must be installed by hand.`,
      hint: 'Install them with your distribution\'s package manager, then press Check again.',
    });
  }
  const packages = packageNames(family, tools);
  const command = installCommand(family, tools)!;

  const client = await task.stage('Software service', async (s) => {
    const found = await PackageKitClient.connect({ busAddress: systemBusAddress(ctx), signal: task.signal, interactive: true, ...(ctx.env.LANG ? { locale: ctx.env.LANG } : {}) });
    if (found) s.ok('PackageKit');
    else s.missing('PackageKit is not available on this system');
    return found;
  });
  if (client) {
    try {
      return await viaPackageKit(client, task, packages, command);
    } finally {
      await client.close();
    }
  }
  const pkexec = which(ctx, 'pkexec');
  if (pkexec && pkexecCanPrompt(ctx, deps.stdinIsTty)) return viaPkexec(deps, pkexec, family, packages, command);
  throw new TaskError({
    code: 'install-needs-terminal',
    message: pkexec
      ? 'Neither PackageKit nor a password prompt is available here, so the packages cannot be installed from here.'
      : 'This system has neither PackageKit nor pkexec, so the packages cannot be installed from here.',
    hint: 'Run the command below in a terminal, then press Check again.',
    command: command.split(' '),
    detail: command,
  });
}

async function viaPackageKit(client: PackageKitClient, task: TaskContext, packages: string[], command: string): Promise<PackageInstallResult> {
  const resolved = await task.stage('Packages', async (s) => {
    const found = await client.resolve(packages);
    const unknown = packages.filter((p) => !found.some((r) => r.name === p));
    if (unknown.length) {
      s.fail(`not in this distribution's sources: ${unknown.join(', ')}`);
      throw new PackageKitError('package-not-found', `not found: ${unknown.join(', ')}`);
    }
    s.ok(found.map((r) => `${r.name} ${parsePackageId(r.id)?.version ?? ''}${r.installed ? ' (installed)' : ''}`.trim()).join(', '));
    return found;
  });
  const wanted = resolved.filter((r) => !r.installed);
  if (!wanted.length) {
    task.log('Everything is already installed.');
    return { route: 'packagekit', packages, installed: [], command };
  }
  await task.stage('Install', async (s) => {
    let lastStatus = '';
    const report = (p: PackageKitProgress) => {
      if (p.kind === 'percentage') task.progress(p.percent, 100, lastStatus || undefined);
      else if (p.kind === 'status' && p.words && p.words !== lastStatus) {
        lastStatus = p.words;
        task.log(p.status === STATUS_WAITING_FOR_AUTH ? 'Waiting for your authorization (the system asks for your password)…' : `${p.words[0]!.toUpperCase()}${p.words.slice(1)}…`);
      } else if (p.kind === 'package') {
        const line = packageLine(p.info, p.id);
        if (line) task.log(line);
      }
    };
    await client.install(wanted.map((r) => r.id), report);
    s.ok(`${wanted.map((r) => r.name).join(', ')} (PackageKit)`);
  });
  return { route: 'packagekit', packages, installed: wanted.map((r) => r.name), command };
}

const PACKAGE_VERBS: Partial<Record<number, string>> = {
  [INFO.downloading]: 'Downloading', [INFO.installing]: 'Installing', [INFO.updating]: 'Updating', [INFO.preparing]: 'Preparing',
  [INFO.decompressing]: 'Unpacking', [INFO.cleanup]: 'Cleaning up', [INFO.finished]: 'Finished',
};

/** "Installing podman 4.3.1" for a Package signal during an install; null for the ones not worth a line. */
export function packageLine(info: number, id: string): string | null {
  const verb = PACKAGE_VERBS[info];
  const parsed = parsePackageId(id);
  if (!verb || !parsed) return null;
  return `${verb} ${parsed.name} ${parsed.version}`.trim();
}

async function viaPkexec(deps: InstallDeps, pkexec: string, family: Exclude<DistroFamily, 'unknown'>, packages: string[], command: string): Promise<PackageInstallResult> {
  const { ctx, task } = deps;
  const [manager, ...args] = rootInstallArgv(family, packages);
  // pkexec runs what it is given as root: an absolute program from the system's own directories, not from the user's PATH.
  const program = findOnPath('/usr/sbin:/usr/bin:/sbin:/bin', manager!);
  if (!program) throw new TaskError({ code: 'install-needs-terminal', message: `${manager} was not found in the system directories.`, hint: 'Install the packages with your package manager, then press Check again.', detail: command });
  await task.stage('Install', async (s) => {
    task.log(`$ pkexec ${program} ${args.join(' ')}`);
    task.log('The system asks for your password…');
    // Without a desktop, pkexec asks on the terminal itself, which it only does when it has the terminal.
    const onTerminal = deps.stdinIsTty && !graphicalSession(ctx);
    try {
      await ctx.run(pkexec, [program, ...args], { timeoutMs: PKEXEC_TIMEOUT_MS, signal: task.signal, ...(onTerminal ? { inheritStdio: true } : { onLine: (line: string, stream: 'stdout' | 'stderr') => task.log(line, stream) }) });
    } catch (err) {
      if (task.signal.aborted) throw new CancelledError();
      if (err instanceof CommandError && err.reason === 'exit' && (err.exitCode === PKEXEC_REFUSED || err.exitCode === PKEXEC_NO_AGENT)) {
        s.fail('not authorized');
        throw err.exitCode === PKEXEC_REFUSED
          ? new PackageKitError('not-authorized', 'pkexec: the password prompt was dismissed or refused')
          : new TaskError({ code: 'install-needs-terminal', message: 'No password prompt could be shown (no authentication agent is running).', hint: 'Run the command below in a terminal, then press Check again.', detail: command });
      }
      s.fail('the package manager failed');
      throw err;
    }
    s.ok(`${packages.join(', ')} (pkexec ${manager})`);
  });
  return { route: 'pkexec', packages, installed: packages, command };
}
