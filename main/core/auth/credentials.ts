/**
 * Storing agent credentials in the vault and pointing the agent's shared
 * config mount at it (terok-executor spec §6.3–§6.7): the API-key path, the
 * capture of a finished login, the phantom files, the vault config patch.
 *
 * Secrets (the API key, captured tokens) go into the DB and nowhere else:
 * not into log lines, results or error messages.
 */
import type { HostContext } from '../host/context.ts';
import type { TerokConfig } from '../host/config.ts';
import type { TerokPaths } from '../host/paths.ts';
import { authenticatableNames, credentialProviderFor, effectiveRoster } from '../roster/auth-map.ts';
import type { AuthProvider, Roster } from '../roster/model.ts';
import { withWritableVault } from '../vault/vault-writer.ts';
import type { CredentialRecord } from './extract.ts';
import { writePhantomFile } from './phantom.ts';
import { vaultTransportOf, writeVaultConfig } from './vault-config.ts';
import { SetupError } from '../errors.ts';
import { looksLikeSecret, quoteInput } from '../validate.ts';

/** Bad input from a user or the renderer; the message is safe to show as is. */
export class AuthInputError extends SetupError {
  constructor(message: string) {
    super('invalid-params', message);
  }
}

/** Something after the store failed; the credential itself is stored. */
export class AfterStoreError extends SetupError {
  constructor(message: string) {
    super('after-store', message);
  }
}

export interface AuthEnv {
  ctx: HostContext;
  paths: TerokPaths;
  config: TerokConfig;
  /** Where the shared agent-config mounts live (override or the global one). */
  mountsDir: string;
  signal?: AbortSignal;
  /** Progress lines for the user; never given a secret. */
  log(line: string): void;
}

export const CREDENTIAL_SET_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const DEFAULT_CREDENTIAL_SET = 'default';

/**
 * A credential set name as the DB keys it. One that looks like a key or
 * token is refused (and not echoed): it is a key pasted into the wrong
 * field, and would otherwise become a row name, a log line and a message.
 */
export function checkCredentialSet(set: string): string {
  if (looksLikeSecret(set)) {
    throw new AuthInputError('The credential set name looks like an API key or token, so it is not shown and nothing was stored; put the key in the API key field and use a set name like default.');
  }
  if (!CREDENTIAL_SET_PATTERN.test(set) || set.length > 64) {
    throw new AuthInputError(`${quoteInput(set)} is not a valid credential set name: use letters, digits, '.', '_' and '-' (at most 64), e.g. default`);
  }
  return set;
}

/**
 * The longest API key stored. Real keys are well under 300 characters; the
 * bound leaves room for JWT-style keys and refuses a pasted file (a 1 MiB
 * "key" would be stored, sent in every request header and rejected).
 */
export const MAX_API_KEY_LENGTH = 4096;
export const API_KEY_TOO_LONG = `The API key is longer than ${MAX_API_KEY_LENGTH} characters, so it is not a single key (a whole file or several keys pasted?); nothing was stored. Paste exactly one key.`;

/**
 * The pasted key without surrounding whitespace. Whitespace or control
 * characters inside it mean a bad paste (two keys, a wrapped line), which
 * would break the Authorization header, so they are refused — without
 * echoing the key.
 */
export function normalizeApiKey(raw: string): string {
  const key = raw.trim();
  if (!key) throw new AuthInputError('API key cannot be empty.');
  if (key.length > MAX_API_KEY_LENGTH) throw new AuthInputError(API_KEY_TOO_LONG);
  if (/[\s\p{Cc}]/u.test(key)) {
    throw new AuthInputError('The API key contains spaces, line breaks or control characters inside it; paste exactly one key on a single line.');
  }
  return key;
}

/** The auth provider for an entry name; unknown or not authenticatable → terok's message. */
export function authProviderFor(paths: TerokPaths, roster: Pick<Roster, 'authProviders'>, name: string): AuthProvider {
  const provider = roster.authProviders.get(name);
  if (!provider) throw new AuthInputError(`Unknown provider: ${quoteInput(name, { bare: true })}. Available: ${authenticatableNames(paths).join(', ')}`);
  return provider;
}

/** Apply the provider's vault config patch; failures say the credential itself is stored. */
function patchVaultConfig(env: AuthEnv, roster: Roster, name: string, storedType: string | null, stored: string): string | null {
  try {
    const written = writeVaultConfig({ roster, name, mountsDir: env.mountsDir, storedType, transport: vaultTransportOf(env.config) });
    if (written) env.log(`Vault config written to ${written}`);
    return written;
  } catch (err) {
    throw new AfterStoreError(`${stored}, but the vault config for ${name} was not written: ${(err as Error).message}`);
  }
}

/** §6.3: a record without `type` counts as an API key unless it has an access token; null when nothing is stored. */
export function credentialTypeOf(record: Record<string, unknown> | null | undefined): string | null {
  if (!record) return null;
  if (typeof record.type === 'string' && record.type) return record.type;
  return 'access_token' in record ? 'oauth' : 'api_key';
}

export interface StoredCredential {
  agent: string;
  /** DB key the credential is stored under (anthropic for claude …). */
  provider: string;
  credentialSet: string;
  credentialType: string;
  /** Files written into the shared mount (phantom, vault config). */
  files: string[];
}

export interface ApiKeyRequest {
  agent: string;
  credentialSet: string;
  apiKey: string;
}

/** terok's `auth <name> --api-key`: store `{"type":"api_key","key":…}`, then patch the vault config. */
export async function storeApiKey(env: AuthEnv, req: ApiKeyRequest): Promise<StoredCredential> {
  const credentialSet = checkCredentialSet(req.credentialSet);
  const roster = effectiveRoster(env.paths);
  authProviderFor(env.paths, roster, req.agent);
  const key = normalizeApiKey(req.apiKey);
  const provider = credentialProviderFor(env.paths, req.agent);
  await withWritableVault(env.ctx, env.paths, env.config, (db) => db.storeCredential(credentialSet, provider, { type: 'api_key', key }), env.signal);
  const stored = `API key stored for ${provider} (set: ${credentialSet})`;
  env.log(stored);
  const config = patchVaultConfig(env, roster, req.agent, 'api_key', stored);
  return { agent: req.agent, provider, credentialSet, credentialType: 'api_key', files: config ? [config] : [] };
}

/**
 * After a login: store the extracted record, write the phantom file for
 * claude/codex OAuth, then patch the vault config.
 */
export async function storeCapturedCredential(env: AuthEnv, agent: string, credentialSet: string, record: CredentialRecord): Promise<StoredCredential> {
  checkCredentialSet(credentialSet);
  const roster = effectiveRoster(env.paths);
  const auth = authProviderFor(env.paths, roster, agent);
  const provider = auth.credentialProvider;
  await withWritableVault(env.ctx, env.paths, env.config, (db) => db.storeCredential(credentialSet, provider, record), env.signal);
  const stored = `Credentials captured for ${agent} (set: ${credentialSet})`;
  env.log(stored);
  const files: string[] = [];
  try {
    const phantom = writePhantomFile(auth, record, env.mountsDir);
    if (phantom) {
      files.push(phantom.path);
      for (const m of phantom.messages) env.log(m);
    }
  } catch (err) {
    throw new AfterStoreError(`${stored}, but the shared ${auth.label} config mount was not updated: ${(err as Error).message}`);
  }
  const config = patchVaultConfig(env, roster, agent, record.type, stored);
  if (config) files.push(config);
  return { agent, provider, credentialSet, credentialType: record.type, files };
}
