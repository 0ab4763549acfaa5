/**
 * Pure parameter checks run before the vault or podman is touched: a bad
 * request is refused for what it is (not as "vault locked"), with no tier
 * read, no DB opened or created and no podman run. Watched through recording
 * stand-ins on PATH (test/support/watched-tiers.ts).
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { main } from '../../../main/cli/index.ts';
import { Engine } from '../../../main/core/engine.ts';
import { registerSetupModules } from '../../../main/core/modules.ts';
import type { TaskEvent } from '../../../main/core/tasks/task-manager.ts';
import { captureStreams } from '../../support/auth-harness.ts';
import { createSandboxHost } from '../../support/host.ts';
import { watchTiersAndPodman } from '../../support/watched-tiers.ts';

function watchedEngine(t: TestContext) {
  const host = createSandboxHost({ env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent-terok-test-bus' } });
  const watch = watchTiersAndPodman(host);
  const engine = new Engine(host.ctx);
  registerSetupModules(engine);
  t.after(() => { engine.dispose(); host.cleanup(); });
  const run = async (step: string, params: unknown): Promise<TaskEvent> => {
    const id = engine.tasks.start(step as never, params as never);
    await engine.tasks.wait(id);
    return engine.tasks.events(id).at(-1)!;
  };
  return { host, watch, engine, run };
}

const codeOf = (e: TaskEvent) => (e as { error?: { code: string } }).error?.code;

test('the watch sees a valid ssh.generate read a passphrase tier and create the DB', async (t) => {
  const { watch, run } = watchedEngine(t);
  const end = await run('ssh.generate', { scope: 'proj' });
  assert.equal(end.type, 'done', JSON.stringify(end));
  assert.ok(watch.calls().some((c) => c.startsWith('passphrase-command')), watch.calls().join('\n'));
  assert.ok(watch.dbExists());
});

test('ssh.generate refuses a bad scope before any passphrase tier is read or the DB is created', async (t) => {
  const { watch, run } = watchedEngine(t);
  for (const scope of ['%host', '../x', '-lead', 'has space', '', 'x'.repeat(65), 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789']) {
    const end = await run('ssh.generate', { scope });
    assert.equal(end.type, 'failed', scope);
    assert.equal(codeOf(end), 'invalid-params', `${scope}: ${JSON.stringify(end)}`);
  }
  assert.deepEqual(watch.calls(), []);
  assert.equal(watch.dbExists(), false);
});

test('CLI ssh-key refuses a bad scope as a usage error before the vault is touched', async (t) => {
  const { watch, engine } = watchedEngine(t);
  const cli = captureStreams();
  assert.equal(await main(['ssh-key', '--scope', '%host'], cli.io, engine), 2);
  assert.match(cli.err(), /reserved for sandbox infrastructure/);
  assert.deepEqual(watch.calls(), []);
  assert.equal(watch.dbExists(), false);
});

// Already in this order; pinned so it stays so.
test('credentials.api-key refuses a bad set, an unknown agent or a two-line key before the vault is touched', async (t) => {
  const { watch, run } = watchedEngine(t);
  for (const params of [
    { agent: 'claude', credentialSet: 'no spaces', apiKey: 'k-123' },
    { agent: 'no-such-agent', apiKey: 'k-123' },
    { agent: 'claude', apiKey: 'k-1\nk-2' },
    { agent: 'claude', apiKey: '   ' },
  ]) {
    const end = await run('credentials.api-key', params);
    assert.equal(codeOf(end), 'invalid-params', JSON.stringify(end));
  }
  assert.deepEqual(watch.calls(), []);
  assert.equal(watch.dbExists(), false);
});

test('vault.unlock refuses a malformed key or tier before any tier is read', async (t) => {
  const { watch, run } = watchedEngine(t);
  for (const params of [{ recoveryKey: 'a\nb' }, { recoveryKey: '' }, { recoveryKey: 'x'.repeat(1025) }, { recoveryKey: 'k', tier: 'systemd-creds' }]) {
    const end = await run('vault.unlock', params);
    assert.equal(end.type, 'failed', JSON.stringify(params));
    assert.equal(codeOf(end), 'invalid-params', JSON.stringify(end));
  }
  assert.deepEqual(watch.calls(), []);
});

test('images.import and images.build refuse a bad path or image reference before podman runs', async (t) => {
  const { host, watch, run } = watchedEngine(t);
  for (const [step, params] of [
    ['images.import', { path: 'relative.tar' }],
    ['images.import', { path: '/nonexistent-terok-test/image.tar' }],
    ['images.build', { baseImage: 'Ubuntu;rm -rf ~' }],
    ['images.build', { agents: 'claude;x' }],
    ['images.build-sidecar', { toolName: '../x' }],
  ] as const) {
    const end = await run(step, params);
    assert.equal(end.type, 'failed', `${step} ${JSON.stringify(params)}`);
  }
  assert.deepEqual(watch.calls(), []);
  // The watch sees podman when a request is good (the stand-in then fails the load).
  const archive = host.write('image.tar', 'not really an archive');
  assert.equal((await run('images.import', { path: archive })).type, 'failed');
  assert.deepEqual(watch.calls(), [`podman load -i ${archive}`]);
});
