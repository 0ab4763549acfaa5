/**
 * The orchestrator task `setup.fix-all` through the task manager: the order
 * of its fixes, going on after a failure, re-probing, pausing for the user,
 * cancelling, refusing a downgrade and report-only mode. The fixes' task
 * steps are recording stand-ins (the real ones are tested in their modules);
 * everything else — probes, walk, vault acknowledgement, CLI — is real.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { main } from '../../../main/cli/index.ts';
import { Engine } from '../../../main/core/engine.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { l1AliasTag } from '../../../main/core/images/tags.ts';
import type { FixAllResult } from '../../../main/core/steps/fix-all.ts';
import type { SetupEvent } from '../../../main/core/tasks/setup-events.ts';
import type { StepImpl, TaskEvent, UserRequest } from '../../../main/core/tasks/task-manager.ts';
import { captureStreams } from '../../support/auth-harness.ts';
import { createVaultFixture, installShieldHooksFixture, writeStampFixture } from '../../support/fixtures.ts';
import { gateHostsPerTest, type HostPart } from '../../support/gate-host.ts';
import type { SandboxHost } from '../../support/host.ts';
import { createTerokFixture, FIXTURE_VERSIONS } from '../../support/terok-fixture.ts';

const settings = { provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null };
const IMAGE = l1AliasTag(settings.baseImage);


let host: SandboxHost;
let addImage: (tag: string) => void;
const gate = gateHostsPerTest(settings.baseImage);

/** A host where everything passes (as in gate.test.ts); `except` leaves items out. */
function machine(except: Exclude<HostPart, 'podman'>[] = []): SandboxHost {
  ({ host, addImage } = gate.machine(except));
  return host;
}

/** The sandbox fix as a stand-in: puts hooks and a current stamp in place. */
const installSandbox = (extra: Record<string, unknown> = {}) => async () => {
  installShieldHooksFixture(host);
  writeStampFixture(host);
  return { exitCode: 0, ...extra };
};
const buildImages = async () => { addImage(IMAGE); return {}; };

/** An engine with every real module, then `fixes` replacing task steps; `ran` lists the stand-ins called, in order. */
function engineWith(fixes: Record<string, StepImpl>) {
  const ran: { step: string; params: unknown }[] = [];
  const engine = gate.engine(Object.fromEntries(Object.entries(fixes).map(([step, impl]): [string, StepImpl] =>
    [step, (params, task) => { ran.push({ step, params }); return impl(params, task); }])));
  const events: TaskEvent[] = [];
  engine.tasks.subscribe((e) => events.push(e));
  return { engine, ran, events, steps: () => ran.map((r) => r.step) };
}

const setupEvents = (events: readonly TaskEvent[], rootId: string): SetupEvent[] =>
  events.flatMap((e) => (e.taskId === rootId && e.type === 'setup' ? [e.event] : []));

/** Sub-tasks of `rootId`, in the order they were started. */
function subTasks(engine: Engine, events: readonly TaskEvent[], rootId: string) {
  const ids = new Set(events.filter((e) => e.parentId === rootId).map((e) => e.taskId));
  return engine.tasks.list().filter((t) => ids.has(t.id));
}

async function runFixAll(engine: Engine, params: Record<string, unknown>) {
  const id = engine.tasks.start('setup.fix-all', { settings, ...params });
  const state = await engine.tasks.wait(id);
  return { id, state, result: engine.tasks.resultOf(id) as FixAllResult };
}

/** Resolves with the first event (already seen or still to come) matching `pred`. */
function nextEvent(engine: Engine, events: readonly TaskEvent[], pred: (e: TaskEvent) => boolean): Promise<TaskEvent> {
  const seen = events.find(pred);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => {
    const off = engine.tasks.subscribe((e) => { if (pred(e)) { off(); resolve(e); } });
  });
}

const needsUser = (rootId: string, kind: UserRequest['kind']) => (e: TaskEvent) =>
  e.taskId === rootId && e.type === 'needs-user' && e.request.kind === kind;

test('fixes run as sub-tasks in gate order sandbox → images → ssh, each starting after the previous one ended', async () => {
  machine(['sandbox', 'images', 'ssh']);
  const { engine, events, steps } = engineWith({ 'sandbox.install': installSandbox(), 'images.build': buildImages, 'ssh.generate': async () => ({}) });
  const { id, state } = await runFixAll(engine, { fix: true });
  assert.equal(state, 'done');
  assert.deepEqual(steps(), ['sandbox.install', 'images.build', 'ssh.generate']);
  assert.deepEqual(subTasks(engine, events, id).map((t) => t.step), ['sandbox.install', 'images.build', 'ssh.generate']);

  const fixEvents = events.filter((e) => e.taskId === id && e.type === 'setup' && (e.event.kind === 'fix-start' || e.event.kind === 'fix-end'));
  assert.deepEqual(fixEvents.map((e) => e.type === 'setup' && `${e.event.kind} ${'id' in e.event ? e.event.id : ''}`),
    ['fix-start sandbox', 'fix-end sandbox', 'fix-start images', 'fix-end images', 'fix-start ssh', 'fix-end ssh']);
  // Each sub-task's outcome falls inside its own fix-start … fix-end bracket.
  for (const [i, sub] of subTasks(engine, events, id).entries()) {
    const done = events.find((e) => e.taskId === sub.id && e.type === 'done')!;
    assert.ok(fixEvents[2 * i]!.seq < done.seq && done.seq < fixEvents[2 * i + 1]!.seq, sub.step);
  }
});

test('a failing fix does not stop the walk: images.build throws, ssh.generate still runs; failed = [images], exit 3', async () => {
  machine(['images', 'ssh']);
  const { engine, events, steps } = engineWith({ 'images.build': async () => { throw new Error('disk full'); }, 'ssh.generate': async () => ({}) });
  const { id, result } = await runFixAll(engine, { fix: true });
  assert.deepEqual(steps(), ['images.build', 'ssh.generate']);
  assert.deepEqual(result.failed, ['images']);
  assert.deepEqual(result.fixed, ['ssh']);
  assert.equal(result.ready, false);
  assert.equal(result.exitCode, 3);
  const end = setupEvents(events, id).find((e) => e.kind === 'fix-end' && e.id === 'images');
  assert.deepEqual(end, { kind: 'fix-end', id: 'images', ok: false, lines: ['  Build failed: disk full'] });
});

test('after a fix the step is probed again: a build that makes the image exist ends with images "checked" ok', async () => {
  machine(['images']);
  const { engine, events } = engineWith({ 'images.build': buildImages });
  const { id, result } = await runFixAll(engine, { fix: true });
  const setup = setupEvents(events, id);
  assert.ok(setup.some((e) => e.kind === 'offer' && e.id === 'images' && e.subject.message === 'not built'), 'images failed at first');
  assert.deepEqual(setup.find((e) => e.kind === 'checked' && e.id === 'images'),
    { kind: 'checked', id: 'images', result: { name: 'container images', ok: true, message: 'ready' }, status: 'ok' });
  assert.deepEqual(result.results.images, { name: 'container images', ok: true, message: 'ready' });
  assert.deepEqual(result.fixed, ['images']);
  assert.equal(result.exitCode, 0);
});

test('a fix that finishes but leaves the step unmet is re-probed to its real line, not reported as fixed-and-ok', async () => {
  machine(['images']);
  const { engine, events } = engineWith({ 'images.build': async () => ({}) });
  const { id, result } = await runFixAll(engine, { fix: true });
  assert.deepEqual(setupEvents(events, id).find((e) => e.kind === 'checked' && e.id === 'images'),
    { kind: 'checked', id: 'images', result: { name: 'container images', ok: false, message: 'not built' }, status: 'missing' });
  assert.equal(result.exitCode, 3);
});

test('a new recovery key pauses the walk until the user says it is saved; then the acknowledgement runs and the walk goes on', async () => {
  machine(['sandbox', 'images']);
  let saved = false;
  const buildAfterSaved = async () => { assert.ok(saved, 'images.build started before the key was saved'); return buildImages(); };
  const { engine, events, steps } = engineWith({ 'sandbox.install': installSandbox({ generatedPassphrase: 'x'.repeat(43) }), 'images.build': buildAfterSaved });
  const id = engine.tasks.start('setup.fix-all', { settings, fix: true });
  const ask = await nextEvent(engine, events, needsUser(id, 'recovery-key'));
  assert.ok(ask.type === 'needs-user' && ask.request.kind === 'recovery-key');
  const [install] = subTasks(engine, events, id);
  assert.equal(install?.step, 'sandbox.install');
  assert.equal(ask.request.taskId, install.id, 'the request names the task whose result holds the key');

  // Waiting: however long the user takes, nothing further starts.
  await sleep(200);
  assert.equal(engine.tasks.state(id), 'running');
  assert.deepEqual(steps(), ['sandbox.install']);

  assert.equal(engine.tasks.respond(id, ask.requestId, { kind: 'confirm', yes: true }), false, 'wrong kind');
  assert.equal(engine.tasks.respond(id, 'not-the-request', { kind: 'recovery-key', saved: true }), false, 'wrong request id');
  assert.equal(engine.tasks.respond(install.id, ask.requestId, { kind: 'recovery-key', saved: true }), false, 'wrong task');
  assert.deepEqual(steps(), ['sandbox.install']);

  saved = true;
  assert.equal(engine.tasks.respond(id, ask.requestId, { kind: 'recovery-key', saved: true }), true);
  assert.equal(await engine.tasks.wait(id), 'done');
  const subs = subTasks(engine, events, id);
  assert.deepEqual(subs.map((t) => [t.step, t.state]), [['sandbox.install', 'done'], ['vault.acknowledge-recovery', 'done'], ['images.build', 'done']]);
  assert.ok(existsSync(resolvePaths(host.ctx).recoveryMarker), 'the acknowledgement marker was written');
  // Once saved, the one-time key is gone from the install's stored result.
  assert.equal((engine.tasks.resultOf(install.id) as { generatedPassphrase: unknown }).generatedPassphrase, null);
  assert.equal((engine.tasks.resultOf(id) as FixAllResult).exitCode, 0);
});

test('a recovery key not confirmed as saved: no acknowledgement sub-task, no marker, the walk still goes on', async () => {
  machine(['sandbox', 'images']);
  const { engine, events, steps } = engineWith({ 'sandbox.install': installSandbox({ generatedPassphrase: 'y'.repeat(43) }), 'images.build': buildImages });
  const id = engine.tasks.start('setup.fix-all', { settings, fix: true });
  const ask = await nextEvent(engine, events, needsUser(id, 'recovery-key'));
  assert.equal(engine.tasks.respond(id, ask.type === 'needs-user' ? ask.requestId : '', { kind: 'recovery-key', saved: false }), true);
  assert.equal(await engine.tasks.wait(id), 'done');
  assert.deepEqual(subTasks(engine, events, id).map((t) => t.step), ['sandbox.install', 'images.build']);
  assert.deepEqual(steps(), ['sandbox.install', 'images.build']);
  assert.equal(existsSync(resolvePaths(host.ctx).recoveryMarker), false);
});

test('a credential request answered "skip" ends the walk without calling credentials.api-key', async () => {
  machine(['credentials']);
  const { engine, events, steps } = engineWith({ 'credentials.api-key': async () => ({}) });
  const id = engine.tasks.start('setup.fix-all', { settings, fix: true });
  const ask = await nextEvent(engine, events, needsUser(id, 'credential'));
  assert.ok(ask.type === 'needs-user' && ask.request.kind === 'credential');
  assert.equal(ask.request.agent, 'claude');
  assert.equal(engine.tasks.respond(id, ask.requestId, { kind: 'confirm', yes: true }), false, 'wrong kind');
  assert.equal(engine.tasks.respond(id, 'not-the-request', { kind: 'credential', skip: true }), false, 'wrong request id');
  assert.equal(engine.tasks.respond(id, ask.requestId, { kind: 'credential', skip: true }), true);
  assert.equal(await engine.tasks.wait(id), 'done');
  assert.deepEqual(steps(), []);
  assert.deepEqual(subTasks(engine, events, id), []);
  const setup = setupEvents(events, id);
  assert.ok(setup.some((e) => e.kind === 'declined' && e.id === 'credentials'));
  assert.ok(!setup.some((e) => e.kind === 'fix-start'));
  const result = engine.tasks.resultOf(id) as FixAllResult;
  assert.equal(result.results.credentials?.ok, false);
  // Credentials are optional: skipping them leaves the machine ready.
  assert.equal(result.exitCode, 0);
});

test('a credential request answered with a key calls credentials.api-key with that key; the key is in no event', async () => {
  machine(['credentials']);
  const key = 'sk-test-key-0123456789';
  // The stand-in stores a row, so the re-probe can see it.
  const store = async () => { createVaultFixture(host, { credentials: [{ set: 'default', provider: 'anthropic', data: { type: 'api_key', key: 'stored' } }] }); return {}; };
  const { engine, events, ran } = engineWith({ 'credentials.api-key': store });
  const id = engine.tasks.start('setup.fix-all', { settings, fix: true });
  const ask = await nextEvent(engine, events, needsUser(id, 'credential'));
  assert.equal(engine.tasks.respond(id, ask.type === 'needs-user' ? ask.requestId : '', { kind: 'credential', apiKey: key }), true);
  assert.equal(await engine.tasks.wait(id), 'done');
  assert.deepEqual(ran, [{ step: 'credentials.api-key', params: { agent: 'claude', credentialSet: 'default', apiKey: key } }]);
  assert.deepEqual(setupEvents(events, id).find((e) => e.kind === 'checked' && e.id === 'credentials'),
    { kind: 'checked', id: 'credentials', result: { name: 'claude credentials', ok: true, message: 'stored' }, status: 'ok' });
  assert.ok(!JSON.stringify(events).includes(key), 'the answer is never recorded');
});

test('confirm mode asks once per offer; answering no emits "declined" and starts no sub-task', async () => {
  machine(['images', 'ssh']);
  const { engine, events, steps } = engineWith({ 'images.build': buildImages, 'ssh.generate': async () => ({}) });
  const prompts: string[] = [];
  engine.tasks.subscribe((e) => {
    if (e.type !== 'needs-user' || e.request.kind !== 'confirm') return;
    prompts.push(e.request.prompt);
    queueMicrotask(() => engine.tasks.respond(e.taskId, e.requestId, { kind: 'confirm', yes: false }));
  });
  const { id, result } = await runFixAll(engine, { fix: true, confirm: true });
  const setup = setupEvents(events, id);
  const offers = setup.flatMap((e) => (e.kind === 'offer' ? [e] : []));
  assert.deepEqual(offers.map((o) => [o.id, o.assumed]), [['images', false], ['ssh', false]]);
  assert.deepEqual(prompts, offers.map((o) => o.offer));
  assert.deepEqual(setup.flatMap((e) => (e.kind === 'declined' ? [e.id] : [])), ['images', 'ssh']);
  assert.deepEqual(steps(), []);
  assert.deepEqual(subTasks(engine, events, id), []);
  assert.equal(result.exitCode, 3);
});

/** Whether `pid` still runs (a zombie waiting to be reaped counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until<T>(what: string, read: () => T | null, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = read();
    if (v !== null) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A build stand-in that runs a shell whose child (sleep) writes its pid and would outlive a plain kill of the shell. */
function hangingBuild(pidFile: string): StepImpl {
  return async (_p, task) => {
    await host.ctx.run('/bin/sh', ['-c', `sleep 300 & echo $! > '${pidFile}'; wait`], { timeoutMs: 600_000, signal: task.signal });
    return {};
  };
}

const pidIn = (file: string) => () => {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return n > 0 ? n : null;
  } catch {
    return null;
  }
};

test('cancelling fix-all mid-fix cancels the sub-task, kills its whole process group and starts nothing later', async () => {
  machine(['images', 'ssh']);
  const pidFile = path.join(host.root, 'sleep.pid');
  const { engine, events, steps } = engineWith({ 'images.build': hangingBuild(pidFile), 'ssh.generate': async () => ({}) });
  const id = engine.tasks.start('setup.fix-all', { settings, fix: true });
  const pid = await until('the build to start its child', pidIn(pidFile));
  try {
    assert.ok(alive(pid));
    assert.equal(engine.tasks.cancel(id), true);
    assert.equal(await engine.tasks.wait(id), 'cancelled');
    assert.deepEqual(subTasks(engine, events, id).map((t) => [t.step, t.state]), [['images.build', 'cancelled']]);
    assert.deepEqual(steps(), ['images.build']);
    await until('the sleep process to be gone', () => (alive(pid) ? null : true));
  } finally {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});

test('`terok-setup run --yes` interrupted by SIGINT mid-fix: exit 130, the child process group is gone, the handler removed', async () => {
  machine(['images', 'ssh']);
  const pidFile = path.join(host.root, 'sleep.pid');
  const { engine, steps } = engineWith({ 'images.build': hangingBuild(pidFile), 'ssh.generate': async () => ({}) });
  const cli = captureStreams();
  const listenersBefore = process.listenerCount('SIGINT');
  const exit = main(['run', '--yes'], cli.io, engine);
  const pid = await until('the build to start its child', pidIn(pidFile));
  try {
    // The CLI's handler is installed before the task starts, so this SIGINT reaches it, not the default action
    // (the process runner's own hook is there too while a child runs, and defers to the face's).
    assert.equal(process.listenerCount('SIGINT'), listenersBefore + 2);
    process.kill(process.pid, 'SIGINT');
    assert.equal(await exit, 130);
    assert.match(cli.err(), /terok-setup: interrupted; nothing more was changed/);
    assert.deepEqual(steps(), ['images.build']);
    assert.equal(process.listenerCount('SIGINT'), listenersBefore);
    await until('the sleep process to be gone', () => (alive(pid) ? null : true));
  } finally {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});

/** A host with a fixture terok whose stamp was written by a newer terok-sandbox; images are missing too. */
function downgradedMachine(): SandboxHost {
  machine(['images']);
  createTerokFixture(host);
  writeStampFixture(host, { ...FIXTURE_VERSIONS, 'terok-sandbox': '0.6.0' });
  return host;
}

test('a setup stamp from a newer terok: "refused" is the first setup event, no fix runs, exit 4', async () => {
  downgradedMachine();
  const { engine, events, steps } = engineWith({ 'images.build': buildImages });
  const { id, state, result } = await runFixAll(engine, { fix: true });
  assert.equal(state, 'done');
  const setup = setupEvents(events, id);
  assert.equal(setup[0]?.kind, 'refused');
  assert.ok(setup[0]?.kind === 'refused' && setup[0].setup.verdict === 'stale_after_downgrade');
  assert.deepEqual(setup[0].setup.offenders, [`terok-sandbox 0.6.0 → ${FIXTURE_VERSIONS['terok-sandbox']}`]);
  assert.ok(!setup.some((e) => e.kind === 'offer' || e.kind === 'fix-start'));
  assert.deepEqual(steps(), []);
  assert.deepEqual(subTasks(engine, events, id), []);
  assert.equal(result.exitCode, 4);
  assert.equal(result.ready, false);
});

test('`terok-setup run --yes` on a downgraded setup exits 4 with "downgrade detected" and fixes nothing', async () => {
  downgradedMachine();
  const { engine, steps } = engineWith({ 'images.build': buildImages });
  const cli = captureStreams();
  assert.equal(await main(['run', '--yes'], cli.io, engine), 4);
  assert.match(cli.err(), /refusing to continue — downgrade detected \(terok-sandbox 0\.6\.0 → /);
  assert.deepEqual(steps(), []);
  assert.doesNotMatch(cli.out(), /Build container images now/);
});

test('`terok-setup check` on a downgraded setup prints the gate lines and also exits 4', async () => {
  downgradedMachine();
  const { engine, steps } = engineWith({ 'images.build': buildImages });
  const cli = captureStreams();
  assert.equal(await main(['check'], cli.io, engine), 4);
  const out = cli.out().split('\n');
  assert.ok(out.includes('  podman                 ok (ok)'), cli.out());
  assert.ok(out.includes('  container images       FAIL (not built)'), cli.out());
  assert.match(cli.err(), /downgrade detected/);
  assert.deepEqual(steps(), []);
});

test('report only (fix: false) checks every step, in gate order then wizard-only, and never offers or starts a sub-task', async () => {
  machine(['sandbox', 'images', 'ssh', 'credentials']);
  const { engine, events, steps } = engineWith({
    'sandbox.install': installSandbox(), 'images.build': buildImages, 'ssh.generate': async () => ({}), 'credentials.api-key': async () => ({}),
  });
  const { id, result } = await runFixAll(engine, { fix: false });
  const setup = setupEvents(events, id);
  assert.deepEqual(setup.flatMap((e) => (e.kind === 'checked' ? [e.id] : [])), ['podman', 'git', 'sandbox', 'images', 'ssh', 'credentials', 'vault']);
  assert.ok(!setup.some((e) => ['offer', 'declined', 'fix-start', 'fix-end', 'unfixable', 'skipped', 'refused'].includes(e.kind)), JSON.stringify(setup.map((e) => e.kind)));
  assert.ok(!events.some((e) => e.parentId !== undefined || e.type === 'needs-user'));
  assert.deepEqual(steps(), []);
  assert.deepEqual(result.fixed, []);
  assert.equal(result.exitCode, 3);
});

// The stamp phase offers the sandbox setup only when the walk has not offered it already.
test('a sandbox fix that failed in the walk is not run again for the setup stamp, and `failed` lists it once', async () => {
  machine(['sandbox']);
  const { engine, steps } = engineWith({ 'sandbox.install': async () => ({ exitCode: 1 }) });
  const { result } = await runFixAll(engine, { fix: true });
  assert.deepEqual(steps(), ['sandbox.install']);
  assert.deepEqual(result.failed, ['sandbox']);
});

// A sub-task never adopts a running task of the same step (other params, no parentId): it waits for it.
test('cancelling fix-all leaves alone a build it did not start (e.g. the Images page\'s Rebuild)', async () => {
  machine(['images']);
  const { engine } = engineWith({ 'images.build': (_p, task) => new Promise((_resolve, reject) => task.signal.addEventListener('abort', () => reject(new Error('aborted')))) });
  const page = engine.tasks.start('images.build', { baseImage: 'fedora:40', rebuild: true });
  const id = engine.tasks.start('setup.fix-all', { settings, fix: true });
  await until('the walk to reach its images fix', () => (setupEvents(engine.tasks.events(id), id).some((e) => e.kind === 'fix-start') ? true : null));
  engine.tasks.cancel(id);
  await engine.tasks.wait(id);
  assert.equal(engine.tasks.state(page), 'running');
});
