import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { projectModule, runUnprivileged } from '../../support/roster.ts';
import { ContainersConfError, planHooksDir, registerHooksDir } from '../../../main/core/sandbox/containers-conf.ts';

const DIR = '/home/u/.local/share/terok/shield/hooks';
const SECOND = '/home/u/.local/share/terok/sandbox/hooks';

function withConf(text: string | null, body: (host: SandboxHost, file: string) => void): void {
  const host = createSandboxHost();
  try {
    const file = path.join(host.home, '.config', 'containers', 'containers.conf');
    if (text !== null) host.write(file, text);
    body(host, file);
  } finally {
    host.cleanup();
  }
}

const hooksOf = (file: string) => (parse(readFileSync(file, 'utf8')) as { engine: { hooks_dir: string[] } }).engine.hooks_dir;

test('absent file: created with one [engine] table and the dir', () => withConf(null, (host, file) => {
  const edit = registerHooksDir(host.ctx, file, DIR);
  assert.equal(edit.changed, true);
  assert.equal(readFileSync(file, 'utf8'), `[engine]\nhooks_dir = ["${DIR}"]\n`);
}));

test('existing [engine] without hooks_dir: key inserted right after the header, comments and settings kept', () => withConf('# my podman settings\n[engine]\n# pick runc\nruntime = "runc"  # inline\n\n[containers]\nlog_driver = "k8s-file"\n', (host, file) => {
  registerHooksDir(host.ctx, file, DIR);
  assert.equal(readFileSync(file, 'utf8'), `# my podman settings\n[engine]\nhooks_dir = ["${DIR}"]\n# pick runc\nruntime = "runc"  # inline\n\n[containers]\nlog_driver = "k8s-file"\n`);
}));

test('no [engine] table: appended at the end, as terok appends it', () => withConf('[containers]\nlog_driver = "k8s-file"\n', (host, file) => {
  registerHooksDir(host.ctx, file, DIR);
  assert.equal(readFileSync(file, 'utf8'), `[containers]\nlog_driver = "k8s-file"\n\n[engine]\nhooks_dir = ["${DIR}"]\n`);
}));

test('no [engine] table and no final newline: appended after a blank line, still without a final newline', () => withConf('[containers]\nlog_driver = "k8s-file"', (host, file) => {
  registerHooksDir(host.ctx, file, DIR);
  assert.equal(readFileSync(file, 'utf8'), `[containers]\nlog_driver = "k8s-file"\n\n[engine]\nhooks_dir = ["${DIR}"]`);
}));

test('existing list: appended in place, inline comment and odd spacing kept', () => withConf('[engine]\nhooks_dir=[ "/a" ]   # site hooks\n', (host, file) => {
  registerHooksDir(host.ctx, file, DIR);
  assert.equal(readFileSync(file, 'utf8'), `[engine]\nhooks_dir=[ "/a", "${DIR}" ]   # site hooks\n`);
}));

test('list with a trailing comma gets no second comma', () => withConf('[engine]\nhooks_dir = ["/a",]\n', (host, file) => {
  registerHooksDir(host.ctx, file, DIR);
  assert.deepEqual(hooksOf(file), ['/a', DIR]);
  assert.match(readFileSync(file, 'utf8'), /\["\/a", "\/home/);
}));

test('multi-line list with comments: new entry on its own line, comments kept', () => withConf('[engine]\nhooks_dir = [\n  "/a",  # first\n  "/b"   # second\n]\n', (host, file) => {
  registerHooksDir(host.ctx, file, DIR);
  assert.equal(readFileSync(file, 'utf8'), `[engine]\nhooks_dir = [\n  "/a",  # first\n  "/b",   # second\n  "${DIR}",\n]\n`);
  assert.deepEqual(hooksOf(file), ['/a', '/b', DIR]);
}));

test('scalar form is promoted to a list', () => withConf('[engine]\nhooks_dir = "/x"\n', (host, file) => {
  registerHooksDir(host.ctx, file, DIR);
  assert.equal(readFileSync(file, 'utf8'), `[engine]\nhooks_dir = ["/x", "${DIR}"]\n`);
}));

test('empty list is filled in place — no duplicate hooks_dir key (upstream bug fixed)', () => withConf('[engine]\nhooks_dir = []\nruntime = "runc"\n', (host, file) => {
  registerHooksDir(host.ctx, file, DIR);
  const text = readFileSync(file, 'utf8');
  assert.equal(text.match(/hooks_dir/g)?.length, 1);
  assert.deepEqual(hooksOf(file), [DIR]);
}));

test('already listed (exact or ~ form): file left byte-identical', () => withConf('[engine]\nhooks_dir = ["~/.local/share/terok/shield/hooks"]\n', (host, file) => {
  const dir = path.join(host.home, '.local/share/terok/shield/hooks');
  const before = readFileSync(file, 'utf8');
  assert.equal(registerHooksDir(host.ctx, file, dir).changed, false);
  assert.equal(readFileSync(file, 'utf8'), before);
}));

test('second registration appends after the first (shield dir, then sandbox dir)', () => withConf(null, (host, file) => {
  registerHooksDir(host.ctx, file, DIR);
  registerHooksDir(host.ctx, file, SECOND);
  assert.deepEqual(hooksOf(file), [DIR, SECOND]);
}));

test('introducing hooks_dir keeps the default hook dirs that exist, listed first, and warns', () => withConf(null, (host, file) => {
  const existing = host.ctx.defaultHooksDirs[1]!;
  mkdirSync(existing, { recursive: true });
  const plan = planHooksDir(host.ctx, file, DIR);
  assert.equal(plan.introducesKey, true);
  assert.deepEqual(plan.inheritedDirs, [existing]);
  assert.match(plan.warning!, /podman reads OCI hooks only from the listed directories/);
  assert.ok(plan.warning!.includes(existing));
  registerHooksDir(host.ctx, file, DIR);
  assert.deepEqual(hooksOf(file), [existing, DIR]);
}));

test('introducing hooks_dir inherits a system containers.conf list instead of the defaults', () => withConf(null, (host, file) => {
  host.write(host.ctx.systemContainersConfs[0]!, '[engine]\nhooks_dir = ["/opt/site-hooks"]\n');
  registerHooksDir(host.ctx, file, DIR);
  assert.deepEqual(hooksOf(file), ['/opt/site-hooks', DIR]);
}));

test('a file that already lists dirs gets no warning and no inherited dirs', () => withConf('[engine]\nhooks_dir = ["/a"]\n', (host, file) => {
  mkdirSync(host.ctx.defaultHooksDirs[0]!, { recursive: true });
  const plan = planHooksDir(host.ctx, file, DIR);
  assert.equal(plan.warning, null);
  registerHooksDir(host.ctx, file, DIR);
  assert.deepEqual(hooksOf(file), ['/a', DIR]);
}));

test('invalid TOML is refused with a clear message and no change', () => withConf('[engine\nhooks_dir = [\n', (host, file) => {
  const before = readFileSync(file, 'utf8');
  assert.throws(() => registerHooksDir(host.ctx, file, DIR), (err: Error) => err instanceof ContainersConfError && /not valid TOML/.test(err.message) && /Nothing was changed/.test(err.message));
  assert.equal(readFileSync(file, 'utf8'), before);
}));

test('a symlinked containers.conf is refused and the target is untouched', () => withConf(null, (host, file) => {
  const target = host.write('elsewhere.conf', '[engine]\n');
  mkdirSync(path.dirname(file), { recursive: true });
  symlinkSync(target, file);
  assert.throws(() => registerHooksDir(host.ctx, file, DIR), /symbolic link/);
  assert.equal(readFileSync(target, 'utf8'), '[engine]\n');
}));

test('a dotted engine.hooks_dir key is refused rather than duplicated', () => withConf('engine.hooks_dir = ["/a"]\n', (host, file) => {
  assert.throws(() => registerHooksDir(host.ctx, file, DIR), /cannot edit safely/);
}));

test('the file mode is preserved', () => withConf('[engine]\n', (host, file) => {
  chmodSync(file, 0o600);
  registerHooksDir(host.ctx, file, DIR);
  assert.equal(statSync(file).mode & 0o777, 0o600);
}));

// ---- line breaks, final newline, files the user guards -------------------------

test('CRLF file, [engine] without hooks_dir: the new line ends in CRLF too', () => withConf('# mine\r\n[engine]\r\nruntime = "runc"\r\n', (host, file) => {
  registerHooksDir(host.ctx, file, DIR);
  assert.equal(readFileSync(file, 'utf8'), `# mine\r\n[engine]\r\nhooks_dir = ["${DIR}"]\r\nruntime = "runc"\r\n`);
}));

test('CRLF file without [engine]: the table is appended with CRLF; a file without a final newline keeps none', () => {
  withConf('[containers]\r\nlog_driver = "k8s-file"\r\n', (host, file) => {
    registerHooksDir(host.ctx, file, DIR);
    assert.equal(readFileSync(file, 'utf8'), `[containers]\r\nlog_driver = "k8s-file"\r\n\r\n[engine]\r\nhooks_dir = ["${DIR}"]\r\n`);
  });
  withConf('[containers]\r\nlog_driver = "k8s-file"', (host, file) => {
    registerHooksDir(host.ctx, file, DIR);
    assert.equal(readFileSync(file, 'utf8'), `[containers]\r\nlog_driver = "k8s-file"\r\n\r\n[engine]\r\nhooks_dir = ["${DIR}"]`);
  });
});

test('CRLF multi-line list: the entry goes before the line break, comments and CRLF kept', () => withConf('[engine]\r\nhooks_dir = [\r\n  "/a",  # first\r\n  "/b"   # second\r\n]\r\n', (host, file) => {
  registerHooksDir(host.ctx, file, DIR);
  assert.equal(readFileSync(file, 'utf8'), `[engine]\r\nhooks_dir = [\r\n  "/a",  # first\r\n  "/b",   # second\r\n  "${DIR}",\r\n]\r\n`);
  assert.deepEqual(hooksOf(file), ['/a', '/b', DIR]);
}));

test('CRLF single-line list, scalar form and a header with a comment: edited in place', () => {
  withConf('[engine]\r\nhooks_dir = ["/a"]\r\n', (host, file) => {
    registerHooksDir(host.ctx, file, DIR);
    assert.equal(readFileSync(file, 'utf8'), `[engine]\r\nhooks_dir = ["/a", "${DIR}"]\r\n`);
  });
  withConf('[engine]\r\nhooks_dir = "/x"\r\n', (host, file) => {
    registerHooksDir(host.ctx, file, DIR);
    assert.equal(readFileSync(file, 'utf8'), `[engine]\r\nhooks_dir = ["/x", "${DIR}"]\r\n`);
  });
  withConf('[engine] # podman\r\nruntime = "crun"\r\n', (host, file) => {
    registerHooksDir(host.ctx, file, DIR);
    assert.equal(readFileSync(file, 'utf8'), `[engine] # podman\r\nhooks_dir = ["${DIR}"]\r\nruntime = "crun"\r\n`);
  });
});

test('no final newline is kept: [engine] as the last line, a list on the last line', () => {
  withConf('[engine]', (host, file) => {
    registerHooksDir(host.ctx, file, DIR);
    assert.equal(readFileSync(file, 'utf8'), `[engine]\nhooks_dir = ["${DIR}"]`);
  });
  withConf('[engine]\r\nruntime = "crun"', (host, file) => {
    registerHooksDir(host.ctx, file, DIR);
    assert.equal(readFileSync(file, 'utf8'), `[engine]\r\nhooks_dir = ["${DIR}"]\r\nruntime = "crun"`);
  });
  withConf('[engine]\nhooks_dir = [\n  "/a"] # site', (host, file) => {
    registerHooksDir(host.ctx, file, DIR);
    assert.equal(readFileSync(file, 'utf8'), `[engine]\nhooks_dir = [\n  "/a",\n  "${DIR}",] # site`);
    assert.deepEqual(hooksOf(file), ['/a', DIR]);
  });
});

test('a leading BOM survives the edit', () => withConf('\uFEFF[engine]\nruntime = "crun"\n', (host, file) => {
  registerHooksDir(host.ctx, file, DIR);
  assert.equal(readFileSync(file, 'utf8'), `\uFEFF[engine]\nhooks_dir = ["${DIR}"]\nruntime = "crun"\n`);
}));

test('a file the user made read-only (0444) is refused — also for root — and neither replaced nor chmodded', () => withConf('[engine]\nruntime = "crun"\n', (host, file) => {
  chmodSync(file, 0o444);
  const ino = statSync(file).ino;
  let message = '';
  assert.throws(() => registerHooksDir(host.ctx, file, DIR), (err: Error) => { message = err.message; return err instanceof ContainersConfError; });
  assert.equal(message, `${file} is read-only (mode 0444), so Terok Setup does not replace it. Make it writable (chmod u+w ${file}) and re-run setup, or add "${DIR}" to [engine] hooks_dir in it yourself. Nothing was changed.`);
  assert.throws(() => planHooksDir(host.ctx, file, DIR), /is read-only \(mode 0444\)/, 'the check sees it before the install');
  assert.equal(readFileSync(file, 'utf8'), '[engine]\nruntime = "crun"\n');
  assert.equal(statSync(file).ino, ino);
  assert.equal(statSync(file).mode & 0o7777, 0o444);
  assert.deepEqual(readdirSync(path.dirname(file)), ['containers.conf'], 'no temp file left');
}));

test('a read-only file that already lists the dir is fine: nothing to write', () => withConf(`[engine]\nhooks_dir = ["${DIR}"]\n`, (host, file) => {
  chmodSync(file, 0o444);
  assert.equal(registerHooksDir(host.ctx, file, DIR).changed, false);
}));

test('a file owned by someone else that this user may not write is refused', { skip: process.getuid?.() === 0 ? false : 'needs root to create a file owned by another user' }, () => withConf('[engine]\n', (host, file) => {
  chmodSync(host.root, 0o755);
  chownSync(path.dirname(file), 65534, 65534);
  const r = runUnprivileged(host, `
    import { registerHooksDir } from ${projectModule('main/core/sandbox/containers-conf.ts')};
    try { registerHooksDir(${JSON.stringify(host.ctx)}, ${JSON.stringify(file)}, ${JSON.stringify(DIR)}); console.log('WROTE'); }
    catch (err) { console.log(err.message); }
  `);
  assert.match(r.stdout, /containers\.conf is not writable for this user \(check its owner: ls -l .*\), so Terok Setup does not replace it/);
  assert.equal(readFileSync(file, 'utf8'), '[engine]\n');
}));

test('a directory at the containers.conf path gets a clear message, not EISDIR', () => withConf(null, (host, file) => {
  mkdirSync(path.join(file, 'inside'), { recursive: true });
  assert.throws(() => planHooksDir(host.ctx, file, DIR), (err: Error) => err instanceof ContainersConfError && !/EISDIR/.test(err.message) &&
    err.message === `Podman config file ${file} is a directory, not a regular file — move the directory away and put a file there (or nothing). Terok Setup did not change it.`);
  assert.throws(() => registerHooksDir(host.ctx, file, DIR), /is a directory, not a regular file/);
  assert.deepEqual(readdirSync(file), ['inside']);
}));

test('a FIFO at the containers.conf path is refused at once', () => withConf(null, (host, file) => {
  mkdirSync(path.dirname(file), { recursive: true });
  assert.equal(spawnSync('mkfifo', [file], { timeout: 5000 }).status, 0);
  assert.throws(() => registerHooksDir(host.ctx, file, DIR), /containers\.conf is a FIFO \(named pipe\), not a regular file/);
  assert.ok(lstatSync(file).isFIFO(), 'left in place');
}));

test('a file that is not UTF-8 is refused, not rewritten with replacement characters', () => withConf(null, (host, file) => {
  mkdirSync(path.dirname(file), { recursive: true });
  const bytes = Buffer.from('# caf\xe9\n[engine]\n', 'latin1');
  writeFileSync(file, bytes);
  assert.throws(() => registerHooksDir(host.ctx, file, DIR), /is not UTF-8 text — save it as UTF-8\. Terok Setup did not change it\./);
  assert.ok(readFileSync(file).equals(bytes));
}));

test('a rename refused by the directory fails with a ContainersConfError and leaves the file', { skip: process.getuid?.() === 0 ? 'root ignores file modes' : false }, () => withConf('[engine]\n', (host, file) => {
  const dir = path.dirname(file);
  chmodSync(dir, 0o555);
  try {
    assert.throws(() => registerHooksDir(host.ctx, file, DIR), (err: Error) => err instanceof ContainersConfError && /permission denied while writing .*containers\.conf/.test(err.message) && /left as it was/.test(err.message));
  } finally {
    chmodSync(dir, 0o755);
  }
  assert.equal(readFileSync(file, 'utf8'), '[engine]\n');
  assert.deepEqual(readdirSync(dir), ['containers.conf']);
}));
