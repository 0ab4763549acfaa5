/**
 * packages.install without PackageKit: the routes after it, in order —
 * pkexec (where it can prompt), then the command to copy. The "system bus"
 * here is a real private dbus-daemon with no PackageKit on it (and, for one
 * test, an address where no bus listens). pkexec is a stand-in script: the
 * real one is setuid root and needs a polkit agent, neither of which a test
 * may use; it records its argv and exits as pkexec would.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { Engine } from '../../../main/core/engine.ts';
import { packageNames, rootInstallArgv } from '../../../main/core/host/distro.ts';
import { findOnPath } from '../../../main/core/host/which.ts';
import { packageLine, PACKAGES_INSTALL_STEP, parsePackagesInstallParams, pkexecCanPrompt } from '../../../main/core/packages/install.ts';
import { INFO, parsePackageId } from '../../../main/core/packages/packagekit.ts';
import { register } from '../../../main/core/packages/module.ts';
import type { TaskEvent } from '../../../main/core/tasks/task-manager.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';

let bus: ChildProcess | null = null;
let busDir: SandboxHost;
let busAddress = '';

before(async () => {
  busDir = createSandboxHost();
  const socket = path.join(busDir.root, 'bus');
  busAddress = `unix:path=${socket}`;
  bus = spawn('dbus-daemon', ['--session', '--nofork', '--nopidfile', `--address=${busAddress}`], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(50);
  assert.ok(existsSync(socket), 'the private bus is listening');
});

after(() => {
  bus?.kill('SIGKILL');
  busDir.cleanup();
});

async function runInstall(host: SandboxHost, tools: string[], opts: { stdinIsTty?: boolean } = {}) {
  const engine = new Engine(host.ctx);
  register(engine, { stdinIsTty: opts.stdinIsTty ?? false });
  try {
    const id = engine.tasks.start(PACKAGES_INSTALL_STEP, { tools });
    const state = await engine.tasks.wait(id);
    const events = engine.tasks.events(id);
    return { state, events, failure: failureOf(events), result: (events.find((e) => e.type === 'done') as { result?: unknown } | undefined)?.result };
  } finally {
    engine.dispose();
  }
}

const failureOf = (events: readonly TaskEvent[]) => {
  const f = events.find((e) => e.type === 'failed');
  return f?.type === 'failed' ? f.error : null;
};

test('params: only known tool names, at least one; a bad request is refused before anything runs', () => {
  assert.deepEqual(parsePackagesInstallParams({ tools: ['podman', 'dig'] }), ['podman', 'dig']);
  assert.throws(() => parsePackagesInstallParams({ tools: [] }), /at least one tool/);
  assert.throws(() => parsePackagesInstallParams({ tools: ['podman; rm -rf /'] }), /tools must be some of: podman, git/);
  assert.throws(() => parsePackagesInstallParams({ tools: 'podman' }), /list of tool names/);
  assert.throws(() => parsePackagesInstallParams({ tools: ['podman'], extra: 1 }), /unknown parameter/);
  assert.throws(() => parsePackagesInstallParams({}), /tools/);
});

test('package ids and progress lines: "Installing podman 4.3.1", nothing for a status that is not an action', () => {
  assert.deepEqual(parsePackageId('podman;4.3.1+ds1-8+b1;amd64;debian-bookworm-main'), { name: 'podman', version: '4.3.1+ds1-8+b1', arch: 'amd64', data: 'debian-bookworm-main' });
  assert.equal(parsePackageId('not an id'), null);
  assert.equal(packageLine(INFO.downloading, 'podman;4.3.1;amd64;main'), 'Downloading podman 4.3.1');
  assert.equal(packageLine(INFO.installing, 'catatonit;0.1.7-1;amd64;main'), 'Installing catatonit 0.1.7-1');
  assert.equal(packageLine(INFO.available, 'podman;4.3.1;amd64;main'), null);
  assert.equal(packageLine(INFO.installing, 'garbage'), null);
});

test('pkexec can prompt in a desktop session or on a terminal, not in a bare service', () => {
  assert.equal(pkexecCanPrompt({ env: { DISPLAY: ':0' } }, false), true);
  assert.equal(pkexecCanPrompt({ env: { WAYLAND_DISPLAY: 'wayland-0' } }, false), true);
  assert.equal(pkexecCanPrompt({ env: {} }, true), true);
  assert.equal(pkexecCanPrompt({ env: {} }, false), false);
});

test('no PackageKit on the bus, pkexec present and a desktop session: the package manager runs through pkexec, from the system directories', async () => {
  const host = createSandboxHost({ env: { DBUS_SYSTEM_BUS_ADDRESS: busAddress, DISPLAY: ':0' } });
  try {
    const argsFile = path.join(host.root, 'pkexec-args');
    host.writeBin('pkexec', `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > '${argsFile}'\necho 'Setting up nftables (1.0.6-2) ...'\n`);
    const out = await runInstall(host, ['nft', 'dig']);
    assert.equal(out.state, 'done', JSON.stringify(out.failure));
    const manager = findOnPath('/usr/sbin:/usr/bin:/sbin:/bin', 'apt-get')!;
    assert.deepEqual(readFileSync(argsFile, 'utf8').trim().split('\n'), [manager, ...rootInstallArgv('debian', packageNames('debian', ['nft', 'dig'])).slice(1)]);
    assert.deepEqual(out.result, { route: 'pkexec', packages: ['nftables', 'dnsutils'], installed: ['nftables', 'dnsutils'], command: 'sudo apt-get install -y nftables dnsutils' });
    const stages = out.events.flatMap((e) => (e.type === 'stage' && e.stage.status !== 'running' ? [`${e.stage.label}: ${e.stage.status} ${e.stage.detail ?? ''}`.trim()] : []));
    assert.deepEqual(stages, ['Software service: MISSING PackageKit is not available on this system', 'Install: ok nftables, dnsutils (pkexec apt-get)']);
    assert.ok(out.events.some((e) => e.type === 'log' && e.line === 'Setting up nftables (1.0.6-2) ...'), "the package manager's output is logged live");
  } finally {
    host.cleanup();
  }
});

test('pkexec refused (exit 126): not authorized, explained, and no other route is tried', async () => {
  const host = createSandboxHost({ env: { DBUS_SYSTEM_BUS_ADDRESS: busAddress, DISPLAY: ':0' } });
  try {
    host.writeBin('pkexec', '#!/bin/sh\necho "Error executing command as another user: Not authorized" >&2\nexit 126\n');
    const out = await runInstall(host, ['podman']);
    assert.equal(out.state, 'failed');
    assert.equal(out.failure?.code, 'packagekit-not-authorized');
    assert.match(out.failure!.message, /not authorized: the system password prompt was dismissed/);
    assert.match(out.failure!.hint!, /Press Install again and enter your password/);
  } finally {
    host.cleanup();
  }
});

test('no PackageKit and no way to prompt (no desktop, no terminal): the command to copy, nothing run', async () => {
  const host = createSandboxHost({ env: { DBUS_SYSTEM_BUS_ADDRESS: busAddress } });
  try {
    const ran = path.join(host.root, 'pkexec-ran');
    host.writeBin('pkexec', `#!/bin/sh\ntouch '${ran}'\n`);
    const out = await runInstall(host, ['podman', 'pipx']);
    assert.equal(out.state, 'failed');
    assert.equal(out.failure?.code, 'install-needs-terminal');
    assert.equal(out.failure?.detail, 'sudo apt-get install -y podman pipx');
    assert.match(out.failure!.hint!, /Run the command below in a terminal/);
    assert.equal(existsSync(ran), false, 'pkexec was not started without a way to prompt');
  } finally {
    host.cleanup();
  }
});

test('no system bus at all and no pkexec: the command to copy', async () => {
  const host = createSandboxHost({ inheritPath: false, env: { DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${path.join(busDir.root, 'no-bus-here')}`, DISPLAY: ':0' } });
  try {
    const out = await runInstall(host, ['dnsmasq']);
    assert.equal(out.failure?.code, 'install-needs-terminal');
    assert.match(out.failure!.message, /neither PackageKit nor pkexec/);
    assert.equal(out.failure?.detail, 'sudo apt-get install -y dnsmasq');
  } finally {
    host.cleanup();
  }
});
