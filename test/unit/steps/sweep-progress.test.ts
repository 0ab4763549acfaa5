/**
 * The sweep tells its progress as probes land (main → `probe:progress`), so a
 * page can show a step as soon as its report is final: a report is told once,
 * only after its own probe and its dependencies' have answered, and the
 * sweep's report is made of exactly those reports. Podman is a small script on
 * the sandbox PATH (a real podman cannot hang on demand); its timeout is
 * capped at the runner so the hang ends quickly.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Engine, type ProbeProgress } from '../../../main/core/engine.ts';
import type { Runner } from '../../../main/core/host/process.ts';
import { runSweep, type SweepProgress } from '../../../main/core/steps/readiness.ts';
import { STEP_IDS, stepOf } from '../../../main/core/steps/registry.ts';
import { createHandlers, dispatch } from '../../../main/ipc/handlers.ts';
import { validators } from '../../../main/ipc/validate.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { recordingDesktop } from '../../support/desktop.ts';

const settings = { provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null };
let host: SandboxHost;
afterEach(() => host?.cleanup());

/** A host whose podman sleeps; the probe's 10 s timeout is cut to `ms` (long enough for the podman-free probes to land first, even on a loaded machine). */
function hungPodmanHost(ms = 2000): SandboxHost {
  host = createSandboxHost({ inheritPath: false });
  host.writeBin('podman', '#!/bin/sh\nsleep 30\n');
  const run = host.ctx.run;
  const capped: Runner = (file, args, opts) => run(file, args, { ...opts, timeoutMs: Math.min(opts.timeoutMs, ms) });
  host.ctx = { ...host.ctx, run: capped };
  return host;
}

test('every step is told exactly once, only after its dependencies answered; the report is the told reports, merged', async () => {
  hungPodmanHost();
  const events: SweepProgress[] = [];
  const report = await runSweep(host.ctx, settings, undefined, (p) => events.push(structuredClone(p)));
  const told = events.flatMap((e) => e.steps);
  assert.deepEqual(told.map((s) => s.id).sort(), [...STEP_IDS].sort(), 'each step once');
  assert.deepEqual(report.steps, STEP_IDS.map((id) => told.find((s) => s.id === id)), 'the final report equals the partial ones merged');
  assert.equal(events.at(-1)!.pending.length, 0, 'the last event leaves nothing pending');
  // No report goes out while a dependency is still out: podman's comes first among those depending on it.
  const at = (id: string) => events.findIndex((e) => e.steps.some((s) => s.id === id));
  for (const id of STEP_IDS) for (const d of stepOf(id).dependsOn) assert.ok(at(d) <= at(id), `${id} after ${d}`);
  // While podman hangs, the steps depending on it are pending on it — waiting, not failed.
  const early = events.filter((e) => e.pending.some((p) => p.id === 'podman'));
  assert.ok(early.length > 0, 'something landed before podman (the vault needs no podman)');
  for (const e of early) {
    for (const s of e.steps) assert.deepEqual(stepOf(s.id).dependsOn, [], `${s.id} told before podman answered`);
    for (const p of e.pending) if (p.id !== 'podman') assert.ok(p.probing || p.waitingFor.includes('podman'), `${p.id} is out for a reason`);
    assert.deepEqual(e.pending.find((p) => p.id === 'podman'), { id: 'podman', probing: true, waitingFor: [] });
  }
  assert.equal(report.steps.find((s) => s.id === 'podman')!.status, 'unresponsive');
  assert.deepEqual(report.steps.find((s) => s.id === 'git')!.blockedBy, ['podman'], 'once podman answered (unresponsive), git is blocked by it');
});

test('a listener that throws does not lose the sweep', async () => {
  host = createSandboxHost({ inheritPath: false });
  const report = await runSweep(host.ctx, settings, undefined, () => { throw new Error('listener broke'); });
  assert.equal(report.steps.length, STEP_IDS.length);
});

test('probe:sweep with a sweepId: the engine tells every listener each landing under that id; without one, nothing is told', async () => {
  hungPodmanHost();
  const engine = new Engine(host.ctx);
  const table = createHandlers(engine, recordingDesktop());
  const seen: ProbeProgress[] = [];
  const off = engine.onProbeProgress((e) => seen.push(e));
  const res = await dispatch(table, 'probe:sweep', { settings, sweepId: 'w1-7' });
  assert.equal(res.ok, true);
  assert.ok(seen.length > 0 && seen.every((e) => e.sweepId === 'w1-7'));
  const final = (res as { value: { steps: unknown[] } }).value.steps;
  assert.deepEqual(final, STEP_IDS.map((id) => seen.flatMap((e) => e.steps).find((s) => s.id === id)));
  seen.length = 0;
  await dispatch(table, 'probe:sweep', { settings });
  assert.equal(seen.length, 0, 'a sweep nobody named (CLI, report, fix-all) tells nothing');
  off();
  await dispatch(table, 'probe:sweep', { settings, sweepId: 'w1-8' });
  assert.equal(seen.length, 0, 'an unsubscribed listener hears nothing');
  engine.dispose();
});

test('a sweepId is a short plain name', () => {
  assert.equal(validators['probe:sweep']({ settings, sweepId: 'lz3k9-12' }).sweepId, 'lz3k9-12');
  assert.throws(() => validators['probe:sweep']({ settings, sweepId: '../x' }), /payload.sweepId has an invalid value/);
  assert.throws(() => validators['probe:sweep']({ settings, sweepId: 'x'.repeat(65) }), /payload.sweepId/);
  assert.throws(() => validators['probe:sweep']({ settings, sweepId: 3 }), /payload.sweepId/);
});
