/**
 * `terok-setup check` (and `check --json`, the Ansible role's check mode)
 * changes nothing: on a fresh host and on one a real `run --yes --json` set
 * up, every file under the sandboxed host (home, XDG dirs, runtime dir, the
 * fixture terok) keeps its type, mode, owner, size, mtime and bytes, and the
 * podman image store keeps exactly its images.
 *
 * Real components throughout: real podman, on a store of this file's own
 * (CONTAINERS_STORAGE_CONF, so images other suites build meanwhile cannot
 * blur the comparison), the fixture terok (PyPI is unreachable), a real
 * SQLCipher vault. The images step is met by a tiny local image under the
 * tag the images fix would build (registries are unreachable).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../../main/cli/index.ts';
import type { CliStreams } from '../../../main/cli/command.ts';
import { Engine } from '../../../main/core/engine.ts';
import { runCommand } from '../../../main/core/host/process.ts';
import { l1AliasTag } from '../../../main/core/images/tags.ts';
import { registerSetupModules } from '../../../main/core/modules.ts';
import type { RunReport } from '../../../main/core/steps/run-report.ts';
import { buildTinyImage } from '../../support/fixtures.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { runningAsRoot } from '../../support/rootless.ts';
import { failingKeyctl } from '../../support/sandbox-install.ts';
import { createTerokFixture } from '../../support/terok-fixture.ts';

const BASE = `localhost/terok-checkro-${randomBytes(4).toString('hex')}:1`;
const store = mkdtempSync(path.join(os.tmpdir(), 'terok-test-store-'));
// Every podman this process starts (the engine's and the fixtures') uses this store.
writeFileSync(path.join(store, 'storage.conf'), `[storage]\ndriver = "vfs"\ngraphroot = "${store}/graph"\nrunroot = "${store}/run"\n`);
process.env.CONTAINERS_STORAGE_CONF = path.join(store, 'storage.conf');

before(async () => { await buildTinyImage([l1AliasTag(BASE)]); }, { timeout: 300_000 });
after(async () => {
  await runCommand('podman', ['rmi', '--all', '--force'], { timeoutMs: 120_000, allowNonZero: true });
  // Rootless layers may hold files owned by the user's subordinate ids: removed from inside its namespace.
  if (runningAsRoot) rmSync(store, { recursive: true, force: true });
  else await runCommand('podman', ['unshare', 'rm', '-rf', store], { timeoutMs: 120_000 });
});

/** Everything about every entry under `root` that a write would change. */
function tree(root: string): Map<string, string> {
  const seen = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = lstatSync(p);
      const kind = st.isSymbolicLink() ? `link→${readlinkSync(p)}` : st.isDirectory() ? 'dir' : st.isFile() ? `file ${createHash('sha256').update(readFileSync(p)).digest('hex')}` : 'other';
      const owner = `mode=${(st.mode & 0o7777).toString(8)} uid=${st.uid}`;
      // SQLite's shared-memory index of a WAL database: every reader, a read-only one too, writes its read mark
      // there, and it never holds data (sqlite.org/walformat.html). Its presence, mode and owner are compared.
      if (name.endsWith('.db-shm')) { seen.set(path.relative(root, p), `sqlite shm ${owner}`); continue; }
      seen.set(path.relative(root, p), `${kind} ${owner} size=${st.size} mtime=${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return seen;
}

async function images(): Promise<string> {
  const { stdout } = await runCommand('podman', ['images', '--all', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}} {{.Size}}'], { timeoutMs: 60_000 });
  return stdout.split('\n').filter(Boolean).sort().join('\n');
}

function streams(stdin: string | null = null) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliStreams = { out: (t) => out.push(t), err: (t) => err.push(t), stdinIsTty: false, readLine: async () => null, ...(stdin !== null ? { readAll: async () => stdin } : {}) };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

function freshHost(): SandboxHost {
  const host = createSandboxHost({ env: { NO_COLOR: '1' } });
  host.write('home/.config/terok/config.yml', `image:\n  base_image: ${BASE}\n`);
  createTerokFixture(host);
  failingKeyctl(host);
  return host;
}

async function cli(host: SandboxHost, argv: string[], stdin: string | null = null) {
  const engine = new Engine(host.ctx);
  registerSetupModules(engine);
  const s = streams(stdin);
  const code = await main(argv, s.io, engine);
  return { code, stdout: s.out(), stderr: s.err() };
}

/** check, check --json: the tree and the image store are as they were. */
async function assertChecksWriteNothing(host: SandboxHost): Promise<void> {
  const files = tree(host.root);
  const store = await images();
  for (const argv of [['check', '--json'], ['check']]) {
    const { code, stdout } = await cli(host, argv);
    assert.ok([0, 3].includes(code), `${argv.join(' ')} ran (exit ${code})`);
    if (argv.includes('--json')) assert.doesNotThrow(() => JSON.parse(stdout));
    const now = tree(host.root);
    const changed = [...new Set([...files.keys(), ...now.keys()])].filter((k) => files.get(k) !== now.get(k));
    assert.deepEqual(changed.map((k) => `${k}: ${files.get(k) ?? '(absent)'} → ${now.get(k) ?? '(absent)'}`), [], `${argv.join(' ')} changed no file`);
    assert.equal(await images(), store, `${argv.join(' ')} changed no image`);
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
