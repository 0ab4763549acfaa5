/**
 * The OAuth login of `terok-executor auth <name>` (spec §6.4), run for real:
 * resolve the login image (the default L1 alias, built when absent), give the
 * login a fresh temp dir as its config dir, run `podman run --rm -it …` in
 * the foreground on the user's terminal, then capture what the login wrote:
 * extract → store in the vault → phantom file (§6.7) → post-capture state.
 * The vault config patch (§6.6) follows in the caller, for every outcome.
 *
 * The temp dir (which holds the real tokens for a moment) is always removed,
 * and so is any leftover container of the login's name. Nothing secret is
 * logged: the log gets the banner, the command line and file paths.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HostContext } from '../host/context.ts';
import { detectDistro, installCommand } from '../host/distro.ts';
import { CommandError } from '../host/process.ts';
import { which } from '../host/which.ts';
import { buildImages, type BuildDeps } from '../images/build.ts';
import { ImageBuildError } from '../images/errors.ts';
import { FIRST_BUILD_POSTAMBLE, FIRST_BUILD_PREAMBLE } from '../steps/images.ts';
import { imageExists, PODMAN_QUERY_TIMEOUT_MS, type Podman } from '../images/podman.ts';
import { checkImageReference } from '../images/params.ts';
import { loadImageRoster } from '../images/roster-source.ts';
import { l1AliasTag } from '../images/tags.ts';
import type { PackageFamily } from '../settings.ts';
import { effectiveRoster } from '../roster/auth-map.ts';
import { AuthInputError, checkCredentialSet, credentialTypeOf, storeCapturedCredential, type AuthEnv, type StoredCredential } from './credentials.ts';
import { canExtract, ExtractionError, extractCredential } from './extract.ts';
import { authContainerName, oauthBanner, oauthPodmanArgs, type OAuthLoginRequest } from './oauth.ts';
import { applyPostCaptureState } from './post-capture.ts';
import { vaultTransportOf, writeVaultConfig } from './vault-config.ts';
import { withWritableVault } from '../vault/vault-writer.ts';
import { SetupError, type Failure } from '../errors.ts';
import { quoteInput } from '../validate.ts';

/** A login waits for a person in a browser; generous, but not forever. */
export const LOGIN_TIMEOUT_MS = 30 * 60_000;
/** What `podman run` returns when the login inside was stopped with Ctrl-C. */
export const EXIT_STOPPED = 130;

export const STOPPED_MESSAGE = 'Authentication container stopped.';
export const INTERRUPTED_MESSAGE = 'Authentication interrupted.';

export type LoginFailureCode = 'podman-missing' | 'image' | 'login-failed' | 'timeout' | 'extract';

/** The login did not produce a credential; `message` is complete and safe to show. */
export class LoginFlowError extends SetupError {
  readonly code: LoginFailureCode;
  /** For `extract`: what the login dir held (relative paths, at most 20). */
  readonly filesFound: string[];
  readonly command?: string[];
  readonly exitCode?: number | null;

  constructor(code: LoginFailureCode, message: string, extra: { filesFound?: string[]; command?: string[]; exitCode?: number | null } = {}) {
    super(`login-${code}`, message);
    this.code = code;
    this.filesFound = extra.filesFound ?? [];
    if (extra.command) this.command = extra.command;
    if (extra.exitCode !== undefined) this.exitCode = extra.exitCode;
  }

  override toFailure(): Failure {
    return { ...super.toFailure(), ...(this.command ? { command: [...this.command] } : {}), ...(this.exitCode !== undefined ? { exitCode: this.exitCode } : {}) };
  }
}

export interface OAuthFlowRequest {
  agent: string;
  credentialSet: string;
  deviceAuth: boolean;
  /** Base image whose default L1 alias runs the login. */
  baseImage: string;
  family: PackageFamily | null;
  /** Whether stdin is a terminal (`-t` is dropped when not). */
  tty: boolean;
  /** null = host-wide (terok's standalone auth). */
  projectId?: string | null;
}

export type OAuthOutcome =
  | { status: 'captured'; stored: StoredCredential; warnings: string[] }
  | { status: 'stopped' }
  | { status: 'interrupted' };

/** What building the default L1 alias uses instead of the roster on disk and the bundled templates (tests inject fixtures). */
export type LoginImageBuild = Partial<Pick<BuildDeps, 'roster' | 'templates' | 'tmpRoot'>>;

export interface OAuthFlowDeps {
  /** Turns a base image into a runnable login image (default: the L1 alias, built when absent). */
  resolveImage?(podman: Podman, baseImage: string, family: PackageFamily | null, env: AuthEnv): Promise<string>;
  /** For the default resolveImage: roster/templates/temp root of the alias build. */
  imageBuild?: LoginImageBuild;
  /** Parent of the login's temp dir (default: the OS temp dir). */
  tmpRoot?: string;
  loginTimeoutMs?: number;
}

export function findPodmanForLogin(ctx: Pick<HostContext, 'env' | 'run'>): Podman {
  const bin = which(ctx, 'podman');
  if (!bin) {
    const install = installCommand(detectDistro().family, 'podman');
    throw new LoginFlowError('podman-missing', `podman not found; please install podman${install ? ` (${install})` : ''}, then run this again`);
  }
  return { bin, run: ctx.run };
}

/**
 * terok's lazy image for the login: `terok-l1-cli:<slug>` of the base image;
 * when it is absent, build L0 + L1 with every agent (ensure_default_l1), with
 * podman's output as progress lines.
 */
export async function ensureLoginImage(podman: Podman, baseImage: string, family: PackageFamily | null, env: AuthEnv, build: LoginImageBuild = {}): Promise<string> {
  const alias = l1AliasTag(baseImage);
  if (await imageExists(podman, alias, env.signal)) return alias;
  env.log(`The login runs in ${alias}, which is not built yet; building it now.`);
  for (const line of FIRST_BUILD_PREAMBLE) env.log(line);
  try {
    const result = await buildImages({ baseImage, family, agents: 'all' }, { ...build, ctx: env.ctx, roster: build.roster ?? loadImageRoster(env.ctx) }, {
      ...(env.signal ? { signal: env.signal } : {}),
      log: (line) => env.log(line),
    });
    for (const line of FIRST_BUILD_POSTAMBLE) env.log(line);
    return result.alias;
  } catch (err) {
    if (!(err instanceof ImageBuildError)) throw err;
    if (err.code === 'cancelled') throw err;
    throw new LoginFlowError('image', `The login image ${alias} could not be built: ${err.message}${err.hint ? `\n${err.hint}` : ''}`, {
      ...(err.command ? { command: [...err.command] } : {}),
      ...(err.exitCode !== undefined ? { exitCode: err.exitCode } : {}),
    });
  }
}

async function removeContainer(podman: Podman, name: string): Promise<void> {
  // No signal: cleanup must also run after a cancel.
  await podman.run(podman.bin, ['rm', '--force', '--ignore', '--time', '2', name], { timeoutMs: PODMAN_QUERY_TIMEOUT_MS, allowNonZero: true }).catch(() => {});
}

async function containerExists(podman: Podman, name: string, signal?: AbortSignal): Promise<boolean> {
  const { exitCode } = await podman.run(podman.bin, ['container', 'exists', name], { timeoutMs: PODMAN_QUERY_TIMEOUT_MS, allowNonZero: true, ...(signal ? { signal } : {}) });
  return exitCode === 0;
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

/**
 * Run the login container and capture its result. Resolves with what
 * happened (captured / stopped with exit 130 / interrupted by the caller's
 * signal); throws LoginFlowError when nothing usable came out, AuthInputError
 * for a bad name or set, VaultWriteError / AfterStoreError from the store.
 */
export async function runOAuthLogin(env: AuthEnv, req: OAuthFlowRequest, deps: OAuthFlowDeps = {}): Promise<OAuthOutcome> {
  checkCredentialSet(req.credentialSet);
  const roster = effectiveRoster(env.paths);
  const provider = roster.authProviders.get(req.agent);
  if (!provider) throw new AuthInputError(`Unknown auth provider: ${quoteInput(req.agent, { bare: true })}. Available: ${[...roster.authProviders.keys()].join(', ')}`);
  const agent = roster.agents.get(req.agent);
  if (!canExtract(provider)) throw new AuthInputError(`${provider.label} has no login file format Terok Setup knows; store an API key instead`);
  const projectId = req.projectId ?? null;
  // Checks the OAuth mode and device-code support before anything is started.
  const probeRequest: OAuthLoginRequest = { provider, agent, tempDir: '<tmp>', image: '<image>', projectId, deviceAuth: req.deviceAuth, isRealRoot: env.ctx.isRealRoot, tty: req.tty };
  oauthPodmanArgs(probeRequest);
  // A malformed base image (a typo in config.yml's image.base_image, say) is refused before podman is asked.
  checkImageReference(req.baseImage);

  const podman = findPodmanForLogin(env.ctx);
  let image: string;
  try {
    image = deps.resolveImage
      ? await deps.resolveImage(podman, req.baseImage, req.family, env)
      : await ensureLoginImage(podman, req.baseImage, req.family, env, deps.imageBuild);
  } catch (err) {
    // Ctrl-C while the login image builds: the same outcome as during the login.
    if (err instanceof ImageBuildError && err.code === 'cancelled') return { status: 'interrupted' };
    throw err;
  }
  const name = authContainerName(provider.name, projectId);
  if (await containerExists(podman, name, env.signal)) {
    env.log(`Removing existing auth container: ${name}`);
    await removeContainer(podman, name);
  }

  const tempDir = mkdtempSync(path.join(deps.tmpRoot ?? os.tmpdir(), `terok-auth-${provider.name}-`));
  try {
    const login: OAuthLoginRequest = { ...probeRequest, tempDir, image };
    for (const line of oauthBanner(login)) env.log(line);
    const args = oauthPodmanArgs(login);
    const timeoutMs = deps.loginTimeoutMs ?? LOGIN_TIMEOUT_MS;
    let exitCode: number;
    try {
      ({ exitCode } = await podman.run(podman.bin, args, {
        timeoutMs, inheritStdio: true, allowNonZero: true, ...(env.signal ? { signal: env.signal } : {}),
      }));
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      if (err.reason === 'cancelled') return { status: 'interrupted' };
      if (err.reason === 'timeout') {
        throw new LoginFlowError('timeout', `Auth failed: the login did not finish within ${minutes(timeoutMs)}; the container was stopped and nothing was stored. Run the login again when you are ready to complete it.`, { command: [podman.bin, ...args] });
      }
      throw new LoginFlowError('login-failed', `Auth failed: ${err.message}`, { command: [podman.bin, ...args] });
    }
    if (env.signal?.aborted) return { status: 'interrupted' };
    if (exitCode === EXIT_STOPPED) return { status: 'stopped' };
    if (exitCode !== 0) {
      const why = exitCode === 125 ? ' (podman could not start the container: see its message above)' : exitCode === 127 ? ` (the login command was not found in ${image})` : '';
      throw new LoginFlowError('login-failed', `Auth failed: the login container exited with code ${exitCode}${why}; nothing was stored.`, { command: [podman.bin, ...args], exitCode });
    }

    let record;
    try {
      record = extractCredential(provider, tempDir);
    } catch (err) {
      if (!(err instanceof ExtractionError)) throw err;
      throw new LoginFlowError('extract', `${err.message}; nothing was stored.`, { filesFound: err.filesFound });
    }
    const stored = await storeCapturedCredential(env, provider.name, req.credentialSet, record);
    const post = applyPostCaptureState(provider, agent?.spec.auth?.post_capture_state, env.mountsDir);
    for (const file of post.written) { stored.files.push(file); env.log(`Updated ${file}`); }
    return { status: 'captured', stored, warnings: post.warnings };
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
    await removeContainer(podman, name);
  }
}

/**
 * terok runs write_vault_config after every `auth`, also when the login was
 * stopped or interrupted: the patch follows the type of what is stored (an
 * earlier API key keeps its API-key config), else the route's declared type.
 * Returns the path written, or null when the provider has no patch; a vault
 * that cannot be read or a refused path becomes a warning line.
 */
export async function writeVaultConfigAfterLogin(env: AuthEnv, agent: string, credentialSet: string): Promise<{ path: string | null; warning?: string }> {
  const roster = effectiveRoster(env.paths);
  const provider = roster.authProviders.get(agent);
  if (!provider) return { path: null };
  let storedType: string | null = null;
  try {
    storedType = await withWritableVault(env.ctx, env.paths, env.config, (db) => credentialTypeOf(db.loadCredential(credentialSet, provider.credentialProvider)), env.signal);
  } catch (err) {
    return { path: null, warning: `The vault config for ${agent} was not checked: ${(err as Error).message}` };
  }
  try {
    const written = writeVaultConfig({ roster, name: agent, mountsDir: env.mountsDir, storedType, transport: vaultTransportOf(env.config) });
    if (written) env.log(`Vault config written to ${written}`);
    return { path: written };
  } catch (err) {
    return { path: null, warning: `The vault config for ${agent} was not written: ${(err as Error).message}` };
  }
}
