/**
 * electron-builder `afterPack` hook: flip Electron's security fuses in the
 * packed binary, before any archive (tar.gz, deb, rpm, AppImage) is made.
 *
 * Run-as-node, NODE_OPTIONS and --inspect are off and the app loads only from
 * its asar: the binary runs our app and nothing else. The packages grant the
 * binary nothing a user's own programs lack — no AppArmor profile is
 * installed (see build/linux/after-install.sh and the README's "Security"
 * section) — so this is defence in depth, not the guard of a privilege. The
 * `terok-setup` command does not need run-as-node: it starts the app's own
 * main process in CLI mode (build/linux/terok-setup, main/electron/cli-mode.ts).
 *
 * The renderer is served from the privileged app:// scheme, so file:// needs
 * no extra privileges; cookies are encrypted with a key from the desktop
 * keyring (Chromium's os_crypt).
 *
 * A binary without the fuse sentinel is not a real Electron: packaging fails
 * rather than ship a build whose fuses were never set. (The packaging smoke
 * test's stand-in binary carries a fuse wire, so it needs no exception.)
 */
import path from 'node:path';
import { flipFuses, FuseV1Options, FuseVersion, getCurrentFuseWire, type FuseV1Config } from '@electron/fuses';

/** The fuse wire we ship. Fuses not named keep Electron's default. */
export const SECURITY_FUSES = {
  version: FuseVersion.V1,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // Validated on macOS/Windows only; on Linux it is inert but costs nothing.
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
} as const satisfies FuseV1Config;

/** True when `err` says the file carries no fuse wire at all (i.e. it is not an Electron binary). */
function isMissingSentinel(err: unknown): boolean {
  return err instanceof Error && /could not find sentinel/i.test(err.message);
}

/** Flip SECURITY_FUSES in `binary`; throws when it has no fuse wire, leaving the file untouched. */
export async function applySecurityFuses(binary: string): Promise<void> {
  try {
    await getCurrentFuseWire(binary);
  } catch (err) {
    if (!isMissingSentinel(err)) throw err;
    throw new Error(`${binary} has no Electron fuse wire (it is not a real Electron binary, or a new Electron moved the sentinel): `
      + 'refusing to package an app whose security fuses cannot be set. Check electronDist / the electron version in package.json.', { cause: err });
  }
  await flipFuses(binary, SECURITY_FUSES);
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
