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
