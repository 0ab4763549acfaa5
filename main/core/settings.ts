/**
 * The settings every probe, fix and face shares: what the wizard prepares
 * (agent, base image, package family, credential set) — terok's `Preflight`
 * fields. A foundation type: it imports nothing from the rest of core.
 */

export type PackageFamily = 'deb' | 'rpm';

/** Parameters that thread through every probe and fix. */
export interface GateSettings {
  /** Roster entry being prepared, e.g. "claude" (an agent name). */
  provider: string;
  baseImage: string;
  family: PackageFamily | null;
  credentialSet: string;
  /** Override for the agent-config mount tree; null = the global mounts dir. */
  mountsDir: string | null;
}

/** The SSH-key scope terok's standalone runs sign with. */
export const DEFAULT_SSH_SCOPE = 'standalone';

const MAX_STRING = 4096;
/** Roster entry names and credential sets: a conservative identifier shape. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Container image references: no whitespace or shell metacharacters. */
export const IMAGE_REF_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._\/:@-]{0,254}$/;

/**
 * Settings from outside (the renderer, task params): exactly these fields,
 * each checked; `fail` builds the caller's error from a message naming the field.
 */
export function checkSettings(v: unknown, where: string, fail: (message: string) => Error): GateSettings {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail(`${where} must be an object`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['provider', 'baseImage', 'family', 'credentialSet', 'mountsDir'].includes(k)) throw fail(`${where} has an unknown field '${k}'`);
  const str = (value: unknown, field: string, pattern?: RegExp): string => {
    if (typeof value !== 'string') throw fail(`${where}.${field} must be a string`);
    if (!value.trim()) throw fail(`${where}.${field} must not be empty`);
    if (value.length > MAX_STRING) throw fail(`${where}.${field} is too long`);
    if (pattern && !pattern.test(value)) throw fail(`${where}.${field} has an invalid value`);
    return value;
  };
  const family = o.family;
  if (family !== null && family !== 'deb' && family !== 'rpm') throw fail(`${where}.family must be "deb", "rpm" or null`);
  const mountsDir = o.mountsDir === null || o.mountsDir === undefined ? null : str(o.mountsDir, 'mountsDir');
  if (mountsDir !== null && !mountsDir.startsWith('/')) throw fail(`${where}.mountsDir must be an absolute path`);
  return {
    provider: str(o.provider, 'provider', NAME_PATTERN),
    baseImage: str(o.baseImage, 'baseImage', IMAGE_REF_PATTERN),
    family,
    credentialSet: str(o.credentialSet, 'credentialSet', NAME_PATTERN),
    mountsDir,
  };
}
