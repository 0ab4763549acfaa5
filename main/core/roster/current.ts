/**
 * The roster the running app uses. Loading is cheap but not free, so the
 * result is cached and re-read only when a roster file or directory changes
 * (a user editing a YAML file sees the effect on "Check again", without a
 * restart). When the user's files are invalid, readers that only need names
 * and bindings keep working on the bundled roster, and the error stays
 * available for the Agents view and the "Vault routes" stage.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { errorText } from '../tasks/stages.ts';
import { RosterError, type RosterProblem } from './errors.ts';
import { BUNDLED_ROSTER_DIR, loadRoster, type RosterDirs } from './load.ts';
import type { Roster } from './model.ts';

export interface RosterState {
  /** The user's roster, or the bundled one when the user's cannot be loaded. */
  roster: Roster;
  /** Why the user's roster could not be loaded (null when it loaded). */
  error: { message: string; problems: readonly RosterProblem[] } | null;
  /** True when `roster` is the bundled fallback. */
  fallback: boolean;
}

interface CacheSlot {
  signature: string;
  state: RosterState;
}

const cache = new Map<string, CacheSlot>();
let bundledOnly: Roster | null = null;

/** The bundled roster alone (no user files); loaded once per process. */
export function bundledRoster(): Roster {
  bundledOnly ??= loadRoster({});
  return bundledOnly;
}

/**
 * The roster for these directories, from cache when nothing changed.
 * Never throws for user-file problems: see `error`.
 */
export function currentRoster(dirs: RosterDirs): RosterState {
  const key = `${dirs.bundledDir ?? BUNDLED_ROSTER_DIR}\0${dirs.userAgentsDir ?? ''}\0${dirs.userProvidersDir ?? ''}`;
  const signature = [dirs.userAgentsDir, dirs.userProvidersDir].map((d) => (d ? dirSignature(d) : '')).join('\0');
  const hit = cache.get(key);
  if (hit && hit.signature === signature) return hit.state;
  let state: RosterState;
  try {
    state = { roster: loadRoster(dirs), error: null, fallback: false };
  } catch (err) {
    const problems = err instanceof RosterError ? err.problems : [{ subject: 'Cannot load the roster', message: errorText(err) }];
    state = { roster: bundledRoster(), error: { message: errorText(err), problems }, fallback: true };
  }
  cache.set(key, { signature, state });
  return state;
}

/** Forget cached rosters (tests, or after the app writes a roster file itself). */
export function clearRosterCache(): void {
  cache.clear();
}

/** Names, sizes and mtimes of a directory's entries: changes when any file is added, removed or edited. */
function dirSignature(dir: string): string {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    return `!${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
  return names.map((name) => {
    try {
      const st = statSync(path.join(dir, name));
      return `${name}:${st.size}:${st.mtimeMs}:${st.mode}`;
    } catch (err) {
      return `${name}:!${(err as NodeJS.ErrnoException).code ?? 'error'}`;
    }
  }).join('/');
}
