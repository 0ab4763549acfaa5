/**
 * "Set up everything" on a fresh machine with terok installed (fixture;
 * PyPI is unreachable): the real sandbox install and the real SSH-key step
 * run in order from the Welcome page; the image build step is replaced by a
 * local busybox build tagged as the images probe expects (the real build
 * needs registries — it is covered by the images integration tests).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { l1AliasTag } from '../../main/core/images/tags.ts';
import type { StepImpl } from '../../main/core/tasks/task-manager.ts';
import { createSandboxHost } from '../support/host.ts';
import { buildTinyImage, removeImages } from '../support/fixtures.ts';
import { createTerokFixture } from '../support/terok-fixture.ts';
import { failingKeyctl } from '../support/sandbox-install.ts';
import { closeBrowser, openWizard, rendererBuilt } from './harness.ts';

const BASE = `localhost/terok-fixall-${randomBytes(4).toString('hex')}:1`;

const localBuild: StepImpl = async (_params, task) => {
  task.log('building from local files', 'info');
  await buildTinyImage([l1AliasTag(BASE)]);
  return { alias: l1AliasTag(BASE), cached: false };
};

describe('fix everything', { skip: !rendererBuilt() && 'renderer not built' }, () => {
  after(async () => { await removeImages([l1AliasTag(BASE)]); await closeBrowser(); });

  test('one engine task runs sandbox install, image build and SSH key in order, then waits only for credentials', async () => {
    const host = createSandboxHost({ env: { NO_COLOR: '1' } });
    host.write('home/.config/terok/config.yml', `image:\n  base_image: ${BASE}\n`);
    createTerokFixture(host);
    failingKeyctl(host);
    const s = await openWizard(host.ctx, { steps: { 'images.build': localBuild } });
    try {
      await s.page.getByTestId('page-status').filter({ hasText: 'need attention' }).waitFor();
      await s.page.getByRole('button', { name: 'Set up everything' }).click();
      // The one-time recovery key holds the flow until it is saved.
      await s.page.getByRole('heading', { name: 'Your vault recovery key' }).waitFor({ timeout: 60_000 });
      await s.page.waitForTimeout(500);
      assert.equal(await s.page.getByRole('heading', { name: 'Sandbox services' }).count(), 1, 'still on the Sandbox page');
      // One task from the page; the engine's walk starts each fix as its sub-task.
      assert.deepEqual(s.requests.filter((r) => r.channel === 'task:start').map((r) => (r.payload as { step: string }).step), ['setup.fix-all']);
      assert.deepEqual(s.engine.tasks.list().map((t) => t.step), ['setup.fix-all', 'sandbox.install']);
      // It says so, on the card and on Welcome, and that it goes on after the confirmation.
      const paused = /^Set up everything is paused until you save the vault recovery key\. It goes on when you press “I have saved it”\.$/;
      assert.match(await s.page.getByTestId('fix-all-paused').textContent() ?? '', paused);
      await s.page.locator('nav [data-page="welcome"]').click();
      await s.page.getByRole('dialog', { name: 'Your recovery key is not saved yet' }).getByRole('button', { name: 'Leave anyway' }).click();
      assert.match(await s.page.locator('main').getByTestId('fix-all-waiting').first().textContent() ?? '', paused);
      await s.page.getByTestId('recovery-reminder').getByRole('button', { name: 'Show it' }).click();
      await s.page.getByRole('button', { name: 'I have saved it' }).click();
      await s.page.getByRole('heading', { name: 'Credentials' }).waitFor({ timeout: 120_000 });
      assert.equal(await s.page.getByTestId('fix-all-paused').count(), 0);
      await s.page.getByText('Set up everything is waiting for you.').waitFor();
      assert.deepEqual(s.engine.tasks.list().map((t) => t.step), ['setup.fix-all', 'sandbox.install', 'vault.acknowledge-recovery', 'images.build', 'ssh.generate']);
      // The sidebar follows the re-check that each finished fix starts (it may land just after the walk asks).
      for (const id of ['sandbox', 'images', 'ssh']) {
        await s.page.locator(`nav [data-page="${id}"] [role="img"][aria-label="ok"]`).waitFor({ timeout: 10_000 });
      }
      // Going on without credentials ends the walk on Summary.
      await s.page.getByRole('button', { name: 'Skip for now' }).click();
      await s.page.getByTestId('verdict').filter({ hasText: /^\s*Ready\s*$/ }).waitFor();
      assert.equal(await s.page.getByRole('heading', { name: 'Summary' }).count(), 1);
    } finally {
      await s.close();
      host.cleanup();
    }
  });
});
