/**
 * Benchmark: time from "build" to "ready" when the images already exist —
 * the re-run-after-upgrade path, which must not invoke podman build.
 * Target: under one second. Uses real podman and a local busybox base;
 * removes everything it creates.
 *
 *   node test/bench/images.bench.ts [iterations]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostContextFromProcess } from '../../main/core/host/context.ts';
import { runCommand, type Runner } from '../../main/core/host/process.ts';
import { buildImages, type BuildDeps } from '../../main/core/images/build.ts';
import { imagesStep } from '../../main/core/steps/images.ts';
import { makeProbeEnv } from '../../main/core/steps/probe-env.ts';
import { fixtureRoster, fixtureTemplates } from '../support/images-fixtures.ts';
import { buildBusyboxBase, podmanUsable, removeTestImages } from '../support/podman-base.ts';

const TARGET_MS = 1000;
const iterations = Number(process.argv[2] ?? 10);

if (!podmanUsable()) {
  console.log('images bench: skipped (podman or busybox-static not available)');
  process.exit(0);
}

const runId = `bench-${randomBytes(3).toString('hex')}`;
const base = `localhost/terok-bench-base-${runId}:latest`;
const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'terok-images-bench-'));
let builds = 0;
const counting: Runner = (file, args, opts) => { if (args[0] === 'build') builds++; return runCommand(file, args, opts); };
const deps: BuildDeps = { ctx: { env: process.env, run: counting }, roster: fixtureRoster(), templates: fixtureTemplates(runId), tmpRoot };
// A real probe env (config.yml and paths read as the probes read them), on this process's host.
const probeEnv = makeProbeEnv(hostContextFromProcess(), { provider: 'claude', baseImage: base, family: 'deb', credentialSet: 'default', mountsDir: null });
const tags = new Set<string>([base]);

try {
  await buildBusyboxBase(base, runId);
  const first = await buildImages({ baseImage: base, family: 'deb', agents: 'alpha,beta' }, deps);
  for (const t of [first.l0, first.l1, first.alias]) tags.add(t);
  builds = 0;
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    const result = await buildImages({ baseImage: base, family: 'deb', agents: 'alpha,beta' }, deps);
    const probe = await imagesStep.probe(probeEnv);
    times.push(performance.now() - start);
    if (!result.cached || !probe.result.ok) throw new Error(`expected a cache hit and "ready", got cached=${result.cached} probe=${probe.result.message}`);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const worst = times.at(-1)!;
  console.log(`images: build→ready on a cache hit: median ${median.toFixed(0)} ms, worst ${worst.toFixed(0)} ms over ${iterations} runs; podman builds: ${builds} (target < ${TARGET_MS} ms, 0 builds)`);
  if (builds !== 0 || median >= TARGET_MS) process.exitCode = 1;
} finally {
  await removeTestImages([...tags], runId);
  rmSync(tmpRoot, { recursive: true, force: true });
}
