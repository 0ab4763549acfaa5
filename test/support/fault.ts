/**
 * The fault suite's harness: the real `terok-setup` CLI as a child process
 * against a sandbox host, fake executables that hold a window open (so a
 * test can interrupt the CLI while a child runs), and tree snapshots to
 * prove nothing was lost.
 *
 * The CLI builds its HostContext from its environment, so the child gets
 * the sandbox's HOME, XDG dirs and PATH (plus NO_COLOR=1, CI=true and a
 * TMPDIR inside the sandbox). It must see a non-root user, as every sandbox
 * host does: as real root it would use /var/lib/terok, /etc/terok and
 * /run/terok. So in the root lane the child runs in a new user namespace
 * (`unshare --user --map-root-user`: uid 0 mapped to root, uid_map `0 0 1`,
 * which the CLI does not count as real root); `unshare` execs, so the pid
 * the test holds is the CLI's own.
 *
 * Every child is spawned `detached` (its own process group); everything a
 * host started — CLI groups and the pids the fakes recorded — is killed by
 * disposeFaultHost(), before the sandbox is removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSandboxHost, type SandboxHost, type SandboxOptions } from './host.ts';

export const CLI_ENTRY = path.resolve(import.meta.dirname, '../../main/cli/index.ts');

const SLEEP = ['/usr/bin/sleep', '/bin/sleep'].find((p) => existsSync(p)) ?? 'sleep';
const UNSHARE = ['/usr/bin/unshare', '/bin/unshare'].find((p) => existsSync(p)) ?? 'unshare';

/** euid 0 in the initial user namespace: what the CLI would treat as real root. */
export function runningAsRealRoot(): boolean {
  if (process.geteuid?.() !== 0) return false;
  try {
    return readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).join(' ') === '0 0 4294967295';
  } catch {
    return true;
  }
}

// ---- what each host started, for disposeFaultHost ------------------------

interface Started {
  groups: Set<number>;
  markers: Set<string>;
}
const started = new Map<string, Started>();
function startedBy(host: SandboxHost): Started {
  let s = started.get(host.root);
  if (!s) started.set(host.root, (s = { groups: new Set(), markers: new Set() }));
  return s;
}

// ---- processes --------------------------------------------------------------

/** Whether `pid` is a live process (a zombie, dead but not yet reaped, counts as gone). */
export function aliveProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false; // gone between the two looks
  }
}

/** Poll until `pid` is gone; false if it still runs after `timeoutMs`. */
export async function waitForDeath(pid: number, timeoutMs = 1000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (aliveProcess(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

function tryKill(target: number, signal: NodeJS.Signals): void {
  try { process.kill(target, signal); } catch { /* gone */ }
}

/** Wait until `file` exists and satisfies `ready` (default: non-empty and ending in a newline). */
export async function waitForFile(file: string, timeoutMs = 10_000, ready: (text: string) => boolean = (t) => t.endsWith('\n')): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const text = readFileSync(file, 'utf8');
      if (ready(text)) return text;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await sleep(20);
  }
}

// ---- the CLI as a child -------------------------------------------------------

export interface SpawnCliOptions {
  /** Written to the CLI's stdin, which is then closed (default: closed at once). */
  stdin?: string;
  /** Hard limit: the whole process group is SIGKILLed and `timedOut` set (default 30 s). */
  timeoutMs?: number;
  /** Extra environment on top of the host's. */
  env?: Record<string, string>;
}

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Milliseconds from spawn to exit. */
  ms: number;
}

export interface CliRun {
  child: ChildProcess;
  /** The CLI's pid, also its process group id. */
  pid: number;
  readonly stdout: string;
  readonly stderr: string;
  exited: Promise<CliExit>;
  /** Signal the CLI process itself (as `kill -INT <pid>` does). */
  signal(sig: NodeJS.Signals): void;
  /** Signal the CLI's whole process group (its children run in groups of their own). */
  signalGroup(sig: NodeJS.Signals): void;
  /** Resolves with the exit, or rejects once `ms` have passed without one. */
  exitWithin(ms: number): Promise<CliExit>;
}

/** The environment the CLI child gets: the host's, NO_COLOR=1, CI=true, TMPDIR in the sandbox. */
export function cliEnv(host: SandboxHost, extra: Record<string, string> = {}): Record<string, string> {
  const tmp = path.join(host.root, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(host.ctx.env)) if (v !== undefined) env[k] = v;
  return { ...env, NO_COLOR: '1', CI: 'true', TMPDIR: tmp, ...extra };
}

export function spawnCli(host: SandboxHost, args: readonly string[], opts: SpawnCliOptions = {}): CliRun {
  const node = [process.execPath, '--disable-warning=ExperimentalWarning', CLI_ENTRY, ...args];
  const [file, ...argv] = runningAsRealRoot() ? [UNSHARE, '--user', '--map-root-user', '--', ...node] : node;
  const child = spawn(file!, argv, { env: cliEnv(host, opts.env), cwd: host.home, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not spawn the CLI (${file})`);
  const pid = child.pid;
  startedBy(host).groups.add(pid);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  child.stdin!.on('error', () => { /* the CLI exited before reading */ });
  child.stdin!.end(opts.stdin ?? '');
  const t0 = Date.now();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; tryKill(-pid, 'SIGKILL'); }, opts.timeoutMs ?? 30_000);
  const exited = new Promise<CliExit>((resolve) => {
    // 'close': the exit and every byte of output (pipes held by a leftover child would delay it, so 'exit' + drain).
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const finish = () => resolve({ code, signal, timedOut, stdout, stderr, ms: Date.now() - t0 });
      let done = false;
      const once = () => { if (!done) { done = true; finish(); } };
      child.on('close', once);
      setTimeout(once, 300).unref(); // a surviving grandchild may hold the pipes open
    });
  });
  return {
    child, pid, exited,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    signal: (sig) => tryKill(pid, sig),
    signalGroup: (sig) => tryKill(-pid, sig),
    exitWithin: (ms) => Promise.race([
      exited,
      sleep(ms).then(() => { throw new Error(`the CLI did not exit within ${ms} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`); }),
    ]),
  };
}

/** Run the CLI to its end (see spawnCli). */
export function runCli(host: SandboxHost, args: readonly string[], opts: SpawnCliOptions = {}): Promise<CliExit> {
  return spawnCli(host, args, opts).exited;
}

/** Lines that mean node crashed or printed an error object instead of a message; [] when clean. */
export function crashLines(text: string): string[] {
  return text.split('\n').filter((l) =>
    /^\s+at\s/.test(l) || /^(?:\w+)?Error(?: \[\w+\])?:/.test(l) || /^Node\.js v\d/.test(l) || /^Uncaught\b/.test(l) || l.includes('node:internal/'));
}

// ---- fake executables -------------------------------------------------------------

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface WaitingBinOptions {
  /** Appended with the pid of each invocation that opened the window (one per line). */
  startedMarker: string;
  /** Only invocations whose first argument is this one wait; the rest run `otherwise`. Default: every invocation waits. */
  when?: string;
  /** Shell for the other invocations (default: exit 0). */
  otherwise?: string;
  /** The waiter ignores SIGTERM, SIGINT and SIGHUP: only SIGKILL stops it. */
  ignoreTerm?: boolean;
  /** Every invocation's arguments are appended here (one line each). */
  callsLog?: string;
}

export interface WaitingBin {
  path: string;
  marker: string;
  /** Wait until an invocation opened the window; its pid. */
  started(timeoutMs?: number): Promise<number>;
  /** Every pid that opened the window so far. */
  pids(): number[];
}

const readPids = (file: string) => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

/** The shell that opens the window: record our pid, then become a sleeper with that pid. */
const windowShell = (marker: string, ignoreTerm: boolean) =>
  `${ignoreTerm ? "trap '' TERM INT HUP; " : ''}echo $$ >> ${shq(marker)}; exec ${SLEEP} 1000`;

/**
 * A fake `name` in host.bin that, when run, writes its own pid to
 * `startedMarker` and then blocks (`exec sleep 1000`, so the pid recorded
 * is the sleeper's): the window in which a test interrupts the CLI.
 */
export function waitingBin(host: SandboxHost, name: string, opts: WaitingBinOptions): WaitingBin {
  const log = opts.callsLog ? `echo "$*" >> ${shq(opts.callsLog)}\n` : '';
  const wait = windowShell(opts.startedMarker, opts.ignoreTerm ?? false);
  const body = opts.when === undefined
    ? wait
    : `case "$1" in\n  ${opts.when}) ${wait} ;;\n  *) ${opts.otherwise ?? 'exit 0'} ;;\nesac`;
  const file = host.writeBin(name, `#!/bin/sh\n# fault-suite fake ${name}\n${log}${body}\n`);
  startedBy(host).markers.add(opts.startedMarker);
  return {
    path: file,
    marker: opts.startedMarker,
    started: async (timeoutMs = 10_000) => Number((await waitForFile(opts.startedMarker, timeoutMs)).split('\n')[0]),
    pids: () => readPids(opts.startedMarker),
  };
}

/** A keyctl that blocks on `padd` (the passphrase store) and fails everything else — never the real user keyring. */
export function blockingKeyctl(host: SandboxHost, opts: { ignoreTerm?: boolean } = {}): WaitingBin {
  return waitingBin(host, 'keyctl', {
    startedMarker: path.join(host.root, 'keyctl-padd.started'),
    callsLog: path.join(host.root, 'keyctl-calls.log'),
    when: 'padd',
    otherwise: 'echo "keyctl: disabled in tests" >&2; exit 1',
    ignoreTerm: opts.ignoreTerm ?? false,
  });
}

// ---- fake podman variants --------------------------------------------------------

export interface FaultyPodman {
  /** Where the fake is (absent for `missing`). */
  path: string | null;
  /** Every call's arguments, in order. */
  calls(): string[];
  /** The window of a waiting variant (null for the others). */
  window: WaitingBin | null;
}

export const FAILING_PODMAN_MESSAGE = 'cannot open the container storage: database is locked (fake podman, exit 125)';

function podmanCallsLog(host: SandboxHost): { file: string; read(): string[] } {
  const file = path.join(host.root, 'podman-calls.log');
  return { file, read: () => { try { return readFileSync(file, 'utf8').split('\n').filter(Boolean); } catch { return []; } } };
}

/** Every call waits forever (until killed): a podman that hangs on its socket or storage lock. */
export function hangingPodman(host: SandboxHost): FaultyPodman {
  const log = podmanCallsLog(host);
  const window = waitingBin(host, 'podman', { startedMarker: path.join(host.root, 'podman.started'), callsLog: log.file });
  return { path: window.path, calls: log.read, window };
}

/** Every call fails with exit 125 and FAILING_PODMAN_MESSAGE on stderr. */
export function failingPodman(host: SandboxHost, message = FAILING_PODMAN_MESSAGE): FaultyPodman {
  const log = podmanCallsLog(host);
  const file = host.writeBin('podman', `#!/bin/sh\n# fault-suite fake podman: always fails\necho "$*" >> ${shq(log.file)}\necho ${shq(message)} >&2\nexit 125\n`);
  return { path: file, calls: log.read, window: null };
}

export const GARBAGE_VERSION = 'banana';

/**
 * A podman whose version is garbage: `podman --version` prints `podman
 * version banana`, `podman version [--format …]` prints `banana`; images are
 * never found (`image exists` 1), anything else fails with exit 125.
 */
export function garbageVersionPodman(host: SandboxHost): FaultyPodman {
  const log = podmanCallsLog(host);
  const file = host.writeBin('podman', `#!/bin/sh
# fault-suite fake podman: nonsense version
echo "$*" >> ${shq(log.file)}
case "$1" in
  --version) echo "podman version ${GARBAGE_VERSION}" ;;
  version) echo "${GARBAGE_VERSION}" ;;
  image) [ "$2" = exists ] && exit 1; echo "image $2: unsupported by the fake" >&2; exit 125 ;;
  *) echo "unsupported by the fake: $*" >&2; exit 125 ;;
esac
`);
  return { path: file, calls: log.read, window: null };
}

/**
 * A podman good enough for `terok-setup build` up to the build itself:
 * version 5.0.0, no images, no containers, `rm` and `tag` succeed; `build`
 * opens the window and blocks (`ignoreTerm`: it survives SIGTERM too).
 */
export function buildHangingPodman(host: SandboxHost, opts: { ignoreTerm?: boolean } = {}): FaultyPodman {
  const log = podmanCallsLog(host);
  const window = waitingBin(host, 'podman', {
    startedMarker: path.join(host.root, 'podman-build.started'),
    callsLog: log.file,
    when: 'build',
    ignoreTerm: opts.ignoreTerm ?? false,
    otherwise: `case "$1" in
    --version) echo "podman version 5.0.0" ;;
    version) echo "5.0.0" ;;
    image) [ "$2" = exists ] && exit 1; echo "image not known" >&2; exit 125 ;;
    ps|rm|tag) exit 0 ;;
    *) echo "unsupported by the fake: $*" >&2; exit 125 ;;
  esac`,
  });
  return { path: window.path, calls: log.read, window };
}

/** Tools a CLI without podman still finds (git for its probe, python3 for terok's runtime detection, sh for fakes). */
export const TOOLS_WITHOUT_PODMAN = ['git', 'python3', 'sh', 'ssh-keygen'] as const;

/** Where `name` is on this process's PATH, or null. */
export function realTool(name: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = path.join(dir, name);
    try {
      if (!lstatSync(p).isDirectory()) return p;
    } catch { /* not here */ }
  }
  return null;
}

// ---- hosts -----------------------------------------------------------------------------

export interface FaultHostOptions extends SandboxOptions {
  /** No podman anywhere: PATH is host.bin alone, holding symlinks to `tools` only. */
  withoutPodman?: boolean;
  tools?: readonly string[];
}

/** A sandbox host with a TMPDIR for the CLI; with `withoutPodman`, one whose PATH holds only the listed tools. */
export function createFaultHost(opts: FaultHostOptions = {}): SandboxHost {
  const host = createSandboxHost(opts.withoutPodman ? { ...opts, inheritPath: false } : opts);
  mkdirSync(path.join(host.root, 'tmp')); // the CLI's TMPDIR (see cliEnv), there before any snapshot
  if (!opts.withoutPodman) return host;
  for (const tool of opts.tools ?? TOOLS_WITHOUT_PODMAN) {
    const real = realTool(tool);
    if (real) symlinkSync(real, path.join(host.bin, tool));
  }
  return host;
}

/** Kill every CLI group and every fake's pid this host started, then remove the sandbox. */
export function disposeFaultHost(host: SandboxHost): void {
  const s = started.get(host.root);
  if (s) {
    for (const pgid of s.groups) tryKill(-pgid, 'SIGKILL');
    for (const marker of s.markers) for (const pid of readPids(marker)) tryKill(pid, 'SIGKILL');
    started.delete(host.root);
  }
  host.cleanup();
}

// ---- snapshots ---------------------------------------------------------------------------

export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink' | 'other';
  /** Permission bits (mode & 0o7777). */
  mode: number;
  /** Regular files only. */
  sha256?: string;
  /** Symlinks only: the link text (never followed). */
  target?: string;
}

export type TreeSnapshot = Map<string, TreeEntry>;

/** Every entry under `dir` (relative path → entry), by lstat: links are never followed, only regular files are read. */
export function snapshotTree(dir: string): TreeSnapshot {
  const out: TreeSnapshot = new Map();
  const walk = (abs: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(abs).sort();
    } catch {
      return; // gone, or unreadable: recorded as a dir without contents
    }
    for (const name of names) {
      const p = path.join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      let st;
      try { st = lstatSync(p); } catch { continue; }
      const mode = st.mode & 0o7777;
      if (st.isSymbolicLink()) out.set(r, { type: 'symlink', mode, target: readlinkSync(p) });
      else if (st.isDirectory()) { out.set(r, { type: 'dir', mode }); walk(p, r); }
      else if (st.isFile()) {
        let sha256: string;
        try { sha256 = createHash('sha256').update(readFileSync(p)).digest('hex'); } catch { sha256 = 'unreadable'; }
        out.set(r, { type: 'file', mode, sha256 });
      } else out.set(r, { type: 'other', mode });
    }
  };
  try {
    if (lstatSync(dir).isDirectory()) walk(dir, '');
  } catch { /* no such dir: empty snapshot */ }
  return out;
}

export interface TreeDiff {
  added: string[];
  removed: string[];
  /** Path with what changed: type, mode or content. */
  changed: string[];
}

const describeEntry = (e: TreeEntry) => `${e.type} ${e.mode.toString(8).padStart(4, '0')}${e.sha256 ? ' ' + e.sha256.slice(0, 12) : ''}${e.target ? ' -> ' + e.target : ''}`;

export function diffTrees(before: TreeSnapshot, after: TreeSnapshot): TreeDiff {
  const diff: TreeDiff = { added: [], removed: [], changed: [] };
  for (const [p, b] of before) {
    const a = after.get(p);
    if (!a) diff.removed.push(p);
    else if (a.type !== b.type || a.mode !== b.mode || a.sha256 !== b.sha256 || a.target !== b.target) {
      diff.changed.push(`${p}: ${describeEntry(b)} => ${describeEntry(a)}`);
    }
  }
  for (const p of after.keys()) if (!before.has(p)) diff.added.push(p);
  return diff;
}

const formatDiff = (d: TreeDiff) => [
  ...d.removed.map((p) => `  removed  ${p}`),
  ...d.changed.map((p) => `  changed  ${p}`),
  ...d.added.map((p) => `  added    ${p}`),
].join('\n');

/** Throws unless the two snapshots are identical (nothing added, removed or changed); `ignore` skips paths. */
export function assertUnchanged(before: TreeSnapshot, after: TreeSnapshot, ignore: (rel: string) => boolean = () => false): void {
  const d = diffTrees(before, after);
  const keep = (p: string) => !ignore(p.split(': ')[0]!);
  const left = { added: d.added.filter(keep), removed: d.removed.filter(keep), changed: d.changed.filter(keep) };
  if (left.added.length || left.removed.length || left.changed.length) throw new Error(`the tree changed:\n${formatDiff(left)}`);
}

/** Throws if anything that was there before is gone or different; additions are fine. */
export function assertNothingLost(before: TreeSnapshot, after: TreeSnapshot, ignore: (rel: string) => boolean = () => false): void {
  const d = diffTrees(before, after);
  const keep = (p: string) => !ignore(p.split(': ')[0]!);
  const left = { added: [], removed: d.removed.filter(keep), changed: d.changed.filter(keep) };
  if (left.removed.length || left.changed.length) throw new Error(`something was lost:\n${formatDiff(left)}`);
}

/**
 * Files a user already has before terok-setup runs, none of which any
 * command may remove or change: a terok config, an SSH key pair, a project
 * note in terok's state dir, a shell rc file.
 */
export function seedUserFiles(host: SandboxHost): string[] {
  const files: [string, string, number][] = [
    ['.config/terok/config.yml', '# my terok settings\nimage:\n  base_image: ubuntu:24.04\n', 0o644],
    ['.ssh/id_ed25519', '-----BEGIN OPENSSH PRIVATE KEY-----\nfault-suite placeholder, not a key\n-----END OPENSSH PRIVATE KEY-----\n', 0o600],
    ['.ssh/id_ed25519.pub', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFaultSuitePlaceholder user@host\n', 0o644],
    ['.local/share/terok/projects/demo/notes.md', '# my project notes\n', 0o644],
    ['.bashrc', 'export EDITOR=vi\n', 0o644],
  ];
  return files.map(([rel, content, mode]) => host.write(path.join(host.home, rel), content, mode));
}
