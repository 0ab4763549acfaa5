/**
 * "Save to a file…" for the recovery key: main writes the pending copy it
 * holds (the request carries no key) to the path the save dialog returned —
 * the key and a newline, 0600, atomically — and refuses places that would
 * lose, leak or clobber something. Real files in a temp HOME; the save dialog
 * is the one stand-in (no desktop here): it answers with the path the test queues.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Engine } from '../../../main/core/engine.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { keepPendingKey, pendingKeyFile, RECOVERY_KEY_FILE_NAME, saveRecoveryKeyTo } from '../../../main/core/vault/recovery-key.ts';
import { createHandlers, dispatch } from '../../../main/ipc/handlers.ts';
import { recordingDesktop } from '../../support/desktop.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';

const KEY = 'k3y_Of-Forty-Three-URL-safe-characters-ABCD';

function withKey(body: (host: SandboxHost, paths: ReturnType<typeof resolvePaths>, out: string) => void | Promise<void>) {
  return async () => {
    const host = createSandboxHost();
    try {
      const paths = resolvePaths(host.ctx);
      keepPendingKey(paths, KEY);
      const out = path.join(host.root, 'usb');
      mkdirSync(out);
      await body(host, paths, out);
    } finally { host.cleanup(); }
  };
}

const modeOf = (f: string) => statSync(f).mode & 0o777;

test('writes the held key and a newline, 0600 whatever the umask, leaving no temp file', withKey((_h, paths, out) => {
  const file = path.join(out, RECOVERY_KEY_FILE_NAME);
  const old = process.umask(0o000);
  try {
    assert.equal(saveRecoveryKeyTo(paths, file, { replaceConfirmed: false }), file);
  } finally { process.umask(old); }
  assert.equal(readFileSync(file, 'utf8'), KEY + '\n');
  assert.equal(modeOf(file), 0o600);
  assert.deepEqual(readdirSync(out), [RECOVERY_KEY_FILE_NAME], 'no temp file left beside it');
  assert.ok(existsSync(pendingKeyFile(paths)), 'saving to a file is not the confirmation: the pending copy stays until "I have saved it"');
}));

test('an existing file is replaced only when the dialog confirmed it, and then by rename (a new file, 0600)', withKey((_h, paths, out) => {
  const file = path.join(out, 'notes.txt');
  writeFileSync(file, 'my notes\n', { mode: 0o644 });
  const before = lstatSync(file).ino;
  assert.throws(() => saveRecoveryKeyTo(paths, file, { replaceConfirmed: false }), /notes\.txt already exists\. Choose another name, or confirm replacing it/);
  assert.equal(readFileSync(file, 'utf8'), 'my notes\n', 'nothing lost on a refusal');
  saveRecoveryKeyTo(paths, file, { replaceConfirmed: true });
  assert.equal(readFileSync(file, 'utf8'), KEY + '\n');
  assert.equal(modeOf(file), 0o600);
  assert.notEqual(lstatSync(file).ino, before, 'written to a temp file and renamed over, never truncated in place');
}));

test('refuses a relative path, a folder, a link, a missing folder, and anything inside the vault folder', withKey((host, paths, out) => {
  assert.throws(() => saveRecoveryKeyTo(paths, 'key.txt', { replaceConfirmed: true }), /key\.txt is not a full path/);
  assert.throws(() => saveRecoveryKeyTo(paths, out, { replaceConfirmed: true }), /is a folder\. Choose a file name inside it/);
  const link = path.join(out, 'link.txt');
  const victim = host.write('victim.txt', 'keep me\n');
  symlinkSync(victim, link);
  assert.throws(() => saveRecoveryKeyTo(paths, link, { replaceConfirmed: true }), /link\.txt is a symbolic link/);
  assert.equal(readFileSync(victim, 'utf8'), 'keep me\n');
  assert.throws(() => saveRecoveryKeyTo(paths, path.join(out, 'nope', 'key.txt'), { replaceConfirmed: false }), /the folder .*nope does not exist/);
  // The pending file itself, and any other place in the vault folder (also reached through a link to it).
  assert.throws(() => saveRecoveryKeyTo(paths, pendingKeyFile(paths), { replaceConfirmed: true }), /inside the vault folder/);
  assert.throws(() => saveRecoveryKeyTo(paths, path.join(paths.vaultDir, 'copy.txt'), { replaceConfirmed: false }), /inside the vault folder/);
  const viaLink = path.join(out, 'vault-link');
  symlinkSync(paths.vaultDir, viaLink);
  assert.throws(() => saveRecoveryKeyTo(paths, path.join(viaLink, 'copy.txt'), { replaceConfirmed: false }), /inside the vault folder/);
  assert.equal(readFileSync(pendingKeyFile(paths), 'utf8'), KEY + '\n', 'the pending copy is untouched');
  assert.deepEqual(readdirSync(paths.vaultDir).sort(), [path.basename(pendingKeyFile(paths))]);
}));

test('a linked folder the user chose is written through its real path', withKey((host, paths, out) => {
  const real = path.join(host.root, 'synced');
  mkdirSync(real);
  symlinkSync(real, path.join(out, 'Synced'));
  saveRecoveryKeyTo(paths, path.join(out, 'Synced', 'key.txt'), { replaceConfirmed: false });
  assert.equal(readFileSync(path.join(real, 'key.txt'), 'utf8'), KEY + '\n');
}));

test('with no unsaved key there is nothing to save, and it says so', async () => {
  const host = createSandboxHost();
  try {
    assert.throws(() => saveRecoveryKeyTo(resolvePaths(host.ctx), path.join(host.root, 'k.txt'), { replaceConfirmed: false }), /There is no unsaved recovery key to save/);
    assert.equal(existsSync(path.join(host.root, 'k.txt')), false);
  } finally { host.cleanup(); }
});

test('the recovery:save channel: takes no payload (a key sent along is refused), asks the dialog, writes, and a closed dialog writes nothing', withKey(async (host, _paths, out) => {
  const desktop = recordingDesktop();
  const table = createHandlers(new Engine(host.ctx), desktop);
  const refused = await dispatch(table, 'recovery:save', { key: KEY });
  assert.equal(refused.ok, false);
  assert.deepEqual(desktop.saveDialogs, [], 'a bad request opens no dialog');

  assert.deepEqual(await dispatch(table, 'recovery:save', {}), { ok: true, value: { path: null } }, 'dialog closed');
  const file = path.join(out, 'key.txt');
  desktop.savePaths.push({ path: file, replaceConfirmed: false });
  assert.deepEqual(await dispatch(table, 'recovery:save', {}), { ok: true, value: { path: file } });
  assert.deepEqual(desktop.saveDialogs, [RECOVERY_KEY_FILE_NAME, RECOVERY_KEY_FILE_NAME]);
  assert.equal(readFileSync(file, 'utf8'), KEY + '\n');

  desktop.savePaths.push({ path: file, replaceConfirmed: false });
  const again = await dispatch(table, 'recovery:save', {});
  assert.equal(again.ok, false);
  assert.ok(!again.ok && again.error.code === 'recovery-key-save' && !again.error.message.includes(KEY), 'a clear refusal that does not echo the key');
}));
