/**
 * Screenshots of the wizard pages (real renderer, real probes, sandboxed HOME)
 * for the README and for looking at what we build: `node scripts/screenshots.ts [outDir]`.
 */
import path from 'node:path';
import { createSandboxHost } from '../test/support/host.ts';
import { createTerokFixture } from '../test/support/terok-fixture.ts';
import { failingKeyctl } from '../test/support/sandbox-install.ts';
import { closeBrowser, openWizard } from '../test/e2e/harness.ts';

const out = path.resolve(process.argv[2] ?? 'docs/screenshots');
const pages = process.argv.slice(3).length ? process.argv.slice(3) : ['welcome', 'podman', 'git', 'sandbox', 'vault', 'images', 'ssh', 'credentials', 'summary'];

for (const scheme of ['light', 'dark'] as const) {
  // A fresh machine with terok installed but not set up (fixture install; keyctl disabled).
  const host = createSandboxHost();
  createTerokFixture(host);
  failingKeyctl(host);
  const s = await openWizard(host.ctx, { colorScheme: scheme });
  await s.page.getByTestId('page-status').filter({ hasText: /ready|attention/ }).waitFor();
  for (const id of pages) {
    await s.page.locator(`nav [data-page="${id}"]`).click();
    await s.page.waitForTimeout(150);
    await s.page.screenshot({ path: path.join(out, `${id}-${scheme}.png`) });
  }
  await s.close();
  host.cleanup();
}
await closeBrowser();
console.log(`screenshots written to ${out}`);
