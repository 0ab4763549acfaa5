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

/**
 * An object with exactly these keys (each optional unless its schema says
 * otherwise); with `nullishIsEmpty`, `undefined`/`null` count as `{}`.
 * Unknown keys are listed with the allowed ones; absent keys stay absent.
 */
export function exactObject<const E extends Entries>(entries: E, messages: { notObject: string; unknown: (keys: string[], allowed: string[]) => string; nullishIsEmpty?: boolean }) {
  const allowed = Object.keys(entries);
  return v.pipe(
    v.unknown(),
    v.transform((x): unknown => (messages.nullishIsEmpty ? x ?? {} : x)),
    v.check((x) => typeof x === 'object' && x !== null && !Array.isArray(x), messages.notObject),
    v.check((x) => Object.keys(x as object).every((k) => allowed.includes(k)), (issue) => messages.unknown(Object.keys(issue.input as object).filter((k) => !allowed.includes(k)), allowed)),
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
/** An optional string param (null = absent). */
export const optStr = (key: string) => v.optional(v.nullable(v.string(`${key} must be a string`)));

/** Validate or throw `fail(first problem)` (InvalidParamsError by default). */
export function parseWith<S extends v.GenericSchema>(schema: S, raw: unknown, fail: (message: string) => Error = (m) => new InvalidParamsError(m)): v.InferOutput<S> {
  const result = v.safeParse(schema, raw, { abortEarly: true });
  if (!result.success) throw fail(result.issues[0].message);
  // exactObject checks a missing key as `undefined`; the caller sees it absent again.
  const out = result.output as unknown;
  if (out && typeof out === 'object' && !Array.isArray(out)) return Object.fromEntries(Object.entries(out).filter(([, value]) => value !== undefined)) as v.InferOutput<S>;
  return result.output;
}
