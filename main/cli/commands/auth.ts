import { parseArgs } from 'node:util';
import { authEnvOf } from '../../core/auth/module.ts';
import { AfterStoreError, AuthInputError, DEFAULT_CREDENTIAL_SET, storeApiKey } from '../../core/auth/credentials.ts';
import { effectiveRoster } from '../../core/roster/auth-map.ts';
import { UNLOCK_HINT, VaultWriteError } from '../../core/vault/vault-writer.ts';
import { EXIT_FAILURE, EXIT_READY, UsageError, type CliCommand, type CliStreams } from '../command.ts';

/** terok's exit code for a locked vault (`terok-executor auth`, spec §7.3). */
export const EXIT_VAULT_LOCKED = 2;

/** Print a vault or input failure the way terok's CLI does; returns the exit code. */
export function reportAuthFailure(err: unknown, io: CliStreams): number {
  if (err instanceof VaultWriteError) {
    io.err(`Error: ${err.message}\n`);
    if (err.code !== 'vault-locked') io.err(`hint:  ${UNLOCK_HINT}.\n`);
    return EXIT_VAULT_LOCKED;
  }
  if (err instanceof AuthInputError || err instanceof AfterStoreError) {
    io.err(`${err.message}\n`);
    return EXIT_FAILURE;
  }
  throw err;
}

async function readKey(values: { 'api-key'?: string; 'api-key-stdin'?: boolean }, label: string, io: CliStreams): Promise<string | null> {
  if (values['api-key'] !== undefined) {
    io.err('Note: a key given on the command line can be seen in the process list and shell history; --api-key-stdin avoids that.\n');
    return values['api-key'];
  }
  if (values['api-key-stdin']) {
    if (!io.readAll) throw new UsageError('--api-key-stdin is not available here');
    return io.readAll();
  }
  if (!io.stdinIsTty) throw new UsageError('no API key given: pass --api-key-stdin (and pipe the key in) or --api-key KEY');
  io.err('(The key is shown while you type; pipe it into --api-key-stdin to avoid that.)\n');
  return io.readLine(`${label} API key: `);
}

export const authCommand: CliCommand = {
  name: 'auth',
  summary: 'Store an API key for an agent or tool in the credential vault',
  help: `Usage: terok-setup auth <agent> [--api-key KEY | --api-key-stdin] [--credential-set SET]

Store an API key in terok's credential vault under the agent's provider
(claude → anthropic, codex → openai …) and point the agent's shared config
mount at the vault. Without a key option, asks for it on the terminal.
OAuth logins: use the Credentials page of the Terok Setup app, or
terok-executor auth <agent>.

  --api-key KEY          The key (visible in the process list; prefer the next)
  --api-key-stdin        Read the key from standard input
  --credential-set SET   Credential set to store into (default: default)
  -h, --help             Show this help

Exit codes: 0 stored, 1 error (empty key, unknown provider …),
2 usage error or vault locked / no passphrase.`,
  async run(engine, args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { 'api-key': { type: 'string' }, 'api-key-stdin': { type: 'boolean' }, 'credential-set': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) { io.out(this.help + '\n'); return EXIT_READY; }
    if (positionals.length !== 1) throw new UsageError('name exactly one agent or tool, e.g. terok-setup auth claude');
    if (values['api-key'] !== undefined && values['api-key-stdin']) throw new UsageError('give either --api-key or --api-key-stdin, not both');
    const agent = positionals[0]!;
    const env = authEnvOf(engine, (line) => io.out(line + '\n'));
    try {
      const auth = effectiveRoster(env.paths).authProviders.get(agent);
      const key = await readKey(values, auth?.label ?? agent, io);
      if (key === null) { io.err('API key entry cancelled.\n'); return EXIT_FAILURE; }
      await storeApiKey(env, { agent, credentialSet: values['credential-set'] ?? DEFAULT_CREDENTIAL_SET, apiKey: key });
      return EXIT_READY;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      return reportAuthFailure(err, io);
    }
  },
};
