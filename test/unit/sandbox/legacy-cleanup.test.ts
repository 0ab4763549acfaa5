/**
 * Legacy install cleanup (terok-sandbox §1.2 step 3, §9 "Legacy cleanup").
 *
 * A user systemd cannot run here, so `systemctl` is a FAKE: a shell script on
 * a sandboxed PATH (nothing else is on PATH, so the real /usr/bin/systemctl
 * is never reached) that appends its argv to a log, one call per line, and
 * answers `list-unit-files` with the units the test says the user manager
 * knows. For `disable` it also notes whether the unit file was still in the
 * user unit dir at that moment (disable must come before the unlink).
 * The files the sweep removes are plain files standing in for sockets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { createTerokFixture } from '../../support/terok-fixture.ts';
import { failingKeyctl, install } from '../../support/sandbox-install.ts';
import { resolvePaths, type TerokPaths } from '../../../main/core/host/paths.ts';
import { LEGACY_CLEANUP_DETAIL, LEGACY_HOOK_FILES, LEGACY_UNITS, sweepLegacyInstall, userUnitDir } from '../../../main/core/sandbox/legacy-cleanup.ts';

const LIST_ARGS = '--user list-unit-files --no-legend --no-pager terok-*';

interface World {
  host: SandboxHost;
  paths: TerokPaths;
  unitDir: string;
  /** Every fake-systemctl call so far, argv joined by spaces (disable calls carry ` [file]` when the unit file still existed). */
  calls(): string[];
  sweep(): ReturnType<typeof sweepLegacyInstall>;
  cleanup(): void;
}

interface WorldOptions {
  /** Units the fake user manager lists (default none: a clean host). */
  known?: readonly string[];
  /** No systemctl at all on PATH. */
  noSystemctl?: boolean;
  env?: Record<string, string>;
  /** Environment variables to remove from the sandbox environment. */
  unset?: string[];
}

function world(opts: WorldOptions = {}): World {
  const host = createSandboxHost({ inheritPath: false, ...(opts.env ? { env: opts.env } : {}) });
  if (opts.unset) {
    const env = { ...host.ctx.env };
    for (const k of opts.unset) delete env[k];
    host.ctx = { ...host.ctx, env };
  }
  const unitDir = path.join(host.home, '.config', 'systemd', 'user');
  const log = path.join(host.root, 'systemctl.calls');
  if (!opts.noSystemctl) {
    // Only sh builtins: PATH holds nothing but the sandbox bin dir.
    host.writeBin('systemctl', `#!/bin/sh
# FAKE systemctl for tests: records argv, never talks to a user manager.
if [ "$2" = disable ] && [ -e '${unitDir}'/"$4" ]; then printf '%s [file]\\n' "$*" >> '${log}'; else printf '%s\\n' "$*" >> '${log}'; fi
if [ "$2" = list-unit-files ]; then
  :
${(opts.known ?? []).map((u) => `  printf '%s\\n' '${u} enabled enabled'`).join('\n')}
fi
exit 0
`);
  }
  return {
    host, unitDir,
    get paths() { return resolvePaths(host.ctx); },
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    sweep: () => sweepLegacyInstall(host.ctx, resolvePaths(host.ctx)),
    cleanup: () => host.cleanup(),
  };
}

async function withWorld(opts: WorldOptions, body: (w: World) => Promise<void>): Promise<void> {
  const w = world(opts);
  try { await body(w); } finally { w.cleanup(); }
}

/** Every regular file and directory under `dir` (relative), for before/after comparisons. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      out.push(path.relative(dir, p) + (statSync(p).isDirectory() ? '/' : ''));
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

test('every legacy unit the user manager knows gets `systemctl --user disable --now`, then one daemon-reload', () => withWorld({ known: [...LEGACY_UNITS, 'terok-something-current.service'] }, async (w) => {
  const swept = await w.sweep();
  assert.deepEqual(w.calls(), [
    LIST_ARGS,
    ...LEGACY_UNITS.map((u) => `--user disable --now ${u}`),
    '--user daemon-reload',
  ], 'a terok unit that is not a legacy one is left alone');
  assert.deepEqual(swept.disabledUnits, [...LEGACY_UNITS]);
  assert.equal(LEGACY_UNITS.length, 9);
}));

test('a clean host costs one systemctl call: no disable, no daemon-reload', () => withWorld({}, async (w) => {
  const swept = await w.sweep();
  assert.deepEqual(w.calls(), [LIST_ARGS]);
  assert.deepEqual(swept, { disabledUnits: [], removedFiles: [] });
}));

test('without systemctl on PATH the file sweep still runs', () => withWorld({ noSystemctl: true }, async (w) => {
  const unit = w.host.write(path.join(w.unitDir, 'terok-vault.service'), '[Unit]\n');
  const events = w.host.write('run/terok-shield-events.sock', '');
  const swept = await w.sweep();
  assert.deepEqual(swept.disabledUnits, []);
  assert.equal(existsSync(unit), false);
  assert.equal(existsSync(events), false);
}));

test('the global shield events socket in XDG_RUNTIME_DIR is removed', () => withWorld({}, async (w) => {
  const events = w.host.write('run/terok-shield-events.sock', '');
  const neighbour = w.host.write('run/other.sock', '');
  const swept = await w.sweep();
  assert.equal(existsSync(events), false);
  assert.equal(existsSync(neighbour), true);
  assert.ok(swept.removedFiles.includes(events));
}));

test('runtime sockets are removed, vault.passphrase (a live passphrase cache) is kept', () => withWorld({}, async (w) => {
  const rt = w.paths.sandboxRuntime;
  assert.equal(rt, path.join(w.host.root, 'run', 'terok', 'sandbox'));
  for (const s of ['vault.sock', 'ssh-agent.sock', 'gate-server.sock']) w.host.write(path.join(rt, s), '');
  w.host.write(path.join(rt, 'vault.passphrase'), 'cached-passphrase', 0o600);
  w.host.write(path.join(rt, 'run', 'web-1', 'supervisor.sock'), '');
  await w.sweep();
  assert.deepEqual(tree(rt), ['run/', 'run/web-1/', 'run/web-1/supervisor.sock', 'vault.passphrase']);
  assert.equal(readFileSync(path.join(rt, 'vault.passphrase'), 'utf8'), 'cached-passphrase');
}));

test('works without XDG_RUNTIME_DIR: runtime sockets under the state fallback, nothing guessed for the events socket', () => withWorld({ unset: ['XDG_RUNTIME_DIR'] }, async (w) => {
  const rt = w.paths.sandboxRuntime;
  assert.equal(rt, path.join(w.host.home, '.local', 'state', 'terok', 'sandbox'));
  const sock = w.host.write(path.join(rt, 'vault.sock'), '');
  const kept = w.host.write(path.join(rt, 'vault.passphrase'), 'x');
  // Where XDG_RUNTIME_DIR would have pointed: unknown to the sweep, so untouched.
  const events = w.host.write('run/terok-shield-events.sock', '');
  const swept = await w.sweep();
  assert.equal(existsSync(sock), false);
  assert.equal(existsSync(kept), true);
  assert.equal(existsSync(events), true);
  assert.deepEqual(swept.removedFiles, [sock]);
}));

test('unlink errors are swallowed: a directory in a socket\'s place stays, the rest is still swept', () => withWorld({}, async (w) => {
  const rt = w.paths.sandboxRuntime;
  w.host.write(path.join(rt, 'vault.sock', 'inside'), '');
  mkdirSync(path.join(w.host.root, 'run', 'terok-shield-events.sock'));
  const agent = w.host.write(path.join(rt, 'ssh-agent.sock'), '');
  const hook = w.host.write(path.join(w.host.home, '.local/share/containers/oci/hooks.d/terok-shield-hook'), '');
  const swept = await w.sweep();
  assert.equal(statSync(path.join(rt, 'vault.sock')).isDirectory(), true);
  assert.equal(statSync(path.join(w.host.root, 'run', 'terok-shield-events.sock')).isDirectory(), true);
  assert.equal(existsSync(agent), false);
  assert.equal(existsSync(hook), false);
  assert.deepEqual(swept.removedFiles.sort(), [agent, hook].sort());
}));

const MATCHING_UNIT_FILES = [
  'terok-clearance-hub.service', 'terok-clearance-whatever.service',
  'terok-vault.service', 'terok-vault.socket', 'terok-vault-socket.service', 'terok-vault-extra.socket',
  'terok-gate.socket', 'terok-gate@.service', 'terok-gate-socket.service', 'terok-gateway.service',
];
const OTHER_UNIT_FILES = [
  'terok-clearance-hub.socket', 'terok-vault.timer', 'terok-vault.service.bak', 'terok-shield.service',
  'my-own.service', 'xterok-vault.service', 'terok-gate.service~',
];

test('unit-file glob sweep: matching files disabled while present, then unlinked; every other file kept', () => withWorld({}, async (w) => {
  for (const f of [...MATCHING_UNIT_FILES, ...OTHER_UNIT_FILES]) w.host.write(path.join(w.unitDir, f), '[Unit]\n');
  mkdirSync(path.join(w.unitDir, 'default.target.wants'));
  const swept = await w.sweep();
  assert.deepEqual(readdirSync(w.unitDir).sort(), [...OTHER_UNIT_FILES, 'default.target.wants'].sort());
  const calls = w.calls();
  assert.equal(calls[0], LIST_ARGS);
  assert.deepEqual(calls.slice(1, -1).sort(), MATCHING_UNIT_FILES.map((f) => `--user disable --now ${f} [file]`).sort(), 'disable --now before the unlink');
  assert.equal(calls.at(-1), '--user daemon-reload');
  assert.deepEqual(swept.disabledUnits.sort(), [...MATCHING_UNIT_FILES].sort());
  assert.deepEqual(swept.removedFiles.sort(), MATCHING_UNIT_FILES.map((f) => path.join(w.unitDir, f)).sort());
}));

test('a unit both listed by systemd and present as a file is disabled once', () => withWorld({ known: ['terok-vault.socket'] }, async (w) => {
  w.host.write(path.join(w.unitDir, 'terok-vault.socket'), '[Socket]\n');
  await w.sweep();
  assert.deepEqual(w.calls(), [LIST_ARGS, '--user disable --now terok-vault.socket [file]', '--user daemon-reload']);
}));

test('a missing user unit dir is tolerated', () => withWorld({ known: ['terok-gate.socket'] }, async (w) => {
  assert.equal(existsSync(path.join(w.host.home, '.config')), false);
  const sock = w.host.write(path.join(w.paths.sandboxRuntime, 'gate-server.sock'), '');
  const swept = await w.sweep();
  assert.deepEqual(swept.disabledUnits, ['terok-gate.socket']);
  assert.equal(existsSync(sock), false);
}));

test('user unit dir: $XDG_CONFIG_HOME/systemd/user, or ~/.config when unset; none as real root or outside $HOME', () => {
  const home = '/h/user';
  const dir = (env: Record<string, string>, isRealRoot = false) => userUnitDir({ env, home, isRealRoot });
  assert.equal(dir({}), '/h/user/.config/systemd/user');
  assert.equal(dir({ XDG_CONFIG_HOME: '/h/user/cfg' }), '/h/user/cfg/systemd/user');
  assert.equal(dir({ XDG_CONFIG_HOME: '/h/user/a/../cfg/' }), '/h/user/cfg/systemd/user');
  assert.equal(dir({ XDG_CONFIG_HOME: '/h/user' }), '/h/user/systemd/user');
  assert.equal(dir({}, true), null, 'real root');
  assert.equal(dir({ XDG_CONFIG_HOME: '/etc/xdg' }), null);
  assert.equal(dir({ XDG_CONFIG_HOME: '/h/user/../other/.config' }), null, '.. leading out of HOME');
  assert.equal(dir({ XDG_CONFIG_HOME: '/h/user-evil/.config' }), null, 'a sibling sharing the prefix is outside');
  assert.equal(dir({ XDG_CONFIG_HOME: '/h' }), null, 'a parent of HOME is outside');
});

test('XDG_CONFIG_HOME outside $HOME: the unit dir there is not swept (other steps still run)', () => withWorld({}, async (w) => {
  const cfg = path.join(w.host.root, 'elsewhere-config');
  w.host.ctx = { ...w.host.ctx, env: { ...w.host.ctx.env, XDG_CONFIG_HOME: cfg } };
  const unit = w.host.write(path.join(cfg, 'systemd', 'user', 'terok-vault.service'), '[Unit]\n');
  const sock = w.host.write(path.join(w.paths.sandboxRuntime, 'vault.sock'), '');
  const swept = await w.sweep();
  assert.equal(existsSync(unit), true, 'unit file outside HOME kept');
  assert.deepEqual(w.calls(), [LIST_ARGS], 'not disabled either');
  assert.deepEqual(swept.removedFiles, [sock]);
}));

/** Shield state under TEROK_ROOT, so the reader in the XDG data dir is really stale. */
const stateElsewhere = (w: World) => {
  w.host.ctx = { ...w.host.ctx, env: { ...w.host.ctx.env, TEROK_ROOT: path.join(w.host.root, 'state') } };
};

test('stale XDG NFLOG reader removed and its empty dirs pruned, when shield state lives elsewhere', () => withWorld({}, async (w) => {
  stateElsewhere(w);
  const dataTerok = path.join(w.host.home, '.local', 'share', 'terok');
  const reader = w.host.write(path.join(dataTerok, 'shield', 'nflog-reader.py'), '# old reader\n');
  assert.notEqual(path.dirname(reader), w.paths.shieldState);
  const swept = await w.sweep();
  assert.equal(existsSync(reader), false);
  assert.equal(existsSync(dataTerok), false, 'empty shield dir and empty terok dir pruned');
  assert.equal(existsSync(path.join(w.host.home, '.local', 'share')), true, 'nothing above terok/ pruned');
  assert.ok(swept.removedFiles.includes(reader));
}));

test('stale XDG reader: a non-empty terok dir (or shield dir) is kept', () => withWorld({}, async (w) => {
  stateElsewhere(w);
  const dataTerok = path.join(w.host.home, '.local', 'share', 'terok');
  const reader = w.host.write(path.join(dataTerok, 'shield', 'nflog-reader.py'), '# old reader\n');
  const other = w.host.write(path.join(dataTerok, 'credentials', 'keep.txt'), 'x');
  await w.sweep();
  assert.equal(existsSync(reader), false);
  assert.equal(existsSync(path.join(dataTerok, 'shield')), false, 'empty shield dir pruned');
  assert.equal(existsSync(other), true);
  assert.deepEqual(readdirSync(dataTerok), ['credentials']);

  const profile = w.host.write(path.join(dataTerok, 'shield', 'profiles', 'x.txt'), 'x');
  w.host.write(path.join(dataTerok, 'shield', 'nflog-reader.py'), '# old reader\n');
  await w.sweep();
  assert.equal(existsSync(profile), true, 'non-empty shield dir kept');
  assert.equal(existsSync(path.join(dataTerok, 'shield', 'nflog-reader.py')), false);
}));

test('the XDG reader is kept when it is the current reader location (default paths; deliberate deviation from terok)', () => withWorld({}, async (w) => {
  const reader = w.host.write(path.join(w.paths.shieldState, 'nflog-reader.py'), '# current reader\n');
  assert.equal(w.paths.shieldState, path.join(w.host.home, '.local', 'share', 'terok', 'shield'));
  await w.sweep();
  assert.equal(existsSync(reader), true);
}));

test('old hooks.d sweep (home-based, not XDG) removes exactly the terok-owned names', () => withWorld({}, async (w) => {
  w.host.ctx = { ...w.host.ctx, env: { ...w.host.ctx.env, XDG_DATA_HOME: path.join(w.host.root, 'xdg-data') } };
  const hooksDir = path.join(w.host.home, '.local', 'share', 'containers', 'oci', 'hooks.d');
  for (const f of LEGACY_HOOK_FILES) w.host.write(path.join(hooksDir, f), 'legacy');
  const keep = ['terok-shield-createRuntime.json.bak', 'other-hook.json', '__pycache__/_oci_state.cpython-312.pyc', 'terok-sandbox-supervisor-poststop.json'];
  for (const f of keep) w.host.write(path.join(hooksDir, f), 'keep');
  const swept = await w.sweep();
  assert.deepEqual(tree(hooksDir), ['__pycache__/', '__pycache__/_oci_state.cpython-312.pyc', 'other-hook.json', 'terok-sandbox-supervisor-poststop.json', 'terok-shield-createRuntime.json.bak']);
  assert.deepEqual(swept.removedFiles.sort(), LEGACY_HOOK_FILES.map((f) => path.join(hooksDir, f)).sort());
  assert.equal(LEGACY_HOOK_FILES.length, 7);
}));

test('idempotent: a second sweep finds nothing, calls no disable, changes no file', () => withWorld({}, async (w) => {
  for (const f of ['terok-vault.service', 'my-own.service']) w.host.write(path.join(w.unitDir, f), '[Unit]\n');
  for (const s of ['vault.sock', 'vault.passphrase']) w.host.write(path.join(w.paths.sandboxRuntime, s), '');
  w.host.write('run/terok-shield-events.sock', '');
  w.host.write(path.join(w.host.home, '.local/share/containers/oci/hooks.d/_oci_state.py'), '');
  const first = await w.sweep();
  assert.equal(first.removedFiles.length, 4);
  const after = tree(w.host.root).filter((p) => p !== 'systemctl.calls');
  const callsBefore = w.calls().length;
  const second = await w.sweep();
  assert.deepEqual(second, { disabledUnits: [], removedFiles: [] });
  assert.deepEqual(w.calls().slice(callsBefore), [LIST_ARGS]);
  assert.deepEqual(tree(w.host.root).filter((p) => p !== 'systemctl.calls'), after);
}));

test('install: the `Legacy install cleanup` stage line reads `swept`, names what it did, and runs before the shield', async () => {
  // PATH inherited here (the install needs python for the fixture); the fake systemctl comes first in it.
  const host = createSandboxHost({ env: { NO_COLOR: '1' } });
  try {
    createTerokFixture(host);
    failingKeyctl(host);
    const log = path.join(host.root, 'systemctl.calls');
    host.writeBin('systemctl', `#!/bin/sh\n# FAKE systemctl\nprintf '%s\\n' "$*" >> '${log}'\n[ "$2" = list-unit-files ] && printf 'terok-vault.socket enabled enabled\\n'\nexit 0\n`);
    const r = await install(host, { passphraseTier: 'kernel-keyring' });
    assert.equal(r.exitCode, 0, r.rec.lines.join('\n'));
    assert.equal(LEGACY_CLEANUP_DETAIL, 'swept (legacy units + sockets, if any)');
    assert.ok(r.rec.lines.includes('  Legacy install cleanup ok (swept (legacy units + sockets, if any))'), r.rec.lines.join('\n'));
    assert.ok(r.rec.logs.includes('disabled legacy unit terok-vault.socket'));
    const labels = r.rec.stages.filter((s) => s.status !== 'running').map((s) => s.label);
    assert.ok(labels.indexOf('Legacy install cleanup') < labels.indexOf('Shield hooks'));
    assert.deepEqual(readFileSync(log, 'utf8').split('\n').filter(Boolean), [LIST_ARGS, '--user disable --now terok-vault.socket', '--user daemon-reload']);
  } finally {
    host.cleanup();
  }
});
