/**
 * A small strict validator for the roster YAML: combinators that check a
 * parsed value (maps arrive as `Map`, so key order survives), fill defaults,
 * and record every problem with the key path it was found at. Every object
 * rejects keys it does not know — a typo in a user file must be an error, not
 * a setting that silently does nothing.
 */

export type KeyPath = readonly (string | number)[];

export interface SchemaIssue {
  path: KeyPath;
  message: string;
  /** The issue concerns a key that is present (point at the key, not its value). */
  atKey?: boolean;
}

export interface CheckContext {
  issues: SchemaIssue[];
}

/** Returns the checked value, or undefined after recording an issue. */
export type Check<T> = (value: unknown, path: KeyPath, ctx: CheckContext) => T | undefined;

export interface Field<T> {
  check: Check<unknown>;
  required: boolean;
  fallback?: () => T;
  /** Phantom marker for the output type. */
  readonly __type?: T;
}

export function required<T>(check: Check<T>): Field<T> {
  return { check, required: true };
}

export function optional<T>(check: Check<T>): Field<T | undefined> {
  return { check, required: false };
}

export function withDefault<T>(check: Check<T>, fallback: () => T): Field<T> {
  return { check, required: false, fallback };
}

type Shape = Record<string, Field<unknown>>;
export type ObjectOf<S extends Shape> = { [K in keyof S]: S[K] extends Field<infer T> ? T : never };
/** The value type a check produces. */
export type CheckedBy<C> = C extends Check<infer T> ? T : never;

/** A plain-words description of a parsed YAML value, for "expected X, found Y". */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (an empty value)';
  if (value instanceof Map) return 'a mapping (key: value lines)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `text ${JSON.stringify(value)}`;
  if (typeof value === 'boolean') return `${value}`;
  if (typeof value === 'number') return `the number ${value}`;
  return typeof value;
}

function fail(ctx: CheckContext, path: KeyPath, message: string): undefined {
  ctx.issues.push({ path, message });
  return undefined;
}

export const text = (opts: { nonEmpty?: boolean } = {}): Check<string> => (value, path, ctx) => {
  if (typeof value !== 'string') return fail(ctx, path, `expected text, found ${describeValue(value)}${quoteHint(value)}`);
  if (opts.nonEmpty && !value.trim()) return fail(ctx, path, 'must not be empty');
  return value;
};

/** YAML turns `yes`, `3.10` or `1234` into non-text; tell the user how to keep it text. */
function quoteHint(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean' ? ' — put it in quotes to make it text' : '';
}

export const bool = (): Check<boolean> => (value, path, ctx) =>
  typeof value === 'boolean' ? value : fail(ctx, path, `expected true or false, found ${describeValue(value)}${typeof value === 'string' ? ' — write true or false, without quotes' : ''}`);

export function oneOf<const V extends string>(values: readonly V[]): Check<V> {
  return (value, path, ctx) => {
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as V;
    return fail(ctx, path, `${describeValue(value)} is not allowed here — use one of: ${values.join(', ')}`);
  };
}

/** Adds a rule on top of another check; `rule` returns an error text or null. */
export function refine<T>(check: Check<T>, rule: (value: T) => string | null): Check<T> {
  return (value, path, ctx) => {
    const checked = check(value, path, ctx);
    if (checked === undefined) return undefined;
    const problem = rule(checked);
    return problem ? fail(ctx, path, problem) : checked;
  };
}

export function listOf<T>(item: Check<T>): Check<T[]> {
  return (value, path, ctx) => {
    if (!Array.isArray(value)) return fail(ctx, path, `expected a list, found ${describeValue(value)}`);
    const out: T[] = [];
    let ok = true;
    value.forEach((v, i) => {
      const checked = item(v, [...path, i], ctx);
      if (checked === undefined) ok = false;
      else out.push(checked);
    });
    return ok ? out : undefined;
  };
}

/** A string or a list of strings, normalised to a list (`depends_on: caddy`). */
export function textOrList(): Check<string[]> {
  const list = listOf(text({ nonEmpty: true }));
  return (value, path, ctx) => (typeof value === 'string' ? [value] : list(value, path, ctx));
}

/** Either of two shapes; the first that accepts the value wins (issues of the other are discarded). */
export function either<A, B>(first: Check<A>, second: Check<B>, expected: string): Check<A | B> {
  return (value, path, ctx) => {
    for (const check of [first, second] as Check<A | B>[]) {
      const trial: CheckContext = { issues: [] };
      const checked = check(value, path, trial);
      if (checked !== undefined && !trial.issues.length) return checked;
    }
    return fail(ctx, path, `expected ${expected}, found ${describeValue(value)}`);
  };
}

/** A mapping with user-chosen keys (env vars, headers, paths); order is kept. */
export function mapOf<T>(item: Check<T>, keyRule?: (key: string) => string | null): Check<Map<string, T>> {
  return (value, path, ctx) => {
    if (!(value instanceof Map)) return fail(ctx, path, `expected a mapping (key: value lines), found ${describeValue(value)}`);
    const out = new Map<string, T>();
    let ok = true;
    for (const [key, v] of value) {
      if (typeof key !== 'string') {
        ok = false;
        ctx.issues.push({ path: [...path, String(key)], message: `keys must be text, found ${describeValue(key)} — put it in quotes`, atKey: true });
        continue;
      }
      const keyProblem = keyRule?.(key);
      if (keyProblem) {
        ok = false;
        ctx.issues.push({ path: [...path, key], message: keyProblem, atKey: true });
        continue;
      }
      const checked = item(v, [...path, key], ctx);
      if (checked === undefined) ok = false;
      else out.set(key, checked);
    }
    return ok ? out : undefined;
  };
}

/** Any YAML value (used for config-patch values, whose shape belongs to the tool). */
export const anything = (): Check<unknown> => (value) => value;

/**
 * A mapping with a fixed set of keys. Unknown keys are errors (with a
 * spelling suggestion); `null` for an optional key means "not set".
 */
export function object<S extends Shape>(shape: S): Check<ObjectOf<S>> {
  const known = Object.keys(shape);
  return (value, path, ctx) => {
    if (!(value instanceof Map)) return fail(ctx, path, `expected a mapping (key: value lines), found ${describeValue(value)}`);
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const key of value.keys()) {
      if (typeof key === 'string' && Object.hasOwn(shape, key)) continue;
      ok = false;
      const suggestion = typeof key === 'string' ? closestMatch(key, known) : null;
      ctx.issues.push({
        path: [...path, String(key)],
        message: `unknown key '${String(key)}'${suggestion ? ` — did you mean '${suggestion}'?` : ''} Allowed here: ${known.join(', ')}`,
        atKey: true,
      });
    }
    for (const [key, field] of Object.entries(shape)) {
      const raw = value.get(key);
      if (raw === undefined || raw === null) {
        if (field.required) {
          ok = false;
          ctx.issues.push(raw === null
            ? { path: [...path, key], message: `'${key}' needs a value`, atKey: true }
            : { path, message: `missing required key '${key}'` });
        } else {
          out[key] = field.fallback?.();
        }
        continue;
      }
      const checked = field.check(raw, [...path, key], ctx);
      if (checked === undefined) ok = false;
      else out[key] = checked;
    }
    return ok ? (out as ObjectOf<S>) : undefined;
  };
}

/** The known key nearest to a typo (edit distance ≤ 2), if any. */
export function closestMatch(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c);
    if (d < bestDistance) { best = c; bestDistance = d; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** `auth.modes[1]` — the way a key path is shown to users. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}
