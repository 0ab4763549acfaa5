/**
 * A normal first run, as a new user sees it: terok installed (fixture),
 * nothing set up yet. What was never attempted reads "Not set up yet" in
 * neutral grey (not red, not "skipped"), no red alert is raised, Welcome has
 * one primary action visible without scrolling at 800×600, settings wait
 * under "Advanced", paths are shown as ~/…, and a skip link is the first
 * thing Tab reaches. keyctl is the one stand-in (always failing, as on a host
 * without a kernel keyring tool).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { createSandboxHost } from '../support/host.ts';
import { createTerokFixture } from '../support/terok-fixture.ts';
import { failingKeyctl } from '../support/sandbox-install.ts';
import { closeBrowser, openWizard, rendererBuilt } from './harness.ts';

const BASE = `localhost/terok-first-${randomBytes(4).toString('hex')}:1`;

function firstRunHost() {
  const host = createSandboxHost({ env: { NO_COLOR: '1' } });
  host.write('home/.config/terok/config.yml', `image:\n  base_image: ${BASE}\n`);
  createTerokFixture(host);
  failingKeyctl(host);
  return host;
}

describe('first run', { skip: !rendererBuilt() && 'renderer not built' }, () => {
  after(async () => { await closeBrowser(); });

  test('never-attempted items are "not set up yet" (neutral), nothing is "failed" or "skipped", and no page raises a red alert', async () => {
    const host = firstRunHost();
    const s = await openWizard(host.ctx);
    try {
      await s.page.getByTestId('page-status').filter({ hasText: 'need attention' }).waitFor();
      const mark = (id: string) => s.page.locator(`nav [data-page="${id}"] [role="img"]`).getAttribute('aria-label');
      for (const id of ['sandbox', 'vault', 'images', 'ssh', 'credentials', 'summary']) assert.equal(await mark(id), 'not set up yet', id);
      for (const id of ['podman', 'git']) assert.equal(await mark(id), 'ok', id);
      const grey = await s.page.locator('nav [data-page="ssh"] [role="img"]').evaluate((el) => getComputedStyle(el).color);
      const red = await s.page.evaluate(() => { const p = document.createElement('p'); p.style.color = 'var(--fail)'; document.body.append(p); const c = getComputedStyle(p).color; p.remove(); return c; });
      assert.notEqual(grey, red, 'not set up yet is not drawn in the failure colour');

      for (const id of ['welcome', 'sandbox', 'vault', 'images', 'ssh', 'credentials', 'summary']) {
        await s.page.locator(`nav [data-page="${id}"]`).click();
        await s.page.locator(`nav [data-page="${id}"][aria-current="step"]`).waitFor();
        assert.equal(await s.page.locator('[role="alert"]').count(), 0, `no alert on ${id}`);
        assert.doesNotMatch(await s.page.locator('main').textContent() ?? '', /skipped/i, `nothing says skipped on ${id}`);
      }
      // Summary: the wizard's words for what is left, in neutral grey.
      const verdict = s.page.getByTestId('verdict');
      assert.equal((await verdict.textContent())?.trim(), 'Not ready');
      assert.notEqual(await verdict.evaluate((el) => getComputedStyle(el).color), red);
      // One list of what is left, the required items marked.
      const left = s.page.getByRole('region', { name: 'Left to do' }).locator('li');
      assert.deepEqual(await left.evaluateAll((els) => els.map((e) => e.getAttribute('data-step'))), ['sandbox', 'vault', 'images', 'ssh', 'credentials']);
      assert.deepEqual(await left.filter({ has: s.page.locator('.tag', { hasText: /^required$/ }) }).evaluateAll((els) => els.map((e) => e.getAttribute('data-step'))), ['sandbox', 'images']);
      assert.match((await left.first().innerText()).replace(/\s+/g, ' '), /^Sandbox services required Not set up yet/i);
      // terok's own line stays what the CLI prints.
      const ssh = (await s.engine.sweep(s.engine.defaultSettings())).steps.find((x) => x.id === 'ssh')!;
      assert.equal(ssh.state, 'todo');
      assert.equal(ssh.result.message, 'credential database unavailable');
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('a fix that was tried and failed turns "not set up yet" into failed', async () => {
    const host = firstRunHost();
    const s = await openWizard(host.ctx, { steps: { 'images.build': async () => { throw new Error('the registry did not answer'); } } });
    try {
      await s.page.getByTestId('page-status').filter({ hasText: 'need attention' }).waitFor();
      const mark = s.page.locator('nav [data-page="images"] [role="img"]');
      assert.equal(await mark.getAttribute('aria-label'), 'not set up yet');
      await s.page.locator('nav [data-page="images"]').click();
      await s.page.getByRole('button', { name: 'Build images' }).click();
      await s.page.locator('nav [data-page="images"] [role="img"][aria-label="failed"]').waitFor({ timeout: 30_000 });
      await s.page.locator('nav [data-page="summary"] [role="img"][aria-label="failed"]').waitFor();
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('Welcome at 800×600: one primary action, "Set up everything", visible without scrolling; settings under a closed "Advanced"', async () => {
    const host = firstRunHost();
    const s = await openWizard(host.ctx);
    try {
      await s.page.setViewportSize({ width: 800, height: 600 });
      await s.page.getByTestId('page-status').filter({ hasText: 'need attention' }).waitFor();
      const primaries = s.page.locator('button.primary:visible');
      assert.equal(await primaries.count(), 1, 'one primary action on the screen');
      assert.equal((await primaries.textContent())?.trim(), 'Set up everything');
      const box = (await primaries.boundingBox())!;
      assert.ok(box.y >= 0 && box.y + box.height <= 600, `above the fold: ${JSON.stringify(box)}`);
      assert.equal(await s.page.locator('section.page .body').evaluate((el) => el.scrollTop), 0);
      assert.equal(await s.page.getByRole('button', { name: 'Start' }).count(), 0, 'no second button doing what Next does');

      const agent = s.page.getByLabel('Agent to prepare');
      assert.equal(await agent.isVisible(), false, 'settings are folded away');
      await s.page.getByText('Advanced', { exact: false }).click();
      await agent.waitFor({ state: 'visible' });
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('paths under the home are shown as ~/…', async () => {
    const host = firstRunHost();
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="sandbox"]').click();
      const warning = s.page.getByTestId('conf-warning');
      await warning.waitFor();
      assert.match(await warning.textContent() ?? '', /will add hooks_dir to ~\/\.config\/containers\/containers\.conf\./);
      assert.ok(!(await s.page.locator('main').textContent() ?? '').includes(host.home), 'no absolute home path on the page');
      // The facts keep the real path (the CLI and the report use them as they are).
      const sandbox = (await s.engine.sweep(s.engine.defaultSettings())).steps.find((x) => x.id === 'sandbox')!;
      assert.ok((sandbox.facts as { containersConf: string }).containersConf.startsWith(host.home));
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('keyboard: the first Tab reaches "Skip to the page", the second "Skip to steps"; each moves focus there', async () => {
    const host = firstRunHost();
    const s = await openWizard(host.ctx);
    try {
      await s.page.getByRole('heading', { name: 'Welcome' }).waitFor();
      const focused = () => s.page.evaluate(() => ({ text: document.activeElement?.textContent?.trim() ?? '', id: document.activeElement?.id ?? '', page: (document.activeElement as HTMLElement | null)?.dataset.page ?? '' }));
      await s.page.keyboard.press('Tab');
      assert.equal((await focused()).text, 'Skip to the page');
      await s.page.keyboard.press('Enter');
      assert.equal((await focused()).id, 'page-title');

      await s.page.reload();
      await s.page.getByRole('heading', { name: 'Welcome' }).waitFor();
      await s.page.keyboard.press('Tab');
      await s.page.keyboard.press('Tab');
      assert.equal((await focused()).text, 'Skip to steps');
      await s.page.keyboard.press('Enter');
      assert.equal((await focused()).page, 'welcome', 'the current step in the step list');
    } finally {
      await s.close();
      host.cleanup();
    }
  });
});
