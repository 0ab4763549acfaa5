#!/usr/bin/env node
// Host guard: proves the test suites leave the machine as they found it.
//
//   node scripts/host-guard.mjs snapshot FILE   record the watched state before the suites
//   node scripts/host-guard.mjs check FILE      compare after the suites; exit 1 on any change
//
// Watched: /dev/null (must stay the character device 1,3 with mode 0666), the
// system and per-user podman and terok config/state trees (every file's type,
// mode, owner and content hash), the podman containers and images of root
// and of the lane's unprivileged user, and terok-* entries in the temp dir
// (anything a suite left behind).
// HOST_GUARD_USER / HOST_GUARD_USER_RUNTIME name that user and the
// XDG_RUNTIME_DIR its podman runs with; HOST_GUARD_ROOT (tests only) prefixes
// every watched path so the guard can be exercised on a fake host.
// Plain JavaScript on purpose: it must run on whatever Node the machine has.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const SYSTEM_TREES = ['/etc/containers', '/usr/share/containers', '/etc/terok', '/var/lib/terok', '/run/terok'];
const HOME_TREES = ['.config/containers', '.local/share/terok', '.config/terok', '.local/state/terok'];

/** The one device every shell redirect relies on. */
export function checkDevNull(file) {
  let st;
  try { st = lstatSync(file); } catch (err) { return [`${file} is gone (${err.code})`]; }
  if (!st.isCharacterDevice()) return [`${file} is no longer a character device (restore: rm -f ${file} && mknod -m 666 ${file} c 1 3)`];
  const problems = [];
  const major = Math.floor(st.rdev / 256) & 0xfff;
  const minor = (st.rdev & 0xff) | ((Math.floor(st.rdev / 2 ** 20) & 0xfff) << 8);
  if (major !== 1 || minor !== 3) problems.push(`${file} is device ${major},${minor}, not 1,3`);
  if ((st.mode & 0o7777) !== 0o666) problems.push(`${file} has mode ${(st.mode & 0o7777).toString(8)}, not 666`);
  return problems;
}

function entryOf(file, st) {
  const e = { mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid };
  if (st.isDirectory()) return { type: 'dir', ...e };
  if (st.isSymbolicLink()) return { type: 'link', ...e, target: readlinkSync(file) };
  if (st.isFile()) {
    let sha256;
    try { sha256 = createHash('sha256').update(readFileSync(file)).digest('hex'); } catch (err) { sha256 = `unreadable: ${err.code}`; }
    return { type: 'file', ...e, size: st.size, sha256 };
  }
  return { type: st.isCharacterDevice() ? 'chardev' : st.isBlockDevice() ? 'blockdev' : st.isFIFO() ? 'fifo' : 'socket', ...e, rdev: st.rdev };
}

/** Every entry under `root` (not following links), keyed by absolute path; {} when root is absent. */
export function snapshotTree(root) {
  const out = {};
  const walk = (file) => {
    let st;
    try { st = lstatSync(file); } catch { return; }
    out[file] = entryOf(file, st);
    if (st.isDirectory()) {
      let names = [];
      try { names = readdirSync(file).sort(); } catch (err) { out[file].unlistable = err.code; }
      for (const name of names) walk(path.join(file, name));
    }
  };
  walk(root);
  return out;
}

/** Lines describing what was added, removed or changed between two tree snapshots. */
export function diffTrees(before, after) {
  const problems = [];
  for (const [file, was] of Object.entries(before)) {
    const now = after[file];
    if (!now) problems.push(`removed: ${file} (${was.type})`);
    else if (JSON.stringify(now) !== JSON.stringify(was)) {
      const fields = Object.keys({ ...was, ...now }).filter((k) => JSON.stringify(was[k]) !== JSON.stringify(now[k]));
      problems.push(`changed: ${file} (${fields.map((k) => `${k} ${was[k]} → ${now[k]}`).join(', ')})`);
    }
  }
  for (const file of Object.keys(after)) if (!before[file]) problems.push(`added: ${file} (${after[file].type})`);
  return problems;
}

function homeOf(user) {
  if (!user) return os.homedir();
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`HOST_GUARD_USER ${user} does not exist`);
  return line.split(':')[5];
}

/** The podman objects one identity owns: container names and image ids with their tags. */
function podmanState(user, runtimeDir) {
  const base = ['podman'];
  const cmd = user
    ? ['runuser', '-u', user, '--', 'env', '-i', `PATH=${process.env.PATH}`, `HOME=${homeOf(user)}`, `USER=${user}`, `XDG_RUNTIME_DIR=${runtimeDir}`, ...base]
    : base;
  const run = (args) => {
    try {
      return execFileSync(cmd[0], [...cmd.slice(1), ...args], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      if (err.code === 'ENOENT' && !user) return ''; // no podman on this host: nothing to watch
      throw new Error(`${user ?? 'root'}: podman ${args.join(' ')} failed: ${String(err.stderr ?? err.message).trim()}`, { cause: err });
    }
  };
  const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean).sort();
  return {
    containers: lines(run(['ps', '--all', '--format', '{{.Names}} {{.Image}}'])),
    // Labels name the test run that built an image (terok.test.run), so a leftover points at its suite.
    images: lines(run(['images', '--all', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}} {{.Labels}}'])),
  };
}

function diffLists(label, before, after) {
  const had = new Set(before);
  const has = new Set(after);
  return [
    ...after.filter((x) => !had.has(x)).map((x) => `left behind: ${label} ${x}`),
    ...before.filter((x) => !has.has(x)).map((x) => `removed: ${label} ${x}`),
  ];
}

/** Names in the temp dir that test helpers and the product's own temp files start with. */
function tempLeftovers(dir) {
  try { return readdirSync(dir).filter((n) => n.startsWith('terok-')).sort(); } catch { return []; }
}

/** The watched state of this host (or of the fake host under `prefix`). */
export function snapshotHost({ prefix = '', user, runtimeDir, podman = true } = {}) {
  const at = (p) => (prefix ? path.join(prefix, p) : p);
  const homes = [os.homedir(), ...(user ? [homeOf(user)] : [])];
  const trees = {};
  for (const t of SYSTEM_TREES) Object.assign(trees, snapshotTree(at(t)));
  for (const h of homes) for (const t of HOME_TREES) Object.assign(trees, snapshotTree(at(path.join(h, t))));
  return {
    devNull: at('/dev/null'),
    trees,
    temp: tempLeftovers(at(os.tmpdir())),
    podman: podman ? { root: podmanState(undefined), ...(user ? { user: podmanState(user, runtimeDir) } : {}) } : {},
  };
}

/** Everything wrong with `after`, compared with `before`: an empty list means the host is intact. */
export function compareHost(before, after) {
  const problems = [...checkDevNull(after.devNull), ...diffTrees(before.trees, after.trees)];
  const hadTemp = new Set(before.temp ?? []);
  for (const name of after.temp ?? []) if (!hadTemp.has(name)) problems.push(`left behind: ${path.join(os.tmpdir(), name)}`);
  for (const who of Object.keys(after.podman)) {
    const was = before.podman[who] ?? { containers: [], images: [] };
    problems.push(...diffLists(`${who} container`, was.containers, after.podman[who].containers));
    problems.push(...diffLists(`${who} image`, was.images, after.podman[who].images));
  }
  return problems;
}

function main([command, file]) {
  const opts = { prefix: process.env.HOST_GUARD_ROOT ?? '', user: process.env.HOST_GUARD_USER || undefined, runtimeDir: process.env.HOST_GUARD_USER_RUNTIME, podman: process.env.HOST_GUARD_PODMAN !== '0' };
  if (!file || !['snapshot', 'check'].includes(command)) {
    console.error('usage: host-guard.mjs snapshot|check FILE');
    return 2;
  }
  if (command === 'snapshot') {
    const snap = snapshotHost(opts);
    const broken = checkDevNull(snap.devNull);
    if (broken.length) {
      console.error(`host guard: the host is already damaged before the tests:\n  ${broken.join('\n  ')}`);
      return 1;
    }
    writeFileSync(file, JSON.stringify(snap));
    console.log(`host guard: recorded ${Object.keys(snap.trees).length} watched paths and the podman state`);
    return 0;
  }
  const problems = compareHost(JSON.parse(readFileSync(file, 'utf8')), snapshotHost(opts));
  if (problems.length) {
    console.error(`host guard: the test suites changed this host (${problems.length}):\n  ${problems.join('\n  ')}`);
    return 1;
  }
  console.log('host guard: the host is as the suites found it');
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main(process.argv.slice(2));
