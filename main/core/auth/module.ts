/**
 * The SSH-key and credentials setup module: task steps for the wizard's
 * SSH key and Credentials pages (the readiness gate's fixes run them too).
 *
 * Task step `ssh.generate`, params `{ scope?: string, keyType?: 'ed25519'|'rsa' }`
 *   (defaults: scope "standalone", ed25519). Result:
 *   `{ keyType, fingerprint, comment, publicLine, created }` — created is false
 *   when the scope already had its tk-main key (nothing new was minted).
 *
 * Task step `credentials.api-key`, params
 *   `{ agent: string, credentialSet?: string, apiKey: string }`. Result:
 *   `{ agent, provider, credentialSet, credentialType: 'api_key', files }`
 *   (files = the vault config written into the shared mount, if any).
 *
 * Task step `credentials.oauth-terminal`, params
 *   `{ agent: string, credentialSet?: string }`: opens the user's terminal
 *   emulator running `terok-setup auth <agent> --oauth --credential-set S
 *   --keep-open` (the login container needs a terminal) and finishes as soon
 *   as the terminal has started. Result: `{ terminal, command }` (terminal
 *   name, argument words started in it). The login itself finishes later in
 *   that window; the wizard sees it by re-probing. No terminal found → failure
 *   `no-terminal` whose message and `detail` carry the exact command to run by
 *   hand; a terminal that does not start → `terminal-failed`; an agent without
 *   an OAuth login → `invalid-params`.
 *
 * The embedded terminal (the Credentials page's "Sign in here") is not a
 * task: `startLoginTerminal` runs the same CLI login in a pty session
 * (pty-session.ts) whose output goes to the page only (IPC `login:*`).
 * The command a person would type for the same login, for how the app is
 * installed, is terminal.ts `oauthManualCommand` everywhere it is shown.
 *
 * Params come from the renderer and are checked here. Failures carry their
 * error's code (`invalid-params`, `vault-locked`, `vault-no-passphrase`,
 * `vault-unavailable`, `after-store`, `no-terminal`, `terminal-failed`) and a
 * message that never includes the key.
 */
import type { ModuleHost } from '../module-host.ts';
import { loadTerokConfig } from '../host/config.ts';
import { resolvePaths } from '../host/paths.ts';
import { DEFAULT_SSH_SCOPE } from '../settings.ts';
import { effectiveRoster } from '../roster/auth-map.ts';
import type { TaskContext } from '../tasks/task-manager.ts';
import { checkScope, ensurePrimarySshKey, SSH_KEY_TYPES, type SshKeyInfo, type SshKeyType } from '../vault/ssh-keys.ts';
import { withWritableVault } from '../vault/vault-writer.ts';
import { API_KEY_TOO_LONG, AuthInputError, checkCredentialSet, DEFAULT_CREDENTIAL_SET, MAX_API_KEY_LENGTH, storeApiKey, type AuthEnv, type StoredCredential } from './credentials.ts';
import { hasOAuthLogin } from './oauth.ts';
import { oauthCliCommand, oauthManualCommand, openInTerminal, type CliRuntime, type OpenedTerminal } from './terminal.ts';
import { shellQuote } from '../images/podman.ts';
import type { PtySessions } from './pty-session.ts';
import { optStr, parseWith, quoteInput, taskParams, v } from '../validate.ts';

export const SSH_STEP = 'ssh.generate';
export const API_KEY_STEP = 'credentials.api-key';
export const OAUTH_TERMINAL_STEP = 'credentials.oauth-terminal';

/** What the SSH key page and the CLI show; never the private key. */
export type SshKeyResult = Pick<SshKeyInfo, 'keyType' | 'fingerprint' | 'comment' | 'publicLine' | 'created'>;

const authError = (m: string) => new AuthInputError(m);

/** Agent names and credential sets are roster-entry and set names (checked again where they are used). */
const MAX_NAME_PARAM = 256;

export const SSH_PARAMS = taskParams({
  scope: optStr('scope', MAX_NAME_PARAM),
  keyType: v.optional(v.nullable(v.picklist(SSH_KEY_TYPES, `keyType must be one of ${SSH_KEY_TYPES.join(', ')}`))),
});
const AGENT_REQUIRED = 'agent is required (e.g. claude)';
export const API_KEY_PARAMS = v.pipe(
  taskParams({ agent: optStr('agent', MAX_NAME_PARAM), credentialSet: optStr('credentialSet', MAX_NAME_PARAM), apiKey: v.optional(v.unknown()) }),
  v.check((p) => Boolean(p.agent), AGENT_REQUIRED),
  // The messages never name the value: this field holds a secret.
  v.check((p) => typeof p.apiKey === 'string', 'apiKey must be a string'),
  // Surrounding whitespace is trimmed later; a paste that long is refused before anything runs.
  v.check((p) => (p.apiKey as string).trim().length <= MAX_API_KEY_LENGTH, API_KEY_TOO_LONG),
);
export const OAUTH_TERMINAL_PARAMS = v.pipe(
  taskParams({ agent: optStr('agent', MAX_NAME_PARAM), credentialSet: optStr('credentialSet', MAX_NAME_PARAM) }),
  v.check((p) => Boolean(p.agent), AGENT_REQUIRED),
);

export function parseSshParams(params: unknown): { scope: string; keyType: SshKeyType } {
  const p = parseWith(SSH_PARAMS, params, authError);
  // The scope's grammar is checked here, so a bad one opens no stage and never reaches the vault.
  return { scope: checkScope(p.scope ?? DEFAULT_SSH_SCOPE), keyType: p.keyType ?? 'ed25519' };
}

export function parseApiKeyParams(params: unknown): { agent: string; credentialSet: string; apiKey: string } {
  const p = parseWith(API_KEY_PARAMS, params, authError);
  return { agent: p.agent!, credentialSet: p.credentialSet ?? DEFAULT_CREDENTIAL_SET, apiKey: p.apiKey as string };
}

export function parseOAuthTerminalParams(params: unknown): { agent: string; credentialSet: string } {
  const p = parseWith(OAUTH_TERMINAL_PARAMS, params, authError);
  return { agent: p.agent!, credentialSet: checkCredentialSet(p.credentialSet ?? DEFAULT_CREDENTIAL_SET) };
}

/** The agent's OAuth login must exist before a terminal is opened for it. */
export function requireOAuthLogin(host: ModuleHost, agent: string): void {
  const paths = resolvePaths(host.ctx, loadTerokConfig(host.ctx));
  const roster = effectiveRoster(paths);
  const provider = roster.authProviders.get(agent);
  if (!provider) throw new AuthInputError(`Unknown auth provider: ${quoteInput(agent, { bare: true })}. Available: ${[...roster.authProviders.keys()].join(', ')}`);
  if (!hasOAuthLogin(roster, agent)) {
    throw new AuthInputError(`${provider.label} has no OAuth login; store an API key for it instead`);
  }
}

/** Open a terminal running the CLI's OAuth login; `rt` pins the CLI location in tests. */
export async function openOAuthTerminal(host: ModuleHost, agent: string, credentialSet: string, rt?: CliRuntime): Promise<OpenedTerminal> {
  requireOAuthLogin(host, agent);
  const opts = rt ? { rt } : {};
  return openInTerminal(host.ctx, oauthCliCommand(agent, credentialSet, { ...opts, keepOpen: true }), oauthManualCommand(agent, credentialSet, rt));
}

/**
 * The OAuth login in an embedded terminal (the wizard's Credentials page):
 * the same CLI login the external terminal runs, in a pty of `sessions`.
 * Returns the session and the command a person would type for the same login.
 */
export function startLoginTerminal(
  host: ModuleHost, sessions: PtySessions,
  req: { agent: string; credentialSet: string; cols: number; rows: number }, rt?: CliRuntime,
): { sessionId: string; command: string } {
  const credentialSet = checkCredentialSet(req.credentialSet);
  requireOAuthLogin(host, req.agent);
  const env = Object.fromEntries(Object.entries(host.ctx.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const { sessionId } = sessions.start(oauthCliCommand(req.agent, credentialSet, rt ? { rt } : {}), {
    cols: req.cols, rows: req.rows, cwd: host.ctx.home, env: { ...env, TERM: 'xterm-256color' },
  });
  return { sessionId, command: oauthManualCommand(req.agent, credentialSet, rt) };
}

async function oauthTerminalStep(host: ModuleHost, params: unknown, task: TaskContext, rt?: CliRuntime): Promise<OpenedTerminal> {
  const { agent, credentialSet } = parseOAuthTerminalParams(params);
  return task.stage('Credentials', async (stage) => {
    const opened = await openOAuthTerminal(host, agent, credentialSet, rt);
    task.log(`Opened ${opened.terminal} running: ${shellQuote(opened.command)}`);
    task.log('Finish the login in that window; this page checks again when you come back.');
    stage.ok(`login running in ${opened.terminal}`);
    return opened;
  });
}

/** Everything the vault-writing helpers need from the host, resolved now. */
export function authEnvOf(host: ModuleHost, log: (line: string) => void, opts: { mountsDir?: string | null; signal?: AbortSignal } = {}): AuthEnv {
  const config = loadTerokConfig(host.ctx);
  const paths = resolvePaths(host.ctx, config);
  return { ctx: host.ctx, paths, config, mountsDir: opts.mountsDir ?? paths.mountsDir, log, ...(opts.signal ? { signal: opts.signal } : {}) };
}

/** terok's `SSHManager(scope).init()`: the scope's tk-main key, minted when absent. */
export async function generateSshKey(host: ModuleHost, scope: string, keyType: SshKeyType, signal?: AbortSignal): Promise<SshKeyResult> {
  // Before the passphrase is resolved and the DB opened (which creates it when absent).
  checkScope(scope);
  const env = authEnvOf(host, () => {}, signal ? { signal } : {});
  const info = await withWritableVault(env.ctx, env.paths, env.config, (db) => ensurePrimarySshKey(db, scope, keyType), signal);
  const { keyType: type, fingerprint, comment, publicLine, created } = info;
  return { keyType: type, fingerprint, comment, publicLine, created };
}

async function sshStep(host: ModuleHost, params: unknown, task: TaskContext): Promise<SshKeyResult> {
  const { scope, keyType } = parseSshParams(params);
  return task.stage('SSH key', async (stage) => {
    const key = await generateSshKey(host, scope, keyType, task.signal);
    task.log(key.created ? `Generated ${key.keyType} key (fingerprint ${key.fingerprint}).` : `Scope ${quoteInput(scope)} already has its primary key (fingerprint ${key.fingerprint}); nothing new was generated.`);
    task.log(`Public line: ${key.publicLine}`);
    stage.ok(`${key.keyType} ${key.fingerprint}`);
    return key;
  });
}

async function apiKeyStep(host: ModuleHost, params: unknown, task: TaskContext): Promise<StoredCredential> {
  const request = parseApiKeyParams(params);
  return task.stage('Credentials', async (stage) => {
    const stored = await storeApiKey(authEnvOf(host, (line) => task.log(line), { signal: task.signal }), request);
    stage.ok(`${stored.provider} (set: ${stored.credentialSet})`);
    return stored;
  });
}

export function register(host: ModuleHost): void {
  host.register(SSH_STEP, (params, task) => sshStep(host, params, task));
  host.register(API_KEY_STEP, (params, task) => apiKeyStep(host, params, task));
  host.register(OAUTH_TERMINAL_STEP, (params, task) => oauthTerminalStep(host, params, task));
}
