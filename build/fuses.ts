/**
 * electron-builder `afterPack` hook: flip Electron's security fuses in the
 * packed binary, before any archive (tar.gz, deb, rpm, AppImage) is made.
 *
 * All four hardening fuses are off/on as DESIGN.md §4 asks, RunAsNode
 * included: the deb/rpm install an AppArmor profile that lets our binary
 * create user namespaces (Ubuntu ≥ 24.04 restricts that), so a binary that
 * obeys ELECTRON_RUN_AS_NODE would hand that permission to any script. The
 * `terok-setup` command therefore does not use run-as-node; it starts the
 * app's own main process in CLI mode (build/linux/terok-setup,
 * main/electron/cli-mode.ts).
 *
 * A binary without the fuse sentinel is not a real Electron (the stub used
 * by the packaging smoke test, where no Electron can be downloaded): the
 * flip is skipped with a loud warning instead of failing the build.
 */
import path from 'node:path';
import { flipFuses, FuseV1Options, FuseVersion, getCurrentFuseWire, type FuseV1Config } from '@electron/fuses';

/** The fuse wire we ship. Fuses not named keep Electron's default. */
export const SECURITY_FUSES = {
  version: FuseVersion.V1,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // Validated on macOS/Windows only; on Linux it is inert but costs nothing.
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
} as const satisfies FuseV1Config;

export type FuseOutcome = { flipped: true } | { flipped: false; reason: string };

/** True when `err` says the file carries no fuse wire at all (i.e. it is not an Electron binary). */
function isMissingSentinel(err: unknown): boolean {
  return err instanceof Error && /could not find sentinel/i.test(err.message);
}

export async function applySecurityFuses(binary: string, warn: (message: string) => void = console.warn): Promise<FuseOutcome> {
  try {
    await getCurrentFuseWire(binary);
  } catch (err) {
    if (!isMissingSentinel(err)) throw err;
    const reason = `${binary} has no Electron fuse wire (a stub, not a real Electron binary)`;
    warn(`\n!!! SECURITY FUSES NOT FLIPPED: ${reason}. Never ship this build. !!!\n`);
    return { flipped: false, reason };
  }
  await flipFuses(binary, SECURITY_FUSES);
  return { flipped: true };
}

/** The subset of electron-builder's AfterPackContext this hook reads. */
export interface AfterPackContextLike {
  appOutDir: string;
  electronPlatformName: string;
  packager: { executableName: string };
}

export async function afterPack(context: AfterPackContextLike): Promise<void> {
  if (context.electronPlatformName !== 'linux') throw new Error(`Terok Setup packages Linux only, not ${context.electronPlatformName}`);
  await applySecurityFuses(path.join(context.appOutDir, context.packager.executableName));
}

export default afterPack;
