/**
 * Probe sweep on a ready sandboxed host (real podman, a real tiny image, a
 * real SQLCipher DB): concurrent sweep vs the same probes one after another,
 * and the slowest single probe. Target: sweep ≤ 1.3 × slowest probe.
 */
import { randomBytes } from 'node:crypto';
import { l1AliasTag } from '../../main/core/images/tags.ts';
import { makeProbeEnv } from '../../main/core/steps/probe-env.ts';
import { runSweep, safeProbe } from '../../main/core/steps/readiness.ts';
import { STEPS, type Step } from '../../main/core/steps/registry.ts';
import { createSandboxHost } from '../support/host.ts';
import { buildTinyImage, createVaultFixture, installShieldHooksFixture, removeImages, writeStampFixture } from '../support/fixtures.ts';
import { median, report } from './stats.ts';
import { forgetDerivedKeys } from '../../main/core/vault/credential-db.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const base = `localhost/terok-bench-${randomBytes(4).toString('hex')}:1`;
const settings = { provider: 'claude', baseImage: base, family: null, credentialSet: 'default', mountsDir: null };

await buildTinyImage([l1AliasTag(base)]);
const host = createSandboxHost();
installShieldHooksFixture(host);
writeStampFixture(host);
createVaultFixture(host, { credentials: [{ set: 'default', provider: 'anthropic', data: { type: 'api_key', key: 'x' } }], sshKeyScope: 'standalone' });

try {
  // Cold: the first sweep of a fresh process pays SQLCipher's key derivation (off the main thread).
  const cold: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    forgetDerivedKeys();
    const t = performance.now();
    await runSweep(host.ctx, settings);
    cold.push(performance.now() - t);
  }

  const concurrent: number[] = [];
  const sequential: number[] = [];
  const single: Record<string, number[]> = Object.fromEntries((STEPS as readonly Step[]).map((s) => [s.id, []]));
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    const r = await runSweep(host.ctx, settings);
    if (!r.verdict.ready) throw new Error(`bench host is not ready: ${r.verdict.reasons.join('; ')}`);
    concurrent.push(performance.now() - t);

    const env = makeProbeEnv(host.ctx, settings);
    t = performance.now();
    for (const spec of STEPS as readonly Step[]) await safeProbe(spec, env);
    sequential.push(performance.now() - t);

    for (const spec of STEPS as readonly Step[]) {
      const alone = makeProbeEnv(host.ctx, settings);
      const s = performance.now();
      await safeProbe(spec, alone);
      single[spec.id]!.push(performance.now() - s);
    }
  }
  const slowest = Object.entries(single).map(([id, xs]) => [id, median(xs)] as const).sort((a, b) => b[1] - a[1])[0]!;
  report('probe sweep', [
    ['cold sweep, first in a process (median)', median(cold), 'ms'],
    ['concurrent sweep (median)', median(concurrent), 'ms'],
    ['one after another (median)', median(sequential), 'ms'],
    [`slowest single probe: ${slowest[0]} (median)`, slowest[1], 'ms'],
    ['sweep / slowest probe', median(concurrent) / slowest[1], 'x (target ≤ 1.3)'],
    ['sequential / concurrent', median(sequential) / median(concurrent), 'x'],
    ...Object.entries(single).map(([id, xs]) => [`  ${id} alone (median)`, median(xs), 'ms'] as const),
  ]);
} finally {
  host.cleanup();
  await removeImages([l1AliasTag(base)]);
}
