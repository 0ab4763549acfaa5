/**
 * checkSecretModes / repairSecretModes on real files in a sandbox vault:
 * what is too open (the dir beyond 0700, secret files beyond 0600, session
 * files), the fix for each, and a repair that changes only permission bits
 * of known vault names, never follows a link and says what it changed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { resolvePaths, type TerokPaths } from '../../../main/core/host/paths.ts';
import { sessionDigest } from '../../../main/core/vault/passphrase.ts';
import { checkSecretModes, describeLooseMode, describeRepair, formatMode, repairSecretModes } from '../../../main/core/vault/secret-modes.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';

const ROOT_SKIP = { skip: process.getuid?.() === 0 ? 'root ignores file modes' : false };
let host: SandboxHost;
let paths: TerokPaths;
afterEach(() => host?.cleanup());

const mode = (p: string) => lstatSync(p).mode & 0o7777;
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function vault(dirMode = 0o700): void {
  host = createSandboxHost({ inheritPath: false });
  paths = resolvePaths(host.ctx);
  mkdirSync(paths.vaultDir, { recursive: true });
  chmodSync(paths.vaultDir, dirMode);
}

test('a tight vault has nothing to report, and a repair changes nothing', () => {
  vault();
  host.write(paths.credentialDb, 'db', 0o600);
  host.write(paths.sealedPassphrase, 'sealed', 0o600);
  host.write(paths.recoveryMarker, '', 0o400);
  assert.deepEqual(checkSecretModes(paths), []);
  assert.deepEqual(repairSecretModes(paths), { changed: [], failed: [] });
  assert.deepEqual(describeRepair({ changed: [], failed: [] }), []);
  assert.equal(mode(paths.recoveryMarker), 0o400, 'tighter than 0600 is left alone');
});

test('no vault at all: nothing to report', () => {
  host = createSandboxHost({ inheritPath: false });
  paths = resolvePaths(host.ctx);
  assert.deepEqual(checkSecretModes(paths), []);
});

test('loose entries are listed with what, where, mode and the chmod fix — the dir first', () => {
  vault(0o755);
  host.write(paths.credentialDb, 'db', 0o644);
  host.write(`${paths.credentialDb}-wal`, 'wal', 0o640);
  host.write(paths.sealedPassphrase, 'sealed', 0o604);
  host.write(path.join(paths.vaultDir, 'credentials.db.plaintext-backup-20260101-000000.tar.gz'), 'tar', 0o644);
  host.write(path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb)), 'pass', 0o644);
  const found = checkSecretModes(paths);
  assert.deepEqual(found.map((l) => [l.what, l.kind, formatMode(l.mode), formatMode(l.want)]), [
    ['vault directory', 'directory', '0755', '0700'],
    ['credential database', 'file', '0644', '0600'],
    ['credential database journal', 'file', '0640', '0600'],
    ['unencrypted credential database backup', 'file', '0644', '0600'],
    ['sealed vault passphrase', 'file', '0604', '0600'],
    ['vault session passphrase', 'file', '0644', '0600'],
  ]);
  assert.equal(found[0]!.fix, `chmod 700 ${paths.vaultDir}`);
  assert.equal(found[1]!.fix, `chmod 600 ${paths.credentialDb}`);
  assert.equal(describeLooseMode(found[1]!), `credential database ${paths.credentialDb} is 0644 (open to every user on this computer); it should be 0600: chmod 600 ${paths.credentialDb}`);
  assert.match(describeLooseMode(found[2]!), /is 0640 \(open to its group\)/);
});

test('a repair tightens exactly the listed entries, keeps every byte, and says what changed', () => {
  vault(0o775);
  host.write(paths.credentialDb, 'db-bytes', 0o664);
  host.write(paths.routesJson, '{}\n', 0o644);
  const before = [sha(paths.credentialDb), sha(paths.routesJson)];
  const repair = repairSecretModes(paths);
  assert.deepEqual(repair.failed, []);
  assert.deepEqual(repair.changed.map((c) => [c.path, c.from, c.to]), [
    [paths.credentialDb, 0o664, 0o600],
    [paths.routesJson, 0o644, 0o600],
    [paths.vaultDir, 0o775, 0o700],
  ]);
  assert.deepEqual([mode(paths.vaultDir), mode(paths.credentialDb), mode(paths.routesJson)], [0o700, 0o600, 0o600]);
  assert.deepEqual([sha(paths.credentialDb), sha(paths.routesJson)], before);
  assert.deepEqual(describeRepair(repair), [
    `tightened credential database ${paths.credentialDb}: 0664 → 0600`,
    `tightened vault routes ${paths.routesJson}: 0644 → 0600`,
    `tightened vault directory ${paths.vaultDir}: 0775 → 0700`,
  ]);
  assert.deepEqual(checkSecretModes(paths), [], 'nothing left to report');
});

test('files that are not vault material, and links, are never touched — nor what a link points at', () => {
  vault(0o700);
  const notes = host.write(path.join(paths.vaultDir, 'my-notes.txt'), 'mine', 0o644);
  const outside = host.write('elsewhere/secret-target', 'target', 0o644);
  symlinkSync(outside, paths.credentialDb);
  symlinkSync(outside, paths.sealedPassphrase);
  assert.deepEqual(checkSecretModes(paths), []);
  assert.deepEqual(repairSecretModes(paths), { changed: [], failed: [] });
  assert.equal(mode(notes), 0o644);
  assert.equal(statSync(outside).mode & 0o777, 0o644, 'the link target is untouched');
});

test('a symlinked vault dir is not judged (the link is skipped); session files need their 32-hex name', () => {
  host = createSandboxHost({ inheritPath: false });
  paths = resolvePaths(host.ctx);
  const real = path.join(host.root, 'real-vault');
  mkdirSync(real, { mode: 0o755 });
  chmodSync(real, 0o755);
  mkdirSync(path.dirname(paths.vaultDir), { recursive: true });
  symlinkSync(real, paths.vaultDir);
  host.write(path.join(paths.vaultSessionDir, 'README'), 'not a session file', 0o644);
  assert.deepEqual(checkSecretModes(paths), []);
  assert.equal(statSync(real).mode & 0o777, 0o755);
});

test('an entry its owner cannot read is still tightened (by name, after lstat)', ROOT_SKIP, () => {
  vault(0o700);
  host.write(paths.credentialDb, 'db', 0o600);
  chmodSync(paths.credentialDb, 0o266);
  const repair = repairSecretModes(paths);
  assert.deepEqual(repair.failed, []);
  assert.equal(mode(paths.credentialDb), 0o600);
});
