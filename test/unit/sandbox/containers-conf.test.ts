import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
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

test('no [engine] table: appended at the end', () => withConf('[containers]\nlog_driver = "k8s-file"', (host, file) => {
  registerHooksDir(host.ctx, file, DIR);
  assert.equal(readFileSync(file, 'utf8'), `[containers]\nlog_driver = "k8s-file"\n\n[engine]\nhooks_dir = ["${DIR}"]\n`);
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
