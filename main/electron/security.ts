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
 * renderer's URL (file://…/index.html in production, the dev server in dev).
 */
export function isTrustedSender(frame: FrameLike | null | undefined, appUrl: string): boolean {
  if (!frame || frame.parent) return false;
  try {
    const sender = new URL(frame.url);
    const app = new URL(appUrl);
    if (sender.protocol !== app.protocol) return false;
    if (app.protocol === 'file:') return sender.pathname === app.pathname;
    return sender.origin === app.origin;
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
