/**
 * The install's guarantees around the one-time passphrase: it reaches the
 * caller even when something fails after it was minted or the task is
 * cancelled, it is never in a stage line or a log, cancel stops between
 * phases without a stamp, and only one install runs at a time (setup.lock).
 * Fixture terok, real files and SQLCipher DB; fake keyctl (always failing)
 * and, where the keyring tier is used, a secret-tool stand-in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { createTerokFixture } from '../../support/terok-fixture.ts';
import { failingKeyctl, fakeRoutes, install, recordingTask, uninstall } from '../../support/sandbox-install.ts';
import { main } from '../../../main/cli/index.ts';
import { Engine } from '../../../main/core/engine.ts';
import { acquireSetupLock, SETUP_LOCK_NAME } from '../../../main/core/host/lock.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { ensureSandboxReady, type InstallResult } from '../../../main/core/sandbox/install.ts';
import { RECOVERY_ACK_COMMAND } from '../../../main/core/vault/provisioning.ts';
import { register } from '../../../main/core/sandbox/module.ts';
import { uninstallSandbox } from '../../../main/core/sandbox/uninstall.ts';
import { CredentialDb } from '../../../main/core/vault/credential-db.ts';
import { sessionDigest } from '../../../main/core/vault/passphrase.ts';

function withHost(body: (host: SandboxHost) => Promise<void>, env: Record<string, string> = {}) {
  return async () => {
    const host = createSandboxHost({ env: { NO_COLOR: '1', ...env } });
    try {
      createTerokFixture(host);
      failingKeyctl(host);
      await body(host);
    } finally {
      host.cleanup();
    }
  };
}

const KEYRING_ENV = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' };

/**
 * A Secret Service stand-in: `store` reads stdin into a file, `search` reports it as secret-tool does.
 * `onStore` is shell run right after a store (to break something at exactly that moment).
 */
function fakeSecretTool(host: SandboxHost, onStore = ''): string {
  const store = path.join(host.root, 'fake-keyring');
  host.writeBin('secret-tool', `#!/bin/sh\ncase "$1" in\n  store) cat > ${store}; ${onStore} ;;\n  search) [ -f ${store} ] && { echo "label = terok-sandbox"; printf "secret = "; cat ${store}; echo; } ;;\nesac\n`);
  return store;
}

/**
 * The user config.yml turns into something that is not YAML the moment the keyring took the
 * passphrase: the keyring tier's `use_keyring: true` write then throws — after the key exists.
 * (Broken before the install starts, it would refuse to run at all.)
 */
const breakConfigOnStore = (host: SandboxHost) => {
  const file = path.join(host.home, '.config/terok/config.yml');
  return fakeSecretTool(host, `mkdir -p ${path.dirname(file)}; printf 'credentials: [use_keyring\\n  : : :\\n' > ${file}`);
};

type Rec = ReturnType<typeof recordingTask>;
const completedLabels = (rec: Rec) => rec.stages.filter((s) => s.status !== 'running').map((s) => s.label);

function assertNowhere(secret: string, rec: Rec, result: Partial<InstallResult>) {
  assert.ok(!rec.lines.some((l) => l.includes(secret)), 'passphrase in a line');
  assert.ok(!rec.logs.some((l) => l.includes(secret)), 'passphrase in a log');
  assert.ok(!rec.stages.some((s) => s.detail.includes(secret)), 'passphrase in a stage detail');
  assert.ok(!JSON.stringify({ ...result, generatedPassphrase: null }).includes(secret), 'passphrase elsewhere in the result');
}

test('minted, stored in the keyring, then use_keyring cannot be written: the stage fails but the result carries the passphrase', withHost(async (host) => {
  const store = breakConfigOnStore(host);
  const r = await install(host, { passphraseTier: 'keyring' });
  assert.equal(r.exitCode, 1);
  assert.equal(r.cancelled, false);
  assert.deepEqual(r.failedStages, ['Credentials DB']);
  const stage = r.rec.stages.find((s) => s.label === 'Credentials DB' && s.status !== 'running')!;
  assert.equal(stage.status, 'FAIL');
  assert.match(stage.detail, /is not valid YAML/);
  assert.match(stage.detail, /a new passphrase was generated before this failed — save the recovery key/);
  assert.match(r.generatedPassphrase ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(readFileSync(store, 'utf8'), r.generatedPassphrase, 'the keyring holds the very value handed back');
  assert.equal(r.vault, null);
  assertNowhere(r.generatedPassphrase!, r.rec, r);
  assert.ok(completedLabels(r.rec).includes('Supervisor hooks'), 'later phases still ran');
  assert.equal(existsSync(resolvePaths(host.ctx).setupStamp), false);

  // Why it matters: once the config is fixed, the re-run reuses the keyring value and keys the DB with it.
  writeFileSync(path.join(host.home, '.config/terok/config.yml'), '# fixed\n');
  const again = await install(host, { passphraseTier: 'keyring' });
  assert.equal(again.exitCode, 0, again.rec.lines.join('\n'));
  assert.equal(again.generatedPassphrase, r.generatedPassphrase, 'not yet saved: the same key is handed back again, never a second one');
  CredentialDb.open(resolvePaths(host.ctx).credentialDb, r.generatedPassphrase!).close();
}, KEYRING_ENV));

test('a tier that cannot take a passphrase fails before one is minted: nothing to show', withHost(async (host) => {
  fakeSecretTool(host);
  const r = await install(host, { passphraseTier: 'keyring' }); // no session bus in this host's env
  assert.deepEqual(r.failedStages, ['Credentials DB']);
  assert.equal(r.generatedPassphrase, null);
}));

test('minted and stored, then the DB step fails (a damaged legacy plaintext DB): passphrase still returned', withHost(async (host) => {
  const paths = resolvePaths(host.ctx);
  // SQLite's magic header, then garbage: looks like a legacy plaintext DB; encrypting it in place fails.
  host.write(paths.credentialDb, 'SQLite format 3\0' + 'x'.repeat(4096), 0o600);
  const r = await install(host, { passphraseTier: 'kernel-keyring' });
  assert.deepEqual(r.failedStages, ['Credentials DB'], r.rec.lines.join('\n'));
  assert.match(r.generatedPassphrase ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(readFileSync(path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb)), 'utf8'), r.generatedPassphrase);
  assertNowhere(r.generatedPassphrase!, r.rec, r);
}));

test('the sandbox.install task ends done with the passphrase when credentials failed after minting', withHost(async (host) => {
  breakConfigOnStore(host);
  const engine = new Engine(host.ctx);
  register(engine, { vaultRoutes: fakeRoutes });
  const id = engine.tasks.start('sandbox.install', { passphraseTier: 'keyring' });
  assert.equal(await engine.tasks.wait(id), 'done');
  const events = engine.tasks.events(id);
  const done = events.at(-1)!;
  const result = (done.type === 'done' ? done.result : null) as InstallResult;
  assert.equal(result.exitCode, 1);
  assert.ok(result.generatedPassphrase);
  assert.ok(!JSON.stringify(events.slice(0, -1)).includes(result.generatedPassphrase), 'only the done event carries it');
}, KEYRING_ENV));

// ---- cancel ----------------------------------------------------------------------

/** A recording task whose signal the test aborts; `abortAfter` aborts when that stage completes. */
function cancellableTask(abortAfter?: string) {
  const controller = new AbortController();
  const rec = recordingTask();
  const stage = rec.task.stage;
  rec.task = {
    ...rec.task,
    signal: controller.signal,
    stage: async (label, body) => {
      try {
        return await stage(label, body);
      } finally {
        if (label === abortAfter) controller.abort();
      }
    },
  };
  return { rec, controller };
}

test('cancel from inside the routes stage: nothing after it runs, no stamp, result returned as cancelled', withHost(async (host) => {
  const { rec, controller } = cancellableTask();
  const routes = async () => { controller.abort(); return 'regenerated'; };
  const r = await ensureSandboxReady({ ctx: host.ctx, task: rec.task, vaultRoutes: routes, sysRoot: host.root }, { passphraseTier: 'kernel-keyring' });
  assert.equal(r.cancelled, true);
  assert.equal(r.exitCode, 1);
  assert.deepEqual(completedLabels(rec), ['Vault routes']);
  assert.equal(r.generatedPassphrase, null);
  assert.equal(r.stampPath, null);
  const paths = resolvePaths(host.ctx);
  assert.equal(existsSync(paths.setupStamp), false);
  assert.equal(existsSync(paths.credentialDb), false);
  assert.ok(rec.logs.includes('Cancelled — the remaining steps were not run; no setup stamp written.'));
  assert.equal(existsSync(path.join(paths.stateRoot, SETUP_LOCK_NAME)), false, 'lock released');
}));

test('cancel right after the credentials stage: the minted passphrase comes back, supervisor hooks and stamp do not happen', withHost(async (host) => {
  const { rec } = cancellableTask('Credentials DB');
  const r = await ensureSandboxReady({ ctx: host.ctx, task: rec.task, vaultRoutes: fakeRoutes, sysRoot: host.root }, { passphraseTier: 'kernel-keyring' });
  assert.equal(r.cancelled, true);
  assert.equal(r.exitCode, 1);
  assert.match(r.generatedPassphrase ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.ok(completedLabels(rec).includes('Credentials DB'));
  assert.ok(!completedLabels(rec).includes('Supervisor hooks'));
  assert.equal(existsSync(resolvePaths(host.ctx).setupStamp), false);
  assert.deepEqual(r.failedStages, []);
  assertNowhere(r.generatedPassphrase!, rec, r);
}));

test('task cancel during the install: the task ends done with cancelled: true and the passphrase', withHost(async (host) => {
  const engine = new Engine(host.ctx);
  register(engine, { vaultRoutes: fakeRoutes });
  engine.tasks.subscribe((e) => {
    if (e.type === 'stage' && e.stage.label === 'Credentials DB' && e.stage.status !== 'running') engine.tasks.cancel(e.taskId);
  });
  const id = engine.tasks.start('sandbox.install', { passphraseTier: 'kernel-keyring' });
  assert.equal(await engine.tasks.wait(id), 'done');
  const done = engine.tasks.events(id).at(-1)!;
  const result = (done.type === 'done' ? done.result : null) as InstallResult;
  assert.equal(result.cancelled, true);
  assert.equal(result.exitCode, 1);
  assert.ok(result.generatedPassphrase);
  assert.equal(existsSync(resolvePaths(host.ctx).setupStamp), false);
}));

test('uninstall cancelled before it starts changes nothing and says so', withHost(async (host) => {
  assert.equal((await install(host, { passphraseTier: 'kernel-keyring' })).exitCode, 0);
  const { rec, controller } = cancellableTask();
  controller.abort();
  const u = await uninstallSandbox(host.ctx, rec.task);
  assert.equal(u.cancelled, true);
  assert.equal(u.exitCode, 1);
  assert.deepEqual(completedLabels(rec), []);
  assert.equal(existsSync(resolvePaths(host.ctx).setupStamp), true);
}));

// ---- one install at a time ---------------------------------------------------------

test('two concurrent installs: one runs, the other fails fast naming the pid; one passphrase minted', withHost(async (host) => {
  const a = recordingTask();
  const b = recordingTask();
  const deps = (task: typeof a.task) => ({ ctx: host.ctx, task, vaultRoutes: fakeRoutes, sysRoot: host.root });
  const [first, second] = await Promise.allSettled([
    ensureSandboxReady(deps(a.task), { passphraseTier: 'kernel-keyring' }),
    ensureSandboxReady(deps(b.task), { passphraseTier: 'kernel-keyring' }),
  ]);
  assert.equal(first.status, 'fulfilled');
  assert.equal(second.status, 'rejected');
  assert.equal((second as PromiseRejectedResult).reason.message, `another Terok Setup install is running (pid ${process.pid}); wait for it to finish`);
  assert.deepEqual(b.stages, [], 'the second run touched nothing');
  const r = (first as PromiseFulfilledResult<InstallResult>).value;
  assert.equal(r.exitCode, 0, a.lines.join('\n'));
  const paths = resolvePaths(host.ctx);
  assert.equal(readFileSync(path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb)), 'utf8'), r.generatedPassphrase);
  assert.equal(existsSync(path.join(paths.stateRoot, SETUP_LOCK_NAME)), false);
}));

test('CLI install while another process holds the lock: clear message, exit 1, nothing done', withHost(async (host) => {
  const paths = resolvePaths(host.ctx);
  const lock = acquireSetupLock(paths.stateRoot, { isAlive: () => true });
  try {
    // Pretend the holder is another process.
    writeFileSync(lock.path, JSON.stringify({ pid: 1, procStart: null, startedAt: new Date().toISOString() }));
    const engine = new Engine(host.ctx);
    register(engine, { vaultRoutes: fakeRoutes });
    let out = '';
    let err = '';
    const io = { out: (t: string) => { out += t; }, err: (t: string) => { err += t; }, stdinIsTty: false, readLine: async () => null };
    assert.equal(await main(['install', '--passphrase-tier', 'kernel-keyring'], io, engine), 1);
    assert.equal(err, 'terok-setup: another Terok Setup install is running (pid 1); wait for it to finish\n');
    assert.ok(!out.includes('Vault routes'));
    assert.equal(existsSync(paths.credentialDb), false);
    // Uninstall takes the same lock.
    await assert.rejects(uninstall(host), /another Terok Setup install is running \(pid 1\)/);
  } finally {
    lock.release();
  }
}));

test('a stale lock (its process is gone) is taken over; the install runs and removes it', withHost(async (host) => {
  const paths = resolvePaths(host.ctx);
  mkdirSync(paths.stateRoot, { recursive: true });
  const gone = Number(spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim());
  writeFileSync(path.join(paths.stateRoot, SETUP_LOCK_NAME), JSON.stringify({ pid: gone, procStart: '1', startedAt: '2024-01-01T00:00:00.000Z' }));
  const r = await install(host, { passphraseTier: 'kernel-keyring' });
  assert.equal(r.exitCode, 0, r.rec.lines.join('\n'));
  assert.equal(existsSync(path.join(paths.stateRoot, SETUP_LOCK_NAME)), false);
}));

test('recovery-key reminder: the install log and the CLI name the same command', withHost(async (host) => {
  const r = await install(host, { passphraseTier: 'kernel-keyring' });
  assert.ok(r.rec.logs.some((l) => l.includes(`confirm with: ${RECOVERY_ACK_COMMAND}`)), r.rec.logs.join('\n'));
  assert.ok(r.rec.logs.some((l) => l.includes('show it again with: terok-sandbox vault passphrase reveal')));
  assert.equal(RECOVERY_ACK_COMMAND, 'terok-sandbox vault passphrase acknowledge');

  const other = createSandboxHost({ env: { NO_COLOR: '1' } });
  try {
    createTerokFixture(other);
    failingKeyctl(other);
    const engine = new Engine(other.ctx);
    register(engine, { vaultRoutes: fakeRoutes });
    let out = '';
    const io = { out: (t: string) => { out += t; }, err: (t: string) => { out += t; }, stdinIsTty: false, readLine: async () => null };
    assert.equal(await main(['install', '--passphrase-tier', 'kernel-keyring'], io, engine), 0, out);
    assert.ok(out.includes(`Once saved, confirm it: ${RECOVERY_ACK_COMMAND}`));
    assert.ok(out.includes(`confirm with: ${RECOVERY_ACK_COMMAND}`));
  } finally {
    other.cleanup();
  }
}));
