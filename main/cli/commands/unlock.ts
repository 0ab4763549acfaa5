import { parseArgs } from 'node:util';
import { loadTerokConfig } from '../../core/host/config.ts';
import { resolvePaths } from '../../core/host/paths.ts';
import { failureOf } from '../../core/errors.ts';
import { DEFAULT_UNLOCK_TIER, UNLOCK_TIERS, UnlockError, unlockVault, type UnlockTier } from '../../core/vault/unlock.ts';
import { EXIT_FAILURE, EXIT_READY, UsageError, type CliCommand, type CliStreams } from '../command.ts';

/** One line, as terok's `vault unlock` reads it: a hidden prompt on a terminal, else the first line of stdin. */
async function readRecoveryKey(io: CliStreams): Promise<string | null> {
  if (io.stdinIsTty) {
    const read = io.readSecret ?? io.readLine;
    return read('Vault passphrase (recovery key): ');
  }
  if (!io.readAll) throw new UsageError('no terminal to ask for the recovery key: pipe it into standard input');
  const text = await io.readAll();
  return text.length ? text.split('\n')[0]! : null;
}

export const unlockCommand: CliCommand = {
  name: 'unlock',
  summary: 'Unlock a locked vault with its recovery key (read from stdin)',
  help: `Usage: terok-setup unlock [--tier kernel-keyring|keyring]

Unlock the credential vault with its recovery key, as terok-sandbox vault
unlock does: the key must open the existing vault database, then it is kept
where terok looks for it. The key is read from standard input (one line) or,
on a terminal, asked for without echo. It is never printed.

  --tier kernel-keyring  Cache it in the kernel keyring, RAM only: unlock again
                         after logout or reboot (default, as terok does)
  --tier keyring         Store it in your login keyring: opens at every login
  -h, --help             Show this help

A vault that already opens through a durable tier (systemd-creds, the login
keyring, a passphrase command) is left alone, as terok does (exit 0).

Exit codes: 0 unlocked (or nothing to do), 1 wrong key or failure, 2 usage error.`,
  async run(engine, args, io) {
    const { values } = parseArgs({ args, options: { tier: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
    if (values.help) { io.out(this.help + '\n'); return EXIT_READY; }
    const tier = (values.tier ?? DEFAULT_UNLOCK_TIER) as UnlockTier;
    if (!UNLOCK_TIERS.includes(tier)) throw new UsageError(`--tier must be one of: ${UNLOCK_TIERS.join(', ')}`);
    const key = await readRecoveryKey(io);
    if (key === null || !key.trim()) throw new UsageError('no recovery key given: pipe it into standard input (one line)');
    const config = loadTerokConfig(engine.ctx);
    try {
      const out = await unlockVault(engine.ctx, resolvePaths(engine.ctx, config), config, { recoveryKey: key, tier });
      for (const line of out.lines) io.out(`${line}\n`);
      return EXIT_READY;
    } catch (err) {
      // terok prints the no-shadow refusal and exits 0: the vault is not this command's to change.
      if (err instanceof UnlockError && err.failureCode === 'vault-durable-tier') {
        io.out(`${err.message}\n`);
        return EXIT_READY;
      }
      const f = failureOf(err);
      io.err(`${f.message}\n${f.hint ? `  ${f.hint}\n` : ''}`);
      return EXIT_FAILURE;
    }
  },
};
