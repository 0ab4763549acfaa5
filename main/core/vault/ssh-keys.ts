/**
 * The gate-signing SSH key, stored the way terok-sandbox stores it (spec
 * terok-sandbox §4.7, §7; terok-executor §6.5): generated in memory, private
 * key as unencrypted PKCS#8 DER in `ssh_keys`, public key as the SSH wire
 * blob, fingerprint `SHA256:<unpadded base64>`, primary key comment
 * `tk-main:<scope>`, and an assignment row binding it to the scope.
 *
 * The private key never leaves this module except into the DB.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { CredentialDb } from './credential-db.ts';
import { sshFingerprint } from './openssh-key.ts';
import { SetupError } from '../errors.ts';
import { looksLikeSecret, quoteInput } from '../validate.ts';

export type SshKeyType = 'ed25519' | 'rsa';
export const SSH_KEY_TYPES: readonly SshKeyType[] = ['ed25519', 'rsa'];
export const DEFAULT_SSH_KEY_TYPE: SshKeyType = 'ed25519';
export const RSA_KEY_BITS = 3072;
export const PRIMARY_COMMENT_PREFIX = 'tk-main:';
export const MAX_SCOPE_LENGTH = 64;

const USER_SCOPE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const INFRA_SCOPE = /^%[a-z]+$/;

const WIRE_ALGORITHM: Record<SshKeyType, string> = { ed25519: 'ssh-ed25519', rsa: 'ssh-rsa' };

/** What a caller (page, CLI, log) may see about a key: never the private half. */
export interface SshKeyInfo {
  keyId: number;
  keyType: SshKeyType;
  fingerprint: string;
  comment: string;
  /** `<algorithm> <base64 blob> <comment>`, ready for a deploy-key form. */
  publicLine: string;
  /** False when the scope already had a primary key and it was returned as is. */
  created: boolean;
}

export class InvalidScopeError extends SetupError {
  constructor(message: string) {
    super('invalid-params', message);
  }
}

/** The problem with a scope name for a user-facing write, or null when it is fine. */
export function scopeProblem(scope: string): string | null {
  if (scope.length === 0) return 'the SSH key scope is empty';
  if (scope.length > MAX_SCOPE_LENGTH) return `the SSH key scope is longer than ${MAX_SCOPE_LENGTH} characters`;
  // It would become the key's comment, a log line and a page: a pasted key is refused unshown.
  if (looksLikeSecret(scope)) return 'the SSH key scope looks like an API key or token, so it is not shown and no key was made; use a project name';
  if (INFRA_SCOPE.test(scope)) return `${quoteInput(scope)} is reserved for sandbox infrastructure keys; choose a scope without '%'`;
  if (!USER_SCOPE.test(scope)) return `${quoteInput(scope)} is not a valid SSH key scope: use letters, digits, '.', '_' and '-', starting with a letter or digit`;
  return null;
}

/** The scope when it is fine for a user-facing write; throws InvalidScopeError otherwise. Pure: callers run it before the vault is opened. */
export function checkScope(scope: string): string {
  const problem = scopeProblem(scope);
  if (problem) throw new InvalidScopeError(problem);
  return scope;
}

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** RFC 4251 mpint from an unsigned big-endian magnitude. */
function sshMpint(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const needsPad = trimmed.length > 0 && (trimmed[0]! & 0x80) !== 0;
  return sshString(needsPad ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** The SSH wire-format public blob (RFC 4253 §6.6 / RFC 8709). */
export function sshPublicBlob(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (publicKey.asymmetricKeyType === 'ed25519' && jwk.x) {
    return Buffer.concat([sshString(WIRE_ALGORITHM.ed25519), sshString(Buffer.from(jwk.x, 'base64url'))]);
  }
  if (publicKey.asymmetricKeyType === 'rsa' && jwk.n && jwk.e) {
    return Buffer.concat([sshString(WIRE_ALGORITHM.rsa), sshMpint(Buffer.from(jwk.e, 'base64url')), sshMpint(Buffer.from(jwk.n, 'base64url'))]);
  }
  throw new Error(`unsupported SSH key type ${publicKey.asymmetricKeyType ?? 'unknown'}`);
}

export const publicLineOf = (keyType: SshKeyType, publicBlob: Buffer, comment: string): string =>
  `${WIRE_ALGORITHM[keyType]} ${publicBlob.toString('base64')}${comment ? ` ${comment}` : ''}`;

interface GeneratedKey {
  keyType: SshKeyType;
  privateDer: Buffer;
  publicBlob: Buffer;
  fingerprint: string;
}

export function generateSshKey(keyType: SshKeyType): GeneratedKey {
  const { publicKey, privateKey } = keyType === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: RSA_KEY_BITS, publicExponent: 65537 })
    : generateKeyPairSync('ed25519');
  const publicBlob = sshPublicBlob(publicKey);
  return { keyType, privateDer: privateKey.export({ type: 'pkcs8', format: 'der' }), publicBlob, fingerprint: sshFingerprint(publicBlob) };
}

interface StoredKeyRow {
  id: number;
  key_type: SshKeyType;
  public_blob: Buffer;
  fingerprint: string;
  comment: string;
}

function primaryKeyFor(db: CredentialDb, scope: string): StoredKeyRow | undefined {
  // substr rather than LIKE: LIKE is case-insensitive and treats '_' as a wildcard.
  return db.raw.prepare(
    `SELECT k.id, k.key_type, k.public_blob, k.fingerprint, k.comment
       FROM ssh_key_assignments a JOIN ssh_keys k ON k.id = a.key_id
      WHERE a.scope = ? AND substr(k.comment, 1, ?) = ?
      ORDER BY a.assigned_at, k.id LIMIT 1`,
  ).get(scope, PRIMARY_COMMENT_PREFIX.length, PRIMARY_COMMENT_PREFIX) as StoredKeyRow | undefined;
}

const infoOf = (row: StoredKeyRow, created: boolean): SshKeyInfo => ({
  keyId: row.id,
  keyType: row.key_type,
  fingerprint: row.fingerprint,
  comment: row.comment,
  publicLine: publicLineOf(row.key_type, Buffer.from(row.public_blob), row.comment),
  created,
});

/**
 * terok's `SSHManager.init()` with defaults: return the scope's `tk-main:` key
 * if it has one, otherwise mint one, store it and assign it — in one
 * immediate transaction, so two writers cannot both mint a primary key.
 */
export function ensurePrimarySshKey(db: CredentialDb, scope: string, keyType: SshKeyType = DEFAULT_SSH_KEY_TYPE): SshKeyInfo {
  checkScope(scope);
  const existing = primaryKeyFor(db, scope);
  if (existing) return infoOf(existing, false);
  const key = generateSshKey(keyType);
  const comment = `${PRIMARY_COMMENT_PREFIX}${scope}`;
  const mint = db.raw.transaction((): StoredKeyRow => {
    const raced = primaryKeyFor(db, scope);
    if (raced) return raced;
    // Deduplicated by fingerprint, as terok's store_ssh_key (insert-or-ignore, keep the existing row).
    db.raw.prepare('INSERT OR IGNORE INTO ssh_keys (key_type, private_der, public_blob, comment, fingerprint) VALUES (?, ?, ?, ?, ?)')
      .run(key.keyType, key.privateDer, key.publicBlob, comment, key.fingerprint);
    const { id } = db.raw.prepare('SELECT id FROM ssh_keys WHERE fingerprint = ?').get(key.fingerprint) as { id: number };
    db.raw.prepare('INSERT OR IGNORE INTO ssh_key_assignments (scope, key_id) VALUES (?, ?)').run(scope, id);
    return { id, key_type: key.keyType, public_blob: key.publicBlob, fingerprint: key.fingerprint, comment };
  });
  const row = mint.immediate();
  return infoOf(row, row.fingerprint === key.fingerprint);
}
