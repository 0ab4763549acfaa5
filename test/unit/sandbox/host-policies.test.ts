/**
 * The AppArmor / SELinux lines of the prerequisites report, their end-of-run
 * hints and the exit-5 rule (terok-sandbox §1.2 steps 1.5/1.6, 7, 8; §8.4;
 * §9 "Phases").
 *
 * /sys and /etc are fake trees under the sandbox root (the install's
 * `sysRoot`). libselinux cannot answer on this host (SELinux is not
 * enforcing here), so the report tests hand the install a fake interpreter
 * that prints the status; the probe script itself is run by the real python3
 * against a fake libselinux.so.1 compiled here (skipped without gcc).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { createTerokFixture, type TerokFixture } from '../../support/terok-fixture.ts';
import { failingKeyctl, fakeRoutes, recordingTask, type Recorded } from '../../support/sandbox-install.ts';
import { loadTerokConfig } from '../../../main/core/host/config.ts';
import { resolvePaths, type TerokPaths } from '../../../main/core/host/paths.ts';
import { which } from '../../../main/core/host/which.ts';
import { ensureSandboxReady, EXIT_MANUAL_STEP, EXIT_OK, EXIT_PHASE_FAILED, type InstallResult } from '../../../main/core/sandbox/install.ts';
import { checkAppArmor, checkSelinux, selinuxBlocksSetup, selinuxHint, selinuxLine, type SelinuxStatus } from '../../../main/core/sandbox/host-policies.ts';
import { detectTerokRuntime } from '../../../main/core/sandbox/terok-runtime.ts';
import { formatStageLine } from '../../../main/core/tasks/stages.ts';

// ---------------------------------------------------------------- fake trees

function enforce(host: SandboxHost, value: string): void {
  host.write('sys/fs/selinux/enforce', value);
}

function apparmor(host: SandboxHost, opts: { enabled?: string; profile?: string | null; local?: string | null; dnsmasq?: boolean }): void {
  host.write('sys/module/apparmor/parameters/enabled', opts.enabled ?? 'Y\n');
  if (opts.profile !== null) host.write(path.join('etc/apparmor.d', opts.profile ?? 'usr.sbin.dnsmasq'), '#include <tunables/global>\n/usr/sbin/dnsmasq {}\n');
  if (opts.local != null) host.write(path.join('etc/apparmor.d/local', opts.profile ?? 'usr.sbin.dnsmasq'), opts.local);
  if (opts.dnsmasq !== false) host.writeBin('dnsmasq', '#!/bin/sh\nexit 0\n');
}

const TEROK_ADDENDUM = '# >>> terok-shield apparmor\nowner /x/tasks/*/*/shield/dnsmasq.conf r,\n# <<< terok-shield apparmor\n';

/** An interpreter that answers the SELinux probe with `status` (and checks it was called as `-I -c <script>`). */
const fakePython = (host: SandboxHost, status: string) =>
  host.write(`fake-python-${status}`, `#!/bin/sh\n[ "$1 $2" = "-I -c" ] || { echo "unexpected argv: $*" >&2; exit 9; }\necho ${status}\n`, 0o755);

// ---------------------------------------------------------- report scenarios

interface Report {
  host: SandboxHost;
  fixture: TerokFixture;
  paths: TerokPaths;
  r: InstallResult;
  rec: Recorded;
  text: string;
}

interface ScenarioOptions {
  /** Prepare the fake trees; returns the SELinux probe answer (undefined = interpreter never needed). */
  prepare?(host: SandboxHost, fixture: TerokFixture): string | void;
  /** Make a later phase fail (a file where the shield hooks dir goes). */
  breakShield?: boolean;
}

async function report(opts: ScenarioOptions, body: (rep: Report) => void | Promise<void>): Promise<void> {
  const host = createSandboxHost({ env: { NO_COLOR: '1' } });
  try {
    const fixture = createTerokFixture(host);
    failingKeyctl(host);
    const answer = opts.prepare?.(host, fixture);
    const detected = await detectTerokRuntime(host.ctx);
    const runtime = answer ? { ...detected, python: fakePython(host, answer) } : detected;
    const paths = resolvePaths(host.ctx);
    if (opts.breakShield) {
      mkdirSync(paths.shieldState, { recursive: true });
      writeFileSync(paths.shieldHooksDir, 'i am a file');
    }
    const rec = recordingTask();
    const r = await ensureSandboxReady({ ctx: host.ctx, task: rec.task, vaultRoutes: fakeRoutes, runtime, sysRoot: host.root }, { passphraseTier: 'kernel-keyring' });
    await body({ host, fixture, paths, r, rec, text: rec.lines.join('\n') });
  } finally {
    host.cleanup();
  }
}

const selinuxCmd = (f: TerokFixture) => `sudo bash ${path.join(f.sandboxDir, 'resources/selinux/install_policy.sh')}`;
const labels = (rep: Report) => rep.rec.stages.filter((s) => s.status !== 'running').map((s) => s.label);

// ------------------------------------------------------------------ SELinux

test('SELinux not applicable (not enforcing): no SELinux text at all, exit 0', () => report({ prepare: (h) => { enforce(h, '0\n'); } }, ({ r, text }) => {
  assert.equal(r.exitCode, EXIT_OK, text);
  assert.doesNotMatch(text, /SELinux/);
}));

test('SELinux not applicable (no selinuxfs): no SELinux text at all', () => report({}, ({ r, text }) => {
  assert.equal(r.exitCode, EXIT_OK, text);
  assert.doesNotMatch(text, /SELinux/);
}));

test('SELinux not applicable in TCP services mode, even when enforcing', () => report({
  prepare: (h) => { enforce(h, '1\n'); h.write(path.join(h.home, '.config/terok/config.yml'), 'services:\n  mode: tcp\n'); return 'policy_missing'; },
}, ({ r, text }) => {
  assert.equal(r.exitCode, EXIT_OK, text);
  assert.doesNotMatch(text, /SELinux/);
}));

test('SELinux OK: an `ok (installed)` SELinux policy line, no hint, exit 0 and a stamp', () => report({ prepare: (h) => { enforce(h, '1\n'); return 'ok'; } }, ({ r, rec, text, paths }) => {
  assert.equal(r.exitCode, EXIT_OK, text);
  assert.ok(rec.lines.includes(formatStageLine('SELinux policy', 'ok', 'installed')), text);
  assert.match(text, /^ {2}SELinux policy +ok \(installed\)$/m);
  assert.doesNotMatch(text, /SELinux policy required/);
  assert.equal(r.stampPath, paths.setupStamp);
}));

test('SELinux policy missing, all phases ok → MISSING + install command, hint with the TCP alternative, exit 5, no stamp', () => report({ prepare: (h) => { enforce(h, '1\n'); return 'policy_missing'; } }, ({ r, rec, text, fixture, paths }) => {
  assert.equal(r.exitCode, EXIT_MANUAL_STEP);
  assert.equal(EXIT_MANUAL_STEP, 5);
  assert.deepEqual(r.failedStages, []);
  assert.ok(rec.lines.includes(formatStageLine('SELinux policy', 'MISSING', `install: ${selinuxCmd(fixture)}`)), text);
  assert.match(text, /─ SELinux policy required ─/);
  assert.ok(rec.logs.includes(`  ${selinuxCmd(fixture)}`));
  assert.ok(rec.logs.includes(`  yq -yi '.services.mode = "tcp"' ~/.config/terok/config.yml`));
  assert.doesNotMatch(text, /predates the per-container/);
  assert.equal(r.stampPath, null);
  assert.equal(existsSync(paths.setupStamp), false);
  assert.doesNotMatch(text, /setup stamp written/);
}));

test('SELinux policy outdated → `MISSING (outdated — rebuild: …)`, banner "predates the per-container" / "Rebuild the policy", exit 5', () => report({ prepare: (h) => { enforce(h, '1\n'); return 'policy_outdated'; } }, ({ r, rec, text, fixture, paths }) => {
  assert.equal(r.exitCode, EXIT_MANUAL_STEP);
  assert.ok(rec.lines.includes(formatStageLine('SELinux policy', 'MISSING', `outdated — rebuild: ${selinuxCmd(fixture)}`)), text);
  assert.match(text, /SELinux policy required/);
  assert.match(text, /predates the per-container/);
  assert.match(text, /Rebuild the policy/);
  assert.match(text, /services\.mode = "tcp"/);
  assert.equal(existsSync(paths.setupStamp), false);
}));

test('libselinux not loadable → `MISSING (libselinux.so.1 not loadable)`, but not a manual step: exit 0', () => report({ prepare: (h) => { enforce(h, '1\n'); return 'libselinux_missing'; } }, ({ r, rec, text }) => {
  assert.ok(rec.lines.includes(formatStageLine('SELinux policy', 'MISSING', 'libselinux.so.1 not loadable')), text);
  assert.doesNotMatch(text, /SELinux policy required/);
  assert.equal(r.exitCode, EXIT_OK);
}));

test('a phase failure + SELinux policy missing → exit 1 (failure wins); the hint is still printed', () => report({ prepare: (h) => { enforce(h, '1\n'); return 'policy_missing'; }, breakShield: true }, ({ r, text, paths }) => {
  assert.equal(r.exitCode, EXIT_PHASE_FAILED);
  assert.deepEqual(r.failedStages, ['Shield hooks']);
  assert.match(text, /SELinux policy +MISSING/);
  assert.match(text, /SELinux policy required/);
  assert.equal(existsSync(paths.setupStamp), false);
}));

test('selinuxLine / selinuxHint / selinuxBlocksSetup per status', () => {
  const cmd = 'sudo bash /site/terok_sandbox/resources/selinux/install_policy.sh';
  const expected: Record<SelinuxStatus, [ReturnType<typeof selinuxLine>, boolean]> = {
    not_applicable: [null, false],
    ok: [{ marker: 'ok', detail: 'installed' }, false],
    policy_missing: [{ marker: 'MISSING', detail: `install: ${cmd}` }, true],
    policy_outdated: [{ marker: 'MISSING', detail: `outdated — rebuild: ${cmd}` }, true],
    libselinux_missing: [{ marker: 'MISSING', detail: 'libselinux.so.1 not loadable' }, false],
  };
  for (const [status, [line, blocks]] of Object.entries(expected) as [SelinuxStatus, [ReturnType<typeof selinuxLine>, boolean]][]) {
    assert.deepEqual(selinuxLine(status, '/site/terok_sandbox'), line, status);
    assert.equal(selinuxBlocksSetup(status), blocks, status);
  }
  assert.equal(selinuxLine('policy_missing', null)!.detail, 'install: sudo bash <terok_sandbox>/resources/selinux/install_policy.sh');
  const outdated = selinuxHint('policy_outdated', '/site/terok_sandbox').join('\n');
  assert.match(outdated, /predates the per-container/);
  assert.match(outdated, /Rebuild the policy/);
  assert.doesNotMatch(selinuxHint('policy_missing', '/site/terok_sandbox').join('\n'), /predates/);
});

test('checkSelinux: first match wins — TCP mode, then not enforcing, then the libselinux probe', async () => {
  const host = createSandboxHost({ inheritPath: false });
  try {
    const config = () => loadTerokConfig(host.ctx);
    const check = (python: string | null) => checkSelinux(host.ctx, config(), python, { sysRoot: host.root });
    assert.equal(await check(fakePython(host, 'ok')), 'not_applicable', 'no /sys/fs/selinux/enforce');
    enforce(host, '0\n');
    assert.equal(await check(fakePython(host, 'ok')), 'not_applicable', 'permissive');
    enforce(host, '1\n');
    for (const s of ['ok', 'policy_missing', 'policy_outdated', 'libselinux_missing'] as const) assert.equal(await check(fakePython(host, s)), s);
    assert.equal(await check(fakePython(host, 'something-else')), 'policy_missing', 'an unknown answer counts as missing');
    assert.equal(await check(host.write('crashing-python', '#!/bin/sh\nexit 3\n', 0o755)), 'libselinux_missing', 'probe failure');
    assert.equal(await check(null), 'libselinux_missing', 'no interpreter at all (python3 not on the sandboxed PATH)');
    host.write(path.join(host.home, '.config/terok/config.yml'), 'services:\n  mode: tcp\n');
    assert.equal(await check(fakePython(host, 'policy_missing')), 'not_applicable', 'TCP mode');
  } finally {
    host.cleanup();
  }
});

const gcc = which({ env: process.env }, 'gcc');
const python3 = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));

// A stand-in libselinux: security_check_context knows terok_socket_t unless mode "missing";
// selinux_check_access denies with EACCES in mode "outdated", but only for the exact query terok makes.
const FAKE_LIBSELINUX = `
#include <errno.h>
#include <stdlib.h>
#include <string.h>
static const char *mode(void) { const char *m = getenv("FAKE_SELINUX_MODE"); return m ? m : "ok"; }
int security_check_context(const char *con) {
  if (!strcmp(mode(), "missing")) return -1;
  return strcmp(con, "system_u:object_r:terok_socket_t:s0") ? -1 : 0;
}
int selinux_check_access(const char *scon, const char *tcon, const char *tclass, const char *perm, void *aux) {
  int exact = !strcmp(scon, "system_u:system_r:container_runtime_t:s0") && !strcmp(tcon, "system_u:object_r:terok_socket_t:s0")
    && !strcmp(tclass, "unix_stream_socket") && !strcmp(perm, "create") && aux == NULL;
  if (!strcmp(mode(), "outdated") && exact) { errno = EACCES; return -1; }
  if (!strcmp(mode(), "indeterminate")) { errno = EINVAL; return -1; }
  return 0;
}
`;

test('the SELinux probe script, run by the real python3 against a fake libselinux.so.1', { skip: gcc && python3 ? false : 'gcc or /usr/bin/python3 missing' }, async () => {
  const host = createSandboxHost({ inheritPath: false });
  try {
    const libDir = path.join(host.root, 'fake-lib');
    mkdirSync(libDir);
    const src = host.write('fake-libselinux.c', FAKE_LIBSELINUX);
    execFileSync(gcc!, ['-shared', '-fPIC', '-o', path.join(libDir, 'libselinux.so.1'), src]);
    enforce(host, '1\n');
    const config = loadTerokConfig(host.ctx);
    // ctx.run passes no environment of its own, so a wrapper puts the fake library first for the real interpreter.
    const python = (mode: string) => host.write(`python-${mode}`, `#!/bin/sh\nLD_LIBRARY_PATH='${libDir}' FAKE_SELINUX_MODE=${mode} exec ${python3} "$@"\n`, 0o755);
    const check = (mode: string) => checkSelinux(host.ctx, config, python(mode), { sysRoot: host.root });
    assert.equal(await check('ok'), 'ok');
    assert.equal(await check('missing'), 'policy_missing');
    assert.equal(await check('outdated'), 'policy_outdated', 'EACCES on the exact container_runtime_t → terok_socket_t create query');
    assert.equal(await check('indeterminate'), 'ok', 'only a definite EACCES counts as outdated');
  } finally {
    host.cleanup();
  }
});

// ----------------------------------------------------------------- AppArmor

test('AppArmor not applicable → silent: no AppArmor text anywhere', () => report({ prepare: (h) => { apparmor(h, { enabled: 'N\n', local: null }); } }, ({ r, text }) => {
  assert.equal(r.exitCode, EXIT_OK, text);
  assert.doesNotMatch(text, /AppArmor/);
}));

test('AppArmor addendum installed → `ok (installed)`, no end hint', () => report({ prepare: (h) => { apparmor(h, { local: TEROK_ADDENDUM }); } }, ({ r, rec, text }) => {
  assert.equal(r.exitCode, EXIT_OK, text);
  assert.ok(rec.lines.includes(formatStageLine('AppArmor profile', 'ok', 'installed')), text);
  assert.doesNotMatch(text, /AppArmor profile recommended/);
}));

test('AppArmor addendum missing → MISSING with the install command naming the sandbox-live root; end hint; still exit 0', () => report({ prepare: (h) => { apparmor(h, { local: '# site-specific additions\n' }); } }, ({ r, rec, text, fixture, paths }) => {
  assert.equal(path.basename(paths.sandboxLive), 'sandbox-live');
  const cmd = `sudo bash ${path.join(fixture.sandboxDir, 'resources/apparmor/install_profile.sh')} ${paths.sandboxLive}`;
  assert.ok(rec.lines.includes(formatStageLine('AppArmor profile', 'MISSING', `install: ${cmd}`)), text);
  assert.match(text, /─ AppArmor profile recommended ─/);
  assert.ok(rec.logs.includes(`  ${cmd}`));
  assert.equal(r.exitCode, EXIT_OK, 'AppArmor is never fatal');
  assert.ok(r.stampPath);
}));

test('report order: tools, then AppArmor, then SELinux, then the services', () => report({ prepare: (h) => { apparmor(h, {}); enforce(h, '1\n'); return 'ok'; } }, (rep) => {
  const l = labels(rep);
  const at = (x: string) => l.indexOf(x);
  assert.ok(at('dig') >= 0 && at('dig') < at('AppArmor profile'));
  assert.ok(at('AppArmor profile') < at('SELinux policy'));
  assert.ok(at('SELinux policy') < at('Legacy install cleanup'));
  assert.ok(rep.rec.lines.indexOf('Services:') > rep.rec.lines.findIndex((x) => x.includes('SELinux policy')));
}));

test('checkAppArmor: enabled + dnsmasq + stock profile required; ok only with the terok marker in local/<profile>', () => {
  const host = createSandboxHost({ inheritPath: false });
  try {
    const check = () => checkAppArmor(host.ctx, { sysRoot: host.root });
    const na = { status: 'not_applicable', profile: null };
    assert.deepEqual(check(), na, 'no apparmor module');
    host.write('sys/module/apparmor/parameters/enabled', 'N\n');
    assert.deepEqual(check(), na, 'disabled');
    host.write('sys/module/apparmor/parameters/enabled', 'Y\n');
    host.write('etc/apparmor.d/usr.sbin.dnsmasq', 'profile\n');
    // dnsmasq is also looked up in the real /usr/sbin and /sbin; only assert its absence where it is absent.
    if (!which({ env: { PATH: '' } }, 'dnsmasq', ['/usr/sbin', '/sbin'])) assert.deepEqual(check(), na, 'no dnsmasq');
    host.writeBin('dnsmasq', '#!/bin/sh\n');
    assert.deepEqual(check(), { status: 'profile_missing', profile: 'usr.sbin.dnsmasq' }, 'no local file');
    host.write('etc/apparmor.d/local/usr.sbin.dnsmasq', '# nothing of ours\n');
    assert.deepEqual(check(), { status: 'profile_missing', profile: 'usr.sbin.dnsmasq' });
    host.write('etc/apparmor.d/local/usr.sbin.dnsmasq', TEROK_ADDENDUM);
    assert.deepEqual(check(), { status: 'ok', profile: 'usr.sbin.dnsmasq' });
  } finally {
    host.cleanup();
  }
});

test('checkAppArmor: the `dnsmasq` profile name is used when usr.sbin.dnsmasq is absent; no stock profile → not applicable', () => {
  const host = createSandboxHost({ inheritPath: false });
  try {
    host.write('sys/module/apparmor/parameters/enabled', 'Y');
    host.writeBin('dnsmasq', '#!/bin/sh\n');
    assert.deepEqual(checkAppArmor(host.ctx, { sysRoot: host.root }), { status: 'not_applicable', profile: null });
    host.write('etc/apparmor.d/dnsmasq', 'profile\n');
    host.write('etc/apparmor.d/local/dnsmasq', TEROK_ADDENDUM);
    assert.deepEqual(checkAppArmor(host.ctx, { sysRoot: host.root }), { status: 'ok', profile: 'dnsmasq' });
  } finally {
    host.cleanup();
  }
});
