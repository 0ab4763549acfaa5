/**
 * Task parameters arrive from the renderer, so every setup step reads them
 * through this one checker: an object, only the keys the step knows, and
 * typed reads. A bad value is an InvalidParamsError (code `invalid-params`).
 */
import { InvalidParamsError } from '../errors.ts';
export interface ParamsReader {
  raw(key: string): unknown;
  /** undefined when absent or null. */
  str(key: string): string | undefined;
  bool(key: string): boolean | undefined;
}

export function readParams(raw: unknown, allowed: readonly string[], fail: (message: string) => Error = (m) => new InvalidParamsError(m)): ParamsReader {
  const params = raw ?? {};
  if (typeof params !== 'object' || Array.isArray(params)) throw fail('parameters must be an object');
  const p = params as Record<string, unknown>;
  const unknown = Object.keys(p).filter((k) => !allowed.includes(k));
  if (unknown.length) throw fail(`unknown parameter(s): ${unknown.join(', ')} (allowed: ${allowed.join(', ')})`);
  return {
    raw: (key) => p[key],
    str(key) {
      const v = p[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string') throw fail(`${key} must be a string`);
      return v;
    },
    bool(key) {
      const v = p[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'boolean') throw fail(`${key} must be true or false`);
      return v;
    },
  };
}
