/**
 * `terok-setup run --yes --json`, the unattended walk for configuration
 * management: exactly one JSON document on stdout (terok's lines on stderr),
 * every step present with the outcome shapes (ok, changed, skipped, failed,
 * needs_user), idempotence, the recovery key delivered only to the named file
 * (0600) and the argument checks made before anything changes.
 *
 * The hosts are gate-host sandboxes (a stand-in podman that answers from
 * files, as in fix-all.test.ts); the fixes whose real work needs a registry
 * or network (images.build, sandbox.install in the first tests) are
 * recording stand-ins. The recovery-key tests run the real sandbox install
 * with the fixture terok and a real SQLCipher vault.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { main } from '../../../main/cli/index.ts';
import { Engine } from '../../../main/core/engine.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { l1AliasTag } from '../../../main/core/images/tags.ts';
import { TaskError } from '../../../main/core/tasks/task-manager.ts';
import { CancelledError } from '../../../main/core/errors.ts';
import { COMMAND_TAIL_LINES, RUN_OUTCOMES, RUN_REPORT_SCHEMA, type RunReport, type RunStepEntry } from '../../../main/core/steps/run-report.ts';
import { STEP_IDS } from '../../../main/core/steps/registry.ts';
import type { StepImpl } from '../../../main/core/tasks/task-manager.ts';
import { pendingKey } from '../../../main/core/vault/recovery-key.ts';
import { installShieldHooksFixture, writeStampFixture } from '../../support/fixtures.ts';
import { gateHostsPerTest, type HostPart } from '../../support/gate-host.ts';
import type { SandboxHost } from '../../support/host.ts';
import { terokHost } from '../../support/terok-fixture.ts';
import type { CliStreams } from '../../../main/cli/command.ts';

const BASE = 'ubuntu:24.04';
const IMAGE = l1AliasTag(BASE);

let host: SandboxHost;
let addImage: (tag: string) => void;
const gate = gateHostsPerTest(BASE);

function machine(except: HostPart[] = []): void {
  ({ host, addImage } = gate.machine(except));
}

const installSandbox: StepImpl = async () => { installShieldHooksFixture(host); writeStampFixture(host); return { exitCode: 0 }; };
const buildImages: StepImpl = async () => { addImage(IMAGE); return {}; };

const engineWith = (fixes: Record<string, StepImpl> = {}): Engine => gate.engine(fixes);

function streams(stdin: string | null = null) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliStreams = {
    out: (t) => out.push(t), err: (t) => err.push(t), stdinIsTty: false,
    readLine: async () => null,
    ...(stdin !== null ? { readAll: async () => stdin } : {}),
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

/** Runs the command; stdout must be exactly one JSON document. */
async function runJson(engine: Engine, args: string[] = [], stdin: string | null = null) {
  const s = streams(stdin);
  const code = await main(['run', '--yes', '--json', ...args], s.io, engine);
  const stdout = s.out();
  const report = JSON.parse(stdout) as RunReport;
  assert.equal(stdout, JSON.stringify(report, null, 2) + '\n', 'stdout is the one document and nothing else');
  return { code, report, stderr: s.err(), stdout };
}

const step = (r: RunReport, id: string): RunStepEntry => r.steps.find((s) => s.id === id)!;

/** Every entry has the fields its outcome promises, and no others of the outcome-specific kind. */
function assertShapes(r: RunReport): void {
  assert.equal(r.schema, RUN_REPORT_SCHEMA);
  assert.deepEqual(r.steps.map((s) => s.id), [...STEP_IDS], 'every step is present, in the registry order');
  for (const s of r.steps) {
    assert.ok((RUN_OUTCOMES as readonly string[]).includes(s.outcome), `${s.id}: ${s.outcome}`);
    assert.equal(typeof s.changed, 'boolean');
    assert.ok(s.before && typeof s.before.status === 'string', `${s.id} has its state before`);
    if (s.outcome === 'skipped') assert.ok(s.reason, `${s.id}: a skip says why`);
    else assert.equal(s.reason, undefined, `${s.id}: only a skip has a reason`);
    if (s.outcome === 'failed' || s.outcome === 'needs_user') assert.ok(s.message, `${s.id}: ${s.outcome} says what`);
    if (s.outcome === 'ok') assert.equal(s.changed, false, `${s.id}: ok means untouched`);
    if (s.outcome === 'changed') assert.equal(s.changed, true);
    if (s.commandTail) assert.equal(s.outcome, 'failed', `${s.id}: only a failure carries a command tail`);
  }
  assert.equal(r.changed, r.steps.some((s) => s.changed));
  assert.deepEqual(r.failed, r.steps.filter((s) => s.outcome === 'failed').map((s) => s.id));
  assert.deepEqual(r.needsUser, r.steps.filter((s) => s.outcome === 'needs_user').map((s) => s.id));
}

test('a ready host: every step "ok", nothing changed, exit 0, the before and after reports are whole readiness reports', async () => {
  machine();
  const engine = engineWith();
  const { code, report, stderr } = await runJson(engine);
  assertShapes(report);
  assert.equal(code, 0);
  assert.equal(report.exitCode, 0);
  assert.equal(report.ready, true);
  assert.equal(report.changed, false);
  for (const id of ['podman', 'git', 'sandbox', 'images', 'ssh', 'credentials']) assert.equal(step(report, id).outcome, 'ok', id);
  assert.equal(report.before.verdict.ready, true);
  assert.equal(report.after!.verdict.ready, true);
  assert.deepEqual(report.after!.steps.map((s) => s.id), [...STEP_IDS]);
  assert.equal(report.recoveryKey, null);
  assert.match(stderr, /podman +ok/, "terok's gate lines are the progress, on stderr");
});

test('fixes that work are "changed" with the state before and after; a second run on the now-ready host changes nothing', async () => {
  machine(['sandbox', 'images']);
  const engine = engineWith({ 'sandbox.install': installSandbox, 'images.build': buildImages });
  const first = await runJson(engine);
  assertShapes(first.report);
  assert.equal(first.code, 0);
  assert.equal(first.report.changed, true);
  for (const id of ['sandbox', 'images']) {
    const s = step(first.report, id);
    assert.equal(s.outcome, 'changed', id);
    assert.equal(s.before.ok, false);
    assert.equal(s.after!.ok, true);
  }
  assert.equal(step(first.report, 'podman').outcome, 'ok');
  assert.equal(first.report.before.verdict.ready, false);
  assert.equal(first.report.after!.verdict.ready, true);

  const again = await runJson(engineWith({ 'sandbox.install': installSandbox, 'images.build': buildImages }));
  assertShapes(again.report);
  assert.equal(again.report.changed, false);
  assert.ok(again.report.steps.every((s) => !s.changed));
  assert.equal(again.code, 0);
});

test('a failing fix: "failed" with its message and the last lines it printed; the walk goes on; exit 3', async () => {
  machine(['images', 'ssh']);
  const engine = engineWith({
    'images.build': async (_p, task) => {
      for (let i = 1; i <= 30; i++) task.log(`STEP ${i}/30: RUN apt-get install something`);
      throw new TaskError({ code: 'build-failed', message: 'The image build failed at step 30.', hint: 'Check the network, then build again.' });
    },
    'ssh.generate': async () => { host.write('home/.ssh-stand-in', ''); return {}; },
  });
  const { code, report } = await runJson(engine);
  assertShapes(report);
  assert.equal(code, 3);
  assert.equal(report.exitCode, 3);
  const images = step(report, 'images');
  assert.equal(images.outcome, 'failed');
  assert.equal(images.changed, false);
  assert.equal(images.message, 'The image build failed at step 30. Check the network, then build again.');
  assert.equal(images.commandTail!.length, COMMAND_TAIL_LINES);
  assert.equal(images.commandTail!.at(-1), 'STEP 30/30: RUN apt-get install something');
  assert.equal(images.commandTail![0], `STEP ${31 - COMMAND_TAIL_LINES}/30: RUN apt-get install something`);
  assert.deepEqual(report.failed, ['images']);
});

test('a fix whose task finishes but says no (the sandbox install without terok): "failed" with the failed stages\' words, its stage lines in the tail', async () => {
  machine(['sandbox']);
  const { code, report } = await runJson(engineWith());
  assertShapes(report);
  assert.equal(code, 3);
  const sandbox = step(report, 'sandbox');
  assert.equal(sandbox.outcome, 'failed');
  assert.match(sandbox.message!, /^Shield hooks: terok is not installed — install it with: pipx install --include-deps terok-executor==/);
  assert.ok(!sandbox.message!.includes('sandbox setup failed: 1'), 'terok\'s bare exit line is not the message when the stages say more');
  assert.ok(sandbox.commandTail!.some((l) => /^Shield hooks: FAIL \(terok is not installed/.test(l)), sandbox.commandTail!.join('\n'));
});

test('podman missing: podman "failed" with its message and the install command; the steps after it are skipped, with the reason', async () => {
  host = gate.machine(['podman']).host;
  const { code, report } = await runJson(engineWith());
  assertShapes(report);
  assert.equal(code, 3);
  const podman = step(report, 'podman');
  assert.equal(podman.outcome, 'failed');
  assert.equal(podman.message, 'podman: not found on PATH. Install podman first: https://podman.io/docs/installation');
  assert.equal(podman.command, report.after!.steps[0]!.explanation.commands![0]!.command, 'says what installs it: the page\'s install command');
  assert.match(podman.command!, /install.*podman/);
  assert.equal(step(report, 'images').outcome, 'skipped');
  assert.match(step(report, 'images').reason!, /waits for Podman/);
  // Its install fix exists (the page's button) but the unattended walk never starts it.
  const probed = report.before.steps.find((s) => s.id === 'podman')!;
  assert.deepEqual([probed.fixable, probed.walkFixes], [true, false]);
  const sandbox = report.before.steps.find((s) => s.id === 'sandbox')!;
  assert.equal(sandbox.walkFixes, sandbox.fixable);
  assert.equal(report.changed, false);
});

test('credentials missing: "needs_user" with the auth command (exit 0: terok\'s gate does not require them); --api-key-stdin stores the piped key and the step is "changed"', async () => {
  machine(['credentials']);
  const unattended = await runJson(engineWith());
  assertShapes(unattended.report);
  const creds = step(unattended.report, 'credentials');
  assert.equal(creds.outcome, 'needs_user');
  assert.match(creds.message!, /API key or a sign-in/);
  assert.equal(creds.command, 'terok-executor auth claude');
  assert.deepEqual(unattended.report.needsUser, ['credentials']);
  // Credentials are optional in terok's gate: the host is ready, and the report says who must act.
  assert.equal(unattended.code, 0);

  const key = 'sk-ant-test-0000-not-a-real-key';
  const piped = await runJson(engineWith(), ['--api-key-stdin'], `${key}\n`);
  assertShapes(piped.report);
  assert.equal(step(piped.report, 'credentials').outcome, 'changed', JSON.stringify(step(piped.report, 'credentials')));
  assert.equal(piped.code, 0);
  assert.ok(!piped.stdout.includes(key) && !piped.stderr.includes(key), 'the key is in no output');
});

test('argument checks come before anything changes: --json needs --yes; the key file options need --json; a missing folder, a folder or an empty stdin is a usage error', async () => {
  machine(['sandbox']);
  const ran: string[] = [];
  const engine = engineWith({ 'sandbox.install': async () => { ran.push('sandbox.install'); return {}; } });
  const cases: [string[], RegExp, string | null][] = [
    [['run', '--json'], /needs --yes.*check --json/, null],
    [['run', '--yes', '--json', '--non-interactive'], /do not go together/, null],
    [['run', '--yes', '--recovery-key-file', path.join(host.root, 'k.txt')], /--recovery-key-file goes with --json/, null],
    [['run', '--yes', '--api-key-stdin'], /--api-key-stdin goes with --json/, null],
    [['run', '--yes', '--json', '--recovery-key-file', path.join(host.root, 'no-such-dir', 'k.txt')], /does not exist/, null],
    [['run', '--yes', '--json', '--recovery-key-file', host.root], /is a folder/, null],
    [['run', '--yes', '--json', '--api-key-stdin'], /nothing was piped in/, ''],
  ];
  for (const [argv, message, stdin] of cases) {
    const s = streams(stdin);
    assert.equal(await main(argv, s.io, engine), 2, argv.join(' '));
    assert.match(s.err(), message, argv.join(' '));
    assert.equal(s.out(), '', `${argv.join(' ')}: nothing on stdout`);
  }
  assert.deepEqual(ran, [], 'no fix ran');
});

/** A real sandbox install (fixture terok, real SQCipher vault, kernel-keyring tier falling back to its session file). */
function realSandboxHost(): Engine {
  host = gate.adopt(terokHost());
  host.writeBin('git', '#!/bin/sh\nexit 0\n');
  // Registries are unreachable: the images fix is not what these tests are about.
  return gate.engine({ 'images.build': async () => { throw new TaskError({ code: 'build-failed', message: 'no registry in this test' }); } });
}

test('a new recovery key goes to --recovery-key-file (0600, the key and a newline) and is marked saved; it is in no output', async () => {
  const engine = realSandboxHost();
  const keyFile = path.join(host.root, 'escrow', 'host-a.key');
  mkdirSync(path.dirname(keyFile), { mode: 0o700 });
  const { report, stdout, stderr } = await runJson(engine, ['--passphrase-tier', 'kernel-keyring', '--recovery-key-file', keyFile]);
  assertShapes(report);
  assert.equal(step(report, 'sandbox').outcome, 'changed', JSON.stringify(step(report, 'sandbox')));
  const key = readFileSync(keyFile, 'utf8');
  assert.match(key, /^[A-Za-z0-9_-]{43}\n$/);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.ok(!stdout.includes(key.trim()) && !stderr.includes(key.trim()), 'the key is printed nowhere');
  assert.deepEqual(report.recoveryKey, { state: 'written', file: keyFile, message: `The new vault recovery key was written to ${keyFile} (mode 0600); move it off this host to a safe place.` });
  const vault = step(report, 'vault');
  assert.equal(vault.changed, true);
  const paths = resolvePaths(host.ctx);
  assert.ok(existsSync(paths.recoveryMarker), 'marked saved');
  assert.equal(pendingKey(paths), null, 'no pending copy is left');

  // A re-run: no new key, the file is left as it is, the sandbox is not changed again.
  const again = await runJson(engine, ['--passphrase-tier', 'kernel-keyring', '--recovery-key-file', keyFile]);
  assert.equal(step(again.report, 'sandbox').changed, false);
  assert.equal(again.report.recoveryKey, null);
  assert.equal(readFileSync(keyFile, 'utf8'), key);
});

test('without --recovery-key-file the new key waits to be collected ("needs_user" on the vault step); a later run with the file delivers it', async () => {
  const engine = realSandboxHost();
  const first = await runJson(engine, ['--passphrase-tier', 'kernel-keyring']);
  assertShapes(first.report);
  const paths = resolvePaths(host.ctx);
  const key = pendingKey(paths)!;
  assert.ok(key, 'the key is kept pending');
  assert.ok(!first.stdout.includes(key) && !first.stderr.includes(key), 'the key is printed nowhere');
  assert.equal(step(first.report, 'vault').outcome, 'needs_user');
  assert.equal(step(first.report, 'vault').changed, true, 'the vault was created in this run (by the sandbox fix)');
  assert.match(step(first.report, 'vault').message!, /--recovery-key-file PATH/);
  assert.equal(first.report.recoveryKey!.state, 'pending');

  // An existing file is never overwritten.
  const taken = path.join(host.root, 'taken.key');
  writeFileSync(taken, 'an earlier key\n', { mode: 0o600 });
  const refused = await runJson(engine, ['--recovery-key-file', taken]);
  assert.equal(readFileSync(taken, 'utf8'), 'an earlier key\n');
  assert.equal(refused.report.recoveryKey!.state, 'pending');
  assert.match(refused.report.recoveryKey!.message, /already exists, so the new recovery key was not written there .* Re-run with another --recovery-key-file\.$/);
  assert.doesNotMatch(refused.report.recoveryKey!.message, /dialog/, 'worded for the command line');

  const keyFile = path.join(host.root, 'later.key');
  const later = await runJson(engine, ['--recovery-key-file', keyFile]);
  assert.equal(readFileSync(keyFile, 'utf8'), `${key}\n`);
  assert.equal(later.report.recoveryKey!.state, 'written');
  assert.equal(step(later.report, 'vault').changed, true);
  assert.ok(existsSync(paths.recoveryMarker));
});

test('interrupted during a fix (SIGHUP, as Ctrl-C): the document still comes, saying so, with no report after; exit 129; no later fix starts', async () => {
  machine(['images', 'ssh']);
  const started: string[] = [];
  const engine = engineWith({
    'images.build': async (_p, task) => {
      started.push('images.build');
      task.log('building');
      // As a closing terminal would deliver it (SIGINT belongs to the test runner here); driveTask's handler cancels the walk.
      process.emit('SIGHUP', 'SIGHUP');
      if (!task.signal.aborted) await new Promise((resolve) => task.signal.addEventListener('abort', resolve, { once: true }));
      throw new CancelledError();
    },
    'ssh.generate': async () => { started.push('ssh.generate'); return {}; },
  });
  const { code, report } = await runJson(engine);
  assert.equal(code, 129);
  assert.equal(report.exitCode, 129);
  assert.equal(report.interrupted, 'SIGHUP');
  assert.equal(report.after, null);
  assert.equal(report.ready, false);
  assert.deepEqual(started, ['images.build']);
  assert.deepEqual(report.steps.map((s) => s.id), [...STEP_IDS], 'every step is still listed');
  assert.equal(step(report, 'images').changed, false);
});
