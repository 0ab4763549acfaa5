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
import { lstatSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { HostContext } from '../host/context.ts';
import { loadTerokConfig } from '../host/config.ts';
import { atomicWriteFile, readUserFile } from '../host/fs.ts';
import { resolvePaths, type TerokPaths } from '../host/paths.ts';
import { SetupError } from '../errors.ts';

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

/** The name the save dialog proposes. */
export const RECOVERY_KEY_FILE_NAME = 'terok-vault-recovery-key.txt';

/** Why a recovery key was not written: faces that word a case their own way (the CLI has no dialog) read it. */
export type RecoveryKeySaveProblem = 'no-key' | 'relative' | 'inside-vault' | 'symlink' | 'folder' | 'exists' | 'no-folder';

/** A place the recovery key is not written to; the message says where and what to do instead. */
export class RecoveryKeySaveError extends SetupError {
  readonly problem: RecoveryKeySaveProblem;

  constructor(problem: RecoveryKeySaveProblem, message: string) {
    super('recovery-key-save', message);
    this.problem = problem;
  }
}

/** The real path of `p`, or of its nearest existing ancestor plus the rest (a file being created). */
function realish(p: string): string {
  try { return realpathSync(p); } catch { return path.join(realish(path.dirname(p)), path.basename(p)); }
}

/**
 * "Save to a file…": the pending key (main reads it itself — the renderer
 * never sends it) written to `target` as the key and a newline, atomically,
 * 0600. Refused: a relative path, a folder, a symbolic link, a missing
 * folder, anywhere inside the vault folder (a copy next to the vault is lost
 * with it — and the pending file is ours), and an existing file unless the
 * save dialog asked the user to replace it. Returns the path written.
 */
export function saveRecoveryKeyTo(paths: RecoveryPaths, target: string, opts: { replaceConfirmed: boolean }): string {
  const key = pendingKey(paths);
  if (!key) throw new RecoveryKeySaveError('no-key', 'There is no unsaved recovery key to save: it was confirmed already, or this vault never had one from Terok Setup.');
  const file = checkRecoveryKeyTarget(paths, target, opts);
  // Into the folder's real path (a chosen folder may be a link, e.g. to a synced drive), never through a link.
  atomicWriteFile(path.join(realpathSync(path.dirname(file)), path.basename(file)), key + '\n', { mode: 0o600, exactMode: true, refuseSymlinks: true });
  return file;
}

/**
 * Whether the recovery key may be written to `target` (see saveRecoveryKeyTo);
 * the normalised path, or a RecoveryKeySaveError saying why not. Also asked
 * before anything is changed, by a run that will deliver a key there.
 */
export function checkRecoveryKeyTarget(paths: Pick<TerokPaths, 'vaultDir'>, target: string, opts: { replaceConfirmed: boolean }): string {
  if (!path.isAbsolute(target)) throw new RecoveryKeySaveError('relative', `The recovery key was not saved: ${target} is not a full path. Choose the file in the dialog.`);
  const file = path.resolve(target);
  const vaultDir = realish(paths.vaultDir);
  const real = realish(file);
  if (real === vaultDir || real.startsWith(vaultDir + path.sep)) {
    throw new RecoveryKeySaveError('inside-vault', `The recovery key was not saved to ${file}: that is inside the vault folder ${paths.vaultDir}, which a lost disk takes with it. Choose a place off this computer, such as a USB stick.`);
  }
  let existing: ReturnType<typeof lstatSync> | null = null;
  try { existing = lstatSync(file); } catch { /* a new file */ }
  if (existing?.isSymbolicLink()) throw new RecoveryKeySaveError('symlink', `The recovery key was not saved: ${file} is a symbolic link. Choose the real file, or another name.`);
  if (existing?.isDirectory()) throw new RecoveryKeySaveError('folder', `The recovery key was not saved: ${file} is a folder. Choose a file name inside it.`);
  if (existing && !opts.replaceConfirmed) throw new RecoveryKeySaveError('exists', `The recovery key was not saved: ${file} already exists. Choose another name, or confirm replacing it in the dialog.`);
  let dir: ReturnType<typeof statSync> | null = null;
  try { dir = statSync(path.dirname(file)); } catch { /* missing */ }
  if (!dir?.isDirectory()) throw new RecoveryKeySaveError('no-folder', `The recovery key was not saved: the folder ${path.dirname(file)} does not exist. Choose an existing folder.`);
  return file;
}

/** The same for this host's vault (terok's paths from config.yml). */
export function saveUnsavedRecoveryKey(ctx: HostContext, target: string, opts: { replaceConfirmed: boolean }): string {
  return saveRecoveryKeyTo(resolvePaths(ctx, loadTerokConfig(ctx)), target, opts);
}
