/**
 * The home directory written as `~` where it starts a path — for text a
 * person reads (the wizard's pages, the diagnostics report). Pure, with no
 * Node imports, so the renderer uses this same function; facts, commands and
 * terok's lines keep their real paths.
 */
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function homeToTilde(home: string | null | undefined): (text: string) => string {
  const root = home && home !== '/' ? home.replace(/\/+$/, '') : null;
  if (!root) return (text) => text;
  // The home itself, or followed by `/` or a character that cannot continue a path segment (`/home/ann` but not `/home/anna`).
  const pattern = new RegExp(`${escapeRegExp(root)}(?=/|$|[^A-Za-z0-9._-])`, 'g');
  return (text) => text.replace(pattern, '~');
}
