/**
 * The handler table: one async function per request channel, over the engine.
 * Transport-agnostic — Electron's ipcMain binds it in the app, the browser
 * tests bind the very same table to a loopback bridge.
 */
import { startLoginTerminal } from '../core/auth/module.ts';
import type { Engine } from '../core/engine.ts';
import { failureOf } from '../core/errors.ts';
import { loadTerokConfig } from '../core/host/config.ts';
import { resolvePaths } from '../core/host/paths.ts';
import { installBlockOf, openableFiles } from '../core/sandbox/install-block.ts';
import { rosterView } from '../core/roster/view.ts';
import { buildReport } from '../core/report/index.ts';
import { RECOVERY_KEY_FILE_NAME, saveUnsavedRecoveryKey } from '../core/vault/recovery-key.ts';
import type { Envelope, Req, RequestChannel, Res } from './contract.ts';
import { ValidationError, validators } from './validate.ts';

export type HandlerTable = { [C in RequestChannel]: (req: Req<C>) => Promise<Res<C>> };

/** Links the app may open in the user's browser: these hosts and their subdomains. */
export const EXTERNAL_LINK_HOSTS = ['podman.io', 'github.com', 'terok.ai', 'docs.terok.ai'] as const;

// C0 and C1 control characters (newline, tab, NUL, …): URL would drop or encode them, a launcher might not.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The link to hand to the desktop, or null when it is refused: https only, an
 * allow-listed host, no port other than https's own, no user name or password,
 * and nothing URL would silently strip (surrounding whitespace, control
 * characters). The caller passes on the normalised `href`, never the raw string.
 * An explicit `:443` is accepted: URL normalises it away, so the href carries
 * no port and opens exactly what the bare host does.
 */
export function externalUrl(raw: string): string | null {
  if (CONTROL_CHARACTER.test(raw) || /^\s|\s$/.test(raw)) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.port !== '' || url.username !== '' || url.password !== '') return null;
  const allowed = (EXTERNAL_LINK_HOSTS as readonly string[]).some((h) => url.hostname === h || url.hostname.endsWith(`.${h}`));
  return allowed ? url.href : null;
}

/** How much of a refused link an error message quotes (the payload may be up to the validator's 2048 characters). */
const REFUSED_LINK_QUOTE = 80;

function refusedLinkMessage(raw: string): string {
  const quoted = JSON.stringify(raw.length > REFUSED_LINK_QUOTE ? `${raw.slice(0, REFUSED_LINK_QUOTE)}…` : raw);
  return `Terok Setup opens only https links to ${EXTERNAL_LINK_HOSTS.join(', ')} (no port, no user name or password); refused ${quoted}`;
}

/** What the handlers need from the desktop around them (Electron's shell and clipboard in the app). */
export interface DesktopBridge {
  openExternal(url: string): Promise<void>;
  /** Never logs the text: it may be a recovery key. */
  writeClipboard(text: string): void;
  /** An open-file dialog; the chosen absolute path, or null when cancelled. */
  chooseOpenPath(opts: { title: string; filters: { name: string; extensions: string[] }[] }): Promise<string | null>;
  /** Open a file with the desktop's default application; rejects with the desktop's reason. */
  openPath(file: string): Promise<void>;
  /**
   * A save dialog proposing `defaultName`; null when the user closed it.
   * `replaceConfirmed`: the dialog asked the user to replace an existing file and they agreed.
   */
  chooseSavePath(defaultName: string): Promise<{ path: string; replaceConfirmed: boolean } | null>;
}

/** What each open-file dialog asks for. */
const OPEN_DIALOGS = {
  'image-archive': { title: 'Import a container image', filters: [{ name: 'Image archives', extensions: ['tar', 'gz', 'tgz', 'zst', 'xz', 'bz2'] }, { name: 'All files', extensions: ['*'] }] },
} as const;

export function createHandlers(engine: Engine, desktop: DesktopBridge): HandlerTable {
  return {
    'app:info': async () => engine.appInfo(),
    'probe:sweep': async ({ settings, sweepId }) => engine.sweep(settings, undefined, sweepId),
    'task:start': async ({ step, params }) => ({ taskId: engine.tasks.start(step, params) }),
    'task:cancel': async ({ taskId }) => ({ cancelled: engine.tasks.cancel(taskId) }),
    'task:respond': async ({ taskId, requestId, answer }) => ({ accepted: engine.tasks.respond(taskId, requestId, answer) }),
    'roster:view': async () => rosterView(resolvePaths(engine.ctx)),
    'app:report': async ({ settings }) => ({ markdown: await buildReport(engine, settings) }),
    'clipboard:write': async ({ text }) => {
      desktop.writeClipboard(text);
      return { copied: true };
    },
    'dialog:open-file': async ({ purpose }) => {
      const d = OPEN_DIALOGS[purpose];
      return { path: await desktop.chooseOpenPath({ title: d.title, filters: d.filters.map((f) => ({ name: f.name, extensions: [...f.extensions] })) }) };
    },
    'shell:open-path': async ({ path }) => {
      // Only a file the Sandbox page names as the problem: the renderer cannot open arbitrary paths.
      const config = loadTerokConfig(engine.ctx);
      if (!openableFiles(installBlockOf(engine.ctx, config, resolvePaths(engine.ctx, config))).includes(path)) {
        throw new ValidationError('that file is not one Terok Setup offers to open');
      }
      await desktop.openPath(path);
      return { opened: true };
    },
    'recovery:save': async () => {
      const choice = await desktop.chooseSavePath(RECOVERY_KEY_FILE_NAME);
      if (!choice) return { path: null };
      return { path: saveUnsavedRecoveryKey(engine.ctx, choice.path, { replaceConfirmed: choice.replaceConfirmed }) };
    },
    'login:start': async (req) => startLoginTerminal(engine, engine.terminals, req),
    'login:input': async ({ sessionId, data }) => { engine.terminals.write(sessionId, data); return { written: true }; },
    'login:resize': async ({ sessionId, cols, rows }) => { engine.terminals.resize(sessionId, cols, rows); return { resized: true }; },
    'login:close': async ({ sessionId }) => ({ closed: await engine.terminals.close(sessionId) }),
    'shell:open-external': async ({ url }) => {
      const href = externalUrl(url);
      if (href === null) throw new ValidationError(refusedLinkMessage(url));
      await desktop.openExternal(href);
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
