/**
 * The wizard's `packages.install` task against a REAL PackageKit (packagekitd
 * with its apt backend, polkitd, dbus-daemon from Debian bookworm) in a
 * throwaway root on a private system bus (test/support/packagekit-root.ts):
 * the host's own packages are never touched. The root's only apt source is a
 * local repository of tiny stand-in packages named like the real ones
 * (catatonit; dnsutils depending on bind9-dnsutils; podman; no dnsmasq).
 *
 * PackageKit authorizes uid 0 without asking polkit, so everything polkit
 * decides runs the task as the unprivileged test user (terok-ci) in a child
 * process (test/support/packages-task-child.ts), as a desktop user would.
 * The polkit rules stand in for the password prompt: YES is the user who
 * typed their password, NO the one who dismissed it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCommand } from '../../../main/core/host/process.ts';
import type { TaskEvent } from '../../../main/core/tasks/task-manager.ts';
import { allowPackageKitFor, DENY_PACKAGEKIT, packageKitRootUnavailable, PK_TOOL_PACKAGES, startPackageKitRoot, type PackageKitRoot } from '../../support/packagekit-root.ts';

const CI_USER = 'terok-ci';
const hasCiUser = readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.startsWith(`${CI_USER}:`));
const unavailable = packageKitRootUnavailable() || (!hasCiUser && `no ${CI_USER} user to run the task as`);
const CHILD = path.resolve(import.meta.dirname, '../../support/packages-task-child.ts');

let pk: PackageKitRoot | undefined;
const root = () => { if (!pk) throw new Error('the PackageKit root did not start'); return pk; };

before(async () => {
  if (unavailable) return;
  pk = await startPackageKitRoot();
}, { timeout: 25 * 60_000 });

after(async () => {
  await pk?.stop();
});

/** Runs packages.install as the test user; its events, in order. */
async function installAs(tools: string[], opts: { cancelOn?: string } = {}): Promise<{ ok: boolean; events: TaskEvent[]; ms: number }> {
  const t0 = Date.now();
  // The child starts as root and becomes the user itself, once its code is loaded (see the child).
  const r = await runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', CHILD, JSON.stringify(tools), ...(opts.cancelOn ? [opts.cancelOn] : [])], {
    timeoutMs: 5 * 60_000, allowNonZero: true, extendEnv: false,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', DBUS_SYSTEM_BUS_ADDRESS: root().busAddress, TEROK_TEST_RUN_AS: CI_USER },
  });
  const events = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as TaskEvent);
  assert.ok(events.some((e) => e.type === 'done' || e.type === 'failed'), `the task ended\n${r.stderr}\n${root().daemonLog().slice(-3000)}`);
  return { ok: r.exitCode === 0, events, ms: Date.now() - t0 };
}

const failureOf = (events: TaskEvent[]) => { const f = events.find((e) => e.type === 'failed'); return f?.type === 'failed' ? f.error : null; };
const resultOf = (events: TaskEvent[]) => { const d = events.find((e) => e.type === 'done'); return d?.type === 'done' ? d.result : null; };
const logs = (events: TaskEvent[]) => events.flatMap((e) => (e.type === 'log' ? [e.line] : []));
const stages = (events: TaskEvent[]) => events.flatMap((e) => (e.type === 'stage' && e.stage.status !== 'running' ? [`${e.stage.label}: ${e.stage.status}`] : []));

test('authorized: the package and its dependency are installed through PackageKit, with progress; a second run changes nothing', { skip: unavailable }, async () => {
  const pkg = PK_TOOL_PACKAGES.dig;
  await root().setPolkitRule(allowPackageKitFor(CI_USER));
  try {
    const first = await installAs(['dig']);
    assert.equal(first.ok, true, JSON.stringify(failureOf(first.events)));
    console.log(`# packages.install of ${pkg.name} (+ ${pkg.dependsOn}) through PackageKit as ${CI_USER}: ${first.ms} ms`);
    assert.deepEqual(resultOf(first.events), { route: 'packagekit', packages: [pkg.name], installed: [pkg.name], command: `sudo apt-get install -y ${pkg.name}` });
    assert.deepEqual(stages(first.events), ['Software service: ok', 'Packages: ok', 'Install: ok']);
    const lines = logs(first.events);
    // Which per-package phases PackageKit's apt backend reports depends on timing: a fast dpkg run
    // sometimes ends before the backend reads its "installing" status (seen about 1 run in 8), while
    // the download phase is always reported. So: each package is named, in one phase or another.
    for (const name of [pkg.name, pkg.dependsOn]) assert.ok(lines.some((l) => /^(Downloading|Installing) /.test(l) && l.includes(` ${name} `)), `a log line names ${name} being fetched or installed:\n${lines.join('\n')}`);
    const progress = first.events.flatMap((e) => (e.type === 'progress' ? [e.done] : []));
    assert.ok(progress.length > 0 && progress.every((p) => p >= 0 && p <= 100), `percentages were reported: ${progress.join(', ')}`);
    assert.ok(await root().isInstalled(pkg.name) && await root().isInstalled(pkg.dependsOn), 'both packages are installed in the root');

    const again = await installAs(['dig']);
    assert.equal(again.ok, true);
    assert.deepEqual(resultOf(again.events), { route: 'packagekit', packages: [pkg.name], installed: [], command: `sudo apt-get install -y ${pkg.name}` });
    assert.ok(logs(again.events).includes('Everything is already installed.'));
  } finally {
    await root().remove(pkg.name, pkg.dependsOn);
  }
});

test('not authorized (the prompt dismissed: a polkit rule that says no): explained, nothing installed', { skip: unavailable }, async () => {
  await root().setPolkitRule(DENY_PACKAGEKIT);
  const out = await installAs(['catatonit']);
  assert.equal(out.ok, false);
  const failure = failureOf(out.events)!;
  assert.equal(failure.code, 'packagekit-not-authorized');
  assert.match(failure.message, /not authorized/);
  assert.match(failure.hint ?? '', /enter your password when the system asks/);
  assert.equal(await root().isInstalled(PK_TOOL_PACKAGES.catatonit.name), false);
});

test('a package this distribution does not have: found out before anything is installed, named in the error', { skip: unavailable }, async () => {
  await root().setPolkitRule(allowPackageKitFor(CI_USER));
  const out = await installAs(['catatonit', 'dnsmasq']);
  const failure = failureOf(out.events)!;
  assert.equal(failure.code, 'packagekit-package-not-found');
  assert.match(failure.detail ?? '', /not found: dnsmasq/);
  assert.deepEqual(stages(out.events), ['Software service: ok', 'Packages: FAIL']);
  assert.equal(await root().isInstalled(PK_TOOL_PACKAGES.catatonit.name), false, 'the package that was found was not installed alone');
});
