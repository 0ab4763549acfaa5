/**
 * Fault suite: the readers of files a user controls — the roster
 * directories, config.yml, containers.conf and the setup stamp — faced with
 * what users (and accidents) put there: FIFOs, symlinks to /dev/zero,
 * directories, oversized, unreadable, read-only, non-UTF-8 and CRLF files,
 * broken YAML. Each case drives the real command in-process where one
 * exists (`main([...], io, engine)` with `new Engine(host.ctx)` and every
 * setup module: `terok-setup routes`, `check --json`, `install`) and asserts
 * the words the user sees, the exit code, and that nothing was lost: the
 * sha256 of every file under the user's ~/.config (and of routes.json where
 * a command must not write it) is the same before and after, and no
 * half-written temp file is left anywhere in the sandbox.
 *
 * Real: files, FIFOs (mkfifo), symlinks to /dev/zero (only ever read
 * through), the engine, the CLI, routes.json, containers.conf edits and the
 * SQLCipher credential DB. Faked: the home (a sandbox HOME with its own XDG
 * dirs, test/support/host.ts); terok itself (the fixture venv of
 * test/support/terok-fixture.ts) for `install`; keyctl (always fails, so the
 * vault passphrase goes to the session file); for `check`, a ready host from
 * test/support/gate-host.ts (fake podman and git, fixture hooks, stamp and
 * vault).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../main/cli/index.ts';
import type { CliStreams } from '../../../main/cli/command.ts';
import { Engine } from '../../../main/core/engine.ts';
import { resolvePaths, type TerokPaths } from '../../../main/core/host/paths.ts';
import { registerSetupModules } from '../../../main/core/modules.ts';
import { clearRosterCache } from '../../../main/core/roster/current.ts';
import { gateHost } from '../../support/gate-host.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { failingKeyctl } from '../../support/sandbox-install.ts';
import { createTerokFixture } from '../../support/terok-fixture.ts';

const asRoot = process.getuid?.() === 0;
const ROOT_SKIP = { skip: asRoot ? 'root ignores file modes' : false };
const OLD_ROUTES = '{"old": {"upstream": "https://old.example"}}\n';
const FIFO_PROBLEM = 'is a FIFO (named pipe), not a regular file — replace it with a file or remove it';
const DEVICE_PROBLEM = 'is a character device, not a regular file — replace it with a file or remove it';
const DIR_PROBLEM = 'is a directory, not a regular file — move the directory away and put a file there (or nothing)';

// ---- harness -------------------------------------------------------------------

interface Run { code: number; out: string; err: string; ms: number }

async function cli(host: SandboxHost, argv: string[]): Promise<Run> {
  clearRosterCache();
  let out = '';
  let err = '';
  const io: CliStreams = { out: (t) => { out += t; }, err: (t) => { err += t; }, stdinIsTty: false, readLine: async () => null };
  const engine = new Engine(host.ctx);
  registerSetupModules(engine);
  const started = Date.now();
  const code = await main(argv, io, engine);
  return { code, out, err, ms: Date.now() - started };
}

function mkfifo(file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  const r = spawnSync('mkfifo', [file], { timeout: 5000 });
  assert.equal(r.status, 0, `mkfifo ${file}: ${r.stderr}`);
  return file;
}

function linkToDevZero(file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  symlinkSync('/dev/zero', file);
  return file;
}

/**
 * Every entry under `roots` (symlinks not followed): regular files by
 * sha256 and mode, links by target, anything else by kind — the user's
 * files as a value that two points in time can be compared by.
 */
function snapshot(...roots: string[]): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (p: string) => {
    let st;
    try { st = lstatSync(p); } catch { return; }
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      seen.set(p, `dir ${mode}`);
      let names: string[] = [];
      try { names = readdirSync(p); } catch { seen.set(p, `dir ${mode} (unlistable)`); }
      for (const n of names) visit(path.join(p, n));
    } else if (st.isFile()) {
      let digest: string;
      try { digest = createHash('sha256').update(readFileSync(p)).digest('hex'); } catch { digest = `unreadable ${st.size} bytes`; }
      seen.set(p, `file ${mode} ${digest}`);
    } else if (st.isSymbolicLink()) {
      seen.set(p, `link -> ${readlinkSync(p)}`);
    } else {
      seen.set(p, st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : 'special');
    }
  };
  for (const r of roots) visit(r);
  return seen;
}

/** The user's files: everything under ~/.config. */
const userFiles = (host: SandboxHost) => snapshot(host.ctx.env.XDG_CONFIG_HOME!);

/** Temp files an atomic write leaves only when it was interrupted (".<name>.<hex>.tmp"), anywhere in the sandbox. */
function leftoverTemps(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    let names: string[] = [];
    try { names = readdirSync(dir); } catch { return; }
    for (const n of names) {
      const p = path.join(dir, n);
      if (/^\..+\.[0-9a-f]{12}\.tmp$/.test(n)) found.push(p);
      try { if (lstatSync(p).isDirectory()) walk(p); } catch { /* gone */ }
    }
  };
  walk(root);
  return found;
}

function assertNothingLost(host: SandboxHost, before: Map<string, string>, after = userFiles(host)): void {
  assert.deepEqual([...after], [...before], "the user's files changed");
  assert.deepEqual(leftoverTemps(host.root), [], 'half-written temp files left');
}

/** A sandbox home with the previous routes.json in place (so a refusal can be seen to keep it). */
function rosterHost(): { host: SandboxHost; paths: TerokPaths } {
  const host = createSandboxHost({ env: { NO_COLOR: '1' } });
  const paths = resolvePaths(host.ctx);
  host.write(paths.routesJson, OLD_ROUTES, 0o600);
  return { host, paths };
}

/** `terok-setup routes` refuses: exit 1, the stage line and detail as printed, routes.json and the user's files untouched, quickly. */
async function assertRoutesRefused(host: SandboxHost, paths: TerokPaths, headline: string, detail: string | RegExp): Promise<Run> {
  const before = userFiles(host);
  const run = await cli(host, ['routes']);
  assert.equal(run.code, 1, run.out + run.err);
  assert.ok(run.ms < 5000, `took ${run.ms} ms`);
  const lines = run.out.split('\n');
  assert.equal(lines[0], `  Vault routes          FAIL (${headline})`);
  if (typeof detail === 'string') assert.equal(lines[1], ' '.repeat(27) + detail);
  else assert.match(lines[1] ?? '', detail);
  assert.doesNotMatch(run.out + run.err, /Routes written|\n\s+at |E[A-Z]{3,}:/);
  assert.equal(readFileSync(paths.routesJson, 'utf8'), OLD_ROUTES, 'routes.json kept');
  assertNothingLost(host, before);
  return run;
}

/** A sandbox home with the fixture terok installed, ready for `terok-setup install`. */
function installHost(): { host: SandboxHost; paths: TerokPaths } {
  const host = createSandboxHost({ env: { NO_COLOR: '1' } });
  createTerokFixture(host);
  failingKeyctl(host);
  return { host, paths: resolvePaths(host.ctx) };
}

const INSTALL = ['install', '--passphrase-tier', 'kernel-keyring'];

/** The completed line of a stage in printed output (first line of it). */
const stageLine = (out: string, label: string) => out.split('\n').find((l) => l.startsWith(`  ${label.padEnd(21)} `) && !l.endsWith(' '));

function withHost<H extends { host: SandboxHost }>(make: () => H, body: (h: H) => Promise<void>) {
  return async () => {
    const h = make();
    try {
      await body(h);
    } finally {
      h.host.cleanup();
    }
  };
}

// ---- roster directories (terok-setup routes, install) ------------------------------

test('roster: a FIFO named claude.yaml no longer blocks `routes`; it is named, with the fix', withHost(rosterHost, async ({ host, paths }) => {
  const fifo = mkfifo(path.join(paths.userAgentsDir, 'claude.yaml'));
  await assertRoutesRefused(host, paths, `Agent 'claude': user file ${fifo} is not usable`, `${fifo}: it ${FIFO_PROBLEM}`);
  assert.ok(lstatSync(fifo).isFIFO(), 'the FIFO is left where it is');
}));

test('roster: a provider file linked to /dev/zero is refused, not read until memory runs out', withHost(rosterHost, async ({ host, paths }) => {
  const link = linkToDevZero(path.join(paths.userProvidersDir, 'anthropic.yaml'));
  await assertRoutesRefused(host, paths, `Provider 'anthropic': user file ${link} is not usable`, `${link}: it ${DEVICE_PROBLEM}`);
}));

test('roster: a file over 1 MiB is refused by the bytes read', withHost(rosterHost, async ({ host, paths }) => {
  const file = host.write(path.join(paths.userAgentsDir, 'claude.yaml'), `label: x\n#${'x'.repeat(1024 * 1024)}\n`);
  await assertRoutesRefused(host, paths, `Agent 'claude': user file ${file} is not usable`,
    `${file}: it is larger than 1 MiB — a roster file is a few lines of YAML; check that it is the right file`);
}));

test('roster: a directory named codex.yaml is refused with words, not EISDIR', withHost(rosterHost, async ({ host, paths }) => {
  const dir = path.join(paths.userAgentsDir, 'codex.yaml');
  mkdirSync(path.join(dir, 'notes'), { recursive: true });
  await assertRoutesRefused(host, paths, `Agent 'codex': user file ${dir} is not usable`, `${dir}: it ${DIR_PROBLEM}`);
}));

test('roster: an unclosed flow list names the file, line and column', withHost(rosterHost, async ({ host, paths }) => {
  const file = host.write(path.join(paths.userAgentsDir, 'claude.yaml'), 'label: Claude\nauth:\n  modes: [oauth\nkind: native\n');
  await assertRoutesRefused(host, paths, `Agent 'claude': ${file} is not valid YAML`, new RegExp(`^ {27}${file}:4:1: `));
}));

test('roster: tab indentation names the line and column and says to use spaces', withHost(rosterHost, async ({ host, paths }) => {
  const file = host.write(path.join(paths.userProvidersDir, 'openai.yaml'), 'auth:\n\tapi_key:\n    header: x\n');
  await assertRoutesRefused(host, paths, `Provider 'openai': ${file} is not valid YAML`, new RegExp(`^ {27}${file}:2:1: .*indent with spaces, not tabs$`));
}));

test('roster: a duplicate key is pointed at where it repeats', withHost(rosterHost, async ({ host, paths }) => {
  const file = host.write(path.join(paths.userAgentsDir, 'claude.yaml'), 'label: a\nbinary: b\nlabel: c\n');
  await assertRoutesRefused(host, paths, `Agent 'claude': ${file} is not valid YAML`,
    `${file}:3:1: Map keys must be unique — the same key appears twice in one mapping; keep only one`);
}));

test('roster: a file that is not UTF-8 is refused', withHost(rosterHost, async ({ host, paths }) => {
  const file = path.join(paths.userAgentsDir, 'claude.yaml');
  mkdirSync(paths.userAgentsDir, { recursive: true });
  writeFileSync(file, Buffer.from('label: Caf\xe9\n', 'latin1'));
  await assertRoutesRefused(host, paths, `Agent 'claude': user file ${file} is not usable`, `${file}: it is not UTF-8 text — save it as UTF-8`);
}));

test('roster: a dangling symlink is named as one', withHost(rosterHost, async ({ host, paths }) => {
  const link = path.join(paths.userAgentsDir, 'claude.yaml');
  mkdirSync(paths.userAgentsDir, { recursive: true });
  symlinkSync(path.join(host.root, 'dotfiles', 'gone.yaml'), link);
  await assertRoutesRefused(host, paths, `Agent 'claude': user file ${link} is not usable`, `${link}: it is a symbolic link to a file that does not exist — fix or remove the link`);
}));

test('roster: an unreadable file (mode 0000) says permission denied and how to look', ROOT_SKIP, withHost(rosterHost, async ({ host, paths }) => {
  const file = host.write(path.join(paths.userAgentsDir, 'claude.yaml'), 'label: x\n', 0o000);
  await assertRoutesRefused(host, paths, `Agent 'claude': user file ${file} is not usable`,
    `${file}: it cannot be read: permission denied — check its owner and permissions (ls -l), or remove it`);
}));

test('roster: a symlink into a dotfile repo is followed, and the repo file is left alone', withHost(rosterHost, async ({ host, paths }) => {
  const real = host.write('dotfiles/providers/gitlab.yaml', 'upstream: https://gitlab.example.org\n');
  mkdirSync(paths.userProvidersDir, { recursive: true });
  symlinkSync(real, path.join(paths.userProvidersDir, 'gitlab.yaml'));
  const before = snapshot(path.join(host.root, 'dotfiles'));
  const run = await cli(host, ['routes']);
  assert.equal(run.code, 0, run.out);
  assert.equal(run.out, `  Vault routes          ok (regenerated)\nRoutes written to ${paths.routesJson}\n`);
  assert.equal((JSON.parse(readFileSync(paths.routesJson, 'utf8')) as Record<string, { upstream: string }>).gitlab?.upstream, 'https://gitlab.example.org');
  assert.deepEqual([...snapshot(path.join(host.root, 'dotfiles'))], [...before]);
}));

test('roster: a second `routes` keeps routes.json as it is — same bytes, inode and mtime', withHost(rosterHost, async ({ host, paths }) => {
  assert.equal((await cli(host, ['routes'])).code, 0);
  const first = statSync(paths.routesJson);
  const bytes = readFileSync(paths.routesJson);
  await new Promise((r) => setTimeout(r, 20));
  const again = await cli(host, ['routes']);
  assert.equal(again.code, 0);
  assert.match(again.out, /Vault routes {10}ok \(regenerated\)/);
  const second = statSync(paths.routesJson);
  assert.equal(second.ino, first.ino);
  assert.equal(second.mtimeMs, first.mtimeMs);
  assert.ok(readFileSync(paths.routesJson).equals(bytes));
}));

test('roster: `install` with a FIFO in the roster stops at Vault routes, exit 1 — nothing else runs, no stamp', withHost(installHost, async ({ host, paths }) => {
  const fifo = mkfifo(path.join(paths.userAgentsDir, 'claude.yaml'));
  const before = userFiles(host);
  const run = await cli(host, INSTALL);
  assert.equal(run.code, 1, run.out + run.err);
  assert.equal(stageLine(run.out, 'Vault routes'), `  Vault routes          FAIL (Agent 'claude': user file ${fifo} is not usable)`);
  assert.ok(run.out.includes(`${fifo}: it ${FIFO_PROBLEM}`));
  assert.doesNotMatch(run.out, /Shield hooks|Supervisor hooks/);
  assert.equal(existsSync(paths.setupStamp), false);
  assert.equal(existsSync(paths.containersConf), false, 'containers.conf not created');
  assertNothingLost(host, before);
}));

// ---- config.yml (check --json on a ready host; TEROK_CONFIG_FILE) ------------------

/** `check --json` on a ready host with `config.yml` broken as `make` breaks it: still ready (exit 0), the warning names the file. */
async function assertConfigWarning(make: (file: string, host: SandboxHost) => void, expected: (file: string) => string | RegExp): Promise<void> {
  const { host } = gateHost('ubuntu:24.04');
  try {
    const file = path.join(host.ctx.env.XDG_CONFIG_HOME!, 'terok', 'config.yml');
    make(file, host);
    const before = userFiles(host);
    const run = await cli(host, ['check', '--json']);
    assert.equal(run.code, 0, run.err);
    assert.ok(run.ms < 10_000, `took ${run.ms} ms`);
    const report = JSON.parse(run.out) as { verdict: string; warnings: string[] };
    const want = expected(file);
    const found = report.warnings.find((w) => (typeof want === 'string' ? w === want : want.test(w)));
    assert.ok(found, `no warning ${String(want)} in ${JSON.stringify(report.warnings)}`);
    assertNothingLost(host, before);
  } finally {
    host.cleanup();
  }
}

test('config.yml: a FIFO is a warning naming it, not a hang; the host still checks ready', () => assertConfigWarning(
  (file) => { mkfifo(file); },
  (file) => `Terok config file ${file} ${FIFO_PROBLEM}; ignoring it`,
));

test('config.yml: a symlink to /dev/zero is a warning, never read', () => assertConfigWarning(
  (file) => { linkToDevZero(file); },
  (file) => `Terok config file ${file} ${DEVICE_PROBLEM}; ignoring it`,
));

test('config.yml: a YAML error names file, line and column', () => assertConfigWarning(
  (file, host) => { host.write(file, 'image:\n  base_image: ubuntu:24.04\n  agents: [claude\ncredentials: {}\n'); },
  (file) => new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4:1: not valid YAML \\(.+\\); ignoring it$`),
));

test('config.yml: a directory at the path is a warning with words, not EISDIR', () => assertConfigWarning(
  (file) => { mkdirSync(path.join(file, 'old'), { recursive: true }); },
  (file) => `Terok config file ${file} ${DIR_PROBLEM}; ignoring it`,
));

test('config.yml: a file over 1 MiB is a warning naming the cap', () => assertConfigWarning(
  (file, host) => { host.write(file, `# ${'x'.repeat(1024 * 1024)}\n`); },
  (file) => `Terok config file ${file} is larger than 1 MiB — config.yml holds a few settings; check that it is the right file; ignoring it`,
));

test('config.yml: TEROK_CONFIG_FILE naming a FIFO is a warning too; check still answers (exit 3: not set up)', async () => {
  const host = createSandboxHost({ inheritPath: false });
  try {
    const fifo = mkfifo(path.join(host.root, 'elsewhere', 'terok.yml'));
    const run = await cli({ ...host, ctx: { ...host.ctx, env: { ...host.ctx.env, TEROK_CONFIG_FILE: fifo } } }, ['check', '--json']);
    assert.equal(run.code, 3, run.err);
    assert.ok((JSON.parse(run.out) as { warnings: string[] }).warnings.includes(`Terok config file ${fifo} ${FIFO_PROBLEM}; ignoring it`));
    assert.ok(lstatSync(fifo).isFIFO());
  } finally {
    host.cleanup();
  }
});

// ---- containers.conf (install; check) -----------------------------------------------

test('containers.conf: read-only (0444) is refused by both hook stages, exit 1; bytes, mode and inode kept; no stamp', withHost(installHost, async ({ host, paths }) => {
  const original = '# my podman settings\n[engine]\nruntime = "crun"\n';
  host.write(paths.containersConf, original, 0o444);
  const ino = statSync(paths.containersConf).ino;
  const before = userFiles(host);
  const run = await cli(host, INSTALL);
  assert.equal(run.code, 1, run.out + run.err);
  for (const [label, dir] of [['Shield hooks', paths.shieldHooksDir], ['Supervisor hooks', paths.supervisorHooksDir]] as const) {
    assert.equal(stageLine(run.out, label), `  ${label.padEnd(21)} FAIL (${paths.containersConf} is read-only (mode 0444), so Terok Setup does not replace it. ` +
      `Make it writable (chmod u+w ${paths.containersConf}) and re-run setup, or add "${dir}" to [engine] hooks_dir in it yourself. Nothing was changed.)`);
  }
  assert.equal(statSync(paths.containersConf).ino, ino);
  assert.equal(existsSync(paths.setupStamp), false);
  assertNothingLost(host, before);

  // The check says so before any install: the sandbox step's containers.conf plan carries the refusal.
  const check = await cli(host, ['check', '--json']);
  const sandbox = (JSON.parse(check.out) as { steps: { id: string; facts: { containersConfPlan: { error: string | null } } }[] }).steps.find((s) => s.id === 'sandbox')!;
  assert.match(sandbox.facts.containersConfPlan.error ?? '', /is read-only \(mode 0444\), so Terok Setup does not replace it/);
  assertNothingLost(host, before);
}));

test('containers.conf: a directory at the path fails both hook stages with words, no EISDIR; its contents stay', withHost(installHost, async ({ host, paths }) => {
  host.write(path.join(paths.containersConf, 'my-notes.txt'), 'keep me\n');
  const before = userFiles(host);
  const run = await cli(host, INSTALL);
  assert.equal(run.code, 1, run.out + run.err);
  const refusal = `Podman config file ${paths.containersConf} ${DIR_PROBLEM}. Terok Setup did not change it.`;
  assert.equal(stageLine(run.out, 'Shield hooks'), `  Shield hooks          FAIL (${refusal})`);
  assert.equal(stageLine(run.out, 'Supervisor hooks'), `  Supervisor hooks      FAIL (${refusal})`);
  assert.doesNotMatch(run.out + run.err, /EISDIR/);
  assertNothingLost(host, before);
}));

test('containers.conf: CRLF and no final newline survive the install; only our entries are added', withHost(installHost, async ({ host, paths }) => {
  host.write(paths.containersConf, '# podman settings\r\n[engine]\r\nruntime = "crun"', 0o640);
  const run = await cli(host, INSTALL);
  assert.equal(run.code, 0, run.out + run.err);
  assert.equal(readFileSync(paths.containersConf, 'utf8'),
    `# podman settings\r\n[engine]\r\nhooks_dir = ["${paths.shieldHooksDir}", "${paths.supervisorHooksDir}"]\r\nruntime = "crun"`);
  assert.equal(statSync(paths.containersConf).mode & 0o7777, 0o640, 'mode kept');
  assert.deepEqual(leftoverTemps(host.root), []);
}));

test('containers.conf: a file that is not UTF-8 is refused unchanged (not rewritten with U+FFFD)', withHost(installHost, async ({ host, paths }) => {
  mkdirSync(path.dirname(paths.containersConf), { recursive: true });
  writeFileSync(paths.containersConf, Buffer.from('# r\xe9glages\n[engine]\n', 'latin1'));
  const before = userFiles(host);
  const run = await cli(host, INSTALL);
  assert.equal(run.code, 1);
  assert.equal(stageLine(run.out, 'Shield hooks'), `  Shield hooks          FAIL (Podman config file ${paths.containersConf} is not UTF-8 text — save it as UTF-8. Terok Setup did not change it.)`);
  assertNothingLost(host, before);
}));

test('containers.conf: a FIFO is refused at once by `install --no-shield`, exit 1', withHost(installHost, async ({ host, paths }) => {
  mkfifo(paths.containersConf);
  const before = userFiles(host);
  const run = await cli(host, [...INSTALL, '--no-shield']);
  assert.equal(run.code, 1, run.out + run.err);
  assert.ok(run.ms < 20_000, `took ${run.ms} ms`);
  assert.equal(stageLine(run.out, 'Supervisor hooks'), `  Supervisor hooks      FAIL (Podman config file ${paths.containersConf} ${FIFO_PROBLEM}. Terok Setup did not change it.)`);
  assertNothingLost(host, before);
}));

test('containers.conf: a symlink to /dev/zero is refused as a link, never followed or read', withHost(installHost, async ({ host, paths }) => {
  linkToDevZero(paths.containersConf);
  const before = userFiles(host);
  const run = await cli(host, [...INSTALL, '--no-shield']);
  assert.equal(run.code, 1);
  assert.match(stageLine(run.out, 'Supervisor hooks') ?? '', /FAIL \(.*containers\.conf is a symbolic link; Terok Setup does not edit through links\./);
  assertNothingLost(host, before);
}));

test('containers.conf: `check --json` with a FIFO there answers instead of blocking', async () => {
  const { host } = gateHost('ubuntu:24.04');
  try {
    rmSync(resolvePaths(host.ctx).containersConf);
    mkfifo(resolvePaths(host.ctx).containersConf);
    assert.equal((await cli(host, ['check', '--json'])).code, 3);
  } finally {
    host.cleanup();
  }
});

test('install twice on a ready host: the second leaves routes.json and containers.conf alone (same inode and mtime)', withHost(installHost, async ({ host, paths }) => {
  assert.equal((await cli(host, INSTALL)).code, 0);
  const routes = statSync(paths.routesJson);
  const conf = statSync(paths.containersConf);
  await new Promise((r) => setTimeout(r, 20));
  const again = await cli(host, ['install']);
  assert.equal(again.code, 0, again.out + again.err);
  assert.equal(statSync(paths.routesJson).ino, routes.ino);
  assert.equal(statSync(paths.routesJson).mtimeMs, routes.mtimeMs);
  assert.equal(statSync(paths.containersConf).ino, conf.ino);
  assert.equal(statSync(paths.containersConf).mtimeMs, conf.mtimeMs);
  assert.deepEqual(leftoverTemps(host.root), []);
}));

// ---- setup stamp (check --json; install) ---------------------------------------------

/** `check --json` on a ready host whose stamp `make` broke: exit 3, stamp_corrupt, and why. */
async function assertStampCorrupt(make: (stamp: string, host: SandboxHost) => void, reason: string | RegExp): Promise<void> {
  const { host } = gateHost('ubuntu:24.04');
  try {
    const stamp = resolvePaths(host.ctx).setupStamp;
    rmSync(stamp);
    make(stamp, host);
    const before = snapshot(host.ctx.env.XDG_CONFIG_HOME!, stamp);
    const run = await cli(host, ['check', '--json']);
    assert.equal(run.code, 3, run.err);
    assert.ok(run.ms < 10_000, `took ${run.ms} ms`);
    const setup = (JSON.parse(run.out) as { setup: { verdict: string; message: string } }).setup;
    assert.equal(setup.verdict, 'stamp_corrupt');
    const prefix = `The setup stamp ${stamp} is unreadable: `;
    assert.ok(setup.message.startsWith(prefix) && setup.message.endsWith('. Run setup again to refresh it.'), setup.message);
    const why = setup.message.slice(prefix.length, -'. Run setup again to refresh it.'.length);
    if (typeof reason === 'string') assert.equal(why, reason); else assert.match(why, reason);
    assert.deepEqual([...snapshot(host.ctx.env.XDG_CONFIG_HOME!, stamp)], [...before], 'check changed nothing');
    assert.deepEqual(leftoverTemps(host.root), []);
  } finally {
    host.cleanup();
  }
}

test('stamp: a FIFO is stamp_corrupt saying so (exit 3), not a hang', () => assertStampCorrupt((stamp) => { mkfifo(stamp); }, `it ${FIFO_PROBLEM}`));

test('stamp: a symlink to /dev/zero is stamp_corrupt, never read', () => assertStampCorrupt((stamp) => { linkToDevZero(stamp); }, `it ${DEVICE_PROBLEM}`));

test('stamp: a directory is stamp_corrupt with words', () => assertStampCorrupt((stamp) => { mkdirSync(path.join(stamp, 'x'), { recursive: true }); }, `it ${DIR_PROBLEM}`));

test('stamp: a file over 64 KiB is stamp_corrupt naming the cap', () => assertStampCorrupt(
  (stamp, host) => { host.write(stamp, `{"version": 1, "packages": {}, "pad": "${'x'.repeat(64 * 1024)}"}`); },
  'it is larger than 64 KiB — a stamp is a few lines of JSON; check that it is the right file',
));

test('stamp: unreadable (mode 0000) is stamp_corrupt with the permissions hint', ROOT_SKIP, () => assertStampCorrupt(
  (stamp, host) => { host.write(stamp, '{"version": 1, "packages": {}}', 0o000); },
  'it cannot be read: permission denied — check its owner and permissions (ls -l), or remove it',
));

test('stamp: `install` over a directory at the stamp path fails naming the file, exit 1; the directory is kept', withHost(installHost, async ({ host, paths }) => {
  host.write(path.join(paths.setupStamp, 'keep.txt'), 'mine\n');
  const before = snapshot(paths.setupStamp);
  const run = await cli(host, INSTALL);
  assert.equal(run.code, 1, run.out + run.err);
  // Printed as the task's failure (or as a stage's FAIL line, wherever the install reports the stamp write).
  const shown = run.out + run.err;
  assert.ok(shown.includes(`expected a file but found a directory while writing the setup stamp (${paths.setupStamp})`), shown);
  assert.ok(shown.includes(`file: ${paths.setupStamp} (the previous stamp, if any, was left as it was)`), shown);
  assert.doesNotMatch(shown, /\.tmp\b|EISDIR/, 'names the stamp, not the temp file, in words');
  assert.deepEqual([...snapshot(paths.setupStamp)], [...before]);
  assert.deepEqual(leftoverTemps(host.root), []);
}));

test('stamp: `install` replaces a FIFO at the stamp path with a real stamp (exit 0)', withHost(installHost, async ({ host, paths }) => {
  mkfifo(paths.setupStamp);
  const run = await cli(host, INSTALL);
  assert.equal(run.code, 0, run.out + run.err);
  assert.ok(statSync(paths.setupStamp).isFile());
  const stamp = JSON.parse(readFileSync(paths.setupStamp, 'utf8')) as { version: number };
  assert.equal(stamp.version, 1);
  assert.deepEqual(leftoverTemps(host.root), []);
}));
