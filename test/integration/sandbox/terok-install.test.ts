/**
 * terok.install with real pipx (Debian's, /usr/bin/pipx) installing stand-in
 * terok releases from a local index (support/local-index.ts; PyPI is
 * unreachable here), then sandbox.install on what it installed. PIPX_HOME,
 * PIPX_BIN_DIR and pip's cache live in the sandbox host. The distribution's
 * package install (`packages.install`, the lead's PackageKit step) cannot run
 * here: a stand-in for it is registered on the engine where a test needs it.
 * pipx prints "Failed to upgrade shared libraries" (pip itself is not in the
 * local index) and carries on, as it does offline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { failingKeyctl, fakeRoutes } from '../../support/sandbox-install.ts';
import { standInDigests, standInPayload, writeLocalIndex, type StandInRelease } from '../../support/local-index.ts';
import { sha256 } from '../../support/terok-fixture.ts';
import { Engine } from '../../../main/core/engine.ts';
import { register } from '../../../main/core/sandbox/module.ts';
import { TaskError, type TaskFailure } from '../../../main/core/tasks/task-manager.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { isExecutableFile } from '../../../main/core/host/which.ts';
import { detectTerokRuntime } from '../../../main/core/sandbox/terok-runtime.ts';
import { TEROK_INSTALL_REQUIREMENT, TEROK_RELEASE, type PayloadDigestTable } from '../../../main/core/sandbox/terok-release.ts';
import type { InstallResult } from '../../../main/core/sandbox/install.ts';

const DEBIAN_PIPX = '/usr/bin/pipx';
const PINNED: StandInRelease = { ...TEROK_RELEASE };
/** A newer release in the same index: an unpinned `pipx install terok-executor` would take it. */
const NEWER: StandInRelease = { executor: '0.4.0a23', sandbox: '0.5.0a24', shield: '0.8.0a11' };
const PIPX_LINE = `$ pipx install --include-deps ${TEROK_INSTALL_REQUIREMENT}`;

interface PipxHost {
  host: SandboxHost;
  engine: Engine;
  pipxHome: string;
  /** Params each packages.install stand-in call got. */
  packageCalls: unknown[];
}

/**
 * A sandbox host whose PATH is only its own bin (so the real ~/.local and
 * /usr/bin stay out of it) and whose pip reads only `index`. `pipx: 'on-path'`
 * links Debian's pipx into that bin; 'missing' leaves it out, so terok.install
 * has to get it first. `packages`: how the packages.install stand-in behaves.
 */
function pipxHost(index: (dir: string) => string, digests: PayloadDigestTable | undefined, opts: { pipx: 'on-path' | 'missing'; packages?: 'installs' | 'fails' }): PipxHost {
  assert.ok(isExecutableFile(DEBIAN_PIPX), `${DEBIAN_PIPX} missing: Debian's pipx is a test dependency (scripts/install-test-deps.sh)`);
  const host = createSandboxHost({ inheritPath: false, env: { NO_COLOR: '1' } });
  const pipxHome = path.join(host.root, 'pipx-home');
  Object.assign(host.ctx.env as Record<string, string>, {
    PIPX_HOME: pipxHome, PIPX_BIN_DIR: path.join(host.root, 'pipx-bin'),
    PIP_NO_INDEX: '1', PIP_FIND_LINKS: index(path.join(host.root, 'index')), PIP_DISABLE_PIP_VERSION_CHECK: '1',
  });
  if (opts.pipx === 'on-path') symlinkSync(DEBIAN_PIPX, path.join(host.bin, 'pipx'));
  failingKeyctl(host);
  const engine = new Engine(host.ctx);
  register(engine, { vaultRoutes: fakeRoutes, ...(digests ? { payloadDigests: digests } : {}) });
  const packageCalls: unknown[] = [];
  if (opts.packages) {
    // Stands in for the lead's packages.install (PackageKit/pkexec cannot run here). "Installing" pipx
    // is a no-op: Debian's pipx is already in /usr/bin, which terok.install looks at after this step.
    engine.tasks.register('packages.install', async (params) => {
      packageCalls.push(params);
      if (opts.packages === 'fails') throw new TaskError({ code: 'packages-failed', message: 'PackageKit is not available on this system' });
      return { installed: ['pipx'] };
    });
  }
  return { host, engine, pipxHome, packageCalls };
}

async function run(engine: Engine, step: string, params: unknown) {
  const id = engine.tasks.start(step, params);
  const state = await engine.tasks.wait(id);
  const events = engine.tasks.events(id);
  const logs = events.flatMap((e) => (e.type === 'log' ? [e.line] : []));
  const last = events.at(-1);
  const failure: TaskFailure | null = last?.type === 'failed' ? last.error : null;
  return { state, logs, failure, result: engine.tasks.resultOf(id), all: () => `${logs.join('\n')}\n${JSON.stringify(failure)}` };
}

/** sandbox.install through the engine, with the stage lines as terok prints them. */
async function sandboxInstall(engine: Engine) {
  const r = await run(engine, 'sandbox.install', { passphraseTier: 'kernel-keyring' });
  return { ...r, install: r.result as InstallResult };
}

const index = (releases: StandInRelease[], payload = standInPayload()) => (dir: string) => writeLocalIndex(dir, releases, payload);
const matching = standInDigests(PINNED, standInPayload());

test('terok.install asks pipx for the pinned release, live, and checks what got installed; sandbox.install then installs its hooks', async () => {
  const { host, engine, pipxHome, packageCalls } = pipxHost(index([PINNED, NEWER]), matching, { pipx: 'on-path', packages: 'installs' });
  try {
    const r = await run(engine, 'terok.install', {});
    assert.equal(r.state, 'done', r.all());
    assert.deepEqual(r.result, { command: `pipx install --include-deps terok-executor==${TEROK_RELEASE.executor}`, version: TEROK_RELEASE.executor });
    assert.equal(r.logs[0], PIPX_LINE);
    assert.ok(r.logs.some((l) => l.includes(`installed package terok-executor ${TEROK_RELEASE.executor}`)), 'pipx output arrives as log lines');
    assert.deepEqual(packageCalls, [], 'pipx was there: no package install');
    const runtime = await detectTerokRuntime(host.ctx);
    assert.deepEqual(runtime.packages, { 'terok-executor': PINNED.executor, 'terok-sandbox': PINNED.sandbox, 'terok-shield': PINNED.shield }, 'the pinned release, not the newer one');
    assert.ok(runtime.python!.startsWith(pipxHome + path.sep), `${runtime.python} is in PIPX_HOME`);

    const s = await sandboxInstall(engine);
    assert.equal(s.install.exitCode, 0, s.all());
    assert.ok(!s.logs.some((l) => l.startsWith('note:')), 'a matching payload needs no note');
    const paths = resolvePaths(host.ctx);
    assert.equal(readFileSync(path.join(paths.supervisorHooksDir, 'supervisor_hook.py'), 'utf8'), standInPayload()['terok-sandbox']['supervisor_hook.py']);
  } finally {
    host.cleanup();
  }
});

test('pipx missing: terok.install gets it through packages.install first, then finds it in /usr/bin and runs it', async () => {
  const { host, engine, packageCalls } = pipxHost(index([PINNED]), matching, { pipx: 'missing', packages: 'installs' });
  try {
    const r = await run(engine, 'terok.install', {});
    assert.equal(r.state, 'done', r.all());
    assert.deepEqual(packageCalls, [{ tools: ['pipx'] }]);
    const asked = r.logs.findIndex((l) => l.startsWith('pipx is not installed'));
    assert.ok(asked >= 0 && asked < r.logs.indexOf(PIPX_LINE), r.all());
    const sub = engine.tasks.list().find((t) => t.step === 'packages.install');
    assert.equal(sub?.state, 'done', 'ran as a sub-task of terok.install');
    assert.equal((r.result as { version: string }).version, TEROK_RELEASE.executor);
  } finally {
    host.cleanup();
  }
});

test('pipx missing and packages.install fails: pipx-missing with its reason and the commands; pipx never ran', async () => {
  const { host, engine, pipxHome, packageCalls } = pipxHost(index([PINNED]), matching, { pipx: 'missing', packages: 'fails' });
  try {
    const r = await run(engine, 'terok.install', {});
    assert.equal(r.state, 'failed');
    assert.equal(r.failure?.code, 'pipx-missing');
    assert.match(r.failure!.message, /PackageKit is not available on this system/);
    assert.match(r.failure!.detail ?? '', new RegExp(`pipx install --include-deps ${TEROK_INSTALL_REQUIREMENT.replace(/\./g, '\\.')}`));
    assert.equal(packageCalls.length, 1);
    assert.ok(!existsSync(pipxHome), 'pipx was not run');
  } finally {
    host.cleanup();
  }
});

test('a payload file one byte off: terok.install refuses it naming file, release, digests and path; sandbox.install does not copy it', async () => {
  const tampered = standInPayload();
  const original = tampered['terok-sandbox']['supervisor_hook.py']!;
  tampered['terok-sandbox']['supervisor_hook.py'] = original.replace('stand-in', 'stand-In');
  const { host, engine } = pipxHost(index([PINNED], tampered), matching, { pipx: 'on-path' });
  try {
    const r = await run(engine, 'terok.install', {});
    assert.equal(r.state, 'failed', r.all());
    assert.equal(r.failure?.code, 'payload-mismatch');
    const what = `terok-sandbox ${PINNED.sandbox}: supervisor_hook.py does not match the recorded release: sha256 expected ${sha256(original).slice(0, 12)}…, found ${sha256(tampered['terok-sandbox']['supervisor_hook.py']!).slice(0, 12)}…`;
    assert.ok(r.failure!.message.includes(what), r.failure!.message);
    assert.match(r.failure!.message, new RegExp(`^terok-executor ${PINNED.executor.replace(/\./g, '\\.')} was installed, but`));
    const runtime = await detectTerokRuntime(host.ctx);
    assert.ok(r.failure!.detail?.includes(`at ${path.join(runtime.sandboxDir!, 'resources', 'hooks', 'supervisor_hook.py')}`), r.failure!.detail);
    assert.match(r.failure!.hint ?? '', /pipx uninstall terok-executor, then pipx install --include-deps terok-executor==/);
    assert.match(r.failure!.hint ?? '', /report it to https:\/\/github\.com\/terok-ai\/terok-sandbox\/issues/);

    // The user goes on anyway: the supervisor stage refuses, before writing anything of its own.
    const s = await sandboxInstall(engine);
    assert.equal(s.install.exitCode, 1, s.all());
    assert.deepEqual(s.install.failedStages, ['Supervisor hooks']);
    const stage = engine.tasks.events(engine.tasks.list().at(-1)!.id).flatMap((e) => (e.type === 'stage' && e.stage.label === 'Supervisor hooks' && e.stage.status !== 'running' ? [e.stage] : []));
    assert.equal(stage[0]?.status, 'FAIL');
    assert.equal(stage[0]?.detail.split('\n')[0], what);
    assert.match(stage[0]!.detail, /not installed: a changed hook would run on this host for every container/);
    const paths = resolvePaths(host.ctx);
    assert.ok(!existsSync(paths.supervisorWrapper), 'no wrapper');
    assert.ok(!existsSync(paths.supervisorHooksDir) || readdirSync(paths.supervisorHooksDir).length === 0, 'nothing in the supervisor hooks dir');
    assert.ok(existsSync(path.join(paths.shieldHooksDir, 'terok-shield-hook')), 'the shield (matching) was installed');
  } finally {
    host.cleanup();
  }
});

test('a release with no recorded digests: terok.install refuses it; sandbox.install installs it with a note, stage lines unchanged', async () => {
  // As if this terok were newer than the wizard: the table knows neither package's version.
  const { host, engine } = pipxHost(index([PINNED]), { 'terok-shield': {}, 'terok-sandbox': {} }, { pipx: 'on-path' });
  try {
    const r = await run(engine, 'terok.install', {});
    assert.equal(r.state, 'failed', r.all());
    assert.equal(r.failure?.code, 'payload-unverified');
    assert.ok(r.failure!.message.includes(`no recorded digests for the hook files of terok-shield ${PINNED.shield}, terok-sandbox ${PINNED.sandbox}`), r.failure!.message);

    const s = await sandboxInstall(engine);
    assert.equal(s.install.exitCode, 0, s.all());
    const notes = s.logs.filter((l) => l.startsWith('note: the hook files of'));
    assert.equal(notes.length, 2, s.all());
    assert.match(notes[0]!, new RegExp(`terok-shield ${PINNED.shield.replace(/\./g, '\\.')} could not be verified .*within the range this wizard supports \\(>=0\\.4\\.0a22,<0\\.5\\)`));
    const lines = engine.tasks.events(engine.tasks.list().at(-1)!.id).flatMap((e) => (e.type === 'stage' && e.stage.status !== 'running' ? [`${e.stage.label}|${e.stage.status}|${e.stage.detail}`] : []));
    assert.ok(lines.includes('Shield hooks|ok|active'), lines.join('\n'));
    assert.ok(lines.includes('Supervisor hooks|ok|installed (OCI hook + wrapper)'), lines.join('\n'));
  } finally {
    host.cleanup();
  }
});

test('the recorded digests of terok-sandbox 0.5.0a23 refuse a stand-in that only claims that version', async () => {
  const { host, engine } = pipxHost(index([PINNED]), undefined, { pipx: 'on-path' });
  try {
    const r = await run(engine, 'terok.install', {});
    assert.equal(r.state, 'failed', r.all());
    assert.equal(r.failure?.code, 'payload-mismatch');
    for (const f of ['supervisor_hook.py', '_supervisor_state.py', 'supervisor_wrapper.py']) assert.ok(r.failure!.detail?.includes(`terok-sandbox 0.5.0a23: ${f} does not match`), f);
  } finally {
    host.cleanup();
  }
});
