/**
 * The desktop shell with Electron mocked (no Electron binary runs here):
 * single instance, the menu's wiring (Re-run setup → app:rerun to the page,
 * Copy report → clipboard, Quit), window state restored and saved, the log
 * file, and CLI mode. The engine, report, log and state files are real.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mock, test } from 'node:test';
import type { MenuItemConstructorOptions } from 'electron';
import { Engine } from '../../../main/core/engine.ts';
import { appDirs } from '../../../main/electron/app-dirs.ts';
import { LOG_FILE_NAME } from '../../../main/electron/app-log.ts';
import { APP_ENTRY_URL, APP_SCHEME_PRIVILEGES } from '../../../main/electron/app-protocol.ts';
import { cliArgsOf, runCliMode } from '../../../main/electron/cli-mode.ts';
import { saveWindowState, WINDOW_STATE_FILE } from '../../../main/electron/window-state.ts';
import { createSandboxHost, installFakePodman } from '../../support/host.ts';

type Listener = (...args: unknown[]) => void;

/** Electron, as far as desktop.ts touches it, recording what it is asked to do. */
function fakeElectron() {
  const appListeners = new Map<string, Listener[]>();
  const calls: string[] = [];
  let lockGranted = true;
  let ready: () => void = () => {};
  const readyPromise = new Promise<void>((r) => { ready = r; });
  const windows: FakeWindow[] = [];
  const sent: [string, unknown][] = [];
  let menu: MenuItemConstructorOptions[] = [];
  let clipboardText = '';
  let dialogAnswer = 0;
  const protocolHandlers = new Map<string, (request: Request) => Promise<Response>>();
  const privilegedSchemes: unknown[] = [];
  const permissionHandlers: { request?: (wc: unknown, p: string, cb: (granted: boolean) => void) => void; check?: (wc: unknown, p: string) => boolean } = {};
  const loaded: string[] = [];

  class FakeWindow {
    readonly options: Record<string, unknown>;
    readonly listeners = new Map<string, Listener[]>();
    readonly contentsListeners = new Map<string, Listener[]>();
    openHandler: ((d: { url: string }) => unknown) | undefined;
    minimized = true;
    maximized = false;
    focused = 0;
    bounds = { x: 40, y: 50, width: 1200, height: 800 };
    readonly webContents = {
      on: (ev: string, l: Listener) => { this.contentsListeners.set(ev, [...(this.contentsListeners.get(ev) ?? []), l]); },
      setWindowOpenHandler: (h: (d: { url: string }) => unknown) => { this.openHandler = h; },
      send: (channel: string, payload: unknown) => { sent.push([channel, payload]); },
    };
    constructor(options: Record<string, unknown>) { this.options = options; windows.push(this); }
    on(ev: string, l: Listener) { this.listeners.set(ev, [...(this.listeners.get(ev) ?? []), l]); return this; }
    once(ev: string, l: Listener) { return this.on(ev, l); }
    emit(ev: string) { for (const l of this.listeners.get(ev) ?? []) l(); }
    emitContents(ev: string, ...args: unknown[]) { for (const l of this.contentsListeners.get(ev) ?? []) l(...args); }
    loadURL(url: string) { loaded.push(url); return Promise.resolve(); }
    show() {}
    maximize() { this.maximized = true; }
    isMaximized() { return this.maximized; }
    isMinimized() { return this.minimized; }
    restore() { this.minimized = false; calls.push('restore'); }
    focus() { this.focused++; calls.push('focus'); }
    getNormalBounds() { return this.bounds; }
  }

  const electron = {
    app: {
      requestSingleInstanceLock: () => { calls.push('lock'); return lockGranted; },
      quit: () => { calls.push('quit'); },
      exit: (code: number) => { calls.push(`exit ${code}`); },
      on: (ev: string, l: Listener) => { appListeners.set(ev, [...(appListeners.get(ev) ?? []), l]); },
      whenReady: () => readyPromise,
    },
    BrowserWindow: FakeWindow,
    clipboard: { writeText: (t: string) => { clipboardText = t; } },
    dialog: { showMessageBoxSync: (_w: unknown, opts: { buttons: string[] }) => { calls.push(`dialog ${opts.buttons.join('|')}`); return dialogAnswer; } },
    ipcMain: { handle: () => {}, removeHandler: () => {} },
    Menu: {
      buildFromTemplate: (t: MenuItemConstructorOptions[]) => t,
      setApplicationMenu: (m: MenuItemConstructorOptions[]) => { menu = m; },
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => { privilegedSchemes.push(...schemes); },
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => { protocolHandlers.set(scheme, handler); },
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: typeof permissionHandlers.request) => { permissionHandlers.request = h; },
        setPermissionCheckHandler: (h: typeof permissionHandlers.check) => { permissionHandlers.check = h; },
        webRequest: { onHeadersReceived: () => {} },
      },
    },
    shell: { openExternal: async (u: string) => { calls.push(`openExternal ${u}`); }, openPath: async (p: string) => { calls.push(`open ${p}`); return ''; } },
  };
  return {
    electron, calls, windows, sent, protocolHandlers, privilegedSchemes, permissionHandlers, loaded,
    setLock: (granted: boolean) => { lockGranted = granted; },
    setDialogAnswer: (n: number) => { dialogAnswer = n; },
    ready: async () => { ready(); await readyPromise; await new Promise((r) => setImmediate(r)); },
    emitApp: (ev: string, ...args: unknown[]) => { for (const l of appListeners.get(ev) ?? []) l(...args); },
    menuItem: (id: string) => menu.flatMap((m) => (m.submenu as MenuItemConstructorOptions[] | undefined) ?? []).find((i) => i.id === id),
    clipboard: () => clipboardText,
  };
}

const fake = fakeElectron();
mock.module('electron', { namedExports: fake.electron });
const { startDesktopApp } = await import('../../../main/electron/desktop.ts');

test('a second launch quits itself; the first one restores and focuses its window', async () => {
  const host = createSandboxHost();
  installFakePodman(host);
  const engine = new Engine(host.ctx);
  saveWindowState(appDirs(host.ctx.env, host.home).config, { x: 10, y: 20, width: 900, height: 600, maximized: true });
  const desktop = startDesktopApp({ engine })!;
  await fake.ready();
  const win = fake.windows.at(-1)!;
  assert.deepEqual([win.options.x, win.options.y, win.options.width, win.options.height, win.maximized], [10, 20, 900, 600, true], 'window state restored');

  fake.emitApp('second-instance');
  assert.deepEqual(fake.calls.filter((c) => c === 'restore' || c === 'focus'), ['restore', 'focus']);

  fake.setLock(false);
  fake.calls.length = 0;
  assert.equal(startDesktopApp({ engine }), null);
  assert.deepEqual(fake.calls, ['lock', 'quit'], 'the second instance asks for the lock, gets none, and quits');
  fake.setLock(true);

  // The menu of the first instance.
  win.emitContents('did-finish-load');
  fake.sent.length = 0;
  fake.menuItem('rerun-setup')!.click!({} as never, undefined, {} as never);
  assert.deepEqual(fake.sent, [['app:rerun', {}]], 'Re-run setup tells the page to start over');

  await desktop.copyReport();
  assert.match(fake.clipboard(), /^# Terok Setup report/);
  assert.ok(!fake.clipboard().includes(host.home));
  assert.equal(typeof fake.menuItem('copy-report')!.click, 'function');

  fake.menuItem('open-logs')!.click!({} as never, undefined, {} as never);
  assert.ok(fake.calls.includes(`open ${appDirs(host.ctx.env, host.home).logs}`));
  fake.calls.length = 0;
  fake.menuItem('quit')!.click!({} as never, undefined, {} as never);
  assert.deepEqual(fake.calls, ['quit']);

  // Window state is written when the window closes.
  win.bounds = { x: 5, y: 6, width: 1111, height: 777 };
  win.maximized = false;
  win.emit('close');
  const saved = JSON.parse(readFileSync(path.join(appDirs(host.ctx.env, host.home).config, WINDOW_STATE_FILE), 'utf8'));
  assert.deepEqual(saved, { x: 5, y: 6, width: 1111, height: 777, maximized: false });
  host.cleanup();
});

test('task events are logged under the XDG state dir without results and with secrets redacted', async () => {
  // One secret with a known key prefix, one without: the second is only caught by the env-derived redaction.
  const host = createSandboxHost({ env: { ANTHROPIC_API_KEY: 'sk-ant-seeded-0123456789', TEROK_VAULT_PASSPHRASE: 'plain words without any prefix 42' } });
  installFakePodman(host);
  const engine = new Engine(host.ctx);
  engine.tasks.register('sandbox.install', async (_p, task) => {
    task.log('using sk-ant-seeded-0123456789 for the test');
    task.log('unlocking with plain words without any prefix 42');
    return { generatedPassphrase: 'one-time-passphrase-abcdef' };
  });
  const desktop = startDesktopApp({ engine })!;
  await engine.tasks.wait(engine.tasks.start('sandbox.install', {}));
  const logFile = path.join(host.home, '.local', 'state', 'terok-setup', 'logs', LOG_FILE_NAME);
  assert.equal(desktop.log.file, logFile);
  const text = readFileSync(logFile, 'utf8');
  assert.match(text, /\[sandbox\.install [0-9a-f]{8}\] using \[redacted\] for the test/);
  assert.match(text, /\[sandbox\.install [0-9a-f]{8}\] done$/m);
  assert.match(text, /unlocking with \[redacted\]/);
  assert.ok(!text.includes('sk-ant-seeded') && !text.includes('one-time-passphrase') && !text.includes('without any prefix'));
  host.cleanup();
});

test('CLI mode: arguments after --terok-cli -- go to the CLI, the app exits with its code', async () => {
  assert.equal(cliArgsOf(['/opt/Terok Setup/terok-setup-app']), null);
  assert.deepEqual(cliArgsOf(['/x/terok-setup-app', '--ozone-platform=headless', '--terok-cli', '--', 'check', '--json']), ['check', '--json']);
  assert.deepEqual(cliArgsOf(['/x/app', '--terok-cli', '--version']), ['--version']);
  const calls: string[] = [];
  const code = await runCliMode({ whenReady: async () => { calls.push('ready'); }, exit: (c) => { calls.push(`exit ${c}`); } }, ['check'],
    async (args) => { calls.push(`cli ${args.join(' ')}`); return 3; });
  assert.equal(code, 3);
  assert.deepEqual(calls, ['ready', 'cli check', 'exit 3']);
  await assert.rejects(runCliMode({ whenReady: async () => {}, exit: (c) => { calls.push(`exit ${c}`); } }, [], async () => { throw new Error('boom'); }));
  assert.equal(calls.at(-1), 'exit 1', 'a crash still exits, with failure');
});

test('closing with an unsaved recovery key asks first; only "Close anyway" lets the page unload', async () => {
  const host = createSandboxHost();
  installFakePodman(host);
  startDesktopApp({ engine: new Engine(host.ctx) });
  await fake.ready();
  const win = fake.windows.at(-1)!;
  let prevented = 0;
  const event = { preventDefault: () => { prevented++; } };
  fake.setDialogAnswer(0);
  win.emitContents('will-prevent-unload', event);
  assert.equal(prevented, 0, 'Stay: the unload stays blocked');
  fake.setDialogAnswer(1);
  win.emitContents('will-prevent-unload', event);
  assert.equal(prevented, 1, 'Close anyway: the beforeunload veto is overridden');
  assert.ok(fake.calls.includes('dialog Stay and save it|Close anyway'));
  host.cleanup();
});

test('a window.open link reaches the browser as its normalised href, and only when allowed', async () => {
  const host = createSandboxHost();
  installFakePodman(host);
  startDesktopApp({ engine: new Engine(host.ctx) });
  await fake.ready();
  const win = fake.windows.at(-1)!;
  fake.calls.length = 0;
  for (const url of ['https://GitHub.com/terok-ai', 'https://github.com:8443/x', 'https://user:pw@github.com/', ' https://github.com/', 'http://github.com/']) {
    assert.deepEqual(win.openHandler!({ url }), { action: 'deny' }, 'never a new Electron window');
  }
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(fake.calls.filter((c) => c.startsWith('openExternal')), ['openExternal https://github.com/terok-ai']);
  host.cleanup();
});

test('quitting with a sign-in terminal open waits for its login to hang up and end; its output reaches the window, never the log', async () => {
  const host = createSandboxHost();
  installFakePodman(host);
  const engine = new Engine(host.ctx);
  const desktop = startDesktopApp({ engine })!;
  await fake.ready();
  const win = fake.windows.at(-1)!;
  win.emitContents('did-finish-load');
  fake.sent.length = 0;
  // A real pty whose program, like the CLI login, cleans up when it is hung up.
  const { sessionId } = engine.terminals.start(['/bin/sh', '-c', "trap 'echo stopping-login-SECRET; sleep 0.2; exit 0' HUP; echo url-SECRET-token; while :; do sleep 0.1; done"], { cols: 80, rows: 24, cwd: host.home, env: { PATH: '/usr/bin:/bin' } });
  const start = Date.now();
  while (!fake.sent.some(([c, p]) => c === 'login:output' && JSON.stringify(p).includes('url-SECRET-token'))) {
    assert.ok(Date.now() - start < 5000, 'the output reached the window');
    await new Promise((r) => setTimeout(r, 20));
  }
  fake.calls.length = 0;
  let prevented = false;
  fake.emitApp('will-quit', { preventDefault: () => { prevented = true; } });
  assert.equal(prevented, true, 'the quit waits');
  while (!fake.calls.includes('quit')) {
    assert.ok(Date.now() - start < 10_000, 'then quits');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(engine.terminals.active, 0);
  const ended = fake.sent.filter(([c, p]) => c === 'login:output' && (p as { sessionId: string }).sessionId === sessionId);
  assert.match(ended.map(([, p]) => (p as { data?: string }).data ?? '').join(''), /stopping-login-SECRET/, 'it cleaned up before the quit went on');
  assert.equal((ended.at(-1)![1] as { type: string }).type, 'exit');
  // With nothing open, the quit goes ahead at once.
  prevented = false;
  fake.emitApp('will-quit', { preventDefault: () => { prevented = true; } });
  assert.equal(prevented, false);
  assert.ok(!readFileSync(desktop.log.file, 'utf8').includes('SECRET'), 'no terminal output in the log');
  host.cleanup();
});

test('the window loads app://terok/index.html, served by the handler from the built renderer only; every permission is denied', async () => {
  const host = createSandboxHost();
  installFakePodman(host);
  const rendererDir = path.join(host.root, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Terok Setup</title>');
  writeFileSync(path.join(host.root, 'outside.txt'), 'not part of the renderer');
  fake.privilegedSchemes.length = 0;
  startDesktopApp({ engine: new Engine(host.ctx), rendererDir });
  assert.deepEqual(fake.privilegedSchemes, [APP_SCHEME_PRIVILEGES], 'the scheme is made privileged at once, before ready (Electron allows it only then)');
  await fake.ready();
  assert.equal(fake.loaded.at(-1), APP_ENTRY_URL);
  const handler = fake.protocolHandlers.get('app')!;
  const page = await handler(new Request(APP_ENTRY_URL));
  assert.equal(page.status, 200);
  assert.equal(await page.text(), '<!doctype html><title>Terok Setup</title>');
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.equal((await handler(new Request('app://terok/%2e%2e/outside.txt'))).status, 404, 'nothing outside the renderer folder');

  let granted: boolean | undefined;
  fake.permissionHandlers.request!({}, 'media', (g) => { granted = g; });
  assert.equal(granted, false, 'permission requests are refused');
  for (const permission of ['clipboard-read', 'notifications', 'media', 'hid', 'geolocation']) {
    assert.equal(fake.permissionHandlers.check!({}, permission), false, `the check for ${permission} says no`);
  }
  host.cleanup();
});
