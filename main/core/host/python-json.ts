/**
 * JSON exactly as Python's `json.dumps` writes it, so files we write for
 * terok (routes.json, hook descriptors, phantom files, DB rows) are the bytes
 * terok itself would write: ", " / ": " separators (or "," + newline with an
 * indent), `{}` / `[]` for empty containers, key order kept, and non-ASCII
 * escaped as \uXXXX (ensure_ascii).
 */
export type PyJson = string | number | boolean | null | PyJson[] | Map<string, PyJson> | { [key: string]: PyJson };

export function pythonJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `json.dumps(value)` without `indent`, or `json.dumps(value, indent=n)`. */
export function pythonJsonDumps(value: PyJson, indent?: number): string {
  return dump(value, indent, '');
}

function dump(value: PyJson, indent: number | undefined, current: string): string {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? pythonJsonString(value) : JSON.stringify(value);
  const isArray = Array.isArray(value);
  const entries: [string | null, PyJson][] = isArray
    ? value.map((v) => [null, v])
    : value instanceof Map ? [...value] : Object.entries(value);
  const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
  if (!entries.length) return open + close;
  const inner = indent === undefined ? '' : current + ' '.repeat(indent);
  const items = entries.map(([k, v]) => (k === null ? '' : `${pythonJsonString(k)}: `) + dump(v, indent, inner));
  if (indent === undefined) return `${open}${items.join(', ')}${close}`;
  return `${open}\n${inner}${items.join(`,\n${inner}`)}\n${current}${close}`;
}
