/**
 * The page as Chromium loads it through the app's own app:// handler (the
 * harness hands each request to main/electron/app-protocol.ts, since no
 * Electron can run here to register the scheme itself): the page carries the
 * CSP header and Chromium enforces it (an injected inline script does not
 * run), and a path that climbs out of the renderer folder gets a 404.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, test } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../../main/electron/security.ts';
import { createSandboxHost } from '../support/host.ts';
import { closeBrowser, openWizard, rendererBuilt } from './harness.ts';

/** A raw GET whose path goes to the server as written (no client-side normalising of `..`). */
function rawGet(base: string, rawPath: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: rawPath, method: 'GET', timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('the app:// page in Chromium', { skip: !rendererBuilt() && 'renderer not built' }, () => {
  after(async () => { await closeBrowser(); });

  test('is served with the CSP header, Chromium enforces it, and nothing outside the renderer folder is served', async () => {
    const host = createSandboxHost();
    const s = await openWizard(host.ctx);
    try {
      const base = s.page.url();
      const page = await rawGet(base, '/');
      assert.equal(page.status, 200);
      assert.match(page.body, /<div id="app">/);
      const blocked = await s.page.evaluate(() => {
        const el = document.createElement('script');
        el.textContent = 'window.__inlineRan = true';
        document.head.append(el);
        return (window as unknown as { __inlineRan?: boolean }).__inlineRan ?? false;
      });
      assert.equal(blocked, false, 'an inline script is refused by the CSP');
      const headerCsp = await s.page.evaluate(async () => (await fetch(location.href)).headers.get('content-security-policy'));
      assert.equal(headerCsp, CONTENT_SECURITY_POLICY);
      for (const escape of ['/../package.json', '/%2e%2e/%2e%2e/package.json', '/..%2f..%2fpackage.json', '/assets/..%2f..%2f..%2fpackage.json']) {
        const res = await rawGet(base, escape);
        assert.equal(res.status, 404, escape);
        assert.doesNotMatch(res.body, /"name"/, escape);
      }
    } finally {
      await s.close();
      host.cleanup();
    }
  });
});
