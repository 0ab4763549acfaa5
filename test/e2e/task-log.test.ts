/**
 * The live task view: thousands of log lines, progress and Cancel, in real
 * Chromium against the real task manager. The step behind the button is a
 * stand-in that emits a real image build's volume of output on demand (the
 * build itself is covered by the images integration tests).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { StepImpl } from '../../main/core/tasks/task-manager.ts';
import { createSandboxHost } from '../support/host.ts';
import { lastLine, noisyBuild } from '../support/noisy-step.ts';
import { closeBrowser, openWizard, rendererBuilt } from './harness.ts';

const LINES = 5000;

const hangingBuild: StepImpl = async (_params, task) => {
  task.log('STEP 1/2: RUN sleep 600', 'stdout');
  await new Promise((_r, reject) => task.signal.addEventListener('abort', () => reject(new Error('aborted'))));
};

function hostWithUnbuiltImages() {
  const host = createSandboxHost();
  host.write('home/.config/terok/config.yml', 'image:\n  base_image: localhost/terok-never-built:1\n');
  return host;
}

describe('task log view', { skip: !rendererBuilt() && 'renderer not built' }, () => {
  after(async () => { await closeBrowser(); });

  test(`${LINES} log lines arrive in the view, with progress and the finished state`, async () => {
    const host = hostWithUnbuiltImages();
    const s = await openWizard(host.ctx, { steps: { 'images.build': noisyBuild(LINES) } });
    try {
      await s.page.locator('nav [data-page="images"]').click();
      // Every change of the screen-reader summary, from before the task view exists.
      await s.page.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { __announced: string[] }).__announced = seen;
        new MutationObserver(() => {
          const t = document.querySelector('[data-testid="task-announce"]')?.textContent ?? '';
          if (t && t !== seen.at(-1)) seen.push(t);
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });
      await s.page.getByRole('button', { name: 'Build images' }).click();
      const task = s.page.getByTestId('task-images.build');
      await task.getByText('Finished', { exact: true }).waitFor();
      // The log itself is not live; the polite summary changed a handful of times, not per line.
      assert.equal(await task.getByRole('log', { name: 'Output log' }).getAttribute('aria-live'), 'off');
      const announced = await s.page.evaluate(() => (window as unknown as { __announced: string[] }).__announced);
      assert.ok(announced.length <= 3, `announced ${announced.length} times: ${JSON.stringify(announced)}`);
      assert.match(announced.at(-1) ?? '', /^Finished after \d+ s$/);
      const log = task.getByRole('log', { name: 'Output log' });
      await log.getByText(lastLine(LINES)).waitFor();
      const text = await log.textContent();
      assert.equal(text?.split('\n').length, LINES);
      assert.equal(await task.getByRole('progressbar', { name: 'Progress' }).getAttribute('value'), String(LINES));
      // Logs stay visible after the task ends, and Copy log is offered.
      await task.getByRole('button', { name: 'Copy log' }).waitFor();
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('Cancel stops a running task and says so; the log stays', async () => {
    const host = hostWithUnbuiltImages();
    const s = await openWizard(host.ctx, { steps: { 'images.build': hangingBuild } });
    try {
      await s.page.locator('nav [data-page="images"]').click();
      await s.page.getByRole('button', { name: 'Build images' }).click();
      const task = s.page.getByTestId('task-images.build');
      await task.getByText('STEP 1/2: RUN sleep 600').waitFor();
      await task.getByRole('button', { name: 'Cancel' }).click();
      await task.getByText('Cancelled', { exact: true }).waitFor();
      await task.getByText('STEP 1/2: RUN sleep 600').waitFor();
      assert.equal(await task.getByRole('button', { name: 'Cancel' }).count(), 0);
    } finally {
      await s.close();
      host.cleanup();
    }
  });
});
