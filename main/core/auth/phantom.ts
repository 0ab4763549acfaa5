/**
 * Phantom credential files (terok-executor spec §6.7). After an OAuth capture
 * the real tokens live only in the vault; the shared mount gets a stand-in
 * that makes the tool believe it is logged in while every request carries a
 * static marker the vault swaps for the real token. Written in Python's
 * `json.dumps(indent=2)` form plus a newline, so the bytes match terok's and
 * its leak scanner recognises them as benign.
 */
import { pythonJsonDumps } from '../host/python-json.ts';
import type { AuthProvider } from '../roster/model.ts';
import type { CredentialRecord } from './extract.ts';
import { mountFilePath, writeMountFile } from './mount-files.ts';

export const CLAUDE_PHANTOM_TOKEN = 'terok-proxy-phantom-token:vault-handles-real-auth';
export const CODEX_OAUTH_MARKER = 'terok-proxy-codex-oauth-marker:vault-handles-real-auth';
export const CODEX_PHANTOM_LAST_REFRESH = '9999-01-01T00:00:00Z';
/** The only claims of OpenAI's auth namespace the phantom id_token keeps. */
const OPENAI_AUTH_CLAIM = 'https://api.openai.com/auth';
const KEPT_OPENAI_CLAIMS = ['chatgpt_plan_type', 'chatgpt_account_id'];

type Json = string | number | boolean | null | Json[] | Map<string, Json>;

function toJson(value: unknown): Json {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') return new Map(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return value as Json;
}

const pythonJsonFile = (doc: Map<string, Json>): string => pythonJsonDumps(doc, 2) + '\n';

export function claudePhantomContent(record: CredentialRecord): string {
  return pythonJsonFile(new Map<string, Json>([
    ['claudeAiOauth', new Map<string, Json>([
      ['accessToken', CLAUDE_PHANTOM_TOKEN],
      ['refreshToken', ''],
      ['expiresAt', null],
      ['scopes', toJson(record.scopes ?? [])],
      ['subscriptionType', toJson(record.subscription_type)],
      ['rateLimitTier', toJson(record.rate_limit_tier)],
    ])],
  ]));
}

function decodeJwtPayload(token: unknown): Record<string, unknown> {
  if (typeof token !== 'string') return {};
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * An unsigned (`alg: none`) id_token carrying only the email and the plan /
 * account claims Codex shows, so nothing else of the real token reaches the
 * container. The signature segment is a fixed non-empty placeholder because
 * Codex rejects tokens with an empty third segment.
 */
export function syntheticIdToken(realIdToken: unknown, accountId?: unknown): string {
  const real = decodeJwtPayload(realIdToken);
  const claims: Record<string, unknown> = {};
  if (typeof real.email === 'string') claims.email = real.email;
  const auth = real[OPENAI_AUTH_CLAIM];
  const kept: Record<string, unknown> = {};
  if (typeof auth === 'object' && auth !== null) {
    for (const k of KEPT_OPENAI_CLAIMS) if (k in auth) kept[k] = (auth as Record<string, unknown>)[k];
  }
  if (kept.chatgpt_account_id === undefined && typeof accountId === 'string') kept.chatgpt_account_id = accountId;
  if (Object.keys(kept).length) claims[OPENAI_AUTH_CLAIM] = kept;
  const segment = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
  return `${segment({ alg: 'none', typ: 'JWT' })}.${segment(claims)}.${Buffer.from('unsigned').toString('base64url')}`;
}

export function codexPhantomContent(record: CredentialRecord): string {
  const tokens = new Map<string, Json>([
    ['id_token', syntheticIdToken(record.id_token, record.account_id)],
    ['access_token', CODEX_OAUTH_MARKER],
    ['refresh_token', CODEX_OAUTH_MARKER],
  ]);
  if (typeof record.account_id === 'string') tokens.set('account_id', record.account_id);
  return pythonJsonFile(new Map<string, Json>([
    ['OPENAI_API_KEY', null],
    ['tokens', tokens],
    ['last_refresh', CODEX_PHANTOM_LAST_REFRESH],
  ]));
}

const PHANTOMS: Readonly<Record<string, { file: string; content: (r: CredentialRecord) => string; message: string[] }>> = {
  claude: {
    file: '.credentials.json',
    content: claudePhantomContent,
    message: ['Subscription metadata written to shared Claude config mount.', 'Claude calls go through the vault; the real tokens stay in the credential database.'],
  },
  codex: {
    file: 'auth.json',
    content: codexPhantomContent,
    message: ['Phantom auth.json written to shared Codex config mount.'],
  },
};

export interface PhantomWritten {
  path: string;
  messages: string[];
}

/** Write the phantom for an OAuth record of claude or codex; null for everything else. */
export function writePhantomFile(provider: Pick<AuthProvider, 'name' | 'hostDir'>, record: CredentialRecord, mountsDir: string): PhantomWritten | null {
  const phantom = PHANTOMS[provider.name];
  if (!phantom || record.type !== 'oauth') return null;
  const target = mountFilePath(mountsDir, provider.hostDir, phantom.file);
  writeMountFile(target, phantom.content(record));
  return { path: target, messages: phantom.message };
}
