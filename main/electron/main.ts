/**
 * Electron main process: app lifecycle and the window. Deliberately thin —
 * everything that decides anything lives in `core` (the engine) or `ipc`
 * (the contract); this file only wires them to Electron.
 */
import { app, BrowserWindow, ipcMain, session, shell } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Engine } from '../core/engine.ts';
import { hostContextFromProcess } from '../core/host/context.ts';
import { registerSetupModules } from '../core/modules.ts';
import { createHandlers, isAllowedExternalUrl } from '../ipc/handlers.ts';
import { bindRequests, EventQueue } from './ipc-bridge.ts';
import { CONTENT_SECURITY_POLICY, hardenWebContents, SECURE_WEB_PREFERENCES } from './security.ts';

const engine = new Engine(hostContextFromProcess());
registerSetupModules(engine);
const events = new EventQueue();
engine.tasks.subscribe((e) => events.emit('task:event', e));

let win: BrowserWindow | null = null;

const rendererUrl = (): string =>
  process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(path.join(import.meta.dirname, '../renderer/index.html')).href;

const openExternal = async (url: string): Promise<void> => {
  if (isAllowedExternalUrl(url)) await shell.openExternal(url);
};

function createWindow(): void {
  win = new BrowserWindow({
    width: 1040,
    height: 720,
    minWidth: 800,
    minHeight: 560,
    show: false,
    title: 'Terok Setup',
    autoHideMenuBar: true,
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload: path.join(import.meta.dirname, '../preload/index.cjs') },
  });
  hardenWebContents(win.webContents, (url) => void openExternal(url));
  win.once('ready-to-show', () => win?.show());
  win.webContents.on('did-finish-load', () => events.attach({ send: (c, p) => win?.webContents.send(c, p) }));
  win.webContents.on('did-start-loading', () => events.detach());
  win.on('focus', () => events.emit('app:focus', {}));
  win.on('closed', () => { events.detach(); win = null; });
  void win.loadURL(rendererUrl());
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win) { if (win.isMinimized()) win.restore(); win.focus(); }
  });
  app.on('web-contents-created', (_e, contents) => hardenWebContents(contents, (url) => void openExternal(url)));
  void app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_wc, _perm, callback) => callback(false));
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    });
    bindRequests(ipcMain, createHandlers(engine, openExternal), rendererUrl);
    createWindow();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => engine.dispose());
}
