/** The readiness gate's rules and output (seed 000; spec §2.2–2.4, §9.1). */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { formatStepLine, isYes, runGateFace, type GateIO } from '../../../main/cli/gate-face.ts';
import { Engine } from '../../../main/core/engine.ts';
import type { HostContext } from '../../../main/core/host/context.ts';
import { registerOrchestrator } from '../../../main/core/modules.ts';
import type { GateSettings } from '../../../main/core/settings.ts';
import { runSweep } from '../../../main/core/steps/readiness.ts';
import { TaskError, type StepImpl } from '../../../main/core/tasks/task-manager.ts';
import { l1AliasTag } from '../../../main/core/images/tags.ts';
import { gateHost, type HostPart } from '../../support/gate-host.ts';
import { installFakePodman, type SandboxHost } from '../../support/host.ts';
import { installShieldHooksFixture, writeStampFixture } from '../../support/fixtures.ts';

const settings = { provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null };
let host: SandboxHost;
afterEach(() => host?.cleanup());

/** Fix task steps standing in for the real ones (by task step name). */
type FixTable = Record<string, StepImpl>;

/**
 * terok's gate as `terok-setup run`/`check` print it: the real fix-all task
 * and CLI face, with the fixes' task steps replaced (the real ones are tested
 * in their modules).
 */
async function runGate(ctx: HostContext, s: GateSettings, opts: { interactive: boolean; assumeYes: boolean }, io: GateIO, fixes: FixTable) {
  const engine = new Engine(ctx);
  registerOrchestrator(engine);
  for (const [step, impl] of Object.entries(fixes)) engine.tasks.register(step, impl);
  const end = await runGateFace(engine, io, { settings: s, fix: opts.interactive, confirm: opts.interactive && !opts.assumeYes });
  assert.equal(end.state, 'done');
  return end.gate!;
}

/** terok's stamp-gate lines for a host without a setup stamp. */
const FIRST_RUN_LINES = ["terok-setup: no setup stamp found — terok-executor hasn't been initialised.", '  Fix:    terok-setup install'];

function recorder(answers: (string | null)[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  const asked: string[] = [];
  const io: GateIO = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    ask: async (p) => { asked.push(p); return answers.shift() ?? null; },
  };
  return { io, out, err, asked };
}

/** A host where everything passes; `except` leaves items out. */
function machine(except: HostPart[] = []): SandboxHost {
  ({ host } = gateHost(settings.baseImage, except));
  return host;
}

test('step line format: name padded to 22, ok/FAIL, message in parentheses', () => {
  assert.equal(formatStepLine({ name: 'podman', ok: true, message: 'ok' }), '  podman                 ok (ok)');
  assert.equal(formatStepLine({ name: 'container images', ok: false, message: 'not built' }), '  container images       FAIL (not built)');
});

test('[Y/n]: empty, y and yes (any case) are yes; anything else and EOF are no', () => {
  for (const a of ['', 'y', 'Y', 'yes', ' YES ']) assert.equal(isYes(a), true, a);
  for (const a of ['n', 'no', 'yep', null]) assert.equal(isYes(a), false, String(a));
});

test('all ok, non-interactive → ready, every step line in order, blank lines around', async () => {
  machine();
  const r = recorder();
  const res = await runGate(host.ctx, settings, { interactive: false, assumeYes: false }, r.io, {});
  assert.equal(res.ready, true);
  assert.deepEqual(r.out, [
    '',
    '  podman                 ok (ok)',
    '  git                    ok (ok)',
    '  sandbox services       ok (shield ready)',
    '  container images       ok (ready)',
    "  ssh key                ok (1 key(s) registered for 'standalone')",
    '  claude credentials     ok (stored)',
    '',
  ]);
  assert.deepEqual(r.err, []);
});

test('podman failing → not ready at once: nothing else is printed, not even the trailing blank line', async () => {
  machine(['podman']);
  const r = recorder();
  const res = await runGate(host.ctx, settings, { interactive: true, assumeYes: true }, r.io, {});
  assert.equal(res.ready, false);
  assert.deepEqual(r.out, ['', '  podman                 FAIL (not found on PATH)']);
  assert.deepEqual(r.err, ['      Install podman first: https://podman.io/docs/installation']);
  assert.deepEqual(Object.keys(res.results), ['podman']);
});

test('credentials and SSH key missing never block: ready, with the consequences printed', async () => {
  machine(['credentials', 'ssh']);
  const r = recorder();
  const res = await runGate(host.ctx, settings, { interactive: false, assumeYes: false }, r.io, {});
  assert.equal(res.ready, true);
  assert.ok(r.out.includes("      Without a gate SSH key, git push via the gate won't work."));
  assert.ok(r.out.includes('      Without credentials, claude will prompt for login on first turn.'));
});

test('git missing is informational: ready, with the two consequence lines', async () => {
  machine(['git']);
  const r = recorder();
  assert.equal((await runGate(host.ctx, settings, { interactive: false, assumeYes: false }, r.io, {})).ready, true);
  assert.ok(r.out.includes('  git                    FAIL (not found on PATH — git gate disabled)'));
  assert.ok(r.out.includes('      Without git, the host-side git gate is disabled —'));
  assert.ok(r.out.includes('      containers will run without the git push channel.'));
});

test('sandbox services missing, non-interactive → not ready, reported once, nothing fixed, the run continues', async () => {
  machine(['sandbox']);
  const r = recorder();
  let fixes = 0;
  const res = await runGate(host.ctx, settings, { interactive: false, assumeYes: false }, r.io, { 'sandbox.install': async () => { fixes++; return { exitCode: 0 }; } });
  assert.equal(res.ready, false);
  assert.equal(fixes, 0);
  assert.deepEqual(r.asked, []);
  assert.equal(r.out.filter((l) => l.includes('sandbox services')).length, 1);
  assert.deepEqual(r.err, ['      Run: terok-executor setup', ...FIRST_RUN_LINES]);
  assert.ok(res.results.credentials, 'later steps still ran');
});

test('images missing → not ready with the build hint on stderr', async () => {
  machine(['images']);
  const r = recorder();
  assert.equal((await runGate(host.ctx, settings, { interactive: false, assumeYes: false }, r.io, {})).ready, false);
  assert.deepEqual(r.err, ['      Run: terok-executor build']);
});

test('interactive + assume-yes: the services fix runs exactly once, stdin is never read, the re-probe passes', async () => {
  machine(['sandbox']);
  const r = recorder();
  let calls = 0;
  const fixes: FixTable = { 'sandbox.install': async () => { calls++; installShieldHooksFixture(host); writeStampFixture(host); return { exitCode: 0 }; } };
  const res = await runGate(host.ctx, settings, { interactive: true, assumeYes: true }, r.io, fixes);
  assert.equal(res.ready, true);
  assert.equal(calls, 1);
  assert.deepEqual(r.asked, []);
  const i = r.out.indexOf('  sandbox services... missing: shield hooks');
  assert.ok(i > 0);
  assert.equal(r.out[i + 1], '  Install shield hooks now? [Y/n] y');
  assert.ok(r.out.includes('  sandbox services       ok (shield ready)'));
});

test('interactive: answering "n" keeps the failure and runs no fix', async () => {
  machine(['images']);
  const r = recorder(['n']);
  let calls = 0;
  const res = await runGate(host.ctx, settings, { interactive: true, assumeYes: false }, r.io, { 'images.build': async () => { calls++; return {}; } });
  assert.equal(res.ready, false);
  assert.equal(calls, 0);
  assert.deepEqual(r.asked, ['  Build container images now? [Y/n] ']);
});

test('a fix that reports failure keeps the old result without a re-probe', async () => {
  machine(['images']);
  const r = recorder(['']);
  const res = await runGate(host.ctx, settings, { interactive: true, assumeYes: false }, r.io, { 'images.build': async () => { throw new TaskError({ code: 'images-build-failed', message: 'build failed' }); } });
  assert.equal(res.ready, false);
  assert.deepEqual(res.results.images, { name: 'container images', ok: false, message: 'not built' });
});

test('a fix that throws is reported as a failure, not a crash', async () => {
  machine(['images']);
  const r = recorder();
  const res = await runGate(host.ctx, settings, { interactive: true, assumeYes: true }, r.io, { 'images.build': async () => { throw new Error('disk full'); } });
  assert.equal(res.ready, false);
  assert.ok(r.err.some((l) => l.includes('disk full')));
});

test('all ready and interactive → hint lists only tools that can actually be authenticated', async () => {
  machine();
  const r = recorder();
  await runGate(host.ctx, settings, { interactive: true, assumeYes: false }, r.io, {});
  const hint = r.out.find((l) => l.startsWith('        Available: '));
  assert.ok(hint);
  const names = hint.replace('        Available: ', '').split(', ');
  assert.ok(!names.includes('claude'), 'not the current provider');
  for (const n of ['copilot', 'opencode', 'pi']) assert.ok(!names.includes(n), `${n} cannot be authenticated`);
  assert.deepEqual(names, [...names].sort());
});

test('the wizard sweep and the gate agree on the verdict', async () => {
  for (const missing of [[], ['sandbox'], ['images'], ['credentials'], ['podman']] as const) {
    machine([...missing]);
    const gate = await runGate(host.ctx, settings, { interactive: false, assumeYes: false }, recorder().io, {});
    const sweep = await runSweep(host.ctx, settings);
    assert.equal(sweep.verdict.ready, gate.ready, `missing ${missing.join()}`);
    host.cleanup();
  }
});

test('sweep: podman failing marks every later step blocked and names podman as the reason', async () => {
  machine(['podman']);
  const report = await runSweep(host.ctx, settings);
  assert.deepEqual(report.verdict.reasons, ['podman: not found on PATH']);
  assert.deepEqual(report.steps.slice(1).filter((s) => s.gate === 'terok-preflight').map((s) => s.state), ['blocked', 'blocked', 'blocked', 'blocked', 'blocked']);
  // The vault does not need podman: its state is still shown.
  assert.equal(report.steps.find((s) => s.id === 'vault')!.state, 'ok');
  // Each blocked step names what it waits for; the renderer shows exactly this.
  for (const s of report.steps) assert.deepEqual(s.blockedBy, s.state === 'blocked' ? ['podman'] : [], s.id);
});

test('sweep: what was never set up is "todo" whatever its requirement (not "failed", not "skipped")', async () => {
  machine(['git', 'ssh', 'sandbox']);
  const report = await runSweep(host.ctx, settings);
  const state = Object.fromEntries(report.steps.map((s) => [s.id, s.state]));
  assert.deepEqual(state, { podman: 'ok', git: 'todo', sandbox: 'todo', vault: 'ok', images: 'ok', ssh: 'todo', credentials: 'ok' });
  assert.deepEqual(report.verdict.reasons, ['sandbox services: missing: shield hooks', 'setup stamp: Setup has not run on this machine yet.']);
});

test('sweep: every probe passing is still not ready without a current setup stamp (terok run would refuse)', async () => {
  machine();
  const { rmSync } = await import('node:fs');
  rmSync(`${host.home}/.local/share/terok/setup.stamp`);
  const report = await runSweep(host.ctx, settings);
  assert.ok(report.steps.every((s) => s.result.ok));
  assert.equal(report.setup.verdict, 'first_run');
  assert.deepEqual(report.verdict, { ready: false, reasons: ['setup stamp: Setup has not run on this machine yet.'], unmet: ['sandbox'], bypass: false });
});

test('sweep: podman older than 4.3 shows as a warning but does not block', async () => {
  machine();
  installFakePodman(host, { version: '4.2.0' }).addImage(l1AliasTag(settings.baseImage));
  const report = await runSweep(host.ctx, settings);
  assert.equal(report.steps[0]!.state, 'warning');
  assert.equal(report.verdict.ready, true);
});

test('sweep: hooks installed but no current stamp → the sandbox step is "todo" (not set up yet) for every view, its probe line unchanged', async () => {
  machine();
  const { rmSync } = await import('node:fs');
  rmSync(`${host.home}/.local/share/terok/setup.stamp`);
  const sandbox = (await runSweep(host.ctx, settings)).steps.find((s) => s.id === 'sandbox')!;
  assert.deepEqual(sandbox.result, { name: 'sandbox services', ok: true, message: 'shield ready' });
  assert.equal(sandbox.state, 'todo');
  assert.equal(sandbox.summary, 'Not set up yet');
});
