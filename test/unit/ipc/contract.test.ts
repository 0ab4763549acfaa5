/** The typed IPC contract: validation, envelopes, and the API object built from it. */
import { NO_DESKTOP, recordingDesktop } from '../../support/desktop.ts';
import assert from 'node:assert/strict';
import path from 'node:path';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { clearRosterCache } from '../../../main/core/roster/current.ts';
import { test } from 'node:test';
import { API_METHODS, buildApi, EVENT_CHANNELS, REQUEST_CHANNELS } from '../../../main/ipc/contract.ts';
import { createHandlers, dispatch } from '../../../main/ipc/handlers.ts';
import { validators } from '../../../main/ipc/validate.ts';
import { Engine } from '../../../main/core/engine.ts';
import { createSandboxHost } from '../../support/host.ts';

const good = { provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null };

test('every request channel has a validator and a handler', () => {
  const host = createSandboxHost();
  const table = createHandlers(new Engine(host.ctx), NO_DESKTOP);
  assert.deepEqual(Object.keys(validators).sort(), [...REQUEST_CHANNELS].sort());
  assert.deepEqual(Object.keys(table).sort(), [...REQUEST_CHANNELS].sort());
  host.cleanup();
});

test('settings validation names the field and rejects unknown keys, bad enums and shell-ish values', () => {
  const v = validators['probe:sweep'];
  assert.deepEqual(v({ settings: good }), { settings: good });
  assert.throws(() => v({ settings: { ...good, extra: 1 } }), /settings has an unknown field 'extra'/);
  assert.throws(() => v({ settings: { ...good, family: 'apk' } }), /settings.family must be "deb", "rpm" or null/);
  assert.throws(() => v({ settings: { ...good, baseImage: 'ubuntu; rm -rf ~' } }), /settings.baseImage has an invalid value/);
  assert.throws(() => v({ settings: { ...good, provider: '' } }), /settings.provider must not be empty/);
  assert.throws(() => v({ settings: { ...good, mountsDir: 'relative/dir' } }), /must be an absolute path/);
  assert.throws(() => v(null), /payload must be an object/);
});

test('task ids must be UUIDs; step names a plain identifier', () => {
  assert.throws(() => validators['task:cancel']({ taskId: '../../etc' }), /payload.taskId has an invalid value/);
  assert.throws(() => validators['task:start']({ step: 'Bad Step', params: {} }), /payload.step has an invalid value/);
  assert.deepEqual(validators['task:start']({ step: 'images.build' }), { step: 'images.build', params: {} });
});

test('dispatch wraps results and every error in an envelope, never throwing', async () => {
  const host = createSandboxHost({ inheritPath: false });
  const table = createHandlers(new Engine(host.ctx), NO_DESKTOP);
  const ok = await dispatch(table, 'app:info', {});
  assert.equal(ok.ok, true);
  assert.deepEqual(await dispatch(table, 'nope:channel', {}), { ok: false, error: { code: 'unknown-channel', message: "unknown request channel 'nope:channel'" } });
  assert.deepEqual(await dispatch(table, 'probe:sweep', { settings: { ...good, family: 'x' } }), { ok: false, error: { code: 'invalid-request', message: 'settings.family must be "deb", "rpm" or null' } });
  assert.deepEqual(await dispatch(table, 'task:start', { step: 'no.such-step', params: {} }), { ok: false, error: { code: 'unknown-step', message: "no setup step named 'no.such-step'" } });
  const sweep = await dispatch(table, 'probe:sweep', { settings: good });
  assert.equal(sweep.ok, true);
  host.cleanup();
});

test('buildApi makes one frozen object: a function per method, bound to its channel, plus on()', async () => {
  const calls: [string, unknown][] = [];
  const api = buildApi(async (c, p) => { calls.push([c, p]); return { ok: true, value: null }; }, () => () => {});
  assert.ok(Object.isFrozen(api));
  assert.deepEqual(Object.keys(api).sort(), [...Object.keys(API_METHODS), 'on'].sort());
  await api.sweep({ settings: good });
  assert.deepEqual(calls, [['probe:sweep', { settings: good }]]);
  assert.throws(() => api.on('evil' as never, () => {}), /unknown event channel/);
  assert.deepEqual([...EVENT_CHANNELS], ['task:event', 'probe:progress', 'app:focus', 'app:rerun', 'login:output']);
});

test('shell:open-path opens only a file the Sandbox page names (a broken roster file), and the open-file dialog only for a known purpose', async () => {
  const host = createSandboxHost();
  const desktop = recordingDesktop();
  const table = createHandlers(new Engine(host.ctx), desktop);
  try {
    clearRosterCache();
    const broken = host.write(path.join(resolvePaths(host.ctx).userAgentsDir, 'claude.yaml'), 'binary: [claude\n');
    const fine = host.write(path.join(resolvePaths(host.ctx).userAgentsDir, 'notes.txt'), 'hello\n');
    for (const p of [fine, '/etc/passwd', `${broken}/../claude.yaml`, 'claude.yaml']) {
      const res = await dispatch(table, 'shell:open-path', { path: p });
      assert.equal(res.ok, false, p);
    }
    assert.deepEqual(await dispatch(table, 'shell:open-path', { path: broken }), { ok: true, value: { opened: true } });
    assert.deepEqual(desktop.openedPaths, [broken]);

    assert.equal((await dispatch(table, 'dialog:open-file', { purpose: 'anything' })).ok, false);
    desktop.nextOpenPath = '/tmp/image.tar';
    assert.deepEqual(await dispatch(table, 'dialog:open-file', { purpose: 'image-archive' }), { ok: true, value: { path: '/tmp/image.tar' } });
    assert.deepEqual(desktop.dialogs, ['Import a container image']);
  } finally {
    clearRosterCache();
    host.cleanup();
  }
});

test('sign-in terminal channels: session ids are UUIDs, sizes and input are bounded, the command is main\'s choice', async () => {
  const sid = '0b7c6c1e-3f1a-4c55-9d55-2f1c8c1d2e3f';
  assert.deepEqual(validators['login:start']({ agent: 'claude', credentialSet: 'default', cols: 80, rows: 24 }), { agent: 'claude', credentialSet: 'default', cols: 80, rows: 24 });
  // No way to name a program: unknown fields are refused.
  assert.throws(() => validators['login:start']({ agent: 'claude', credentialSet: 'default', cols: 80, rows: 24, command: ['/bin/sh'] }), /unknown field 'command'/);
  assert.throws(() => validators['login:start']({ agent: '../claude', credentialSet: 'default', cols: 80, rows: 24 }), /payload.agent has an invalid value/);
  assert.throws(() => validators['login:start']({ agent: 'claude', credentialSet: 'default', cols: 80.5, rows: 24 }), /payload.cols must be a whole number/);
  assert.throws(() => validators['login:resize']({ sessionId: sid, cols: 10_000, rows: 24 }), /payload.cols must be at most 500/);
  assert.throws(() => validators['login:resize']({ sessionId: sid, cols: 80, rows: 0 }), /payload.rows must be at least 5/);
  assert.throws(() => validators['login:input']({ sessionId: 'x', data: 'a' }), /payload.sessionId has an invalid value/);
  const secret = 'pasted-code-'.repeat(2000);
  assert.throws(() => validators['login:input']({ sessionId: sid, data: secret }), (err: Error) => /payload.data is too long/.test(err.message) && !err.message.includes('pasted-code'));
  assert.deepEqual(validators['login:close']({ sessionId: sid }), { sessionId: sid });

  const host = createSandboxHost();
  try {
    const table = createHandlers(new Engine(host.ctx), NO_DESKTOP);
    assert.deepEqual(await dispatch(table, 'login:input', { sessionId: sid, data: 'x' }), { ok: false, error: { code: 'pty-unknown-session', message: 'that sign-in terminal has already closed' } });
    assert.deepEqual(await dispatch(table, 'login:close', { sessionId: sid }), { ok: true, value: { closed: false } });
    const refused = await dispatch(table, 'login:start', { agent: 'nosuchagent', credentialSet: 'default', cols: 80, rows: 24 });
    assert.equal(refused.ok, false);
    assert.match(!refused.ok ? refused.error.message : '', /Unknown auth provider: nosuchagent/);
  } finally {
    host.cleanup();
  }
});
