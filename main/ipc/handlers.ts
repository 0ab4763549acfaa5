/**
 * The handler table: one async function per request channel, over the engine.
 * Transport-agnostic — Electron's ipcMain binds it in the app, the browser
 * tests bind the very same table to a loopback bridge.
 */
import { startLoginTerminal } from '../core/auth/module.ts';
import type { Engine } from '../core/engine.ts';
import { failureOf } from '../core/errors.ts';
import { resolvePaths } from '../core/host/paths.ts';
import { rosterView } from '../core/roster/view.ts';
import { buildReport } from '../core/report/index.ts';
import type { Envelope, Req, RequestChannel, Res } from './contract.ts';
import { ValidationError, validators } from './validate.ts';

export type HandlerTable = { [C in RequestChannel]: (req: Req<C>) => Promise<Res<C>> };

/** Links the app may open in the user's browser. */
export const EXTERNAL_LINK_HOSTS = ['podman.io', 'github.com', 'terok.ai', 'docs.terok.ai'] as const;

export function isAllowedExternalUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' && (EXTERNAL_LINK_HOSTS as readonly string[]).some((h) => url.hostname === h || url.hostname.endsWith(`.${h}`));
  } catch {
    return false;
  }
}

/** What the handlers need from the desktop around them (Electron's shell and clipboard in the app). */
export interface DesktopBridge {
  openExternal(url: string): Promise<void>;
  /** Never logs the text: it may be a recovery key. */
  writeClipboard(text: string): void;
}

export function createHandlers(engine: Engine, desktop: DesktopBridge): HandlerTable {
  return {
    'app:info': async () => engine.appInfo(),
    'probe:sweep': async ({ settings }) => engine.sweep(settings),
    'task:start': async ({ step, params }) => ({ taskId: engine.tasks.start(step, params) }),
    'task:cancel': async ({ taskId }) => ({ cancelled: engine.tasks.cancel(taskId) }),
    'task:respond': async ({ taskId, requestId, answer }) => ({ accepted: engine.tasks.respond(taskId, requestId, answer) }),
    'roster:view': async () => rosterView(resolvePaths(engine.ctx)),
    'app:report': async ({ settings }) => ({ markdown: await buildReport(engine, settings) }),
    'clipboard:write': async ({ text }) => {
      desktop.writeClipboard(text);
      return { copied: true };
    },
    'login:start': async (req) => startLoginTerminal(engine, engine.terminals, req),
    'login:input': async ({ sessionId, data }) => { engine.terminals.write(sessionId, data); return { written: true }; },
    'login:resize': async ({ sessionId, cols, rows }) => { engine.terminals.resize(sessionId, cols, rows); return { resized: true }; },
    'login:close': async ({ sessionId }) => ({ closed: await engine.terminals.close(sessionId) }),
    'shell:open-external': async ({ url }) => {
      if (!isAllowedExternalUrl(url)) throw new ValidationError(`links to ${url} are not opened by Terok Setup`);
      await desktop.openExternal(url);
      return { opened: true };
    },
  };
}

function errorBody(err: unknown): Envelope<never> {
  const { code, message, detail, stderrTail } = failureOf(err);
  const more = detail ?? stderrTail;
  return { ok: false, error: { code, message, ...(more ? { detail: more } : {}) } };
}

/** Validate, run, and wrap: the only entry point a transport calls. */
export async function dispatch(table: HandlerTable, channel: string, payload: unknown): Promise<Envelope<unknown>> {
  if (!Object.hasOwn(validators, channel)) return { ok: false, error: { code: 'unknown-channel', message: `unknown request channel '${channel}'` } };
  const c = channel as RequestChannel;
  try {
    const req = validators[c](payload);
    const value = await (table[c] as (r: unknown) => Promise<unknown>)(req);
    return { ok: true, value };
  } catch (err) {
    return errorBody(err);
  }
}
