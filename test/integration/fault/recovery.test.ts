/**
 * Fault suite: the one-time recovery key survives every failure of the
 * install. Each case breaks the install at a different moment after (or
 * while) a passphrase is minted and asserts that the key still reaches the
 * user — in the result, on the CLI's stdout, or from the 0600 pending file on
 * the next run — and that the vault opens with it. Real files, real
 * SQLCipher DBs, the fixture terok; keyctl is a fake (never the real user
 * keyring): always failing (the session-file fallback) or blocking on `padd`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { createTerokFixture } from '../../support/terok-fixture.ts';
import { failingKeyctl, fakeRoutes, install, recordingTask } from '../../support/sandbox-install.ts';
import { main } from '../../../main/cli/index.ts';
import { Engine } from '../../../main/core/engine.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { ensureSandboxReady } from '../../../main/core/sandbox/install.ts';
import { register } from '../../../main/core/sandbox/module.ts';
import { CredentialDb } from '../../../main/core/vault/credential-db.ts';
import { confirmRecoveryKey, keepPendingKey, pendingKey, pendingKeyFile } from '../../../main/core/vault/recovery-key.ts';

const asRoot = process.getuid?.() === 0;

function withHost(body: (host: SandboxHost) => Promise<void>) {
  return async () => {
    const host = createSandboxHost({ env: { NO_COLOR: '1' } });
    try {
      createTerokFixture(host);
      failingKeyctl(host);
      await body(host);
    } finally {
      for (const dir of [resolvePaths(host.ctx).vaultDir, resolvePaths(host.ctx).stateRoot]) { try { chmodSync(dir, 0o700); } catch { /* not made */ } }
      host.cleanup();
    }
  };
}

const paths = (host: SandboxHost) => resolvePaths(host.ctx);
const opens = (host: SandboxHost, key: string) => { CredentialDb.open(paths(host).credentialDb, key).close(); return true; };

async function cli(host: SandboxHost, args: string[], tty?: (prompt: string) => string | null) {
  const engine = new Engine(host.ctx);
  register(engine, { vaultRoutes: fakeRoutes });
  let out = '';
  let err = '';
  const io = { out: (t: string) => { out += t; }, err: (t: string) => { err += t; }, stdinIsTty: Boolean(tty), readLine: async (p: string) => tty?.(p) ?? null };
  const code = await main(args, io, engine);
  return { code, out, err, key: /^Vault passphrase: (\S+)$/m.exec(out)?.[1] ?? null };
}

test('a directory where the setup stamp goes: the stamp stage fails in words, the key is printed and kept, the vault opens with it', withHost(async (host) => {
  mkdirSync(paths(host).setupStamp, { recursive: true });
  const r = await cli(host, ['install', '--passphrase-tier', 'kernel-keyring']);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /Setup stamp +FAIL \(expected a file but found a directory while writing the setup stamp/);
  assert.doesNotMatch(r.out + r.err, /EISDIR|    at /);
  assert.match(r.key ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(pendingKey(paths(host)), r.key);
  assert.ok(opens(host, r.key!));
}));

test('the key is printed right after the credentials stage, before any later stage line', withHost(async (host) => {
  const r = await cli(host, ['install', '--passphrase-tier', 'kernel-keyring']);
  assert.equal(r.code, 0, r.out + r.err);
  const lines = r.out.split('\n');
  const keyAt = lines.findIndex((l) => l.startsWith('Vault passphrase: '));
  const credsAt = lines.findIndex((l) => /^ {2}Credentials DB +ok/.test(l));
  const supervisorAt = lines.findIndex((l) => /^ {2}Supervisor hooks +ok/.test(l));
  assert.ok(credsAt >= 0 && keyAt > credsAt && keyAt < supervisorAt, r.out);
  assert.equal(lines.filter((l) => l.startsWith('Vault passphrase: ')).length, 1, 'printed once per run');
}));

test('the pending copy is 0600 in a 0700 vault dir and holds exactly the printed key', withHost(async (host) => {
  const r = await cli(host, ['install', '--passphrase-tier', 'kernel-keyring']);
  const file = pendingKeyFile(paths(host));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
  assert.equal(readFileSync(file, 'utf8'), `${r.key}\n`);
}));

test('cancelled while keyctl padd hangs: the result holds the key; the re-run keys the vault with that same key and shows it again', withHost(async (host) => {
  // padd blocks (the window between minting and storing); everything else fails like a keyring-less host.
  const started = path.join(host.root, 'padd.started');
  host.writeBin('keyctl', `#!/bin/sh\nif [ "$1" = padd ]; then : > ${started}; exec sleep 1000; fi\nexit 1\n`);
  const rec = recordingTask();
  const abort = new AbortController();
  rec.task = { ...rec.task, signal: abort.signal };
  const running = ensureSandboxReady({ ctx: host.ctx, task: rec.task, vaultRoutes: fakeRoutes, sysRoot: host.root }, { passphraseTier: 'kernel-keyring' });
  const deadline = Date.now() + 10_000;
  while (!existsSync(started) && Date.now() < deadline) await sleep(20);
  assert.ok(existsSync(started), 'keyctl padd never ran');
  abort.abort();
  const first = await running;
  assert.equal(first.cancelled, true);
  const minted = first.generatedPassphrase;
  assert.match(minted ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(pendingKey(paths(host)), minted, 'kept on disk before keyctl ran');

  failingKeyctl(host);
  const again = await install(host, { passphraseTier: 'kernel-keyring' });
  assert.equal(again.exitCode, 0, again.rec.lines.join('\n'));
  assert.equal(again.generatedPassphrase, minted, 'the same key, never a second one');
  assert.ok(opens(host, minted!));
}));

test('a throw after the DB was keyed but before the tier held the key: the re-run stores that key and the vault opens', withHost(async (host) => {
  // What an interrupted run leaves: a DB keyed with the pending key, no tier holding it.
  const key = 'k'.repeat(43);
  keepPendingKey(paths(host), key);
  CredentialDb.open(paths(host).credentialDb, key).close();
  const r = await install(host, { passphraseTier: 'kernel-keyring' });
  assert.equal(r.exitCode, 0, r.rec.lines.join('\n'));
  assert.equal(r.generatedPassphrase, key);
  assert.match(r.rec.lines.join('\n'), /recovery key not yet saved — shown again/);
}));

test('confirmed ("I have saved it" or SAVED): the pending copy is deleted and the key is never shown again', withHost(async (host) => {
  const first = await cli(host, ['install', '--passphrase-tier', 'kernel-keyring'], () => 'SAVED');
  assert.match(first.out, /recovery key marked as saved\./);
  assert.equal(existsSync(pendingKeyFile(paths(host))), false);
  const again = await cli(host, ['install']);
  assert.equal(again.code, 0, again.out + again.err);
  assert.equal(again.key, null);
}));

test('not confirmed on a terminal: said so, and the next install shows the same key again', withHost(async (host) => {
  const first = await cli(host, ['install', '--passphrase-tier', 'kernel-keyring'], () => 'later');
  assert.match(first.out, /recovery key NOT confirmed — it is shown again on the next install/);
  const again = await cli(host, ['install']);
  assert.equal(again.key, first.key);
}));

test('terok\'s own acknowledge (the marker alone) also retires the pending copy', withHost(async (host) => {
  const first = await cli(host, ['install', '--passphrase-tier', 'kernel-keyring']);
  assert.ok(first.key);
  // terok-sandbox vault passphrase acknowledge writes only the marker.
  mkdirSync(path.dirname(paths(host).recoveryMarker), { recursive: true });
  confirmRecoveryKey({ vaultDir: path.join(host.root, 'elsewhere'), recoveryMarker: paths(host).recoveryMarker });
  assert.equal(pendingKey(paths(host)), null);
  assert.equal(existsSync(pendingKeyFile(paths(host))), false);
}));

test('a passphrase in a tier that no one confirmed and this wizard never showed: a WARN naming the way to reveal and save it, never adopted silently', withHost(async (host) => {
  const first = await install(host, { passphraseTier: 'kernel-keyring' });
  assert.ok(first.generatedPassphrase);
  // Lose the pending copy (as if terok itself had minted the key): nothing here says it was ever shown.
  (await import('node:fs')).unlinkSync(pendingKeyFile(paths(host)));
  const r = await install(host, {});
  assert.equal(r.generatedPassphrase, null, 'not re-shown: this wizard never had it to show');
  const stage = r.rec.stages.find((s) => s.label === 'Credentials DB' && s.status !== 'running')!;
  assert.equal(stage.status, 'WARN');
  assert.match(stage.detail, /recovery key never confirmed as saved — show it with terok-sandbox vault passphrase reveal/);
  assert.equal(r.exitCode, 0, 'a warning, not a failure');
}));

test('a stale pending copy (not this vault\'s key) is dropped, not shown', withHost(async (host) => {
  const first = await install(host, { passphraseTier: 'kernel-keyring' });
  confirmRecoveryKey(paths(host));
  (await import('node:fs')).unlinkSync(paths(host).recoveryMarker);
  keepPendingKey(paths(host), 's'.repeat(43));
  const r = await install(host, {});
  assert.equal(r.generatedPassphrase, null);
  assert.equal(existsSync(pendingKeyFile(paths(host))), false);
  assert.ok(opens(host, first.generatedPassphrase!), 'the vault still opens with its real key');
}));

test('the pending copy cannot be written (vault dir not writable): nothing is stored anywhere, the stage fails in words', { skip: asRoot ? 'root ignores file modes' : false }, withHost(async (host) => {
  mkdirSync(paths(host).vaultDir, { recursive: true, mode: 0o700 });
  chmodSync(paths(host).vaultDir, 0o500);
  const r = await install(host, { passphraseTier: 'kernel-keyring' });
  assert.equal(r.exitCode, 1);
  const stage = r.rec.stages.find((s) => s.label === 'Credentials DB' && s.status !== 'running')!;
  assert.equal(stage.status, 'FAIL');
  assert.match(stage.detail, /permission denied/);
  assert.equal(r.generatedPassphrase, null, 'no key exists that the user has not got');
  assert.equal(existsSync(paths(host).credentialDb), false);
  assert.equal(existsSync(path.join(paths(host).vaultSessionDir)), false, 'no tier holds a key');
}));

test('a broken config.yml: install refuses before changing anything and names the file, line and column', withHost(async (host) => {
  const cfg = host.write(path.join(host.home, '.config/terok/config.yml'), 'paths:\n  root: [unclosed\n');
  const r = await cli(host, ['install', '--passphrase-tier', 'kernel-keyring']);
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`terok-setup: warning: ${cfg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: not valid YAML`));
  assert.match(r.err, /setup did not start, because a settings file cannot be used: .*config.yml:\d+:\d+: not valid YAML/);
  assert.match(r.err, /Fix that file \(or move it away to use the defaults\)/);
  assert.equal(existsSync(paths(host).stateRoot), false, 'nothing was created on the defaults');
  assert.equal(r.key, null);
}));

/**
 * A full disk, for real: a 1 MiB tmpfs mounted in a private mount namespace
 * (a user namespace makes that possible without root), filled to ~24 KiB
 * free, holding HOME. The CLI runs inside it twice — full, then with space.
 */
test('disk full while the vault is created: the key is printed and kept; once there is space the re-run opens the vault with that same key', async (t) => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const os = await import('node:os');
  const probe = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'true'], { timeout: 10_000 });
  if (probe.status !== 0) { t.skip('no unprivileged user+mount namespaces here'); return; }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'terok-setup-test-'));
  try {
    const fs = path.join(dir, 'fs');
    const bin = path.join(dir, 'bin');
    mkdirSync(fs);
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'keyctl'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    const cli = (args: string) => `${JSON.stringify(process.execPath)} --disable-warning=ExperimentalWarning ${JSON.stringify(path.resolve(import.meta.dirname, '../../../main/cli/index.ts'))} ${args}`;
    const script = [
      'set -e',
      `mount -t tmpfs -o size=1m tmpfs ${fs}`,
      `mkdir -p ${fs}/home ${fs}/run`,
      `fallocate -l $((1024*1024 - 24*1024)) ${fs}/filler || head -c $((1024*1024 - 24*1024)) /dev/zero > ${fs}/filler`,
      `export HOME=${fs}/home XDG_RUNTIME_DIR=${fs}/run NO_COLOR=1`,
      `${cli('install --no-shield --passphrase-tier kernel-keyring')} > ${dir}/full.out 2>&1 || echo "exit=$?" >> ${dir}/full.out`,
      `rm ${fs}/filler`,
      `${cli('install --no-shield --passphrase-tier kernel-keyring')} > ${dir}/space.out 2>&1 || echo "exit=$?" >> ${dir}/space.out`,
    ].join('\n');
    const run = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script], {
      timeout: 60_000, encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin:/usr/sbin:/sbin`, LANG: 'C.UTF-8' },
    });
    assert.equal(run.status, 0, run.stderr);
    const full = readFileSync(path.join(dir, 'full.out'), 'utf8');
    const space = readFileSync(path.join(dir, 'space.out'), 'utf8');
    assert.match(full, /Credentials DB +FAIL \(the (disk is full|credential database could not be written)/, full);
    assert.doesNotMatch(full, /    at |SQLITE_/);
    const key = /^Vault passphrase: (\S+)$/m.exec(full)?.[1];
    assert.match(key ?? '', /^[A-Za-z0-9_-]{43}$/, 'the key was printed although the disk was full');
    assert.match(space, /Credentials DB +ok \(passphrase source: kernel-keyring; recovery key not yet saved — shown again\)/, space);
    assert.equal(/^Vault passphrase: (\S+)$/m.exec(space)?.[1], key, 'the same key, not a second one');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
