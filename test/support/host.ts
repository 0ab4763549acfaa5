/**
 * A sandboxed host for tests: a temporary HOME with its own XDG dirs, system
 * config paths pointed into the sandbox, and a PATH the test controls. The
 * engine sees a non-root user, whatever user runs the tests.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HostContext } from '../../main/core/host/context.ts';
import { runCommand } from '../../main/core/host/process.ts';

export interface SandboxHost {
  root: string;
  home: string;
  /** Directory prepended to PATH for fake or fixture executables. */
  bin: string;
  ctx: HostContext;
  /** Write an executable into `bin`. */
  writeBin(name: string, script: string): string;
  /** Write a file relative to the sandbox root (parents created). */
  write(rel: string, content: string, mode?: number): string;
  cleanup(): void;
}

export interface SandboxOptions {
  /** Keep the real PATH after `bin` (default true); false = only `bin` (nothing else is found). */
  inheritPath?: boolean;
  /** Extra environment. */
  env?: Record<string, string>;
}

export function createSandboxHost(opts: SandboxOptions = {}): SandboxHost {
  const root = mkdtempSync(path.join(os.tmpdir(), 'terok-setup-test-'));
  const home = path.join(root, 'home');
  const bin = path.join(root, 'bin');
  for (const d of [home, bin, path.join(root, 'run'), path.join(root, 'etc')]) mkdirSync(d, { recursive: true });
  const basePath = opts.inheritPath === false ? '' : `:${process.env.PATH ?? '/usr/bin:/bin'}`;
  const env: Record<string, string> = {
    PATH: `${bin}${basePath}`,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    XDG_RUNTIME_DIR: path.join(root, 'run'),
    LANG: 'C.UTF-8',
    ...opts.env,
  };
  const ctx: HostContext = {
    env,
    home,
    isRealRoot: false,
    run: runCommand,
    systemConfigFile: path.join(root, 'etc', 'terok', 'config.yml'),
    systemContainersConfs: [path.join(root, 'etc', 'containers', 'containers.conf'), path.join(root, 'usr-share', 'containers', 'containers.conf')],
    defaultHooksDirs: [path.join(root, 'usr-share', 'containers', 'oci', 'hooks.d'), path.join(root, 'etc', 'containers', 'oci', 'hooks.d')],
  };
  const write = (rel: string, content: string, mode = 0o644) => {
    const p = path.isAbsolute(rel) ? rel : path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
    chmodSync(p, mode);
    return p;
  };
  return {
    root, home, bin, ctx, write,
    writeBin: (name, script) => write(path.join(bin, name), script, 0o755),
    cleanup: () => removeTree(root),
  };
}

/**
 * Remove a sandbox, also when a test left a directory unreadable (as a
 * normal user, unlike root, rm cannot enter a 0000 dir): its own dirs are
 * opened up first. Symlinks are never followed.
 */
function removeTree(root: string): void {
  try {
    rmSync(root, { recursive: true, force: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EACCES' && (err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    const openUp = (dir: string) => {
      chmodSync(dir, 0o700);
      for (const name of readdirSync(dir)) {
        const p = path.join(dir, name);
        if (lstatSync(p).isDirectory()) openUp(p);
      }
    };
    openUp(root);
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * A stand-in `podman` for unit tests of the gate's rules, where real podman's
 * timing and state would only add noise (real podman is exercised by the
 * integration and e2e suites). Answers `version` with `version`, and
 * `image exists TAG` from the files under <root>/fake-images/.
 */
export function installFakePodman(host: SandboxHost, opts: { version?: string; failVersion?: string } = {}): { addImage(tag: string): void } {
  const images = path.join(host.root, 'fake-images');
  mkdirSync(images, { recursive: true });
  const versionLine = opts.failVersion !== undefined ? `echo "${opts.failVersion}" >&2; exit 125` : `echo "${opts.version ?? '5.0.0'}"`;
  host.writeBin('podman', `#!/bin/sh
case "$1" in
  version) ${versionLine} ;;
  image) [ "$2" = exists ] && [ -e "${images}/$(printf %s "$3" | tr '/:' '__')" ] && exit 0; exit 1 ;;
  *) echo "fake podman: unsupported $*" >&2; exit 2 ;;
esac
`);
  return { addImage: (tag) => void writeFileSync(path.join(images, tag.replace(/[/:]/g, '_')), '') };
}
