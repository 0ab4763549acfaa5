import { parseArgs } from 'node:util';
import { generateSshKey } from '../../core/auth/module.ts';
import { DEFAULT_SSH_SCOPE } from '../../core/settings.ts';
import { InvalidScopeError, SSH_KEY_TYPES, type SshKeyType } from '../../core/vault/ssh-keys.ts';
import { EXIT_READY, UsageError, type CliCommand } from '../command.ts';
import { reportAuthFailure } from './auth.ts';

export const sshKeyCommand: CliCommand = {
  name: 'ssh-key',
  summary: 'Create the SSH key terok signs gate pushes with (idempotent)',
  help: `Usage: terok-setup ssh-key [--scope SCOPE] [--type ed25519|rsa]

Make sure the scope has its primary SSH key (comment tk-main:<scope>) in the
credential vault, generating one in memory if there is none, and print its
public line to register as a deploy key. An existing key is shown, not
replaced. The private key never touches the disk outside the vault.

  --scope SCOPE          Key scope (default: standalone)
  --type ed25519|rsa     Type of a new key (default: ed25519; rsa is 3072 bits)
  -h, --help             Show this help

Exit codes: 0 ready, 1 error, 2 usage error or vault locked / no passphrase.`,
  async run(engine, args, io) {
    const { values } = parseArgs({ args, options: { scope: { type: 'string' }, type: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
    if (values.help) { io.out(this.help + '\n'); return EXIT_READY; }
    const keyType = values.type ?? 'ed25519';
    if (!(SSH_KEY_TYPES as readonly string[]).includes(keyType)) throw new UsageError(`--type must be ed25519 or rsa, got '${keyType}'`);
    const scope = values.scope ?? DEFAULT_SSH_SCOPE;
    try {
      const key = await generateSshKey(engine, scope, keyType as SshKeyType);
      io.out(`${key.created ? 'Generated a new' : 'Using the existing'} SSH key for scope '${scope}':\n`);
      io.out(`  type:        ${key.keyType}\n  fingerprint: ${key.fingerprint}\n  comment:     ${key.comment}\n`);
      if (!key.created && values.type && key.keyType !== keyType) io.err(`Note: --type ${keyType} was not used; the scope already has its ${key.keyType} key.\n`);
      io.out(`Public key (register as a deploy key):\n${key.publicLine}\n`);
      return EXIT_READY;
    } catch (err) {
      if (err instanceof InvalidScopeError) throw new UsageError(err.message);
      return reportAuthFailure(err, io);
    }
  },
};
