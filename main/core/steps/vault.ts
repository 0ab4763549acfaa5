/**
 * The vault's state, as terok's `vault status` reports it: unlocked (a tier
 * holds the passphrase and the DB opens), locked (the DB exists but no tier
 * gives its passphrase — after a reboot on the kernel-keyring tier, say) or
 * not set up. A wizard-only check: terok's gate never prints it.
 */
import { defineStep, type Probed } from './descriptor.ts';
import { vaultFileExists, vaultSnapshotOf } from './probe-env.ts';

export interface VaultFacts {
  state: 'unlocked' | 'locked' | 'not-set-up';
  /** The tier that holds the passphrase (systemd-creds, keyring, kernel-keyring, passphrase-command). */
  source: string | null;
  dbPath: string;
  dbExists: boolean;
  reason: string | null;
}

export const vaultStep = defineStep({
  id: 'vault',
  title: 'Vault',
  requirement: 'optional',
  gate: 'wizard',
  dependsOn: [],
  cost: 'key-derivation',
  about: 'The vault keeps your SSH key and agent credentials encrypted on this computer. Terok opens it with a passphrase kept in a keyring or credential store.',
  checkName: () => 'vault',
  async probe(env): Promise<Probed<VaultFacts>> {
    const read = await vaultSnapshotOf(env);
    const dbExists = vaultFileExists(env);
    const base = { dbPath: env.paths.credentialDb, dbExists };
    if (read.status !== 'unavailable') {
      return { result: { name: 'vault', ok: true, message: `unlocked (${read.source})` }, status: 'ok', facts: { ...base, state: 'unlocked', source: read.source, reason: null } };
    }
    if (dbExists) return { result: { name: 'vault', ok: false, message: 'locked' }, status: 'locked', facts: { ...base, state: 'locked', source: null, reason: read.reason } };
    return { result: { name: 'vault', ok: false, message: 'not set up' }, status: 'not-set-up', facts: { ...base, state: 'not-set-up', source: null, reason: read.reason } };
  },
  unmet: () => ({ stream: 'stdout', lines: ['      Without an open vault, SSH keys and credentials cannot be used.'] }),
  explain({ status, facts }) {
    const details = [{ label: 'Database', value: facts.dbPath }, ...(facts.source ? [{ label: 'Passphrase from', value: facts.source }] : [])];
    if (status === 'ok') return { headline: `The vault is unlocked${facts.dbExists ? '' : ' (no credentials stored yet)'}.`, details };
    if (status === 'locked') {
      return {
        headline: 'The vault is locked: its database exists, but no keyring holds its passphrase (this happens after a reboot on the kernel-keyring tier). Unlock it with your recovery key.',
        details,
        commands: [{ label: 'Unlock the vault', command: 'terok-sandbox vault unlock' }],
      };
    }
    return { headline: 'The vault is not set up yet; installing the sandbox services creates it.', details };
  },
});
