/**
 * Re-running setup after a terok upgrade: install with one fixture version,
 * "upgrade" the fixture's terok-sandbox, and the wizard shows which package
 * moved, offers Re-run setup, and is ready again afterwards — with the same
 * vault (no new passphrase). keyctl is the one stand-in (always failing).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { resolvePaths } from '../../main/core/host/paths.ts';
import { pendingKeyFile } from '../../main/core/vault/recovery-key.ts';
import { createSandboxHost } from '../support/host.ts';
import { createTerokFixture } from '../support/terok-fixture.ts';
import { failingKeyctl, install } from '../support/sandbox-install.ts';
import { closeBrowser, openWizard, rendererBuilt } from './harness.ts';

describe('re-run after an upgrade', { skip: !rendererBuilt() && 'renderer not built' }, () => {
  after(async () => { await closeBrowser(); });

  test('the banner names the upgraded package; Re-run setup brings the stamp up to date, shows the still unsaved key again (no new one), and "I have saved it" retires it', async () => {
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
      assert.match(await banner.textContent() ?? '', /terok-sandbox 0\.5\.0a23 → 0\.5\.0a24/);
      assert.equal(await s.page.locator('nav [data-page="sandbox"] [role="img"]').getAttribute('aria-label'), 'failed');

      await banner.getByRole('button', { name: 'Re-run setup' }).click();
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
      await s.page.getByTestId('page-status').filter({ hasText: 'Shield ready, setup current.' }).waitFor();
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
      assert.match(await banner.textContent() ?? '', /terok-shield 0\.8\.0a10 → 0\.7\.0/);
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
