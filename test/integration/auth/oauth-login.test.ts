/**
 * OAuth end to end with real podman and a real SQLCipher DB: `terok-setup
 * auth <agent> --oauth` runs a fake login container (busybox scripts standing
 * in for `claude` / `codex login`, tagged as the default L1 alias of a unique
 * test base image), captures what it wrote, stores it, writes the phantom and
 * the post-capture state, and cleans up. stdin is not a TTY here, so the
 * container runs with `-i` only.
 *
 * Each scenario has its own image (its own base name → its own alias), since
 * the login command line is fixed by the roster.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../main/cli/index.ts';
import { register } from '../../../main/core/auth/module.ts';
import { Engine } from '../../../main/core/engine.ts';
import { detectRealRoot } from '../../../main/core/host/context.ts';
import { resolvePaths, type TerokPaths } from '../../../main/core/host/paths.ts';
import { runCommand } from '../../../main/core/host/process.ts';
import { l1AliasTag } from '../../../main/core/images/tags.ts';
import { CredentialDb } from '../../../main/core/vault/credential-db.ts';
import { captureStreams } from '../../support/auth-harness.ts';
import { createVaultFixture, FIXTURE_PASSPHRASE } from '../../support/fixtures.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { acquireTestLock } from '../../support/exclusive.ts';
import { buildBusyboxBase, podmanUsable, removeTestImages } from '../../support/podman-base.ts';

const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;
/**
 * This file's own temp dir (os.tmpdir() follows TMPDIR): the login suite beside it
 * (login-image-build) makes terok-auth-claude-* dirs too, which must not count here.
 */
const TMP = mkdtempSync(path.join(os.tmpdir(), 'terok-auth-it-tmp-'));
process.env.TMPDIR = TMP;
const BASE = `localhost/terok-auth-it-base-${RUN_ID}:latest`;
const skip = podmanUsable() ? false : 'podman or busybox-static not available';
const T = { timeoutMs: 120_000 };

const ACCESS = 'sk-ant-oat01-fixture-access-SECRET';
const REFRESH = 'sk-ant-ort01-fixture-refresh-SECRET';
const CODEX_ACCESS = 'codex-fixture-access-SECRET';

const CLAUDE_CREDENTIALS = JSON.stringify({
  claudeAiOauth: { accessToken: ACCESS, refreshToken: REFRESH, expiresAt: 1893456000123, scopes: ['user:inference', 'user:profile'], subscriptionType: 'max', rateLimitTier: 'default_claude_max_20x' },
});
const CODEX_AUTH = JSON.stringify({ OPENAI_API_KEY: null, tokens: { access_token: CODEX_ACCESS, refresh_token: 'codex-fixture-refresh-SECRET', account_id: 'acct-fixture' } });

/** Scenario → the `claude` and `codex` scripts baked into its image. */
const SCENARIOS: Record<string, { claude: string; codex?: string }> = {
  ok: {
    claude: `#!/bin/sh\nprintf '%s' '${CLAUDE_CREDENTIALS}' > /home/dev/.claude/.credentials.json\n`,
    codex: `#!/bin/sh\n[ "$1 $2" = "login --device-auth" ] || { echo "unexpected args: $*" >&2; exit 3; }\nprintf '%s' '${CODEX_AUTH}' > /home/dev/.codex/auth.json\n`,
  },
  stopped: { claude: '#!/bin/sh\nprintf partial > /home/dev/.claude/.credentials.json\nexit 130\n' },
  malformed: { claude: '#!/bin/sh\nprintf "{not json" > /home/dev/.claude/.credentials.json\necho notes > /home/dev/.claude/notes.txt\n' },
  slow: { claude: "#!/bin/sh\ntrap 'exit 143' TERM INT\nsleep 60 &\nwait\n" },
};
const baseOf = (scenario: string) => `localhost/terok-auth-it-${RUN_ID}-${scenario}`;
const aliases = Object.keys(SCENARIOS).map((s) => l1AliasTag(baseOf(s)));

async function buildScenarioImage(scenario: string): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'terok-auth-it-image-'));
  try {
    const { claude, codex } = SCENARIOS[scenario]!;
    writeFileSync(path.join(dir, 'claude'), claude, { mode: 0o755 });
    writeFileSync(path.join(dir, 'codex'), codex ?? '#!/bin/sh\nexit 9\n', { mode: 0o755 });
    writeFileSync(path.join(dir, 'Containerfile'), `FROM ${BASE}\nCOPY claude codex /bin/\n`);
    await runCommand('podman', ['build', '-q', '-f', path.join(dir, 'Containerfile'), '-t', l1AliasTag(baseOf(scenario)), dir], T);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const containerExists = async (name: string) => (await runCommand('podman', ['container', 'exists', name], { ...T, allowNonZero: true })).exitCode === 0;
const authTempDirs = (agent: string) => new Set(readdirSync(os.tmpdir()).filter((n) => n.startsWith(`terok-auth-${agent}-`)));

interface World {
  host: SandboxHost;
  engine: Engine;
  paths: TerokPaths;
  cleanup(): void;
}

/**
 * A sandboxed HOME with a real vault. As real root, podman needs no user
 * namespace, and terok's state root follows TEROK_ROOT into the sandbox.
 */
function world(): World {
  const host = createSandboxHost();
  host.ctx = { ...host.ctx, isRealRoot: detectRealRoot(), env: { ...host.ctx.env, TEROK_ROOT: path.join(host.root, 'state') } };
  createVaultFixture(host);
  const engine = new Engine(host.ctx);
  register(engine);
  return { host, engine, paths: resolvePaths(host.ctx), cleanup: () => { engine.dispose(); host.cleanup(); } };
}

function readCredential(paths: TerokPaths, set: string, provider: string) {
  const db = CredentialDb.openReadOnly(paths.credentialDb, FIXTURE_PASSPHRASE);
  try { return db.loadCredential(set, provider); } finally { db.close(); }
}

async function cli(w: World, args: string[]) {
  const streams = captureStreams();
  const code = await main(args, streams.io, w.engine);
  return { code, out: streams.out(), err: streams.err() };
}

/** The login container's name is fixed (host-auth-<agent>): the other login suite waits for this one. */
let releaseLoginLock = () => {};

before(async () => {
  if (skip) return;
  releaseLoginLock = await acquireTestLock('host-auth-containers');
  await buildBusyboxBase(BASE, RUN_ID);
  for (const s of Object.keys(SCENARIOS)) await buildScenarioImage(s);
});

after(async () => {
  if (!skip) {
    await runCommand('podman', ['rm', '--force', '--ignore', 'host-auth-claude', 'host-auth-codex'], { ...T, allowNonZero: true });
    await removeTestImages([...aliases, BASE], RUN_ID);
    releaseLoginLock();
  }
  // Last: podman (and everything else here) keeps its temp files under TMPDIR.
  rmSync(TMP, { recursive: true, force: true });
});

test('claude OAuth: stored in the real DB under (default, anthropic), byte-exact 0600 phantom, onboarding merged, temp dir and container gone', { skip }, async () => {
  const w = world();
  try {
    // A leftover container of the login's name is removed first.
    await runCommand('podman', ['create', '--name', 'host-auth-claude', l1AliasTag(baseOf('ok')), 'true'], T);
    const claudeDir = path.join(w.paths.mountsDir, '_claude-config');
    mkdirSync(claudeDir, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(claudeDir, '.claude.json'), '{"theme": "dark", "hasCompletedOnboarding": false}');
    const before = authTempDirs('claude');

    const r = await cli(w, ['auth', 'claude', '--oauth', '--base-image', baseOf('ok')]);
    assert.equal(r.err, '');
    assert.equal(r.code, 0);
    assert.match(r.out, /^Removing existing auth container: host-auth-claude\nAuthenticating Claude Code \(host-wide\)\n\nLog in with your Claude account/);
    const cmd = /^\$ podman (.*)$/m.exec(r.out)![1]!.split(' ');
    const mount = cmd[cmd.indexOf('-v') + 1]!;
    const userns = w.host.ctx.isRealRoot ? [] : ['--userns=keep-id:uid=1000,gid=1000'];
    assert.deepEqual(cmd, ['run', '--rm', ...userns, '-i', '-v', mount, '--name', 'host-auth-claude', l1AliasTag(baseOf('ok')), 'claude'], 'no -t without a TTY');
    const tempDir = mount.split(':')[0]!;
    assert.match(path.basename(tempDir), /^terok-auth-claude-/);
    assert.equal(existsSync(tempDir), false, 'login temp dir removed');
    assert.deepEqual(authTempDirs('claude'), before);
    assert.equal(await containerExists('host-auth-claude'), false, 'no container left');
    assert.match(r.out, /Credentials captured for claude \(set: default\)\nSubscription metadata written to shared Claude config mount\.\n/);

    assert.deepEqual(readCredential(w.paths, 'default', 'anthropic'), {
      type: 'oauth', access_token: ACCESS, refresh_token: REFRESH, expires_at: 1893456000,
      scopes: ['user:inference', 'user:profile'], subscription_type: 'max', rate_limit_tier: 'default_claude_max_20x',
    });
    const phantom = path.join(claudeDir, '.credentials.json');
    assert.equal(readFileSync(phantom, 'utf8'), `{
  "claudeAiOauth": {
    "accessToken": "terok-proxy-phantom-token:vault-handles-real-auth",
    "refreshToken": "",
    "expiresAt": null,
    "scopes": [
      "user:inference",
      "user:profile"
    ],
    "subscriptionType": "max",
    "rateLimitTier": "default_claude_max_20x"
  }
}
`);
    assert.equal(statSync(phantom).mode & 0o777, 0o600);
    assert.equal(statSync(claudeDir).mode & 0o777, 0o700);
    const state = path.join(claudeDir, '.claude.json');
    assert.deepEqual(JSON.parse(readFileSync(state, 'utf8')), { theme: 'dark', hasCompletedOnboarding: true });
    assert.equal(statSync(state).mode & 0o777, 0o600);
    for (const secret of [ACCESS, REFRESH]) {
      assert.ok(!r.out.includes(secret) && !r.err.includes(secret), 'no token in the output');
      assert.ok(!readFileSync(phantom, 'utf8').includes(secret), 'no token in the shared mount');
    }
  } finally {
    w.cleanup();
  }
});

test('codex device-code OAuth into a named set: --device-auth reaches the login, phantom auth.json and the vault config patch', { skip }, async () => {
  const w = world();
  try {
    const r = await cli(w, ['auth', 'codex', '--device-auth', '--credential-set', 'team-a', '--base-image', baseOf('ok')]);
    assert.equal(r.err, '');
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.out, /-p 127\.0\.0\.1:1455:1455/, 'device-code login drops the port forward');
    assert.match(r.out, /host-auth-codex \S+ codex login --device-auth\n/);
    assert.deepEqual(readCredential(w.paths, 'team-a', 'openai'), { type: 'oauth', access_token: CODEX_ACCESS, refresh_token: 'codex-fixture-refresh-SECRET', account_id: 'acct-fixture' });
    assert.equal(readCredential(w.paths, 'default', 'openai'), null);
    const codexDir = path.join(w.paths.mountsDir, '_codex-config');
    const auth = JSON.parse(readFileSync(path.join(codexDir, 'auth.json'), 'utf8'));
    assert.equal(auth.tokens.access_token, 'terok-proxy-codex-oauth-marker:vault-handles-real-auth');
    assert.equal(auth.tokens.account_id, 'acct-fixture');
    assert.equal(statSync(path.join(codexDir, 'auth.json')).mode & 0o777, 0o600);
    const config = readFileSync(path.join(codexDir, 'config.toml'), 'utf8');
    assert.match(config, /^chatgpt_base_url = "http:\/\/localhost:9419\/backend-api\/"$/m);
    assert.match(config, /^openai_base_url = "http:\/\/localhost:9419\/backend-api\/codex"$/m);
    assert.match(r.out, new RegExp(`Vault config written to ${path.join(codexDir, 'config.toml').replace(/[.]/g, '\\.')}\n`));
    assert.equal(await containerExists('host-auth-codex'), false);
  } finally {
    w.cleanup();
  }
});

test('login container exiting 130: "Authentication container stopped.", nothing stored, exit 0 (terok), cleaned up', { skip }, async () => {
  const w = world();
  try {
    const before = authTempDirs('claude');
    const r = await cli(w, ['auth', 'claude', '--oauth', '--base-image', baseOf('stopped')]);
    assert.equal(r.code, 0);
    assert.equal(r.err, 'Authentication container stopped. Nothing was stored.\n');
    assert.equal(readCredential(w.paths, 'default', 'anthropic'), null);
    assert.equal(existsSync(path.join(w.paths.mountsDir, '_claude-config', '.credentials.json')), false, 'no phantom');
    assert.equal(existsSync(path.join(w.paths.mountsDir, '_claude-config', '.claude.json')), false, 'no post-capture state');
    assert.deepEqual(authTempDirs('claude'), before);
    assert.equal(await containerExists('host-auth-claude'), false);
  } finally {
    w.cleanup();
  }
});

test('malformed credential file: error with the file list, nothing stored, exit 1', { skip }, async () => {
  const w = world();
  try {
    const before = authTempDirs('claude');
    const r = await cli(w, ['auth', 'claude', '--oauth', '--base-image', baseOf('malformed')]);
    assert.equal(r.code, 1);
    assert.equal(r.err, 'Could not read the Claude Code login: .credentials.json is not valid JSON; nothing was stored.\nFiles found in the login directory:\n  .credentials.json\n  notes.txt\n');
    assert.doesNotMatch(r.out, /Credentials captured/);
    assert.equal(readCredential(w.paths, 'default', 'anthropic'), null);
    assert.equal(existsSync(path.join(w.paths.mountsDir, '_claude-config', '.credentials.json')), false);
    assert.deepEqual(authTempDirs('claude'), before);
    assert.equal(await containerExists('host-auth-claude'), false);
  } finally {
    w.cleanup();
  }
});

test('Ctrl-C during the login: "Authentication interrupted.", container stopped and removed, nothing stored', { skip }, async () => {
  const w = world();
  try {
    const before = authTempDirs('claude');
    const started = Date.now();
    const running = cli(w, ['auth', 'claude', '--oauth', '--base-image', baseOf('slow')]);
    // SIGINT reaches the CLI once its container is up (the CLI's handler is installed by then).
    while (!(await containerExists('host-auth-claude'))) {
      assert.ok(Date.now() - started < 60_000, 'login container did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    process.kill(process.pid, 'SIGINT');
    const r = await running;
    assert.equal(r.code, 0);
    assert.equal(r.err, 'Authentication interrupted. Nothing was stored.\n');
    assert.ok(Date.now() - started < 40_000, 'stopped well before the fake login would have ended');
    assert.equal(readCredential(w.paths, 'default', 'anthropic'), null);
    assert.deepEqual(authTempDirs('claude'), before);
    assert.equal(await containerExists('host-auth-claude'), false);
    assert.equal(process.listenerCount('SIGINT'), 0, 'the CLI removed its SIGINT handler');
  } finally {
    w.cleanup();
  }
});
