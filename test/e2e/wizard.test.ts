/**
 * The wizard end to end: the built Svelte renderer in real Chromium, the real
 * handlers and probes, real podman and a real SQLCipher DB, on a sandboxed
 * HOME. (The Electron window itself cannot run here; see harness.ts.)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { l1AliasTag } from '../../main/core/images/tags.ts';
import { createSandboxHost, type SandboxHost } from '../support/host.ts';
import { buildTinyImage, createVaultFixture, installShieldHooksFixture, removeImages, writeStampFixture } from '../support/fixtures.ts';
import { closeBrowser, openWizard, rendererBuilt } from './harness.ts';

const BASE = `localhost/terok-e2e-${randomBytes(4).toString('hex')}:1`;
const ALIAS = l1AliasTag(BASE);

function readyHost(): SandboxHost {
  const host = createSandboxHost();
  host.write('home/.config/terok/config.yml', `image:\n  base_image: ${BASE}\n`);
  installShieldHooksFixture(host);
  writeStampFixture(host);
  createVaultFixture(host, {
    credentials: [{ set: 'default', provider: 'anthropic', data: { type: 'api_key', key: 'sk-fixture' } }],
    sshKeyScope: 'standalone',
  });
  return host;
}

describe('wizard in Chromium', { skip: !rendererBuilt() && 'renderer not built (run npm run build)' }, () => {
  before(async () => { await buildTinyImage([ALIAS]); });
  after(async () => { await removeImages([ALIAS]); await closeBrowser(); });

  test('a ready machine shows Ready on the summary and ok in every sidebar step', async () => {
    const host = readyHost();
    const s = await openWizard(host.ctx);
    try {
      await s.page.getByTestId('page-status').filter({ hasText: 'ready for terok' }).waitFor();
      for (const id of ['podman', 'sandbox', 'images', 'ssh', 'credentials']) {
        assert.equal(await s.page.locator(`nav [data-page="${id}"] [role="img"]`).getAttribute('aria-label'), 'ok', id);
      }
      await s.page.locator('nav [data-page="summary"]').click();
      assert.equal((await s.page.getByTestId('verdict').textContent())?.trim(), 'Ready');
      await s.page.getByText(`terok-executor run claude . --base ${BASE}`, { exact: true }).waitFor();
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('a not-ready machine says why, and Check again picks up a fix made outside the app', async () => {
    const host = createSandboxHost();
    host.write('home/.config/terok/config.yml', `image:\n  base_image: ${BASE}\n`);
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="summary"]').click();
      await s.page.getByTestId('verdict').filter({ hasText: 'Not ready' }).waitFor();
      // The wizard's words for what was never set up; terok's line ("missing: shield hooks") stays the CLI's.
      assert.match(await s.page.getByRole('region', { name: 'Left to do' }).locator('li[data-step="sandbox"]').innerText(), /Not set up yet/);
      assert.equal(await s.page.locator('nav [data-page="sandbox"] [role="img"]').getAttribute('aria-label'), 'not set up yet');
      assert.equal(await s.page.locator('nav [data-page="ssh"] [role="img"]').getAttribute('aria-label'), 'not set up yet');

      // The user runs the setup in a terminal; the wizard learns it on "Check again".
      installShieldHooksFixture(host);
      writeStampFixture(host);
      await s.page.getByRole('button', { name: 'Check again' }).click();
      await s.page.getByTestId('verdict').filter({ hasText: /^\s*Ready\s*$/ }).waitFor();
      assert.equal(await s.page.locator('nav [data-page="sandbox"] [role="img"]').getAttribute('aria-label'), 'ok');
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('regaining window focus re-probes', async () => {
    const host = createSandboxHost();
    host.write('home/.config/terok/config.yml', `image:\n  base_image: ${BASE}\n`);
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="sandbox"]').click();
      await s.page.getByTestId('page-status').filter({ hasText: 'sandbox services: missing: shield hooks' }).waitFor();
      const sweepsBefore = s.requests.filter((r) => r.channel === 'probe:sweep').length;
      installShieldHooksFixture(host);
      writeStampFixture(host);
      await new Promise((r) => setTimeout(r, 1600)); // focus re-probes are rate-limited
      await s.focus();
      await s.page.getByTestId('page-status').filter({ hasText: 'sandbox services: shield ready' }).waitFor();
      assert.ok(s.requests.filter((r) => r.channel === 'probe:sweep').length > sweepsBefore);
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('podman missing: install command for this distribution, later steps blocked', async () => {
    const host = createSandboxHost({ inheritPath: false });
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="podman"]').click();
      await s.page.getByText('Podman is not installed.').waitFor();
      await s.page.getByRole('button', { name: 'Copy install command' }).first().waitFor();
      assert.match(await s.page.getByLabel('Install command').first().textContent() ?? '', /install.*podman/);
      assert.equal(await s.page.locator('nav [data-page="images"] [role="img"]').getAttribute('aria-label'), 'blocked');
      await s.page.locator('nav [data-page="images"]').click();
      await s.page.getByText('Podman has to work before this can be checked').waitFor();
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('keyboard: Tab reaches Next, Enter moves on, focus lands on the page title', async () => {
    const host = readyHost();
    const s = await openWizard(host.ctx);
    try {
      await s.page.getByRole('heading', { name: 'Welcome' }).waitFor();
      await s.page.getByRole('button', { name: 'Next' }).focus();
      await s.page.keyboard.press('Enter');
      await s.page.getByRole('heading', { name: 'Podman' }).waitFor();
      assert.equal(await s.page.evaluate(() => document.activeElement?.id), 'page-title');
      await s.page.keyboard.press('Alt+ArrowRight');
      await s.page.getByRole('heading', { name: 'Git' }).waitFor();
      assert.equal(await s.page.locator('nav [aria-current="step"]').getAttribute('data-page'), 'git');
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('the bridge is one frozen object of functions, and bad payloads get a clear envelope', async () => {
    const host = createSandboxHost();
    const s = await openWizard(host.ctx);
    try {
      const shape = await s.page.evaluate(() => {
        const api = (window as unknown as { terok: object }).terok;
        return { frozen: Object.isFrozen(api), kinds: Object.values(api).map((v) => typeof v) };
      });
      assert.equal(shape.frozen, true);
      assert.ok(shape.kinds.every((k) => k === 'function'));
      const answer = await s.page.evaluate(() => (window as unknown as { terok: { sweep(p: unknown): Promise<unknown> } }).terok.sweep({ settings: { provider: 'x; rm -rf /', baseImage: 'a', family: null, credentialSet: 'default', mountsDir: null } }));
      assert.deepEqual(answer, { ok: false, error: { code: 'invalid-request', message: 'settings.provider has an invalid value' } });
    } finally {
      await s.close();
      host.cleanup();
    }
  });
});

describe('summary report and menu events', { skip: !rendererBuilt() && 'renderer not built' }, () => {
  after(async () => { await closeBrowser(); });

  test('Copy report puts the main-built, redacted report on the clipboard', async () => {
    const host = createSandboxHost();
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="summary"]').click();
      await s.page.getByRole('button', { name: 'Copy report' }).click();
      await s.page.getByRole('button', { name: 'Copied' }).waitFor();
      const text = s.desktop.clipboard.at(-1) ?? '';
      assert.match(text, /^# Terok Setup report/);
      assert.match(text, /sandbox services/);
      assert.ok(!text.includes(host.home), 'the home directory is redacted');
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('menu "Re-run setup" returns to the first page', async () => {
    const host = createSandboxHost();
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="images"]').click();
      await s.page.getByRole('heading', { name: 'Container images' }).waitFor();
      await s.page.evaluate(() => (window as unknown as { __terokEmit(c: string, p: unknown): void }).__terokEmit('app:rerun', {}));
      await s.page.getByRole('heading', { name: 'Welcome' }).waitFor();
    } finally {
      await s.close();
      host.cleanup();
    }
  });
});
