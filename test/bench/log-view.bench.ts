/**
 * The build log view's throughput in real Chromium: how many podman-like
 * lines per second go from the task manager to pixels on the Images page.
 */
import { createSandboxHost } from '../support/host.ts';
import { lastLine, noisyBuild } from '../support/noisy-step.ts';
import { closeBrowser, openWizard, rendererBuilt } from '../e2e/harness.ts';
import { median, report } from './stats.ts';

if (!rendererBuilt()) { console.error('log-view bench: build the renderer first (npm run build)'); process.exit(1); }
const LINES = Number(process.env.BENCH_LOG_LINES ?? 20_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const rates: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const host = createSandboxHost();
  host.write('home/.config/terok/config.yml', 'image:\n  base_image: localhost/terok-never-built:1\n');
  const s = await openWizard(host.ctx, { steps: { 'images.build': noisyBuild(LINES) } });
  await s.page.locator('nav [data-page="images"]').click();
  const button = s.page.getByRole('button', { name: 'Build images' });
  await button.waitFor();
  const t = performance.now();
  await button.click();
  await s.page.getByRole('log', { name: 'Output log' }).getByText(lastLine(LINES)).waitFor({ timeout: 120_000 });
  rates.push(LINES / ((performance.now() - t) / 1000));
  await s.close();
  host.cleanup();
}
await closeBrowser();
report(`log view (${LINES} lines, Chromium)`, [['lines rendered per second (median)', median(rates), 'lines/s']]);
