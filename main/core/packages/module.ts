/**
 * The packages setup module: the `packages.install` task step (the Podman
 * page's Install button, the Sandbox page's host tools, pipx before terok,
 * and the CLI's `install-prereqs`).
 *
 *   packages.install  { tools: ('podman'|'git'|…)[] }  → PackageInstallResult
 *
 * Events: stage lines (finding PackageKit, finding the packages, installing),
 * log lines for PackageKit's status and each package as it is downloaded and
 * installed, progress (percent of the whole transaction). Cancel asks
 * PackageKit to cancel the transaction (or stops pkexec).
 */
import type { ModuleHost } from '../module-host.ts';
import { installPackages, PACKAGES_INSTALL_STEP, parsePackagesInstallParams } from './install.ts';

export interface PackagesModuleOptions {
  /** Whether stdin is a terminal, where pkexec may ask for the password (default: this process's stdin). */
  stdinIsTty?: boolean;
}

export function register(host: ModuleHost, options: PackagesModuleOptions = {}): void {
  host.register(PACKAGES_INSTALL_STEP, (params, task) =>
    installPackages({ ctx: host.ctx, task, stdinIsTty: options.stdinIsTty ?? Boolean(process.stdin.isTTY) }, parsePackagesInstallParams(params)));
}
