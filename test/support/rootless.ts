/**
 * The two test lanes. `.ci/run` runs every suite as root (terok's root code
 * paths, rootful podman) and the integration and e2e suites again as an
 * unprivileged user with rootless podman, the setup terok is made for.
 *
 * Rootless podman on some machines needs settings of its own (OCI runtime,
 * ulimits, network mode). Those are the machine's quirks, not the product's:
 * the lane keeps them in a containers.conf of its own and names it in
 * TEROK_TEST_CONTAINERS_CONF; a sandboxed user home that must run containers
 * starts from a copy of it, as a desktop user starts from their own file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { resolvePaths } from '../../main/core/host/paths.ts';
import { runCommand } from '../../main/core/host/process.ts';
import type { SandboxHost } from './host.ts';

export const runningAsRoot = process.getuid?.() === 0;

/** The lane's machine quirks for rootless podman ('' when the lane needs none). */
export function machineContainersConf(): string {
  const file = process.env.TEROK_TEST_CONTAINERS_CONF;
  return file ? readFileSync(file, 'utf8') : '';
}

/** Give the sandboxed user the containers.conf a desktop user of this machine would already have. */
export function seedUserContainersConf(host: SandboxHost): string {
  const file = resolvePaths(host.ctx).containersConf;
  host.write(file, machineContainersConf(), 0o644);
  return file;
}

/**
 * Environment for a podman that reads the sandboxed user's containers.conf
 * (hooks_dir and all) while keeping the invoking user's image store and
 * runtime dir, so no second pause process or store is created per test.
 */
export function podmanEnvFor(host: SandboxHost): NodeJS.ProcessEnv {
  const configHome = host.ctx.env.XDG_CONFIG_HOME ?? path.join(host.home, '.config');
  return { ...process.env, XDG_CONFIG_HOME: configHome };
}

/**
 * Put the real podman on the sandbox's PATH with the invoking user's own image store and runtime dir,
 * reading the sandboxed user's containers.conf (hooks_dir and all): for a process that runs with the
 * sandbox's environment (a CLI in a child process), as podmanEnvFor() does for one test process. A
 * second runtime dir over the same store would give podman two views of one store's containers and
 * locks, which a concurrent suite's build can trip on.
 */
export async function installUserPodman(host: SandboxHost): Promise<string> {
  const q = (v: string) => `'${v.replaceAll("'", "'\\''")}'`;
  const env = podmanEnvFor(host);
  const keep = ['HOME', 'XDG_RUNTIME_DIR', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'CONTAINERS_CONF'].filter((k) => env[k] !== undefined);
  const unset = ['XDG_DATA_HOME', 'CONTAINERS_CONF'].filter((k) => env[k] === undefined);
  const bin = host.writeBin('podman', `#!/bin/sh\n# The real podman, with the user's own store and runtime dir (test/support/rootless.ts).\n${unset.map((k) => `unset ${k}\n`).join('')}exec env ${keep.map((k) => `${k}=${q(env[k]!)}`).join(' ')} /usr/bin/podman "$@"\n`);
  // Their podman has run before: its network config folder under the config home exists, as on any desktop that used it.
  await runCommand(bin, ['info', '--format', '{{.Host.OCIRuntime.Name}}'], { timeoutMs: 60_000 });
  return bin;
}
