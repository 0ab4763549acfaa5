/**
 * Re-running setup after a terok upgrade: install with one fixture version,
 * "upgrade" the fixture's terok-sandbox, and the wizard shows which package
 * moved, says the services need a refresh (not that they are gone), offers
 * Refresh sandbox services, and is ready again afterwards — with the same
 * vault (no new passphrase). keyctl is the one stand-in (always failing).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { resolvePaths } from '../../main/core/host/paths.ts';
import { pendingKeyFile } from '../../main/core/vault/recovery-key.ts';
import { createSandboxHost } from '../support/host.ts';
import { createTerokFixture, FIXTURE_VERSIONS } from '../support/terok-fixture.ts';
import { failingKeyctl, install } from '../support/sandbox-install.ts';
import type { Page } from 'playwright-core';
import { closeBrowser, openWizard, rendererBuilt } from './harness.ts';

/** The Sandbox page and Summary after an upgrade: "needs refresh", the Refresh button, what is redone and kept (ends on Summary). */
async function expectRefreshWording(page: Page): Promise<void> {
  await page.locator('nav [data-page="sandbox"]').click();
  await page.getByTestId('page-status').filter({ hasText: 'Needs refresh after the terok upgrade' }).waitFor();
  assert.equal(await page.getByTestId('setup-banner').getByRole('button').count(), 0, 'one Refresh button on the Sandbox page: its own');
  const body = page.locator('section.page .body');
  await body.getByRole('button', { name: 'Refresh sandbox services' }).waitFor();
  assert.equal(
    (await page.getByTestId('fix-note').textContent())?.trim(),
    'Refreshing redoes the firewall hooks, the supervisor wrapper, the setup record and the routes. It keeps your vault, credentials, SSH keys and images.',
  );
  assert.equal(await body.getByText('The sandbox services are not installed').count(), 0);
  assert.equal(await body.locator('[role="alert"]').count(), 0, 'a refresh is not an alarm');
  // The first install's key was never confirmed, so its card is on this page and leaving it asks first.
  await page.getByRole('region', { name: 'Your vault recovery key' }).waitFor();
  await page.locator('nav [data-page="summary"]').click();
  await page.getByRole('dialog', { name: 'Your recovery key is not saved yet' }).getByRole('button', { name: 'Leave anyway' }).click();
  assert.match(await page.getByRole('region', { name: 'Left to do' }).locator('li[data-step="sandbox"]').innerText(), /Needs refresh after the terok upgrade/);
  assert.equal(await page.locator('section.page [role="alert"]').count(), 0);
}

describe('re-run after an upgrade', { skip: !rendererBuilt() && 'renderer not built' }, () => {
  after(async () => { await closeBrowser(); });

  test('the banner names the upgraded package; Refresh sandbox services brings the stamp up to date, shows the still unsaved key again (no new one), and "I have saved it" retires it', async () => {
    const host = createSandboxHost({ env: { NO_COLOR: '1' } });
    const fixture = createTerokFixture(host);
    failingKeyctl(host);
    const first = await install(host, { passphraseTier: 'kernel-keyring' });
    assert.equal(first.exitCode, 0);
    fixture.setVersion('terok-sandbox', '0.5.0a24');
    const paths = resolvePaths(host.ctx);
    const s = await openWizard(host.ctx);
    try {
      const banner = s.page.getByTestId('setup-banner');
      await banner.getByText('terok was updated').waitFor();
      assert.ok((await banner.textContent() ?? '').includes(`terok-sandbox ${FIXTURE_VERSIONS['terok-sandbox']} → 0.5.0a24`));
      assert.match(await banner.textContent() ?? '', /keeps your vault, credentials, SSH keys and images/);
      // Needs a refresh, which is not a failure: amber, not red.
      assert.equal(await s.page.locator('nav [data-page="sandbox"] [role="img"]').getAttribute('aria-label'), 'warning');
      await expectRefreshWording(s.page);

      await banner.getByRole('button', { name: 'Refresh sandbox services' }).click();
      await s.page.getByText('Setup finished.').waitFor({ timeout: 60_000 });
      await banner.waitFor({ state: 'detached' });
      // The first install's key was never confirmed: it comes back — the same key, not a second one.
      const card = s.page.getByRole('region', { name: 'Your vault recovery key' });
      await card.waitFor();
      assert.equal(await card.getByLabel('Recovery key', { exact: true }).textContent(), first.generatedPassphrase, 'the same key is shown');
      await card.getByRole('button', { name: 'I have saved it' }).click();
      await card.waitFor({ state: 'detached' });
      assert.equal(existsSync(paths.recoveryMarker), true);
      assert.equal(existsSync(pendingKeyFile(paths)), false, 'the pending copy is deleted');
      assert.equal(JSON.parse(readFileSync(paths.setupStamp, 'utf8')).packages['terok-sandbox'], '0.5.0a24');
      await s.page.getByTestId('page-status').filter({ hasText: 'sandbox services: shield ready' }).waitFor();
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('new shield hooks after an upgrade: terok\'s line says "missing: shield hooks", the wizard says "needs refresh" with what is kept, and its Refresh button brings it back', async () => {
    const host = createSandboxHost({ env: { NO_COLOR: '1' } });
    const fixture = createTerokFixture(host);
    failingKeyctl(host);
    const first = await install(host, { passphraseTier: 'kernel-keyring' });
    assert.equal(first.exitCode, 0);
    fixture.setBundleVersion(13);
    fixture.setVersion('terok-shield', '0.8.0a11');
    const s = await openWizard(host.ctx);
    try {
      await s.page.getByTestId('setup-banner').getByText('terok was updated').waitFor();
      const sandbox = (await s.engine.sweep(s.engine.defaultSettings())).steps.find((x) => x.id === 'sandbox')!;
      assert.deepEqual(sandbox.result, { name: 'sandbox services', ok: false, message: 'missing: shield hooks' }, "terok's line is unchanged");
      assert.equal(sandbox.status, 'outdated');
      await expectRefreshWording(s.page);
      assert.equal(await s.page.getByText('missing: shield hooks').count(), 0, "the wizard's pages say what it means instead");
      assert.equal(await s.page.getByText('not installed').count(), 0);
      assert.equal(await s.page.getByRole('button', { name: 'Install sandbox services' }).count(), 0);

      await s.page.getByRole('button', { name: 'Refresh sandbox services' }).first().click();
      await s.page.getByText('Setup finished.').waitFor({ timeout: 60_000 });
      await s.page.getByTestId('page-status').filter({ hasText: 'sandbox services: shield ready' }).waitFor();
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('a downgrade is explained and blocks, naming the stamp to remove', async () => {
    const host = createSandboxHost({ env: { NO_COLOR: '1' } });
    const fixture = createTerokFixture(host);
    failingKeyctl(host);
    assert.equal((await install(host, { passphraseTier: 'kernel-keyring' })).exitCode, 0);
    fixture.setVersion('terok-shield', '0.7.0');
    const s = await openWizard(host.ctx);
    try {
      const banner = s.page.getByTestId('setup-banner');
      await banner.getByText('terok was downgraded', { exact: true }).waitFor();
      assert.ok((await banner.textContent() ?? '').includes(`terok-shield ${FIXTURE_VERSIONS['terok-shield']} → 0.7.0`));
      assert.match(await banner.textContent() ?? '', /setup\.stamp/);
      assert.equal(await banner.getByRole('button').count(), 0, 'no one-click re-run over a downgrade');
      await s.page.locator('nav [data-page="summary"]').click();
      await s.page.getByTestId('verdict').filter({ hasText: 'Not ready' }).waitFor();
    } finally {
      await s.close();
      host.cleanup();
    }
  });
});
