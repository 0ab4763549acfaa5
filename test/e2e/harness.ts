/**
 * End-to-end harness: the real, built renderer in Debian's Chromium, talking
 * to the real handler table and engine over a loopback bridge.
 *
 * No Electron binary can run here, so Electron's IPC is the one part
 * replaced: Playwright's `exposeBinding` carries requests (checked to come
 * from the top frame, as main checks the sender frame) and `evaluate` carries
 * events. The page gets the same frozen `window.terok` shape the preload
 * builds from the contract.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Engine } from '../../main/core/engine.ts';
import type { HostContext } from '../../main/core/host/context.ts';
import { registerSetupModules } from '../../main/core/modules.ts';
import { API_METHODS, EVENT_CHANNELS } from '../../main/ipc/contract.ts';
import { createHandlers, dispatch } from '../../main/ipc/handlers.ts';
import { APP_HOST, APP_SCHEME, createAppProtocolHandler } from '../../main/electron/app-protocol.ts';
import { EventQueue } from '../../main/electron/ipc-bridge.ts';
import type { StepImpl } from '../../main/core/tasks/task-manager.ts';
import { recordingDesktop, type RecordingDesktop } from '../support/desktop.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const RENDERER_DIR = path.resolve(import.meta.dirname, '../../out/renderer');

export function rendererBuilt(): boolean {
  return existsSync(path.join(RENDERER_DIR, 'index.html'));
}

/**
 * The built renderer on a random loopback port, served by the app's own
 * app:// handler (main/electron/app-protocol.ts): each HTTP request is
 * handed to it as the app://terok/ request the window would make, so the
 * page gets the same files, types and CSP header as in the app.
 */
async function serveRenderer(): Promise<{ server: Server; url: string }> {
  const handle = createAppProtocolHandler(RENDERER_DIR);
  const server = createServer((req, res) => {
    void (async () => {
      const answer = await handle(new Request(`${APP_SCHEME}://${APP_HOST}${req.url ?? '/'}`, { method: req.method ?? 'GET' }));
      res.writeHead(answer.status, Object.fromEntries(answer.headers));
      res.end(Buffer.from(await answer.arrayBuffer()));
    })().catch(() => { if (!res.headersSent) res.writeHead(500); res.end(); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return { server, url: `http://127.0.0.1:${addr.port}/` };
}

/** Script run in the page before any app code: builds `window.terok` over the bridge. */
function bridgeScript(): string {
  return `(() => {
    const methods = ${JSON.stringify(API_METHODS)};
    const channels = ${JSON.stringify(EVENT_CHANNELS)};
    const listeners = new Map(channels.map((c) => [c, new Set()]));
    window.__terokEmit = (channel, payload) => { for (const l of listeners.get(channel) ?? []) l(payload); };
    const api = {};
    for (const [method, channel] of Object.entries(methods)) api[method] = (payload) => window.__terokInvoke(channel, payload ?? {});
    api.on = (channel, listener) => {
      if (!listeners.has(channel)) throw new Error('unknown event channel ' + channel);
      listeners.get(channel).add(listener);
      return () => listeners.get(channel).delete(listener);
    };
    Object.defineProperty(window, 'terok', { value: Object.freeze(api), writable: false, configurable: false });
  })();`;
}

export interface WizardSession {
  page: Page;
  engine: Engine;
  /** Clipboard writes and opened links the page asked main for. */
  desktop: RecordingDesktop;
  /** Requests the page made, by channel (to assert on traffic). */
  requests: { channel: string; payload: unknown }[];
  /** Fire the window-focus event, as main does when the window regains focus. */
  focus(): Promise<void>;
  close(): Promise<void>;
}

let browser: Browser | null = null;

export async function launchBrowser(): Promise<Browser> {
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  return browser;
}

export async function closeBrowser(): Promise<void> {
  await browser?.close();
  browser = null;
}

export interface OpenOptions {
  colorScheme?: 'light' | 'dark';
  /** Replace task steps after the real modules registered (for UI behaviour a real step cannot produce on demand). */
  steps?: Record<string, StepImpl>;
}

export async function openWizard(ctx: HostContext, opts: OpenOptions = {}): Promise<WizardSession> {
  const engine = new Engine(ctx);
  registerSetupModules(engine);
  for (const [name, impl] of Object.entries(opts.steps ?? {})) engine.tasks.register(name, impl);
  const desktop = recordingDesktop();
  const table = createHandlers(engine, desktop);
  const { server, url } = await serveRenderer();
  const b = await launchBrowser();
  const context = await b.newContext({ viewport: { width: 1100, height: 760 }, colorScheme: opts.colorScheme ?? 'light' });
  // No clipboard permission, as in the app (main denies every permission): copying goes through IPC.
  const page = await context.newPage();
  const requests: WizardSession['requests'] = [];
  await page.exposeBinding('__terokInvoke', async (source, channel: string, payload: unknown) => {
    if (source.frame !== page.mainFrame()) return { ok: false, error: { code: 'untrusted-sender', message: 'not the top frame' } };
    requests.push({ channel, payload });
    return dispatch(table, channel, payload);
  });
  await page.addInitScript(bridgeScript());
  const events = new EventQueue();
  const unsubscribeTasks = engine.tasks.subscribe((e) => events.emit('task:event', e));
  const unsubscribeProbes = engine.onProbeProgress((e) => events.emit('probe:progress', e));
  const unsubscribeLogins = engine.terminals.subscribe((e) => events.emit('login:output', e));
  const unsubscribe = () => { unsubscribeTasks(); unsubscribeProbes(); unsubscribeLogins(); };
  // Electron's webContents.send is cheap per message; a CDP evaluate is not, so the
  // bridge ships events in batches (order kept) — the page sees the same stream.
  let outbox: [string, unknown][] = [];
  const flush = () => {
    const batch = outbox;
    outbox = [];
    void page.evaluate((items) => {
      const w = window as unknown as { __terokEmit(c: string, p: unknown): void };
      for (const [c, p] of items) w.__terokEmit(c, p);
    }, batch).catch(() => {});
  };
  page.on('load', () => events.attach({
    send: (channel, payload) => {
      if (!outbox.length) setTimeout(flush, 5);
      outbox.push([channel, payload]);
    },
  }));
  await page.goto(url);
  return {
    page,
    engine,
    desktop,
    requests,
    focus: async () => { await page.evaluate(() => (window as unknown as { __terokEmit(c: string, p: unknown): void }).__terokEmit('app:focus', {})); },
    close: async () => {
      await engine.terminals.closeAll();
      unsubscribe();
      engine.dispose();
      await context.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
