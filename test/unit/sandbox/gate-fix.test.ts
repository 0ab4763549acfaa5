/**
 * The readiness gate's sandbox fix (terok-executor §2.6) and `terok-setup run
 * --passphrase-tier`: exit 1/5 or an error print `  sandbox setup failed: <…>`
 * on stderr; the tier chosen on the command line reaches the install.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { createTerokFixture } from '../../support/terok-fixture.ts';
import { failingKeyctl } from '../../support/sandbox-install.ts';
import { main } from '../../../main/cli/index.ts';
import { Engine } from '../../../main/core/engine.ts';
import { acquireSetupLock } from '../../../main/core/host/lock.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import type { GateIO } from '../../../main/cli/gate-face.ts';
import { registerOrchestrator } from '../../../main/core/modules.ts';
import { gateFix } from '../../support/gate.ts';
import { RECOVERY_ACK_COMMAND } from '../../../main/core/vault/provisioning.ts';
import { register } from '../../../main/core/sandbox/module.ts';
import { sessionDigest } from '../../../main/core/vault/passphrase.ts';

function withHost(body: (host: SandboxHost, engine: Engine) => Promise<void>) {
  return async () => {
    const host = createSandboxHost({ env: { NO_COLOR: '1' } });
    try {
      createTerokFixture(host);
      failingKeyctl(host);
      // systemd-creds too old for --user: without a tier, no passphrase can be created.
      host.writeBin('systemd-creds', '#!/bin/sh\necho "systemd 252 (252.1)"\n');
      const engine = new Engine(host.ctx);
      register(engine, { vaultRoutes: async () => 'regenerated' });
      registerOrchestrator(engine);
      await body(host, engine);
    } finally {
      host.cleanup();
    }
  };
}

function gateIO() {
  const out: string[] = [];
  const err: string[] = [];
  const io: GateIO = { out: (l) => out.push(l), err: (l) => err.push(l), ask: async () => null };
  return { io, out, err };
}

test('fix without a tier on a host without systemd-creds ≥ 257: false, and terok\'s "sandbox setup failed: 1" on stderr', withHost(async (_host, engine) => {
  const g = gateIO();
  assert.equal(await gateFix(engine, 'sandbox')(engine.defaultSettings(), g.io), false);
  assert.deepEqual(g.err, ['  sandbox setup failed: 1']);
  assert.ok(g.out.some((l) => /Credentials DB +FAIL \(terok-setup install: running non-interactively but no passphrase tier was chosen\./.test(l)), g.out.join('\n'));
}));

test('fix with the tier from run --passphrase-tier: true, passphrase printed once with the acknowledge command', withHost(async (host, engine) => {
  const g = gateIO();
  assert.equal(await gateFix(engine, 'sandbox', { passphraseTier: 'kernel-keyring' })(engine.defaultSettings(), g.io), true, g.out.join('\n'));
  assert.deepEqual(g.err, []);
  const line = g.out.find((l) => l.startsWith('Vault passphrase: '))!;
  const value = line.slice('Vault passphrase: '.length);
  assert.match(value, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(g.out.filter((l) => l.includes(value)).length, 1);
  assert.ok(g.out.includes(`  Once saved, confirm it: ${RECOVERY_ACK_COMMAND}`));
  const paths = resolvePaths(host.ctx);
  assert.equal(readFileSync(path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb)), 'utf8'), value);
  assert.ok(existsSync(paths.setupStamp));
}));

test('fix while another install holds the lock: false, the lock message on stderr', withHost(async (host, engine) => {
  const lock = acquireSetupLock(resolvePaths(host.ctx).stateRoot);
  try {
    const g = gateIO();
    assert.equal(await gateFix(engine, 'sandbox')(engine.defaultSettings(), g.io), false);
    assert.deepEqual(g.err, [`  sandbox setup failed: another Terok Setup install is running (pid ${process.pid}); wait for it to finish`]);
  } finally {
    lock.release();
  }
}));

function streams() {
  let out = '';
  let err = '';
  return { io: { out: (t: string) => { out += t; }, err: (t: string) => { err += t; }, stdinIsTty: false, readLine: async () => null }, out: () => out, err: () => err };
}

test('terok-setup run --passphrase-tier: validated (usage error 2), passed to the sandbox fix, documented', withHost(async (_host, engine) => {
  const bad = streams();
  assert.equal(await main(['run', '--yes', '--passphrase-tier', 'floppy'], bad.io, engine), 2);
  assert.match(bad.err(), /unknown --passphrase-tier 'floppy'; expected one of: kernel-keyring, keyring, systemd-creds/);

  // Not a tty and no --yes: run stops before the gate.
  const ok = streams();
  assert.equal(await main(['run', '--passphrase-tier', 'keyring'], ok.io, engine), 3);

  const help = streams();
  assert.equal(await main(['run', '--help'], help.io, engine), 0);
  assert.match(help.out(), /--passphrase-tier TIER/);
}));
