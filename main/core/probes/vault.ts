import { resolvePassphrase } from '../vault/passphrase.ts';
import { readVault } from '../vault/vault-access.ts';
import { credentialProviderFor } from '../roster/auth-map.ts';
import { DEFAULT_SSH_SCOPE, type Probe, type ProbeEnv } from './types.ts';

const passphraseOf = (env: ProbeEnv) =>
  env.memo('vault-passphrase', () => resolvePassphrase(env.ctx, env.paths, env.config, env.signal));

export const probeCredentials: Probe = async (env) => {
  const { provider, credentialSet } = env.settings;
  const name = `${provider} credentials`;
  const credentialProvider = credentialProviderFor(env.paths, provider);
  const read = await readVault(env.ctx, env.paths, env.config, (db) => db.loadCredential(credentialSet, credentialProvider), { passphrase: passphraseOf(env) });
  const facts = { provider, credentialProvider, credentialSet, dbPath: env.paths.credentialDb, vault: read.status === 'unavailable' ? { status: read.status, reason: read.reason } : { status: read.status, source: read.source } };
  if (read.status === 'unavailable') return { result: { name, ok: false, message: 'credential database unavailable' }, facts };
  if (read.status === 'ok' && read.value && Object.keys(read.value).length > 0) {
    return { result: { name, ok: true, message: 'stored' }, facts: { ...facts, credentialType: typeof read.value.type === 'string' ? read.value.type : 'api_key' } };
  }
  return { result: { name, ok: false, message: 'not found' }, facts };
};

export const probeSshKey: Probe = async (env) => {
  const scope = DEFAULT_SSH_SCOPE;
  const read = await readVault(env.ctx, env.paths, env.config, (db) => db.listSshKeysForScope(scope), { passphrase: passphraseOf(env) });
  if (read.status === 'unavailable') {
    return { result: { name: 'ssh key', ok: false, message: 'credential database unavailable' }, facts: { scope, reason: read.reason } };
  }
  const keys = read.status === 'ok' ? read.value : [];
  const facts = { scope, keys: keys.map((k) => ({ keyType: k.key_type, fingerprint: k.fingerprint, comment: k.comment })) };
  if (keys.length) return { result: { name: 'ssh key', ok: true, message: `${keys.length} key(s) registered for '${scope}'` }, facts };
  return { result: { name: 'ssh key', ok: false, message: `none registered for '${scope}'` }, facts };
};
