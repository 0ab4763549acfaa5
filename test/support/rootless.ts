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
 * Give the sandboxed user the podman a desktop user of this machine already has: their podman's
 * (this process's) graph root, named in the sandbox's storage.conf, as the sandbox moves XDG_DATA_HOME
 * (podman's default place for it). For a process that runs podman with the sandbox's own environment.
 */
export async function seedUserImageStore(host: SandboxHost): Promise<void> {
  const { stdout } = await runCommand('podman', ['info', '--format', '{{.Store.GraphRoot}}|{{.Store.GraphDriverName}}'], { timeoutMs: 60_000 });
  const [graphRoot, driver] = stdout.trim().split('|');
  const conf = path.join(host.ctx.env.XDG_CONFIG_HOME ?? path.join(host.home, '.config'), 'containers', 'storage.conf');
  host.write(conf, `[storage]\ndriver = "${driver}"\n${runningAsRoot ? 'graphroot' : 'rootless_storage_path'} = "${graphRoot}"\n`);
  // Their podman has run before: its per-user cache and runtime folders exist, as on any desktop that used it.
  // (`info` makes the runtime folders; looking up a short image name makes the short-name alias cache.)
  const env = { ...host.ctx.env, PATH: '/usr/local/bin:/usr/bin:/bin' };
  await runCommand('podman', ['info', '--format', '{{.Store.GraphRoot}}'], { timeoutMs: 60_000, extendEnv: false, env });
  await runCommand('podman', ['image', 'exists', 'terok-test-no-such-image:1'], { timeoutMs: 60_000, extendEnv: false, env, allowNonZero: true });
}
