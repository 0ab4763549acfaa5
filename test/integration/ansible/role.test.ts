/**
 * The fleet path: the repository's Ansible role (ansible/roles/terok_setup)
 * run by Debian's real ansible-core against localhost (connection: local), as
 * the unprivileged test user, on a sandboxed home: the first run changes the
 * host, a second changes nothing (read from the play recap), check mode
 * changes nothing, a host without podman fails with the step's own message,
 * and a new vault's recovery key reaches the controller folder 0600 while
 * appearing in no task output.
 *
 * Real: ansible-core, the role and its module, terok-setup's built CLI
 * (out/main/cli.js, run by node: the Electron binary that the packaged
 * launcher starts cannot be downloaded here), the user's real podman (with
 * their own store and runtime dir), a SQLCipher vault. Stand-ins, as in every suite: the fixture
 * terok (PyPI is unreachable) and a tiny local image under the tag the images
 * fix would build (registries are unreachable, so that fix cannot run).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCommand } from '../../../main/core/host/process.ts';
import { which } from '../../../main/core/host/which.ts';
import { l1AliasTag } from '../../../main/core/images/tags.ts';
import { buildTinyImage, removeImages } from '../../support/fixtures.ts';
import { fileTree, imagesNamed, treeChanges } from '../../support/host-snapshot.ts';
import type { SandboxHost } from '../../support/host.ts';
import { installUserPodman, runningAsRoot, seedUserContainersConf } from '../../support/rootless.ts';
import { terokHost } from '../../support/terok-fixture.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const CLI = path.join(ROOT, 'out', 'main', 'cli.js');
const TOKEN = randomBytes(4).toString('hex');
const BASE = `localhost/terok-fleet-${TOKEN}:1`;
const PLAYBOOK_BIN = which({ env: process.env }, 'ansible-playbook');

const unavailable = runningAsRoot
  ? 'the role prepares a desktop user\'s setup: the rootless lane runs it as the unprivileged test user'
  : !PLAYBOOK_BIN ? 'ansible-playbook is not installed (scripts/install-test-deps.sh installs ansible-core)' : false;

before(async () => {
  if (unavailable) return;
  assert.ok(existsSync(CLI), `${CLI} is built (npx electron-vite build; npm test builds it first)`);
  await buildTinyImage([l1AliasTag(BASE)]);
}, { timeout: 300_000 });
after(async () => { if (!unavailable) await removeImages([l1AliasTag(BASE)]); });

interface Fleet {
  host: SandboxHost;
  keys: string;
  playbook: string;
  play(args?: string[], env?: Record<string, string>): Promise<{ code: number; output: string; recap: Record<string, number> }>;
}

/** A workstation to set up (sandboxed home, fixture terok) and the controller's playbook for it. */
async function fleet(opts: { podman?: boolean } = {}): Promise<Fleet> {
  const host = terokHost();
  seedUserContainersConf(host);
  if (opts.podman !== false) await installUserPodman(host);
  // The controller user has run Ansible before (its ~/.ansible exists; what Ansible keeps in it is its own).
  mkdirSync(path.join(host.home, '.ansible'), { mode: 0o700 });
  // The packaged launcher (build/linux/terok-setup) starts the Electron binary; here node runs the same CLI code.
  host.writeBin('terok-setup', `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  const keys = path.join(host.root, 'controller', 'recovery-keys');
  const playbook = host.write('controller/site.yml', [
    '- hosts: localhost',
    '  connection: local',
    '  gather_facts: false',
    '  roles:',
    '    - role: terok_setup',
    `      terok_setup_base_image: "${BASE}"`,
    '      terok_setup_agent: claude',
    '      terok_setup_passphrase_tier: kernel-keyring',
    `      terok_setup_recovery_key_dir: "${keys}"`,
    '',
  ].join('\n'));
  // Without podman: the system's programs but podman (links in a folder of their own) instead of /usr/bin.
  const pathEnv = `${host.bin}:${opts.podman === false ? systemBinWithout(host, 'podman') : '/usr/local/bin:/usr/bin:/bin'}`;
  return {
    host, keys, playbook,
    async play(args = [], env = {}) {
      const r = await runCommand(PLAYBOOK_BIN!, [...(args.some((a) => /^-v+$/.test(a)) ? [] : ['-v']), ...args, playbook], {
        timeoutMs: 10 * 60_000, allowNonZero: true, extendEnv: false,
        env: {
          ...host.ctx.env, PATH: pathEnv,
          ANSIBLE_ROLES_PATH: path.join(ROOT, 'ansible', 'roles'), ANSIBLE_LOCAL_TEMP: path.join(host.root, 'ansible-tmp'),
          ANSIBLE_REMOTE_TEMP: path.join(host.root, 'ansible-tmp'), ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
          ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_LOCALHOST_WARNING: '0', TMPDIR: mkTmp(host), ...env,
        },
      });
      const output = `${r.stdout}\n${r.stderr}`;
      const line = /^localhost\s+:\s+(.*)$/m.exec(r.stdout)?.[1] ?? '';
      const recap = Object.fromEntries([...line.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
      assert.ok('changed' in recap, `the play printed its recap:\n${output}`);
      return { code: r.exitCode, output, recap };
    },
  };
}

/** /usr/bin as links in a folder of the sandbox, leaving `program` out. */
function systemBinWithout(host: SandboxHost, program: string): string {
  const dir = path.join(host.root, 'usr-bin');
  mkdirSync(dir);
  for (const name of readdirSync('/usr/bin')) if (name !== program) symlinkSync(path.join('/usr/bin', name), path.join(dir, name));
  return dir;
}

const keyFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

/** The host's temp dir (the role's private key folder is made there). */
function mkTmp(host: SandboxHost): string {
  const dir = path.join(host.root, 'tmp');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Ansible's own working files (its temp dirs, ~/.ansible) come and go; terok-setup's changes are the rest. */
const ANSIBLE_OWN = /^(ansible-tmp|tmp|home\/\.ansible)(\/|:)/;
const hostChanges = (before: Map<string, string>, host: SandboxHost) => treeChanges(before, fileTree(host.root)).filter((c) => !ANSIBLE_OWN.test(c));

test('first run changes the host and fetches the new recovery key (0600, in no output); the second run changes nothing', { skip: unavailable }, async () => {
  const f = await fleet();
  try {
    const first = await f.play();
    assert.equal(first.code, 0, first.output);
    assert.equal(first.recap.failed, 0);
    assert.ok(first.recap.changed! >= 1, `the first run changed the host: ${JSON.stringify(first.recap)}`);
    assert.match(first.output, /"outcome": "changed"/, 'the module reports its steps');
    // Credentials cannot be given unattended without a key: a warning says who must act.
    assert.match(first.output, /\[WARNING\]: Credentials: .*API key or a sign-in/);

    const files = keyFiles(f.keys);
    assert.equal(files.length, 1, `one key file on the controller: ${files.join(', ')}`);
    assert.match(files[0]!, /^localhost\.\d{8}T\d{6}Z\.key$/);
    const keyPath = path.join(f.keys, files[0]!);
    const key = readFileSync(keyPath, 'utf8').trim();
    assert.match(key, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(statSync(keyPath).mode & 0o777, 0o600, 'the controller copy is 0600');
    assert.equal(statSync(f.keys).mode & 0o777, 0o700, 'in a 0700 folder');
    assert.ok(!first.output.includes(key), 'the key appears in no task output');
    assert.deepEqual(readdirSync(path.join(f.host.root, 'tmp')).filter((n) => n.endsWith('.terok-setup')), [], 'the host keeps no copy');

    const second = await f.play();
    assert.equal(second.code, 0, second.output);
    assert.equal(second.recap.changed, 0, `the second run changed nothing: ${JSON.stringify(second.recap)}\n${second.output}`);
    assert.equal(second.recap.failed, 0);
    assert.deepEqual(keyFiles(f.keys), files, 'no second key');
    assert.ok(!second.output.includes(key));

    // Check mode on the set-up host: nothing would change, nothing does.
    const tree = fileTree(f.host.root);
    const checked = await f.play(['--check']);
    assert.equal(checked.code, 0, checked.output);
    assert.equal(checked.recap.changed, 0, checked.output);
    assert.deepEqual(hostChanges(tree, f.host), []);
  } finally {
    f.host.cleanup();
  }
});

test('--check on a host not set up: terok-setup check only — the play says what would change, and no file or image changes', { skip: unavailable }, async () => {
  const f = await fleet();
  try {
    const tree = fileTree(f.host.root);
    const images = await imagesNamed(TOKEN);
    const checked = await f.play(['--check']);
    assert.equal(checked.code, 0, checked.output);
    assert.equal(checked.recap.failed, 0);
    assert.ok(checked.recap.changed! >= 1, 'the play reports that a run would change the host');
    assert.match(checked.output, /"would_fix": \[[^\]]*"sandbox"/);
    assert.deepEqual(hostChanges(tree, f.host), []);
    assert.equal(await imagesNamed(TOKEN), images);
    assert.deepEqual(keyFiles(f.keys), []);
  } finally {
    f.host.cleanup();
  }
});

test('a host without podman: the play fails with the podman step\'s own message, and nothing is set up', { skip: unavailable }, async () => {
  const f = await fleet({ podman: false });
  try {
    const run = await f.play();
    assert.notEqual(run.code, 0);
    assert.equal(run.recap.failed, 1, run.output);
    assert.match(run.output, /"msg": "Podman: podman: not found on PATH\. Install podman first: https:\/\/podman\.io\/docs\/installation"/);
    assert.equal(existsSync(path.join(f.host.home, '.local', 'share', 'terok', 'vault')), false, 'no vault was made');
    assert.deepEqual(keyFiles(f.keys), []);
  } finally {
    f.host.cleanup();
  }
});

test('an API key from a vars file is stored (credentials "changed", the host ready) and, like the recovery key, appears nowhere in -vvv output', { skip: unavailable }, async () => {
  const f = await fleet();
  try {
    const apiKey = `sk-ant-fleet-${randomBytes(12).toString('hex')}`;
    const vars = f.host.write('controller/secrets.yml', `terok_setup_api_key: "${apiKey}"\n`, 0o600);
    const run = await f.play(['-vvv', '-e', `@${vars}`]);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /"id": "credentials",\s+"outcome": "changed"/);
    assert.match(run.output, /"ready": true,/);
    assert.ok(!run.output.includes(apiKey), 'the API key is in no output, even at -vvv');
    const [file] = keyFiles(f.keys);
    const key = readFileSync(path.join(f.keys, file!), 'utf8').trim();
    assert.ok(!run.output.includes(key), 'the recovery key is in no output, even at -vvv');
  } finally {
    f.host.cleanup();
  }
});
