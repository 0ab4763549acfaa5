/**
 * The one-time recovery key is durable from the moment it exists.
 *
 * A passphrase this wizard mints is written to a pending file (0600, in the
 * 0700 vault dir) before it is stored in any tier or keys the DB, and stays
 * there until the user confirms they saved it (terok's recovery marker). So
 * an interrupt, a crash, a full disk or a killed child between minting and
 * showing cannot lose it: the next install finds the pending file, keys the
 * vault with that same value if nothing holds one yet, and shows it again.
 * The price is a plaintext copy on disk until the user confirms — the reason
 * the wizard asks for that confirmation, and removes the copy at once after.
 *
 * terok does not read this file; its own escrow (`vault.passphrase.pending`
 * in the runtime dir) is for rekeying and is never touched here.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { HostContext } from '../host/context.ts';
import { loadTerokConfig } from '../host/config.ts';
import { atomicWriteFile, readUserFile } from '../host/fs.ts';
import { resolvePaths, type TerokPaths } from '../host/paths.ts';

export const PENDING_KEY_NAME = 'terok-setup.recovery-key.pending';

type RecoveryPaths = Pick<TerokPaths, 'vaultDir' | 'recoveryMarker'>;

export const pendingKeyFile = (paths: Pick<TerokPaths, 'vaultDir'>): string => path.join(paths.vaultDir, PENDING_KEY_NAME);

/** A generated passphrase is 43 URL-safe characters; anything else in the file is not ours. */
const PASSPHRASE_SHAPE = /^[A-Za-z0-9_-]{16,256}$/;

/** Keep `passphrase` until the user confirms it is saved. Throws when it cannot be kept (the caller must not go on). */
export function keepPendingKey(paths: Pick<TerokPaths, 'vaultDir'>, passphrase: string): void {
  atomicWriteFile(pendingKeyFile(paths), passphrase + '\n', { mode: 0o600, dirMode: 0o700, refuseSymlinks: true });
}

/**
 * The recovery key still waiting for the user's confirmation, or null. A
 * key the user has since confirmed (terok's marker exists, whoever wrote it)
 * is removed here, so the copy lives no longer than it must.
 */
export function pendingKey(paths: RecoveryPaths): string | null {
  const file = pendingKeyFile(paths);
  let text: string;
  try {
    text = (readUserFile(file, { maxBytes: 4096, what: 'pending recovery key', followSymlinks: false }) ?? '').trim();
  } catch {
    return null; // not a file of ours
  }
  if (!text) return null;
  if (recoveryConfirmed(paths)) { dropPendingKey(paths); return null; }
  return PASSPHRASE_SHAPE.test(text) ? text : null;
}

export function dropPendingKey(paths: Pick<TerokPaths, 'vaultDir'>): void {
  try { unlinkSync(pendingKeyFile(paths)); } catch { /* not there */ }
}

export function recoveryConfirmed(paths: Pick<TerokPaths, 'recoveryMarker'>): boolean {
  try {
    lstatSync(paths.recoveryMarker);
    return true;
  } catch {
    return false;
  }
}

/** "I have saved it": terok's zero-byte 0600 marker, and the pending copy goes. */
export function confirmRecoveryKey(paths: RecoveryPaths): string {
  atomicWriteFile(paths.recoveryMarker, '', { mode: 0o600, dirMode: 0o700, refuseSymlinks: true });
  dropPendingKey(paths);
  return paths.recoveryMarker;
}

/** The pending recovery key of this host's vault (terok's paths from config.yml), or null. */
export function unsavedRecoveryKey(ctx: HostContext): string | null {
  return pendingKey(resolvePaths(ctx, loadTerokConfig(ctx)));
}
