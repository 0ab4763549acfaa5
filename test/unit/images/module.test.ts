import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../../main/core/engine.ts';
import { ImageBuildError } from '../../../main/core/images/errors.ts';
import { BUILD_STEP, createImagesModule } from '../../../main/core/images/module.ts';
import { FIRST_BUILD_POSTAMBLE, FIRST_BUILD_PREAMBLE } from '../../../main/core/steps/images.ts';
import { registerOrchestrator } from '../../../main/core/modules.ts';
import { gateFix } from '../../support/gate.ts';
import { parseBuildParams } from '../../../main/core/images/params.ts';
import type { GateSettings } from '../../../main/core/settings.ts';
import { createFakePodman } from '../../support/fake-podman.ts';
import { createSandboxHost } from '../../support/host.ts';
import { fixtureRoster, fixtureTemplates } from '../../support/images-fixtures.ts';

function setup() {
  const host = createSandboxHost({ inheritPath: false });
  host.writeBin('podman', '#!/bin/sh\nexit 99\n');
  const fake = createFakePodman();
  const engine = new Engine({ ...host.ctx, run: fake.run });
  createImagesModule({ roster: () => fixtureRoster(), templates: fixtureTemplates('unit') }).register(engine);
  registerOrchestrator(engine);
  return { host, fake, engine };
}

const settings = (baseImage: string): GateSettings => ({ provider: 'claude', baseImage, family: null, credentialSet: 'default', mountsDir: null });

test('parseBuildParams: defaults, and rejects wrong types, unknown keys and odd strings', () => {
  assert.deepEqual(parseBuildParams(undefined, 'ubuntu:24.04'), { baseImage: 'ubuntu:24.04', family: null, agents: 'all', rebuild: false, fullRebuild: false });
  assert.deepEqual(parseBuildParams({ baseImage: ' fedora:44 ', family: 'rpm', agents: 'claude,-vibe', fullRebuild: true }, 'x'),
    { baseImage: 'fedora:44', family: 'rpm', agents: 'claude,-vibe', rebuild: false, fullRebuild: true });
  const bad: unknown[] = [[], 'x', { rebuild: 'yes' }, { baseImage: 3 }, { baseImage: 'a b' }, { baseImage: '$(rm -rf /)' }, { agents: 'claude;ls' }, { family: 'apk' }, { extra: 1 }];
  for (const raw of bad) assert.throws(() => parseBuildParams(raw, 'ubuntu:24.04'), ImageBuildError, JSON.stringify(raw));
});

test(`task step ${BUILD_STEP}: log lines, step progress with labels, stage, BuildResult`, async () => {
  const { host, fake, engine } = setup();
  fake.builds.push({ lines: ['STEP 1/2: FROM base', 'STEP 2/2: RUN a'] }, { lines: ['STEP 1/2: FROM l0', 'STEP 2/2: LABEL x'] });
  try {
    const id = engine.tasks.start(BUILD_STEP, { baseImage: 'ubuntu:24.04', agents: 'alpha' });
    assert.equal(await engine.tasks.wait(id), 'done');
    const events = engine.tasks.events(id);
    const done = events.find((e) => e.type === 'done')!;
    assert.equal(done.type === 'done' && (done.result as { l1: string }).l1, 'terok-l1-cli:ubuntu-24.04-alpha');
    const progress = events.filter((e) => e.type === 'progress');
    const lastProgress = progress.at(-1)!;
    assert.ok(lastProgress.type === 'progress' && lastProgress.done === lastProgress.total && lastProgress.total === 4);
    assert.ok(progress.some((e) => e.type === 'progress' && /^L1 1\/2 steps done · LABEL x$/.test(e.label ?? '')));
    assert.ok(events.some((e) => e.type === 'log' && e.line === 'STEP 2/2: RUN a' && e.stream === 'stdout'));
    assert.ok(events.some((e) => e.type === 'stage' && e.stage.label === 'Container images' && e.stage.status === 'ok'));
  } finally { host.cleanup(); }
});

test('task step failure carries code, message, fix, command, exit code and output tail', async () => {
  const { host, fake, engine } = setup();
  fake.builds.push({ lines: ['STEP 1/3: FROM base', 'STEP 2/3: RUN apt-get install x', 'E: Unable to locate package x'], exitCode: 100 });
  try {
    const id = engine.tasks.start(BUILD_STEP, { baseImage: 'ubuntu:24.04', agents: 'alpha' });
    assert.equal(await engine.tasks.wait(id), 'failed');
    const failed = engine.tasks.events(id).find((e) => e.type === 'failed')!;
    assert.ok(failed.type === 'failed');
    assert.equal(failed.error.code, 'images-build-failed');
    assert.match(failed.error.message, /^Image build failed: L0 terok-l0:ubuntu-24.04 at STEP 2\/3: RUN apt-get install x \(exit code 100\)\.$/);
    assert.equal(failed.error.exitCode, 100);
    assert.equal(failed.error.command?.[1], 'build');
    assert.match(failed.error.stderrTail ?? '', /Unable to locate package/);
    assert.match(failed.error.detail ?? '', /Failed at STEP 2\/3/);
  } finally { host.cleanup(); }
});

test('untrusted params are validated inside the step', async () => {
  const { host, engine } = setup();
  try {
    const id = engine.tasks.start(BUILD_STEP, { baseImage: 'ubuntu:24.04', rebuild: 'please' });
    assert.equal(await engine.tasks.wait(id), 'failed');
    const failed = engine.tasks.events(id).find((e) => e.type === 'failed')!;
    assert.ok(failed.type === 'failed' && failed.error.code === 'invalid-params');
  } finally { host.cleanup(); }
});

test("gate fix prints terok's preamble, builds all, prints the postamble", async () => {
  const { host, fake, engine } = setup();
  const out: string[] = [];
  const err: string[] = [];
  try {
    const ok = await gateFix(engine, 'images')(settings('ubuntu:24.04'), { out: (l) => out.push(l), err: (l) => err.push(l), ask: async () => 'y' });
    assert.equal(ok, true);
    assert.deepEqual(out.slice(0, 5), FIRST_BUILD_PREAMBLE);
    assert.deepEqual(FIRST_BUILD_PREAMBLE.slice(1), [
      '  ─ Building agent images ────────────────────────────────────',
      '  This is a first-run step and usually takes a few minutes.',
      '  Subsequent runs reuse the cached layers and start instantly.',
      '  ────────────────────────────────────────────────────────────',
    ]);
    assert.deepEqual(out.slice(-3), FIRST_BUILD_POSTAMBLE);
    assert.equal(FIRST_BUILD_POSTAMBLE[1], '  Images ready.  Next run will skip this step.');
    assert.ok(fake.images.has('terok-l1-cli:ubuntu-24.04'), 'alias tagged, so the re-probe says ready');
    assert.ok(fake.images.has('terok-l1-cli:ubuntu-24.04-alpha-beta-broken-gamma-sleeper'), 'agents "all"');
  } finally { host.cleanup(); }
});

test('gate fix: a build error prints "Build failed" to stderr, no postamble, returns false', async () => {
  const { host, engine } = setup();
  const out: string[] = [];
  const err: string[] = [];
  try {
    const ok = await gateFix(engine, 'images')(settings('localhost:5000/custom:1'), { out: (l) => out.push(l), err: (l) => err.push(l), ask: async () => 'y' });
    assert.equal(ok, false);
    assert.match(err[0]!, /^ {2}Build failed: Cannot infer package family for base image 'localhost:5000\/custom:1'/);
    assert.ok(!out.includes(FIRST_BUILD_POSTAMBLE[1]!));
  } finally { host.cleanup(); }
});

test('CLI: terok-setup build prints L0/L1 tags; errors exit 1 with the message and the fix, usage errors 2', async () => {
  const { main } = await import('../../../main/cli/index.ts');
  // The CLI's build runs the images task with the bundled roster and templates (podman itself is the fake).
  const { host, fake } = setup();
  const withFake = new Engine({ ...host.ctx, run: fake.run });
  createImagesModule().register(withFake);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'terok-cli-build-'));
  try {
    let stdout = '';
    let stderr = '';
    const io = { out: (t: string) => { stdout += t; }, err: (t: string) => { stderr += t; }, stdinIsTty: false, readLine: async () => null };
    assert.equal(await main(['build', '--base', 'ubuntu:24.04', '--agents', 'claude,codex'], io, withFake), 0);
    assert.match(stdout, /^L0: terok-l0:ubuntu-24\.04\nL1: terok-l1-cli:ubuntu-24\.04-claude-codex\n$/m);
    const engine = new Engine({ ...host.ctx, env: { ...host.ctx.env, PATH: path.join(tmp, 'none') } });
    createImagesModule().register(engine);
    assert.equal(await main(['build', '--agents', 'claude'], io, engine), 1);
    assert.match(stderr, /podman not found; please install podman/);
    stderr = '';
    // A bad option value is a usage error (exit 2), found before podman is looked for.
    assert.equal(await main(['build', '--family', 'arch'], io, engine), 2);
    assert.match(stderr, /family must be 'deb' or 'rpm', got 'arch'/);
    assert.doesNotMatch(stderr, /podman not found/);
  } finally { host.cleanup(); rmSync(tmp, { recursive: true, force: true }); }
});
