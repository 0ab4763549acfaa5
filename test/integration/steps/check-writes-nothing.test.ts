/**
 * `terok-setup check` (and `check --json`, the Ansible role's check mode)
 * changes nothing: on a fresh host and on one a real `run --yes --json` set
 * up, every file under the sandboxed host (home, XDG dirs, runtime dir, the
 * fixture terok) keeps its type, mode, owner, size, mtime and bytes, and
 * podman keeps exactly the images of the host's base image.
 *
 * Real components throughout: real podman (the images compared are those of
 * this file's own base image, as other suites build theirs meanwhile), the
 * fixture terok (PyPI is unreachable), a real SQLCipher vault. The images step is met by a tiny local image under the
 * tag the images fix would build (registries are unreachable).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../../main/cli/index.ts';
import type { CliStreams } from '../../../main/cli/command.ts';
import { Engine } from '../../../main/core/engine.ts';
import { l1AliasTag } from '../../../main/core/images/tags.ts';
import { registerSetupModules } from '../../../main/core/modules.ts';
import type { RunReport } from '../../../main/core/steps/run-report.ts';
import { buildTinyImage, removeImages } from '../../support/fixtures.ts';
import type { SandboxHost } from '../../support/host.ts';
import { fileTree, imagesNamed, treeChanges } from '../../support/host-snapshot.ts';
import { terokHost } from '../../support/terok-fixture.ts';

const TOKEN = randomBytes(4).toString('hex');
const BASE = `localhost/terok-checkro-${TOKEN}:1`;

before(async () => { await buildTinyImage([l1AliasTag(BASE)]); }, { timeout: 300_000 });
after(async () => { await removeImages([l1AliasTag(BASE)]); });

function streams(stdin: string | null = null) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliStreams = { out: (t) => out.push(t), err: (t) => err.push(t), stdinIsTty: false, readLine: async () => null, ...(stdin !== null ? { readAll: async () => stdin } : {}) };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

const freshHost = () => terokHost({ baseImage: BASE });

async function cli(host: SandboxHost, argv: string[], stdin: string | null = null) {
  const engine = new Engine(host.ctx);
  registerSetupModules(engine);
  const s = streams(stdin);
  const code = await main(argv, s.io, engine);
  return { code, stdout: s.out(), stderr: s.err() };
}

/** check, check --json: the tree and the image store are as they were. */
async function assertChecksWriteNothing(host: SandboxHost): Promise<void> {
  const files = fileTree(host.root);
  const images = await imagesNamed(TOKEN);
  for (const argv of [['check', '--json'], ['check']]) {
    const { code, stdout } = await cli(host, argv);
    assert.ok([0, 3].includes(code), `${argv.join(' ')} ran (exit ${code})`);
    if (argv.includes('--json')) assert.doesNotThrow(() => JSON.parse(stdout));
    assert.deepEqual(treeChanges(files, fileTree(host.root)), [], `${argv.join(' ')} changed no file`);
    assert.equal(await imagesNamed(TOKEN), images, `${argv.join(' ')} changed no image`);
  }
}

test('on a fresh host, check and check --json write nothing: no file, no folder, no image', async () => {
  const host = freshHost();
  try {
    await assertChecksWriteNothing(host);
  } finally {
    host.cleanup();
  }
});

test('on a host set up by a real run --yes --json (vault, hooks, SSH key, stored key), check and check --json write nothing', async () => {
  const host = freshHost();
  try {
    const keyFile = path.join(host.root, 'recovery.key');
    const run = await cli(host, ['run', '--yes', '--json', '--passphrase-tier', 'kernel-keyring', '--recovery-key-file', keyFile, '--api-key-stdin'], 'sk-ant-test-not-a-real-key\n');
    const report = JSON.parse(run.stdout) as RunReport;
    assert.equal(report.ready, true, JSON.stringify(report.steps.map((s) => [s.id, s.outcome, s.message ?? s.reason ?? ''])));
    assert.equal(report.changed, true);
    await assertChecksWriteNothing(host);
  } finally {
    host.cleanup();
  }
});
