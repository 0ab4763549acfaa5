/**
 * The locked-vault round trip in Chromium, over the real handler table: a
 * real SQLCipher vault whose passphrase no tier holds (as after a reboot on
 * the kernel-keyring tier). SSH key and Credentials say why they cannot
 * work, disable their action and link to the Vault page; there a wrong key
 * is told at the field (kept, nothing stored) and the right one is cached
 * in the kernel keyring — the real one of a private user namespace
 * (test/support/kernel-keyring.ts), never the host's — after which the
 * re-check shows the vault unlocked and SSH key can be generated.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { resolvePaths } from '../../main/core/host/paths.ts';
import { kernelKeyDescription } from '../../main/core/vault/passphrase.ts';
import { createVaultFixture, FIXTURE_PASSPHRASE } from '../support/fixtures.ts';
import { createSandboxHost } from '../support/host.ts';
import { privateKernelKeyring, privateKeyringUnavailable } from '../support/kernel-keyring.ts';
import { closeBrowser, openWizard, rendererBuilt } from './harness.ts';

const status = (page: Page) => page.getByTestId('page-status');
const goTo = async (page: Page, id: string, heading: string) => {
  await page.locator(`nav [data-page="${id}"]`).click();
  await page.getByRole('heading', { name: heading, exact: true }).waitFor();
};

describe('unlock a locked vault', { skip: (!rendererBuilt() && 'renderer not built') || (privateKeyringUnavailable() ?? false) }, () => {
  after(async () => { await closeBrowser(); });

  test('SSH key and Credentials link to the Vault page; a wrong key is refused at the field; the right one unlocks (kernel keyring) and SSH key becomes available', { timeout: 120_000 }, async () => {
    const host = createSandboxHost({ env: { NO_COLOR: '1' } });
    const ring = await privateKernelKeyring(host);
    createVaultFixture(host);
    const paths = resolvePaths(host.ctx);
    rmSync(paths.vaultSessionDir, { recursive: true });
    const description = kernelKeyDescription(paths.credentialDb);
    const s = await openWizard(host.ctx);
    try {
      // SSH key: the reason, the action disabled, the link to the prerequisite.
      await goTo(s.page, 'ssh', 'SSH key');
      await status(s.page).filter({ hasText: 'ssh key: credential database unavailable' }).waitFor();
      await s.page.getByText('The vault is locked (no keyring holds its passphrase), so keys cannot be read or generated.').waitFor();
      assert.equal(await s.page.getByRole('button', { name: 'Generate SSH key' }).isDisabled(), true, 'Generate SSH key cannot be pressed over a locked vault');

      // Credentials: the same link.
      await goTo(s.page, 'credentials', 'Credentials');
      await s.page.getByRole('button', { name: 'Unlock the vault →' }).waitFor();
      assert.equal(await s.page.getByRole('button', { name: 'Store key' }).count(), 0, 'no key form over a locked vault');

      // Sandbox says the vault is locked (installing would stop there), with the same link.
      await goTo(s.page, 'sandbox', 'Sandbox services');
      await s.page.locator('section.page .body .notice').filter({ hasText: 'The vault is locked' }).first().waitFor();
      await s.page.getByRole('button', { name: 'Unlock the vault →' }).waitFor();

      await goTo(s.page, 'ssh', 'SSH key');
      await s.page.getByRole('button', { name: 'Unlock the vault →' }).click();
      await s.page.getByRole('heading', { name: 'Vault', exact: true }).waitFor();
      assert.equal(((await status(s.page).textContent()) ?? '').trim(), 'vault: locked');

      const form = s.page.getByRole('region', { name: 'Unlock with your recovery key' });
      const field = form.getByLabel('Recovery key', { exact: true });
      assert.equal(await field.getAttribute('type'), 'password', 'the key is masked');
      assert.equal(await form.getByRole('radio', { name: /kernel-keyring/ }).isChecked(), true, "terok's default tier is chosen");
      const unlock = form.getByRole('button', { name: 'Unlock vault' });
      assert.equal(await unlock.isDisabled(), true, 'nothing to send yet');

      // A wrong key: said at the field, the field kept, nothing stored.
      const wrong = 'not-the-recovery-key-5f4dcc3b';
      await field.fill(wrong);
      await unlock.click();
      const error = form.getByTestId('unlock-error');
      await error.waitFor();
      assert.equal(((await error.locator('strong').textContent()) ?? '').trim(), `that passphrase does not open ${paths.credentialDb} — nothing was written.`);
      assert.equal(await field.inputValue(), wrong, 'the field keeps what was typed');
      assert.equal(await field.getAttribute('aria-invalid'), 'true');
      assert.equal(ring.read(description), null, 'a wrong key is stored nowhere');
      assert.doesNotMatch(JSON.stringify(s.engine.tasks.list().flatMap((t) => s.engine.tasks.events(t.id))), new RegExp(wrong));

      // The right key: cached where terok reads it; the re-check shows the vault unlocked.
      await field.fill(FIXTURE_PASSPHRASE);
      await unlock.click();
      await status(s.page).filter({ hasText: 'vault: unlocked (kernel-keyring)' }).waitFor({ timeout: 30_000 });
      await form.waitFor({ state: 'detached' });
      assert.equal(ring.read(description), FIXTURE_PASSPHRASE);
      const events = JSON.stringify(s.engine.tasks.list().flatMap((t) => s.engine.tasks.events(t.id)));
      assert.doesNotMatch(events, new RegExp(FIXTURE_PASSPHRASE), 'the key is in no task event or result');

      // SSH key can now be generated; the link is gone.
      await goTo(s.page, 'ssh', 'SSH key');
      await status(s.page).filter({ hasText: "ssh key: none registered for 'standalone'" }).waitFor();
      assert.equal(await s.page.getByRole('button', { name: 'Generate SSH key' }).isDisabled(), false);
      assert.equal(await s.page.getByRole('button', { name: 'Unlock the vault →' }).count(), 0);
    } finally {
      await s.close();
      ring.stop();
      host.cleanup();
    }
  });
});
