/**
 * The Electron security baseline in one place: web preferences, the content
 * security policy, navigation/new-window denial, permission denial, and the
 * check that an IPC message really comes from our own top-level page.
 * Takes Electron objects as parameters so it can be tested without Electron.
 */
import { externalUrl } from '../ipc/handlers.ts';

export const SECURE_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
} as const;

/** Applied as a response header for every page we load (and as a meta tag in index.html). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Minimal structural types of the Electron pieces we touch. */
export interface FrameLike {
  url: string;
  parent: unknown;
}

export interface WebContentsLike {
  on(event: 'will-navigate' | 'will-redirect', listener: (e: { preventDefault(): void }, url: string) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/**
 * True when the sender is the top frame of our own page. `appUrl` is the
 * renderer's URL (app://terok/index.html when built, the dev server in dev).
 * Scheme and host are compared rather than `origin`: WHATWG URL gives a
 * non-special scheme such as app: the opaque origin "null". A URL without a
 * host (file:, data:, about:) is never ours.
 */
export function isTrustedSender(frame: FrameLike | null | undefined, appUrl: string): boolean {
  if (!frame || frame.parent) return false;
  try {
    const sender = new URL(frame.url);
    const app = new URL(appUrl);
    return app.host !== '' && sender.protocol === app.protocol && sender.host === app.host;
  } catch {
    return false;
  }
}

/** Deny every navigation and new window; allow-listed https links open in the user's browser. */
export function hardenWebContents(contents: WebContentsLike, openExternal: (url: string) => void): void {
  const block = (e: { preventDefault(): void }) => e.preventDefault();
  contents.on('will-navigate', block);
  contents.on('will-redirect', block);
  contents.setWindowOpenHandler(({ url }) => {
    const href = externalUrl(url);
    if (href !== null) openExternal(href);
    return { action: 'deny' };
  });
}

export interface PermissionSessionLike {
  setPermissionRequestHandler(handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: (webContents: unknown, permission: string) => boolean): void;
}

/**
 * The wizard needs no web permission (camera, notifications, clipboard-read,
 * HID, …): requests are refused, and checks (which Chromium makes without
 * asking, e.g. before showing a permission state to the page) say no.
 */
export function denyAllPermissions(session: PermissionSessionLike): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
