/**
 * The OAuth login container of `terok-executor auth <name>` (spec §6.4): the
 * exact podman command line and banner, and the capture of what the login
 * left in its temp mount. Running it is login-flow.ts.
 */
import type { AgentEntry, AuthProvider, Roster } from '../roster/model.ts';
import { shellSplit } from '../vault/passphrase.ts';
import { storeCapturedCredential, type AuthEnv, type StoredCredential } from './credentials.ts';
import { canExtract, extractCredential } from './extract.ts';
import { SetupError } from '../errors.ts';

export class OAuthUnavailableError extends SetupError {
  constructor(message: string) {
    super('oauth-unavailable', message);
  }
}

export interface OAuthLoginRequest {
  provider: AuthProvider;
  agent: Pick<AgentEntry, 'spec'> | undefined;
  /** Host dir mounted as the tool's config dir for the login. */
  tempDir: string;
  image: string;
  /** null = host-wide. */
  projectId: string | null;
  deviceAuth: boolean;
  /** Real root needs no user-namespace mapping. */
  isRealRoot: boolean;
  /**
   * Whether our stdin is a terminal (default true). Without one, `-t` is
   * dropped and `-i` kept: podman refuses a TTY it cannot attach, and scripted
   * or test runs still feed the login its stdin.
   */
  tty?: boolean;
}

/** Whether `name` has an OAuth login the app can run and capture (the roster's mode, its login command, a known login file). */
export function hasOAuthLogin(roster: Pick<Roster, 'agents' | 'authProviders'>, name: string): boolean {
  const provider = roster.authProviders.get(name);
  return Boolean(provider && provider.modes.includes('oauth') && roster.agents.get(name)?.spec.auth?.command && canExtract(provider));
}

export const authContainerName = (name: string, projectId: string | null) => `${projectId ?? 'host'}-auth-${name}`;

/** The login command words from the roster (a list, or one string split like a shell would). */
export function loginCommand(req: Pick<OAuthLoginRequest, 'provider' | 'agent' | 'deviceAuth'>): string[] {
  const auth = req.agent?.spec.auth;
  if (!req.provider.modes.includes('oauth') || !auth?.command) {
    throw new OAuthUnavailableError(`${req.provider.label} has no OAuth login; store an API key instead`);
  }
  if (req.deviceAuth && !req.provider.deviceAuth) throw new OAuthUnavailableError(`${req.provider.label} has no device-code login`);
  const words = typeof auth.command === 'string' ? shellSplit(auth.command) : [...auth.command];
  return req.deviceAuth ? [...words, '--device-auth'] : words;
}

/** `podman run …` arguments, in terok's order (device-code mode drops the port forwards). */
export function oauthPodmanArgs(req: OAuthLoginRequest): string[] {
  const extra = req.deviceAuth ? [] : [...(req.agent?.spec.auth?.extra_run_args ?? [])];
  return [
    'run', '--rm',
    ...(req.isRealRoot ? [] : ['--userns=keep-id:uid=1000,gid=1000']),
    req.tty === false ? '-i' : '-it',
    ...extra,
    '-v', `${req.tempDir}:${req.provider.containerMount}:Z`,
    '--name', authContainerName(req.provider.name, req.projectId),
    req.image,
    ...loginCommand(req),
  ];
}

/** The lines printed before the container starts. */
export function oauthBanner(req: OAuthLoginRequest): string[] {
  const hint = req.agent?.spec.auth?.banner_hint;
  return [
    `Authenticating ${req.provider.label} ${req.projectId ? `for project: ${req.projectId}` : '(host-wide)'}`,
    '',
    ...(hint ? hint.split('\n') : []),
    '',
    `$ podman ${oauthPodmanArgs(req).join(' ')}`,
    '',
  ];
}

/** After the login container exited 0: extract, store, phantom, vault config. */
export async function captureLogin(env: AuthEnv, provider: AuthProvider, credentialSet: string, tempDir: string): Promise<StoredCredential> {
  const record = extractCredential(provider, tempDir);
  return storeCapturedCredential(env, provider.name, credentialSet, record);
}
