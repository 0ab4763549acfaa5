/**
 * A real PackageKit for tests: packagekitd (apt backend) + polkitd +
 * dbus-daemon from Debian bookworm, running in a throwaway root on a PRIVATE
 * system bus. The test process (on the host) talks to it by setting
 * DBUS_SYSTEM_BUS_ADDRESS=root.busAddress; the host's own packages, dbus and
 * polkit are never touched.
 *
 *   const pk = await startPackageKitRoot();           // needs root; skip with packageKitRootUnavailable()
 *   await pk.setPolkitRule(allowPackageKitFor('terok-ci')); // in effect when it resolves
 *   …client with env DBUS_SYSTEM_BUS_ADDRESS=pk.busAddress installs PK_TEST_PACKAGES.small…
 *   assert.ok(await pk.isInstalled(PK_TEST_PACKAGES.small));
 *   await pk.remove(PK_TEST_PACKAGES.small); await pk.stop();
 *
 * The root: `debootstrap --variant=minbase bookworm` + packagekit,
 * packagekit-tools (pkcon), polkitd, dbus (apt pulls systemd as polkitd's
 * logind dependency; it never runs), a policy-rc.d that forbids service
 * starts, and two local flat apt repositories, the ONLY apt sources (so
 * PackageKit never goes to the network): /srv/terok-repo (`[trusted=yes]`)
 * and /srv/terok-repo-unsigned (`[allow-insecure=yes]`), holding the tiny
 * packages of PK_TEST_PACKAGES, built on the host with dpkg-deb (Packages
 * and Release written here). The built root is cached as a tarball in
 * TEROK_TEST_PK_CACHE (default /var/tmp/packagekit-root-cache; not the temp
 * dir, which a suite may point elsewhere), named by a hash of the recipe
 * below; the first start builds it (45–85 s from deb.debian.org), later
 * starts unpack it (1–5 s). A lock lets parallel test files share one build.
 *
 * Running: a private mount namespace (`unshare --mount --propagation
 * private`) holds the root's mounts — the host's /proc bound (same PID
 * namespace, so polkitd reads a host caller's /proc/<pid>), a new devpts
 * instance (apt runs dpkg on a pty: without one PackageKit "installs"
 * nothing and still reports success), /dev is the root's own device nodes
 * (made by debootstrap with mknod; the host's /dev is never bound). In that
 * namespace the holder shell chroots and starts dbus-daemon --system
 * (listening on <dir>/run/dbus/system_bus_socket, mode 0777 like a real
 * system bus, reachable from the host because /run is a plain directory of
 * the root), then polkitd, then packagekitd --disable-timer (D-Bus
 * activation through dbus-daemon-launch-helper works as a fallback). Host
 * users with uid ≥ 1000 are copied into the root's passwd/group, so polkitd
 * can name a host caller (subject.user). stop() kills the holder's process
 * group and everything else in its mount namespace, then removes the
 * directory; the mounts never existed outside that namespace. A test
 * process killed with SIGKILL cannot do that (its daemons outlive it): the
 * next start reaps such roots (owner recorded in <dir>/.terok-pkroot-owner
 * is gone → kill what runs chrooted there, remove the directory).
 *
 * Findings (verified with this fixture, PackageKit 1.2.6, polkit 122, dbus 1.14):
 * (a) uid 0 is ALWAYS authorized: PackageKit does ask polkit (it logs
 *     "authorizing action org.freedesktop.packagekit.package-install" for
 *     root too), but polkitd answers yes for uid 0 before it runs any rule;
 *     a rule returning polkit.Result.NO for everything does not stop root.
 *     A not-authorized test must run its client as a non-root user.
 * (b) An unprivileged host user (terok-ci, uid 1001) can connect (the
 *     socket is world-connectable; the bus policy allows anyone to call
 *     PackageKit) and call it: tested from the host with dbus-send as
 *     terok-ci (property Get, CreateTransaction); the whole Resolve +
 *     InstallPackages flow as terok-ci with pkcon run inside the root (same
 *     bus, same pid namespace). Polkit then decides: subject.user is "terok-ci",
 *     subject.local and subject.active are false (no logind session), so the
 *     default (auth_admin, no agent) gives ErrorCode not-authorized; a rule
 *     returning YES for subject.user == "terok-ci" lets the install run.
 *     Run the client as that user: `runuser -u terok-ci -- env
 *     DBUS_SYSTEM_BUS_ADDRESS=<busAddress> …` (the root dir is 0755, the
 *     socket 0777), or inside the root: run(argv, { user: 'terok-ci' }).
 *     polkitd identifies a HOST process: `pkcheck --process <host pid>` in
 *     the root finds its uid (test: "polkitd identifies a process of the
 *     host"). PackageKit hands polkit a system-bus-name subject, so the
 *     client must stay connected until Finished (one connection from
 *     CreateTransaction on; a one-shot dbus-send cannot install).
 * (c) InstallPackages checks ONE action: with transaction flag ONLY_TRUSTED
 *     (bit 1, value 2; what pkcon sends) org.freedesktop.packagekit.package-install,
 *     without it org.freedesktop.packagekit.package-install-untrusted
 *     (ALLOW_REINSTALL adds package-reinstall, ALLOW_DOWNGRADE package-downgrade).
 *     SIMULATE (bit 2, value 4) and ONLY_DOWNLOAD (bit 3, value 8) check
 *     nothing. RemovePackages: package-remove. Resolve needs no
 *     authorization. The local `[trusted=yes]` repo counts as trusted, so
 *     ONLY_TRUSTED installs from it succeed. PK_TEST_PACKAGES.unsigned sits
 *     in an `[allow-insecure=yes]` repo: InstallPackages(ONLY_TRUSTED) on it
 *     ends ErrorCode 50 cannot-install-repo-unsigned ("The following
 *     packages cannot be authenticated: …") + Finished(8 need-untrusted),
 *     no polkit prompt beyond package-install; pkcon then retries with
 *     flags 0, which polkit checks as package-install-untrusted (test:
 *     "InstallPackages asks polkit…"; pk.polkitChecks() lists the checks).
 * (d) Seen with dbus-monitor on the private bus (pkcon's calls, as terok-ci
 *     with an allow rule; values are PackageKit's enums):
 *     CreateTransaction() → object path like /2_eeeddaeb; SetHints(as) (pkcon:
 *     locale=…, interactive=false, supports-plural-signals=true, …);
 *     Resolve(t filter, as names): filter is a bitfield of 1<<PkFilterEnum
 *     (installed 2, not-installed 3, newest 16, arch 18, not-source 21;
 *     pkcon sends 2424840 = not-installed|newest|arch|not-source). Result:
 *     with supports-plural-signals=true ONE `Packages a(uss)` signal, else a
 *     `Package(u info, s id, s summary)` per package; info 2 available,
 *     1 installed. The id is "name;version;arch;data" and data is the repo
 *     ("terok_test-local-" here, "terok_test_unsigned-local-" for the
 *     unsigned repo; "+manual:…"/"+auto:…" while installing, "manual:…"/
 *     "auto:…" once installed) — take ids from Resolve, never build them. A name in no repository: no package signal, Finished(1 success).
 *     InstallPackages(t flags, as ids) returns at once (before polkit
 *     answers); then PropertiesChanged on org.freedesktop.PackageKit.Transaction
 *     (Role 11 install-packages, TransactionFlags 2, Status 31 waiting-for-auth,
 *     1 wait, 2 setup, 27 loading-cache, 4 query, 3 running, 8 download,
 *     9 install, 18 finished; Percentage 0…100, 101 = unknown; AllowCancel;
 *     ElapsedTime/RemainingTime/Speed/DownloadSizeRemaining ride along),
 *     `Package(u info, s id, s summary)` per package and step (info
 *     10 downloading, 21 preparing, 22 decompressing, 12 installing,
 *     18 finished), `ItemProgress(s id, u status, u percent)` (status 8
 *     download, 2 setup, 9 install; percent 0/25/50/75), for the dependency
 *     package and the asked one both, then `Finished(u exit, u runtime ms)`
 *     with exit 1 success, 2 failed (3 cancelled). Failures come as
 *     `ErrorCode(u code, s details)` right before Finished(2): 48
 *     not-authorized ("Failed to obtain authentication."), 58
 *     package-failed-to-install (a failing postinst, with dpkg's message).
 *     Also TransactionListChanged(as) and UpdatesChanged() on
 *     /org/freedesktop/PackageKit. Gotcha: without a devpts in the root
 *     (apt runs dpkg on a pty) the backend "installed" nothing yet sent
 *     Finished(1): check the result (Resolve with filter installed or
 *     dpkg) rather than trusting exit alone.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { atomicWriteFile } from '../../main/core/host/fs.ts';
import { pidAlive, processStartTime } from '../../main/core/host/lock.ts';
import { CommandError, runCommand, type RunOptions, type RunResult } from '../../main/core/host/process.ts';
import { findOnPath } from '../../main/core/host/which.ts';
import { acquireTestLock } from './exclusive.ts';

/** Names in the root's local repository. */
export const PK_TEST_PACKAGES = {
  /** One small file, no dependencies. */
  small: 'terok-pk-probe',
  /** Depends on `dependency`: an install of it shows two packages in progress. */
  withDependency: 'terok-pk-probe-dep',
  dependency: 'terok-pk-probe-lib',
  /** Its postinst fails: dpkg leaves it half-configured and PackageKit reports an error. remove() cleans it up. */
  failing: 'terok-pk-probe-broken',
  /** In a second, unsigned repo (`[allow-insecure=yes]`): apt calls it untrusted, so an ONLY_TRUSTED install is refused. */
  unsigned: 'terok-pk-probe-unsigned',
  /** In no repository: Resolve finds nothing. */
  missing: 'terok-pk-probe-absent',
} as const;

/**
 * Stand-ins named like the real packages of the tools the wizard installs
 * (packages.install resolves tool names to these names): the root is
 * throwaway, so they shadow nothing real.
 */
export const PK_TOOL_PACKAGES = {
  catatonit: { name: 'catatonit' },
  /** As on Debian 12: dnsutils is a transitional package that brings bind9-dnsutils. */
  dig: { name: 'dnsutils', dependsOn: 'bind9-dnsutils' },
  /** Its one program answers `podman version` (a page's re-probe finds it under the root's dir). */
  podman: { name: 'podman', binary: '/opt/terok-pk-test/bin/podman' },
} as const;

export const PK_TEST_VERSION = '1.0';

interface LocalDeb { depends?: string; postinst?: string; unsigned?: boolean; files?: Record<string, { content: string; mode: number }> }
const LOCAL_DEBS: Record<string, LocalDeb> = {
  [PK_TEST_PACKAGES.small]: {},
  [PK_TEST_PACKAGES.dependency]: {},
  [PK_TEST_PACKAGES.withDependency]: { depends: PK_TEST_PACKAGES.dependency },
  [PK_TEST_PACKAGES.failing]: { postinst: '#!/bin/sh\necho "terok-pk-probe-broken: failing on purpose" >&2\nexit 1\n' },
  [PK_TEST_PACKAGES.unsigned]: { unsigned: true },
  [PK_TOOL_PACKAGES.catatonit.name]: {},
  [PK_TOOL_PACKAGES.dig.dependsOn]: {},
  [PK_TOOL_PACKAGES.dig.name]: { depends: PK_TOOL_PACKAGES.dig.dependsOn },
  [PK_TOOL_PACKAGES.podman.name]: { files: { [PK_TOOL_PACKAGES.podman.binary]: { content: '#!/bin/sh\n[ "$1" = version ] && echo 4.9.4\nexit 0\n', mode: 0o755 } } },
};

/** The root's only apt sources: [trusted=yes] counts as signed; [allow-insecure=yes] takes the repo but not its trust. */
const SOURCES = 'deb [trusted=yes] file:/srv/terok-repo ./\ndeb [allow-insecure=yes] file:/srv/terok-repo-unsigned ./\n';

/** Where debootstrap and apt fetch the root's packages (TEROK_TEST_PK_MIRROR; the same suite anywhere, so not part of the cache key). */
const MIRROR = process.env.TEROK_TEST_PK_MIRROR || 'http://deb.debian.org/debian';

/** Everything the cached root is made from: its hash names the tarball. */
const RECIPE = {
  revision: 5,
  suite: 'bookworm',
  packages: ['packagekit', 'packagekit-tools', 'polkitd', 'dbus'],
  localDebs: LOCAL_DEBS,
  sources: SOURCES,
};

const ROOT_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const BUILD_TIMEOUT_MS = 20 * 60_000;
const LOG_LINES_KEPT = 20_000;

export function packageKitCacheDir(): string {
  return process.env.TEROK_TEST_PK_CACHE || '/var/tmp/packagekit-root-cache';
}

function cacheTarball(): string {
  const key = createHash('sha256').update(JSON.stringify(RECIPE)).digest('hex').slice(0, 16);
  return path.join(packageKitCacheDir(), `bookworm-packagekit-${key}.tar`);
}

const TOOLS = ['unshare', 'nsenter', 'chroot', 'mount', 'tar', 'dpkg-deb'];

/** Why the fixture cannot run here, or false when it can. */
export function packageKitRootUnavailable(): string | false {
  if (process.platform !== 'linux') return 'PackageKit root: Linux only';
  if (process.getuid?.() !== 0) return 'PackageKit root needs root (mount namespace, chroot, debootstrap)';
  const lacking = TOOLS.filter((t) => !findOnPath(ROOT_PATH, t));
  if (lacking.length) return `PackageKit root: ${lacking.join(', ')} not installed`;
  if (!existsSync(cacheTarball()) && !findOnPath(ROOT_PATH, 'debootstrap')) {
    return 'PackageKit root: debootstrap not installed and no cached root (scripts/install-test-deps.sh installs it)';
  }
  return false;
}

export interface PackageKitRoot {
  /** The root's directory (mode 0755). */
  dir: string;
  /** What a client passes as DBUS_SYSTEM_BUS_ADDRESS. */
  busAddress: string;
  /** Environment for a host client of the private bus. */
  clientEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Write /etc/polkit-1/rules.d/50-terok-test.rules in the root; resolves once polkitd has loaded it. '' = no test rule. */
  setPolkitRule(js: string): Promise<void>;
  /**
   * Every action polkitd ran the rules for, oldest first (a logging rule
   * always goes first). Non-root callers only: uid 0 is authorized before
   * any rule runs. After a refusal polkitd also checks the actions that
   * imply the asked one (package-install-untrusted, -remove, -downgrade…).
   */
  polkitChecks(): { action: string; user: string }[];
  /** dpkg-query inside the root: fully installed (a failed postinst leaves "half-configured", which is false here). */
  isInstalled(pkg: string): Promise<boolean>;
  /** apt-get purge inside the root (test cleanup); names not installed are fine. */
  remove(...pkgs: string[]): Promise<void>;
  /** Run a program inside the root (its mount namespace, chrooted, clean env), e.g. pkcon; as `user` (a name in the root) if given. */
  run(argv: readonly string[], opts?: Partial<RunOptions> & { user?: string }): Promise<RunResult>;
  /** Kill every daemon, drop the namespace, remove the directory. Idempotent. */
  stop(): Promise<void>;
  /** dbus-daemon/polkitd/packagekitd output so far (stderr and stdout), for failure messages. */
  daemonLog(): string;
  /** How long this start took: building the cache (0 when it was there), unpacking it, starting the daemons. */
  timings: { buildMs: number; unpackMs: number; daemonsMs: number };
}

export interface StartOptions {
  /** Startup limit, cache build excluded (default 30 s). */
  startTimeoutMs?: number;
  /** packagekitd --verbose (default true: its log names every signal it emits). */
  verbose?: boolean;
  /** Hard limit on the daemons' lifetime (default 30 min). */
  lifetimeMs?: number;
}

/** Runs before the test's rule and returns nothing, so the next rule decides. */
const CHECK_LOGGER = 'polkit.addRule(function (action, subject) { polkit.log("terok-polkit-check " + action.id + " " + subject.user); });\n';
const RULES_FILE = 'etc/polkit-1/rules.d/50-terok-test.rules';

/** Allow every PackageKit action for one user (a rule for setPolkitRule). */
export function allowPackageKitFor(user: string): string {
  return `polkit.addRule(function (action, subject) {
  if (action.id.indexOf("org.freedesktop.packagekit.") === 0 && subject.user === ${JSON.stringify(user)}) return polkit.Result.YES;
});\n`;
}

/** Deny every PackageKit action for everyone (uid 0 is authorized anyway, see the header). */
export const DENY_PACKAGEKIT = `polkit.addRule(function (action, subject) {
  if (action.id.indexOf("org.freedesktop.packagekit.") === 0) return polkit.Result.NO;
});\n`;

const run = (file: string, args: readonly string[], timeoutMs: number, extra: Partial<RunOptions> = {}) =>
  runCommand(file, args, { timeoutMs, env: { PATH: ROOT_PATH, LANG: 'C.UTF-8' }, extendEnv: false, ...extra });

/**
 * The mounts a command in the root needs, made in a private mount namespace
 * ($1 = root, the rest = the command run chrooted). Used for the build; the
 * daemons' holder (below) makes the same mounts.
 */
const NS_MOUNTS = `set -eu
root=$1; shift
mount --rbind /proc "$root/proc"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
mount --bind "$root/dev/pts/ptmx" "$root/dev/ptmx"
`;

function inNewNamespace(root: string, argv: readonly string[], timeoutMs: number, extra: Partial<RunOptions> = {}): Promise<RunResult> {
  const script = `${NS_MOUNTS}exec chroot "$root" /usr/bin/env -i PATH=${ROOT_PATH} LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"\n`;
  return run('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', root, ...argv], timeoutMs, extra);
}

/** A .deb with one file, built by dpkg-deb on the host. */
async function buildDeb(work: string, name: string, { depends, postinst, files }: LocalDeb, outDir: string): Promise<string> {
  const tree = path.join(work, name);
  mkdirSync(path.join(tree, 'DEBIAN'), { recursive: true });
  mkdirSync(path.join(tree, 'usr/share', name), { recursive: true });
  writeFileSync(path.join(tree, 'usr/share', name, 'README'), `${name}: a tiny package for Terok Setup's PackageKit tests\n`);
  const control = [
    `Package: ${name}`, `Version: ${PK_TEST_VERSION}`, 'Architecture: all', 'Maintainer: Terok Setup tests <tests@terok.invalid>',
    'Installed-Size: 4', 'Section: misc', 'Priority: optional', ...(depends ? [`Depends: ${depends}`] : []),
    `Description: ${name} (Terok Setup test package)`, ' One small file, installed by the PackageKit tests.', '',
  ].join('\n');
  writeFileSync(path.join(tree, 'DEBIAN/control'), control);
  if (postinst) writeFileSync(path.join(tree, 'DEBIAN/postinst'), postinst, { mode: 0o755 });
  for (const [file, { content, mode }] of Object.entries(files ?? {})) {
    mkdirSync(path.join(tree, path.dirname(file)), { recursive: true });
    writeFileSync(path.join(tree, file), content, { mode });
  }
  const deb = path.join(outDir, `${name}_${PK_TEST_VERSION}_all.deb`);
  await run('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', tree, deb], 60_000);
  return deb;
}

/** Packages + Release of a flat repository, written here (no dpkg-dev needed). */
function writeRepoIndex(repo: string, debs: { deb: string; control: string }[], origin: string): void {
  const stanzas = debs.map(({ deb, control }) => {
    const bytes = readFileSync(deb);
    const hash = (alg: string) => createHash(alg).update(bytes).digest('hex');
    return `${control.trimEnd().split('\n').filter((l) => !l.startsWith('Description') && !l.startsWith(' ')).join('\n')}
Filename: ./${path.basename(deb)}
Size: ${bytes.length}
MD5sum: ${hash('md5')}
SHA256: ${hash('sha256')}
${control.split('\n').filter((l) => l.startsWith('Description') || l.startsWith(' ')).join('\n')}
`;
  });
  const packages = stanzas.join('\n');
  writeFileSync(path.join(repo, 'Packages'), packages);
  const size = Buffer.byteLength(packages);
  writeFileSync(path.join(repo, 'Release'), `Origin: ${origin}\nLabel: ${origin}\nSuite: local\nCodename: local\nDate: ${new Date().toUTCString()}\nArchitectures: all amd64 arm64\n` +
    `MD5Sum:\n ${createHash('md5').update(packages).digest('hex')} ${size} Packages\nSHA256:\n ${createHash('sha256').update(packages).digest('hex')} ${size} Packages\n`);
}

async function buildRoot(tarball: string, log: (line: string) => void): Promise<void> {
  mkdirSync(path.dirname(tarball), { recursive: true, mode: 0o755 });
  // A build killed half-way left its work dir (we hold the build lock: nobody else is building).
  for (const old of readdirSync(path.dirname(tarball))) {
    if (/^build-|\.tmp$/.test(old)) rmSync(path.join(path.dirname(tarball), old), { recursive: true, force: true });
  }
  const work = mkdtempSync(path.join(path.dirname(tarball), 'build-'));
  const root = path.join(work, 'root');
  const onLine = (line: string) => log(line);
  try {
    const t0 = Date.now();
    // In a mount namespace of its own: debootstrap mounts /proc and /sys in the target.
    await run('unshare', ['--mount', '--propagation', 'private', '--', 'debootstrap', '--variant=minbase', RECIPE.suite, root, MIRROR], BUILD_TIMEOUT_MS, { onLine });
    log(`packagekit-root: debootstrap took ${Date.now() - t0} ms`);
    writeFileSync(path.join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\n# Terok tests: no service starts in this root\nexit 101\n', { mode: 0o755 });
    await inNewNamespace(root, ['apt-get', 'update', '-qq'], BUILD_TIMEOUT_MS, { onLine });
    await inNewNamespace(root, ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...RECIPE.packages], BUILD_TIMEOUT_MS, { onLine });
    // No logind here: PackageKit's inhibitor call should fail at once, not through a doomed activation.
    rmSync(path.join(root, 'usr/share/dbus-1/system-services/org.freedesktop.login1.service'), { force: true });
    // A third less to unpack at every start.
    for (const d of ['usr/share/locale', 'usr/share/doc', 'usr/share/man', 'usr/share/info']) {
      rmSync(path.join(root, d), { recursive: true, force: true });
      mkdirSync(path.join(root, d));
    }

    const debWork = path.join(work, 'debs');
    for (const unsigned of [false, true]) {
      const repo = path.join(root, unsigned ? 'srv/terok-repo-unsigned' : 'srv/terok-repo');
      mkdirSync(repo, { recursive: true });
      const debs = [];
      for (const [name, spec] of Object.entries(LOCAL_DEBS)) {
        if (Boolean(spec.unsigned) !== unsigned) continue;
        const deb = await buildDeb(debWork, name, spec, repo);
        debs.push({ deb, control: readFileSync(path.join(debWork, name, 'DEBIAN/control'), 'utf8') });
      }
      writeRepoIndex(repo, debs, unsigned ? 'terok-test-unsigned' : 'terok-test');
    }
    // The local repos are the only sources from now on.
    rmSync(path.join(root, 'etc/apt/sources.list.d'), { recursive: true, force: true });
    mkdirSync(path.join(root, 'etc/apt/sources.list.d'));
    writeFileSync(path.join(root, 'etc/apt/sources.list'), SOURCES);
    await inNewNamespace(root, ['apt-get', 'clean'], 60_000, { onLine });
    rmSync(path.join(root, 'var/lib/apt/lists'), { recursive: true, force: true });
    mkdirSync(path.join(root, 'var/lib/apt/lists/partial'), { recursive: true });
    await inNewNamespace(root, ['apt-get', 'update', '-qq'], 120_000, { onLine });
    const tmp = `${tarball}.${process.pid}.tmp`;
    await run('tar', ['--numeric-owner', '-C', root, '-cf', tmp, '.'], 600_000);
    renameSync(tmp, tarball);
    // Roots of earlier recipes are dead weight now.
    for (const old of readdirSync(path.dirname(tarball))) {
      if (/^bookworm-packagekit-[0-9a-f]+\.tar$/.test(old) && old !== path.basename(tarball)) rmSync(path.join(path.dirname(tarball), old), { force: true });
    }
    log(`packagekit-root: root built and cached in ${Date.now() - t0} ms: ${tarball}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Build the cached root unless it is there (one builder at a time; the others wait and reuse it). */
export async function ensurePackageKitRootCache(log: (line: string) => void = () => {}): Promise<string> {
  const tarball = cacheTarball();
  if (existsSync(tarball)) return tarball;
  const release = await acquireTestLock('packagekit-root-build');
  try {
    if (!existsSync(tarball)) await buildRoot(tarball, log);
  } finally {
    release();
  }
  return tarball;
}

/**
 * Starts the daemons in the root, in a private mount namespace. Its first
 * line names its pid (the namespace's), so commands can join it. Background
 * jobs of a non-interactive shell stay in its process group: the runner's
 * kill of the group reaches them all.
 */
const HOLDER = `${NS_MOUNTS}
echo "packagekit-root holder $$"
chroot "$root" /usr/bin/dbus-daemon --system --nofork --nopidfile --nosyslog &
n=0
until [ -S "$root/run/dbus/system_bus_socket" ]; do
  n=$((n + 1)); [ "$n" -le 200 ] || { echo "packagekit-root: dbus-daemon made no socket in 10 s" >&2; exit 1; }
  sleep 0.05
done
chroot "$root" /usr/lib/polkit-1/polkitd &
chroot "$root" /usr/bin/env -i PATH=${ROOT_PATH} LANG=C.UTF-8 /usr/libexec/packagekitd --disable-timer "$@" &
wait
`;

/** Host accounts (uid ≥ 1000) the root lacks, appended to its passwd/group so polkitd can name a host caller. */
function mirrorHostUsers(dir: string): void {
  for (const db of ['passwd', 'group']) {
    let host: string;
    try { host = readFileSync(`/etc/${db}`, 'utf8'); } catch { continue; }
    const file = path.join(dir, 'etc', db);
    const ours = readFileSync(file, 'utf8');
    const names = new Set(ours.split('\n').map((l) => l.split(':')[0]));
    const ids = new Set(ours.split('\n').map((l) => l.split(':')[2]));
    const extra = host.split('\n').filter((l) => {
      const [name, , id] = l.split(':');
      const n = Number(id);
      return name && n >= 1000 && n < 65534 && !names.has(name) && !ids.has(id);
    });
    if (extra.length) writeFileSync(file, `${ours.replace(/\n?$/, '\n')}${extra.join('\n')}\n`);
  }
}

function mountNamespaceOf(pid: number): string | null {
  try { return readlinkSync(`/proc/${pid}/ns/mnt`); } catch { return null; }
}

/** Pids whose mount namespace is `ns`. */
function pidsIn(ns: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if (mountNamespaceOf(Number(name)) !== ns) continue;
    // A zombie has no namespace link left; one that still has it is alive.
    out.push(Number(name));
  }
  return out;
}

/** Kill everything whose root directory is `dir` (or below); resolves once none is left. */
async function killRootedIn(dir: string): Promise<void> {
  const rooted = () => readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((pid) => {
    try { const r = readlinkSync(`/proc/${pid}/root`); return r === dir || r.startsWith(`${dir}/`); } catch { return false; }
  });
  const deadline = Date.now() + 10_000;
  for (let left = rooted(); left.length; left = rooted()) {
    for (const pid of left) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    if (Date.now() > deadline) throw new Error(`packagekit-root: processes ${left.join(' ')} in ${dir} survive SIGKILL`);
    await sleep(20);
  }
}

const OWNER_FILE = '.terok-pkroot-owner';
const ownerMark = () => `${process.pid} ${processStartTime(process.pid) ?? '-'}`;

/** Roots left by a test process that died without stop() (SIGKILL): their daemons still run. */
async function reapAbandonedRoots(): Promise<void> {
  const tmp = os.tmpdir();
  for (const name of readdirSync(tmp)) {
    if (!name.startsWith('terok-pkroot-')) continue;
    const dir = path.join(tmp, name);
    let owner: string;
    try { owner = readFileSync(path.join(dir, OWNER_FILE), 'utf8'); } catch { continue; } // just created, or not ours
    const pid = Number(owner.split(' ')[0]);
    if (pid > 0 && pidAlive(pid) && `${pid} ${processStartTime(pid) ?? '-'}` === owner) continue;
    await killRootedIn(dir);
    if (!hostMountsUnder(dir).length) rmSync(dir, { recursive: true, force: true });
  }
}

function hostMountsUnder(dir: string): string[] {
  const prefix = `${dir}/`;
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(prefix));
}

export async function startPackageKitRoot(opts: StartOptions = {}): Promise<PackageKitRoot> {
  const unavailable = packageKitRootUnavailable();
  if (unavailable) throw new Error(unavailable);
  const logLines: string[] = [];
  const rulesLoaded = new Set<string>();
  const checks: { action: string; user: string }[] = [];
  const log = (line: string) => {
    const marker = /terok-test-rules-loaded \S+/.exec(line);
    if (marker) rulesLoaded.add(marker[0]);
    // Kept apart from the (trimmed) log, so indexes into it stay valid.
    const check = /^terok-polkit-check (\S+) (\S+)$/.exec(line);
    if (check) checks.push({ action: check[1] ?? '', user: check[2] ?? '' });
    logLines.push(line);
    if (logLines.length > LOG_LINES_KEPT) logLines.splice(0, logLines.length - LOG_LINES_KEPT);
  };
  await reapAbandonedRoots();
  const t0 = Date.now();
  const tarball = await ensurePackageKitRootCache(log);
  const timings = { buildMs: Date.now() - t0, unpackMs: 0, daemonsMs: 0 };

  const dir = mkdtempSync(path.join(os.tmpdir(), 'terok-pkroot-'));
  chmodSync(dir, 0o755);
  const busAddress = `unix:path=${dir}/run/dbus/system_bus_socket`;
  const abort = new AbortController();
  let holderPid = 0;
  let holderNs: string | null = null;
  let holderExit: string | null = null;
  let stopped = false;
  let holder: Promise<void> = Promise.resolve();

  const daemonLog = () => logLines.join('\n');

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    abort.abort();
    await holder;
    // Whatever left the holder's process group (an activated service, a dpkg child) is still in its namespace.
    if (holderNs) {
      const deadline = Date.now() + 10_000;
      for (let left = pidsIn(holderNs); left.length; left = pidsIn(holderNs)) {
        for (const pid of left) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
        if (Date.now() > deadline) throw new Error(`packagekit-root: processes ${left.join(' ')} survive SIGKILL; ${dir} left in place`);
        await sleep(20);
      }
    }
    await killRootedIn(dir);
    const mounts = hostMountsUnder(dir);
    if (mounts.length) throw new Error(`packagekit-root: mounts under ${dir} on the host (${mounts.join(', ')}); not removing it`);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // First, so a root abandoned even while unpacking is recognised and reaped.
    writeFileSync(path.join(dir, OWNER_FILE), ownerMark());
    const t1 = Date.now();
    await run('tar', ['--numeric-owner', '-xpf', tarball, '-C', dir], 300_000);
    timings.unpackMs = Date.now() - t1;
    chmodSync(dir, 0o755);
    writeFileSync(path.join(dir, RULES_FILE), CHECK_LOGGER);
    mirrorHostUsers(dir);

    const args = ['--mount', '--propagation', 'private', '--', 'sh', '-c', HOLDER, 'sh', dir, ...(opts.verbose === false ? [] : ['--verbose'])];
    holder = run('unshare', args, opts.lifetimeMs ?? 30 * 60_000, {
      signal: abort.signal,
      onLine: (line) => {
        const m = /^packagekit-root holder (\d+)$/.exec(line);
        if (m) { holderPid = Number(m[1]); holderNs = mountNamespaceOf(holderPid); return; }
        log(line);
      },
    }).then(
      (r) => { holderExit = `the daemons' holder exited with code ${r.exitCode}`; },
      (err: unknown) => { holderExit = err instanceof CommandError && err.reason === 'cancelled' ? 'stopped' : String(err); },
    );

    const t2 = Date.now();
    const ready = await waitForPackageKit(() => holderPid, () => holderExit, dir, opts.startTimeoutMs ?? 30_000);
    if (!ready.ok) throw new Error(`packagekit-root did not start: ${ready.why}\n${daemonLog()}`);
    timings.daemonsMs = Date.now() - t2;
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }

  const inRoot = (argv: readonly string[], o: Partial<RunOptions> & { user?: string } = {}): Promise<RunResult> => {
    if (!holderPid || stopped) return Promise.reject(new Error('packagekit-root is not running'));
    const { user, ...runOpts } = o;
    const asUser = user ? ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups'] : [];
    return run('nsenter', [`--target=${holderPid}`, '--mount', '--', 'chroot', dir, '/usr/bin/env', '-i', `PATH=${ROOT_PATH}`, 'LANG=C.UTF-8', 'DEBIAN_FRONTEND=noninteractive', ...asUser, ...argv],
      runOpts.timeoutMs ?? 120_000, runOpts);
  };

  /** dpkg's state of `pkg` (installed, half-configured, config-files, …); '' when dpkg does not know it. */
  const dpkgState = async (pkg: string): Promise<string> => {
    const r = await inRoot(['dpkg-query', '-W', '-f=${db:Status-Status}', pkg], { allowNonZero: true, timeoutMs: 30_000 });
    return r.exitCode === 0 ? r.stdout.trim() : '';
  };
  const isInstalled = async (pkg: string): Promise<boolean> => (await dpkgState(pkg)) === 'installed';

  let ruleSerial = 0;
  return {
    dir,
    timings,
    busAddress,
    clientEnv: (extra = {}) => ({ ...process.env, DBUS_SYSTEM_BUS_ADDRESS: busAddress, ...extra }),
    daemonLog,
    stop,
    run: inRoot,
    async setPolkitRule(js) {
      // A top-level polkit.log runs when polkitd (re)loads the file: that line says the rule is in effect.
      // polkitd reloads on its directory monitor's events; should one be missed, the file is written again.
      const markers: string[] = [];
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const marker = `terok-test-rules-loaded ${process.pid}-${++ruleSerial}-${randomBytes(4).toString('hex')}`;
        markers.push(marker);
        atomicWriteFile(path.join(dir, RULES_FILE), `${CHECK_LOGGER}${js}\npolkit.log(${JSON.stringify(marker)});\n`, { mode: 0o644 });
        const rewriteAt = Math.min(deadline, Date.now() + 3_000);
        while (Date.now() < rewriteAt) {
          if (markers.some((m) => rulesLoaded.has(m))) return;
          await sleep(20);
        }
        if (markers.length > 1) log(`packagekit-root: polkitd has not reloaded ${RULES_FILE} yet, writing it again`);
      }
      throw new Error(`polkitd did not load the test rule within 30 s\n${logLines.slice(-300).join('\n')}`);
    },
    isInstalled,
    polkitChecks: () => checks.map((c) => ({ ...c })),
    async remove(...pkgs) {
      // Also what a failed install left half-configured.
      const known = [];
      for (const p of pkgs) if (!['', 'not-installed'].includes(await dpkgState(p))) known.push(p);
      if (known.length) await inRoot(['apt-get', 'purge', '-y', '-qq', ...known], { timeoutMs: 120_000 });
    },
  };
}

/** Poll until packagekitd owns its name on the private bus (asked with the root's own dbus-send). */
async function waitForPackageKit(pid: () => number, exited: () => string | null, dir: string, timeoutMs: number): Promise<{ ok: true } | { ok: false; why: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const gone = exited();
    if (gone) return { ok: false, why: gone };
    if (pid() && existsSync(path.join(dir, 'run/dbus/system_bus_socket'))) {
      try {
        const r = await run('nsenter', [`--target=${pid()}`, '--mount', '--', 'chroot', dir, 'dbus-send', '--system', '--print-reply', '--reply-timeout=2000',
          '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.PackageKit'], 5_000, { allowNonZero: true });
        if (/boolean true/.test(r.stdout)) return { ok: true };
        last = (r.stderr || r.stdout).trim() || 'PackageKit has not taken its name yet';
      } catch (err) {
        last = String(err);
      }
    }
    await sleep(50);
  }
  return { ok: false, why: `not ready within ${timeoutMs} ms (${last})` };
}
