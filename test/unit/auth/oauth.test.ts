import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { authEnvOf } from '../../../main/core/auth/module.ts';
import { captureLogin, OAuthUnavailableError, oauthBanner, oauthPodmanArgs, type OAuthLoginRequest } from '../../../main/core/auth/oauth.ts';
import { ExtractionError } from '../../../main/core/auth/extract.ts';
import { bundledRoster } from '../../../main/core/roster/current.ts';
import { createAuthHarness } from '../../support/auth-harness.ts';

const FIXTURES = path.join(import.meta.dirname, '..', '..', 'fixtures', 'auth');
const roster = bundledRoster();
const request = (name: string, over: Partial<OAuthLoginRequest> = {}): OAuthLoginRequest => ({
  provider: roster.authProviders.get(name)!,
  agent: roster.agents.get(name),
  tempDir: '/tmp/terok-auth-x',
  image: 'terok-l1-cli:ubuntu-24.04',
  projectId: null,
  deviceAuth: false,
  isRealRoot: false,
  ...over,
});

test('OAuth command line: terok\'s order, keep-id when rootless, port forward kept', () => {
  assert.deepEqual(oauthPodmanArgs(request('codex')), [
    'run', '--rm', '--userns=keep-id:uid=1000,gid=1000', '-it', '-p', '127.0.0.1:1455:1455',
    '-v', '/tmp/terok-auth-x:/home/dev/.codex:Z', '--name', 'host-auth-codex', 'terok-l1-cli:ubuntu-24.04', 'codex', 'login',
  ]);
  assert.deepEqual(oauthPodmanArgs(request('claude', { isRealRoot: true, projectId: 'proj' })), [
    'run', '--rm', '-it', '-v', '/tmp/terok-auth-x:/home/dev/.claude:Z', '--name', 'proj-auth-claude', 'terok-l1-cli:ubuntu-24.04', 'claude',
  ]);
});

test('device-code login appends --device-auth and drops extra run args; refused where unsupported', () => {
  const args = oauthPodmanArgs(request('codex', { deviceAuth: true }));
  assert.ok(!args.includes('-p'));
  assert.deepEqual(args.slice(-3), ['codex', 'login', '--device-auth']);
  assert.throws(() => oauthPodmanArgs(request('claude', { deviceAuth: true })), /Claude Code has no device-code login/);
  assert.throws(() => oauthPodmanArgs(request('vibe')), OAuthUnavailableError);
});

test('banner: label, scope, hint, the command line', () => {
  const banner = oauthBanner(request('claude'));
  assert.deepEqual(banner.slice(0, 4), ['Authenticating Claude Code (host-wide)', '', 'Log in with your Claude account in the session below, then type /exit.', '']);
  assert.match(banner[4]!, /^\$ podman run --rm .* claude$/);
  assert.equal(oauthBanner(request('gh', { projectId: 'p1' }))[0], 'Authenticating GitHub CLI for project: p1');
});

test('capture from a finished login dir: stored, phantom and vault config written; malformed dir stores nothing', async () => {
  const h = createAuthHarness();
  try {
    const env = authEnvOf(h.engine, () => {});
    const stored = await captureLogin(env, roster.authProviders.get('codex')!, 'default', path.join(FIXTURES, 'codex-oauth'));
    assert.equal(stored.credentialType, 'oauth');
    assert.equal(h.readDb((db) => db.loadCredential('default', 'openai'))?.access_token, 'eyJ-fixture-access');
    assert.match(readFileSync(path.join(h.mountDir('_codex-config'), 'config.toml'), 'utf8'), /chatgpt_base_url = "http:\/\/localhost:9419\/backend-api\/"/);
    await assert.rejects(captureLogin(env, roster.authProviders.get('claude')!, 'default', path.join(FIXTURES, 'gh')), ExtractionError);
    assert.equal(h.readDb((db) => db.loadCredential('default', 'anthropic')), null);
  } finally {
    h.cleanup();
  }
});
