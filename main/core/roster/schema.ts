/**
 * The strict schemas of agent and provider YAML (terok-executor spec §4.2,
 * §4.3). Every section rejects unknown keys. Defaults that depend on the
 * entry name (label, binary, git identity) are filled in by `load.ts`.
 */
import {
  anything, bool, either, listOf, mapOf, object, oneOf, optional, refine, required, text, textOrList, withDefault,
  type Check, type CheckedBy,
} from './validate.ts';

export const ROSTER_VERSION = 3;

export const AGENT_KINDS = ['native', 'harness', 'frontend', 'tool', 'infra'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

export const AUTH_MODES = ['oauth', 'api_key'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const CREDENTIAL_TYPES = ['api_key', 'oauth', 'oauth_token', 'pat'] as const;
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

/** Keys of `provider.token_env`: a credential type, or `_default` as the fallback. */
const TOKEN_ENV_KEYS = ['_default', ...CREDENTIAL_TYPES] as const;

// ── value rules ────────────────────────────────────────────────────────────

const ENV_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const URL_PATTERN = /^https?:\/\/[^\s/?#]+[^\s]*$/;

const envVarName = refine(text(), (v) => (ENV_VAR.test(v) ? null : `'${v}' is not a valid environment variable name (letters, digits and '_', not starting with a digit)`));
const envVarKey = (key: string) => (ENV_VAR.test(key) ? null : `'${key}' is not a valid environment variable name`);
const url = refine(text(), (v) => (URL_PATTERN.test(v) ? null : `'${v}' is not an http(s) URL (example: https://api.example.com)`));
const headerName = (key: string) => (HTTP_TOKEN.test(key) ? null : `'${key}' is not a valid HTTP header name`);
const containerPath = refine(text(), (v) => (v.startsWith('/') ? null : `'${v}' must be an absolute path inside the container (starting with '/')`));

/** A directory name directly under the mounts dir, e.g. `_claude-config`. */
export function hostDirProblem(value: string): string | null {
  const singleSegment = value !== '' && value !== '.' && value !== '..' && !value.includes('/') && !value.includes('\\') && !value.includes('\0');
  return singleSegment ? null : `'${value}' must be a single directory name under the mounts dir (no '/', not '.' or '..', not absolute), e.g. _claude-config`;
}
const hostDir = refine(text(), hostDirProblem);

/** A path relative to a mount or home that may not climb out of it. */
const relativePath = refine(text({ nonEmpty: true }), (v) =>
  v.startsWith('/') || v.split(/[\\/]/).includes('..') ? `'${v}' must be a relative path that stays inside its directory (no leading '/', no '..')` : null);

const stringList = () => listOf(text());
const stringMap = (keyRule?: (key: string) => string | null) => mapOf(text(), keyRule);

// ── shared sections (agents and provider aliases) ──────────────────────────

const installSection = object({
  depends_on: withDefault(textOrList(), () => []),
  run_as_root: optional(text()),
  run_as_dev: optional(text()),
});
export type InstallSpec = CheckedBy<typeof installSection>;

const helpSection = object({
  label: required(text()),
  section: withDefault(oneOf(['agent', 'dev_tool']), () => 'agent' as const),
});

// ── agent YAML (§4.2) ──────────────────────────────────────────────────────

const authKeySection = object({
  label: optional(text()),
  key_url: required(url),
  env_var: required(envVarName),
  config_path: required(relativePath),
  printf_template: required(text()),
  tool_name: optional(text()),
});

/** `post_capture_state`: file → JSON object merged into it (`~` = empty object). */
const captureState: Check<Map<string, unknown> | null> = (value, path, ctx) =>
  value === null ? null : mapOf(anything())(value, path, ctx);

const authSection = object({
  host_dir: required(hostDir),
  container_mount: required(containerPath),
  command: optional(either(text({ nonEmpty: true }), listOf(text()), 'a command (text or a list of words)')),
  auth_key: optional(authKeySection),
  banner_hint: optional(text()),
  extra_run_args: withDefault(stringList(), () => []),
  modes: withDefault(refine(listOf(oneOf(AUTH_MODES)), (m) => (m.length ? null : 'must list at least one of: oauth, api_key')), (): AuthMode[] => ['api_key']),
  device_auth: withDefault(bool(), () => false),
  api_key_hint: optional(text()),
  post_capture_state: withDefault(mapOf(captureState, (k) => relativePathProblem(k)), () => new Map()),
});

function relativePathProblem(value: string): string | null {
  return value.startsWith('/') || value.split(/[\\/]/).includes('..') ? `'${value}' must be a file name inside the mount (no leading '/', no '..')` : null;
}

const configPatchSection = refine(
  object({
    file: required(relativePath),
    toml_set: optional(mapOf(anything())),
    yaml_set: optional(mapOf(anything())),
    by_credential_type: optional(mapOf(mapOf(anything()), (k) => ((CREDENTIAL_TYPES as readonly string[]).includes(k) ? null : `'${k}' is not a credential type — use one of: ${CREDENTIAL_TYPES.join(', ')}`))),
    toml_table: optional(text()),
    toml_match: optional(mapOf(anything())),
  }),
  (p) => ((p.toml_set === undefined) === (p.yaml_set === undefined) ? 'needs exactly one of toml_set or yaml_set' : null),
);

const providerBindingSection = object({
  default: required(text({ nonEmpty: true })),
  token_env: withDefault(mapOf(envVarName, (k) => ((TOKEN_ENV_KEYS as readonly string[]).includes(k) ? null : `'${k}' is not a credential type — use one of: ${TOKEN_ENV_KEYS.join(', ')}`)), () => new Map()),
  base_url_env: optional(envVarName),
  socket_env: optional(envVarName),
  credential_file: optional(relativePath),
  credential_file_writable: withDefault(bool(), () => false),
  credential_type: withDefault(oneOf(CREDENTIAL_TYPES), (): CredentialType => 'api_key'),
  config_patch: optional(configPatchSection),
});

export const agentSchema = object({
  kind: withDefault(oneOf(AGENT_KINDS), (): AgentKind => 'native'),
  label: optional(text({ nonEmpty: true })),
  binary: optional(text({ nonEmpty: true })),
  git_identity: withDefault(object({ name: optional(text()), email: optional(text()) }), () => ({ name: undefined, email: undefined })),
  headless: optional(object({
    subcommand: optional(text()),
    prompt_flag: withDefault(text(), () => '-p'),
    model_flag: optional(text()),
    max_turns_flag: optional(text()),
    verbose_flag: optional(text()),
    output_format_flags: withDefault(stringList(), () => []),
  })),
  auto_approve: optional(object({
    env: withDefault(stringMap(envVarKey), () => new Map()),
    flags: withDefault(stringList(), () => []),
  })),
  session: optional(object({
    supports_resume: withDefault(bool(), () => false),
    resume_flag: optional(text()),
    continue_flag: optional(text()),
    session_file: optional(text()),
    supports_hook: withDefault(bool(), () => false),
  })),
  capabilities: optional(object({
    add_dir: withDefault(bool(), () => false),
    log_format: withDefault(oneOf(['plain', 'claude-stream-json']), () => 'plain' as const),
  })),
  wrapper: optional(object({
    refuse_subcommands: withDefault(stringList(), () => []),
    launcher: optional(object({ script: required(text({ nonEmpty: true })), mode: required(oneOf(['on_provider_select', 'always'])) })),
  })),
  auth: optional(authSection),
  protocol: optional(text({ nonEmpty: true })),
  provider: optional(providerBindingSection),
  sidecar: optional(object({
    tool_name: optional(text()),
    env_map: withDefault(stringMap(envVarKey), () => new Map()),
  })),
  install: optional(installSection),
  help: optional(helpSection),
  mounts: withDefault(listOf(object({
    host_dir: required(hostDir),
    container_path: required(containerPath),
    label: optional(text()),
  })), () => []),
  web_ingress: withDefault(bool(), () => false),
});

export type AgentYaml = CheckedBy<typeof agentSchema>;
export type AuthSpec = CheckedBy<typeof authSection>;
export type ProviderBinding = CheckedBy<typeof providerBindingSection>;
export type MountYaml = AgentYaml['mounts'][number];

// ── provider YAML (§4.3) ───────────────────────────────────────────────────

const wireModeSection = object({
  header: required(refine(text(), (v) => headerName(v))),
  prefix: withDefault(text(), () => ''),
  extra_headers: withDefault(stringMap(headerName), () => new Map()),
});
export type WireModeSpec = CheckedBy<typeof wireModeSection>;

const opencodeSection = object({
  display_name: required(text({ nonEmpty: true })),
  base_url: required(url),
  preferred_model: required(text({ nonEmpty: true })),
  fallback_model: required(text({ nonEmpty: true })),
  env_var_prefix: required(envVarName),
  config_dir: required(relativePath),
  auth_key_url: required(url),
  api_key_hint: optional(text()),
});
export type OpencodeSpec = CheckedBy<typeof opencodeSection>;

export const providerSchema = object({
  upstream: required(url),
  auth: required(refine(object({ api_key: optional(wireModeSection), oauth: optional(wireModeSection) }),
    (a) => (a.api_key || a.oauth ? null : 'declare at least one of api_key or oauth'))),
  path_upstreams: withDefault(mapOf(url, (k) => (k.startsWith('/') ? null : `path prefix '${k}' must start with '/'`)), () => new Map()),
  oauth_refresh: optional(object({ token_url: required(url), client_id: required(text({ nonEmpty: true })), scope: optional(text()) })),
  shared_domain: withDefault(bool(), () => false),
  egress: optional(object({ allow: withDefault(stringList(), () => []) })),
  serves: withDefault(stringMap(), () => new Map()),
  opencode: optional(opencodeSection),
  install: optional(installSection),
  help: optional(helpSection),
});

export type ProviderYaml = CheckedBy<typeof providerSchema>;
