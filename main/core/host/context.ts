/**
 * Everything the engine reads from "the host" that tests must be able to pin:
 * environment, home directory, whether we are real root, and the runner.
 * Production code builds one with `hostContextFromProcess()`; nothing in
 * `core` reads `process.env` directly.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { runCommand, type Runner } from './process.ts';

export interface HostContext {
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  /** euid 0 in the initial user namespace (uid_map is exactly `0 0 4294967295`). */
  isRealRoot: boolean;
  run: Runner;
  /** System-wide terok config file (normally /etc/terok/config.yml). */
  systemConfigFile: string;
  /** System containers.conf locations, in podman's precedence order. */
  systemContainersConfs: readonly string[];
  /** Podman's default OCI hook dirs (used when no containers.conf lists hooks_dir). */
  defaultHooksDirs: readonly string[];
}

export function detectRealRoot(): boolean {
  if (typeof process.geteuid !== 'function' || process.geteuid() !== 0) return false;
  try {
    const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
    return map.length === 3 && map[0] === '0' && map[1] === '0' && map[2] === '4294967295';
  } catch {
    return true;
  }
}

export const SYSTEM_CONTAINERS_CONFS = ['/etc/containers/containers.conf', '/usr/share/containers/containers.conf'] as const;
export const DEFAULT_HOOKS_DIRS = ['/usr/share/containers/oci/hooks.d', '/etc/containers/oci/hooks.d'] as const;

export function hostContextFromProcess(overrides: Partial<HostContext> = {}): HostContext {
  return {
    env: process.env,
    home: process.env.HOME || os.homedir(),
    isRealRoot: detectRealRoot(),
    run: runCommand,
    systemConfigFile: '/etc/terok/config.yml',
    systemContainersConfs: SYSTEM_CONTAINERS_CONFS,
    defaultHooksDirs: DEFAULT_HOOKS_DIRS,
    ...overrides,
  };
}
