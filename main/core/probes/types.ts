/** Shared shapes of the readiness probes. */
import type { HostContext } from '../host/context.ts';
import type { TerokConfig } from '../host/config.ts';
import type { TerokPaths } from '../host/paths.ts';

/** Outcome of one prerequisite check — terok's `CheckResult(name, ok, message)`. */
export interface CheckResult {
  name: string;
  ok: boolean;
  message: string;
}

export type PackageFamily = 'deb' | 'rpm';

/** Parameters that thread through every probe (terok's `Preflight` fields). */
export interface GateSettings {
  /** Roster entry being prepared, e.g. "claude" (an agent name). */
  provider: string;
  baseImage: string;
  family: PackageFamily | null;
  credentialSet: string;
  /** Override for the agent-config mount tree; null = the global mounts dir. */
  mountsDir: string | null;
}

export const DEFAULT_SSH_SCOPE = 'standalone';

/** What every probe gets: the host, its config and paths, and a per-sweep memo. */
export interface ProbeEnv {
  ctx: HostContext;
  config: TerokConfig;
  paths: TerokPaths;
  settings: GateSettings;
  signal?: AbortSignal;
  /** Shares expensive lookups (terok runtime, passphrase) between concurrent probes. */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

export interface ProbeOutcome {
  result: CheckResult;
  /** Extra facts the wizard shows (versions, tags, dirs); never secrets. */
  facts: Record<string, unknown>;
}

export type ProbeId = 'podman' | 'git' | 'sandbox' | 'images' | 'ssh' | 'credentials' | 'shield';

export type Probe = (env: ProbeEnv) => Promise<ProbeOutcome>;

export function createMemo(): ProbeEnv['memo'] {
  const cache = new Map<string, Promise<unknown>>();
  return <T>(key: string, compute: () => Promise<T>) => {
    let p = cache.get(key) as Promise<T> | undefined;
    if (!p) { p = compute(); cache.set(key, p); }
    return p;
  };
}
