/**
 * Failures lead forward (issue #13, item 7), in Chromium over the real
 * handlers: a real image build that fails (its base image is not on this
 * computer and `localhost` is no registry) shows its cause once and the ways
 * on as buttons — Try again, Choose another base image, Import an image from
 * a file (a real `podman save` archive loaded by `podman load`; only the
 * desktop's file dialog is faked, in recordingDesktop) — and "Fix everything"
 * carries on past the failed build to the SSH key, ending on Summary with
 * what is left, each linked to its page.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { runCommand } from '../../main/core/host/process.ts';
import { resolvePaths } from '../../main/core/host/paths.ts';
import { l1AliasTag } from '../../main/core/images/tags.ts';
import { confirmRecoveryKey } from '../../main/core/vault/recovery-key.ts';
import type { StepImpl } from '../../main/core/tasks/task-manager.ts';
import { buildTinyImage, removeImages } from '../support/fixtures.ts';
import { createSandboxHost, type SandboxHost } from '../support/host.ts';
import { podmanUsable } from '../support/podman-base.ts';
import { failingKeyctl, install } from '../support/sandbox-install.ts';
import { createTerokFixture } from '../support/terok-fixture.ts';
import { closeBrowser, openWizard, rendererBuilt } from './harness.ts';

const RUN = randomBytes(4).toString('hex');
/** Names no registry serves and this computer does not have: the real build fails at FROM. */
const MISSING = `localhost/terok-forward-${RUN}:1`;
const OTHER = `localhost/terok-forward-other-${RUN}:1`;
const made: string[] = [];

const mark = (page: Page, id: string, label: string, timeout = 60_000) =>
  page.locator(`nav [data-page="${id}"] [role="img"][aria-label="${label}"]`).waitFor({ timeout });

function hostWithBase(base: string): SandboxHost {
  const host = createSandboxHost({ env: { NO_COLOR: '1' } });
  host.write('home/.config/terok/config.yml', `image:\n  base_image: ${base}\n  family: deb\n`);
  return host;
}

async function buildFails(page: Page, button: string): Promise<void> {
  await page.getByRole('button', { name: button, exact: true }).click();
  await page.getByRole('heading', { name: 'What you can do now' }).waitFor({ timeout: 120_000 });
}

describe('failures lead forward', { skip: (!rendererBuilt() && 'renderer not built') || (!podmanUsable() && 'podman or busybox missing') }, () => {
  after(async () => { await removeImages(made); await closeBrowser(); });

  test('a failed build: its cause once, then Try again, Choose another base image and Import an image from a file', { timeout: 300_000 }, async () => {
    const host = hostWithBase(MISSING);
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="images"]').click();
      await s.page.getByText('The first build usually takes a few minutes').waitFor();
      await buildFails(s.page, 'Build images');
      const body = s.page.locator('section.page .body');
      const text = (await body.textContent()) ?? '';
      assert.equal(text.split('could not pull the base image').length - 1, 1, 'the cause is said once');
      assert.doesNotMatch(await s.page.locator('.failure').innerText(), /`/, 'no literal backticks: commands are code');
      assert.ok(await s.page.locator('.failure .hint code').count() > 0, 'the remedy shows its commands as code');
      assert.doesNotMatch(text, /usually takes a few minutes/, 'the time hint is gone once the build ended');
      assert.equal(await s.page.getByRole('button', { name: 'Build images', exact: true }).count(), 0, 'the retry is "Try again", below the failure');
      assert.equal(await s.page.getByRole('button', { name: 'Skip for now' }).count(), 0, 'a required step is not skipped');
      const tryAgain = s.page.getByRole('button', { name: 'Try again' });
      const failureBox = await s.page.locator('.failure').boundingBox();
      assert.ok(failureBox && (await tryAgain.boundingBox())!.y > failureBox.y, 'Try again sits below the failure');

      // Try again: a second real build, failing the same way.
      await tryAgain.click();
      await s.page.getByRole('heading', { name: 'What you can do now' }).waitFor({ state: 'detached', timeout: 30_000 }).catch(() => {});
      await s.page.getByRole('heading', { name: 'What you can do now' }).waitFor({ timeout: 120_000 });
      assert.equal(s.engine.tasks.list().filter((t) => t.step === 'images.build').length, 2, 'Try again ran the build again');

      // Choose another base image: the wizard's settings change and every probe follows.
      await s.page.getByRole('button', { name: 'Choose another base image' }).click();
      assert.equal(await s.page.evaluate(() => document.activeElement?.id), 'next-base', 'the chooser takes the keyboard');
      await s.page.getByLabel('Base image', { exact: true }).fill(OTHER);
      await s.page.getByRole('button', { name: 'Use this base image' }).click();
      await s.page.locator('dd', { hasText: `terok-l1-cli:${OTHER.replace(/[/:]/g, '-')}` }).waitFor();
      const sweeps = s.requests.filter((r) => r.channel === 'probe:sweep').map((r) => (r.payload as { settings: { baseImage: string } }).settings.baseImage);
      assert.equal(sweeps.at(-1), OTHER, 'the re-check used the chosen base image');

      // Import: an archive of the image this base needs, made with podman save; the dialog answers with its path.
      const alias = l1AliasTag(OTHER);
      made.push(alias);
      await buildTinyImage([alias]);
      const archive = path.join(host.root, 'offline-image.tar');
      await runCommand('podman', ['save', '-o', archive, alias], { timeoutMs: 120_000 });
      await runCommand('podman', ['rmi', alias], { timeoutMs: 60_000 });
      s.desktop.nextOpenPath = archive;
      await s.page.getByRole('button', { name: 'Import an image from a file' }).click();
      // podman names a loaded short name under localhost/.
      await s.page.getByText(`Imported localhost/${alias}.`).waitFor({ timeout: 120_000 });
      assert.deepEqual(s.desktop.dialogs, ['Import a container image']);
      assert.equal((await runCommand('podman', ['image', 'exists', alias], { timeoutMs: 30_000, allowNonZero: true })).exitCode, 0, 'podman load put the image in the store');
      // The re-check after the import finds the image: the step is done, the ways forward are gone.
      await mark(s.page, 'images', 'ok');
      await s.page.getByText('Images are built.').waitFor();
      assert.equal(await s.page.getByRole('button', { name: 'Try again' }).count(), 0);
      assert.equal(await s.page.locator('.failure').count(), 0, 'the old failure no longer describes the step');
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('a failed fix of an optional step offers Skip for now, which goes to the next page', { timeout: 120_000 }, async () => {
    // A key generation that fails on demand: the real one fails only on a broken vault, which this test does not need.
    const failing: StepImpl = async () => { throw new Error('the key could not be written'); };
    const host = hostWithBase(MISSING);
    // An open vault (a real install, its recovery key confirmed): without one the button is disabled, with a link to the vault.
    createTerokFixture(host);
    failingKeyctl(host);
    assert.equal((await install(host, { passphraseTier: 'kernel-keyring' })).exitCode, 0);
    confirmRecoveryKey(resolvePaths(host.ctx));
    const s = await openWizard(host.ctx, { steps: { 'ssh.generate': failing } });
    try {
      await s.page.locator('nav [data-page="ssh"]').click();
      await buildFails(s.page, 'Generate SSH key');
      assert.equal(await s.page.getByRole('button', { name: 'Choose another base image' }).count(), 0, 'image choices only where images are built');
      await s.page.getByRole('button', { name: 'Skip for now' }).click();
      await s.page.getByRole('heading', { name: 'Credentials' }).waitFor();
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('Fix everything carries on past a failed build to the SSH key and ends on Summary listing what is left', { timeout: 300_000 }, async () => {
    const host = hostWithBase(MISSING);
    createTerokFixture(host);
    failingKeyctl(host);
    const s = await openWizard(host.ctx);
    try {
      await s.page.getByTestId('page-status').filter({ hasText: 'need attention' }).waitFor();
      await s.page.getByRole('button', { name: 'Set up everything' }).click();
      await s.page.getByRole('button', { name: 'I have saved it' }).click({ timeout: 120_000 });
      await s.page.getByRole('heading', { name: 'Credentials' }).waitFor({ timeout: 180_000 });
      const steps = s.engine.tasks.list().map((t) => t.step);
      assert.deepEqual(steps.filter((t) => t === 'images.build' || t === 'ssh.generate'), ['images.build', 'ssh.generate'], 'the SSH key was made after the build failed');
      assert.equal(s.engine.tasks.list().find((t) => t.step === 'images.build')!.state, 'failed');
      await s.page.getByRole('button', { name: 'Skip for now' }).click();
      await s.page.getByRole('heading', { name: 'Summary' }).waitFor();
      const left = s.page.getByRole('region', { name: 'Left to do' });
      await left.waitFor();
      await mark(s.page, 'ssh', 'ok', 10_000);
      const images = left.locator('li[data-step="images"]');
      assert.match((await images.innerText()).replace(/\s+/g, ' '), /Container images.*Tried, did not work/);
      assert.equal(await left.locator('li[data-step="ssh"]').count(), 0, 'the SSH key is done, not left');
      assert.ok(await left.locator('li[data-step="credentials"]').count() === 1, 'the skipped credential is left');
      await images.getByRole('button', { name: 'Container images' }).click();
      await s.page.getByRole('heading', { name: 'Container images' }).waitFor();
    } finally {
      await s.close();
      host.cleanup();
    }
  });
});
