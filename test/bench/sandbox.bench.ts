/**
 * Benchmark: re-run the sandbox install on a ready (sandboxed) host — the
 * "re-run setup after an upgrade" path when nothing changed. Real routes
 * stage, real terok detection (one Python start), real SQLCipher open with
 * PBKDF2, real files. Target: about a second.
 *
 *   node test/bench/sandbox.bench.ts [runs]
 */
import { createSandboxHost } from '../support/host.ts';
import { createTerokFixture } from '../support/terok-fixture.ts';
import { failingKeyctl, recordingTask } from '../support/sandbox-install.ts';
import { ensureSandboxReady } from '../../main/core/sandbox/install.ts';
import { vaultRoutesStep } from '../../main/core/roster/vault-routes.ts';
import { median, report } from './stats.ts';

const runs = Number(process.argv[2] ?? 10);
const host = createSandboxHost({ env: { NO_COLOR: '1' } });
try {
  createTerokFixture(host);
  failingKeyctl(host);
  const once = async (tier?: 'kernel-keyring') => {
    const start = performance.now();
    const r = await ensureSandboxReady({ ctx: host.ctx, task: recordingTask().task, vaultRoutes: vaultRoutesStep }, tier ? { passphraseTier: tier } : {});
    if (r.exitCode !== 0) throw new Error(`install failed: ${r.failedStages.join(', ')}`);
    return performance.now() - start;
  };
  const first = await once('kernel-keyring');
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  const sorted = [...times].sort((a, b) => a - b);
  report(`sandbox install re-run on a ready host (${runs} runs)`, [
    ['first install (fresh host)', first, 'ms'],
    ['re-run median', median(times), 'ms'],
    ['re-run worst', sorted.at(-1)!, 'ms'],
  ]);
  if (median(times) > 1500) { console.error('re-run median exceeds the ~1 s target'); process.exitCode = 1; }
} finally {
  host.cleanup();
}
