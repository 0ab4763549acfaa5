/**
 * The vault passphrase chain, in terok-sandbox's order, non-interactive:
 *
 *   1. systemd-creds  sealed `vault.passphrase.cred` (present but unsealable ⇒ hard error)
 *   2. keyring        Secret Service, service `terok-sandbox`, user `credentials-db`
 *   3. kernel-keyring `@u` user key `terok-sandbox:vault-passphrase:<digest>`,
 *                     falling back to `$XDG_RUNTIME_DIR/terok/vault-session/<digest>`
 *   4. passphrase-command  `credentials.passphrase_command` (yields nothing ⇒ hard error)
 *
 * The passphrase value never leaves this module except to the DB opener.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HostContext } from '../host/context.ts';
import { configBool, configString, type TerokConfig } from '../host/config.ts';
import { CommandError } from '../host/process.ts';
import { readUserFile } from '../host/fs.ts';
import { which } from '../host/which.ts';
import type { TerokPaths } from '../host/paths.ts';
import { SetupError } from '../errors.ts';

export type TierName = 'systemd-creds' | 'keyring' | 'kernel-keyring' | 'passphrase-command';

export const KEYRING_SERVICE = 'terok-sandbox';
export const KEYRING_USER = 'credentials-db';
export const SYSTEMD_CRED_NAME = 'terok-sandbox.vault-passphrase';

export interface ResolvedPassphrase {
  source: TierName;
  /** Secret. Never log, never send over IPC. */
  value: string;
}

/** A configured tier that is present but cannot yield (fail closed). */
export class BrokenTierError extends Error {
  readonly tier: TierName;

  constructor(tier: TierName, message: string) {
    super(message);
    this.tier = tier;
    this.name = 'BrokenTierError';
  }
}

export class NoPassphraseError extends SetupError {
  constructor(dbPath: string) {
    super('vault-no-passphrase', `no SQLCipher passphrase available for ${dbPath}`);
  }
}

/** POSIX-shell-like word splitting (the subset `shlex.split` gives), no expansion. */
export function shellSplit(input: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quote === "'") {
      if (c === "'") quote = null; else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < input.length && '"\\$`\n'.includes(input[i + 1]!)) cur += input[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c; inWord = true;
    } else if (c === '\\') {
      if (i + 1 < input.length) cur += input[++i]; inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) { words.push(cur); cur = ''; inWord = false; }
    } else {
      cur += c; inWord = true;
    }
  }
  if (quote) throw new Error('unbalanced quotes');
  if (inWord) words.push(cur);
  return words;
}

/** 32-hex digest that names the session cache entry for one DB on one host. */
export function sessionDigest(dbPath: string, hostname = os.hostname()): string {
  return createHash('sha256').update(`${hostname}\0${path.resolve(dbPath)}`, 'utf8').digest('hex').slice(0, 32);
}

export const kernelKeyDescription = (dbPath: string, hostname?: string) =>
  `terok-sandbox:vault-passphrase:${sessionDigest(dbPath, hostname)}`;

export interface SystemdCredsAvailability {
  available: boolean;
  reason?: string;
}

export async function systemdCredsAvailability(ctx: HostContext, signal?: AbortSignal): Promise<SystemdCredsAvailability> {
  const bin = which(ctx, 'systemd-creds');
  if (!bin) return { available: false, reason: 'systemd-creds not found on PATH' };
  try {
    const { stdout } = await ctx.run(bin, ['--version'], { timeoutMs: 5000, signal });
    const version = Number(/(\d+)/.exec(stdout)?.[1] ?? 0);
    if (version < 257) return { available: false, reason: `needs systemd ≥ 257 for non-root --user mode (host has ${version})` };
  } catch (err) {
    return { available: false, reason: `systemd-creds --version failed: ${(err as Error).message}` };
  }
  try {
    if (!statSync('/run/systemd/io.systemd.Credentials').isSocket()) throw new Error('not a socket');
  } catch {
    return { available: false, reason: '/run/systemd/io.systemd.Credentials not served by PID 1' };
  }
  return { available: true };
}

async function trySystemdCreds(ctx: HostContext, paths: TerokPaths, signal?: AbortSignal): Promise<string | null> {
  try {
    statSync(paths.sealedPassphrase);
  } catch {
    return null;
  }
  const avail = await systemdCredsAvailability(ctx, signal);
  if (!avail.available) {
    throw new BrokenTierError('systemd-creds', `sealed passphrase ${paths.sealedPassphrase} exists but cannot be unsealed: ${avail.reason}`);
  }
  try {
    const { stdout } = await ctx.run('systemd-creds', ['decrypt', '--user', `--name=${SYSTEMD_CRED_NAME}`, paths.sealedPassphrase, '-'], { timeoutMs: 10_000, signal });
    const value = stdout.replace(/[\r\n]+$/, '');
    if (!value) throw new Error('empty value');
    return value;
  } catch (err) {
    throw new BrokenTierError('systemd-creds', `could not unseal ${paths.sealedPassphrase}: ${err instanceof CommandError ? err.stderrTail || err.message : (err as Error).message}`);
  }
}

/**
 * Secret Service read; skipped (fail-open) without a session bus, time-boxed
 * to 3 s. `secret-tool search` (unlike `lookup`) never asks to unlock a
 * locked keyring, so a probe on window focus cannot pop up a dialog — and
 * a locked keyring simply yields nothing, as terok's non-interactive read does.
 */
async function tryKeyring(ctx: HostContext, config: TerokConfig, signal?: AbortSignal): Promise<string | null> {
  if (!configBool(config, 'credentials', 'use_keyring', true)) return null;
  if (!ctx.env.DBUS_SESSION_BUS_ADDRESS) return null;
  const bin = which(ctx, 'secret-tool');
  if (!bin) return null;
  try {
    const { stdout } = await ctx.run(bin, ['search', 'service', KEYRING_SERVICE, 'username', KEYRING_USER], { timeoutMs: 3000, signal, allowNonZero: true });
    return /^secret = (.+)$/m.exec(stdout)?.[1] ?? null;
  } catch {
    return null;
  }
}

async function tryKernelKeyring(ctx: HostContext, paths: TerokPaths, signal?: AbortSignal): Promise<string | null> {
  const keyctl = which(ctx, 'keyctl');
  if (keyctl) {
    try {
      const found = await ctx.run(keyctl, ['search', '@u', 'user', kernelKeyDescription(paths.credentialDb)], { timeoutMs: 3000, signal, allowNonZero: true });
      const id = found.exitCode === 0 ? found.stdout.trim() : '';
      if (/^\d+$/.test(id)) {
        const { stdout } = await ctx.run(keyctl, ['pipe', id], { timeoutMs: 3000, signal });
        if (stdout) return stdout;
      }
    } catch { /* fall through to the file cache */ }
  }
  try {
    const file = path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb));
    const value = (readUserFile(file, { maxBytes: 4096, what: 'vault session file', followSymlinks: false }) ?? '').replace(/[\r\n]+$/, '');
    return value || null;
  } catch {
    return null;
  }
}

async function tryPassphraseCommand(ctx: HostContext, config: TerokConfig, signal?: AbortSignal): Promise<string | null> {
  const command = configString(config, 'credentials', 'passphrase_command');
  if (!command) return null;
  let argv: string[];
  try {
    argv = shellSplit(command);
  } catch (err) {
    throw new BrokenTierError('passphrase-command', `credentials.passphrase_command cannot be parsed: ${(err as Error).message}`);
  }
  const [file, ...args] = argv;
  if (!file) return null;
  try {
    const { stdout } = await ctx.run(file, args, { timeoutMs: 30_000, signal });
    const value = stdout.replace(/[\r\n]+$/, '');
    if (value) return value;
  } catch { /* reported below */ }
  throw new BrokenTierError('passphrase-command', 'passphrase_command produced no passphrase; check credentials.passphrase_command in config.yml');
}

/** Resolve the passphrase without prompting; `null` when no tier holds one. */
export async function resolvePassphrase(ctx: HostContext, paths: TerokPaths, config: TerokConfig, signal?: AbortSignal): Promise<ResolvedPassphrase | null> {
  const sealed = await trySystemdCreds(ctx, paths, signal);
  if (sealed) return { source: 'systemd-creds', value: sealed };
  const keyring = await tryKeyring(ctx, config, signal);
  if (keyring) return { source: 'keyring', value: keyring };
  const kernel = await tryKernelKeyring(ctx, paths, signal);
  if (kernel) return { source: 'kernel-keyring', value: kernel };
  const command = await tryPassphraseCommand(ctx, config, signal);
  if (command) return { source: 'passphrase-command', value: command };
  return null;
}
