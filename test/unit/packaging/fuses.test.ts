/**
 * The afterPack fuse hook (build/fuses.ts): which fuses we ship, and that a
 * binary without a fuse wire fails the build instead of shipping with its
 * fuses unset. The real flip on a binary with a wire is covered by the
 * packaging smoke test.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FuseV1Options, FuseVersion } from '@electron/fuses';
import { afterPack, applySecurityFuses, SECURITY_FUSES } from '../../../build/fuses.ts';

test('the shipped fuse selection turns off run-as-node, NODE_OPTIONS, inspect and file:// privileges, encrypts cookies and pins the app to its asar', () => {
  assert.deepEqual(SECURITY_FUSES, {
    version: FuseVersion.V1,
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableCookieEncryption]: true,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  });
});

test('a binary without a fuse wire fails the build, naming the binary, and is left untouched', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'terok-fuses-'));
  try {
    const stub = path.join(dir, 'terok-setup-app');
    writeFileSync(stub, '#!/bin/sh\necho not electron\n');
    await assert.rejects(applySecurityFuses(stub), (err: Error) => {
      assert.match(err.message, /has no Electron fuse wire/);
      assert.match(err.message, /refusing to package an app whose security fuses cannot be set/);
      assert.ok(err.message.startsWith(stub), 'the message names the binary');
      return true;
    });
    assert.equal(readFileSync(stub, 'utf8'), '#!/bin/sh\necho not electron\n');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('other failures (e.g. a missing binary) fail the build', async () => {
  await assert.rejects(applySecurityFuses('/nonexistent/terok-setup-app'), /ENOENT/);
});

test('the hook flips the binary named by the packager, and refuses non-Linux builds', async () => {
  await assert.rejects(afterPack({ appOutDir: '/nonexistent', electronPlatformName: 'linux', packager: { executableName: 'terok-setup-app' } }),
    (err: Error) => err.message.includes('/nonexistent/terok-setup-app'));
  await assert.rejects(afterPack({ appOutDir: '/x', electronPlatformName: 'darwin', packager: { executableName: 'x' } }), /Linux only/);
});
