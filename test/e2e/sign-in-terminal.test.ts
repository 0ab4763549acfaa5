/**
 * Signing in inside the app: the Credentials page's embedded terminal
 * (xterm.js in the real built renderer, in Chromium) runs the app's own CLI
 * login in a real pseudo-terminal (node-pty), which runs a real podman
 * login container. The container — a busybox script standing in for
 * `claude` in an image built from local files, tagged as the default L1
 * alias of a test base image — prints a sign-in URL, reads the code the
 * user pastes, and writes a credentials file; the flow captures it into the
 * real SQLCipher vault. Closing the panel mid-login stops the container.
 *
 * Faked: only what cannot exist here (the Electron binary; the harness
 * carries IPC) and the agent's own login program (the busybox script).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { resolvePaths } from '../../main/core/host/paths.ts';
import { runCommand } from '../../main/core/host/process.ts';
import { which } from '../../main/core/host/which.ts';
import { l1AliasTag } from '../../main/core/images/tags.ts';
import { CredentialDb } from '../../main/core/vault/credential-db.ts';
import { acquireTestLock } from '../support/exclusive.ts';
import { createVaultFixture, FIXTURE_PASSPHRASE } from '../support/fixtures.ts';
import { createSandboxHost, type SandboxHost } from '../support/host.ts';
import { buildBusyboxBase, podmanUsable, removeTestImages } from '../support/podman-base.ts';
import { closeBrowser, openWizard, rendererBuilt } from './harness.ts';

const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;
const BASE = `localhost/terok-signin-e2e-base-${RUN_ID}:latest`;
const ALIAS = l1AliasTag(BASE);
const T = { timeoutMs: 120_000 };
const CODE = 'fixture-code-4711';
const ACCESS = 'sk-ant-oat01-e2e-access-SECRET';
const CREDENTIALS = JSON.stringify({ claudeAiOauth: { accessToken: ACCESS, refreshToken: 'sk-ant-ort01-e2e-refresh-SECRET', expiresAt: 1893456000123, scopes: ['user:inference'], subscriptionType: 'pro' } });
const URL_SHOWN = 'https://claude.ai/oauth/authorize?code=true&client_id=terok-e2e-fixture';

/** The stand-in for `claude` in the login image: a URL, a prompt, the code read from the terminal, a credentials file. */
const LOGIN_SCRIPT = `#!/bin/sh
echo "Browser didn't open? Use the url below to sign in:"
echo "${URL_SHOWN}"
printf 'Paste code here if prompted > '
read code
[ "$code" = "${CODE}" ] || { echo "wrong code: $code"; exit 4; }
printf '%s' '${CREDENTIALS}' > /home/dev/.claude/.credentials.json
echo "Login successful."
`;

const skip = !rendererBuilt() ? 'renderer not built' : !podmanUsable() ? 'podman or busybox-static not available' : false;
const TMP = mkdtempSync(path.join(os.tmpdir(), 'terok-signin-e2e-tmp-'));
let releaseLoginLock = () => {};

const containerRunning = async (name: string) => (await runCommand('podman', ['ps', '--filter', `name=^${name}$`, '--format', '{{.Names}}'], T)).stdout.trim() === name;

/** What the xterm screen shows: its buffer, read in the page. */
async function screenText(page: Page): Promise<string> {
  return page.getByTestId('sign-in-terminal').locator('[role="group"]').evaluate((el) => {
    const term = (el as HTMLElement & { xterm?: { buffer: { active: { length: number; getLine(i: number): { translateToString(trim: boolean): string; isWrapped: boolean } | undefined } } } }).xterm;
    if (!term) return '';
    const buf = term.buffer.active;
    let out = '';
    for (let i = 0; i < buf.length; i++) {
      const line = buf.getLine(i);
      if (!line) continue;
      out += (line.isWrapped || i === 0 ? '' : '\n') + line.translateToString(true);
    }
    return out;
  });
}

async function waitForScreen(page: Page, re: RegExp, ms = 90_000): Promise<string> {
  const start = Date.now();
  for (;;) {
    const text = await screenText(page);
    if (re.test(text)) return text;
    assert.ok(Date.now() - start < ms, `the terminal never showed ${re}; it shows:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function sandbox(): SandboxHost {
  const host = createSandboxHost({ env: { TMPDIR: TMP } });
  const env = host.ctx.env as Record<string, string>;
  env.TEROK_ROOT = path.join(host.root, 'state');
  // The login image is the L1 alias of config.yml's base image (the page passes no image); as real root only the named file is read.
  env.TEROK_CONFIG_FILE = host.write(path.join(host.home, '.config', 'terok', 'config.yml'), `image:\n  base_image: ${BASE}\n`);
  createVaultFixture(host);
  // The CLI login runs as its own process with the sandbox's environment, whose HOME and XDG dirs would
  // give rootless podman an empty store of its own: its podman is the real one, with this user's store.
  const vars = ['HOME', 'XDG_RUNTIME_DIR', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME'];
  const keep = [...vars.filter((k) => !process.env[k]).map((k) => `-u ${k}`), ...vars.filter((k) => process.env[k]).map((k) => `${k}=${shq(process.env[k]!)}`)].join(' ');
  host.writeBin('podman', `#!/bin/sh\nexec env ${keep} ${shq(which({ env: process.env }, 'podman')!)} "$@"\n`);
  return host;
}

const shq = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

describe('sign in inside the app', { skip }, () => {
  before(async () => {
    releaseLoginLock = await acquireTestLock('host-auth-containers');
    await buildBusyboxBase(BASE, RUN_ID);
    const dir = mkdtempSync(path.join(TMP, 'image-'));
    writeFileSync(path.join(dir, 'claude'), LOGIN_SCRIPT, { mode: 0o755 });
    writeFileSync(path.join(dir, 'Containerfile'), `FROM ${BASE}\nCOPY claude /bin/\n`);
    await runCommand('podman', ['build', '-q', '-f', path.join(dir, 'Containerfile'), '-t', ALIAS, dir], T);
  });

  after(async () => {
    await closeBrowser();
    await runCommand('podman', ['rm', '--force', '--ignore', 'host-auth-claude'], { ...T, allowNonZero: true });
    await removeTestImages([ALIAS, BASE], RUN_ID);
    releaseLoginLock();
    rmSync(TMP, { recursive: true, force: true });
  });

  test('the embedded terminal shows the login, takes the pasted code, and the credential lands in the vault', async () => {
    const host = sandbox();
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="credentials"]').click();
      await s.page.getByTestId('page-status').filter({ hasText: 'claude credentials: not found' }).waitFor();
      // The copyable fallback is the command a developer types in this checkout, with --oauth.
      assert.equal(await s.page.getByLabel('Sign-in command', { exact: true }).textContent(), 'npm run cli -- auth claude --oauth --credential-set default');
      await s.page.getByRole('button', { name: 'Sign in here' }).click();
      const shown = await waitForScreen(s.page, /Paste code here if prompted > $/m);
      assert.ok(shown.includes(URL_SHOWN), 'the sign-in URL is on screen');
      assert.match(shown, /Authenticating Claude Code \(host-wide\)/, 'the CLI login runs in the terminal');
      // The link can be copied through main (the page has no clipboard permission).
      await s.page.getByRole('button', { name: 'Copy sign-in link' }).click();
      await s.page.getByRole('button', { name: 'Copied' }).waitFor();
      assert.equal(s.desktop.clipboard.at(-1), URL_SHOWN);

      // The code is pasted with Ctrl+V, as a user does: the page itself never reads the clipboard (the app
      // grants it no permission); Chromium's own paste gives xterm the text. Only this test's setup may
      // write the browser's clipboard, to have something to paste.
      await s.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(s.page.url()).origin });
      await s.page.evaluate((code) => navigator.clipboard.writeText(code), CODE.slice(0, -2));
      await s.page.context().clearPermissions();
      await s.page.getByTestId('sign-in-terminal').locator('textarea').focus();
      await s.page.keyboard.press('Control+V');
      await waitForScreen(s.page, new RegExp(`> ${CODE.slice(0, -2)}$`, 'm'));
      // Typed: keystrokes go to the login through the pty too.
      await s.page.keyboard.type(CODE.slice(-2));
      await s.page.keyboard.press('Enter');
      await waitForScreen(s.page, /Login successful\./);
      await s.page.getByTestId('sign-in-terminal').and(s.page.locator('[data-state="ended"]')).waitFor({ timeout: 60_000 });
      await s.page.getByTestId('page-status').filter({ hasText: 'claude credentials: stored' }).waitFor({ timeout: 30_000 });

      const db = CredentialDb.openReadOnly(resolvePaths(host.ctx).credentialDb, FIXTURE_PASSPHRASE);
      try {
        const stored = db.loadCredential('default', 'anthropic');
        assert.equal(stored?.type, 'oauth');
        assert.equal(stored?.access_token, ACCESS);
      } finally { db.close(); }
      assert.equal(await containerRunning('host-auth-claude'), false, 'the login container is gone');
      assert.ok(!s.requests.some((r) => r.channel === 'task:start' && JSON.stringify(r.payload).includes(CODE)), 'the code went only to the terminal');
      const events = s.engine.tasks.list().flatMap((t) => s.engine.tasks.events(t.id));
      assert.ok(!JSON.stringify(events).includes(ACCESS), 'no token in task events');

      await s.page.getByRole('button', { name: 'Close' }).click();
      await s.page.getByTestId('sign-in-terminal').waitFor({ state: 'detached' });
      await s.page.getByText('A login for anthropic is stored.').waitFor();
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('stopping the sign-in mid-login stops and removes the login container; nothing is stored', async () => {
    const host = sandbox();
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="credentials"]').click();
      await s.page.getByRole('button', { name: 'Sign in here' }).click();
      await waitForScreen(s.page, /Paste code here if prompted > $/m);
      assert.equal(await containerRunning('host-auth-claude'), true, 'the login container runs while the terminal waits');
      // No keyboard trap: Tab leaves the terminal.
      await s.page.getByTestId('sign-in-terminal').locator('textarea').focus();
      await s.page.keyboard.press('Tab');
      assert.equal(await s.page.evaluate(() => Boolean(document.activeElement?.closest('.xterm'))), false, 'Tab moved focus out of the terminal');
      await s.page.getByRole('button', { name: 'Stop sign-in' }).click();
      // The panel closes once main has hung the login up and the login has removed its container.
      await s.page.getByTestId('sign-in-terminal').waitFor({ state: 'detached', timeout: 30_000 });
      assert.equal(await containerRunning('host-auth-claude'), false, 'no login container left running');
      const exists = await runCommand('podman', ['container', 'exists', 'host-auth-claude'], { ...T, allowNonZero: true });
      assert.notEqual(exists.exitCode, 0, 'and none left stopped either');
      assert.equal(s.engine.terminals.active, 0);
      const db = CredentialDb.openReadOnly(resolvePaths(host.ctx).credentialDb, FIXTURE_PASSPHRASE);
      try { assert.equal(db.loadCredential('default', 'anthropic'), null); } finally { db.close(); }
      await s.page.getByRole('button', { name: 'Sign in here' }).waitFor();
    } finally {
      await s.close();
      host.cleanup();
    }
  });
});
