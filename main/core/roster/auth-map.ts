/**
 * What the probes, the gate and the CLI ask of the roster: which provider
 * stores an agent's credential, which names can be authenticated, which
 * names a user may prepare. Answers come from the user's roster (bundled +
 * their YAML files); if their files are invalid, from the bundled roster,
 * so a broken override never stops a readiness check.
 */
import type { TerokPaths } from '../host/paths.ts';
import { currentRoster } from './current.ts';
import { RosterLookupError } from './errors.ts';
import { rosterDirsOf } from './load.ts';
import type { AgentEntry, AuthProvider, Roster } from './model.ts';

type RosterPaths = Pick<TerokPaths, 'userAgentsDir' | 'userProvidersDir'>;

/** The roster in effect for these paths (user's, or bundled when the user's is invalid). */
export function effectiveRoster(paths: RosterPaths): Roster {
  return currentRoster(rosterDirsOf(paths)).roster;
}

/**
 * Agent name → credential provider key (claude → anthropic). Names without
 * an auth provider pass through unchanged, as in terok.
 */
export function credentialProviderFor(paths: RosterPaths, agent: string): string {
  return effectiveRoster(paths).authProviders.get(agent)?.credentialProvider ?? agent;
}

/**
 * Names `terok-executor auth <name>` accepts, sorted. Unlike terok's hint
 * list (spec §10.1 item 4) this leaves out copilot, opencode and pi, which
 * have nothing to authenticate.
 */
export function authenticatableNames(paths: RosterPaths): string[] {
  return [...effectiveRoster(paths).authProviders.keys()].sort();
}

/** Every entry a user may prepare (the roster's `all_names`), sorted. */
export function knownEntries(paths: RosterPaths): string[] {
  return [...effectiveRoster(paths).allNames].sort();
}

/** The agent entry for `name` (default claude); unknown → `Unknown agent: …`. */
export function findAgent(roster: Roster, name = 'claude'): AgentEntry {
  const entry = roster.agents.get(name);
  if (!entry) throw new RosterLookupError(`Unknown agent: ${name}. Available: ${[...roster.agents.keys()].join(', ')}`);
  return entry;
}

/** The auth provider for `name`; unknown → `Unknown auth provider: …`. */
export function findAuthProvider(roster: Roster, name: string): AuthProvider {
  const provider = roster.authProviders.get(name);
  if (!provider) throw new RosterLookupError(`Unknown auth provider: ${name}. Available: ${[...roster.authProviders.keys()].sort().join(', ')}`);
  return provider;
}
