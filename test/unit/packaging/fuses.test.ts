/**
 * The afterPack fuse hook (build/fuses.ts): which fuses we ship, and that a
 * binary without a fuse wire (the stand-in used where no Electron can be
 * downloaded) is skipped loudly instead of failing or passing silently.
 * The real flip on a binary with a wire is covered by the packaging smoke test.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FuseV1Options, FuseVersion } from '@electron/fuses';
import { afterPack, applySecurityFuses, SECURITY_FUSES } from '../../../build/fuses.ts';

test('the shipped fuse selection turns off run-as-node, NODE_OPTIONS and inspect, and pins the app to its asar', () => {
  assert.deepEqual(SECURITY_FUSES, {
    version: FuseVersion.V1,
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
  });
});

test('a binary without a fuse wire is left untouched, with a loud warning', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'terok-fuses-'));
  const stub = path.join(dir, 'terok-setup-app');
  writeFileSync(stub, '#!/bin/sh\necho not electron\n');
  const warnings: string[] = [];
  const outcome = await applySecurityFuses(stub, (m) => warnings.push(m));
  assert.equal(outcome.flipped, false);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /SECURITY FUSES NOT FLIPPED.*Never ship this build/);
  assert.equal(readFileSync(stub, 'utf8'), '#!/bin/sh\necho not electron\n');
  rmSync(dir, { recursive: true });
});

test('other failures (e.g. a missing binary) fail the build', async () => {
  await assert.rejects(applySecurityFuses('/nonexistent/terok-setup-app', () => {}), /ENOENT/);
});

test('the hook flips the binary named by the packager, and refuses non-Linux builds', async () => {
  await assert.rejects(afterPack({ appOutDir: '/nonexistent', electronPlatformName: 'linux', packager: { executableName: 'terok-setup-app' } }),
    (err: Error) => err.message.includes('/nonexistent/terok-setup-app'));
  await assert.rejects(afterPack({ appOutDir: '/x', electronPlatformName: 'darwin', packager: { executableName: 'x' } }), /Linux only/);
});
