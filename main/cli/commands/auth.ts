import { parseArgs } from 'node:util';
import { authEnvOf } from '../../core/auth/module.ts';
import { AfterStoreError, AuthInputError, checkCredentialSet, DEFAULT_CREDENTIAL_SET, storeApiKey, type AuthEnv } from '../../core/auth/credentials.ts';
import { INTERRUPTED_MESSAGE, LoginFlowError, runOAuthLogin, STOPPED_MESSAGE, writeVaultConfigAfterLogin } from '../../core/auth/login-flow.ts';
import { hasOAuthLogin, OAuthUnavailableError } from '../../core/auth/oauth.ts';
import { ImageBuildError } from '../../core/images/errors.ts';
import { normaliseBaseImage } from '../../core/images/tags.ts';
import { effectiveRoster } from '../../core/roster/auth-map.ts';
import type { AuthProvider, Roster } from '../../core/roster/model.ts';
import { UNLOCK_HINT, VaultWriteError } from '../../core/vault/vault-writer.ts';
import type { Engine } from '../../core/engine.ts';
import { EXIT_FAILURE, EXIT_READY, UsageError, type CliCommand, type CliStreams } from '../command.ts';

/** terok's exit code for a locked vault (`terok-executor auth`, spec §7.3). */
export const EXIT_VAULT_LOCKED = 2;

/** Print a vault or input failure the way terok's CLI does; returns the exit code. */
export function reportAuthFailure(err: unknown, io: CliStreams): number {
  if (err instanceof VaultWriteError) {
    io.err(`Error: ${err.message}\n`);
    if (err.code !== 'vault-locked') io.err(`hint:  ${UNLOCK_HINT}.\n`);
    return EXIT_VAULT_LOCKED;
  }
  if (err instanceof AuthInputError || err instanceof AfterStoreError || err instanceof OAuthUnavailableError) {
    io.err(`${err.message}\n`);
    return EXIT_FAILURE;
  }
  if (err instanceof LoginFlowError) {
    io.err(`${err.message}\n`);
    if (err.code === 'extract') {
      io.err(err.filesFound.length ? `Files found in the login directory:\n${err.filesFound.map((f) => `  ${f}\n`).join('')}` : 'The login directory was empty.\n');
    }
    return EXIT_FAILURE;
  }
  if (err instanceof ImageBuildError) {
    io.err(`${err.message}\n`);
    if (err.hint) io.err(`${err.hint}\n`);
    return EXIT_FAILURE;
  }
  throw err;
}

async function readKey(values: { 'api-key'?: string; 'api-key-stdin'?: boolean }, label: string, io: CliStreams): Promise<string | null> {
  if (values['api-key'] !== undefined) {
    io.err('Note: a key given on the command line can be seen in the process list and shell history; --api-key-stdin avoids that.\n');
    return values['api-key'];
  }
  if (values['api-key-stdin']) {
    if (!io.readAll) throw new UsageError('--api-key-stdin is not available here');
    return io.readAll();
  }
  if (!io.stdinIsTty) throw new UsageError('no API key given: pass --api-key-stdin (and pipe the key in) or --api-key KEY');
  io.err('(The key is shown while you type; pipe it into --api-key-stdin to avoid that.)\n');
  return io.readLine(`${label} API key: `);
}

type Method = 'oauth' | 'device' | 'api_key';
const METHOD_LABELS: Record<Method, string> = { oauth: 'OAuth login', device: 'OAuth login — device code', api_key: 'API key' };

/** §6.4 method list: OAuth (when the entry has a login we can capture), device code, API key. */
export function authMethods(roster: Pick<Roster, 'agents' | 'authProviders'>, provider: AuthProvider): Method[] {
  const methods: Method[] = [];
  const oauth = hasOAuthLogin(roster, provider.name);
  if (oauth) methods.push('oauth');
  if (oauth && provider.deviceAuth) methods.push('device');
  if (provider.modes.includes('api_key')) methods.push('api_key');
  return methods;
}

/** Forced by a flag, the only one, or chosen from terok's numbered menu; null = the user gave no valid choice (message printed). */
async function chooseMethod(methods: Method[], provider: AuthProvider, values: { oauth?: boolean; 'device-auth'?: boolean }, io: CliStreams): Promise<Method | null> {
  if (values['device-auth']) {
    if (!methods.includes('device')) throw new OAuthUnavailableError(`${provider.label} has no device-code login${methods.includes('oauth') ? '; use --oauth' : ''}`);
    return 'device';
  }
  if (values.oauth) {
    if (!methods.includes('oauth')) throw new OAuthUnavailableError(`${provider.label} has no OAuth login; store an API key instead: terok-setup auth ${provider.name} --api-key-stdin`);
    return 'oauth';
  }
  if (methods.length === 0) throw new OAuthUnavailableError(`${provider.label} can only log in with OAuth, and OAuth is not available for it here`);
  if (methods.length === 1) return methods[0]!;
  if (!io.stdinIsTty) {
    throw new UsageError(`no API key given and no terminal to ask how to authenticate ${provider.label}: pass --api-key-stdin (and pipe the key in), --oauth${methods.includes('device') ? ', --device-auth' : ''}`);
  }
  io.out(`Authenticate ${provider.label}:\n\n${methods.map((m, i) => `  ${i + 1}. ${METHOD_LABELS[m]}\n`).join('')}\n`);
  const answer = await io.readLine(`Choose [1-${methods.length}] (default 1): `);
  if (answer === null) { io.err('Cancelled.\n'); return null; }
  const text = answer.trim();
  if (!text) return methods[0]!;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= methods.length)) { io.err(`Invalid choice: '${text}'\n`); return null; }
  return methods[n - 1]!;
}

/**
 * Ctrl-C (and a closed terminal window) stops the login container through
 * the same abort path as a cancelled task; the flow then reports
 * "Authentication interrupted." and cleans up.
 */
async function withInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.once(s, onSignal);
  try {
    return await body(controller.signal);
  } finally {
    for (const s of signals) process.removeListener(s, onSignal);
  }
}

async function runOAuth(engine: Engine, io: CliStreams, agent: string, credentialSet: string, deviceAuth: boolean, baseImage: string | undefined): Promise<number> {
  return withInterrupt(async (signal) => {
    const env: AuthEnv = authEnvOf(engine, (line) => io.out(line + '\n'), { signal });
    const defaults = engine.defaultSettings();
    const outcome = await runOAuthLogin(env, {
      agent, credentialSet, deviceAuth, tty: io.stdinIsTty,
      baseImage: normaliseBaseImage(baseImage ?? defaults.baseImage),
      family: defaults.family,
    });
    if (outcome.status === 'captured') {
      for (const w of outcome.warnings) io.err(`Warning: ${w}\n`);
      return EXIT_READY;
    }
    io.err(`${outcome.status === 'stopped' ? STOPPED_MESSAGE : INTERRUPTED_MESSAGE} Nothing was stored.\n`);
    // terok still applies the vault config patch (for whatever is stored already).
    const patched = await writeVaultConfigAfterLogin(authEnvOf(engine, (line) => io.out(line + '\n')), agent, credentialSet);
    if (patched.warning) io.err(`Warning: ${patched.warning}\n`);
    return EXIT_READY;
  });
}

export const authCommand: CliCommand = {
  name: 'auth',
  summary: 'Log an agent or tool in (OAuth in a container, or an API key) and store it in the vault',
  help: `Usage: terok-setup auth <agent> [--oauth | --device-auth | --api-key KEY | --api-key-stdin]
                        [--credential-set SET] [--base-image IMAGE]

Store an agent's credential in terok's credential vault under its provider
(claude → anthropic, codex → openai …) and point the agent's shared config
mount at the vault.

OAuth runs the agent's own login inside its container (terok-l1-cli:<base>,
built first when missing) on this terminal; the tokens go into the vault and
the shared mount only gets a stand-in file. Without an option, asks which
method to use when the agent offers several.

  --oauth                Log in with OAuth (browser) without asking
  --device-auth          Log in with an OAuth device code (codex)
  --api-key KEY          Store this API key (visible in the process list; prefer the next)
  --api-key-stdin        Read the API key from standard input
  --credential-set SET   Credential set to store into (default: default)
  --base-image IMAGE     Base image of the login container (default: image.base_image from config.yml, else ubuntu:24.04)
  --keep-open            Wait for Enter before exiting (for a terminal window opened by the app)
  -h, --help             Show this help

Exit codes: 0 stored — and also when the login was stopped (its container
exited 130) or interrupted with Ctrl-C, as terok does; 1 error (empty key,
unknown provider, login failed or left no usable credential …);
2 usage error or vault locked / no passphrase.`,
  async run(engine, args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        'api-key': { type: 'string' }, 'api-key-stdin': { type: 'boolean' }, oauth: { type: 'boolean' }, 'device-auth': { type: 'boolean' },
        'credential-set': { type: 'string' }, 'base-image': { type: 'string' }, 'keep-open': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) { io.out(this.help + '\n'); return EXIT_READY; }
    if (positionals.length !== 1) throw new UsageError('name exactly one agent or tool, e.g. terok-setup auth claude');
    if (values['api-key'] !== undefined && values['api-key-stdin']) throw new UsageError('give either --api-key or --api-key-stdin, not both');
    const keyGiven = values['api-key'] !== undefined || values['api-key-stdin'] === true;
    if (keyGiven && values.oauth) throw new UsageError('give either --oauth or an API key, not both');
    if (values.oauth && values['device-auth']) throw new UsageError('give either --oauth or --device-auth, not both');
    const agent = positionals[0]!;
    const credentialSet = values['credential-set'] ?? DEFAULT_CREDENTIAL_SET;
    const code = await authMain(engine, io, agent, credentialSet, keyGiven, values);
    if (values['keep-open'] && io.stdinIsTty) {
      await io.readLine(code === EXIT_READY ? '\nDone. Press Enter to close this window. ' : '\nPress Enter to close this window. ');
    }
    return code;
  },
};

async function authMain(
  engine: Engine, io: CliStreams, agent: string, credentialSet: string, keyGiven: boolean,
  values: { 'api-key'?: string; 'api-key-stdin'?: boolean; oauth?: boolean; 'device-auth'?: boolean; 'base-image'?: string },
): Promise<number> {
  const env = authEnvOf(engine, (line) => io.out(line + '\n'));
  try {
    checkCredentialSet(credentialSet);
    const roster = effectiveRoster(env.paths);
    const provider = roster.authProviders.get(agent);
    if (keyGiven) {
      if (values['device-auth']) io.err('Warning: --device-auth is ignored when --api-key is given; the API key takes precedence (no auth container is launched).\n');
    } else {
      if (!provider) throw new AuthInputError(`Unknown auth provider: ${agent}. Available: ${[...roster.authProviders.keys()].join(', ')}`);
      const method = await chooseMethod(authMethods(roster, provider), provider, values, io);
      if (method === null) return EXIT_FAILURE;
      if (method !== 'api_key') return await runOAuth(engine, io, agent, credentialSet, method === 'device', values['base-image']);
      const hint = roster.agents.get(agent)?.spec.auth?.api_key_hint;
      if (hint) io.out(`${hint}\n`);
    }
    const key = await readKey(values, provider?.label ?? agent, io);
    if (key === null) { io.err('API key entry cancelled.\n'); return EXIT_FAILURE; }
    await storeApiKey(env, { agent, credentialSet, apiKey: key });
    return EXIT_READY;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return reportAuthFailure(err, io);
  }
}
