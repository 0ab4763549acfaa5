import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSandboxHost } from '../../support/host.ts';
import { createTerokFixture } from '../../support/terok-fixture.ts';
import { failingKeyctl } from '../../support/sandbox-install.ts';
import { Engine } from '../../../main/core/engine.ts';
import { parseInstallParams, parseUninstallParams, register } from '../../../main/core/sandbox/module.ts';
import { main } from '../../../main/cli/index.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';

test('install params: untrusted input validated strictly', () => {
  assert.deepEqual(parseInstallParams(undefined), { noShield: undefined, noVault: undefined });
  assert.deepEqual(parseInstallParams({ noShield: true, passphraseTier: 'keyring' }), { noShield: true, noVault: undefined, passphraseTier: 'keyring' });
  assert.throws(() => parseInstallParams({ noShield: 'yes' }), /noShield must be true or false/);
  assert.throws(() => parseInstallParams({ passphraseTier: 'usb' }), /unknown --passphrase-tier 'usb'/);
  assert.throws(() => parseInstallParams({ rootDir: '/' }), /unknown parameter\(s\): rootDir/);
  assert.throws(() => parseInstallParams([]), /must be an object/);
  assert.deepEqual(parseInstallParams({ noVault: true, passphraseTier: 'usb' }), { noShield: undefined, noVault: true }, 'tier ignored with noVault');
  assert.throws(() => parseUninstallParams({ noShield: 1 }), /noShield must be true or false/);
});

test('register: the sandbox task steps', () => {
  const host = createSandboxHost();
  try {
    const engine = new Engine(host.ctx);
    register(engine);
    for (const step of ['sandbox.install', 'sandbox.uninstall', 'vault.acknowledge-recovery']) assert.ok(engine.tasks.hasStep(step), step);
    assert.ok(engine.tasks.hasStep('terok.install'));
  } finally {
    host.cleanup();
  }
});

test('vault.acknowledge-recovery writes the marker; bad params fail the task', async () => {
  const host = createSandboxHost();
  try {
    const engine = new Engine(host.ctx);
    register(engine);
    const bad = engine.tasks.start('vault.acknowledge-recovery', { x: 1 });
    assert.equal(await engine.tasks.wait(bad), 'failed');
    const id = engine.tasks.start('vault.acknowledge-recovery', {});
    assert.equal(await engine.tasks.wait(id), 'done');
    assert.equal(readFileSync(resolvePaths(host.ctx).recoveryMarker, 'utf8'), '');
  } finally {
    host.cleanup();
  }
});

test('terok-setup install: progressive stage lines in the exact format, passphrase printed once, exit 0; uninstall exit 0', async () => {
  const host = createSandboxHost({ env: { NO_COLOR: '1' } });
  try {
    createTerokFixture(host);
    failingKeyctl(host);
    const engine = new Engine(host.ctx);
    register(engine, { vaultRoutes: async () => 'regenerated' });
    let out = '';
    const io = { out: (t: string) => { out += t; }, err: (t: string) => { out += t; }, stdinIsTty: false, readLine: async () => null };
    assert.equal(await main(['install', '--passphrase-tier', 'kernel-keyring'], io, engine), 0, out);
    const lines = out.split('\n');
    assert.ok(lines.includes('  Vault routes          ok (regenerated)'));
    assert.ok(lines.includes('  Legacy install cleanup ok (swept (legacy units + sockets, if any))'));
    assert.ok(lines.includes('  Shield hooks          ok (active)'));
    assert.ok(lines.indexOf('Prerequisites:') < lines.indexOf('Services:'));
    const passLines = lines.filter((l) => l.startsWith('Vault passphrase: '));
    assert.equal(passLines.length, 1);
    assert.equal(out.split(passLines[0]!.slice('Vault passphrase: '.length)).length - 1, 1, 'the passphrase appears exactly once');

    // Not confirmed (no terminal to type SAVED on): the next install shows the same key again, then asks on a terminal.
    const key = passLines[0]!.slice('Vault passphrase: '.length);
    const again = new Engine(host.ctx);
    register(again, { vaultRoutes: async () => 'regenerated' });
    out = '';
    const prompts: string[] = [];
    const tty = { ...io, stdinIsTty: true, readLine: async (p: string) => { prompts.push(p); return 'SAVED'; } };
    assert.equal(await main(['install'], tty, again), 0, out);
    assert.equal(out.split('\n').filter((l) => l === `Vault passphrase: ${key}`).length, 1, 'the same key, shown once more');
    assert.deepEqual(prompts, ['Type SAVED to confirm you have stored the recovery key elsewhere: ']);
    assert.match(out, /recovery key marked as saved\./);
    assert.equal(readFileSync(resolvePaths(host.ctx).recoveryMarker, 'utf8'), '');

    const saved = new Engine(host.ctx);
    register(saved, { vaultRoutes: async () => 'regenerated' });
    out = '';
    assert.equal(await main(['install'], io, saved), 0, out);
    assert.ok(!out.includes('Vault passphrase:'), 'saved: never shown again');

    const un = new Engine(host.ctx);
    register(un);
    out = '';
    assert.equal(await main(['uninstall'], io, un), 0, out);
    assert.match(out, /Supervisor hooks +ok \(removed\)/);
  } finally {
    host.cleanup();
  }
});

test('terok-setup install with a bad tier: a usage error on stderr, exit 2, nothing run', async () => {
  const host = createSandboxHost();
  try {
    const engine = new Engine(host.ctx);
    register(engine, { vaultRoutes: async () => 'regenerated' });
    let err = '';
    const io = { out: () => {}, err: (t: string) => { err += t; }, stdinIsTty: false, readLine: async () => null };
    assert.equal(await main(['install', '--passphrase-tier', 'floppy'], io, engine), 2);
    assert.match(err, /unknown --passphrase-tier 'floppy'/);
    assert.match(err, /Try 'terok-setup install --help'/);
    assert.deepEqual(engine.tasks.list(), [], 'no task was started');
  } finally {
    host.cleanup();
  }
});

test('terok.install without pipx and without a way to get it: pipx-missing naming the commands', async () => {
  // No packages.install step on this engine (a build without it): the failure says so and names what to run.
  // The sandbox PATH is only its bin: Debian's /usr/bin/pipx, if installed, is looked for only after getting pipx.
  const host = createSandboxHost({ inheritPath: false });
  try {
    const engine = new Engine(host.ctx);
    register(engine);
    const missing = engine.tasks.start('terok.install', {});
    assert.equal(await engine.tasks.wait(missing), 'failed');
    const failure = engine.tasks.events(missing).at(-1);
    assert.ok(failure?.type === 'failed' && failure.error.code === 'pipx-missing');
    assert.match(failure.error.message, /no setup step named 'packages\.install'/);
    assert.match(failure.error.detail ?? '', /pipx install --include-deps terok-executor==0\.4\.0a22/);
    const bad = engine.tasks.start('terok.install', { pkg: 'evil' });
    assert.equal(await engine.tasks.wait(bad), 'failed');
  } finally {
    host.cleanup();
  }
});

test('terok installed by pipx is found in ~/.local/bin even when that is not on PATH', async () => {
  const { detectTerokRuntime } = await import('../../../main/core/sandbox/terok-runtime.ts');
  const host = createSandboxHost({ inheritPath: false });
  try {
    const fixture = createTerokFixture(host);
    const { renameSync, mkdirSync } = await import('node:fs');
    mkdirSync(`${host.home}/.local/bin`, { recursive: true });
    renameSync(`${host.bin}/terok-executor`, `${host.home}/.local/bin/terok-executor`);
    renameSync(`${host.bin}/terok-sandbox`, `${host.home}/.local/bin/terok-sandbox`);
    const runtime = await detectTerokRuntime(host.ctx);
    assert.equal(runtime.via, `${host.home}/.local/bin/terok-executor`);
    assert.deepEqual(runtime.packages, fixture.versions);
  } finally {
    host.cleanup();
  }
});

test("pythonJsonString matches Python's json.dumps for the baked reader path", async () => {
  const { pythonJsonString } = await import('../../../main/core/host/python-json.ts');
  assert.equal(pythonJsonString('/home/ann/.local/share/terok/shield/nflog-reader.py'), '"/home/ann/.local/share/terok/shield/nflog-reader.py"');
  assert.equal(pythonJsonString('/home/jürgen/a"b'), '"/home/j\\u00fcrgen/a\\"b"');
});

test('vault.recovery-key hands over the pending, unsaved key; once confirmed it is gone from the result history too', async () => {
  const host = createSandboxHost();
  try {
    const { keepPendingKey } = await import('../../../main/core/vault/recovery-key.ts');
    const paths = resolvePaths(host.ctx);
    const engine = new Engine(host.ctx);
    register(engine);
    const none = engine.tasks.start('vault.recovery-key', {});
    assert.equal(await engine.tasks.wait(none), 'done');
    assert.deepEqual(engine.tasks.resultOf(none), { generatedPassphrase: null });

    keepPendingKey(paths, 'p'.repeat(43));
    const shown = engine.tasks.start('vault.recovery-key', {});
    assert.equal(await engine.tasks.wait(shown), 'done');
    assert.deepEqual(engine.tasks.resultOf(shown), { generatedPassphrase: 'p'.repeat(43) });

    assert.equal(await engine.tasks.wait(engine.tasks.start('vault.acknowledge-recovery', {})), 'done');
    assert.ok(!JSON.stringify(engine.tasks.events(shown)).includes('p'.repeat(43)), 'redacted from history');
    const after = engine.tasks.start('vault.recovery-key', {});
    await engine.tasks.wait(after);
    assert.deepEqual(engine.tasks.resultOf(after), { generatedPassphrase: null });
  } finally {
    host.cleanup();
  }
});
