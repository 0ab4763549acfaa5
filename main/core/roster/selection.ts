/**
 * The selection grammar of image builds and `agents set` (terok-executor
 * spec §4.6): `all`, comma lists, `-name` excludes; dependencies are pulled
 * in before excludes are applied, so an exclude can drop a dependency.
 */
import { RosterLookupError } from './errors.ts';
import { compareNames } from './derive.ts';
import type { Roster } from './model.ts';

export type Selection = 'all' | readonly string[];

/** `" Claude , -VIBE "` → `['claude', '-vibe']`; empty or `all` → `'all'`. */
export function parseSelection(input: string): Selection {
  const tokens = input.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  if (!tokens.length || (tokens.length === 1 && tokens[0] === 'all')) return 'all';
  return tokens;
}

/** The sorted entry names a selection stands for. Throws `RosterLookupError` for unknown names. */
export function resolveSelection(roster: Pick<Roster, 'installs'>, selection: Selection): string[] {
  if (typeof selection === 'string' && selection !== 'all') {
    throw new TypeError(`a selection is 'all' or a list of names, not the string ${JSON.stringify(selection)} — parse it with parseSelection first`);
  }
  const tokens = selection === 'all' ? ['all'] : selection;
  const includes = tokens.filter((t) => !t.startsWith('-'));
  const excludes = tokens.filter((t) => t.startsWith('-')).map((t) => t.slice(1));
  const installable = [...roster.installs.keys()].sort(compareNames);

  const unknown = [...includes.filter((n) => n !== 'all'), ...excludes].filter((n) => !roster.installs.has(n));
  if (unknown.length) {
    throw new RosterLookupError(`Unknown roster entries: ${[...new Set(unknown)].join(', ')}. Available: ${installable.join(', ')}`);
  }

  const wanted = includes.length === 0 || includes.includes('all') ? installable : includes;
  const selected = new Set<string>();
  const visit = (name: string, via: string | null) => {
    if (selected.has(name)) return;
    const install = roster.installs.get(name);
    if (!install) throw new RosterLookupError(`Roster entry '${via}' depends on '${name}', which has no install: block (or does not exist)`);
    selected.add(name);
    for (const dep of install.depends_on) visit(dep, name);
  };
  for (const name of wanted) visit(name, null);
  for (const name of excludes) selected.delete(name);
  return [...selected].sort(compareNames);
}
