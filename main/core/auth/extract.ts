/**
 * Turning what a provider's own login left in its config directory into the
 * record the vault stores (terok-executor spec §6.3). Each tool has its own
 * file format; a file that is missing, unparseable or lacks the secret is an
 * ExtractionError that lists what the directory did contain, so the user can
 * see what the login produced. Error texts never quote file contents.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { AuthProvider } from '../roster/model.ts';
import { SetupError } from '../errors.ts';

export type CredentialRecord = Record<string, unknown> & { type: string };

export class ExtractionError extends SetupError {
  /** Relative paths found in the directory (at most MAX_LISTED). */
  readonly filesFound: string[];

  constructor(message: string, filesFound: string[]) {
    super('extract', message);
    this.filesFound = filesFound;
  }
}

const MAX_LISTED = 20;

/** Up to 20 regular files under `dir`, relative, sorted; symlinks are listed but not followed. */
export function listFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(path.join(dir, rel)).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (found.length >= MAX_LISTED) return;
      const relPath = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path.join(dir, relPath));
      if (st.isDirectory()) walk(relPath);
      else found.push(relPath);
    }
  };
  walk('');
  return found;
}

/** Reads `file` in `dir` without following symlinks out of it; null when absent. */
function readIn(dir: string, file: string): string | null {
  const p = path.join(dir, file);
  try {
    if (!lstatSync(p).isFile()) return null;
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

class Source {
  readonly dir: string;
  readonly label: string;

  constructor(dir: string, label: string) {
    this.dir = dir;
    this.label = label;
  }

  fail(message: string): never {
    throw new ExtractionError(`${this.label}: ${message}`, listFiles(this.dir));
  }

  json(file: string): Record<string, unknown> | null {
    const text = readIn(this.dir, file);
    if (text === null) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.fail(`${file} is not valid JSON`);
    }
    if (!isObject(parsed)) this.fail(`${file} does not hold a JSON object`);
    return parsed;
  }

  yaml(file: string): Record<string, unknown> | null {
    const text = readIn(this.dir, file);
    if (text === null) return null;
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch {
      this.fail(`${file} is not valid YAML`);
    }
    if (!isObject(parsed)) this.fail(`${file} does not hold a YAML mapping`);
    return parsed;
  }

  text(file: string): string | null {
    return readIn(this.dir, file);
  }
}

const apiKeyRecord = (key: string): CredentialRecord => ({ type: 'api_key', key: key.trim() });

/** Claude: `.credentials.json` → claudeAiOauth; else `config.json` api_key. */
function extractClaude(src: Source): CredentialRecord {
  const creds = src.json('.credentials.json');
  const oauth = creds?.claudeAiOauth;
  if (isObject(oauth)) {
    if (!nonEmptyString(oauth.accessToken)) src.fail('.credentials.json has no claudeAiOauth.accessToken');
    return {
      type: 'oauth',
      access_token: oauth.accessToken,
      refresh_token: typeof oauth.refreshToken === 'string' ? oauth.refreshToken : '',
      // Claude writes milliseconds; the vault's refresher compares epoch seconds (values that are already seconds stay).
      expires_at: typeof oauth.expiresAt === 'number' ? (oauth.expiresAt > 1e12 ? Math.floor(oauth.expiresAt / 1000) : oauth.expiresAt) : null,
      scopes: Array.isArray(oauth.scopes) ? oauth.scopes : [],
      subscription_type: oauth.subscriptionType ?? null,
      rate_limit_tier: oauth.rateLimitTier ?? null,
    };
  }
  const config = src.json('config.json');
  if (nonEmptyString(config?.api_key)) return apiKeyRecord(config.api_key);
  return src.fail('no OAuth login found (.credentials.json with claudeAiOauth) and no api_key in config.json');
}

/** Codex: `auth.json` → tokens (OAuth), else a live OPENAI_API_KEY. */
function extractCodex(src: Source): CredentialRecord {
  const auth = src.json('auth.json');
  if (!auth) return src.fail('auth.json was not written — the login did not complete');
  const tokens = auth.tokens;
  if (isObject(tokens)) {
    if (!nonEmptyString(tokens.access_token)) src.fail('auth.json has no tokens.access_token');
    const record: CredentialRecord = { type: 'oauth', access_token: tokens.access_token, refresh_token: typeof tokens.refresh_token === 'string' ? tokens.refresh_token : '' };
    if (nonEmptyString(tokens.id_token)) record.id_token = tokens.id_token;
    if (nonEmptyString(tokens.account_id)) record.account_id = tokens.account_id;
    return record;
  }
  if (nonEmptyString(auth.OPENAI_API_KEY)) return apiKeyRecord(auth.OPENAI_API_KEY);
  return src.fail('auth.json has neither tokens nor OPENAI_API_KEY');
}

/** gh: `hosts.yml`, github.com preferred; the token sits on the host or under its users. */
function extractGh(src: Source): CredentialRecord {
  const hosts = src.yaml('hosts.yml');
  if (!hosts) return src.fail('hosts.yml was not written — the login did not complete');
  const tokenOf = (entry: unknown): string | null => {
    if (!isObject(entry)) return null;
    if (nonEmptyString(entry.oauth_token)) return entry.oauth_token;
    if (isObject(entry.users)) {
      for (const user of Object.values(entry.users)) if (isObject(user) && nonEmptyString(user.oauth_token)) return user.oauth_token;
    }
    return null;
  };
  const names = Object.keys(hosts);
  for (const host of ['github.com', ...names.filter((n) => n !== 'github.com')]) {
    const token = tokenOf(hosts[host]);
    if (token) return { type: 'oauth_token', token, host };
  }
  return src.fail('hosts.yml has no oauth_token for any host');
}

/** glab: `config.yml` hosts.<host>.token, gitlab.com preferred. */
function extractGlab(src: Source): CredentialRecord {
  const config = src.yaml('config.yml');
  if (!config) return src.fail('config.yml was not written — the login did not complete');
  const hosts = isObject(config.hosts) ? config.hosts : {};
  const names = Object.keys(hosts);
  for (const host of ['gitlab.com', ...names.filter((n) => n !== 'gitlab.com')]) {
    const entry = hosts[host];
    if (isObject(entry) && nonEmptyString(entry.token)) return { type: 'pat', token: entry.token, host };
  }
  return src.fail('config.yml has no hosts.<host>.token');
}

/** `.env` value of one variable (optional `export`, optional quotes). */
export function dotenvValue(text: string, name: string): string | null {
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m || m[1] !== name) continue;
    let value = m[2]!;
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, '');
    return value;
  }
  return null;
}

/** vibe: `.env` MISTRAL_API_KEY. */
function extractVibe(src: Source): CredentialRecord {
  const env = src.text('.env');
  const key = env === null ? null : dotenvValue(env, 'MISTRAL_API_KEY');
  if (!nonEmptyString(key)) return src.fail('.env has no MISTRAL_API_KEY');
  return apiKeyRecord(key);
}

/** Harness providers (blablador, kisski, openrouter): `config.json` api_key. */
function extractConfigJsonApiKey(src: Source): CredentialRecord {
  const config = src.json('config.json');
  if (!nonEmptyString(config?.api_key)) return src.fail('config.json has no api_key');
  return apiKeyRecord(config.api_key);
}

const EXTRACTORS: Readonly<Record<string, (src: Source) => CredentialRecord>> = {
  claude: extractClaude,
  codex: extractCodex,
  gh: extractGh,
  glab: extractGlab,
  vibe: extractVibe,
};

/** Whether a login directory for this provider can be captured at all. */
export function canExtract(provider: Pick<AuthProvider, 'name' | 'synthesized'>): boolean {
  return provider.name in EXTRACTORS || provider.synthesized;
}

/** The record to store for what the login wrote into `dir`. */
export function extractCredential(provider: Pick<AuthProvider, 'name' | 'label' | 'synthesized'>, dir: string): CredentialRecord {
  const src = new Source(dir, `Could not read the ${provider.label} login`);
  const extractor = EXTRACTORS[provider.name] ?? (provider.synthesized ? extractConfigJsonApiKey : null);
  if (!extractor) return src.fail(`${provider.name} has no login file format Terok Setup knows; store an API key instead`);
  return extractor(src);
}
