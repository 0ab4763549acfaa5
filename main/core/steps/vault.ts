/**
 * The vault's state, told apart the way terok's `vault status` tells it and
 * more finely: unlocked (a tier holds the passphrase and the DB opens, or
 * there is no DB yet), not set up (no DB — or a zero-byte one — and no
 * passphrase), locked (the DB exists, no tier gives its passphrase, or a
 * configured tier cannot be read), a passphrase that does not fit, a legacy
 * unencrypted DB, and a file that cannot be a DB at all (damaged, a
 * directory, unreadable, held by another process). Each has its own
 * headline and fix. An unlocked vault whose files other users can read is
 * "degraded", with the chmod commands. A wizard-only check: terok's gate
 * never prints it.
 */
import { RECOVERY_ACK_COMMAND, RECOVERY_REVEAL_COMMAND, type TierChoice } from '../vault/provisioning.ts';
import { unlockChoices } from '../vault/unlock.ts';
import { pendingKey, recoveryConfirmed } from '../vault/recovery-key.ts';
import { checkSecretModes, formatMode, shellWord, type LooseMode } from '../vault/secret-modes.ts';
import type { VaultProblem } from '../vault/vault-access.ts';
import { defineStep, type Explanation, type Probed, type StepStatus } from './descriptor.ts';
import { vaultProblemStatus, vaultSnapshotOf } from './probe-env.ts';

export type VaultState =
  | 'unlocked'
  | 'not-set-up'
  /** No passphrase anywhere, and credentials.db is a zero-byte file: nothing was ever stored in it. */
  | 'empty'
  /** The DB exists; no tier holds its passphrase. */
  | 'locked'
  | Exclude<VaultProblem, 'not-set-up' | 'no-passphrase'>;

export interface VaultFacts {
  state: VaultState;
  /** The tier that holds the passphrase (systemd-creds, keyring, kernel-keyring, passphrase-command). */
  source: string | null;
  dbPath: string;
  /** Something is at the DB path (a zero-byte file, a directory and a damaged file count). */
  dbExists: boolean;
  /** The DB path holds a zero-byte file. */
  dbEmpty: boolean;
  reason: string | null;
  /** Vault entries other users can read, each with its chmod fix. */
  looseModes: LooseMode[];
  /**
   * The recovery key of an unlocked vault: saved (terok's marker), unsaved (this wizard minted it
   * and keeps the pending copy until confirmed) or unconfirmed (no marker, no copy); null otherwise.
   */
  recovery: 'saved' | 'unsaved' | 'unconfirmed' | null;
  /** Only when the recovery key can open it here (locked, or a wrong key in the kernel keyring): where unlock can keep the key (terok's default first). */
  unlockTiers?: TierChoice[];
}

/** The vault line's message (the wizard's and `check --json`'s; terok's gate never prints it). */
const MESSAGES: Record<Exclude<VaultState, 'unlocked'>, string> = {
  'not-set-up': 'not set up',
  empty: 'not set up (empty database file)',
  locked: 'locked',
  'broken-tier': 'locked (passphrase store unreadable)',
  'wrong-passphrase': 'wrong passphrase',
  plaintext: 'unencrypted (legacy database)',
  corrupt: 'damaged database',
  'not-a-file': 'not a database file',
  unreadable: 'unreadable',
  busy: 'busy (held by another process)',
  error: 'unreadable',
};

function stateOf(problem: VaultProblem, dbEmpty: boolean): Exclude<VaultState, 'unlocked'> {
  if (problem === 'not-set-up') return dbEmpty ? 'empty' : 'not-set-up';
  if (problem === 'no-passphrase') return 'locked';
  return problem;
}

const UNLOCK = { label: 'Unlock the vault', command: 'terok-sandbox vault unlock' };
/** Where the page offers its own unlock form, terok's command is the terminal alternative. */
const UNLOCK_IN_TERMINAL = { label: 'Or unlock it in a terminal', command: UNLOCK.command };

/** Where a step that needs the open vault sends the user, by why the vault is closed. */
export function vaultPrerequisite(problem: VaultProblem): NonNullable<Explanation['prerequisite']> {
  if (problem === 'not-set-up' || problem === 'plaintext') return { step: 'sandbox', label: 'Set up the sandbox services' };
  if (problem === 'no-passphrase') return { step: 'vault', label: 'Unlock the vault' };
  return { step: 'vault', label: 'See what is wrong with the vault' };
}
const STATUS = { label: "See terok's view of the vault", command: 'terok-sandbox vault status' };

const RECOVERY_WORDS = { saved: 'saved (confirmed)', unsaved: 'not saved yet', unconfirmed: 'never confirmed as saved' } as const;

/** The headline and commands of each state that is not "unlocked". */
function closedExplanation(state: Exclude<VaultState, 'unlocked'>, facts: VaultFacts): Pick<Explanation, 'headline' | 'commands'> {
  const db = shellWord(facts.dbPath);
  const why = facts.reason ? ` (${facts.reason})` : '';
  switch (state) {
    case 'not-set-up':
      return { headline: 'The vault is not set up yet; installing the sandbox services creates it.' };
    case 'empty':
      return { headline: 'The vault is not set up yet: credentials.db is an empty file (0 bytes), so nothing was ever stored in it and there is nothing to unlock. Installing the sandbox services sets the vault up in its place.' };
    case 'locked':
      return {
        headline: 'The vault is locked: its database exists, but no keyring holds its passphrase (this happens after a reboot on the kernel-keyring tier). Unlock it with your recovery key.',
        commands: [UNLOCK_IN_TERMINAL],
      };
    case 'broken-tier':
      return {
        headline: `The vault is locked: a passphrase store is configured but cannot be read${why}. Fix that store, or unlock the vault with your recovery key.`,
        commands: [STATUS, UNLOCK],
      };
    case 'wrong-passphrase':
      return {
        headline: `The vault does not open: the passphrase from ${facts.source ?? 'its store'} does not fit its database — a different key, a database from another install, or a damaged first page. Nothing was changed. Unlock it with the recovery key that belongs to this database.`,
        commands: [STATUS, UNLOCK],
      };
    case 'plaintext':
      return {
        headline: 'The vault is an unencrypted (legacy) SQLite database. Installing the sandbox services encrypts it in place and keeps a 0600 backup of the original.',
        commands: [{ label: 'Or encrypt it by hand', command: 'terok-sandbox credentials encrypt-db' }],
      };
    case 'corrupt':
      return {
        headline: `The vault's database is damaged or is not a credential database${why}. It was not changed. Keep a copy, then restore it from a backup; as it is, terok cannot read it.`,
        commands: [{ label: 'Keep a copy', command: `cp -p ${db} ${shellWord(`${facts.dbPath}.damaged`)}` }],
      };
    case 'not-a-file':
      return {
        headline: `The vault cannot live here: ${facts.dbPath} is not a database file${why}. Look at what is there (it may hold files you want), then move it out of the way.`,
        commands: [{ label: 'See what is there', command: `ls -la ${db}` }],
      };
    case 'unreadable':
      return {
        headline: `The vault's database cannot be read${why}. It may belong to another user (created with sudo?); make it yours again.`,
        commands: [{ label: 'See who owns it', command: `ls -l ${db}` }, { label: 'Make it yours', command: `sudo chown "$USER": ${db}` }],
      };
    case 'busy':
      return {
        headline: `The vault's database is held by another process (a running terok supervisor?)${why}. Try again when it is done.`,
        commands: [{ label: 'Find the process', command: `fuser -v ${db}` }],
      };
    case 'error':
      return { headline: `The vault could not be read${why}.`, commands: [STATUS] };
  }
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
    const looseModes = checkSecretModes(env.paths);
    const file = read.status === 'ok' ? 'encrypted' : read.file;
    const dbEmpty = file === 'empty';
    const base = { dbPath: env.paths.credentialDb, dbExists: file !== 'absent', dbEmpty, looseModes };
    if (read.status !== 'unavailable') {
      const recovery = recoveryConfirmed(env.paths) ? 'saved' : pendingKey(env.paths) ? 'unsaved' : 'unconfirmed';
      const status: StepStatus = looseModes.length || recovery === 'unsaved' ? 'degraded' : 'ok';
      const notes = [...(looseModes.length ? ['files readable by others'] : []), ...(recovery === 'unsaved' ? ['recovery key not saved'] : [])];
      const message = `unlocked (${read.source})${notes.map((n) => `; ${n}`).join('')}`;
      return { result: { name: 'vault', ok: true, message }, status, facts: { ...base, state: 'unlocked', source: read.source, reason: null, recovery } };
    }
    const state = stateOf(read.problem, dbEmpty);
    // Unlock can help where no durable tier is in the way: nothing holds the key, or the kernel keyring holds a wrong one.
    const unlockable = state === 'locked' || (state === 'wrong-passphrase' && read.source === 'kernel-keyring');
    const unlockTiers = unlockable ? await unlockChoices(env.ctx, env.signal) : null;
    return {
      result: { name: 'vault', ok: false, message: MESSAGES[state] },
      status: vaultProblemStatus(read.problem),
      facts: { ...base, state, source: read.source, reason: read.reason, recovery: null, ...(unlockTiers ? { unlockTiers } : {}) },
    };
  },
  unmet: () => ({ stream: 'stdout', lines: ['      Without an open vault, SSH keys and credentials cannot be used.'] }),
  explain({ facts }) {
    const details = [
      { label: 'Database', value: facts.dbPath },
      ...(facts.source ? [{ label: 'Passphrase from', value: facts.source }] : []),
      ...facts.looseModes.map((l) => ({ label: 'Too open', value: `${l.path} is ${formatMode(l.mode)}, should be ${formatMode(l.want)}` })),
    ];
    const chmods = facts.looseModes.map((l) => ({ label: `Tighten the ${l.what}`, command: l.fix, group: 'File permissions' }));
    if (facts.state === 'unlocked') {
      const stored = !facts.dbExists || facts.dbEmpty ? ` (no credentials stored yet${facts.dbEmpty ? ': its database file is empty' : ''})` : '';
      if (facts.recovery) details.push({ label: 'Recovery key', value: RECOVERY_WORDS[facts.recovery] });
      if (facts.recovery === 'unsaved') {
        return {
          headline: `The vault is unlocked${stored}, but its new recovery key has not been saved yet. Store it in your password manager, then confirm with "I have saved it" — until then Terok Setup keeps a copy on this computer and shows it again.`,
          details,
          ...(chmods.length ? { commands: chmods } : {}),
        };
      }
      // A key no one confirmed saving, which this wizard never had to show: terok's own commands reveal and confirm it.
      const recoveryCommands = facts.recovery === 'unconfirmed'
        ? [{ label: 'Show the recovery key', command: RECOVERY_REVEAL_COMMAND, group: 'Recovery key' }, { label: 'Once saved, confirm it', command: RECOVERY_ACK_COMMAND, group: 'Recovery key' }]
        : [];
      if (!facts.looseModes.length) return { headline: `The vault is unlocked${stored}.`, details, ...(recoveryCommands.length ? { commands: recoveryCommands } : {}) };
      const what = [...new Set(facts.looseModes.map((l) => l.what))].join(', ');
      return {
        headline: `The vault is unlocked${stored}, but other users on this computer can read or list its files (${what}). Tighten them with the commands below; installing the sandbox services again does it too.`,
        details,
        commands: [...chmods, ...recoveryCommands],
      };
    }
    const closed = closedExplanation(facts.state, facts);
    const commands = [...(closed.commands ?? []), ...chmods];
    // Not set up (or a legacy file): the Sandbox page's install creates or encrypts it — link there.
    const setUp = facts.state === 'not-set-up' || facts.state === 'empty' || facts.state === 'plaintext' ? { prerequisite: vaultPrerequisite('not-set-up') } : {};
    return { headline: closed.headline, details, ...(commands.length ? { commands } : {}), ...setUp };
  },
});
