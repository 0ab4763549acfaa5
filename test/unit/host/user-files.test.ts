/**
 * The one reader of user-controlled files (`readUserFile`) and the
 * compare-before-write (`writeFileIfChanged`) in main/core/host/fs.ts, on
 * real files, real FIFOs, a real socket and real symlinks to /dev/zero
 * (only ever read through). Cases that could block if the guard failed run
 * in a child process with a timeout, so a regression fails instead of
 * hanging the suite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { failureOf, SetupError } from '../../../main/core/errors.ts';
import { readAtMost, readUserFile, UnsafePathError, UserFileError, writeFileIfChanged } from '../../../main/core/host/fs.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { projectModule } from '../../support/roster.ts';

const asRoot = process.getuid?.() === 0;
const OPTS = { maxBytes: 1024, what: 'test file' };

function withHost(body: (host: SandboxHost) => void | Promise<void>) {
  return async () => {
    const host = createSandboxHost();
    try {
      await body(host);
    } finally {
      host.cleanup();
    }
  };
}

function mkfifo(file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  const r = spawnSync('mkfifo', [file], { timeout: 5000 });
  assert.equal(r.status, 0, `mkfifo failed: ${r.stderr}`);
  return file;
}

/** The thrown error, asserted to be a UserFileError. */
function refused(fn: () => unknown): UserFileError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UserFileError, `expected a UserFileError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a refusal, but the read succeeded');
}

/**
 * Run `readUserFile(file)` (or a write) in a child Node with a timeout: a
 * read that blocks on a FIFO kills the child instead of the test runner.
 */
function inChild(code: string, timeoutMs = 10_000): { stdout: string; ms: number; timedOut: boolean } {
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', `
    import { readUserFile, writeFileIfChanged } from ${projectModule('main/core/host/fs.ts')};
    ${code}
  `], { encoding: 'utf8', timeout: timeoutMs });
  return { stdout: r.stdout + r.stderr, ms: Date.now() - started, timedOut: r.error !== undefined || r.signal !== null };
}

test('a regular file: its text byte for byte — CRLF, no final newline and a BOM kept', withHost((host) => {
  const text = '\uFEFF[engine]\r\nhooks_dir = ["/a"]';
  const file = host.write('conf/a.conf', text);
  assert.equal(readUserFile(file, OPTS), text);
  assert.equal(readUserFile(host.write('conf/empty', ''), OPTS), '');
}));

test('a missing file and a dangling symlink read as null (absent, not an error)', withHost((host) => {
  assert.equal(readUserFile(path.join(host.root, 'nope.yaml'), OPTS), null);
  const link = path.join(host.root, 'dangling.yaml');
  symlinkSync(path.join(host.root, 'gone'), link);
  assert.equal(readUserFile(link, OPTS), null);
}));

test('a FIFO is refused at once, without blocking, naming the file and what it is', withHost((host) => {
  const fifo = mkfifo(path.join(host.root, 'agents', 'claude.yaml'));
  const run = inChild(`
    try { readUserFile(${JSON.stringify(fifo)}, { maxBytes: 1024, what: 'roster file' }); console.log('READ'); }
    catch (err) { console.log(err.name + ': ' + err.message); }
  `);
  assert.equal(run.timedOut, false, `the read blocked (${run.ms} ms)`);
  assert.ok(run.ms < 5000, `took ${run.ms} ms`);
  assert.equal(run.stdout.trim(), `UserFileError: Roster file ${fifo} is a FIFO (named pipe), not a regular file — replace it with a file or remove it`);
  // In-process too (now known not to block): the reason and the bare problem for callers that name the file themselves.
  const err = refused(() => readUserFile(fifo, OPTS));
  assert.equal(err.reason, 'not-regular');
  assert.equal(err.file, fifo);
  assert.equal(err.problem, 'is a FIFO (named pipe), not a regular file — replace it with a file or remove it');
}));

test('a symlink to a FIFO is refused the same way (the link is followed, the FIFO never opened)', withHost((host) => {
  const fifo = mkfifo(path.join(host.root, 'pipe'));
  const link = path.join(host.root, 'config.yml');
  symlinkSync(fifo, link);
  const run = inChild(`
    try { readUserFile(${JSON.stringify(link)}, { maxBytes: 1024, what: 'terok config file' }); console.log('READ'); }
    catch (err) { console.log(err.message); }
  `);
  assert.equal(run.timedOut, false);
  assert.match(run.stdout, /^Terok config file .*config\.yml is a FIFO \(named pipe\), not a regular file/);
}));

test('a symlink to /dev/zero is refused as a character device, never read', withHost((host) => {
  const link = path.join(host.root, 'zero.yaml');
  symlinkSync('/dev/zero', link);
  const run = inChild(`
    try { readUserFile(${JSON.stringify(link)}, { maxBytes: 1048576, what: 'roster file' }); console.log('READ'); }
    catch (err) { console.log(err.message); }
  `);
  assert.equal(run.timedOut, false);
  assert.equal(run.stdout.trim(), `Roster file ${link} is a character device, not a regular file — replace it with a file or remove it`);
}));

test('the cap counts bytes actually read: /dev/zero (stat size 0) through a symlink yields exactly the cap', withHost((host) => {
  const link = path.join(host.root, 'zero');
  symlinkSync('/dev/zero', link);
  assert.equal(statSync(link).size, 0, 'the device claims to be empty');
  const fd = openSync(link, 'r');
  try {
    const got = readAtMost(fd, 1025);
    assert.equal(got.length, 1025);
    assert.ok(got.every((b) => b === 0));
    assert.equal(readAtMost(fd, 200_000).length, 200_000, 'larger than one chunk');
  } finally {
    closeSync(fd);
  }
}));

test('a directory is refused with a clear message, not EISDIR', withHost((host) => {
  const dir = path.join(host.root, 'containers.conf');
  mkdirSync(dir);
  const err = refused(() => readUserFile(dir, { ...OPTS, what: 'podman config file' }));
  assert.equal(err.reason, 'not-regular');
  assert.equal(err.message, `Podman config file ${dir} is a directory, not a regular file — move the directory away and put a file there (or nothing)`);
  assert.doesNotMatch(err.message, /EISDIR/);
}));

test('a socket is refused', withHost(async (host) => {
  const sock = path.join(host.root, 's.yaml');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  try {
    assert.match(refused(() => readUserFile(sock, OPTS)).message, /s\.yaml is a socket, not a regular file/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}));

test('over the cap is refused (also a sparse file that costs no disk); exactly the cap is fine', withHost((host) => {
  const exact = host.write('exact', 'x'.repeat(1024));
  assert.equal(readUserFile(exact, OPTS)?.length, 1024);
  const over = host.write('over', 'x'.repeat(1025));
  const err = refused(() => readUserFile(over, { ...OPTS, sizeHint: 'a test file is short' }));
  assert.equal(err.reason, 'too-large');
  assert.equal(err.message, `Test file ${over} is larger than 1 KiB — a test file is short; check that it is the right file`);
  const sparse = host.write('sparse', '');
  truncateSync(sparse, 8 * 1024 * 1024 * 1024);
  assert.equal(refused(() => readUserFile(sparse, { maxBytes: 1024 * 1024, what: 'roster file' })).reason, 'too-large');
}));

test('a symlink to a regular file is followed (dotfile repos); with followSymlinks: false it is refused', withHost((host) => {
  const real = host.write('dotfiles/claude.yaml', 'label: x\n');
  const link = path.join(host.root, 'claude.yaml');
  symlinkSync(real, link);
  assert.equal(readUserFile(link, OPTS), 'label: x\n');
  const err = refused(() => readUserFile(link, { ...OPTS, followSymlinks: false }));
  assert.equal(err.reason, 'symlink');
  assert.match(err.message, /is a symbolic link, which is not followed here/);
}));

test('a symlink loop is refused as unreadable', withHost((host) => {
  const loop = path.join(host.root, 'loop.yaml');
  symlinkSync(loop, loop);
  assert.match(refused(() => readUserFile(loop, OPTS)).message, /cannot be read: too many symbolic links \(a loop\?\)/);
}));

test('text that is not UTF-8 is refused rather than mangled', withHost((host) => {
  const file = path.join(host.root, 'latin1.conf');
  writeFileSync(file, Buffer.from([0x23, 0x20, 0xe9, 0x0a]));
  const err = refused(() => readUserFile(file, OPTS));
  assert.equal(err.reason, 'not-utf8');
  assert.match(err.message, /latin1\.conf is not UTF-8 text — save it as UTF-8$/);
}));

test('an unreadable file (mode 0000) is refused with a permissions hint', { skip: asRoot ? 'root ignores file modes' : false }, withHost((host) => {
  const file = host.write('secret.yaml', 'x: 1\n', 0o000);
  const err = refused(() => readUserFile(file, OPTS));
  assert.equal(err.reason, 'unreadable');
  assert.match(err.message, /secret\.yaml cannot be read: permission denied — check its owner and permissions \(ls -l\), or remove it$/);
}));

test('UserFileError is a SetupError: every face shows its message under one code', withHost((host) => {
  const dir = path.join(host.root, 'd');
  mkdirSync(dir);
  const err = refused(() => readUserFile(dir, OPTS));
  assert.ok(err instanceof SetupError);
  assert.deepEqual(failureOf(err), { code: 'user-file', message: err.message });
}));

// ---- writeFileIfChanged ------------------------------------------------------

test('writeFileIfChanged: the same bytes again keep the inode and mtime; new bytes replace the file', withHost(async (host) => {
  const file = path.join(host.root, 'vault', 'routes.json');
  assert.equal(writeFileIfChanged(file, '{}\n', { mode: 0o600, dirMode: 0o700 }), true);
  const first = statSync(file);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(writeFileIfChanged(file, '{}\n', { mode: 0o600, dirMode: 0o700 }), false);
  const second = statSync(file);
  assert.equal(second.ino, first.ino);
  assert.equal(second.mtimeMs, first.mtimeMs);
  assert.equal(writeFileIfChanged(file, '{"a": 1}\n', { mode: 0o600 }), true);
  assert.notEqual(statSync(file).ino, first.ino);
  assert.equal(readFileSync(file, 'utf8'), '{"a": 1}\n');
  assert.deepEqual(readdirSync(path.dirname(file)), ['routes.json'], 'no temp file left');
}));

test('writeFileIfChanged: equal bytes with the wrong mode are rewritten to the exact mode, whatever the umask', withHost((host) => {
  const file = host.write('routes.json', '{}\n', 0o644);
  const old = process.umask(0o077);
  try {
    assert.equal(writeFileIfChanged(file, '{}\n', { mode: 0o640 }), true);
  } finally {
    process.umask(old);
  }
  assert.equal(statSync(file).mode & 0o7777, 0o640);
  assert.equal(writeFileIfChanged(file, '{}\n', { mode: 0o640 }), false);
  // Without a mode only the bytes count.
  assert.equal(writeFileIfChanged(file, '{}\n'), false);
}));

test('writeFileIfChanged: a FIFO at the target is replaced without being read (no hang)', withHost((host) => {
  const fifo = mkfifo(path.join(host.root, 'setup.stamp'));
  const run = inChild(`console.log(writeFileIfChanged(${JSON.stringify(fifo)}, '{}'));`);
  assert.equal(run.timedOut, false);
  assert.equal(run.stdout.trim(), 'true');
  assert.ok(statSync(fifo).isFile());
  assert.equal(readFileSync(fifo, 'utf8'), '{}');
}));

test('writeFileIfChanged: refuseSymlinks refuses a link even when its target already has the bytes', withHost((host) => {
  const real = host.write('real.conf', '[engine]\n');
  const link = path.join(host.root, 'containers.conf');
  symlinkSync(real, link);
  assert.throws(() => writeFileIfChanged(link, '[engine]\n', { refuseSymlinks: true }), UnsafePathError);
  assert.equal(writeFileIfChanged(link, '[engine]\n'), false, 'without refuseSymlinks the link is followed for the comparison');
  assert.equal(readFileSync(real, 'utf8'), '[engine]\n');
}));
