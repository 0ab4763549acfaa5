/**
 * The owner-only rule on real directories: real modes, real owners (chown
 * where the lane is root), real symbolic links, account files written for
 * the test (so the private-group rule does not depend on this machine's
 * /etc). Every tree lives under a mkdtemp dir of its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertOwnerOnly, NotOwnerOnlyError, ownerOnlyFileProblems, ownerOnlyProblems, type OwnerOnlyOptions } from '../../../main/core/sandbox/owner-only-dirs.ts';
import { runningAsRoot } from '../../support/rootless.ts';

const uid = process.geteuid!();
const gid = process.getegid!();
const OTHER_UID = 1001;
const NOT_AS_ROOT = runningAsRoot ? false : 'giving a directory to another user needs root (chown); the root lane runs this';
const OTHER_EXISTS = OTHER_UID === uid ? 'the test user is uid 1001 itself' : false;

interface Tree {
  /** realpath of the mkdtemp dir (os.tmpdir() may be a link). */
  root: string;
  /** A home inside it: <root>/home, 0700. */
  home: string;
  /** Make a directory (and parents) with an exact mode. */
  dir(rel: string, mode?: number): string;
  /** Account files describing this user: its primary group private, or with `others` as members too. */
  accounts(others?: string[]): NonNullable<OwnerOnlyOptions['accounts']>;
}

function withTree(body: (t: Tree) => void) {
  return () => {
    const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'terok-owner-only-')));
    const dir = (rel: string, mode = 0o755) => {
      const p = path.join(root, rel);
      mkdirSync(p, { recursive: true });
      chmodSync(p, mode);
      return p;
    };
    const tree: Tree = {
      root,
      home: dir('home', 0o700),
      dir,
      accounts(others = []) {
        const passwd = path.join(root, 'passwd');
        const group = path.join(root, 'group');
        writeFileSync(passwd, `me:x:${uid}:${gid}::/home/me:/bin/sh\n`);
        writeFileSync(group, `me:x:${gid}:${others.join(',')}\n`);
        return { passwd, group };
      },
    };
    try {
      body(tree);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
}

const reasons = (problems: { path: string; reason: string }[]) => problems.map((p) => `${p.path} ${p.reason}`);

test('a clean tree passes: own dirs 0755/0700 up to home; missing dirs are skipped', withTree((t) => {
  t.dir('home/.local/share/terok', 0o755);
  const hooks = path.join(t.home, '.local/share/terok/shield/hooks'); // shield/hooks do not exist yet
  assert.deepEqual(ownerOnlyProblems([hooks], { home: t.home, accounts: t.accounts() }), []);
}));

test('the lanes\' own layouts pass: a tree under the sticky root-owned temp dir, and one under this user\'s real home', withTree((t) => {
  // Outside home: the walk goes up to / through /tmp (1777 root), which the sticky rule accepts.
  const hooks = t.dir('state/terok/shield/hooks');
  assert.deepEqual(ownerOnlyProblems([hooks], { home: t.home }), []);
  // This machine's real home (/root, or /home/terok-ci at 0700/0750/0755), with the machine's own account files.
  const home = os.homedir();
  assert.deepEqual(ownerOnlyProblems([path.join(home, '.local/share/terok/shield/hooks')], { home }), []);
}));

test('a group-writable directory on the way is refused with its chmod fix, unless the group is the user\'s private group', withTree((t) => {
  const shared = t.dir('home/.local', 0o775);
  chownSync(shared, uid, gid);
  const hooks = t.dir('home/.local/share/terok/shield/hooks');
  const refused = ownerOnlyProblems([hooks], { home: t.home, accounts: t.accounts(['alice']) });
  assert.deepEqual(reasons(refused), [`${shared} group-writable`]);
  assert.equal(refused[0]!.command, `chmod go-w ${shared}`);
  assert.equal(refused[0]!.mode, 0o775);
  assert.match(refused[0]!.message, /is writable by its group \(gid \d+, mode 0775\)/);
  // Umask 002 desktops: only the user is in the group, so only the user can write.
  assert.deepEqual(ownerOnlyProblems([hooks], { home: t.home, accounts: t.accounts() }), []);
  // Without account data the group is not assumed private.
  const none = { passwd: path.join(t.root, 'no-passwd'), group: path.join(t.root, 'no-group') };
  assert.deepEqual(reasons(ownerOnlyProblems([hooks], { home: t.home, accounts: none })), [`${shared} group-writable`]);
}));

test('a world-writable directory is refused, the hooks dir itself and its ancestors alike; chmod go-w fixes it', withTree((t) => {
  const hooks = t.dir('home/.local/share/terok/shield/hooks', 0o777);
  const data = t.dir('home/.local/share', 0o777);
  const opts = { home: t.home, accounts: t.accounts() };
  const found = ownerOnlyProblems([hooks], opts);
  assert.deepEqual(reasons(found), [`${hooks} world-writable`, `${data} world-writable`]);
  assert.match(found[0]!.message, /writable by every user on this computer \(mode 0777\)/);
  for (const p of found) chmodSync(p.path, 0o755); // what `chmod go-w` leaves of 0777
  assert.deepEqual(ownerOnlyProblems([hooks], opts), []);
}));

test('the home directory itself counts; the directories above it do not', withTree((t) => {
  const above = t.dir('', 0o777); // the tree's root, above home
  chmodSync(t.home, 0o777);
  const hooks = t.dir('home/state/hooks');
  const opts = { home: t.home, accounts: t.accounts() };
  assert.deepEqual(reasons(ownerOnlyProblems([hooks], opts)), [`${t.home} world-writable`]);
  chmodSync(t.home, 0o700);
  chmodSync(above, 0o700);
}));

test('a sticky world-writable ancestor is accepted (nobody else can swap the entry below it); as the hooks dir itself it is refused', withTree((t) => {
  t.dir('spool', 0o1777);
  const hooks = t.dir('spool/terok/hooks');
  const opts = { home: t.home, accounts: t.accounts() };
  assert.deepEqual(ownerOnlyProblems([hooks], opts), []);
  chmodSync(hooks, 0o1777);
  assert.deepEqual(reasons(ownerOnlyProblems([hooks], opts)), [`${hooks} world-writable`]);
}));

test('a directory owned by another user is refused, named with its owner', { skip: NOT_AS_ROOT || OTHER_EXISTS }, withTree((t) => {
  const theirs = t.dir('home/.local', 0o755);
  chownSync(theirs, OTHER_UID, OTHER_UID);
  const hooks = t.dir('home/.local/share/terok/hooks');
  const accounts = t.accounts();
  writeFileSync(accounts.passwd, `me:x:${uid}:${gid}::/:/bin/sh\nalice:x:${OTHER_UID}:${OTHER_UID}::/:/bin/sh\n`);
  const found = ownerOnlyProblems([hooks], { home: t.home, accounts, moveHint: 'move TEROK_ROOT' });
  assert.deepEqual(reasons(found), [`${theirs} foreign-owner`]);
  assert.equal(found[0]!.owner, 'alice');
  assert.match(found[0]!.message, /belongs to user alice \(uid 1001\), not to you or root/);
  // Inside home it can be taken back; the alternative is the caller's hint.
  assert.equal(found[0]!.command, `sudo chown "$USER": ${theirs}`);
  assert.match(found[0]!.fix, /move TEROK_ROOT/);
  // Outside home there is nothing to take back: only the hint.
  const elsewhere = t.dir('srv/alice', 0o755);
  chownSync(elsewhere, OTHER_UID, OTHER_UID);
  const out = ownerOnlyProblems([t.dir('srv/alice/terok/hooks')], { home: t.home, accounts, moveHint: 'move TEROK_ROOT' });
  assert.deepEqual(reasons(out), [`${elsewhere} foreign-owner`]);
  assert.equal(out[0]!.command, null);
  assert.equal(out[0]!.fix, 'move TEROK_ROOT');
}));

test('root\'s directory is accepted as an owner, but not when others may write it; the fix is then root\'s (sudo)', { skip: NOT_AS_ROOT || OTHER_EXISTS }, withTree((t) => {
  // Seen as uid 1001, the dirs this root test created are root's.
  const home = t.dir('home', 0o755);
  const hooks = t.dir('home/hooks');
  assert.deepEqual(ownerOnlyProblems([hooks], { home, uid: OTHER_UID, accounts: t.accounts() }), []);
  chmodSync(hooks, 0o777);
  const found = ownerOnlyProblems([hooks], { home, uid: OTHER_UID, accounts: t.accounts() });
  assert.deepEqual(reasons(found), [`${hooks} world-writable`]);
  assert.equal(found[0]!.command, `sudo chmod go-w ${hooks}`);
}));

test('a symlinked component is resolved: the directories it leads to are checked too, and reported by their real name', withTree((t) => {
  const real = t.dir('elsewhere/data', 0o777);
  t.dir('home/.local', 0o755);
  symlinkSync(real, path.join(t.home, '.local/share'));
  const hooks = path.join(t.home, '.local/share/terok/hooks');
  mkdirSync(hooks, { recursive: true });
  const opts = { home: t.home, accounts: t.accounts() };
  // Reached by two names, the loose directory is reported once.
  assert.deepEqual(reasons(ownerOnlyProblems([hooks], opts)), [`${real} world-writable`]);
  chmodSync(real, 0o755);
  assert.deepEqual(ownerOnlyProblems([hooks], opts), [], 'a link of ours to a directory of ours is fine');
}));

test('a symbolic link that belongs to another user is refused (they could repoint it)', { skip: NOT_AS_ROOT || OTHER_EXISTS }, withTree((t) => {
  const real = t.dir('elsewhere/data', 0o755);
  const spool = t.dir('spool', 0o1777);
  const link = path.join(spool, 'terok');
  symlinkSync(real, link);
  lchownSync(link, OTHER_UID, OTHER_UID);
  const found = ownerOnlyProblems([path.join(link, 'hooks')], { home: t.home, accounts: t.accounts() });
  assert.deepEqual(reasons(found), [`${link} foreign-symlink`]);
}));

test('a file where a directory belongs is no ownership problem (ensureDirectory explains it); what lies above it is still checked', withTree((t) => {
  const local = t.dir('home/.local', 0o777);
  writeFileSync(path.join(t.home, '.local/share'), '');
  const found = ownerOnlyProblems([path.join(t.home, '.local/share/terok/hooks')], { home: t.home, accounts: t.accounts() });
  assert.deepEqual(reasons(found), [`${local} world-writable`]);
}));

test('hook files that others may write are reported; missing ones are skipped', withTree((t) => {
  const hooks = t.dir('home/hooks');
  const loose = path.join(hooks, 'hook.py');
  const fine = path.join(hooks, 'desc.json');
  writeFileSync(loose, '#!/bin/sh\n');
  chmodSync(loose, 0o757);
  writeFileSync(fine, '{}\n');
  chmodSync(fine, 0o644);
  const found = ownerOnlyFileProblems([loose, fine, path.join(hooks, 'absent')], { home: t.home, accounts: t.accounts() });
  assert.deepEqual(reasons(found), [`${loose} world-writable`]);
  assert.equal(found[0]!.command, `chmod go-w ${loose}`);
}));

test('assertOwnerOnly throws one error naming every directory and its fix', withTree((t) => {
  const a = t.dir('home/a', 0o777);
  const b = t.dir('home/b', 0o777);
  assert.throws(() => assertOwnerOnly('the shield hooks', [a, b], { home: t.home, accounts: t.accounts() }), (err: unknown) => {
    assert.ok(err instanceof NotOwnerOnlyError);
    assert.equal(err.failureCode, 'unsafe-path');
    assert.match(err.message, /^refusing to write the shield hooks: another user could replace them — /);
    assert.ok(err.message.includes(`${a} is writable by every user on this computer (mode 0777) — run: chmod go-w ${a}`), err.message);
    assert.ok(err.message.includes(`run: chmod go-w ${b}`), err.message);
    return true;
  });
}));
