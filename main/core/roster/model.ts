/** The loaded roster: validated entries and the collections derived from them (§4.4 step 7). */
import type { AgentKind, AgentYaml, AuthMode, CredentialType, InstallSpec, ProviderYaml } from './schema.ts';

/** Which files an entry came from; `userFile` set means the user's file overrides or adds it. */
export interface EntryOrigin {
  bundledFile?: string;
  userFile?: string;
}

export interface AgentEntry {
  name: string;
  kind: AgentKind;
  label: string;
  binary: string;
  gitIdentity: { name: string; email: string };
  /** The merged, validated YAML with schema defaults filled in. */
  spec: AgentYaml;
  origin: EntryOrigin;
}

/** How the vault presents a credential upstream (what routes.json carries). */
export interface WireAuth {
  /** A header name, or `dynamic` (OAuth and API key use different headers). */
  header: string;
  prefix: string;
  extraHeaders: ReadonlyMap<string, string>;
}

export interface ProviderEntry {
  name: string;
  spec: ProviderYaml;
  wire: WireAuth;
  /** Harness-driven (has an `opencode:` block): gets a synthesized API-key auth provider and route. */
  harness: boolean;
  origin: EntryOrigin;
}

/** Something `terok-executor auth <name>` can authenticate. */
export interface AuthProvider {
  name: string;
  label: string;
  hostDir: string;
  containerMount: string;
  modes: readonly AuthMode[];
  deviceAuth: boolean;
  /** Where its credential is stored in the DB: the bound provider, or the name itself. */
  credentialProvider: string;
  credentialFile?: string;
  /** Synthesized for a harness-driven provider rather than declared by an agent. */
  synthesized: boolean;
}

/** A provider endpoint joined with the delivery side of the agent bound to it. */
export interface VaultRoute {
  provider: string;
  /** The agent whose `provider.default` names this provider; absent for harness providers. */
  agent?: string;
  upstream: string;
  wire: WireAuth;
  pathUpstreams: ReadonlyMap<string, string>;
  oauthRefresh?: { tokenUrl: string; clientId: string; scope?: string };
  sharedDomain: boolean;
  tokenEnv: ReadonlyMap<string, string>;
  baseUrlEnv?: string;
  socketEnv?: string;
  credentialFile?: string;
  credentialFileWritable: boolean;
  credentialType: CredentialType;
  configPatch?: NonNullable<AgentYaml['provider']>['config_patch'];
}

export interface Mount {
  hostDir: string;
  containerPath: string;
  label?: string;
}

export interface Roster {
  /** Sorted by name. */
  agents: ReadonlyMap<string, AgentEntry>;
  /** Sorted by name. */
  providers: ReadonlyMap<string, ProviderEntry>;
  /** Entries that are agents proper (not tool, frontend or infra). */
  agentNames: readonly string[];
  /** Entries a user can name (not frontend or infra), then the harness-driven providers. */
  allNames: readonly string[];
  /** Keyed by entry name. */
  authProviders: ReadonlyMap<string, AuthProvider>;
  /** Keyed by provider name. */
  vaultRoutes: ReadonlyMap<string, VaultRoute>;
  /** Deduplicated by host dir. */
  mounts: readonly Mount[];
  /** Entries (agents and providers) with an `install:` block. */
  installs: ReadonlyMap<string, InstallSpec>;
  /** Agents that run as a sidecar tool, with their sidecar settings. */
  sidecars: ReadonlyMap<string, NonNullable<AgentYaml['sidecar']>>;
  webIngress: readonly string[];
  /** Environment for OpenCode's harness providers (`TEROK_OC_<NAME>_*`). */
  opencodeEnv: ReadonlyMap<string, string>;
  /** Warnings and notes from loading, one line each. */
  warnings: readonly string[];
}
