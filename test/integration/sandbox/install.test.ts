/**
 * The install aggregator end to end on a sandboxed HOME with a fixture terok
 * installation: real files, real SQLCipher DB, real containers.conf edits.
 * The only fake is keyctl (always failing), so the kernel-keyring tier uses
 * its session-file fallback instead of this machine's real user keyring.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { createTerokFixture, FIXTURE_VERSIONS } from '../../support/terok-fixture.ts';
import { failingKeyctl, fakeRoutes, install, recordingTask, uninstall } from '../../support/sandbox-install.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { ensureSandboxReady } from '../../../main/core/sandbox/install.ts';
import { detectTerokRuntime } from '../../../main/core/sandbox/terok-runtime.ts';
import { setupVerdict } from '../../../main/core/sandbox/setup-stamp.ts';
import { isPlaintextSqlite, CredentialDb } from '../../../main/core/vault/credential-db.ts';
import { sessionDigest } from '../../../main/core/vault/passphrase.ts';
import { pendingKeyFile } from '../../../main/core/vault/recovery-key.ts';

function withHost(body: (host: SandboxHost, fixture: ReturnType<typeof createTerokFixture>) => Promise<void>) {
  return async () => {
    const host = createSandboxHost({ env: { NO_COLOR: '1' } });
    try {
      const fixture = createTerokFixture(host);
      failingKeyctl(host);
      await body(host, fixture);
    } finally {
      host.cleanup();
    }
  };
}

type WithStages = { rec: { stages: { label: string; status: string; detail: string }[] } };
const completed = (r: WithStages) => r.rec.stages.filter((s) => s.status !== 'running');
const labelsOf = (r: WithStages) => completed(r).map((s) => s.label);
const SERVICE_ORDER = ['Vault routes', 'Legacy install cleanup', 'Shield hooks', 'Credentials DB', 'Supervisor hooks'];

/** Every regular file under `dir` with its mode and bytes. */
function snapshot(dir: string, skip: (p: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && !skip(p)) out.set(p, `${(st.mode & 0o7777).toString(8)}:${readFileSync(p).toString('base64')}`);
    }
  };
  walk(dir);
  return out;
}

test('fresh install: stages in order, hooks, DB, tier, stamp; exit 0', withHost(async (host, fixture) => {
  const r = await install(host, { passphraseTier: 'kernel-keyring' });
  assert.equal(r.exitCode, 0, r.rec.lines.join('\n'));
  const labels = labelsOf(r);
  assert.deepEqual(labels.filter((l) => SERVICE_ORDER.includes(l)), SERVICE_ORDER);
  assert.ok(labels.indexOf('podman') > labels.indexOf('Vault routes') && labels.indexOf('podman') < labels.indexOf('Legacy install cleanup'));
  for (const l of ['podman', 'git', 'ssh-keygen', 'catatonit', 'nft', 'dnsmasq', 'dig']) assert.ok(labels.includes(l), l);
  assert.ok(r.rec.lines.includes('  Shield hooks          ok (active)'));
  assert.ok(r.rec.lines.includes('  Supervisor hooks      ok (installed (OCI hook + wrapper))'));

  const paths = resolvePaths(host.ctx);
  assert.deepEqual(readdirSync(paths.shieldHooksDir).sort(), ['_oci_state.py', 'terok-shield-bridge-createRuntime.json', 'terok-shield-bridge-hook', 'terok-shield-bridge-poststop.json', 'terok-shield-createRuntime.json', 'terok-shield-hook', 'terok-shield-poststop.json']);
  assert.equal(statSync(path.join(paths.shieldHooksDir, 'terok-shield-hook')).mode & 0o777, 0o755);
  assert.equal(readFileSync(path.join(paths.shieldHooksDir, 'terok-shield-createRuntime.json'), 'utf8'),
    JSON.stringify({ version: '1.0.0', hook: { path: path.join(paths.shieldHooksDir, 'terok-shield-hook'), args: ['terok-shield-hook', 'createRuntime'] }, when: { annotations: { 'terok.shield.profiles': '.*' } }, stages: ['createRuntime'] }, null, 2) + '\n');
  // terok-shield's placeholder, quotes included, becomes the reader path as a JSON string.
  assert.ok(readFileSync(path.join(paths.shieldHooksDir, 'terok-shield-bridge-hook'), 'utf8').includes(`reader: READER = ${JSON.stringify(path.join(paths.shieldState, 'nflog-reader.py'))}\n`));
  // Installed under terok's names, from the files the package ships (nft_hook.py, reader_hook.py, nflog_reader.py).
  assert.equal(statSync(path.join(paths.shieldHooksDir, 'terok-shield-hook')).mode & 0o777, 0o755);

  assert.deepEqual(JSON.parse(readFileSync(path.join(paths.supervisorHooksDir, 'terok-sandbox-supervisor-poststop.json'), 'utf8')),
    { version: '1.0.0', hook: { path: path.join(paths.supervisorHooksDir, 'supervisor_hook.py'), args: ['supervisor_hook', 'poststop'] }, when: { annotations: { 'terok.sandbox.sidecar': '.+' } }, stages: ['poststop'] });
  assert.ok(readFileSync(paths.supervisorWrapper, 'utf8').includes(JSON.stringify([path.join(host.bin, 'terok-sandbox')])));
  assert.ok(readFileSync(paths.containersConf, 'utf8').includes(`hooks_dir = ["${paths.shieldHooksDir}", "${paths.supervisorHooksDir}"]`));

  // Vault: encrypted DB, 0600; the passphrase only in the result, never in a line.
  assert.ok(existsSync(paths.credentialDb) && !isPlaintextSqlite(paths.credentialDb));
  assert.equal(statSync(paths.credentialDb).mode & 0o777, 0o600);
  assert.match(r.generatedPassphrase!, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(!r.rec.lines.some((l) => l.includes(r.generatedPassphrase!)), 'passphrase leaked into output');
  assert.ok(!JSON.stringify(r.vault).includes(r.generatedPassphrase!));
  const session = path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb));
  assert.equal(readFileSync(session, 'utf8'), r.generatedPassphrase);
  assert.equal(statSync(session).mode & 0o777, 0o600);
  assert.equal(statSync(paths.vaultSessionDir).mode & 0o777, 0o700);
  CredentialDb.open(paths.credentialDb, r.generatedPassphrase!).close();

  assert.deepEqual(JSON.parse(readFileSync(paths.setupStamp, 'utf8')).packages, fixture.versions);
  assert.equal(r.stampPath, paths.setupStamp);
  assert.equal((await setupVerdict(host.ctx)).verdict, 'ok');
}));

test('install twice = one install: byte-identical files, no new passphrase', withHost(async (host) => {
  const first = await install(host, { passphraseTier: 'kernel-keyring' });
  assert.equal(first.exitCode, 0);
  const isStamp = (p: string) => p.endsWith('setup.stamp');
  const before = snapshot(host.root, isStamp);
  const second = await install(host);
  assert.equal(second.exitCode, 0, second.rec.lines.join('\n'));
  // Not yet confirmed as saved: the same key is handed back to be shown again — never a second one.
  assert.equal(second.generatedPassphrase, first.generatedPassphrase);
  assert.equal(second.vault?.db, 'opened');
  assert.equal(second.containersConfWarning, null);
  assert.deepEqual(snapshot(host.root, isStamp), before);
}));

test('no-shield skips only the shield; no-vault skips only routes and credentials', withHost(async (host) => {
  const noShield = await install(host, { noShield: true, passphraseTier: 'kernel-keyring' });
  assert.equal(noShield.exitCode, 0);
  assert.ok(!labelsOf(noShield).includes('Shield hooks'));
  assert.ok(['Vault routes', 'Legacy install cleanup', 'Credentials DB', 'Supervisor hooks'].every((l) => labelsOf(noShield).includes(l)));
  const noVault = await install(host, { noVault: true, passphraseTier: 'bogus' as never });
  assert.equal(noVault.exitCode, 0, 'a bad tier is ignored with no-vault');
  assert.deepEqual(labelsOf(noVault).filter((l) => SERVICE_ORDER.includes(l)), ['Legacy install cleanup', 'Shield hooks', 'Supervisor hooks']);
}));

test('a failing phase does not stop later phases; exit 1 and no stamp', withHost(async (host) => {
  const paths = resolvePaths(host.ctx);
  mkdirSync(paths.shieldState, { recursive: true });
  writeFileSync(paths.shieldHooksDir, 'i am a file');
  const r = await install(host, { passphraseTier: 'kernel-keyring' });
  assert.equal(r.exitCode, 1);
  assert.deepEqual(r.failedStages, ['Shield hooks']);
  const shield = completed(r).find((s) => s.label === 'Shield hooks')!;
  assert.equal(shield.status, 'FAIL');
  assert.match(shield.detail, /is a file, not a directory — move it away/);
  assert.ok(labelsOf(r).includes('Credentials DB') && labelsOf(r).includes('Supervisor hooks'));
  assert.ok(r.generatedPassphrase, 'the passphrase still reaches the caller when a later stage fails');
  assert.equal(existsSync(paths.setupStamp), false);
}));

test('a roster (routes) failure stops the install before anything else', withHost(async (host) => {
  const r = await install(host, {}, async () => { throw new Error('agents/claude.yaml: bad roster'); });
  assert.equal(r.exitCode, 1);
  assert.deepEqual(labelsOf(r), ['Vault routes']);
  assert.equal(completed(r)[0]!.status, 'FAIL');
}));

test('an unknown passphrase tier is refused before any stage runs', withHost(async (host) => {
  await assert.rejects(install(host, { passphraseTier: 'usb-stick' as never }), /unknown --passphrase-tier 'usb-stick'; expected one of: kernel-keyring, keyring, systemd-creds/);
}));

test('SELinux policy missing with all phases ok → exit 5, hint, no stamp', withHost(async (host) => {
  host.write('sys/fs/selinux/enforce', '1\n');
  const fakePython = host.write('fake-python', '#!/bin/sh\necho policy_missing\n', 0o755);
  const runtime = { ...(await detectTerokRuntime(host.ctx)), python: fakePython };
  const rec = recordingTask();
  const r = await ensureSandboxReady({ ctx: host.ctx, task: rec.task, vaultRoutes: fakeRoutes, runtime, sysRoot: host.root }, { passphraseTier: 'kernel-keyring' });
  assert.equal(r.exitCode, 5);
  const text = rec.lines.join('\n');
  assert.match(text, /SELinux policy +MISSING \(install: sudo bash .*install_policy\.sh\)/);
  assert.match(text, /SELinux policy required/);
  assert.match(text, /services\.mode = "tcp"/);
  assert.equal(existsSync(resolvePaths(host.ctx).setupStamp), false);
}));

test('uninstall removes exactly what install put there and the stamp; keeps routes and the DB', withHost(async (host) => {
  const paths = resolvePaths(host.ctx);
  const before = snapshot(host.root);
  const r = await install(host, { passphraseTier: 'kernel-keyring' }, async () => {
    mkdirSync(paths.vaultDir, { recursive: true });
    writeFileSync(paths.routesJson, '{}\n');
    return 'regenerated';
  });
  assert.equal(r.exitCode, 0);
  const u = await uninstall(host);
  assert.equal(u.exitCode, 0);
  assert.deepEqual(labelsOf(u), ['Supervisor hooks', 'Shield hooks', 'Legacy install cleanup']);
  assert.ok(u.rec.logs.includes('→ setup stamp removed'));
  const added = [...snapshot(host.root).keys()].filter((p) => !before.has(p)).map((p) => path.relative(host.root, p)).sort();
  const rel = (p: string) => path.relative(host.root, p);
  // Kept like terok keeps them: DB, routes, containers.conf, the NFLOG reader, the passphrase tier —
  // and the unsaved recovery key, which belongs to the vault that is kept.
  assert.deepEqual(added, [
    rel(paths.credentialDb), rel(paths.routesJson), rel(paths.containersConf),
    rel(path.join(paths.shieldState, 'nflog-reader.py')), rel(path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb))),
    rel(pendingKeyFile(paths)),
  ].sort());
}));

test('after a package upgrade the wizard sees stale_after_update; a downgrade is named', withHost(async (host, fixture) => {
  assert.equal((await setupVerdict(host.ctx)).verdict, 'first_run');
  await install(host, { passphraseTier: 'kernel-keyring' });
  fixture.setVersion('terok-sandbox', '0.5.0');
  const up = await setupVerdict(host.ctx);
  assert.equal(up.verdict, 'stale_after_update');
  assert.deepEqual(up.changes.map((c) => [c.name, c.stamped, c.installed]), [['terok-sandbox', FIXTURE_VERSIONS['terok-sandbox'], '0.5.0']]);
  fixture.setVersion('terok-sandbox', '0.4.9');
  const down = await setupVerdict(host.ctx);
  assert.equal(down.verdict, 'stale_after_downgrade');
  assert.deepEqual(down.offenders, [`terok-sandbox ${FIXTURE_VERSIONS['terok-sandbox']} → 0.4.9`]);
}));

test('stale hooks after a shield upgrade are replaced by a re-run', withHost(async (host, fixture) => {
  await install(host, { passphraseTier: 'kernel-keyring' });
  fixture.setBundleVersion(13);
  const r = await install(host);
  assert.equal(r.exitCode, 0, r.rec.lines.join('\n'));
  assert.match(readFileSync(path.join(resolvePaths(host.ctx).shieldHooksDir, '_oci_state.py'), 'utf8'), /BUNDLE_VERSION = 13/);
}));

test('terok not installed: the hook stages fail with the pipx install command', async () => {
  const host = createSandboxHost({ inheritPath: false, env: { NO_COLOR: '1' } });
  try {
    failingKeyctl(host);
    const r = await install(host, { passphraseTier: 'kernel-keyring' });
    assert.equal(r.exitCode, 1);
    assert.match(completed(r).find((s) => s.label === 'Shield hooks')!.detail, /terok is not installed — install it with: pipx install --include-deps terok-executor/);
  } finally {
    host.cleanup();
  }
});
