/**
 * Who else on this computer can read the vault: the vault directory must be
 * 0700 and every secret file in it (the credential DB and its journals, the
 * sealed passphrase, the recovery marker and the pending recovery key,
 * routes, the audit log, plaintext backups) 0600, as must the kernel-keyring
 * tier's session files — terok writes most of them that way, but its DB
 * follows the umask (spec terok-sandbox §4.1), and copies, restores and
 * `sudo` runs loosen modes.
 *
 * "Looser" means any group or other permission bit. The check only reads
 * (lstat); the repair changes only the permission bits of the entries the
 * check lists, never follows a symbolic link (a link is skipped, not
 * judged), and changes a file through a descriptor opened with O_NOFOLLOW
 * after checking it is still the entry it inspected. Nothing is created,
 * moved or removed; only known vault names are touched, whatever else lives
 * in the directory.
 */
import { chmodSync, closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, readdirSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { TerokPaths } from '../host/paths.ts';
import { PENDING_KEY_NAME } from './recovery-key.ts';

export type SecretModePaths = Pick<TerokPaths, 'vaultDir' | 'credentialDb' | 'sealedPassphrase' | 'recoveryMarker' | 'routesJson' | 'vaultSessionDir'>;

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** One entry other users can read (or list, or write). */
export interface LooseMode {
  path: string;
  /** What it is, for a message: "vault directory", "credential database" … */
  what: string;
  kind: 'directory' | 'file';
  /** Permission bits found, e.g. 0o644. */
  mode: number;
  /** The mode it should have: 0700 for a directory, 0600 for a file. */
  want: number;
  /** The command that fixes it by hand, e.g. `chmod 600 /…/credentials.db`. */
  fix: string;
}

export interface SecretModeRepair {
  /** Tightened: path, what, the old and the new permission bits. */
  changed: { path: string; what: string; from: number; to: number }[];
  /** Could not be tightened (not ours to chmod, replaced meanwhile …): why, and the command to run by hand. */
  failed: { path: string; what: string; reason: string; fix: string }[];
}

/** `0644`, as chmod and ls speak. */
export const formatMode = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/** A path as one shell word (quoted only when it must be), for the fix commands. */
export const shellWord = (s: string): string => (/^[A-Za-z0-9_./:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The files in the vault dir that are vault material, by name; anything else there is left alone. */
function vaultFileWhat(name: string, paths: SecretModePaths): string | null {
  const db = path.basename(paths.credentialDb);
  if (name === db) return 'credential database';
  if (name === `${db}-wal` || name === `${db}-shm` || name === `${db}-journal`) return 'credential database journal';
  if (name.startsWith(`${db}.plaintext-backup-`)) return 'unencrypted credential database backup';
  if (name === path.basename(paths.sealedPassphrase)) return 'sealed vault passphrase';
  if (name === path.basename(paths.recoveryMarker)) return 'recovery-key marker';
  if (name === path.basename(paths.routesJson)) return 'vault routes';
  if (name === 'credential_audit.jsonl') return 'credential audit log';
  // Terok Setup's copy of a new recovery key until the user confirms it is saved (recovery-key.ts).
  if (name === PENDING_KEY_NAME) return 'pending recovery key';
  return null;
}

/** A kernel-keyring session file: the 32-hex digest of one DB on one host. */
const SESSION_FILE = /^[0-9a-f]{32}$/;

const lstatOrNull = (p: string): Stats | null => {
  try { return lstatSync(p); } catch { return null; }
};

const namesIn = (dir: string): string[] => {
  try { return readdirSync(dir).sort(); } catch { return []; }
};

function looseEntry(p: string, what: string, st: Stats, kind: 'directory' | 'file'): LooseMode | null {
  if ((st.mode & 0o077) === 0) return null;
  const want = kind === 'directory' ? DIR_MODE : FILE_MODE;
  return { path: p, what, kind, mode: st.mode & 0o7777, want, fix: `chmod ${formatMode(want).slice(1)} ${shellWord(p)}` };
}

/**
 * Every vault entry looser than it should be, the directory first. Missing
 * entries and symbolic links are skipped; files are looked for only inside
 * a vault dir (or session dir) that is a real directory.
 */
export function checkSecretModes(paths: SecretModePaths): LooseMode[] {
  const found: LooseMode[] = [];
  const add = (entry: LooseMode | null) => { if (entry) found.push(entry); };
  const dir = lstatOrNull(paths.vaultDir);
  if (dir?.isDirectory()) {
    add(looseEntry(paths.vaultDir, 'vault directory', dir, 'directory'));
    for (const name of namesIn(paths.vaultDir)) {
      const what = vaultFileWhat(name, paths);
      const p = path.join(paths.vaultDir, name);
      const st = what ? lstatOrNull(p) : null;
      if (what && st?.isFile()) add(looseEntry(p, what, st, 'file'));
    }
  }
  // The session dir itself may be listable (its names are digests, not secrets); the files in it are passphrases.
  if (lstatOrNull(paths.vaultSessionDir)?.isDirectory()) {
    for (const name of namesIn(paths.vaultSessionDir).filter((n) => SESSION_FILE.test(n))) {
      const p = path.join(paths.vaultSessionDir, name);
      const st = lstatOrNull(p);
      if (st?.isFile()) add(looseEntry(p, 'vault session passphrase', st, 'file'));
    }
  }
  return found;
}

/** One line for a log or a page: what, where, what mode, what it should be. */
export function describeLooseMode(entry: LooseMode): string {
  const who = entry.mode & 0o007 ? 'every user on this computer' : 'its group';
  return `${entry.what} ${entry.path} is ${formatMode(entry.mode)} (open to ${who}); it should be ${formatMode(entry.want)}: ${entry.fix}`;
}

const sameEntry = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino;

/** Tighten one entry; the reason when it could not be done. */
function tighten(entry: LooseMode): string | null {
  const before = lstatOrNull(entry.path);
  if (!before) return 'it is gone';
  if (before.isSymbolicLink()) return 'it is now a symbolic link (not followed)';
  if (before.isDirectory() !== (entry.kind === 'directory') || (!before.isDirectory() && !before.isFile())) return 'it changed type since it was checked';
  let fd: number | null = null;
  try {
    fd = openSync(entry.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | (entry.kind === 'directory' ? constants.O_DIRECTORY : 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return 'it is now a symbolic link (not followed)';
    // Not readable by its owner (say 0220): no descriptor to chmod through, so by name — just checked to be no link.
    if (code !== 'EACCES') return (err as Error).message;
  }
  try {
    if (fd !== null) {
      if (!sameEntry(fstatSync(fd), before)) return 'it was replaced while being checked';
      fchmodSync(fd, entry.want);
    } else {
      chmodSync(entry.path, entry.want);
    }
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM') return `it belongs to uid ${before.uid}, not to you (created with sudo?)`;
    return (err as Error).message;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Tighten every entry checkSecretModes lists (files first, then the
 * directory) and say what changed. Never throws for one entry: what could
 * not be changed is in `failed`, with the command to run by hand.
 */
export function repairSecretModes(paths: SecretModePaths): SecretModeRepair {
  const result: SecretModeRepair = { changed: [], failed: [] };
  const loose = checkSecretModes(paths);
  for (const entry of [...loose.filter((e) => e.kind === 'file'), ...loose.filter((e) => e.kind === 'directory')]) {
    const why = tighten(entry);
    if (why) result.failed.push({ path: entry.path, what: entry.what, reason: why, fix: entry.fix });
    else result.changed.push({ path: entry.path, what: entry.what, from: entry.mode, to: entry.want });
  }
  return result;
}

/** Log lines for a repair: one per change or failure, none when nothing was loose. */
export function describeRepair(repair: SecretModeRepair): string[] {
  return [
    ...repair.changed.map((c) => `tightened ${c.what} ${c.path}: ${formatMode(c.from)} → ${formatMode(c.to)}`),
    ...repair.failed.map((f) => `could not tighten ${f.what} ${f.path}: ${f.reason}; run: ${f.fix}`),
  ];
}
