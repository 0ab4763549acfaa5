/**
 * One truth on screen after a task, in Chromium over the real handlers: the
 * real sandbox install (fixture terok; keyctl the one stand-in, always
 * failing, so the kernel-keyring tier uses its session file), sampled every
 * animation frame so no frame mixes the old report with the new result; a
 * failed install headed "Failed"; a cancelled build reading as cancelled
 * only; the recovery key saved to a file (the save dialog is the stand-in —
 * no desktop here) and the question before leaving it unsaved.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { resolvePaths } from '../../main/core/host/paths.ts';
import type { StepImpl } from '../../main/core/tasks/task-manager.ts';
import { createSandboxHost } from '../support/host.ts';
import { createTerokFixture } from '../support/terok-fixture.ts';
import { failingKeyctl } from '../support/sandbox-install.ts';
import { closeBrowser, openWizard, rendererBuilt, type WizardSession } from './harness.ts';

function installHost(opts: { failShield?: boolean } = {}) {
  const host = createSandboxHost({ env: { NO_COLOR: '1' } });
  createTerokFixture(host);
  failingKeyctl(host);
  const paths = resolvePaths(host.ctx);
  if (opts.failShield) { mkdirSync(paths.shieldState, { recursive: true }); writeFileSync(paths.shieldHooksDir, 'i am a file'); }
  return { host, paths };
}

async function install(s: WizardSession): Promise<void> {
  await s.page.locator('nav [data-page="sandbox"]').click();
  await s.page.getByRole('button', { name: 'Install sandbox services' }).click();
}

/** Install, then the recovery key card it shows, and the key on it. */
async function installedKeyCard(s: WizardSession) {
  await install(s);
  const card = s.page.getByRole('region', { name: 'Your vault recovery key' });
  await card.waitFor({ timeout: 60_000 });
  const key = (await card.getByLabel('Recovery key', { exact: true }).textContent())?.trim() ?? '';
  return { card, key };
}

interface Frame { icon: string | null; headline: string; finished: boolean; card: number | null; head: string }

describe('one truth on screen', { skip: !rendererBuilt() && 'renderer not built (run npm run build)' }, () => {
  after(async () => { await closeBrowser(); });

  test('after an install, no frame shows the old report beside the new result, and the key card does not move', async () => {
    const { host } = installHost();
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="sandbox"]').click();
      await s.page.getByRole('button', { name: 'Install sandbox services' }).waitFor();
      const before = (await s.page.getByTestId('page-status').textContent())?.trim() ?? '';
      const iconBefore = await s.page.locator('nav [data-page="sandbox"] [role="img"]').getAttribute('aria-label');
      assert.ok(before && iconBefore, 'the old report is on screen');
      await s.page.evaluate(() => {
        const frames: Frame[] = [];
        (window as unknown as { __frames: Frame[] }).__frames = frames;
        const tick = () => {
          const body = document.querySelector('.body');
          const card = document.querySelector('[data-testid="recovery-card"]');
          frames.push({
            icon: document.querySelector('nav [data-page="sandbox"] [role="img"]')?.getAttribute('aria-label') ?? null,
            headline: document.querySelector('[data-testid="page-status"]')?.textContent?.trim() ?? '',
            finished: [...document.querySelectorAll('.body [role="status"]')].some((e) => e.textContent?.trim() === 'Setup finished.'),
            card: card ? Math.round(card.getBoundingClientRect().top + (body?.scrollTop ?? 0)) : null,
            head: document.querySelector('[data-testid="task-head"]')?.textContent ?? '',
          });
          requestAnimationFrame(tick);
        };
        tick();
      });
      await s.page.getByRole('button', { name: 'Install sandbox services' }).click();
      await s.page.getByTestId('page-status').filter({ hasText: 'sandbox services: shield ready' }).waitFor({ timeout: 60_000 });
      await s.page.waitForTimeout(300);
      const frames = await s.page.evaluate(() => (window as unknown as { __frames: Frame[] }).__frames);
      const after = frames.filter((f) => f.finished || f.card !== null);
      assert.ok(after.length > 0, 'the result was sampled');
      for (const f of after) {
        assert.notEqual(f.icon, iconBefore, `a frame with the result shows the sidebar's old mark: ${JSON.stringify(f)}`);
        assert.notEqual(f.headline, before, `a frame with the result shows the old headline: ${JSON.stringify(f)}`);
      }
      assert.ok(after.some((f) => f.headline.startsWith('Finishing') && f.icon === 'checking'), 'the page held "finishing" until the re-probe landed');
      const tops = new Set(after.map((f) => f.card).filter((t) => t !== null));
      assert.equal(tops.size, 1, `the recovery key card stayed where it appeared (tops: ${[...tops].join(', ')})`);
      assert.equal(after.at(-1)!.head, 'Finished');
      assert.equal(after.at(-1)!.icon, 'ok');
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('a failed install is headed "Failed", and its notice points at the stage lines where they are (below)', async () => {
    const { host } = installHost({ failShield: true });
    const s = await openWizard(host.ctx);
    try {
      await install(s);
      const task = s.page.getByTestId('task-sandbox.install');
      await task.getByTestId('task-head').filter({ hasText: /^Failed$/ }).waitFor({ timeout: 60_000 });
      assert.equal(await task.getAttribute('data-outcome'), 'failed');
      assert.equal(await task.getByText('Finished', { exact: true }).count(), 0);
      const notice = s.page.getByText('Setup did not finish: Shield hooks failed. The stage lines below say why.');
      await notice.waitFor();
      const stages = task.getByRole('list', { name: 'Stages' });
      const below = await notice.evaluate((n, st) => Boolean(n.compareDocumentPosition(st as Node) & Node.DOCUMENT_POSITION_FOLLOWING), await stages.elementHandle());
      assert.ok(below, 'the stage lines come after the notice that points at them');
      assert.match(await stages.locator('li', { hasText: 'Shield hooks' }).textContent() ?? '', /FAIL/);
      // The re-probe landed: the page says the probe's line again, and a fix that failed here is red in the sidebar.
      await s.page.getByTestId('page-status').filter({ hasText: /^(?!Finishing)./ }).waitFor();
      await s.page.locator('nav [data-page="sandbox"] [role="img"][aria-label="failed"]').waitFor();
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('a build shows running in the sidebar, counters that agree, and after Cancel one state: cancelled', async () => {
    const host = createSandboxHost();
    host.write('home/.config/terok/config.yml', 'image:\n  base_image: localhost/terok-never-built:1\n');
    // The build (as a stage, like the real one) prints a step marker and runs until cancelled; the real build's
    // cancel is covered by the images tests — here the task view's reading of it is under test.
    const hanging: StepImpl = async (_params, task) => task.stage('Container images', async () => {
      task.log('STEP 2/12: RUN sleep 600', 'stdout');
      task.progress(1, 41, 'L0 1/12 steps done · RUN sleep 600');
      await new Promise((_r, reject) => task.signal.addEventListener('abort', () => reject(new Error('podman build was stopped'))));
    });
    const s = await openWizard(host.ctx, { steps: { 'images.build': hanging } });
    try {
      await s.page.locator('nav [data-page="images"]').click();
      await s.page.getByRole('button', { name: 'Build images' }).click();
      const task = s.page.getByTestId('task-images.build');
      await task.getByText('STEP 2/12: RUN sleep 600').waitFor();
      assert.equal(await s.page.locator('nav [data-page="images"] [role="img"]').getAttribute('aria-label'), 'being set up');
      assert.equal(await task.getByTestId('task-progress').textContent(), 'L0 1/12 steps done · RUN sleep 600 · 1 of 41 in all');
      // The log is not a live region; a throttled summary is.
      assert.equal(await task.getByRole('log').getAttribute('aria-live'), 'off');
      assert.equal(await task.getByTestId('task-announce').getAttribute('aria-live'), 'polite');

      await task.getByRole('button', { name: 'Cancel' }).click();
      await task.getByTestId('task-head').filter({ hasText: /^Cancelled$/ }).waitFor();
      const text = await task.textContent() ?? '';
      assert.doesNotMatch(text, /FAIL|Finished|Failed/, `one state in the task view: ${text}`);
      assert.match(await task.locator('li', { hasText: 'Container images' }).textContent() ?? '', /cancelled/);
      assert.equal(await task.getByRole('alert').count(), 0, 'a cancel is not an alert');
      assert.match(await task.getByTestId('task-announce').textContent() ?? '', /^Cancelled after /);
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('the recovery key: leaving unsaved asks first; "Save to a file…" writes the key main holds, 0600, without the key crossing from the page', async () => {
    const { host } = installHost();
    const s = await openWizard(host.ctx);
    try {
      const { card, key } = await installedKeyCard(s);
      assert.match(key, /^[A-Za-z0-9_-]{43}$/);
      assert.match(await card.textContent() ?? '', /Until you press I have saved it, Terok Setup keeps a copy on this computer and shows this card again\..*terok-sandbox vault passphrase reveal/s);

      // Sidebar, Next and Alt+arrows all ask; Esc and "Stay" keep the page.
      const guard = s.page.getByRole('dialog', { name: 'Your recovery key is not saved yet' });
      await s.page.locator('nav [data-page="podman"]').click();
      await guard.waitFor();
      assert.equal(await s.page.evaluate(() => document.activeElement?.textContent), 'Stay and save it', 'focus moves into the question');
      await s.page.keyboard.press('Escape');
      await guard.waitFor({ state: 'hidden' });
      assert.equal(await s.page.getByRole('heading', { name: 'Sandbox services', level: 1 }).count(), 1);
      await s.page.getByRole('button', { name: 'Next' }).click();
      await guard.getByRole('button', { name: 'Stay and save it' }).click();
      await guard.waitFor({ state: 'hidden' });
      await s.page.keyboard.press('Alt+ArrowLeft');
      await guard.waitFor();
      await guard.getByRole('button', { name: 'Leave anyway' }).click();
      await s.page.getByRole('heading', { name: 'Git', level: 1 }).waitFor();
      await s.page.getByTestId('recovery-reminder').getByRole('button', { name: 'Show it' }).click();
      await card.waitFor();

      // Closing the window asks too (the page refuses to unload; in the app main turns that into its question).
      const asked: string[] = [];
      s.page.once('dialog', (d) => { asked.push(d.type()); void d.dismiss(); });
      await s.page.close({ runBeforeUnload: true });
      await s.page.waitForTimeout(300);
      assert.deepEqual(asked, ['beforeunload']);
      assert.equal(s.page.isClosed(), false, 'staying keeps the window');

      const out = path.join(host.root, 'usb', 'recovery.txt');
      mkdirSync(path.dirname(out));
      s.desktop.savePaths.push({ path: out, replaceConfirmed: false });
      await card.getByRole('button', { name: 'Save to a file…' }).click();
      await card.getByText('(readable only by you)').waitFor();
      assert.equal(readFileSync(out, 'utf8'), key + '\n');
      assert.equal(statSync(out).mode & 0o777, 0o600);
      const saves = s.requests.filter((r) => r.channel === 'recovery:save');
      assert.deepEqual(saves.map((r) => r.payload), [{}]);
      assert.ok(!s.requests.some((r) => JSON.stringify(r.payload).includes(key)), 'the key never travels from the page to main');

      // Saved somewhere: leaving no longer asks (the card still waits for "I have saved it").
      await s.page.locator('nav [data-page="welcome"]').click();
      await s.page.getByRole('heading', { name: 'Welcome', level: 1 }).waitFor();
      assert.equal(await guard.isVisible(), false);
      assert.equal(await s.page.evaluate(() => window.onbeforeunload), null, 'and closing no longer asks');
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('Print… prints only the key and what to do with it', async () => {
    const { host } = installHost();
    const s = await openWizard(host.ctx);
    try {
      const { card, key } = await installedKeyCard(s);
      // Chromium headless prints nothing: count the call, then read the print layout.
      await s.page.evaluate(() => { const w = window as unknown as { __prints: number }; w.__prints = 0; window.print = () => { w.__prints++; }; });
      await card.getByRole('button', { name: 'Print…' }).click();
      assert.equal(await s.page.evaluate(() => (window as unknown as { __prints: number }).__prints), 1);
      await s.page.emulateMedia({ media: 'print' });
      const visible = await s.page.evaluate(() => [...document.querySelectorAll('body *')]
        .filter((e) => getComputedStyle(e).visibility === 'visible' && e.getClientRects().length && e.children.length === 0)
        .map((e) => e.textContent?.trim()).filter(Boolean));
      assert.ok(visible.includes(key), 'the key is on the sheet');
      assert.ok(visible.every((t) => /recovery key|passphrase|terok vault unlock|^[A-Za-z0-9_-]{43}$/.test(t!)), `only the sheet prints: ${JSON.stringify(visible)}`);
    } finally {
      await s.close();
      host.cleanup();
    }
  });
});
