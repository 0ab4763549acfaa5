/**
 * The app:// handler (main/electron/app-protocol.ts) over a real folder of
 * files: it serves the renderer's files with their types and refuses every
 * way out of the folder — `..`, encoded `..`, encoded slashes, a planted
 * link, another host. The handler uses only web Request/Response, so no
 * Electron is mocked here; desktop.test.ts checks Electron is given it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { APP_ENTRY_URL, createAppProtocolHandler, lookUpAppFile } from '../../../main/electron/app-protocol.ts';
import { CONTENT_SECURITY_POLICY } from '../../../main/electron/security.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'terok-app-protocol-'));
const renderer = path.join(work, 'renderer');
const SECRET = 'outside the renderer: must never be served';
mkdirSync(path.join(renderer, 'assets'), { recursive: true });
writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>Terok Setup</title>');
writeFileSync(path.join(renderer, 'assets', 'index-abc.js'), 'console.log(1)');
writeFileSync(path.join(renderer, 'assets', 'index-abc.css'), 'body{}');
writeFileSync(path.join(renderer, 'assets', 'logo.svg'), '<svg/>');
writeFileSync(path.join(renderer, 'assets', 'data.bin'), 'x');
writeFileSync(path.join(work, 'secret.txt'), SECRET);
symlinkSync(path.join(work, 'secret.txt'), path.join(renderer, 'assets', 'planted.txt'));
symlinkSync(work, path.join(renderer, 'up'));
after(() => rmSync(work, { recursive: true, force: true }));

const handle = createAppProtocolHandler(renderer);
const get = (url: string, method = 'GET') => handle(new Request(url, { method }));

test('the entry page is served as HTML with the content security policy, also for the bare origin', async () => {
  for (const url of [APP_ENTRY_URL, 'app://terok/', 'app://terok']) {
    const res = await get(url);
    assert.equal(res.status, 200, url);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await res.text(), '<!doctype html><title>Terok Setup</title>');
  }
});

test('assets get their own content types, unknown ones opaque bytes, and no CSP header (it is the page that carries it)', async () => {
  const types = {
    'app://terok/assets/index-abc.js': 'text/javascript; charset=utf-8',
    'app://terok/assets/index-abc.css': 'text/css; charset=utf-8',
    'app://terok/assets/logo.svg': 'image/svg+xml',
    'app://terok/assets/data.bin': 'application/octet-stream',
  };
  for (const [url, type] of Object.entries(types)) {
    const res = await get(url);
    assert.equal(res.status, 200, url);
    assert.equal(res.headers.get('content-type'), type, url);
    assert.equal(res.headers.get('content-security-policy'), null, url);
  }
  assert.equal(await (await get('app://terok/assets/index-abc.js?v=2#x')).text(), 'console.log(1)', 'query and fragment are not part of the file name');
});

test('no request reaches a file outside the renderer folder', async () => {
  const escapes = [
    'app://terok/../secret.txt',
    'app://terok/assets/../../secret.txt',
    'app://terok/%2e%2e/secret.txt',
    'app://terok/%2E%2E/%2e%2e/secret.txt',
    'app://terok/..%2fsecret.txt',
    'app://terok/assets%2f..%2f..%2fsecret.txt',
    'app://terok/assets/planted.txt',
    'app://terok/up/secret.txt',
    `app://terok/${encodeURIComponent(path.join(work, 'secret.txt'))}`,
  ];
  for (const url of escapes) {
    const res = await get(url);
    assert.equal(res.status, 404, url);
    assert.ok(!(await res.text()).includes(SECRET), url);
  }
});

test('other hosts and schemes, folders, missing files, bad encodings and writes are refused', async () => {
  assert.equal((await get('app://evil/index.html')).status, 404, 'another host');
  assert.equal((await get('app://terok:8080/index.html')).status, 404, 'a port');
  assert.equal((await get('https://terok/index.html')).status, 404, 'another scheme');
  assert.equal((await get('app://terok/assets')).status, 404, 'a folder');
  assert.equal((await get('app://terok/assets/')).status, 404, 'a folder with a slash');
  assert.equal((await get('app://terok/nothing.js')).status, 404);
  assert.equal((await get('app://terok/%E0%A4%A')).status, 400, 'malformed percent-encoding');
  assert.equal((await get('app://terok/index.html%00.js')).status, 400, 'a NUL byte');
  assert.equal((await get(APP_ENTRY_URL, 'POST')).status, 405);
  assert.equal((await get(APP_ENTRY_URL, 'PUT')).status, 405);
});

test('HEAD answers with the headers and no body', async () => {
  const res = await get('app://terok/assets/index-abc.js', 'HEAD');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(await res.text(), '');
});

test('a renderer folder that is not built answers 404 instead of failing (a dev run loads the dev server)', async () => {
  const res = await createAppProtocolHandler(path.join(work, 'not-built'))(new Request(APP_ENTRY_URL));
  assert.equal(res.status, 404);
});

test('the lookup names the real file inside the folder', () => {
  assert.deepEqual(lookUpAppFile(realpathSync(renderer), 'app://terok/assets/./logo.svg'), { file: path.join(realpathSync(renderer), 'assets', 'logo.svg') });
  assert.equal('file' in lookUpAppFile(renderer, 'not a url'), false);
});
