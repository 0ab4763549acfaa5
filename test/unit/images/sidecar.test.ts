/** The L1 sidecar build (spec §5.6) against the runner-level fake podman. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../../main/core/engine.ts';
import { buildSidecar, resolveSidecarTool, type BuildDeps, type SidecarRequest } from '../../../main/core/images/build.ts';
import { ImageBuildError } from '../../../main/core/images/errors.ts';
import { createImagesModule, SIDECAR_STEP } from '../../../main/core/images/module.ts';
import { parseSidecarParams } from '../../../main/core/images/params.ts';
import type { BuildProgress } from '../../../main/core/images/progress.ts';
import { imageRosterOf } from '../../../main/core/images/roster-source.ts';
import type { ImageRoster } from '../../../main/core/images/roster-view.ts';
import { bundledRoster } from '../../../main/core/roster/current.ts';
import { parseSelection, resolveSelection } from '../../../main/core/roster/selection.ts';
import { createFakePodman } from '../../support/fake-podman.ts';
import { createSandboxHost } from '../../support/host.ts';
import { fixtureRoster } from '../../support/images-fixtures.ts';

const BASE = 'ubuntu:24.04';
const L0 = 'terok-l0:ubuntu-24.04';
const SIDECAR = 'terok-l1-sidecar:ubuntu-24.04';

/** The fixture roster plus two sidecar entries (the second installs a differently named tool). */
const sidecarRoster = (): ImageRoster => ({ ...fixtureRoster(), sidecarTools: () => ({ coderabbit: 'coderabbit', reviewer: 'review-cli' }) });

function setup(existing: Record<string, string> = {}, roster: ImageRoster = sidecarRoster()) {
  const host = createSandboxHost({ inheritPath: false });
  host.writeBin('podman', '#!/bin/sh\nexit 99\n');
  const fake = createFakePodman(existing);
  const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'terok-sidecar-unit-'));
  const deps: BuildDeps = { ctx: { env: host.ctx.env, run: fake.run }, roster, tmpRoot, now: () => 1_700_000_000_123 };
  const cleanup = () => { host.cleanup(); rmSync(tmpRoot, { recursive: true, force: true }); };
  return { host, fake, deps, tmpRoot, cleanup };
}

const sidecar = (deps: BuildDeps, request: SidecarRequest = {}, observer = {}) => buildSidecar({ baseImage: BASE, ...request }, deps, observer);

test('nothing built: L0 first, then the sidecar, with the spec command lines; context removed', async () => {
  const { fake, deps, tmpRoot, cleanup } = setup();
  try {
    const result = await sidecar(deps);
    assert.deepEqual(
      { l0: result.l0, sidecar: result.sidecar, toolName: result.toolName, cached: result.cached, builtL0: result.builtL0, family: result.family },
      { l0: L0, sidecar: SIDECAR, toolName: 'coderabbit', cached: false, builtL0: true, family: 'deb' },
    );
    const [l0, side, ...more] = fake.buildCalls();
    assert.equal(more.length, 0);
    const ctx = l0!.args.at(-1)!;
    assert.deepEqual(l0!.args, ['build', '-f', path.join(ctx, 'L0.Dockerfile'), '--build-arg', `BASE_IMAGE=${BASE}`, '-t', L0, ctx]);
    assert.deepEqual(side!.args, ['build', '-f', path.join(ctx, 'L1.sidecar.Dockerfile'), '--build-arg', `BASE_IMAGE=${L0}`, '--build-arg', 'TOOL_CACHE_BUST=1700000000', '-t', SIDECAR, ctx]);
    const staged = side!.context!;
    for (const p of ['L0.Dockerfile', 'L1.sidecar.Dockerfile', 'scripts/init-ssh-and-repo.sh']) assert.ok(p in staged, p);
    assert.match(staged['L1.sidecar.Dockerfile']!, /^ARG BASE_IMAGE=terok-l0:ubuntu-24\.04$/m);
    assert.match(staged['L1.sidecar.Dockerfile']!, /cli\.coderabbit\.ai/);
    assert.match(staged['L1.sidecar.Dockerfile']!, /apt-get install -y --no-install-recommends unzip/, 'deb family from the base image');
    assert.ok(fake.images.has(SIDECAR) && fake.images.has(L0));
    assert.deepEqual(readdirSync(tmpRoot), []);
  } finally { cleanup(); }
});

test('L0 present: exactly one build (the sidecar), and only its Dockerfile is staged', async () => {
  const { fake, deps, cleanup } = setup({ [L0]: 'sha256:a' });
  try {
    const result = await sidecar(deps, { family: 'rpm' });
    assert.equal(result.builtL0, false);
    const builds = fake.buildCalls();
    assert.equal(builds.length, 1);
    assert.equal(builds[0]!.args[2]!.endsWith('L1.sidecar.Dockerfile'), true);
    assert.deepEqual(Object.keys(builds[0]!.context!), ['L1.sidecar.Dockerfile']);
    assert.match(builds[0]!.context!['L1.sidecar.Dockerfile']!, /dnf install/, 'family override wins');
  } finally { cleanup(); }
});

test('sidecar present: cache hit, only `image exists` runs (even when L0 is gone)', async () => {
  const { fake, deps, tmpRoot, cleanup } = setup({ [SIDECAR]: 'sha256:s' });
  const logs: string[] = [];
  try {
    const result = await sidecar(deps, {}, { log: (l: string) => logs.push(l) });
    assert.equal(result.cached, true);
    assert.equal(result.builtL0, false);
    assert.equal(result.family, 'deb');
    assert.deepEqual(fake.calls.map((c) => c.args), [['image', 'exists', SIDECAR]]);
    assert.deepEqual(logs, [`Sidecar image already built: ${SIDECAR}`]);
    assert.deepEqual(readdirSync(tmpRoot), [], 'no context staged');
  } finally { cleanup(); }
});

test('a cached sidecar of an unknown base works without a family', async () => {
  const { fake, deps, cleanup } = setup({ 'terok-l1-sidecar:localhost-5000-custom-1': 's' });
  try {
    const result = await buildSidecar({ baseImage: 'localhost:5000/custom:1' }, deps);
    assert.equal(result.cached, true);
    assert.equal(result.family, null);
    assert.equal(fake.buildCalls().length, 0);
  } finally { cleanup(); }
});

test('rebuild builds the present sidecar again with a new cache bust, no --no-cache, L0 untouched', async () => {
  const { fake, deps, cleanup } = setup({ [L0]: 'a', [SIDECAR]: 's' });
  try {
    const result = await sidecar(deps, { rebuild: true });
    assert.equal(result.cached, false);
    const builds = fake.buildCalls();
    assert.equal(builds.length, 1);
    assert.ok(builds[0]!.args.includes('TOOL_CACHE_BUST=1700000000'));
    assert.ok(!builds[0]!.args.includes('--no-cache'));
    assert.equal(fake.images.get(L0), 'a');
  } finally { cleanup(); }
});

test('full rebuild: sidecar gets --no-cache and never a pull flag; L0 is built (no cache, pulled) only when missing', async () => {
  const present = setup({ [L0]: 'a', [SIDECAR]: 's' });
  try {
    await sidecar(present.deps, { fullRebuild: true });
    const builds = present.fake.buildCalls();
    assert.equal(builds.length, 1, 'an existing L0 is not rebuilt here');
    assert.ok(builds[0]!.args.includes('--no-cache'));
    assert.ok(!builds[0]!.args.some((a) => a.startsWith('--pull')));
    assert.ok(!present.fake.calls.some((c) => c.args[0] === 'version'), 'no podman version query without an L0 build');
  } finally { present.cleanup(); }
  const missing = setup();
  try {
    await sidecar(missing.deps, { fullRebuild: true });
    const [l0, side] = missing.fake.buildCalls();
    assert.ok(l0!.args.includes('--no-cache') && l0!.args.includes('--pull=always'));
    assert.ok(side!.args.includes('--no-cache') && !side!.args.some((a) => a.startsWith('--pull')));
  } finally { missing.cleanup(); }
});

test('the roster decides the installed tool name; the tag stays per base image', async () => {
  const { fake, deps, cleanup } = setup({ [L0]: 'a' });
  try {
    const result = await sidecar(deps, { toolName: 'reviewer' });
    assert.equal(result.toolName, 'reviewer');
    assert.equal(result.sidecar, SIDECAR);
    assert.match(fake.buildCalls()[0]!.context!['L1.sidecar.Dockerfile']!, /review-cli/);
  } finally { cleanup(); }
});

test('unknown tool: clear error listing the valid names, before any podman call', async () => {
  const { fake, deps, cleanup } = setup();
  try {
    await assert.rejects(sidecar(deps, { toolName: 'alpha' }), (e: unknown) => {
      assert.ok(e instanceof ImageBuildError);
      assert.equal(e.code, 'unknown-sidecar-tool');
      assert.equal(e.message, "Unknown sidecar tool 'alpha'. Valid sidecar tools: coderabbit, reviewer");
      assert.match(e.hint!, /sidecar: section/);
      return true;
    });
    assert.equal(fake.calls.length, 0);
  } finally { cleanup(); }
  const none = setup({}, fixtureRoster());
  try {
    await assert.rejects(sidecar(none.deps), (e: unknown) => e instanceof ImageBuildError && e.code === 'unknown-sidecar-tool'
      && e.message === "Unknown sidecar tool 'coderabbit': the agent roster defines no sidecar tools.");
    assert.throws(() => resolveSidecarTool(sidecarRoster(), 'toString'), ImageBuildError, 'no prototype keys');
  } finally { none.cleanup(); }
});

test('bundled roster: coderabbit is the sidecar tool', () => {
  const roster = imageRosterOf(bundledRoster(), (r, sel) => resolveSelection(r, parseSelection(sel)));
  assert.deepEqual(roster.sidecarTools!(), { coderabbit: 'coderabbit' });
  assert.deepEqual(resolveSidecarTool(roster, undefined), { name: 'coderabbit', installs: 'coderabbit' });
  assert.throws(() => resolveSidecarTool(roster, 'claude'), /Unknown sidecar tool 'claude'\. Valid sidecar tools: coderabbit$/);
});

test('progress spans L0 + sidecar, labelled "L1 sidecar"', async () => {
  const { fake, deps, cleanup } = setup();
  fake.builds.push({ lines: ['STEP 1/2: FROM base', 'STEP 2/2: RUN a'] }, { lines: ['STEP 1/3: FROM l0', 'STEP 2/3: RUN unzip', 'STEP 3/3: RUN install'] });
  const events: BuildProgress[] = [];
  try {
    await sidecar(deps, {}, { progress: (p: BuildProgress) => events.push(p) });
    assert.ok(events.some((e) => e.image === 'L0'));
    const last = events.at(-1)!;
    assert.equal(last.image, 'L1 sidecar');
    assert.equal(last.tag, SIDECAR);
    assert.deepEqual([last.overallDone, last.overallTotal], [5, 5]);
  } finally { cleanup(); }
});

test('a failing sidecar step names the sidecar image, step and exit code; context removed', async () => {
  const { fake, deps, tmpRoot, cleanup } = setup({ [L0]: 'a' });
  fake.builds.push({ lines: ['STEP 1/4: FROM terok-l0:ubuntu-24.04', 'STEP 2/4: RUN curl -fsSL https://cli.coderabbit.ai/install.sh', 'curl: (6) Could not resolve host'], exitCode: 6 });
  try {
    await assert.rejects(sidecar(deps), (e: unknown) => e instanceof ImageBuildError && e.code === 'build-failed'
      && e.message === `Image build failed: L1 sidecar ${SIDECAR} at STEP 2/4: RUN curl -fsSL https://cli.coderabbit.ai/install.sh (exit code 6).`);
    assert.equal(fake.images.has(SIDECAR), false);
    assert.deepEqual(readdirSync(tmpRoot), []);
  } finally { cleanup(); }
});

test('cancel during L0 → "cancelled", sidecar never started, leftovers looked for', async () => {
  const { fake, deps, cleanup } = setup();
  fake.builds.push({ lines: ['STEP 1/3: FROM x'], reason: 'cancelled' });
  try {
    await assert.rejects(sidecar(deps), (e: unknown) => e instanceof ImageBuildError && e.code === 'cancelled' && e.message.includes(L0));
    assert.equal(fake.buildCalls().length, 1);
    assert.ok(fake.calls.some((c) => c.args[0] === 'ps'));
  } finally { cleanup(); }
});

test('parseSidecarParams: defaults, and rejects wrong types, unknown keys and odd names', () => {
  assert.deepEqual(parseSidecarParams(undefined, 'ubuntu:24.04'), { baseImage: 'ubuntu:24.04', family: null, toolName: 'coderabbit', rebuild: false, fullRebuild: false });
  assert.deepEqual(parseSidecarParams({ baseImage: 'fedora:44', family: 'rpm', toolName: ' reviewer ', rebuild: true }, 'x'),
    { baseImage: 'fedora:44', family: 'rpm', toolName: 'reviewer', rebuild: true, fullRebuild: false });
  const bad: unknown[] = [[], { toolName: 3 }, { toolName: 'a b' }, { toolName: '../x' }, { agents: 'all' }, { sidecar: true }, { family: 'apk' }, { fullRebuild: 1 }];
  for (const raw of bad) assert.throws(() => parseSidecarParams(raw, 'ubuntu:24.04'), ImageBuildError, JSON.stringify(raw));
});

test(`task step ${SIDECAR_STEP}: stage, progress, result; unknown tool fails with its code`, async () => {
  const host = createSandboxHost({ inheritPath: false });
  host.writeBin('podman', '#!/bin/sh\nexit 99\n');
  const fake = createFakePodman({ [L0]: 'a' });
  const engine = new Engine({ ...host.ctx, run: fake.run });
  createImagesModule({ roster: () => sidecarRoster() }).register(engine);
  try {
    const id = engine.tasks.start(SIDECAR_STEP, { baseImage: BASE });
    assert.equal(await engine.tasks.wait(id), 'done');
    const events = engine.tasks.events(id);
    const done = events.find((e) => e.type === 'done')!;
    assert.ok(done.type === 'done');
    assert.equal((done.result as { sidecar: string }).sidecar, SIDECAR);
    assert.ok(events.some((e) => e.type === 'stage' && e.stage.label === 'Sidecar image' && e.stage.status === 'ok' && e.stage.detail === `built ${SIDECAR}`));
    assert.ok(events.some((e) => e.type === 'progress' && /^L1 sidecar \d+\/\d+ steps done/.test(e.label ?? '')));

    const again = engine.tasks.start(SIDECAR_STEP, { baseImage: BASE });
    assert.equal(await engine.tasks.wait(again), 'done');
    assert.ok(engine.tasks.events(again).some((e) => e.type === 'stage' && e.stage.detail === `already built: ${SIDECAR}`));
    assert.equal(fake.buildCalls().length, 1);

    const bad = engine.tasks.start(SIDECAR_STEP, { baseImage: BASE, toolName: 'nosuch' });
    assert.equal(await engine.tasks.wait(bad), 'failed');
    const badEvents = engine.tasks.events(bad);
    const failed = badEvents.find((e) => e.type === 'failed')!;
    assert.ok(failed.type === 'failed');
    assert.equal(failed.error.code, 'images-unknown-sidecar-tool');
    assert.match(failed.error.message, /Valid sidecar tools: coderabbit, reviewer/);
  } finally { host.cleanup(); }
});
