/**
 * Payload validation for every request channel, with the engine's one
 * validator (valibot schemas). Main trusts nothing that crosses from the
 * renderer: unknown keys, wrong types and oversized strings are rejected
 * with a message that names the field; an API key is never named.
 */
import { SetupError } from '../core/errors.ts';
import { PTY_LIMITS } from '../core/auth/pty-session.ts';
import { fieldsOf, MAX_STRING, NAME_PATTERN, settingsSchema, textField, type GateSettings } from '../core/settings.ts';
import type { UserAnswer } from '../core/tasks/task-manager.ts';
import { parseWith, v } from '../core/validate.ts';
import type { Req, RequestChannel } from './contract.ts';

export class ValidationError extends SetupError {
  constructor(message: string) {
    super('invalid-request', message);
  }
}

const fail = (m: string) => new ValidationError(m);

export function validateSettings(value: unknown, where = 'settings'): GateSettings {
  return parseWith(settingsSchema(where), value, fail);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The renderer's own name for one sweep, echoed in its progress events. */
const SWEEP_ID = /^[A-Za-z0-9-]{1,64}$/;
const TASK_STEP = /^[a-z][a-z0-9.:-]{0,63}$/;
const plainObject = (where: string) => v.custom<Record<string, unknown>>((x) => typeof x === 'object' && x !== null && !Array.isArray(x), `${where} must be an object`);

const NOT_AN_ANSWER = 'payload.answer is not an answer to a known request (confirm, recovery-key, credential)';
const kindFields = <const E extends v.ObjectEntries>(entries: E) => fieldsOf('payload.answer', entries);
const ANSWER_OF = {
  confirm: kindFields({ kind: v.literal('confirm'), yes: v.boolean() }),
  'recovery-key': kindFields({ kind: v.literal('recovery-key'), saved: v.boolean() }),
  credential: v.union([
    kindFields({ kind: v.literal('credential'), skip: v.literal(true) }),
    kindFields({ kind: v.literal('credential'), apiKey: v.pipe(v.string(), v.maxLength(MAX_STRING)) }),
  ]),
} as const;
/** A task's question answered by the user; one message for every malformed answer (it may hold a key). */
const ANSWER = v.custom<UserAnswer>((a) => {
  const kind = (a as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' && Object.hasOwn(ANSWER_OF, kind) && v.is(ANSWER_OF[kind as UserAnswer['kind']], a);
}, NOT_AN_ANSWER);

const size = (where: string, min: number, max: number) => v.pipe(v.number(`${where} must be a number`), v.integer(`${where} must be a whole number`), v.minValue(min, `${where} must be at least ${min}`), v.maxValue(max, `${where} must be at most ${max}`));
const SESSION = { sessionId: textField('payload.sessionId', { pattern: UUID }) };
const COLS = size('payload.cols', PTY_LIMITS.minCols, PTY_LIMITS.maxCols);
const ROWS = size('payload.rows', PTY_LIMITS.minRows, PTY_LIMITS.maxRows);

/** Channels without arguments take `{}` or nothing. */
const EMPTY = fieldsOf('payload', {}, { nullishIsEmpty: true });
const SCHEMAS = {
  'app:info': EMPTY,
  'probe:sweep': fieldsOf('payload', { settings: settingsSchema(), sweepId: v.optional(textField('payload.sweepId', { pattern: SWEEP_ID })) }),
  'task:start': fieldsOf('payload', { step: textField('payload.step', { pattern: TASK_STEP }), params: v.optional(plainObject('payload.params'), {}) }),
  'task:cancel': fieldsOf('payload', { taskId: textField('payload.taskId', { pattern: UUID }) }),
  'task:respond': fieldsOf('payload', { taskId: textField('payload.taskId', { pattern: UUID }), requestId: textField('payload.requestId', { pattern: UUID }), answer: ANSWER }),
  'clipboard:write': fieldsOf('payload', { text: textField('payload.text', { max: 1_000_000 }) }),
  'roster:view': EMPTY,
  'recovery:save': EMPTY,
  'app:report': fieldsOf('payload', { settings: v.optional(settingsSchema()) }, { nullishIsEmpty: true }),
  'shell:open-external': fieldsOf('payload', { url: textField('payload.url', { max: 2048 }) }),
  'dialog:open-file': fieldsOf('payload', { purpose: v.picklist(['image-archive'], 'payload.purpose must be image-archive') }),
  'shell:open-path': fieldsOf('payload', { path: textField('payload.path', { max: 4096 }) }),
  'login:start': fieldsOf('payload', { agent: textField('payload.agent', { pattern: NAME_PATTERN }), credentialSet: textField('payload.credentialSet', { pattern: NAME_PATTERN }), cols: COLS, rows: ROWS }),
  // What the user types or pastes; the message never repeats it.
  'login:input': fieldsOf('payload', { ...SESSION, data: v.pipe(v.string('payload.data must be a string'), v.maxLength(PTY_LIMITS.maxWrite, `payload.data is too long (at most ${PTY_LIMITS.maxWrite} characters at once)`)) }),
  'login:resize': fieldsOf('payload', { ...SESSION, cols: COLS, rows: ROWS }),
  'login:close': fieldsOf('payload', SESSION),
} satisfies { [C in RequestChannel]: v.GenericSchema<unknown, Req<C>> };

export const validators = Object.fromEntries(
  Object.entries(SCHEMAS).map(([channel, schema]) => [channel, (payload: unknown) => parseWith(schema, payload, fail)]),
) as { [C in RequestChannel]: (payload: unknown) => Req<C> };
