import { readVault } from '../vault/vault-access.ts';
import { credentialProviderFor } from '../roster/auth-map.ts';
import { DEFAULT_SSH_SCOPE, type Probe, type ProbeEnv } from './types.ts';

/**
 * One DB open per sweep, shared by both probes: opening costs a full
 * PBKDF2 key derivation (SQLCipher 4: 256 000 rounds, ~¼ s) and runs on the
 * calling thread, so two opens would serialise and double the sweep.
 */
export const vaultSnapshotOf = (env: ProbeEnv) =>
  env.memo('vault-snapshot', () => {
    const credentialProvider = credentialProviderFor(env.paths, env.settings.provider);
    return readVault(env.ctx, env.paths, env.config, (db) => ({
      // A pre-v3 DB (not yet opened by a writer) still keys rows by agent name (claude, not anthropic).
      credential: db.loadCredential(env.settings.credentialSet, credentialProvider)
        ?? (db.schemaVersion() < 3 ? db.loadCredential(env.settings.credentialSet, env.settings.provider) : null),
      sshKeys: db.listSshKeysForScope(DEFAULT_SSH_SCOPE),
    }), { signal: env.signal });
  });

export const probeCredentials: Probe = async (env) => {
  const { provider, credentialSet } = env.settings;
  const name = `${provider} credentials`;
  const credentialProvider = credentialProviderFor(env.paths, provider);
  const read = await vaultSnapshotOf(env);
  const facts = { provider, credentialProvider, credentialSet, dbPath: env.paths.credentialDb, vault: read.status === 'unavailable' ? { status: read.status, reason: read.reason } : { status: read.status, source: read.source } };
  if (read.status === 'unavailable') return { result: { name, ok: false, message: 'credential database unavailable' }, facts };
  const stored = read.status === 'ok' ? read.value.credential : null;
  if (stored && Object.keys(stored).length > 0) {
    return { result: { name, ok: true, message: 'stored' }, facts: { ...facts, credentialType: typeof stored.type === 'string' ? stored.type : 'api_key' } };
  }
  return { result: { name, ok: false, message: 'not found' }, facts };
};

export const probeSshKey: Probe = async (env) => {
  const scope = DEFAULT_SSH_SCOPE;
  const read = await vaultSnapshotOf(env);
  if (read.status === 'unavailable') {
    return { result: { name: 'ssh key', ok: false, message: 'credential database unavailable' }, facts: { scope, reason: read.reason } };
  }
  const keys = read.status === 'ok' ? read.value.sshKeys : [];
  const facts = { scope, keys: keys.map((k) => ({ keyType: k.key_type, fingerprint: k.fingerprint, comment: k.comment })) };
  if (keys.length) return { result: { name: 'ssh key', ok: true, message: `${keys.length} key(s) registered for '${scope}'` }, facts };
  return { result: { name: 'ssh key', ok: false, message: `none registered for '${scope}'` }, facts };
};
