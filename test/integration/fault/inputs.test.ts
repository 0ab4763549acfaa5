/**
 * Fault suite: untrusted input at every door — an oversized API key (CLI
 * stdin, the gate's prompt, the task), oversized task params and floods of
 * unknown ones, an API key typed into the wrong field (agent, credential
 * set, scope, agent selection, tool name, base image, a made-up param name,
 * the CLI's arguments), a podman whose version answer is garbage, empty or
 * endless, and a malformed `image.base_image` in config.yml. Each case
 * drives the real command in-process (`main([...], io, engine)`) or the
 * real task (`engine.tasks.start`) and asserts what the user reads (the
 * message, bounded, quoting input cut to 80 characters and never a key),
 * the exit code or failure code, and that nothing was lost: the sha256 and
 * mode of every file in the sandbox are unchanged (SQLite's -wal/-shm
 * sidecars of a read-only open aside), the DB still opens with its
 * passphrase with the same rows, no SSH key was made, nothing was built.
 *
 * Real: the engine, the CLI, the task manager, every setup module, the
 * SQLCipher credential DB, config.yml, valibot schemas. Faked: the home (a
 * sandbox HOME with its own XDG dirs); podman (scripts in host.bin: the
 * gate host's `version`/`image exists` stand-in, a logging one that proves
 * no build ran, and ones answering garbage, nothing or 200 KB for
 * `version`); git; terok's shield hooks and stamp (fixture files); the
 * vault passphrase (the session-file tier; no keyctl on PATH).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { main } from '../../../main/cli/index.ts';
import { API_KEY_TOO_LONG } from '../../../main/core/auth/credentials.ts';
import { Engine } from '../../../main/core/engine.ts';
import { resolvePaths, type TerokPaths } from '../../../main/core/host/paths.ts';
import type { ReadinessReport } from '../../../main/core/steps/readiness.ts';
import type { TaskEvent } from '../../../main/core/tasks/task-manager.ts';
import { MAX_QUOTED, WITHHELD } from '../../../main/core/validate.ts';
import { CredentialDb } from '../../../main/core/vault/credential-db.ts';
import { captureStreams } from '../../support/auth-harness.ts';
import { assertUnchanged, snapshotTree, type TreeSnapshot } from '../../support/fault.ts';
import { FIXTURE_PASSPHRASE } from '../../support/fixtures.ts';
import { gateHost, type HostPart } from '../../support/gate-host.ts';
import type { SandboxHost } from '../../support/host.ts';
import { setupEngine } from '../../support/engine.ts';

const BASE = 'ubuntu:24.04';
/** What a user pastes: shaped like an Anthropic key, mixed case so no field can mistake it for a name. */
const KEY = 'sk-ant-api03-Fault0123456789abcdefGHIJKLmnopQRSTuv-wrongFIELD';
const ROWS = [{ set: 'default', provider: 'anthropic', data: { type: 'api_key', key: 'x' } }];

let host: SandboxHost;
let paths: TerokPaths;
afterEach(() => host?.cleanup());

// ---- harness -------------------------------------------------------------------

/** terok's gate passes (minus `except`); the vault holds one credential and the 'standalone' SSH key. */
function faultHost(except: HostPart[] = []): void {
  ({ host } = gateHost(BASE, except));
  host.write(path.join(host.home, '.config/terok/config.yml'), `# my terok settings\nimage:\n  base_image: ${BASE}\n`);
  host.write(path.join(host.home, '.ssh/id_ed25519'), 'placeholder, not a key\n', 0o600);
  paths = resolvePaths(host.ctx);
}

const engine = (): Engine => setupEngine(host.ctx);

async function cli(argv: string[], stdin = '', lines: (string | null)[] = []): Promise<{ code: number; out: string; err: string }> {
  const io = captureStreams(stdin, lines);
  const code = await main(argv, io.io, engine());
  return { code, out: io.out(), err: io.err() };
}

async function runTask(step: string, params: unknown): Promise<{ end: TaskEvent; events: TaskEvent[] }> {
  const e = engine();
  try {
    const id = e.tasks.start(step, params);
    await e.tasks.wait(id);
    const events = e.tasks.events(id);
    return { end: events.at(-1)!, events };
  } finally {
    e.dispose();
  }
}

const failureOf = (end: TaskEvent) => {
  assert.equal(end.type, 'failed', JSON.stringify(end).slice(0, 500));
  return (end as Extract<TaskEvent, { type: 'failed' }>).error;
};

/** SQLite's sidecars of a read-only open, and the logging podman's own call log. */
const SIDECARS = (rel: string) => /credentials\.db-(wal|shm)$/.test(rel) || rel === 'podman-calls.log';
const snap = (): TreeSnapshot => snapshotTree(host.root);
const nothingLost = (before: TreeSnapshot) => assertUnchanged(before, snapshotTree(host.root), SIDECARS);
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The vault as the fixture made it: opens with its passphrase, one credential, one SSH key. */
function vaultIntact(): void {
  const db = CredentialDb.openReadOnly(paths.credentialDb, FIXTURE_PASSPHRASE);
  try {
    assert.deepEqual(db.listCredentials('default'), ROWS.map((r) => r.provider));
    assert.deepEqual(db.loadCredential('default', 'anthropic'), ROWS[0]!.data);
    assert.equal((db.raw.prepare('SELECT count(*) AS n FROM ssh_keys').get() as { n: number }).n, 1);
  } finally {
    db.close();
  }
}

/** No 12-character piece of the key anywhere in `text`. */
function assertNoKey(text: string, key = KEY): void {
  for (let i = 0; i + 12 <= key.length; i += 6) assert.ok(!text.includes(key.slice(i, i + 12)), `a piece of the key (${i}…) leaked`);
}

/** A podman that logs every call (so a test can prove no build ran) and answers the gate's two questions. */
function loggingPodman(version = '5.0.0'): string {
  const log = path.join(host.root, 'podman-calls.log');
  host.writeBin('podman', `#!/bin/sh\necho "$*" >> '${log}'\ncase "$1" in\n  version) echo '${version}' ;;\n  image) exit 1 ;;\n  *) exit 2 ;;\nesac\n`);
  return log;
}

// ---- an oversized API key ----------------------------------------------------------

test('a 1 MiB API key on stdin: refused before the vault opens (exit 1), never echoed, nothing stored', async () => {
  faultHost();
  const huge = `sk-ant-${'Ab1'.repeat(350_000)}`;
  const before = snap();
  const digest = sha(paths.credentialDb);
  const r = await cli(['auth', 'claude', '--api-key-stdin'], huge);
  assert.equal(r.code, 1);
  assert.equal(r.err, `${API_KEY_TOO_LONG}\n`);
  assert.equal(r.out, '');
  assertNoKey(r.out + r.err, huge.slice(0, 200));
  assert.equal(sha(paths.credentialDb), digest);
  nothingLost(before);
  vaultIntact();
});

test('an oversized key typed at the gate\'s prompt (`run`): terok\'s lines go on, the key is refused unshown, ready (exit 0)', async () => {
  faultHost(['credentials']);
  const huge = `sk-ant-${'Ab1'.repeat(2000)}`;
  const before = snap();
  const r = await cli(['run'], '', ['y', huge]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, `  ${API_KEY_TOO_LONG}\n`);
  // The line follows the prompt the key was typed at.
  assert.match(r.out, / {2}claude credentials {5}FAIL \(not found\)$/m);
  assertNoKey(r.out + r.err, huge.slice(0, 200));
  nothingLost(before);
  const db = CredentialDb.openReadOnly(paths.credentialDb, FIXTURE_PASSPHRASE);
  try { assert.deepEqual(db.listCredentials('default'), []); } finally { db.close(); }
});

test('an oversized key to the task: invalid-params with the bounded message; no event carries it', async () => {
  faultHost();
  const huge = `sk-ant-${'Zz9'.repeat(10_000)}`;
  const before = snap();
  const { end, events } = await runTask('credentials.api-key', { agent: 'claude', apiKey: huge });
  assert.deepEqual(failureOf(end), { code: 'invalid-params', message: API_KEY_TOO_LONG });
  assertNoKey(JSON.stringify(events), huge.slice(0, 200));
  nothingLost(before);
  vaultIntact();
});

// ---- oversized task params ---------------------------------------------------------

test('every string param of every task has a limit: invalid-params, a short message naming the field and the limit, nothing changed', async () => {
  faultHost();
  const big = 'p'.repeat(1 << 20);
  const cases: [string, Record<string, unknown>, string][] = [
    ['credentials.api-key', { agent: big, apiKey: 'k' }, 'agent is too long (at most 256 characters)'],
    ['credentials.api-key', { agent: 'claude', credentialSet: big, apiKey: 'k' }, 'credentialSet is too long (at most 256 characters)'],
    ['credentials.oauth-terminal', { agent: big }, 'agent is too long (at most 256 characters)'],
    ['ssh.generate', { scope: big }, 'scope is too long (at most 256 characters)'],
    ['images.build', { baseImage: big }, 'baseImage is too long (at most 255 characters)'],
    ['images.build', { agents: big }, 'agents is too long (at most 2000 characters)'],
    ['images.build-sidecar', { toolName: big }, 'toolName is too long (at most 100 characters)'],
    ['sandbox.install', { passphraseTier: big }, 'passphraseTier is too long (at most 4096 characters)'],
    ['images.import', { path: big }, 'path is too long (at most 4096 characters)'],
    ['roster.disable-user-file', { file: big }, 'file is too long (at most 4096 characters)'],
  ];
  const before = snap();
  for (const [step, params, message] of cases) {
    const { end } = await runTask(step, params);
    assert.deepEqual({ code: failureOf(end).code, message: failureOf(end).message }, { code: 'invalid-params', message }, step);
  }
  nothingLost(before);
  vaultIntact();
});

test('a flood of unknown params (10 000, with 1 MiB names): five are named, each cut to 80 characters; the message stays short', async () => {
  faultHost();
  const flood = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`${i}-${'n-'.repeat(50_000 / 2)}`.slice(0, 1 << 10), i]));
  flood['x-'.repeat(1 << 19)] = 1;
  const before = snap();
  const { end } = await runTask('ssh.generate', flood);
  const { code, message } = failureOf(end);
  assert.equal(code, 'invalid-params');
  assert.match(message, /^unknown parameter\(s\): (?:[^,]{1,80}, ){5}… \(9996 more\) \(allowed: scope, keyType\)$/);
  assert.ok(message.length < 600, `${message.length} characters`);
  nothingLost(before);
});

// ---- a key in the wrong field -----------------------------------------------------

test('an API key typed into any other field of any task is never echoed, and nothing is stored, made or built under it', async () => {
  faultHost();
  const log = loggingPodman();
  const cases: [string, Record<string, unknown>][] = [
    ['credentials.api-key', { agent: KEY, apiKey: 'k' }],
    ['credentials.api-key', { agent: 'claude', credentialSet: KEY, apiKey: 'k' }],
    ['credentials.api-key', { agent: 'claude', apiKey: 'k', [KEY]: 'k' }],
    ['credentials.oauth-terminal', { agent: KEY }],
    ['credentials.oauth-terminal', { agent: 'claude', credentialSet: KEY }],
    ['ssh.generate', { scope: KEY }],
    ['images.build', { baseImage: KEY }],
    ['images.build', { agents: `claude,${KEY}` }],
    ['images.build', { agents: `all,-${KEY.toLowerCase()}` }],
    ['images.build', { family: KEY }],
    ['images.build-sidecar', { toolName: KEY }],
    ['setup.fix', { step: KEY }],
    ['images.import', { path: `/tmp/${KEY}.tar` }],
    ['images.import', { path: KEY }],
    ['roster.disable-user-file', { file: `/tmp/${KEY}.yaml` }],
    ['vault.acknowledge-recovery', { [KEY]: true }],
  ];
  const before = snap();
  for (const [step, params] of cases) {
    const { end, events } = await runTask(step, params);
    const failure = failureOf(end);
    assert.match(failure.code, /invalid-(params|family)$/, `${step} ${JSON.stringify(failure)}`);
    assertNoKey(JSON.stringify(events));
    assert.ok(failure.message.length < 400, `${step}: ${failure.message.length}`);
  }
  nothingLost(before);
  vaultIntact();
  assert.ok(!existsSync(log) || !readFileSync(log, 'utf8').split('\n').some((l) => l.startsWith('build')), 'no build ran');
});

test('the CLI: a key as the agent name, the credential set, --base or --agents is never echoed; exit 1 or 2; nothing stored', async () => {
  faultHost();
  loggingPodman();
  const runs: [string[], number][] = [
    [['auth', KEY, '--api-key-stdin'], 1],
    [['auth', 'claude', '--api-key-stdin', '--credential-set', KEY], 1],
    [['build', '--base', KEY], 2],
    [['build', '--agents', KEY], 2],
  ];
  const before = snap();
  for (const [argv, code] of runs) {
    const r = await cli(argv, 'k');
    assert.equal(r.code, code, `${argv[0]} ${r.err}`);
    assertNoKey(r.out + r.err);
    assert.ok(r.err.includes(WITHHELD) || /looks like an API key or token/.test(r.err), r.err);
  }
  nothingLost(before);
  vaultIntact();
});

test('a key in sandbox.install\'s passphraseTier is not echoed', async () => {
  faultHost();
  const { end, events } = await runTask('sandbox.install', { passphraseTier: KEY });
  assert.equal(failureOf(end).code, 'invalid-params');
  assertNoKey(JSON.stringify(events));
});

test('a key in the settings\' provider field is not echoed by the walk', async () => {
  faultHost();
  const { events } = await runTask('setup.fix-all', { fix: false, settings: { provider: KEY, baseImage: BASE, family: null, credentialSet: 'default', mountsDir: null } });
  assertNoKey(JSON.stringify(events));
});

// ---- podman's version answer ---------------------------------------------------

test('a garbage podman version: terok\'s line stays "ok", the step is degraded ("version unknown"), ready (exit 0)', async () => {
  faultHost();
  loggingPodman('podman-remote is confused today');
  host.writeBin('podman', readFileSync(path.join(host.bin, 'podman'), 'utf8').replace("image) exit 1", 'image) exit 0'));
  const before = snap();
  const text = await cli(['check']);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /^ {2}podman {17}ok \(ok\)$/m);
  const json = await cli(['check', '--json']);
  assert.equal(json.code, 0);
  const podman = (JSON.parse(json.out) as ReadinessReport).steps.find((s) => s.id === 'podman')!;
  assert.deepEqual([podman.status, podman.state, podman.result.message], ['degraded', 'warning', 'ok']);
  assert.equal(podman.explanation.headline, "Podman is installed, version unknown: asked for its version, podman printed 'podman-remote is confused today', which is not a version number. Terok goes on as if it were current; if containers misbehave, upgrade podman.");
  nothingLost(before);
});

test('podman answering nothing, or 200 KB: "version unknown", the quote cut to 80 characters, the report stays small', async () => {
  faultHost();
  host.writeBin('podman', `#!/bin/sh\ncase "$1" in\n  version) head -c 204800 /dev/zero | tr '\\\\0' 'v' ;;\n  image) exit 0 ;;\n  *) exit 2 ;;\nesac\n`);
  const before = snap();
  const r = await cli(['check', '--json']);
  assert.equal(r.code, 0, r.err);
  assert.ok(r.out.length < 100_000, `the report is ${r.out.length} bytes`);
  const podman = (JSON.parse(r.out) as ReadinessReport).steps.find((s) => s.id === 'podman')!;
  assert.equal(podman.status, 'degraded');
  const quoted = /podman printed '([^']*)'/.exec(podman.explanation.headline)?.[1] ?? '';
  assert.equal(Array.from(quoted).length, MAX_QUOTED);
  assert.ok(quoted.endsWith('…'));
  nothingLost(before);
  host.writeBin('podman', '#!/bin/sh\ncase "$1" in\n  version) exit 0 ;;\n  image) exit 0 ;;\nesac\nexit 2\n');
  const again = snap();
  const empty = (JSON.parse((await cli(['check', '--json'])).out) as ReadinessReport).steps.find((s) => s.id === 'podman')!;
  assert.deepEqual([empty.status, empty.result.message], ['degraded', 'ok']);
  assert.match(empty.explanation.headline, /version unknown: asked for its version, podman printed nothing/);
  nothingLost(again);
});

// ---- a malformed image.base_image ------------------------------------------------

test('a malformed image.base_image in config.yml: build says which key of config.yml (exit 2), the value cut to 80; nothing built; config.yml untouched', async () => {
  faultHost();
  const log = loggingPodman();
  const value = `Ubuntu 24.04 ${'(latest) '.repeat(20)}`;
  const config = host.write(path.join(host.home, '.config/terok/config.yml'), `# mine\nimage:\n  base_image: "${value}"\n`);
  const digest = sha(config);
  const before = snap();
  const r = await cli(['build']);
  assert.equal(r.code, 2);
  // Said once, as the warning every command prints first; the build then says it did not start and how to go on.
  const [first, second] = r.err.split('\n');
  assert.match(first!, /^terok-setup: warning: image\.base_image in \S*config\.yml is not a valid image reference \('Ubuntu 24\.04 \(latest\) .*…': it contains spaces or control characters\); fix it there/);
  assert.equal(Array.from(/\('([^']*)'/.exec(first!)![1]!).length, MAX_QUOTED);
  assert.equal(second, 'terok-setup: build did not start: fix image.base_image in config.yml (see the warning above), or choose a base image with --base IMAGE');
  // The images task (the wizard's Build button, the gate's fix) says the same, with the same code.
  const { end } = await runTask('images.build', {});
  assert.equal(failureOf(end).code, 'invalid-params');
  assert.match(failureOf(end).message, /^image\.base_image in config\.yml is not a valid image reference/);
  assert.equal(sha(config), digest);
  assert.ok(!existsSync(log) || !readFileSync(log, 'utf8').split('\n').some((l) => l.startsWith('build')), 'podman was never asked to build');
  nothingLost(before);
  vaultIntact();
});

test('a base_image podman would refuse (uppercase): named as that key of config.yml too, with the reason', async () => {
  faultHost();
  host.write(path.join(host.home, '.config/terok/config.yml'), 'image:\n  base_image: "Fedora:44"\n');
  const before = snap();
  const r = await cli(['build']);
  assert.equal(r.code, 2);
  assert.match(r.err, /^terok-setup: warning: image\.base_image in \S*config\.yml is not a valid image reference \('Fedora:44': repository names must be lowercase\)/);
  assert.match(r.err, /^terok-setup: build did not start: fix image\.base_image in config\.yml/m);
  nothingLost(before);
});

test('check and run name the malformed config key too', async () => {
  faultHost();
  host.write(path.join(host.home, '.config/terok/config.yml'), 'image:\n  base_image: "Ubuntu 24.04"\n');
  const r = await cli(['check']);
  assert.match(r.err, /image\.base_image in .*config\.yml/);
});
