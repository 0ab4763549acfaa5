/**
 * The read-only "Agents" view as plain JSON (safe to send over IPC): what the
 * wizard made of the roster — each entry, whether the user's own YAML file
 * overrides or adds it, the warnings, and the load error if their files are
 * invalid (the entries then show the bundled roster).
 */
import type { TerokPaths } from '../host/paths.ts';
import { formatKeyPath } from './validate.ts';
import { currentRoster } from './current.ts';
import { rosterDirsOf } from './load.ts';
import type { EntryOrigin, Roster } from './model.ts';
import type { AgentKind, AuthMode } from './schema.ts';

export interface RosterViewEntry {
  name: string;
  kind: AgentKind;
  label: string;
  /** Empty when the entry has nothing to authenticate. */
  authModes: AuthMode[];
  /** The provider its credential is stored under (bound provider, or itself), if authenticatable. */
  provider: string | null;
  /** The user's YAML file that overrides or adds this entry. */
  userFile: string | null;
  /** True when the entry exists only because of the user's file. */
  userAdded: boolean;
  /** Has an `install:` block (can be built into the image). */
  installable: boolean;
}

export interface RosterViewProvider {
  name: string;
  upstream: string;
  /** The header routes.json carries (`dynamic` = OAuth and API key differ). */
  authHeader: string;
  /** Driven through OpenCode; authenticated under its own name. */
  harness: boolean;
  /** The agent bound to it, if any. */
  boundBy: string | null;
  userFile: string | null;
  userAdded: boolean;
}

export interface RosterViewProblem {
  subject: string;
  file: string | null;
  line: number | null;
  column: number | null;
  keyPath: string | null;
  message: string;
}

export interface RosterView {
  entries: RosterViewEntry[];
  providers: RosterViewProvider[];
  warnings: string[];
  /** Set when the user's roster files cannot be loaded; `entries` then show the bundled roster. */
  error: { message: string; problems: RosterViewProblem[] } | null;
  userAgentsDir: string;
  userProvidersDir: string;
}

function userSide(origin: EntryOrigin): { userFile: string | null; userAdded: boolean } {
  return { userFile: origin.userFile ?? null, userAdded: origin.userFile !== undefined && origin.bundledFile === undefined };
}

/** Project a loaded roster into the view's entries and providers. */
export function viewOf(roster: Roster): Pick<RosterView, 'entries' | 'providers' | 'warnings'> {
  const harnessEntries: RosterViewEntry[] = [...roster.providers.values()].filter((p) => p.harness).map((p) => ({
    name: p.name,
    kind: 'harness' as const,
    label: p.spec.opencode!.display_name,
    authModes: ['api_key'],
    provider: p.name,
    ...userSide(p.origin),
    installable: roster.installs.has(p.name),
  }));
  const entries: RosterViewEntry[] = [...roster.agents.values()].map((a) => {
    const auth = roster.authProviders.get(a.name);
    return {
      name: a.name,
      kind: a.kind,
      label: a.label,
      authModes: auth ? [...auth.modes] : [],
      provider: auth?.credentialProvider ?? null,
      ...userSide(a.origin),
      installable: roster.installs.has(a.name),
    };
  });
  const boundBy = new Map([...roster.vaultRoutes.values()].flatMap((r) => (r.agent ? [[r.provider, r.agent] as const] : [])));
  const providers = [...roster.providers.values()].map((p) => ({
    name: p.name,
    upstream: p.spec.upstream,
    authHeader: p.wire.header,
    harness: p.harness,
    boundBy: boundBy.get(p.name) ?? null,
    ...userSide(p.origin),
  }));
  return { entries: [...entries, ...harnessEntries], providers, warnings: [...roster.warnings] };
}

/** The Agents view for this host. Never throws for roster problems: they are in `error`. */
export function rosterView(paths: Pick<TerokPaths, 'userAgentsDir' | 'userProvidersDir'>): RosterView {
  const state = currentRoster(rosterDirsOf(paths));
  return {
    ...viewOf(state.roster),
    error: state.error && {
      message: state.error.message,
      problems: state.error.problems.map((p) => ({
        subject: p.subject,
        file: p.file ?? null,
        line: p.line ?? null,
        column: p.column ?? null,
        keyPath: p.keyPath?.length ? formatKeyPath(p.keyPath) : null,
        message: p.message,
      })),
    },
    userAgentsDir: paths.userAgentsDir,
    userProvidersDir: paths.userProvidersDir,
  };
}
