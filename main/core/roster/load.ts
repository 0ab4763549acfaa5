/**
 * `loadRoster`: bundled entries, user files deep-merged over them, strict
 * validation, cross-checks, derived collections (terok-executor spec §4.4).
 * Synchronous on purpose — a dozen small files load in a few milliseconds,
 * and probes and the CLI can then ask the roster without awaiting.
 */
import path from 'node:path';
import type { TerokPaths } from '../host/paths.ts';
import { invalidEntrySubject, RosterError, type RosterProblem } from './errors.ts';
import type { AgentEntry, EntryOrigin, ProviderEntry, Roster, WireAuth } from './model.ts';
import { compareNames, deriveRoster } from './derive.ts';
import { agentSchema, providerSchema, type ProviderYaml } from './schema.ts';
import { locate, readRosterDir, type EntryKind, type RosterSource } from './sources.ts';
import type { CheckContext, KeyPath, SchemaIssue } from './validate.ts';

/** Where the bundled roster ships: `bundled/agents` and `bundled/providers` beside this module. */
export const BUNDLED_ROSTER_DIR = path.join(import.meta.dirname, 'bundled');

export interface RosterDirs {
  /** The user's agent files; omitted = bundled roster only. */
  userAgentsDir?: string;
  userProvidersDir?: string;
  /** Defaults to the roster shipped with the app. */
  bundledDir?: string;
}

export function rosterDirsOf(paths: Pick<TerokPaths, 'userAgentsDir' | 'userProvidersDir'>): RosterDirs {
  return { userAgentsDir: paths.userAgentsDir, userProvidersDir: paths.userProvidersDir };
}

/** Load, merge and validate; throws `RosterError` listing every problem found. */
export function loadRoster(dirs: RosterDirs): Roster {
  const bundled = dirs.bundledDir ?? BUNDLED_ROSTER_DIR;
  const reads = [
    readRosterDir(path.join(bundled, 'agents'), 'agent', 'bundled'),
    ...(dirs.userAgentsDir ? [readRosterDir(dirs.userAgentsDir, 'agent', 'user')] : []),
    readRosterDir(path.join(bundled, 'providers'), 'provider', 'bundled'),
    ...(dirs.userProvidersDir ? [readRosterDir(dirs.userProvidersDir, 'provider', 'user')] : []),
  ];
  const fileProblems = reads.flatMap((r) => r.problems);
  if (fileProblems.length) throw new RosterError(fileProblems);
  const warnings = reads.flatMap((r) => r.warnings);
  const sources = reads.flatMap((r) => r.sources);

  const problems: RosterProblem[] = [];
  const providers = new Map<string, ProviderEntry>();
  for (const [name, group] of groupByName(sources, 'provider')) {
    const subject = invalidEntrySubject('provider', name);
    const spec = validate(group, providerSchema, subject, problems);
    if (!spec) continue;
    const wire = projectWireAuth(spec.auth);
    if (typeof wire === 'string') {
      problems.push(problemAt(group, subject, ['auth'], true, wire));
      continue;
    }
    providers.set(name, { name, spec, wire, harness: spec.opencode !== undefined, origin: originOf(group) });
  }
  const agents = new Map<string, AgentEntry>();
  const agentSources = groupByName(sources, 'agent');
  for (const [name, group] of agentSources) {
    const spec = validate(group, agentSchema, invalidEntrySubject('agent', name), problems);
    if (!spec) continue;
    agents.set(name, {
      name,
      kind: spec.kind,
      label: spec.label ?? name,
      binary: spec.binary ?? name,
      gitIdentity: { name: spec.git_identity.name ?? name.charAt(0).toUpperCase() + name.slice(1), email: spec.git_identity.email ?? 'noreply@terok.ai' },
      spec,
      origin: originOf(group),
    });
  }
  if (problems.length) throw new RosterError(problems);

  problems.push(...checkBindings(agents, providers, agentSources));
  if (problems.length) throw new RosterError(problems);
  return deriveRoster(agents, providers, warnings);
}

/** Sources of one kind grouped by entry name, bundled before user, names sorted. */
function groupByName(sources: readonly RosterSource[], kind: EntryKind): Map<string, RosterSource[]> {
  const groups = new Map<string, RosterSource[]>();
  for (const s of sources.filter((x) => x.kind === kind).sort((a, b) => compareNames(a.name, b.name))) {
    groups.set(s.name, [...(groups.get(s.name) ?? []), s]);
  }
  return groups;
}

function originOf(group: readonly RosterSource[]): EntryOrigin {
  const origin: EntryOrigin = {};
  for (const s of group) {
    if (s.origin === 'bundled') origin.bundledFile = s.file;
    else origin.userFile = s.file;
  }
  return origin;
}

/**
 * Deep merge (§4.4 step 4): mappings merge key by key; anything else from
 * the later file replaces the earlier value. Keys keep their first position.
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!(base instanceof Map) || !(over instanceof Map)) return over;
  const merged = new Map(base);
  for (const [key, value] of over) merged.set(key, merged.has(key) ? deepMerge(merged.get(key), value) : value);
  return merged;
}

function validate<T>(group: readonly RosterSource[], schema: (v: unknown, p: KeyPath, c: CheckContext) => T | undefined, subject: string, problems: RosterProblem[]): T | undefined {
  const merged = group.map((s) => s.data).reduce<unknown>((acc, data) => deepMerge(acc, data), new Map());
  const ctx: CheckContext = { issues: [] };
  const spec = schema(merged, [], ctx);
  for (const issue of ctx.issues) problems.push(problemFor(group, subject, issue));
  return ctx.issues.length ? undefined : spec;
}

function problemFor(group: readonly RosterSource[], subject: string, issue: SchemaIssue): RosterProblem {
  return problemAt(group, subject, issue.path, issue.atKey ?? false, issue.message);
}

/**
 * Point at the file that supplied the value at `keyPath`: the last file (user
 * before bundled) that has it, else the nearest enclosing key that exists.
 */
function problemAt(group: readonly RosterSource[], subject: string, keyPath: KeyPath, atKey: boolean, message: string): RosterProblem {
  const newestFirst = [...group].reverse();
  for (let depth = keyPath.length; depth >= 0; depth--) {
    for (const source of newestFirst) {
      const at = locate(source, keyPath.slice(0, depth), atKey && depth === keyPath.length);
      if (at) return { subject, file: source.file, line: at.line, column: at.column, keyPath, message };
    }
  }
  return { subject, file: newestFirst[0]?.file, keyPath, message };
}

/**
 * The wire-auth projection (§4.3): OAuth and API key on different headers →
 * `dynamic`; on the same header they must agree on prefix and extra headers.
 * Returns an error text for the conflicting case.
 */
export function projectWireAuth(auth: ProviderYaml['auth']): WireAuth | string {
  const { oauth, api_key: apiKey } = auth;
  const asWire = (mode: NonNullable<typeof oauth>): WireAuth => ({ header: mode.header, prefix: mode.prefix, extraHeaders: mode.extra_headers });
  if (oauth && apiKey) {
    if (oauth.header !== apiKey.header) return { header: 'dynamic', prefix: '', extraHeaders: oauth.extra_headers };
    if (oauth.prefix !== apiKey.prefix || !sameEntries(oauth.extra_headers, apiKey.extra_headers)) {
      return `oauth and api_key both use the header '${oauth.header}' but differ in prefix or extra_headers — the vault cannot tell them apart. Give them the same prefix and extra_headers, or use different headers`;
    }
    return asWire(oauth);
  }
  return asWire((oauth ?? apiKey)!);
}

function sameEntries(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

/**
 * Bindings must name a known provider, a provider serves at most one agent,
 * and harness-driven providers get their route from their `opencode:` block,
 * so no agent may bind them (or share their name).
 */
function checkBindings(agents: ReadonlyMap<string, AgentEntry>, providers: ReadonlyMap<string, ProviderEntry>, sources: ReadonlyMap<string, RosterSource[]>): RosterProblem[] {
  const problems: RosterProblem[] = [];
  const boundBy = new Map<string, string[]>();
  const at = (agent: string, keyPath: KeyPath, message: string, subject = invalidEntrySubject('agent', agent)) =>
    problemAt(sources.get(agent) ?? [], subject, keyPath, false, message);
  for (const agent of agents.values()) {
    if (providers.get(agent.name)?.harness) {
      problems.push(at(agent.name, [], `the name '${agent.name}' is already used by the harness-driven provider '${agent.name}' (providers/${agent.name}.yaml) — rename the agent file`));
    }
    const bound = agent.spec.provider?.default;
    if (bound === undefined) continue;
    const provider = providers.get(bound);
    if (!provider) {
      problems.push(at(agent.name, ['provider', 'default'], `provider '${bound}' is not in the provider roster (known: ${[...providers.keys()].join(', ')}) — fix the name or add providers/${bound}.yaml`));
    } else if (provider.harness) {
      problems.push(at(agent.name, ['provider', 'default'], `provider '${bound}' is harness-driven (it has an opencode: block) and gets its own route; an agent cannot bind it`));
    } else {
      boundBy.set(bound, [...(boundBy.get(bound) ?? []), agent.name]);
    }
  }
  for (const [provider, names] of boundBy) {
    if (names.length < 2) continue;
    const subject = `Provider '${provider}' is bound by ${names.length} agents: ${names.join(', ')}`;
    for (const name of names) {
      problems.push(at(name, ['provider', 'default'], `a provider can serve only one agent — remove the binding from all but one of ${names.join(', ')} (in a user file: provider: ~)`, subject));
    }
  }
  return problems;
}
