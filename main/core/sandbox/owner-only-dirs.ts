/**
 * Directories only their owner can write, as OpenSSH's StrictModes wants
 * them: podman runs the OCI hooks (and the supervisor wrapper) on the host,
 * as this user, for every container, so whoever can replace a hook — or a
 * directory above it — runs code as this user at the next container start.
 *
 * For each target, every directory from it up to the user's home (inclusive),
 * or up to / when the target lies outside home, must be owned by this user
 * or by root and not be writable by group or others. Decisions, and why:
 *
 *  - Missing directories are skipped: ensureDirectory creates them 0755
 *    (and explains a file in the way, which is no ownership question).
 *  - Sticky ancestors (/tmp, 1777 root) are accepted, although ssh refuses
 *    them: with the sticky bit only an entry's owner (or the directory's)
 *    can rename or remove it, and the entry below must itself pass this
 *    check, so nobody else can swap it. A target itself never gets this
 *    pass — others could still add files to it, and podman loads every
 *    descriptor in a hooks dir.
 *  - Group-writable is accepted when the group is the user's private group
 *    (named like the user, no other member, nobody else's primary group), as
 *    Debian's ssh does: Ubuntu and Fedora desktops run with umask 002, so
 *    ~/.local and friends are often 0775 with only the user in the group.
 *    Groups are read from /etc/passwd and /etc/group; a group found only in
 *    a directory service (sssd, LDAP) is not assumed private.
 *  - Symbolic links are checked, not trusted: a link must belong to this
 *    user or root (in a sticky dir its owner could repoint it), and the
 *    resolved path's own chain is checked too (up to the resolved home).
 *
 * Group-writable covers POSIX ACLs that grant write to someone else: the
 * group bits then show the ACL mask. Everything here only reads (lstat).
 */
import { lstatSync, realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import { SetupError } from '../errors.ts';
import { readUserFile } from '../host/fs.ts';
import { formatMode, shellWord } from '../vault/secret-modes.ts';

export type OwnerOnlyReason = 'group-writable' | 'world-writable' | 'foreign-owner' | 'foreign-symlink' | 'unreadable';

/** One directory (or link) others could use to replace what lies below it. */
export interface OwnerOnlyProblem {
  path: string;
  reason: OwnerOnlyReason;
  /** Owner found (uid and, when known, the user name). */
  uid: number | null;
  owner: string | null;
  /** Permission bits found, e.g. 0o775 (null when it could not be read). */
  mode: number | null;
  /** What is wrong, without the path ("is writable by its group (gid 100, mode 0775)"). */
  problem: string;
  /** The path, then the problem. */
  message: string;
  /** The command that fixes it, when one does (`chmod go-w /dir`). */
  command: string | null;
  /** The fix in words (the command, or what to do when no command does it). */
  fix: string;
}

export interface OwnerOnlyOptions {
  home: string;
  /** The user the files are for (default: this process's effective uid). */
  uid?: number;
  /** What to tell the user when a directory belongs to someone else and cannot simply be fixed. */
  moveHint?: string;
  /** Account files (tests); default /etc/passwd and /etc/group. */
  accounts?: { passwd: string; group: string };
}

const DEFAULT_MOVE_HINT = 'choose a location only you can write';

interface Accounts {
  nameOf(uid: number): string | null;
  /** The gid only `uid` can write through (its private group), or null. */
  privateGid(uid: number): number | null;
}

function readLines(file: string): string[] {
  try {
    return (readUserFile(file, { maxBytes: 16 * 1024 * 1024, what: 'account database' }) ?? '').split('\n').filter((l) => l && !l.startsWith('#'));
  } catch {
    return [];
  }
}

/** Read only when a question needs them (a group-writable directory, an owner to name): a clean tree reads no /etc file. */
function loadAccounts(files: { passwd: string; group: string }): Accounts {
  let db: { users: { name: string; uid: number; gid: number }[]; groups: { name: string; gid: number; members: string[] }[] } | null = null;
  const read = () => (db ??= {
    users: readLines(files.passwd).map((l) => l.split(':')).filter((f) => f.length >= 4)
      .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) })),
    groups: readLines(files.group).map((l) => l.split(':')).filter((f) => f.length >= 3)
      .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) })),
  });
  return {
    nameOf: (uid) => read().users.find((u) => u.uid === uid)?.name ?? null,
    privateGid(uid) {
      const { users, groups } = read();
      const me = users.find((u) => u.uid === uid);
      const group = me ? groups.find((g) => g.gid === me.gid) : undefined;
      if (!me || !group || group.name !== me.name) return null;
      if (group.members.some((m) => m !== me.name)) return null;
      if (users.some((u) => u.gid === me.gid && u.uid !== uid)) return null;
      return me.gid;
    },
  };
}

const isWithin = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);

/** `p` and each of its parents, up to `stop` when p lies inside it, else up to /. */
function chainOf(p: string, stop: string): string[] {
  const chain: string[] = [];
  const inside = isWithin(p, stop);
  for (let d = p; ; d = path.dirname(d)) {
    chain.push(d);
    if ((inside && d === stop) || d === path.dirname(d)) return chain;
  }
}

/** The real path of `p`: the deepest existing ancestor resolved, the missing rest appended. */
function realPathOf(p: string): string | null {
  const rest: string[] = [];
  for (let d = p; ; d = path.dirname(d)) {
    try {
      return path.join(realpathSync(d), ...rest.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || d === path.dirname(d)) return null;
      rest.push(path.basename(d));
    }
  }
}

const judgeFor = (opts: OwnerOnlyOptions): Judge => ({
  uid: opts.uid ?? process.geteuid?.() ?? 0,
  accounts: loadAccounts(opts.accounts ?? { passwd: '/etc/passwd', group: '/etc/group' }),
  moveHint: opts.moveHint ?? DEFAULT_MOVE_HINT,
  home: path.resolve(opts.home),
});

interface Judge {
  uid: number;
  accounts: Accounts;
  moveHint: string;
  home: string;
}

function problem(j: Judge, p: string, reason: OwnerOnlyReason, st: Stats | null, what: string, command: string | null, fix?: string): OwnerOnlyProblem {
  return {
    path: p, reason, uid: st?.uid ?? null, owner: st ? j.accounts.nameOf(st.uid) : null, mode: st ? st.mode & 0o7777 : null,
    problem: what, message: `${p} ${what}`, command, fix: fix ?? command ?? j.moveHint,
  };
}

const ownerWords = (j: Judge, uid: number) => { const name = j.accounts.nameOf(uid); return name ? `user ${name} (uid ${uid})` : `uid ${uid}`; };

/**
 * What is wrong with one existing entry: a directory of a chain (`isTarget`: one we write into, no sticky pass)
 * or, with `file`, one of the files podman runs.
 */
function judge(j: Judge, p: string, st: Stats, isTarget: boolean, file = false): OwnerOnlyProblem | null {
  const ownerOk = st.uid === j.uid || st.uid === 0;
  if (st.isSymbolicLink()) {
    if (ownerOk) return null;
    return problem(j, p, 'foreign-symlink', st, `is a symbolic link that belongs to ${ownerWords(j, st.uid)}, who can point it elsewhere`, null, `replace the link with a directory of your own, or ${j.moveHint}`);
  }
  // A file where a directory belongs cannot hold hooks at all: ensureDirectory says so, in its own words.
  if (!file && !st.isDirectory()) return null;
  if (!ownerOk) {
    // Inside your home a directory made with sudo can simply be taken back; elsewhere it is someone else's place.
    const inHome = isWithin(p, j.home) && p !== j.home;
    const chown = inHome ? `sudo chown "$USER": ${shellWord(p)}` : null;
    const can = file ? 'can change it' : 'can replace what is in it';
    return problem(j, p, 'foreign-owner', st, `belongs to ${ownerWords(j, st.uid)}, not to you or root, so that user ${can}`, chown, chown ? `${chown} (or ${j.moveHint})` : j.moveHint);
  }
  const sticky = !file && (st.mode & 0o1000) !== 0 && !isTarget;
  if (sticky) return null;
  // Root's directory (the one other owner accepted) is root's to change.
  const chmod = `${st.uid === j.uid ? '' : 'sudo '}chmod go-w ${shellWord(p)}`;
  const mode = formatMode(st.mode);
  if (st.mode & 0o002) return problem(j, p, 'world-writable', st, `is writable by every user on this computer (mode ${mode})`, chmod);
  if (st.mode & 0o020 && st.gid !== j.accounts.privateGid(j.uid)) return problem(j, p, 'group-writable', st, `is writable by its group (gid ${st.gid}, mode ${mode})`, chmod);
  return null;
}

/** Paths and directories (by device and inode) already judged: a directory reached by two names is reported once. */
interface Seen { paths: Set<string>; dirs: Set<string> }

function checkChain(j: Judge, target: string, stop: string, targets: ReadonlySet<string>, seen: Seen, out: OwnerOnlyProblem[]): void {
  for (const p of chainOf(target, stop)) {
    if (seen.paths.has(p)) continue;
    seen.paths.add(p);
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue; // not there yet (or below a file, which its parent's entry reports)
      out.push(problem(j, p, 'unreadable', null, `cannot be checked (${code ?? (err as Error).message})`, null, 'check its owner and permissions (ls -ld)'));
      continue;
    }
    if (!st.isSymbolicLink()) {
      const id = `${st.dev}:${st.ino}`;
      if (seen.dirs.has(id)) continue;
      seen.dirs.add(id);
    }
    const found = judge(j, p, st, targets.has(p));
    if (found) out.push(found);
  }
}

/**
 * Every directory or link on the way to `targets` that someone other than
 * this user (or root) could use to replace them; empty when all is safe.
 */
export function ownerOnlyProblems(targets: readonly string[], opts: OwnerOnlyOptions): OwnerOnlyProblem[] {
  const j = judgeFor(opts);
  const resolved = targets.map((t) => path.resolve(t));
  const realHome = realPathOf(j.home) ?? j.home;
  const realTargets = resolved.map((t) => realPathOf(t) ?? t);
  const out: OwnerOnlyProblem[] = [];
  const seen: Seen = { paths: new Set(), dirs: new Set() };
  // The path as written (links judged by owner), then the directories it really goes through.
  const named = new Set(resolved);
  for (const t of resolved) checkChain(j, t, j.home, named, seen, out);
  const real = new Set(realTargets);
  for (const t of realTargets) checkChain({ ...j, home: realHome }, t, realHome, real, seen, out);
  return out;
}

/**
 * Files podman runs or reads from those directories (hook scripts, descriptors, the wrapper) that
 * someone else owns or may write; missing files are skipped. A link is judged as a link (by its owner).
 */
export function ownerOnlyFileProblems(files: readonly string[], opts: OwnerOnlyOptions): OwnerOnlyProblem[] {
  const j = judgeFor(opts);
  const out: OwnerOnlyProblem[] = [];
  for (const f of files) {
    let st: Stats;
    try { st = lstatSync(f); } catch { continue; }
    const found = judge(j, f, st, true, true);
    if (found) out.push(found);
  }
  return out;
}

/** One line per problem: what is wrong, then the fix. */
export const describeOwnerOnlyProblem = (p: OwnerOnlyProblem): string => `${p.message} — ${fixWords(p)}`;

/** The fix as a user reads it: "run: chmod go-w /dir", or what to do. */
const fixWords = (p: Pick<OwnerOnlyProblem, 'command' | 'fix'>): string => (p.command ? `run: ${p.fix}` : p.fix);

/** Refused before anything is written: a directory on the way is not this user's alone. */
export class NotOwnerOnlyError extends SetupError {
  readonly problems: readonly OwnerOnlyProblem[];

  constructor(what: string, problems: readonly OwnerOnlyProblem[]) {
    super('unsafe-path', `refusing to write ${what}: another user could replace them — ${problems.map(describeOwnerOnlyProblem).join('; ')}`);
    this.problems = problems;
  }
}

/** Throws NotOwnerOnlyError (naming each directory and its fix) unless every target's chain is safe. */
export function assertOwnerOnly(what: string, targets: readonly string[], opts: OwnerOnlyOptions): void {
  const problems = ownerOnlyProblems(targets, opts);
  if (problems.length) throw new NotOwnerOnlyError(what, problems);
}
