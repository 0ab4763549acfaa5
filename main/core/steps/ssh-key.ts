/** The gate SSH key: optional; without it git push through the gate does not work. */
import { DEFAULT_SSH_SCOPE } from '../settings.ts';
import { publicLineOf } from '../vault/ssh-keys.ts';
import type { VaultProblem } from '../vault/vault-access.ts';
import { defineStep, type Probed } from './descriptor.ts';
import { closedVaultHeadline, vaultProblemStatus, vaultSnapshotOf } from './probe-env.ts';
import { vaultPrerequisite } from './vault.ts';

export interface SshKeyFacts {
  scope: string;
  /** publicLine: what to register as a deploy key (public only). */
  keys: { keyType: string; fingerprint: string; comment: string; publicLine: string }[];
  /** Why the vault could not be read (null when it was). */
  vaultProblem?: VaultProblem | null;
  reason: string | null;
}

export const sshKeyStep = defineStep({
  id: 'ssh',
  title: 'SSH key',
  requirement: 'optional',
  gate: 'terok-preflight',
  dependsOn: ['podman'],
  cost: 'key-derivation',
  about: "Terok's Git gate signs pushes with an SSH key that stays in the encrypted vault on this computer.",
  checkName: () => 'ssh key',
  async probe(env): Promise<Probed<SshKeyFacts>> {
    const scope = DEFAULT_SSH_SCOPE;
    const read = await vaultSnapshotOf(env);
    if (read.status === 'unavailable') {
      // terok's line, byte for byte, whatever the cause; the status and facts tell the causes apart.
      return {
        result: { name: 'ssh key', ok: false, message: 'credential database unavailable' },
        status: vaultProblemStatus(read.problem),
        facts: { scope, keys: [], vaultProblem: read.problem, reason: read.reason },
      };
    }
    const keys = read.status === 'ok' ? read.value.sshKeys : [];
    const facts = {
      scope, vaultProblem: null, reason: null,
      keys: keys.map((k) => ({ keyType: k.key_type, fingerprint: k.fingerprint, comment: k.comment, publicLine: publicLineOf(k.key_type, Buffer.from(k.public_blob), k.comment) })),
    };
    if (keys.length) return { result: { name: 'ssh key', ok: true, message: `${keys.length} key(s) registered for '${scope}'` }, status: 'ok', facts };
    return { result: { name: 'ssh key', ok: false, message: `none registered for '${scope}'` }, status: 'missing', facts };
  },
  unmet: () => ({ stream: 'stdout', lines: ["      Without a gate SSH key, git push via the gate won't work."] }),
  explain({ status, facts }) {
    const keys = facts.keys.map((k) => ({ label: k.keyType, value: `${k.fingerprint} ${k.comment}`.trim() }));
    if (status === 'ok') {
      const commands = facts.keys.map((k) => ({ label: `Public key line (${k.keyType})`, command: k.publicLine }));
      return { headline: 'Your gate key is in the vault. Register its public line as a deploy key where you push.', details: keys, commands };
    }
    if (facts.vaultProblem) return { headline: closedVaultHeadline(facts.vaultProblem, 'keys cannot be read or generated'), prerequisite: vaultPrerequisite(facts.vaultProblem) };
    return { headline: "Without a gate SSH key, git push via the gate won't work." };
  },
  fix: {
    offer: () => 'Generate an SSH key for gate signing?',
    action: 'Generate SSH key',
    tasks: ['ssh.generate'],
    plan: () => ({ run: [{ task: 'ssh.generate', params: {} }] }),
    terok: {
      logIndent: '  ',
      failed: (f) => ['failure' in f ? `  SSH key generation failed: ${f.failure.message}` : '  SSH key generation failed'],
    },
  },
});
