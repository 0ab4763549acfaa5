/**
 * Time from the wizard page starting to load until its first verdict is on
 * screen, on a ready sandboxed host (real podman, a real tiny image, a real
 * SQLCipher DB), in real Chromium. Target: under a second.
 */
import { randomBytes } from 'node:crypto';
import { l1AliasTag } from '../../main/core/images/tags.ts';
import { createSandboxHost } from '../support/host.ts';
import { buildTinyImage, createVaultFixture, installShieldHooksFixture, removeImages, writeStampFixture } from '../support/fixtures.ts';
import { closeBrowser, openWizard, rendererBuilt } from '../e2e/harness.ts';
import { median, report } from './stats.ts';

if (!rendererBuilt()) { console.error('first-verdict bench: build the renderer first (npm run build)'); process.exit(1); }
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const base = `localhost/terok-bench-${randomBytes(4).toString('hex')}:1`;
await buildTinyImage([l1AliasTag(base)]);
const host = createSandboxHost();
host.write('home/.config/terok/config.yml', `image:\n  base_image: ${base}\n`);
installShieldHooksFixture(host);
writeStampFixture(host);
createVaultFixture(host, { credentials: [{ set: 'default', provider: 'anthropic', data: { type: 'api_key', key: 'x' } }], sshKeyScope: 'standalone' });
const times: number[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const s = await openWizard(host.ctx);
    await s.page.getByTestId('page-status').filter({ hasText: 'ready for terok' }).waitFor();
    // performance.now() counts from the start of navigation.
    times.push(await s.page.evaluate(() => performance.now()));
    await s.close();
  }
} finally {
  await closeBrowser();
  host.cleanup();
  await removeImages([l1AliasTag(base)]);
}
report('wizard start', [['first verdict on screen after navigation (median)', median(times), 'ms (target < 1000)']]);
