/**
 * The Electron binding with Electron itself replaced: no Electron binary can
 * run here, so `electron` is a mocked module (preload test) or the pieces
 * take Electron-shaped objects (bridge, security). What is real: the handler
 * table, the validators and the engine behind them.
 */
import { NO_DESKTOP } from '../../support/desktop.ts';
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { APP_ENTRY_URL } from '../../../main/electron/app-protocol.ts';
import { bindRequests, EventQueue, UNTRUSTED_SENDER, type IpcMainLike } from '../../../main/electron/ipc-bridge.ts';
import { CONTENT_SECURITY_POLICY, hardenWebContents, isTrustedSender, SECURE_WEB_PREFERENCES } from '../../../main/electron/security.ts';
import { createHandlers } from '../../../main/ipc/handlers.ts';
import { API_METHODS, REQUEST_CHANNELS } from '../../../main/ipc/contract.ts';
import { Engine } from '../../../main/core/engine.ts';
import { createSandboxHost } from '../../support/host.ts';

const APP = APP_ENTRY_URL;

test('web preferences follow the security baseline', () => {
  assert.equal(SECURE_WEB_PREFERENCES.contextIsolation, true);
  assert.equal(SECURE_WEB_PREFERENCES.sandbox, true);
  assert.equal(SECURE_WEB_PREFERENCES.nodeIntegration, false);
  assert.equal(SECURE_WEB_PREFERENCES.webSecurity, true);
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-(inline|eval)/);
});

test('only the top frame of our own page is a trusted sender', () => {
  assert.equal(isTrustedSender({ url: APP, parent: null }, APP), true);
  assert.equal(isTrustedSender({ url: `${APP}#/summary`, parent: null }, APP), true);
  assert.equal(isTrustedSender({ url: APP, parent: {} }, APP), false, 'a sub-frame');
  assert.equal(isTrustedSender({ url: 'app://terok/assets/other.html', parent: null }, APP), true, 'any page of our own scheme and host');
  assert.equal(isTrustedSender({ url: 'app://evil/index.html', parent: null }, APP), false, 'another host of the scheme');
  assert.equal(isTrustedSender({ url: 'file:///tmp/evil.html', parent: null }, APP), false);
  assert.equal(isTrustedSender({ url: 'file:///tmp/evil.html', parent: null }, 'file:///tmp/index.html'), false, 'a URL without a host is never trusted');
  assert.equal(isTrustedSender({ url: 'data:text/html,x', parent: null }, APP), false);
  assert.equal(isTrustedSender({ url: 'https://example.com/', parent: null }, APP), false);
  assert.equal(isTrustedSender(null, APP), false);
  assert.equal(isTrustedSender({ url: 'http://localhost:5173/', parent: null }, 'http://localhost:5173/'), true);
  assert.equal(isTrustedSender({ url: 'http://localhost:5174/', parent: null }, 'http://localhost:5173/'), false);
});

test('bindRequests registers every channel; untrusted senders are refused before validation', async () => {
  const host = createSandboxHost({ inheritPath: false });
  const handlers = new Map<string, (e: { senderFrame: { url: string; parent: unknown } | null }, p: unknown) => Promise<unknown>>();
  const ipcMain: IpcMainLike = { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) };
  const unbind = bindRequests(ipcMain, createHandlers(new Engine(host.ctx), NO_DESKTOP), () => APP);
  assert.deepEqual([...handlers.keys()].sort(), [...REQUEST_CHANNELS].sort());
  const info = handlers.get('app:info')!;
  assert.deepEqual(await info({ senderFrame: { url: 'https://evil.example/', parent: null } }, {}), UNTRUSTED_SENDER);
  const answer = (await info({ senderFrame: { url: APP, parent: null } }, {})) as { ok: boolean };
  assert.equal(answer.ok, true);
  const bad = (await handlers.get('probe:sweep')!({ senderFrame: { url: APP, parent: null } }, { settings: 42 })) as { ok: boolean; error: { code: string } };
  assert.deepEqual([bad.ok, bad.error.code], [false, 'invalid-request']);
  unbind();
  assert.equal(handlers.size, 0);
  host.cleanup();
});

test('events queue until the window is ready, then flow through in order', () => {
  const q = new EventQueue();
  q.emit('app:focus', {});
  q.emit('app:focus', {});
  assert.equal(q.queued, 2);
  const sent: string[] = [];
  q.attach({ send: (c) => sent.push(c) });
  q.emit('app:focus', {});
  assert.deepEqual(sent, ['app:focus', 'app:focus', 'app:focus']);
  q.detach();
  q.emit('app:focus', {});
  assert.equal(q.queued, 1);
});

test('navigation and new windows are denied; allow-listed https links go to the browser', () => {
  const listeners = new Map<string, (e: { preventDefault(): void }, url: string) => void>();
  let openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined;
  const opened: string[] = [];
  hardenWebContents({ on: (ev, l) => listeners.set(ev, l), setWindowOpenHandler: (h) => { openHandler = h; } }, (u) => opened.push(u));
  let prevented = 0;
  listeners.get('will-navigate')!({ preventDefault: () => prevented++ }, 'https://podman.io/');
  listeners.get('will-redirect')!({ preventDefault: () => prevented++ }, 'https://evil.example/');
  assert.equal(prevented, 2);
  assert.deepEqual(openHandler!({ url: 'https://podman.io/docs/installation' }), { action: 'deny' });
  assert.deepEqual(openHandler!({ url: 'https://evil.example/' }), { action: 'deny' });
  assert.deepEqual(openHandler!({ url: 'https://podman.io:8443/' }), { action: 'deny' });
  assert.deepEqual(openHandler!({ url: 'https://PODMAN.io/a b' }), { action: 'deny' });
  assert.deepEqual(opened, ['https://podman.io/docs/installation', 'https://podman.io/a%20b'], 'the normalised href, never the raw string');
});

test('the preload exposes exactly one frozen window.terok of named functions, never ipcRenderer', async () => {
  const exposed: Record<string, unknown> = {};
  const invoked: [string, unknown][] = [];
  const ipcRenderer = {
    invoke: async (c: string, p: unknown) => { invoked.push([c, p]); return { ok: true, value: 'pong' }; },
    on: () => {}, removeListener: () => {},
  };
  mock.module('electron', { namedExports: { contextBridge: { exposeInMainWorld: (k: string, v: unknown) => { exposed[k] = v; } }, ipcRenderer } });
  await import('../../../main/electron/preload.ts');
  assert.deepEqual(Object.keys(exposed), ['terok']);
  const api = exposed.terok as Record<string, unknown>;
  assert.ok(Object.isFrozen(api));
  assert.deepEqual(Object.keys(api).sort(), [...Object.keys(API_METHODS), 'on'].sort());
  assert.ok(Object.values(api).every((v) => typeof v === 'function'));
  assert.ok(!Object.values(api).includes(ipcRenderer.invoke));
  assert.deepEqual(await (api.appInfo as (p: object) => Promise<unknown>)({}), { ok: true, value: 'pong' });
  assert.deepEqual(invoked, [['app:info', {}]]);
});
