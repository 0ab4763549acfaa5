/**
 * The PackageKit test root itself (test/support/packagekit-root.ts): a real
 * packagekitd + polkitd + dbus-daemon in a throwaway bookworm root, reached
 * from the host through the private bus address. Nothing is faked. Skips
 * where the fixture cannot run (not root, no debootstrap and no cached root).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from '../../../main/core/host/process.ts';
import {
  allowPackageKitFor, DENY_PACKAGEKIT, packageKitRootUnavailable, PK_TEST_PACKAGES, startPackageKitRoot, type PackageKitRoot,
} from '../../support/packagekit-root.ts';

const unavailable = packageKitRootUnavailable();
const CI_USER = 'terok-ci';
const hasCiUser = readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.startsWith(`${CI_USER}:`));

let pk: PackageKitRoot | undefined;
const root = () => { if (!pk) throw new Error('the PackageKit root did not start'); return pk; };

before(async () => {
  if (unavailable) return;
  const t0 = Date.now();
  pk = await startPackageKitRoot();
  const { buildMs, unpackMs, daemonsMs } = pk.timings;
  console.log(`# packagekit-root: started in ${Date.now() - t0} ms (cache build ${buildMs} ms, unpack ${unpackMs} ms, daemons ${daemonsMs} ms) at ${pk.dir}`);
}, { timeout: 25 * 60_000 });

after(async () => {
  if (!pk) return;
  const dir = pk.dir;
  await pk.stop();
  await pk.stop(); // idempotent
  assert.equal(existsSync(dir), false, 'stop() removes the root');
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(dir), 'no mount of the root is left on the host');
  const devNull = lstatSync('/dev/null');
  assert.ok(devNull.isCharacterDevice() && devNull.rdev === 0x103, '/dev/null is still the character device 1,3');
});

const dbusSend = (args: string[], opts: { user?: string } = {}) => {
  const argv = ['--system', '--print-reply', '--reply-timeout=5000', ...args];
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', DBUS_SYSTEM_BUS_ADDRESS: root().busAddress };
  return opts.user
    ? runCommand('runuser', ['-u', opts.user, '--', 'env', `DBUS_SYSTEM_BUS_ADDRESS=${root().busAddress}`, 'dbus-send', ...argv], { timeoutMs: 15_000, env, extendEnv: false, allowNonZero: true })
    : runCommand('dbus-send', argv, { timeoutMs: 15_000, env, extendEnv: false, allowNonZero: true });
};
const getVersionMajor = ['--dest=org.freedesktop.PackageKit', '/org/freedesktop/PackageKit', 'org.freedesktop.DBus.Properties.Get',
  'string:org.freedesktop.PackageKit', 'string:VersionMajor'];

/** The daemons' last lines, for a failure message. */
const logTail = () => root().daemonLog().split('\n').slice(-150).join('\n');

const pkcon = (args: string[], user?: string) =>
  root().run(['pkcon', '--plain', '--noninteractive', ...args], { timeoutMs: 120_000, allowNonZero: true, user });

test('the private bus answers from the host: PackageKit 1.x', { skip: unavailable }, async () => {
  assert.equal(root().busAddress, `unix:path=${root().dir}/run/dbus/system_bus_socket`);
  const r = await dbusSend(getVersionMajor);
  assert.equal(r.exitCode, 0, `${r.stderr}\n${root().daemonLog()}`);
  assert.match(r.stdout, /variant\s+uint32 1\b/);
});

test('an unprivileged host user reaches PackageKit on the private bus', { skip: unavailable || (!hasCiUser && `no ${CI_USER} user`) }, async () => {
  const r = await dbusSend(getVersionMajor, { user: CI_USER });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /uint32 1\b/);
  const tx = await dbusSend(['--dest=org.freedesktop.PackageKit', '/org/freedesktop/PackageKit', 'org.freedesktop.PackageKit.CreateTransaction'], { user: CI_USER });
  assert.equal(tx.exitCode, 0, tx.stderr);
  assert.match(tx.stdout, /object path "\/\d+_\w+"/);
});

test('pkcon inside the root installs the small package from the local repo, apt-get removes it', { skip: unavailable }, async () => {
  const p = root();
  assert.equal(await p.isInstalled(PK_TEST_PACKAGES.small), false);
  const t0 = Date.now();
  const r = await pkcon(['install', PK_TEST_PACKAGES.small]);
  console.log(`# packagekit-root: pkcon install ${PK_TEST_PACKAGES.small} took ${Date.now() - t0} ms`);
  assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}\n${p.daemonLog()}`);
  assert.equal(await p.isInstalled(PK_TEST_PACKAGES.small), true, r.stdout);
  await p.remove(PK_TEST_PACKAGES.small);
  assert.equal(await p.isInstalled(PK_TEST_PACKAGES.small), false);
});

test('the package with a dependency brings the dependency along', { skip: unavailable }, async () => {
  const p = root();
  const r = await pkcon(['install', PK_TEST_PACKAGES.withDependency]);
  assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  // pkcon's Results name each package with the last phase the apt backend reported for it, which on a fast
  // dpkg run is sometimes "Downloaded" rather than "Installed" (seen in CI): the dependency is named, and dpkg has it.
  assert.match(r.stdout, new RegExp(`(Installed|Downloaded)\\s+${PK_TEST_PACKAGES.dependency}-`));
  assert.equal(await p.isInstalled(PK_TEST_PACKAGES.dependency), true);
  await p.remove(PK_TEST_PACKAGES.withDependency, PK_TEST_PACKAGES.dependency);
  assert.equal(await p.isInstalled(PK_TEST_PACKAGES.dependency), false);
});

test('a package in no repository is not found', { skip: unavailable }, async () => {
  const r = await pkcon(['resolve', PK_TEST_PACKAGES.missing]);
  assert.doesNotMatch(r.stdout, new RegExp(`${PK_TEST_PACKAGES.missing}-\\d`));
});

test('polkit decides for a non-root caller; uid 0 is authorized even against a deny rule', { skip: unavailable || (!hasCiUser && `no ${CI_USER} user`) }, async () => {
  const p = root();
  try {
    // No rule of ours: the default (auth_admin, no agent, no session) refuses.
    await p.setPolkitRule('');
    const refused = await pkcon(['install', PK_TEST_PACKAGES.small], CI_USER);
    assert.notEqual(refused.exitCode, 0, `${refused.stdout}\n${logTail()}`);
    assert.match(refused.stdout + refused.stderr, /Failed to obtain authentication|not authorized/i, logTail());
    assert.equal(await p.isInstalled(PK_TEST_PACKAGES.small), false);

    await p.setPolkitRule(allowPackageKitFor(CI_USER));
    const allowed = await pkcon(['install', PK_TEST_PACKAGES.small], CI_USER);
    assert.equal(allowed.exitCode, 0, `${allowed.stdout}\n${allowed.stderr}\n${logTail()}`);
    assert.equal(await p.isInstalled(PK_TEST_PACKAGES.small), true);
    await p.remove(PK_TEST_PACKAGES.small);

    await p.setPolkitRule(DENY_PACKAGEKIT);
    const denied = await pkcon(['install', PK_TEST_PACKAGES.small], CI_USER);
    assert.notEqual(denied.exitCode, 0, `${denied.stdout}\n${logTail()}`);
    const asRoot = await pkcon(['install', PK_TEST_PACKAGES.small]);
    assert.equal(asRoot.exitCode, 0, `root is always authorized by polkitd: ${asRoot.stdout}\n${asRoot.stderr}`);
    assert.equal(await p.isInstalled(PK_TEST_PACKAGES.small), true);
  } finally {
    await p.remove(PK_TEST_PACKAGES.small);
    await p.setPolkitRule('');
  }
});

/** The pid of the host process whose command line is exactly `argv`, once it is there. */
async function pidOf(argv: string[]): Promise<number> {
  const want = `${argv.join('\0')}\0`;
  for (let i = 0; i < 200; i++) {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try { if (readFileSync(`/proc/${name}/cmdline`, 'utf8') === want) return Number(name); } catch { /* gone */ }
    }
    await sleep(25);
  }
  throw new Error(`no process ${argv.join(' ')}`);
}

test('polkitd identifies a process of the host (same pid namespace, /proc bound)', { skip: unavailable || (!hasCiUser && `no ${CI_USER} user`) }, async () => {
  const p = root();
  const stop = new AbortController();
  const marker = ['sleep', `59.${process.pid}`];
  const sleeper = runCommand('runuser', ['-u', CI_USER, '--', ...marker], { timeoutMs: 60_000, signal: stop.signal }).catch(() => {});
  try {
    const pid = await pidOf(marker);
    const pkcheck = () => p.run(['pkcheck', '--action-id', 'org.freedesktop.packagekit.package-install', '--process', String(pid)], { allowNonZero: true, timeoutMs: 30_000 });
    await p.setPolkitRule('');
    const refused = await pkcheck();
    assert.notEqual(refused.exitCode, 0, `no rule: a sessionless user needs auth_admin\n${logTail()}`);
    await p.setPolkitRule(allowPackageKitFor(CI_USER));
    const allowed = await pkcheck();
    assert.equal(allowed.exitCode, 0, `the rule names ${CI_USER}, so polkitd found the host process's uid: ${allowed.stderr}\n${logTail()}`);
  } finally {
    stop.abort();
    await sleeper;
    await p.setPolkitRule('');
  }
});

test('a package whose postinst fails: pkcon fails, dpkg keeps it half-configured, remove() clears it', { skip: unavailable }, async () => {
  const p = root();
  try {
    const r = await pkcon(['install', PK_TEST_PACKAGES.failing]);
    assert.notEqual(r.exitCode, 0, r.stdout);
    assert.equal(await p.isInstalled(PK_TEST_PACKAGES.failing), false);
  } finally {
    await p.remove(PK_TEST_PACKAGES.failing);
  }
  const again = await p.run(['dpkg-query', '-W', '-f=${db:Status-Status}', PK_TEST_PACKAGES.failing], { allowNonZero: true });
  assert.ok(again.exitCode !== 0 || ['not-installed', ''].includes(again.stdout.trim()), again.stdout);
  // apt is usable again: the small package installs.
  const ok = await pkcon(['install', PK_TEST_PACKAGES.small]);
  assert.equal(ok.exitCode, 0, ok.stdout);
  await p.remove(PK_TEST_PACKAGES.small);
});

test('InstallPackages asks polkit for package-install with ONLY_TRUSTED; an unsigned package needs package-install-untrusted', { skip: unavailable || (!hasCiUser && `no ${CI_USER} user`) }, async () => {
  const p = root();
  const checksSince = (n: number) => p.polkitChecks().slice(n).map((c) => `${c.action} ${c.user}`);
  try {
    await p.setPolkitRule(allowPackageKitFor(CI_USER));
    let before = p.polkitChecks().length;
    const trusted = await pkcon(['install', PK_TEST_PACKAGES.small], CI_USER); // pkcon sends ONLY_TRUSTED
    assert.equal(trusted.exitCode, 0, `${trusted.stdout}\n${logTail()}`);
    assert.deepEqual(checksSince(before), [`org.freedesktop.packagekit.package-install ${CI_USER}`]);

    // pkcon tries ONLY_TRUSTED first, and on refusal again without it (no --allow-untrusted needed).
    before = p.polkitChecks().length;
    const unsigned = await pkcon(['install', PK_TEST_PACKAGES.unsigned], CI_USER);
    assert.equal(unsigned.exitCode, 0, `${unsigned.stdout}\n${unsigned.stderr}\n${logTail()}`);
    assert.equal(await p.isInstalled(PK_TEST_PACKAGES.unsigned), true);
    assert.deepEqual(checksSince(before), [
      `org.freedesktop.packagekit.package-install ${CI_USER}`,
      `org.freedesktop.packagekit.package-install-untrusted ${CI_USER}`,
    ]);
  } finally {
    await p.remove(PK_TEST_PACKAGES.small, PK_TEST_PACKAGES.unsigned);
    await p.setPolkitRule('');
  }
});
