/**
 * The desktop face: single instance, the window (with remembered state),
 * the application menu, the log file, and the IPC binding. Deliberately
 * thin — everything that decides anything lives in `core` (the engine) or
 * `ipc` (the contract); this file only wires them to Electron.
 */
import { app, BrowserWindow, clipboard, dialog, ipcMain, Menu, protocol, session, shell } from 'electron';
import path from 'node:path';
import { APP_VERSION, Engine } from '../core/engine.ts';
import { hostContextFromProcess } from '../core/host/context.ts';
import { registerSetupModules } from '../core/modules.ts';
import { buildReport, createRedactor, secretsFromEnv } from '../core/report/index.ts';
import { createHandlers, externalUrl } from '../ipc/handlers.ts';
import { AppLog } from './app-log.ts';
import { APP_ENTRY_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from './app-protocol.ts';
import { appDirs } from './app-dirs.ts';
import { bindRequests, EventQueue } from './ipc-bridge.ts';
import { menuTemplate } from './menu.ts';
import { CONTENT_SECURITY_POLICY, denyAllPermissions, hardenWebContents, SECURE_WEB_PREFERENCES } from './security.ts';
import { captureWindowState, loadWindowState, MIN_WINDOW_SIZE, saveWindowState } from './window-state.ts';

export interface DesktopOptions {
  engine?: Engine;
  /** The built renderer folder app:// serves (tests point it elsewhere). */
  rendererDir?: string;
}

export interface DesktopApp {
  engine: Engine;
  events: EventQueue;
  log: AppLog;
  /** The window, once created (null before ready and after close). */
  window(): BrowserWindow | null;
  copyReport(): Promise<void>;
}

const SAVE_STATE_DELAY_MS = 500;

/** Asked when the window would close while a new recovery key is still unsaved; button 1 closes. */
export const UNSAVED_KEY_DIALOG = {
  type: 'warning' as const,
  buttons: ['Stay and save it', 'Close anyway'],
  defaultId: 0,
  cancelId: 0,
  title: 'Recovery key not saved',
  message: 'Your vault recovery key has not been saved yet.',
  detail: 'Terok Setup shows it again until you confirm you saved it. Without it, your stored credentials cannot be recovered on a rebuilt or another computer.',
};

export function startDesktopApp(opts: DesktopOptions = {}): DesktopApp | null {
  if (!app.requestSingleInstanceLock()) {
    // Another Terok Setup is running; it gets our 'second-instance' and comes to the front.
    app.quit();
    return null;
  }
  // Only possible before 'ready': the scheme the page is served from (app-protocol.ts).
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
  const engine = opts.engine ?? new Engine(hostContextFromProcess());
  if (!opts.engine) registerSetupModules(engine);
  const dirs = appDirs(engine.ctx.env, engine.ctx.home);
  const log = new AppLog({ dir: dirs.logs, redact: createRedactor({ home: engine.ctx.home, secrets: secretsFromEnv(engine.ctx.env) }) });
  log.write('info', `Terok Setup ${APP_VERSION} started (electron ${process.versions.electron ?? '?'})`);
  const events = new EventQueue();
  engine.tasks.subscribe((e) => { log.taskEvent(e); events.emit('task:event', e); });
  engine.onProbeProgress((e) => events.emit('probe:progress', e));
  // Sign-in terminal output goes to the window only: it may hold a login URL or a token, so never to the log.
  engine.terminals.subscribe((e) => events.emit('login:output', e));

  let win: BrowserWindow | null = null;
  // The dev server URL is honoured only in development: a packaged app never loads a page named by the environment.
  const devUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
  const rendererUrl = () => devUrl ?? APP_ENTRY_URL;
  const rendererDir = opts.rendererDir ?? path.join(import.meta.dirname, '../renderer');
  const openExternal = async (url: string): Promise<void> => {
    const href = externalUrl(url);
    if (href !== null) await shell.openExternal(href);
  };

  // showOverwriteConfirmation: the dialog itself asks before it returns an existing file (GTK; macOS and Windows always ask).
  const chooseSavePath = async (defaultName: string): Promise<{ path: string; replaceConfirmed: boolean } | null> => {
    const options = { title: 'Save the vault recovery key', defaultPath: path.join(app.getPath('documents'), defaultName), properties: ['showOverwriteConfirmation' as const, 'createDirectory' as const] };
    const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    return r.canceled || !r.filePath ? null : { path: r.filePath, replaceConfirmed: true };
  };

  const copyReport = async (): Promise<void> => {
    try {
      clipboard.writeText(await buildReport(engine));
      log.write('info', 'diagnostics report copied to the clipboard');
    } catch (err) {
      log.write('error', `diagnostics report failed: ${(err as Error).message}`);
    }
  };

  function createWindow(): void {
    const state = loadWindowState(dirs.config);
    const w = new BrowserWindow({
      ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
      width: state.width,
      height: state.height,
      minWidth: MIN_WINDOW_SIZE.width,
      minHeight: MIN_WINDOW_SIZE.height,
      show: false,
      title: 'Terok Setup',
      autoHideMenuBar: true,
      webPreferences: { ...SECURE_WEB_PREFERENCES, preload: path.join(import.meta.dirname, '../preload/index.cjs') },
    });
    win = w;
    if (state.maximized) w.maximize();
    hardenWebContents(w.webContents, (url) => void openExternal(url));
    // The page refuses to unload while a newly generated recovery key is unsaved: ask before it is lost.
    w.webContents.on('will-prevent-unload', (event: { preventDefault(): void }) => {
      const choice = dialog.showMessageBoxSync(w, UNSAVED_KEY_DIALOG);
      if (choice === 1) event.preventDefault();
    });
    w.once('ready-to-show', () => w.show());
    w.webContents.on('did-finish-load', () => events.attach({ send: (c, p) => w.webContents.send(c, p) }));
    w.webContents.on('did-start-loading', () => events.detach());
    w.on('focus', () => events.emit('app:focus', {}));
    let saveTimer: NodeJS.Timeout | undefined;
    const saveState = () => {
      clearTimeout(saveTimer);
      try { saveWindowState(dirs.config, captureWindowState(w)); } catch (err) { log.write('warn', `window state not saved: ${(err as Error).message}`); }
    };
    const saveSoon = () => { clearTimeout(saveTimer); saveTimer = setTimeout(saveState, SAVE_STATE_DELAY_MS); };
    w.on('resize', saveSoon);
    w.on('move', saveSoon);
    w.on('maximize', saveSoon);
    w.on('unmaximize', saveSoon);
    w.on('close', saveState);
    w.on('closed', () => { events.detach(); win = null; });
    void w.loadURL(rendererUrl());
  }

  app.on('second-instance', () => {
    if (win) { if (win.isMinimized()) win.restore(); win.focus(); }
  });
  app.on('web-contents-created', (_e, contents) => hardenWebContents(contents, (url) => void openExternal(url)));
  void app.whenReady().then(() => {
    protocol.handle(APP_SCHEME, createAppProtocolHandler(rendererDir));
    denyAllPermissions(session.defaultSession);
    // app:// pages carry the CSP header from their handler; this covers the dev server.
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    });
    Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate({
      rerunSetup: () => events.emit('app:rerun', {}),
      copyReport: () => void copyReport(),
      openLogs: () => void shell.openPath(dirs.logs),
      quit: () => app.quit(),
    })));
    bindRequests(ipcMain, createHandlers(engine, {
      openExternal,
      writeClipboard: (text) => clipboard.writeText(text),
      chooseOpenPath: async ({ title, filters }) => {
        const opts = { title, filters, properties: ['openFile' as const] };
        const picked = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
        return picked.canceled ? null : picked.filePaths[0] ?? null;
      },
      openPath: async (file) => {
        const error = await shell.openPath(file);
        if (error) throw new Error(`the file could not be opened: ${error}`);
      },
      chooseSavePath,
    }), rendererUrl);
    createWindow();
  });
  app.on('window-all-closed', () => app.quit());
  // An open sign-in terminal is hung up first, and the quit waits while its login stops and removes its container.
  app.on('will-quit', (event) => {
    if (!engine.terminals.active) return;
    event.preventDefault();
    log.write('info', 'closing the sign-in terminal before quitting');
    void engine.terminals.closeAll().finally(() => app.quit());
  });
  app.on('before-quit', () => { log.write('info', 'quitting'); engine.dispose(); });
  return { engine, events, log, window: () => win, copyReport };
}
