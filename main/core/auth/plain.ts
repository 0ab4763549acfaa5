/** Roster values arrive as YAML Maps; files and patches work on plain JSON values. */
export type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

export function toPlain(value: unknown): Plain {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toPlain(v)]));
  if (Array.isArray(value)) return value.map(toPlain);
  if (value === undefined) return null;
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]));
  return value as Plain;
}
