import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildImages, type BuildDeps, type BuildRequest } from '../../../main/core/images/build.ts';
import { ImageBuildError, PODMAN_NOT_FOUND } from '../../../main/core/images/errors.ts';
import { buildCommandArgs, imageAgents } from '../../../main/core/images/podman.ts';
import type { BuildProgress } from '../../../main/core/images/progress.ts';
import { createFakePodman, type FakePodman } from '../../support/fake-podman.ts';
import { fixtureRoster } from '../../support/images-fixtures.ts';
import { createSandboxHost } from '../../support/host.ts';

const BASE = 'ubuntu:24.04';
const L0 = 'terok-l0:ubuntu-24.04';
const L1 = 'terok-l1-cli:ubuntu-24.04-alpha-beta';
const ALIAS = 'terok-l1-cli:ubuntu-24.04';

function setup(existing: Record<string, string> = {}) {
  const host = createSandboxHost({ inheritPath: false });
  host.writeBin('podman', '#!/bin/sh\nexit 99\n');
  const fake = createFakePodman(existing);
  const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'terok-images-unit-'));
  const deps: BuildDeps = { ctx: { env: host.ctx.env, run: fake.run }, roster: fixtureRoster(), tmpRoot, now: () => 1_700_000_000_123 };
  const cleanup = () => { host.cleanup(); rmSync(tmpRoot, { recursive: true, force: true }); };
  return { host, fake, deps, tmpRoot, cleanup };
}

async function build(fake: FakePodman, deps: BuildDeps, request: BuildRequest = {}, observer = {}) {
  return buildImages({ baseImage: BASE, agents: 'alpha,beta', ...request }, deps, observer);
}

test('buildCommandArgs: starts with build -f, K=V args and labels, extra tags in order, flags, context last', () => {
  const args = buildCommandArgs({
    dockerfile: '/ctx/L1.cli.Dockerfile', context: '/ctx', buildArgs: { BASE_IMAGE: 'b', AGENT_CACHE_BUST: '1' }, labels: { a: 'x=y' },
    tags: ['t1', 't2', 't3'], noCache: true, pull: 'always',
  });
  assert.deepEqual(args, ['build', '-f', '/ctx/L1.cli.Dockerfile', '--build-arg', 'BASE_IMAGE=b', '--build-arg', 'AGENT_CACHE_BUST=1', '--label', 'a=x=y',
    '-t', 't1', '-t', 't2', '-t', 't3', '--no-cache', '--pull=always', '/ctx']);
  assert.ok(buildCommandArgs({ dockerfile: 'f', context: 'c', tags: ['t'], pull: 'legacy-always' }).includes('--pull-always'));
});

test('nothing built yet: exactly two builds, L0 then L1, with the spec command lines and the alias on L1', async () => {
  const { fake, deps, cleanup } = setup();
  try {
    const result = await build(fake, deps);
    assert.equal(result.cached, false);
    assert.deepEqual([result.l0, result.l1, result.alias], [L0, L1, ALIAS]);
    assert.equal(result.family, 'deb');
    const [l0, l1, ...more] = fake.buildCalls();
    assert.equal(more.length, 0);
    const ctx0 = l0!.args.at(-1)!;
    assert.deepEqual(l0!.args, ['build', '-f', path.join(ctx0, 'L0.Dockerfile'), '--build-arg', `BASE_IMAGE=${BASE}`, '-t', L0, ctx0]);
    assert.deepEqual(l1!.args, ['build', '-f', path.join(ctx0, 'L1.cli.Dockerfile'), '--build-arg', `BASE_IMAGE=${L0}`, '--build-arg', 'AGENT_CACHE_BUST=1700000000', '-t', L1, '-t', ALIAS, ctx0]);
    assert.ok(fake.images.has(ALIAS), 'alias tagged by the build itself');
  } finally { cleanup(); }
});

test('the context podman sees holds the Dockerfiles, the init script and the JSON maps; it is removed afterwards', async () => {
  const { fake, deps, tmpRoot, cleanup } = setup();
  try {
    await build(fake, deps);
    const context = fake.buildCalls()[0]!.context!;
    for (const p of ['L0.Dockerfile', 'L1.cli.Dockerfile', 'scripts/init-ssh-and-repo.sh', 'agent-protocols.json', 'provider-protocols.json', 'help.d/dev-tools.txt']) {
      assert.ok(p in context, p);
    }
    assert.match(context['L1.cli.Dockerfile']!, /RUN echo "alpha for deb" > \/alpha\.txt/);
    assert.match(context['L1.cli.Dockerfile']!, /RUN echo beta-deb/);
    assert.equal(context['help.d/dev-tools.txt'], '\x1b[1mbeta\x1b[0m — a dev tool\n', 'ANSI escapes decoded');
    assert.deepEqual(readdirSync(tmpRoot), []);
  } finally { cleanup(); }
});

test('the context is removed after a failed build too', async () => {
  const { fake, deps, tmpRoot, cleanup } = setup();
  fake.builds.push({ lines: ['STEP 1/3: FROM x', 'STEP 2/3: RUN false'], exitCode: 1 });
  try {
    await assert.rejects(build(fake, deps));
    assert.deepEqual(readdirSync(tmpRoot), []);
  } finally { cleanup(); }
});

test('both images exist: no build; alias already right → nothing else runs', async () => {
  const { fake, deps, cleanup } = setup({ [L0]: 'sha256:a', [L1]: 'sha256:b', [ALIAS]: 'sha256:b' });
  try {
    const result = await build(fake, deps);
    assert.equal(result.cached, true);
    assert.equal(fake.buildCalls().length, 0);
    assert.equal(fake.calls.filter((c) => c.args[0] === 'tag').length, 0);
  } finally { cleanup(); }
});

test('cache hit with the alias missing or pointing elsewhere runs exactly one podman tag', async () => {
  for (const alias of [undefined, 'sha256:other']) {
    const { fake, deps, cleanup } = setup({ [L0]: 'sha256:a', [L1]: 'sha256:b', ...(alias ? { [ALIAS]: alias } : {}) });
    try {
      await build(fake, deps);
      const tags = fake.calls.filter((c) => c.args[0] === 'tag');
      assert.deepEqual(tags.map((c) => c.args), [['tag', L1, ALIAS]]);
      assert.equal(fake.images.get(ALIAS), 'sha256:b');
      assert.equal(fake.buildCalls().length, 0);
    } finally { cleanup(); }
  }
});

test('a cached image of an unknown base works without a family', async () => {
  const base = 'localhost:5000/custom:1';
  const { deps, cleanup } = setup({ 'terok-l0:localhost-5000-custom-1': 'a', 'terok-l1-cli:localhost-5000-custom-1-alpha': 'b' });
  try {
    const result = await buildImages({ baseImage: base, agents: 'alpha' }, deps);
    assert.equal(result.cached, true);
    assert.equal(result.family, null);
  } finally { cleanup(); }
});

test('only one image present → both are built', async () => {
  const { fake, deps, cleanup } = setup({ [L0]: 'sha256:a' });
  try {
    await build(fake, deps);
    assert.equal(fake.buildCalls().length, 2);
  } finally { cleanup(); }
});

test('rebuild builds even when present, without --no-cache or pull', async () => {
  const { fake, deps, cleanup } = setup({ [L0]: 'a', [L1]: 'b', [ALIAS]: 'b' });
  try {
    const result = await build(fake, deps, { rebuild: true });
    assert.equal(result.cached, false);
    const [l0, l1] = fake.buildCalls();
    assert.ok(!l0!.args.includes('--no-cache') && !l0!.args.some((a) => a.startsWith('--pull')));
    assert.ok(!l1!.args.includes('--no-cache'));
  } finally { cleanup(); }
});

test('full rebuild: L0 gets --no-cache and --pull=always, L1 --no-cache and no pull flag; old podman gets --pull-always', async () => {
  const { fake, deps, cleanup } = setup({ [L0]: 'a', [L1]: 'b' });
  try {
    await build(fake, deps, { fullRebuild: true });
    const [l0, l1] = fake.buildCalls();
    assert.ok(l0!.args.includes('--no-cache') && l0!.args.includes('--pull=always'));
    assert.ok(l1!.args.includes('--no-cache'));
    assert.ok(!l1!.args.some((a) => a.startsWith('--pull')));
    fake.version = '3.4.4';
    fake.calls.length = 0;
    await build(fake, deps, { fullRebuild: true });
    assert.ok(fake.buildCalls()[0]!.args.includes('--pull-always'));
  } finally { cleanup(); }
});

test('a custom base appears in the L0 tag and command', async () => {
  const { fake, deps, cleanup } = setup();
  try {
    const result = await buildImages({ baseImage: 'debian:bookworm', agents: 'alpha' }, deps);
    assert.equal(result.l0, 'terok-l0:debian-bookworm');
    assert.ok(fake.buildCalls()[0]!.args.includes('BASE_IMAGE=debian:bookworm'));
  } finally { cleanup(); }
});

test('podman missing → "podman not found" with an install hint, nothing run', async () => {
  const host = createSandboxHost({ inheritPath: false });
  const fake = createFakePodman();
  try {
    await assert.rejects(
      buildImages({ baseImage: BASE, agents: 'alpha' }, { ctx: { env: { PATH: host.bin }, run: fake.run }, roster: fixtureRoster() }),
      (err: unknown) => err instanceof ImageBuildError && err.code === 'podman-missing' && err.message === PODMAN_NOT_FOUND && Boolean(err.hint),
    );
    assert.equal(fake.calls.length, 0);
  } finally { host.cleanup(); }
});

test('unknown agent or unknown family without override: clear errors before any build', async () => {
  const { fake, deps, cleanup } = setup();
  try {
    await assert.rejects(build(fake, deps, { agents: 'alpha,nosuch' }), (e: unknown) => e instanceof ImageBuildError && e.code === 'unknown-agents' && /nosuch/.test(e.message));
    await assert.rejects(build(fake, deps, { baseImage: 'localhost:5000/ubuntu:24.04' }), (e: unknown) => e instanceof ImageBuildError && e.code === 'unknown-family');
    assert.equal(fake.buildCalls().length, 0);
    const ok = await build(fake, deps, { baseImage: 'localhost:5000/ubuntu:24.04', family: 'deb' });
    assert.equal(ok.family, 'deb');
  } finally { cleanup(); }
});

test('non-zero exit → "Image build failed" naming image, step, exit code, with the output tail', async () => {
  const { fake, deps, cleanup } = setup();
  fake.builds.push({}, { lines: ['STEP 1/4: FROM terok-l0:ubuntu-24.04', 'STEP 2/4: RUN echo prelude', 'STEP 3/4: RUN npm install -g x', 'npm ERR! 404 Not Found', 'Error: building at STEP "RUN npm install -g x": exit status 1'], exitCode: 1 });
  try {
    await assert.rejects(build(fake, deps), (e: unknown) => {
      assert.ok(e instanceof ImageBuildError);
      assert.equal(e.code, 'build-failed');
      assert.equal(e.message, `Image build failed: L1 ${L1} at STEP 3/4: RUN npm install -g x (exit code 1).`);
      assert.equal(e.exitCode, 1);
      assert.equal(e.failedStep, 'STEP 3/4: RUN npm install -g x');
      assert.match(e.outputTail!, /npm ERR! 404/);
      assert.equal(e.command![1], 'build');
      return true;
    });
  } finally { cleanup(); }
});

test('storage full and an unreachable base get their own message and fix', async () => {
  const { fake, deps, cleanup } = setup();
  fake.builds.push({ lines: ['STEP 1/3: FROM ubuntu:24.04', 'STEP 2/3: RUN apt-get install', 'write /var/lib/containers/x: no space left on device'], exitCode: 125 });
  fake.builds.push({ lines: ['STEP 1/13: FROM ubuntu:24.04', 'Trying to pull docker.io/library/ubuntu:24.04...', 'Error: creating build container: initializing source docker://ubuntu:24.04: pinging container registry registry-1.docker.io: dial tcp: lookup registry-1.docker.io: no such host'], exitCode: 125 });
  try {
    await assert.rejects(build(fake, deps), (e: unknown) => e instanceof ImageBuildError && e.code === 'storage-full' && /podman system prune/.test(e.hint!));
    await assert.rejects(build(fake, deps), (e: unknown) => e instanceof ImageBuildError && e.code === 'pull-failed' && /'ubuntu:24.04'/.test(e.message) && /podman pull ubuntu:24.04/.test(e.hint!));
  } finally { cleanup(); }
});

test('cancel → "cancelled" error, L1 never started', async () => {
  const { fake, deps, cleanup } = setup();
  fake.builds.push({ lines: ['STEP 1/3: FROM x', 'STEP 2/3: RUN sleep 100'], reason: 'cancelled' });
  try {
    await assert.rejects(build(fake, deps), (e: unknown) => e instanceof ImageBuildError && e.code === 'cancelled');
    assert.equal(fake.buildCalls().length, 1);
    assert.ok(fake.calls.some((c) => c.args[0] === 'ps'), 'looked for leftover build containers');
  } finally { cleanup(); }
});

test('progress: per-image steps from STEP markers, overall across L0+L1, elapsed time', async () => {
  const { fake, deps, cleanup } = setup();
  let clock = 1_000_000;
  deps.now = () => (clock += 500);
  fake.builds.push({ lines: ['STEP 1/2: FROM base', 'STEP 2/2: RUN a'] }, { lines: ['STEP 1/3: FROM l0', 'noise', 'STEP 2/3: RUN b', 'STEP 3/3: LABEL c'] });
  const events: BuildProgress[] = [];
  const logs: string[] = [];
  try {
    await build(fake, deps, {}, { progress: (p: BuildProgress) => events.push(p), log: (l: string) => logs.push(l) });
    const l1Steps = events.filter((e) => e.image === 'L1' && e.instruction && e.step < e.steps).map((e) => `${e.step + 1}/${e.steps}`);
    assert.deepEqual(l1Steps, ['1/3', '2/3', '3/3']);
    const last = events.at(-1)!;
    assert.equal(last.overallDone, 5);
    assert.equal(last.overallTotal, 5);
    assert.ok(events.every((e, i) => i === 0 || e.overallDone >= events[i - 1]!.overallDone), 'overall progress never goes back');
    assert.ok(last.elapsedMs > 0);
    assert.ok(logs.includes('noise'), 'every output line is logged');
    assert.ok(logs.some((l) => l.startsWith('$ podman build -f ')), 'command line shown before each build');
  } finally { cleanup(); }
});

test('label reader: CSV → set; missing image / empty label → empty set', async () => {
  const calls: string[][] = [];
  const podman = (out: { exitCode: number; stdout: string }) => ({
    bin: 'podman',
    run: async (_f: string, args: readonly string[]) => { calls.push([...args]); return { ...out, stderr: '' }; },
  });
  assert.deepEqual(await imageAgents(podman({ exitCode: 0, stdout: 'claude,codex\n' }), 't'), new Set(['claude', 'codex']));
  assert.deepEqual(calls[0], ['image', 'inspect', 't', '--format', '{{ index .Config.Labels "ai.terok.agents" }}']);
  assert.deepEqual(await imageAgents(podman({ exitCode: 125, stdout: '' }), 't'), new Set());
  assert.deepEqual(await imageAgents(podman({ exitCode: 0, stdout: '<no value>\n' }), 't'), new Set());
  const failing = { bin: 'podman', run: async () => { throw new Error('boom'); } };
  assert.deepEqual(await imageAgents(failing, 't'), new Set());
});
