/**
 * Real podman builds of L0 + L1, and of the L1 sidecar, from local busybox
 * bases (no registry), through the real build engine with fixture templates
 * and roster. One file on purpose: the cancel test counts the host's build
 * containers, so no other build of this suite may run beside it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand, type Runner } from '../../../main/core/host/process.ts';
import { buildImages, buildSidecar, type BuildDeps, type BuildRequest } from '../../../main/core/images/build.ts';
import { ImageBuildError } from '../../../main/core/images/errors.ts';
import { imageAgents, imageExists, listWorkingContainers } from '../../../main/core/images/podman.ts';
import type { BuildProgress } from '../../../main/core/images/progress.ts';
import type { ImageRoster } from '../../../main/core/images/roster-view.ts';
import type { ImageTemplateSource, SidecarVars } from '../../../main/core/images/templates/types.ts';
import { imagesStep } from '../../../main/core/steps/images.ts';
import type { ProbeEnv } from '../../../main/core/steps/probe-env.ts';
import { fixtureRoster, fixtureTemplates } from '../../support/images-fixtures.ts';
import { buildBusyboxBase, podmanUsable, removeTestImages } from '../../support/podman-base.ts';

const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;
const BASE = `localhost/terok-test-base-${RUN_ID}:latest`;
/** Its own base, so the sidecar build finds no L0 and builds it first. */
const SIDECAR_BASE = `localhost/terok-test-sidecar-base-${RUN_ID}:latest`;
const podman = { bin: 'podman', run: runCommand };
const skip = podmanUsable() ? false : 'podman or busybox-static not available';

const created = new Set<string>([BASE, SIDECAR_BASE]);
let tmpRoot = '';

/** Fixture templates plus a sidecar whose "installer" writes a script named after the tool, after TOOL_CACHE_BUST. */
const templates: ImageTemplateSource = {
  ...fixtureTemplates(RUN_ID),
  sidecar: (v: SidecarVars) => `ARG BASE_IMAGE=${v.baseImage}
FROM \${BASE_IMAGE}
LABEL terok.test.run="${RUN_ID}"
USER root
RUN echo "sidecar prelude for ${v.family}"
ARG TOOL_CACHE_BUST=0
RUN echo "installing ${v.toolName} $TOOL_CACHE_BUST" && mkdir -p /usr/local/bin && echo 'echo ${v.toolName} ready' > /usr/local/bin/${v.toolName} && chmod 0755 /usr/local/bin/${v.toolName}
USER dev
`,
};
const roster: ImageRoster = { ...fixtureRoster(), sidecarTools: () => ({ coderabbit: 'coderabbit' }) };

function recordingRunner(calls: string[][]): Runner {
  return (file, args, opts) => { calls.push([...args]); return runCommand(file, args, opts); };
}

function deps(calls: string[][] = []): BuildDeps {
  return { ctx: { env: process.env, run: recordingRunner(calls) }, roster, templates, tmpRoot };
}

async function build(request: BuildRequest, d = deps(), observer = {}) {
  const result = await buildImages({ baseImage: BASE, family: 'deb', ...request }, d, observer);
  for (const t of [result.l0, result.l1, result.alias]) created.add(t);
  return result;
}

const probe = (baseImage: string) => imagesStep.probe({ ctx: { env: process.env, run: runCommand }, config: { values: {}, sources: [], warnings: [] }, settings: { baseImage } } as unknown as ProbeEnv);

before(async () => {
  if (skip) return;
  tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'terok-images-it-'));
  await Promise.all([buildBusyboxBase(BASE, RUN_ID), buildBusyboxBase(SIDECAR_BASE, RUN_ID)]);
});

after(async () => {
  if (skip) return;
  await removeTestImages([...created], RUN_ID);
  rmSync(tmpRoot, { recursive: true, force: true });
});

test('real build of L0 + L1: tags, label, alias, progress; then the probe says ready', { skip }, async () => {
  assert.equal((await probe(BASE)).result.message, 'not built');
  const progress: BuildProgress[] = [];
  const logs: string[] = [];
  const result = await build({ agents: 'alpha,beta' }, deps(), { progress: (p: BuildProgress) => progress.push(p), log: (l: string) => logs.push(l) });
  assert.equal(result.cached, false);
  assert.equal(result.l1, `terok-l1-cli:${result.alias.split(':')[1]}-alpha-beta`);
  for (const tag of [result.l0, result.l1, result.alias]) assert.ok(await imageExists(podman, tag), tag);
  assert.deepEqual(await imageAgents(podman, result.l1), new Set(['alpha', 'beta']));
  const env = await runCommand('podman', ['run', '--rm', result.l1, 'cat', '/etc/terok/installed.env', '/alpha.txt', '/tmp/beta.txt'], { timeoutMs: 60_000 });
  assert.equal(env.stdout, 'TEROK_INSTALLED_AGENTS=alpha,beta\nalpha for deb\nbeta-deb\n');
  const last = progress.at(-1)!;
  assert.equal(last.image, 'L1');
  assert.equal(last.overallDone, last.overallTotal);
  assert.ok(progress.some((p) => p.image === 'L0' && p.steps > 1));
  assert.ok(logs.some((l) => /^STEP \d+\/\d+: RUN echo "prelude for deb"$/.test(l)), 'podman output streamed line by line');
  assert.deepEqual(readdirSync(tmpRoot), [], 'build context removed');
  assert.deepEqual((await probe(BASE)).result, { name: 'container images', ok: true, message: 'ready' });
});

test('second build is a cache hit: no podman build invoked', { skip }, async () => {
  const calls: string[][] = [];
  const result = await build({ agents: 'alpha,beta' }, deps(calls));
  assert.equal(result.cached, true);
  assert.equal(calls.filter((c) => c[0] === 'build').length, 0);
  assert.equal(calls.filter((c) => c[0] === 'tag').length, 0, 'alias already points at this L1');
  assert.equal((await probe(BASE)).result.ok, true);
});

test('rebuild re-runs only what follows AGENT_CACHE_BUST; the prelude and L0 come from cache', { skip }, async () => {
  const logs: string[] = [];
  const result = await build({ agents: 'alpha,beta', rebuild: true }, deps(), { log: (l: string) => logs.push(l) });
  assert.equal(result.cached, false);
  const next = (re: RegExp) => logs[logs.findIndex((l) => re.test(l)) + 1] ?? '';
  assert.match(next(/^STEP \d+\/\d+: RUN echo "prelude for deb"$/), /Using cache/);
  assert.doesNotMatch(next(/^STEP \d+\/\d+: RUN echo "agent layer/), /Using cache/);
});

test('cancel mid-build stops podman and leaves no tag and no build container', { skip }, async () => {
  const before = await listWorkingContainers(podman);
  const controller = new AbortController();
  const l1 = `terok-l1-cli:${BASE.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').toLowerCase()}-sleeper`;
  created.add(l1);
  const started = Date.now();
  await assert.rejects(
    build({ agents: 'sleeper' }, deps(), { signal: controller.signal, log: (l: string) => { if (l === 'about to sleep') controller.abort(); } }),
    (e: unknown) => e instanceof ImageBuildError && e.code === 'cancelled',
  );
  assert.ok(Date.now() - started < 15_000, 'did not wait for the 20 s RUN step');
  assert.equal(await imageExists(podman, l1), false);
  // Another suite may be building beside this one: its working container goes away when its
  // build ends, one this cancelled build left behind never does.
  let leftover: string[] = [];
  for (const deadline = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 250))) {
    leftover = [...(await listWorkingContainers(podman))].filter((id) => !before.has(id));
    if (!leftover.length || Date.now() > deadline) break;
  }
  assert.deepEqual(leftover, []);
  assert.deepEqual(readdirSync(tmpRoot), []);
});

test('a failing RUN step gives a clear failure with its output, and no tag', { skip }, async () => {
  const l1 = `terok-l1-cli:${BASE.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').toLowerCase()}-broken`;
  created.add(l1);
  await assert.rejects(build({ agents: 'broken' }), (e: unknown) => {
    assert.ok(e instanceof ImageBuildError);
    assert.equal(e.code, 'build-failed');
    assert.equal(e.exitCode, 7);
    assert.match(e.message, /^Image build failed: L1 terok-l1-cli:\S+-broken at STEP \d+\/\d+: RUN echo "installing broken".* \(exit code 7\)\.$/);
    assert.match(e.outputTail ?? '', /boom: package not found/);
    return true;
  });
  assert.equal(await imageExists(podman, l1), false);
});

test('an unreachable base image is reported as a pull failure with the fix', { skip }, async () => {
  const base = `localhost:1/terok-no-such-image-${RUN_ID}:1`;
  await assert.rejects(buildImages({ baseImage: base, family: 'deb', agents: 'alpha' }, deps()), (e: unknown) =>
    e instanceof ImageBuildError && e.code === 'pull-failed' && e.message.includes(base) && /podman pull/.test(e.hint ?? ''));
});

async function sidecar(calls: string[][], logs: string[] = []) {
  const result = await buildSidecar({ baseImage: SIDECAR_BASE, family: 'deb' }, deps(calls), { log: (l: string) => logs.push(l) });
  created.add(result.l0).add(result.sidecar);
  return result;
}

test('real sidecar build: L0 first (missing), then terok-l1-sidecar:<slug> with the tool installed', { skip }, async () => {
  const calls: string[][] = [];
  const logs: string[] = [];
  const result = await sidecar(calls, logs);
  assert.equal(result.cached, false);
  assert.equal(result.builtL0, true);
  assert.match(result.sidecar, /^terok-l1-sidecar:localhost-terok-test-sidecar-base-/);
  const builds = calls.filter((c) => c[0] === 'build');
  assert.deepEqual(builds.map((c) => path.basename(c[2]!)), ['L0.Dockerfile', 'L1.sidecar.Dockerfile']);
  assert.ok(await imageExists(podman, result.l0), result.l0);
  assert.ok(await imageExists(podman, result.sidecar), result.sidecar);
  const tool = await runCommand('podman', ['run', '--rm', result.sidecar, 'sh', '/usr/local/bin/coderabbit'], { timeoutMs: 60_000 });
  assert.equal(tool.stdout, 'coderabbit ready\n');
  assert.ok(logs.some((l) => /^STEP \d+\/\d+: RUN echo "installing coderabbit/.test(l)), 'podman output streamed');
  assert.deepEqual(readdirSync(tmpRoot), [], 'build context removed');
});

test('second sidecar call is a cache hit: only `image exists`, no podman build', { skip }, async () => {
  const calls: string[][] = [];
  const result = await sidecar(calls);
  assert.equal(result.cached, true);
  assert.equal(result.builtL0, false);
  assert.deepEqual(calls, [['image', 'exists', result.sidecar]]);
});
