/**
 * OAuth login when the default L1 alias is missing (terok-executor §6.4,
 * ensure_default_l1): the flow builds L0 + L1 with every roster agent first,
 * printing the first-build preamble, then runs the login in the new alias.
 * Real podman and a real SQLCipher DB. Registries are unreachable, so the
 * build gets a busybox base and fixture templates/roster (as in
 * test/integration/images/build.test.ts) through the flow's `imageBuild`
 * seam; the fixture L1 template bakes a fake `claude` login that writes
 * `.credentials.json` the way the real one does.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { authEnvOf, register } from '../../../main/core/auth/module.ts';
import { runOAuthLogin, type OAuthFlowDeps } from '../../../main/core/auth/login-flow.ts';
import { Engine } from '../../../main/core/engine.ts';
import { detectRealRoot } from '../../../main/core/host/context.ts';
import { resolvePaths, type TerokPaths } from '../../../main/core/host/paths.ts';
import { runCommand, type Runner } from '../../../main/core/host/process.ts';
import { FIRST_BUILD_POSTAMBLE, FIRST_BUILD_PREAMBLE } from '../../../main/core/steps/images.ts';
import { imageAgents, imageExists, imageId } from '../../../main/core/images/podman.ts';
import { l0Tag, l1AliasTag, l1Tag } from '../../../main/core/images/tags.ts';
import type { ImageTemplateSource } from '../../../main/core/images/templates/types.ts';
import { CredentialDb } from '../../../main/core/vault/credential-db.ts';
import { createVaultFixture, FIXTURE_PASSPHRASE } from '../../support/fixtures.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { acquireTestLock } from '../../support/exclusive.ts';
import { FIXTURE_ENTRIES, fixtureRoster, fixtureTemplates } from '../../support/images-fixtures.ts';
import { buildBusyboxBase, podmanUsable, removeTestImages } from '../../support/podman-base.ts';

const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;
const BASE = `localhost/terok-auth-l1-it-base-${RUN_ID}:latest`;
const ALIAS = l1AliasTag(BASE);
const BUILT = [l0Tag(BASE), l1Tag(BASE, ['alpha', 'beta']), ALIAS];
const skip = podmanUsable() ? false : 'podman or busybox-static not available';
const T = { timeoutMs: 120_000 };
const podman = { bin: 'podman', run: runCommand };

const ACCESS = 'sk-ant-oat01-l1-fixture-access-SECRET';
const REFRESH = 'sk-ant-ort01-l1-fixture-refresh-SECRET';
const CLAUDE_CREDENTIALS = JSON.stringify({
  claudeAiOauth: { accessToken: ACCESS, refreshToken: REFRESH, expiresAt: 1893456000123, scopes: ['user:inference'], subscriptionType: 'pro' },
});
const FAKE_CLAUDE = `#!/bin/sh\n# fake claude login baked by the fixture L1 template\nprintf '%s' '${CLAUDE_CREDENTIALS}' > /home/dev/.claude/.credentials.json\n`;

/** Two fixture agents, so `all` has something to select (sleeper/broken would stall or fail the build). */
const roster = fixtureRoster({ alpha: FIXTURE_ENTRIES.alpha!, beta: FIXTURE_ENTRIES.beta! });

/**
 * The fixture templates plus the fake login. As real root the login runs
 * without a user namespace, so it must be root to write the host's 0700 temp
 * dir; otherwise keep-id maps the host user onto `dev`.
 */
function loginTemplates(isRealRoot: boolean): ImageTemplateSource {
  const base = fixtureTemplates(RUN_ID);
  return {
    l0: base.l0,
    l1: (v) => `${base.l1(v)}USER root\nCOPY fake-login/claude /bin/claude\n${isRealRoot ? '' : 'USER dev\n'}`,
    contextFiles: (family) => [...base.contextFiles(family), { path: 'fake-login/claude', content: FAKE_CLAUDE, mode: 0o755 }],
  };
}

interface World {
  host: SandboxHost;
  engine: Engine;
  paths: TerokPaths;
  /** argv of every command the flow ran. */
  calls: string[][];
  buildTmp: string;
  cleanup(): void;
}

function world(): World {
  const host = createSandboxHost();
  const calls: string[][] = [];
  const run: Runner = (file, args, opts) => { calls.push([path.basename(file), ...args]); return runCommand(file, args, opts); };
  host.ctx = { ...host.ctx, run, isRealRoot: detectRealRoot(), env: { ...host.ctx.env, TEROK_ROOT: path.join(host.root, 'state') } };
  createVaultFixture(host);
  const engine = new Engine(host.ctx);
  register(engine);
  const buildTmp = path.join(host.root, 'build-tmp');
  mkdirSync(buildTmp);
  return { host, engine, paths: resolvePaths(host.ctx), calls, buildTmp, cleanup: () => { engine.dispose(); host.cleanup(); } };
}

async function login(w: World) {
  const logs: string[] = [];
  const env = authEnvOf(w.engine, (line) => logs.push(line));
  const deps: OAuthFlowDeps = { imageBuild: { roster, templates: loginTemplates(w.host.ctx.isRealRoot), tmpRoot: w.buildTmp } };
  const before = w.calls.length;
  const outcome = await runOAuthLogin(env, { agent: 'claude', credentialSet: 'default', deviceAuth: false, baseImage: BASE, family: 'deb', tty: false }, deps);
  return { outcome, logs, calls: w.calls.slice(before) };
}

function readCredential(paths: TerokPaths) {
  const db = CredentialDb.openReadOnly(paths.credentialDb, FIXTURE_PASSPHRASE);
  try { return db.loadCredential('default', 'anthropic'); } finally { db.close(); }
}

const podmanBuilds = (calls: string[][]) => calls.filter((c) => c[0] === 'podman' && c[1] === 'build');

/** The login container's name is fixed (host-auth-<agent>): the other login suite waits for this one. */
let releaseLoginLock = () => {};

before(async () => {
  if (skip) return;
  releaseLoginLock = await acquireTestLock('host-auth-containers');
  await buildBusyboxBase(BASE, RUN_ID);
});

after(async () => {
  if (skip) return;
  await runCommand('podman', ['rm', '--force', '--ignore', 'host-auth-claude'], { ...T, allowNonZero: true });
  await removeTestImages([...BUILT, BASE], RUN_ID);
  releaseLoginLock();
});

test('claude OAuth with the default L1 alias missing: builds it first (preamble), logs in in it, stores the credential; a second login does not build', { skip, timeout: 300_000 }, async () => {
  const w = world();
  try {
    assert.equal(await imageExists(podman, ALIAS), false, 'alias absent before the first login');

    const first = await login(w);
    assert.equal(first.outcome.status, 'captured', first.logs.join('\n'));
    const notBuilt = first.logs.indexOf(`The login runs in ${ALIAS}, which is not built yet; building it now.`);
    assert.ok(notBuilt >= 0, first.logs.join('\n'));
    assert.deepEqual(first.logs.slice(notBuilt + 1, notBuilt + 1 + FIRST_BUILD_PREAMBLE.length), FIRST_BUILD_PREAMBLE, 'preamble right after the notice');
    const post = first.logs.findIndex((_, i) => FIRST_BUILD_POSTAMBLE.every((l, j) => first.logs[i + j] === l));
    assert.ok(post > notBuilt, 'postamble after the build output');
    const banner = first.logs.indexOf('Authenticating Claude Code (host-wide)');
    assert.ok(banner > post, 'the login starts after the build');
    assert.ok(first.logs.some((l) => /^STEP \d+\/\d+: COPY fake-login\/claude \/bin\/claude$/.test(l)), 'podman output streamed into the log');
    assert.match(first.logs.find((l) => l.startsWith('$ podman run'))!, new RegExp(` --name host-auth-claude ${ALIAS.replace(/[.]/g, '\\.')} claude$`));

    // L0 + L1 built with every roster agent, L1 also tagged as the alias.
    assert.equal(podmanBuilds(first.calls).length, 2);
    for (const tag of BUILT) assert.ok(await imageExists(podman, tag), tag);
    assert.deepEqual(await imageAgents(podman, ALIAS), new Set(['alpha', 'beta']));
    assert.deepEqual(readdirSync(w.buildTmp), [], 'build context removed');

    assert.deepEqual(readCredential(w.paths), {
      type: 'oauth', access_token: ACCESS, refresh_token: REFRESH, expires_at: 1893456000, scopes: ['user:inference'], subscription_type: 'pro', rate_limit_tier: null,
    });
    for (const l of first.logs) assert.ok(!l.includes(ACCESS) && !l.includes(REFRESH), 'no token in the log');
    const aliasId = await imageId(podman, ALIAS);

    const second = await login(w);
    assert.equal(second.outcome.status, 'captured', second.logs.join('\n'));
    assert.ok(!second.logs.some((l) => l.includes('not built yet')), second.logs.join('\n'));
    for (const l of FIRST_BUILD_PREAMBLE.filter(Boolean)) assert.ok(!second.logs.includes(l), `no preamble: ${l}`);
    assert.deepEqual(podmanBuilds(second.calls), [], 'no podman build on the second login');
    assert.equal(await imageId(podman, ALIAS), aliasId, 'alias unchanged');
    assert.equal(second.logs[0], 'Authenticating Claude Code (host-wide)');
    assert.equal(readCredential(w.paths)?.access_token, ACCESS);
  } finally {
    w.cleanup();
  }
});
