/**
 * Hook payload verification against real files of a fixture terok install
 * (support/terok-fixture.ts), and the recorded terok-sandbox digests against
 * the terok-sandbox source, where a mirror of it is on this machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { createTerokFixture, FIXTURE_VERSIONS, sha256, type TerokFixture } from '../../support/terok-fixture.ts';
import { detectTerokRuntime, type TerokRuntime } from '../../../main/core/sandbox/terok-runtime.ts';
import {
  executorSupported, hookStageRefusal, MAX_PAYLOAD_BYTES, payloadRefusal, recordPayloadDigests, verifyHookPayload,
} from '../../../main/core/sandbox/payload-verify.ts';
import { PAYLOAD_DIGESTS, TEROK_RELEASE } from '../../../main/core/sandbox/terok-release.ts';

async function withFixture(body: (host: SandboxHost, fixture: TerokFixture, runtime: TerokRuntime) => Promise<void> | void): Promise<void> {
  const host = createSandboxHost();
  try {
    const fixture = createTerokFixture(host);
    await body(host, fixture, await detectTerokRuntime(host.ctx));
  } finally {
    host.cleanup();
  }
}

test('the fixture payload under its own digests: match, every copied file checked', () => withFixture((_h, fixture, runtime) => {
  const v = verifyHookPayload(runtime, fixture.payloadDigests());
  assert.equal(v.verdict, 'match');
  assert.deepEqual(v.files.map((f) => f.file).sort(), ['_oci_state.py', '_supervisor_state.py', 'nflog_reader.py', 'nft_hook.py', 'reader_hook.py', 'supervisor_hook.py', 'supervisor_wrapper.py']);
  assert.ok(v.files.every((f) => f.found === f.expected && f.problem === null));
  assert.equal(payloadRefusal(v), null);
}));

test('one byte changed: mismatch naming package, version, file, short digests and path', () => withFixture((_h, fixture, runtime) => {
  const table = fixture.payloadDigests();
  const hook = path.join(fixture.shieldDir, 'resources/nft_hook.py');
  const before = readFileSync(hook);
  const after = Buffer.from(before); after[after.length - 2]! ^= 1;
  writeFileSync(hook, after);
  const v = verifyHookPayload(runtime, table);
  assert.equal(v.verdict, 'mismatch');
  const bad = v.files.filter((f) => f.problem);
  assert.deepEqual(bad.map((f) => [f.package, f.version, f.file, f.path, f.expected, f.found]),
    [['terok-shield', FIXTURE_VERSIONS['terok-shield'], 'nft_hook.py', hook, sha256(before), sha256(after)]]);
  const refusal = payloadRefusal(v)!;
  assert.equal(refusal.code, 'payload-mismatch');
  assert.deepEqual(refusal.lines, [
    `terok-shield ${FIXTURE_VERSIONS['terok-shield']}: nft_hook.py does not match the recorded release: sha256 expected ${sha256(before).slice(0, 12)}…, found ${sha256(after).slice(0, 12)}…`,
    `at ${hook}`,
  ]);
  assert.match(refusal.hint, /pipx uninstall terok-executor, then pipx install --include-deps terok-executor==0\.4\.0a22.*terok-shield\/issues/);
  // Only the shield is affected: the sandbox on its own still matches.
  assert.equal(verifyHookPayload(runtime, table, ['terok-sandbox']).verdict, 'match');
}));

test('a payload file that is a symlink is a mismatch, even to identical bytes; so is one reached through a symlinked directory', () => withFixture((host, fixture, runtime) => {
  const table = fixture.payloadDigests();
  const hook = path.join(fixture.sandboxDir, 'resources/hooks/supervisor_hook.py');
  const elsewhere = path.join(host.root, 'elsewhere');
  mkdirSync(elsewhere);
  renameSync(hook, path.join(elsewhere, 'supervisor_hook.py'));
  symlinkSync(path.join(elsewhere, 'supervisor_hook.py'), hook);
  let v = verifyHookPayload(runtime, table);
  assert.equal(v.verdict, 'mismatch');
  assert.deepEqual(v.files.filter((f) => f.problem).map((f) => [f.file, f.problem, f.found]), [['supervisor_hook.py', 'is a symbolic link, not the file the release ships', null]]);

  // The whole hooks dir moved out of the package and linked back in: same bytes, still refused.
  unlinkSync(hook);
  renameSync(path.join(elsewhere, 'supervisor_hook.py'), hook);
  const hooksDir = path.join(fixture.sandboxDir, 'resources/hooks');
  renameSync(hooksDir, path.join(elsewhere, 'hooks'));
  symlinkSync(path.join(elsewhere, 'hooks'), hooksDir);
  v = verifyHookPayload(runtime, table);
  assert.equal(v.verdict, 'mismatch');
  assert.deepEqual(v.files.filter((f) => f.problem).map((f) => f.file), ['supervisor_hook.py', '_supervisor_state.py']);
  assert.match(v.files.find((f) => f.problem)!.problem!, /lies outside .*terok_sandbox/);
  // A symlink is refused whatever the version: no record needed to know it is not a shipped file.
  assert.equal(verifyHookPayload(runtime, PAYLOAD_DIGESTS, ['terok-sandbox']).verdict, 'mismatch');
}));

test('size cap: a payload file over the cap is refused unread', () => withFixture((_h, fixture, runtime) => {
  const wrapper = path.join(fixture.sandboxDir, 'resources/supervisor_wrapper.py');
  appendFileSync(wrapper, Buffer.alloc(MAX_PAYLOAD_BYTES, 0x23));
  const v = verifyHookPayload(runtime, fixture.payloadDigests());
  assert.equal(v.verdict, 'mismatch');
  assert.match(v.files.find((f) => f.file === 'supervisor_wrapper.py')!.problem!, /larger than 1024 KiB/);
}));

test('a recorded file missing, or a copied file the record lacks: mismatch', () => withFixture((_h, fixture, runtime) => {
  const table = fixture.payloadDigests();
  unlinkSync(path.join(fixture.shieldDir, 'resources/nflog_reader.py'));
  let v = verifyHookPayload(runtime, table);
  assert.deepEqual(v.files.filter((f) => f.problem).map((f) => [f.file, f.problem]), [['nflog_reader.py', 'is missing from the installed package']]);
  // _host_tools.py is copied when shipped; a release recorded without it must not gain it silently.
  writeFileSync(path.join(fixture.shieldDir, 'resources/nflog_reader.py'), '#!/usr/bin/env python3\n# fixture NFLOG reader\n');
  writeFileSync(path.join(fixture.shieldDir, 'resources/_host_tools.py'), 'print("extra")\n');
  v = verifyHookPayload(runtime, table);
  assert.deepEqual(v.files.filter((f) => f.problem).map((f) => [f.file, f.problem]), [['_host_tools.py', 'is not part of the recorded release']]);
}));

test('no digests for the installed version: unknown-version, its own verdict; the hook stage logs a note and lets it through', () => withFixture((_h, fixture, runtime) => {
  // The fixture's +fixture versions are recorded nowhere (its bytes are not the release's).
  const v = verifyHookPayload(runtime, PAYLOAD_DIGESTS);
  assert.equal(v.verdict, 'unknown-version');
  assert.deepEqual(v.unknown, [{ package: 'terok-shield', version: FIXTURE_VERSIONS['terok-shield'] }, { package: 'terok-sandbox', version: FIXTURE_VERSIONS['terok-sandbox'] }]);
  assert.equal(payloadRefusal(v)?.code, 'payload-unverified');
  const logs: string[] = [];
  assert.equal(hookStageRefusal(runtime, PAYLOAD_DIGESTS, 'terok-sandbox', (l) => logs.push(l)), null);
  assert.deepEqual(logs, [`note: the hook files of terok-sandbox ${FIXTURE_VERSIONS['terok-sandbox']} could not be verified (no recorded digests for that version; terok-executor 0.4.0a22 is within the range this wizard supports (>=0.4.0a22,<0.5)) — installing them as shipped`]);
  // A mismatch gives the stage's FAIL detail and logs nothing.
  const table = fixture.payloadDigests();
  fixture.setBundleVersion(100);
  logs.length = 0;
  const detail = hookStageRefusal(runtime, table, 'terok-shield', (l) => logs.push(l))!;
  assert.match(detail.split('\n')[0]!, /^terok-shield .*: _oci_state\.py does not match the recorded release: sha256 expected [0-9a-f]{12}…, found [0-9a-f]{12}…$/);
  assert.deepEqual(logs, []);
}));

test('recordPayloadDigests prints what verifyHookPayload checks (the maintainer script)', () => withFixture((_h, fixture, runtime) => {
  const recorded = recordPayloadDigests(runtime);
  const expected = fixture.payloadDigests();
  for (const r of recorded) {
    assert.deepEqual(r.problems, []);
    assert.deepEqual({ [r.version!]: r.digests }, expected[r.package]);
  }
  assert.deepEqual(recorded.map((r) => r.package), ['terok-shield', 'terok-sandbox']);
}));

test('the supported terok-executor range is >=0.4.0a22,<0.5 (PEP 440: 0.5 pre-releases are outside)', () => {
  for (const v of ['0.4.0a22', '0.4.0a23', '0.4.0', '0.4.1', '0.4.99.post1']) assert.ok(executorSupported(v), v);
  for (const v of ['0.4.0a21', '0.4.0.dev1', '0.3.9', '0.5', '0.5.0a1', '0.5.0', '1.0', undefined]) assert.ok(!executorSupported(v), String(v));
});

const SANDBOX_MIRROR = '/work/.mirror/terok-ai+terok-sandbox/repo';
test('the recorded terok-sandbox 0.5.0a23 digests are those of its release tag', { skip: existsSync(SANDBOX_MIRROR) ? false : `no terok-sandbox mirror at ${SANDBOX_MIRROR}` }, () => {
  const git = (...args: string[]) => execFileSync('git', ['-c', `safe.directory=${SANDBOX_MIRROR}`, '-C', SANDBOX_MIRROR, ...args], { timeout: 30_000, maxBuffer: 8 * 1024 * 1024 });
  const tree = git('ls-tree', '-r', '--name-only', 'v0.5.0a23', 'src/terok_sandbox/resources').toString().trim().split('\n');
  const recorded = PAYLOAD_DIGESTS['terok-sandbox'][TEROK_RELEASE.sandbox]!;
  assert.deepEqual(Object.keys(recorded).sort(), ['_supervisor_state.py', 'supervisor_hook.py', 'supervisor_wrapper.py']);
  for (const [file, digest] of Object.entries(recorded)) {
    const paths = tree.filter((p) => path.basename(p) === file);
    assert.equal(paths.length, 1, file);
    assert.equal(sha256(git('show', `v0.5.0a23:${paths[0]}`)), digest, file);
  }
});

test('every recorded digest is a full sha256 (64 lowercase hex digits), for a file some installer copies', async () => {
  const { PAYLOAD_FILES } = await import('../../../main/core/sandbox/payload-verify.ts');
  for (const [pkg, versions] of Object.entries(PAYLOAD_DIGESTS)) {
    for (const [version, files] of Object.entries(versions)) {
      for (const [file, digest] of Object.entries(files)) {
        assert.match(digest, /^[0-9a-f]{64}$/, `${pkg} ${version} ${file}`);
        assert.ok(PAYLOAD_FILES[pkg as keyof typeof PAYLOAD_FILES].includes(file), `${pkg} ${version} ${file} is copied by an installer`);
      }
    }
  }
});
