/** `terok-setup build [--sidecar]` over the engine, the bundled roster and the runner-level fake podman. */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCommand } from '../../../main/cli/commands/build.ts';
import type { CliStreams } from '../../../main/cli/command.ts';
import { Engine } from '../../../main/core/engine.ts';
import { register } from '../../../main/core/images/module.ts';
import { createFakePodman, type FakePodman } from '../../support/fake-podman.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';

let host: SandboxHost | undefined;
afterEach(() => host?.cleanup());

function setup(): { engine: Engine; fake: FakePodman } {
  host = createSandboxHost({ inheritPath: false });
  host.writeBin('podman', '#!/bin/sh\nexit 99\n');
  const fake = createFakePodman();
  const engine = new Engine({ ...host.ctx, run: fake.run });
  // The CLI's build runs the images module's task steps (as `createCliEngine` registers them).
  register(engine);
  return { engine, fake };
}

async function run(engine: Engine, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliStreams = { out: (t) => out.push(t), err: (t) => err.push(t), stdinIsTty: false, readLine: async () => null };
  const code = await buildCommand.run(engine, args, io);
  return { code, out: out.join(''), err: err.join('') };
}

const RESULT_LINES = /L0: terok-l0:ubuntu-24\.04\nL1: terok-l1-cli:ubuntu-24\.04-claude\nL1 \(sidecar\): terok-l1-sidecar:ubuntu-24\.04\n$/;

test('build --sidecar: L0, L1, then the sidecar on the fresh L0; prints the three tags like terok', async () => {
  const { engine, fake } = setup();
  const first = await run(engine, ['--base', 'ubuntu:24.04', '--agents', 'claude', '--sidecar']);
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, RESULT_LINES);
  const dockerfiles = fake.buildCalls().map((c) => c.args[2]!.split('/').at(-1));
  assert.deepEqual(dockerfiles, ['L0.Dockerfile', 'L1.cli.Dockerfile', 'L1.sidecar.Dockerfile']);
  assert.match(fake.buildCalls()[2]!.context!['L1.sidecar.Dockerfile']!, /cli\.coderabbit\.ai/, 'bundled roster → CodeRabbit');

  fake.calls.length = 0;
  const second = await run(engine, ['--base', 'ubuntu:24.04', '--agents', 'claude', '--sidecar']);
  assert.equal(second.code, 0);
  assert.match(second.out, RESULT_LINES);
  assert.equal(fake.buildCalls().length, 0, 'everything cached');
});

test('build without --sidecar never touches the sidecar; --rebuild --sidecar rebuilds both', async () => {
  const { engine, fake } = setup();
  const plain = await run(engine, ['--base', 'ubuntu:24.04', '--agents', 'claude']);
  assert.equal(plain.code, 0);
  assert.doesNotMatch(plain.out, /sidecar/);
  assert.ok(!fake.calls.some((c) => c.args.some((a) => a.includes('sidecar'))));

  await run(engine, ['--base', 'ubuntu:24.04', '--agents', 'claude', '--sidecar']);
  fake.calls.length = 0;
  const again = await run(engine, ['--base', 'ubuntu:24.04', '--agents', 'claude', '--sidecar', '--rebuild']);
  assert.equal(again.code, 0);
  const dockerfiles = fake.buildCalls().map((c) => c.args[2]!.split('/').at(-1));
  assert.deepEqual(dockerfiles, ['L0.Dockerfile', 'L1.cli.Dockerfile', 'L1.sidecar.Dockerfile']);
});

test('a failing sidecar build exits 1 with the message, after L0/L1 were built', async () => {
  const { engine, fake } = setup();
  fake.builds.push({}, {}, { lines: ['STEP 1/3: FROM terok-l0:ubuntu-24.04', 'STEP 2/3: RUN curl coderabbit', 'curl: (6) Could not resolve host'], exitCode: 6 });
  const res = await run(engine, ['--base', 'ubuntu:24.04', '--agents', 'claude', '--sidecar']);
  assert.equal(res.code, 1);
  assert.match(res.err, /^terok-setup: Image build failed: L1 sidecar terok-l1-sidecar:ubuntu-24\.04 at STEP 2\/3: RUN curl coderabbit \(exit code 6\)\.$/m);
  assert.match(res.err, /Could not resolve host/);
});

test('--help documents --sidecar and its output line', async () => {
  const { engine } = setup();
  const res = await run(engine, ['--help']);
  assert.equal(res.code, 0);
  assert.match(res.out, /^Usage: terok-setup build .*\[--sidecar\]$/m);
  assert.match(res.out, /^ {2}--sidecar {11}Also build the L1 sidecar image/m);
  assert.match(res.out, /"L1 \(sidecar\): <tag>"/);
});
