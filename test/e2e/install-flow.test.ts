/**
 * The Sandbox services page end to end: a fixture terok installation (PyPI is
 * unreachable here), the real install aggregator behind the real handlers,
 * the built renderer in Chromium. keyctl is the one stand-in (always failing),
 * so the kernel-keyring tier uses its session file instead of this machine's
 * real keyring.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { resolvePaths } from '../../main/core/host/paths.ts';
import { createSandboxHost } from '../support/host.ts';
import { createTerokFixture } from '../support/terok-fixture.ts';
import { failingKeyctl } from '../support/sandbox-install.ts';
import { closeBrowser, openWizard, rendererBuilt } from './harness.ts';

describe('sandbox install from the wizard', { skip: !rendererBuilt() && 'renderer not built (run npm run build)' }, () => {
  after(async () => { await closeBrowser(); });

  test('warns before editing containers.conf, installs with live stages, shows the recovery key once', async () => {
    const host = createSandboxHost({ env: { NO_COLOR: '1' } });
    createTerokFixture(host);
    failingKeyctl(host);
    const paths = resolvePaths(host.ctx);
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="sandbox"]').click();
      await s.page.getByTestId('conf-warning').waitFor();
      assert.match(await s.page.getByTestId('conf-warning').textContent() ?? '', /will add hooks_dir to .*containers\.conf/);
      // No desktop keyring here: the kernel keyring is preselected.
      assert.equal(await s.page.getByRole('radio', { name: /Kernel keyring/ }).isChecked(), true);
      assert.equal(await s.page.getByRole('radio', { name: /Login keyring/ }).isDisabled(), true);

      await s.page.getByRole('button', { name: 'Install sandbox services' }).click();
      const stages = s.page.getByRole('list', { name: 'Stages' });
      await stages.getByText('Supervisor hooks').waitFor();
      await s.page.getByText('Setup finished.').waitFor({ timeout: 60_000 });
      for (const label of ['Vault routes', 'Shield hooks', 'Credentials DB', 'Supervisor hooks']) {
        assert.match(await stages.locator('li', { hasText: label }).textContent() ?? '', /ok/, label);
      }

      // The recovery key, once.
      const key = (await s.page.getByLabel('Recovery key', { exact: true }).textContent())?.trim() ?? '';
      assert.match(key, /^[A-Za-z0-9_-]{43}$/);
      // Copy works without any clipboard permission in the page (main writes the clipboard).
      const copy = s.page.getByRole('button', { name: 'Copy recovery key' });
      await copy.click();
      await copy.getByText('Copied').waitFor();
      assert.deepEqual(s.desktop.clipboard, [key]);
      await s.page.getByRole('button', { name: 'I have saved it' }).click();
      await s.page.getByRole('heading', { name: 'Your vault recovery key' }).waitFor({ state: 'detached' });
      assert.ok(existsSync(paths.recoveryMarker));
      assert.ok(!JSON.stringify(s.engine.tasks.list().flatMap((t) => s.engine.tasks.events(t.id))).includes(key), 'gone from task history');
      assert.ok(!(await s.page.content()).includes(key), 'gone from the page');

      // One source of truth: the probes ran again and agree.
      await s.page.getByTestId('page-status').filter({ hasText: 'sandbox services: shield ready' }).waitFor();
      assert.equal(await s.page.locator('nav [data-page="sandbox"] [role="img"]').getAttribute('aria-label'), 'ok');
      assert.match(readFileSync(paths.containersConf, 'utf8'), /hooks_dir = \[.*terok\/shield\/hooks.*terok\/sandbox\/hooks/);
      assert.ok(existsSync(paths.setupStamp));
      assert.ok(existsSync(paths.routesJson));
    } finally {
      await s.close();
      host.cleanup();
    }
  });
});
