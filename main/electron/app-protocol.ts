/**
 * The `app://terok/` scheme the window loads its page from, instead of
 * file://. A file:// page may read any file its URL can name; this scheme
 * answers only for files inside the built renderer folder, so Electron's
 * GrantFileProtocolExtraPrivileges fuse can be off (build/fuses.ts).
 *
 * The handler speaks the web's Request/Response (what Electron's
 * `protocol.handle` takes) and touches no Electron API, so the unit tests
 * and the Chromium e2e harness run this same code.
 */
import { realpathSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CONTENT_SECURITY_POLICY } from './security.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'terok';
/** What the window loads in a packaged or built app. */
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * Registered before `ready`: standard (relative URLs and an origin of its
 * own, so CSP 'self' means this scheme) and secure (a secure context, like
 * https). Nothing else: no CSP bypass, no fetch from other origins, no
 * service workers.
 */
export const APP_SCHEME_PRIVILEGES = { scheme: APP_SCHEME, privileges: { standard: true, secure: true } } as const;

/** Content types of what the renderer build emits; anything else is served as opaque bytes. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type AppFileLookup = { file: string } | { status: 400 | 404; reason: string };

/**
 * The file inside `rendererDir` a request URL names, or why there is none.
 * `rendererDir` must be the folder's real path (no links in it): the chosen
 * file's real path must lie inside it, so neither `..`, an encoded `..`, nor
 * a link planted in the folder reaches anything outside.
 */
export function lookUpAppFile(rendererDir: string, requestUrl: string): AppFileLookup {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { status: 400, reason: 'not a URL' };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return { status: 404, reason: `not an ${APP_SCHEME}://${APP_HOST}/ URL` };
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname);
  } catch {
    return { status: 400, reason: 'malformed percent-encoding' };
  }
  if (rel.includes('\0')) return { status: 400, reason: 'a NUL byte in the path' };
  if (rel === '/' || rel === '') rel = '/index.html';
  const candidate = path.resolve(rendererDir, `.${rel}`);
  if (!isInside(rendererDir, candidate)) return { status: 404, reason: 'outside the renderer folder' };
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    return { status: 404, reason: 'no such file' };
  }
  if (!isInside(rendererDir, real)) return { status: 404, reason: 'a link out of the renderer folder' };
  return { file: real };
}

function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Headers every answer carries: no sniffing a script out of another type, and no caching of a page that changes with each release. */
const BASE_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' } as const;

function refusal(status: number, text: string): Response {
  return new Response(text, { status, headers: { ...BASE_HEADERS, 'content-type': 'text/plain; charset=utf-8' } });
}

/**
 * The handler for `protocol.handle(APP_SCHEME, …)`: GET and HEAD of files in
 * `rendererDir`, with their content type and, on pages, the CSP header.
 * Everything else is a plain 4xx; the reason stays out of the response.
 */
export function createAppProtocolHandler(rendererDir: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refusal(405, 'method not allowed');
    let root: string;
    try {
      root = realpathSync(rendererDir);
    } catch {
      return refusal(404, 'not found'); // not built (a dev run loads the dev server instead)
    }
    const found = lookUpAppFile(root, request.url);
    if (!('file' in found)) return refusal(found.status, found.status === 400 ? 'bad request' : 'not found');
    try {
      if (!(await stat(found.file)).isFile()) return refusal(404, 'not found');
      const type = contentTypeOf(found.file);
      const headers: Record<string, string> = { ...BASE_HEADERS, 'content-type': type };
      if (type.startsWith('text/html')) headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
      const body = request.method === 'HEAD' ? null : await readFile(found.file);
      return new Response(body, { status: 200, headers });
    } catch {
      return refusal(404, 'not found');
    }
  };
}
