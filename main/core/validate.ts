/**
 * The one validator for untrusted input — task params from the renderer, IPC
 * payloads, settings — built on valibot (small, tree-shakable, typed from the
 * schema). Messages name the field and say what is wrong, in the project's
 * own words; the first problem is the one reported.
 */
import * as v from 'valibot';
import { InvalidParamsError } from './errors.ts';

export { v };

type Entries = v.ObjectEntries;

// ---- quoting untrusted input ------------------------------------------------------

/** The most characters of untrusted input a message quotes (the cut is marked with …). */
export const MAX_QUOTED = 80;

/** What a message shows instead of a value that looks like a key or token. */
export const WITHHELD = '<not shown: it looks like a key or token>';

/** Prefixes of well-known API keys and tokens (Anthropic/OpenAI sk-, GitHub, GitLab, Slack, AWS, Google, Hugging Face, npm, PyPI, JWTs). */
const SECRET_PREFIX = /^(?:(?:sk|rk|pk)[-_]|gh[pousr]_|github_pat_|glpat-|gldt-|glptt-|xox[abposr]-|AKIA|ASIA|AIza|hf_|npm_|pypi-|ya29\.|eyJ)/;

/** Changes between lowercase, uppercase and digit runs: random keys change all the time, names rarely. */
function classChanges(run: string): number {
  const cls = (c: string) => (/\d/.test(c) ? 0 : c === c.toUpperCase() ? 1 : 2);
  let changes = 0;
  for (let i = 1; i < run.length; i++) if (cls(run[i]!) !== cls(run[i - 1]!)) changes++;
  return changes;
}

/**
 * Whether a value typed into some field looks like a key or token rather
 * than a name: a known key prefix, a run of 32 or more letters and digits,
 * or a run of 16 or more that keeps switching between lowercase, uppercase
 * and digits (random keys do; names like my-project-2024 or
 * experimental2025build1 do not). Errs towards hiding: an odd name is
 * withheld, a key is never shown.
 */
export function looksLikeSecret(value: string): boolean {
  const text = value.trim();
  if (text.length < 8) return false;
  if (SECRET_PREFIX.test(text)) return true;
  return text.split(/[^A-Za-z0-9]+/).some((run) => run.length >= 32 || (run.length >= 16 && classChanges(run) >= 4));
}

/** C0/C1 controls and the bidi overrides that could make a message lie about what it quotes. */
const UNPRINTABLE = /[\p{Cc}\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;
const escapeChar = (c: string) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);

/**
 * Untrusted input as a message may quote it — the one helper every message
 * that echoes input goes through: control characters escaped, at most
 * MAX_QUOTED characters (longer input is cut and ends in …), wrapped in
 * single quotes (`bare` leaves them off, for terok's own unquoted messages),
 * and a value that looks like a key or token withheld entirely (WITHHELD,
 * never quoted) — an API key pasted into the wrong field must not end up in
 * a message, a log line or a report. Never pass a field that holds a secret
 * by design (an API key, a passphrase): name the field instead.
 */
export function quoteInput(value: unknown, opts: { bare?: boolean } = {}): string {
  const text = typeof value === 'string' ? value : String(value);
  if (looksLikeSecret(text)) return WITHHELD;
  const chars = Array.from(text.replace(UNPRINTABLE, escapeChar));
  const shown = chars.length > MAX_QUOTED ? `${chars.slice(0, MAX_QUOTED - 1).join('')}…` : chars.join('');
  return opts.bare ? shown : `'${shown}'`;
}

/** At most this many unknown keys are named in one message. */
const MAX_NAMED_KEYS = 5;

/** Unknown keys as a message lists them: each through quoteInput (bare), the list itself bounded. */
function nameKeys(keys: string[]): string[] {
  const named = keys.slice(0, MAX_NAMED_KEYS).map((k) => quoteInput(k, { bare: true }));
  return keys.length > MAX_NAMED_KEYS ? [...named, `… (${keys.length - MAX_NAMED_KEYS} more)`] : named;
}

/**
 * An object with exactly these keys (each optional unless its schema says
 * otherwise); with `nullishIsEmpty`, `undefined`/`null` count as `{}`.
 * Unknown keys are listed with the allowed ones (quoted through quoteInput:
 * a key is untrusted input too); absent keys stay absent.
 */
export function exactObject<const E extends Entries>(entries: E, messages: { notObject: string; unknown: (keys: string[], allowed: string[]) => string; nullishIsEmpty?: boolean }) {
  const allowed = Object.keys(entries);
  return v.pipe(
    v.unknown(),
    v.transform((x): unknown => (messages.nullishIsEmpty ? x ?? {} : x)),
    v.check((x) => typeof x === 'object' && x !== null && !Array.isArray(x), messages.notObject),
    v.check((x) => Object.keys(x as object).every((k) => allowed.includes(k)), (issue) => messages.unknown(nameKeys(Object.keys(issue.input as object).filter((k) => !allowed.includes(k))), allowed)),
    // A missing key is checked as `undefined`, so a required field says what it must be.
    v.transform((x) => ({ ...Object.fromEntries(allowed.map((k) => [k, undefined])), ...(x as object) })),
    v.object(entries),
  );
}

/** Task params: `parameters must be an object`, `unknown parameter(s): x (allowed: a, b)`. */
export const taskParams = <const E extends Entries>(entries: E) =>
  exactObject(entries, { nullishIsEmpty: true, notObject: 'parameters must be an object', unknown: (keys, allowed) => `unknown parameter(s): ${keys.join(', ')} (allowed: ${allowed.join(', ')})` });

/** An optional boolean param (null = absent). */
export const optBool = (key: string) => v.optional(v.nullable(v.boolean(`${key} must be true or false`)));
/** The longest string any task parameter may be unless its field says otherwise (a path, a selection, a key). */
export const MAX_PARAM_LENGTH = 4096;

/** The message for a string over its limit; it never quotes the value (it may be a key pasted into the wrong field). */
export const tooLong = (key: string, max: number) => `${key} is too long (at most ${max} characters)`;

/** An optional string param (null = absent), at most `max` characters (MAX_PARAM_LENGTH by default). */
export const optStr = (key: string, max = MAX_PARAM_LENGTH) =>
  v.optional(v.nullable(v.pipe(v.string(`${key} must be a string`), v.maxLength(max, tooLong(key, max)))));

/** Validate or throw `fail(first problem)` (InvalidParamsError by default). */
export function parseWith<S extends v.GenericSchema>(schema: S, raw: unknown, fail: (message: string) => Error = (m) => new InvalidParamsError(m)): v.InferOutput<S> {
  const result = v.safeParse(schema, raw, { abortEarly: true });
  if (!result.success) throw fail(result.issues[0].message);
  // exactObject checks a missing key as `undefined`; the caller sees it absent again.
  const out = result.output as unknown;
  if (out && typeof out === 'object' && !Array.isArray(out)) return Object.fromEntries(Object.entries(out).filter(([, value]) => value !== undefined)) as v.InferOutput<S>;
  return result.output;
}
