/**
 * Payload validation for every request channel. Main trusts nothing that
 * crosses from the renderer: unknown keys, wrong types and oversized strings
 * are rejected with a message that names the field.
 */
import { checkSettings, type GateSettings } from '../core/settings.ts';
import type { UserAnswer } from '../core/tasks/task-manager.ts';
import type { Req, RequestChannel } from './contract.ts';
import { SetupError } from '../core/errors.ts';

export class ValidationError extends SetupError {
  constructor(message: string) {
    super('invalid-request', message);
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

export function validateSettings(v: unknown, where = 'settings'): GateSettings {
  return checkSettings(v, where, (m) => new ValidationError(m));
}

/** A task's question answered by the user; an API key is never named in a message. */
function validateAnswer(v: unknown): UserAnswer {
  const o = obj(v, 'payload.answer', ['kind', 'yes', 'saved', 'apiKey', 'skip']);
  const exactly = (...keys: string[]) => obj(v, 'payload.answer', ['kind', ...keys]);
  switch (o.kind) {
    case 'confirm':
      exactly('yes');
      if (typeof o.yes === 'boolean') return { kind: 'confirm', yes: o.yes };
      break;
    case 'recovery-key':
      exactly('saved');
      if (typeof o.saved === 'boolean') return { kind: 'recovery-key', saved: o.saved };
      break;
    case 'credential':
      if (o.skip === true) { exactly('skip'); return { kind: 'credential', skip: true }; }
      if (typeof o.apiKey === 'string') {
        exactly('apiKey');
        if (o.apiKey.length > MAX_STRING) throw new ValidationError('payload.answer.apiKey is too long');
        return { kind: 'credential', apiKey: o.apiKey };
      }
      break;
  }
  throw new ValidationError('payload.answer is not an answer to a known request (confirm, recovery-key, credential)');
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
  'task:respond': (p) => {
    const o = obj(p, 'payload', ['taskId', 'requestId', 'answer']);
    return { taskId: str(o.taskId, 'payload.taskId', { pattern: UUID }), requestId: str(o.requestId, 'payload.requestId', { pattern: UUID }), answer: validateAnswer(o.answer) };
  },
  'clipboard:write': (p) => ({ text: str(obj(p, 'payload', ['text']).text, 'payload.text', { max: 1_000_000 }) }),
  'roster:view': (p) => (obj(p ?? {}, 'payload', []), {}),
  'app:report': (p) => {
    const o = obj(p ?? {}, 'payload', ['settings']);
    return o.settings === undefined ? {} : { settings: validateSettings(o.settings) };
  },
  'shell:open-external': (p) => ({ url: str(obj(p, 'payload', ['url']).url, 'payload.url', { max: 2048 }) }),
};
