/**
 * A hung podman in Chromium: while its probe is out, the Podman page and the
 * sidebar say "still checking podman… N s" (and the steps that need podman say
 * they wait for it), then the page shows the not-responding remedies — never
 * an install command, on the page or on Summary. A stale sweep's progress is
 * ignored. Podman is a script that sleeps (a real podman cannot hang on
 * demand); the probe's 10 s timeout is cut to 6 s at the runner to keep the
 * test short. No timing is asserted beyond "before the probe ends".
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Runner } from '../../main/core/host/process.ts';
import type { ProbeProgress, StepReport } from '../../main/ipc/contract.ts';
import { createSandboxHost } from '../support/host.ts';
import { closeBrowser, openWizard, rendererBuilt } from './harness.ts';

const HANG_MS = 6000;

function hungPodmanHost() {
  const host = createSandboxHost({ inheritPath: false });
  host.writeBin('podman', '#!/bin/sh\nexec sleep 60\n');
  const run = host.ctx.run;
  const capped: Runner = (file, args, opts) => run(file, args, { ...opts, timeoutMs: Math.min(opts.timeoutMs, HANG_MS) });
  return { host, ctx: { ...host.ctx, run: capped } };
}

describe('slow and hung checks', { skip: !rendererBuilt() && 'renderer not built' }, () => {
  after(() => closeBrowser());

  test('a hung podman: "still checking podman…" in the sidebar and on the page while it runs, then what to try — no install', async () => {
    const { host, ctx } = hungPodmanHost();
    const s = await openWizard(ctx);
    try {
      const { page } = s;
      await page.locator('nav [data-page="podman"]').click();
      const side = page.locator('nav [data-page="podman"] [data-testid="sidebar-progress"]');
      const header = page.getByTestId('page-progress');
      // Short in the row (the title is beside it), the sentence for screen readers and on hover.
      await side.filter({ hasText: /^checking… \d+ sstill checking podman… \d+ s$/ }).waitFor();
      assert.match(await side.getAttribute('title') ?? '', /^still checking podman… \d+ s$/);
      await header.filter({ hasText: /^Still checking podman… \d+ s$/ }).waitFor();
      // Seen before the probe ended: the remedies are not there yet, and the mark spins.
      assert.equal(await page.getByText('does not need installing again').count(), 0);
      assert.equal(await page.locator('nav [data-page="podman"] [role="img"]').getAttribute('aria-label'), 'checking');
      // A step that needs no podman is on screen already, with its final mark (it landed on its own).
      assert.equal(await page.locator('nav [data-page="vault"] [role="img"]').getAttribute('aria-label'), 'not set up yet');
      // Steps that need podman wait for it (git's own probe is done: no git on this PATH); nothing is "failed" yet.
      await page.locator('nav [data-page="git"] [data-testid="sidebar-progress"]').filter({ hasText: /^waitingwaiting for Podman… \d+ s$/ }).waitFor();
      assert.notEqual(await page.locator('nav [data-page="git"] [role="img"]').getAttribute('aria-label'), 'failed');
      // The counter counts.
      const first = await side.textContent();
      await side.filter({ hasNotText: first! }).waitFor();

      await page.getByText('Podman is installed but did not answer within').waitFor({ timeout: HANG_MS + 10_000 });
      assert.equal(await side.count(), 0, 'the note goes with the probe');
      assert.equal(await header.count(), 0);
      for (const c of ['podman system migrate', `pkill -u "$USER" -f 'catatonit -P'`, 'timeout 30 podman --log-level=debug info']) {
        assert.equal(await page.locator('.cmd, code, pre').filter({ hasText: c }).count() > 0, true, c);
      }
      const body = await page.locator('section.page').innerText();
      assert.match(body, /df -h ~/);
      assert.doesNotMatch(body, /Install command|apt-get|dnf install|Install podman first/);
      assert.equal(await page.locator('nav [data-page="podman"] [role="img"]').getAttribute('aria-label'), 'failed');
      assert.equal(await page.locator('nav [data-page="git"] [role="img"]').getAttribute('aria-label'), 'blocked');
      // terok's consequence line ("Install podman first") is the CLI's; no page shows it, nor an install command, for a hang.
      await page.locator('nav [data-page="summary"]').click();
      await page.getByTestId('verdict').waitFor();
      for (const id of ['welcome', 'git', 'sandbox', 'vault', 'images', 'ssh', 'credentials', 'summary']) {
        await page.locator(`nav [data-page="${id}"]`).click();
        await page.locator(`nav [data-page="${id}"][aria-current="step"]`).waitFor();
        assert.doesNotMatch(await page.locator('section.page').innerText(), /Install podman|apt-get|dnf install/, id);
      }
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('a stale sweep\'s progress is ignored; the sweep in flight replaces steps as they land', async () => {
    const { host, ctx } = hungPodmanHost();
    const s = await openWizard(ctx);
    try {
      const { page } = s;
      await page.locator('nav [data-page="podman"]').click();
      await page.getByText('Podman is installed but did not answer within').waitFor({ timeout: HANG_MS + 10_000 });
      const staleId = (s.requests.find((r) => r.channel === 'probe:sweep')!.payload as { sweepId: string }).sweepId;
      assert.ok(staleId, 'the wizard names its sweeps');
      // Were it shown, it would say STALE everywhere (line, headline).
      const fake = {
        id: 'podman', title: 'Podman', requirement: 'required', gate: 'terok-preflight', result: { name: 'podman', ok: true, message: 'STALE' },
        status: 'ok', state: 'ok', blockedBy: [], facts: {}, explanation: { headline: 'STALE' }, consequence: [], manualCommand: null, offer: null, again: null,
      } as unknown as StepReport;
      await page.getByRole('button', { name: 'Check again' }).click();
      await page.getByTestId('page-progress').waitFor();
      const emit = (e: ProbeProgress) => page.evaluate((p) => (window as unknown as { __terokEmit(c: string, x: unknown): void }).__terokEmit('probe:progress', p), e);
      await emit({ sweepId: staleId, steps: [fake], pending: [] });
      await emit({ sweepId: 'someone-else-1', steps: [fake], pending: [] });
      // The previous report stays on screen while the new sweep runs: the old line, not the stale one.
      assert.match(await page.getByTestId('page-status').innerText(), /^podman: found but not responding/);
      assert.equal(await page.locator('nav [data-page="podman"] [role="img"]').getAttribute('aria-label'), 'failed');
      await page.getByTestId('page-progress').waitFor({ state: 'detached', timeout: HANG_MS + 10_000 });
      assert.doesNotMatch(await page.locator('section.page').innerText(), /STALE/);
    } finally {
      await s.close();
      host.cleanup();
    }
  });
});
