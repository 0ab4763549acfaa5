/**
 * Payload validation for every request channel. Main trusts nothing that
 * crosses from the renderer: unknown keys, wrong types and oversized strings
 * are rejected with a message that names the field.
 */
import type { GateSettings, PackageFamily } from '../core/probes/types.ts';
import type { Req, RequestChannel } from './contract.ts';

export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

const MAX_STRING = 4096;

function obj(v: unknown, where: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ValidationError(`${where} must be an object`);
  for (const k of Object.keys(v)) if (!allowed.includes(k)) throw new ValidationError(`${where} has an unknown field '${k}'`);
  return v as Record<string, unknown>;
}

function str(v: unknown, where: string, opts: { pattern?: RegExp; max?: number; allowEmpty?: boolean } = {}): string {
  if (typeof v !== 'string') throw new ValidationError(`${where} must be a string`);
  if (!opts.allowEmpty && !v.trim()) throw new ValidationError(`${where} must not be empty`);
  if (v.length > (opts.max ?? MAX_STRING)) throw new ValidationError(`${where} is too long`);
  if (opts.pattern && !opts.pattern.test(v)) throw new ValidationError(`${where} has an invalid value`);
  return v;
}

/** Roster entry names, credential sets, step ids: conservative identifier shape. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Container image references: no whitespace or shell metacharacters. */
const IMAGE_REF = /^[A-Za-z0-9][A-Za-z0-9._\/:@-]{0,254}$/;

export function validateSettings(v: unknown, where = 'settings'): GateSettings {
  const o = obj(v, where, ['provider', 'baseImage', 'family', 'credentialSet', 'mountsDir']);
  const family = o.family;
  if (family !== null && family !== 'deb' && family !== 'rpm') throw new ValidationError(`${where}.family must be "deb", "rpm" or null`);
  const mountsDir = o.mountsDir === null || o.mountsDir === undefined ? null : str(o.mountsDir, `${where}.mountsDir`);
  if (mountsDir !== null && !mountsDir.startsWith('/')) throw new ValidationError(`${where}.mountsDir must be an absolute path`);
  return {
    provider: str(o.provider, `${where}.provider`, { pattern: NAME }),
    baseImage: str(o.baseImage, `${where}.baseImage`, { pattern: IMAGE_REF }),
    family: family as PackageFamily | null,
    credentialSet: str(o.credentialSet, `${where}.credentialSet`, { pattern: NAME }),
    mountsDir,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const validators: { [C in RequestChannel]: (payload: unknown) => Req<C> } = {
  'app:info': (p) => (obj(p ?? {}, 'payload', []), {}),
  'probe:sweep': (p) => ({ settings: validateSettings(obj(p, 'payload', ['settings']).settings) }),
  'task:start': (p) => {
    const o = obj(p, 'payload', ['step', 'params']);
    const params = o.params === undefined ? {} : obj(o.params, 'payload.params', Object.keys(o.params ?? {}));
    return { step: str(o.step, 'payload.step', { pattern: /^[a-z][a-z0-9.:-]{0,63}$/ }), params };
  },
  'task:cancel': (p) => ({ taskId: str(obj(p, 'payload', ['taskId']).taskId, 'payload.taskId', { pattern: UUID }) }),
  'task:events': (p) => ({ taskId: str(obj(p, 'payload', ['taskId']).taskId, 'payload.taskId', { pattern: UUID }) }),
  'clipboard:write': (p) => ({ text: str(obj(p, 'payload', ['text']).text, 'payload.text', { max: 1_000_000 }) }),
  'roster:view': (p) => (obj(p ?? {}, 'payload', []), {}),
  'app:report': (p) => {
    const o = obj(p ?? {}, 'payload', ['settings']);
    return o.settings === undefined ? {} : { settings: validateSettings(o.settings) };
  },
  'shell:open-external': (p) => ({ url: str(obj(p, 'payload', ['url']).url, 'payload.url', { max: 2048 }) }),
};
