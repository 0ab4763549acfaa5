/**
 * A recovery key that was never confirmed (an install interrupted, or a
 * window closed before "I have saved it") reaches the user again in the
 * wizard: a reminder on every page, the card on the Vault page, and
 * confirming there writes terok's marker and deletes the pending copy.
 * Real install (fixture terok), real SQLCipher vault, the built renderer in
 * Chromium; keyctl is the one stand-in (always failing: session-file tier).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { resolvePaths } from '../../main/core/host/paths.ts';
import { pendingKeyFile } from '../../main/core/vault/recovery-key.ts';
import { createSandboxHost } from '../support/host.ts';
import { createTerokFixture } from '../support/terok-fixture.ts';
import { failingKeyctl, install } from '../support/sandbox-install.ts';
import { closeBrowser, openWizard, rendererBuilt } from './harness.ts';

describe('an unsaved recovery key in the wizard', { skip: !rendererBuilt() && 'renderer not built (run npm run build)' }, () => {
  after(async () => { await closeBrowser(); });

  test('is shown again after a restart until confirmed: reminder, the card on the Vault page, then gone for good', async () => {
    const host = createSandboxHost({ env: { NO_COLOR: '1' } });
    createTerokFixture(host);
    failingKeyctl(host);
    const paths = resolvePaths(host.ctx);
    // The earlier run: the key was minted and shown, but nobody said it was saved.
    const earlier = await install(host, { passphraseTier: 'kernel-keyring' });
    assert.equal(earlier.exitCode, 0);
    const key = earlier.generatedPassphrase!;
    assert.ok(existsSync(pendingKeyFile(paths)));

    const s = await openWizard(host.ctx);
    try {
      const reminder = s.page.getByTestId('recovery-reminder');
      await reminder.waitFor();
      assert.match(await reminder.textContent() ?? '', /Your vault recovery key is not saved yet/);
      assert.equal(await s.page.locator('nav [data-page="vault"] [role="img"]').getAttribute('aria-label'), 'warning');

      await reminder.getByRole('button', { name: 'Show it' }).click();
      const card = s.page.getByRole('region', { name: 'Your vault recovery key' });
      await card.waitFor();
      assert.equal(await card.getByLabel('Recovery key', { exact: true }).textContent(), key, 'the same key the earlier run minted');
      await s.page.getByTestId('page-status').filter({ hasText: 'recovery key not saved' }).waitFor();
      assert.equal(await reminder.count(), 0, 'no reminder on the page that shows the card');

      await card.getByRole('button', { name: 'I have saved it' }).click();
      await card.waitFor({ state: 'detached' });
      assert.equal(existsSync(paths.recoveryMarker), true);
      assert.equal(existsSync(pendingKeyFile(paths)), false, 'the pending copy is deleted');
      await s.page.getByTestId('page-status').filter({ hasText: /^vault: unlocked \(kernel-keyring\)$/ }).waitFor();

      await s.page.locator('nav [data-page="welcome"]').click();
      assert.equal(await s.page.getByTestId('recovery-reminder').count(), 0);
    } finally {
      await s.close();
      host.cleanup();
    }
  });
});
