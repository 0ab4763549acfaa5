/**
 * The settings every probe, fix and face shares: what the wizard prepares
 * (agent, base image, package family, credential set) — terok's `Preflight`
 * fields, and their one schema. A foundation module: it imports only the validator.
 */
import { exactObject, looksLikeSecret, parseWith, v } from './validate.ts';

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

export const MAX_STRING = 4096;
/** Roster entry names and credential sets: a conservative identifier shape. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Container image references: no whitespace or shell metacharacters. */
export const IMAGE_REF_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._\/:@-]{0,254}$/;

/** A non-empty, bounded string field, optionally of a shape; messages name `where.field`. */
export function textField(where: string, opts: { pattern?: RegExp; max?: number; allowEmpty?: boolean } = {}) {
  return v.pipe(
    v.string(`${where} must be a string`),
    v.check((s) => opts.allowEmpty === true || s.trim() !== '', `${where} must not be empty`),
    v.maxLength(opts.max ?? MAX_STRING, `${where} is too long`),
    v.check((s) => !opts.pattern || opts.pattern.test(s), `${where} has an invalid value`),
    // A key pasted into a name field passes the name pattern; it must go no further (a gate line would print it).
    v.check((s) => !opts.pattern || !looksLikeSecret(s), `${where} looks like a key or token, not a name; nothing was stored or shown`),
  );
}

/** An object with exactly the given fields: `where must be an object`, `where has an unknown field 'k'`. */
export const fieldsOf = <const E extends v.ObjectEntries>(where: string, entries: E, opts: { nullishIsEmpty?: boolean } = {}) =>
  exactObject(entries, { ...opts, notObject: `${where} must be an object`, unknown: (keys) => `${where} has an unknown field '${keys[0]}'` });

export function settingsSchema(where = 'settings') {
  return v.pipe(
    fieldsOf(where, {
      provider: textField(`${where}.provider`, { pattern: NAME_PATTERN }),
      baseImage: textField(`${where}.baseImage`, { pattern: IMAGE_REF_PATTERN }),
      family: v.custom<PackageFamily | null>((x) => x === null || x === 'deb' || x === 'rpm', `${where}.family must be "deb", "rpm" or null`),
      credentialSet: textField(`${where}.credentialSet`, { pattern: NAME_PATTERN }),
      mountsDir: v.optional(v.nullable(v.pipe(textField(`${where}.mountsDir`), v.startsWith('/', `${where}.mountsDir must be an absolute path`))), null),
    }),
  );
}

/** Settings from outside (the renderer, task params): exactly these fields, each checked; `fail` builds the caller's error. */
export function checkSettings(v_: unknown, where: string, fail: (message: string) => Error): GateSettings {
  return parseWith(settingsSchema(where), v_, fail);
}
