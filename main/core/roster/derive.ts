/** The collections the rest of the app asks of the roster (terok-executor spec §4.4 step 7). */
import type { AgentEntry, AuthProvider, Mount, ProviderEntry, Roster, VaultRoute } from './model.ts';
import type { AgentKind, InstallSpec } from './schema.ts';

/** Code-point order, as terok's `sorted()` (names are ASCII, so also locale-free). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const NOT_AGENTS: readonly AgentKind[] = ['tool', 'frontend', 'infra'];
const NOT_NAMEABLE: readonly AgentKind[] = ['frontend', 'infra'];

/** Entries and providers arrive sorted by name; every derived list keeps that order. */
export function deriveRoster(agents: ReadonlyMap<string, AgentEntry>, providers: ReadonlyMap<string, ProviderEntry>, warnings: readonly string[]): Roster {
  const entries = [...agents.values()];
  const harness = [...providers.values()].filter((p) => p.harness);

  const authProviders = new Map<string, AuthProvider>();
  for (const agent of entries) {
    const auth = agent.spec.auth;
    if (!auth) continue;
    const binding = agent.spec.provider;
    authProviders.set(agent.name, {
      name: agent.name,
      label: agent.label,
      hostDir: auth.host_dir,
      containerMount: auth.container_mount,
      modes: auth.modes,
      deviceAuth: auth.device_auth,
      credentialProvider: binding?.default ?? agent.name,
      credentialFile: binding?.credential_file,
      synthesized: false,
    });
  }
  for (const provider of harness) authProviders.set(provider.name, harnessAuthProvider(provider));

  const vaultRoutes = new Map<string, VaultRoute>();
  for (const agent of entries) {
    const binding = agent.spec.provider;
    const provider = binding ? providers.get(binding.default) : undefined;
    if (!binding || !provider) continue;
    vaultRoutes.set(provider.name, {
      ...endpointOf(provider),
      agent: agent.name,
      tokenEnv: binding.token_env,
      baseUrlEnv: binding.base_url_env,
      socketEnv: binding.socket_env,
      credentialFile: binding.credential_file,
      credentialFileWritable: binding.credential_file_writable,
      credentialType: binding.credential_type,
      configPatch: binding.config_patch,
    });
  }
  for (const provider of harness) {
    vaultRoutes.set(provider.name, {
      ...endpointOf(provider),
      tokenEnv: new Map([['_default', `${provider.spec.opencode!.env_var_prefix}_API_KEY`]]),
      credentialFile: HARNESS_CREDENTIAL_FILE,
      credentialFileWritable: false,
      credentialType: 'api_key',
    });
  }

  const mounts = new Map<string, Mount>();
  const addMount = (m: Mount) => { if (!mounts.has(m.hostDir)) mounts.set(m.hostDir, m); };
  for (const agent of entries) {
    const auth = authProviders.get(agent.name);
    if (auth) addMount({ hostDir: auth.hostDir, containerPath: auth.containerMount, label: auth.label });
    for (const m of agent.spec.mounts) addMount({ hostDir: m.host_dir, containerPath: m.container_path, ...(m.label ? { label: m.label } : {}) });
  }
  for (const provider of harness) {
    const auth = authProviders.get(provider.name)!;
    addMount({ hostDir: auth.hostDir, containerPath: auth.containerMount, label: auth.label });
  }

  const installs = new Map<string, InstallSpec>();
  for (const [name, spec] of [...entries.map((a) => [a.name, a.spec] as const), ...[...providers.values()].map((p) => [p.name, p.spec] as const)].sort(([a], [b]) => compareNames(a, b))) {
    if (spec.install) installs.set(name, spec.install);
  }

  const opencodeEnv = new Map<string, string>();
  for (const provider of harness) {
    const oc = provider.spec.opencode!;
    opencodeEnv.set(`${oc.env_var_prefix}_DISPLAY_NAME`, oc.display_name);
    opencodeEnv.set(`${oc.env_var_prefix}_BASE_URL`, oc.base_url);
    opencodeEnv.set(`${oc.env_var_prefix}_PREFERRED_MODEL`, oc.preferred_model);
    opencodeEnv.set(`${oc.env_var_prefix}_FALLBACK_MODEL`, oc.fallback_model);
  }

  return {
    agents,
    providers,
    agentNames: entries.filter((a) => !NOT_AGENTS.includes(a.kind)).map((a) => a.name),
    allNames: [...entries.filter((a) => !NOT_NAMEABLE.includes(a.kind)).map((a) => a.name), ...harness.map((p) => p.name)],
    authProviders,
    vaultRoutes,
    mounts: [...mounts.values()],
    installs,
    sidecars: new Map(entries.flatMap((a) => (a.spec.sidecar ? [[a.name, a.spec.sidecar] as const] : []))),
    webIngress: entries.filter((a) => a.spec.web_ingress).map((a) => a.name),
    opencodeEnv,
    warnings,
  };
}

/** Harness providers keep their API key in OpenCode's per-provider config file. */
const HARNESS_CREDENTIAL_FILE = 'config.json';

function harnessAuthProvider(provider: ProviderEntry): AuthProvider {
  const oc = provider.spec.opencode!;
  return {
    name: provider.name,
    label: oc.display_name,
    hostDir: `_${provider.name}-config`,
    containerMount: `/home/dev/${oc.config_dir}`,
    modes: ['api_key'],
    deviceAuth: false,
    credentialProvider: provider.name,
    credentialFile: HARNESS_CREDENTIAL_FILE,
    synthesized: true,
  };
}

function endpointOf(provider: ProviderEntry): Pick<VaultRoute, 'provider' | 'upstream' | 'wire' | 'pathUpstreams' | 'oauthRefresh' | 'sharedDomain'> {
  const refresh = provider.spec.oauth_refresh;
  return {
    provider: provider.name,
    upstream: provider.spec.upstream,
    wire: provider.wire,
    pathUpstreams: provider.spec.path_upstreams,
    oauthRefresh: refresh ? { tokenUrl: refresh.token_url, clientId: refresh.client_id, ...(refresh.scope ? { scope: refresh.scope } : {}) } : undefined,
    sharedDomain: provider.spec.shared_domain,
  };
}
