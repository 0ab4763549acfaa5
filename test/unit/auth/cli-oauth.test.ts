/**
 * `terok-setup auth` method rules (spec §6.4) without a container: flags that
 * force a method, the numbered menu, the API-key choice never touching podman
 * or the image, podman missing, and a login container that fails — with a
 * podman stand-in that records every call.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { main } from '../../../main/cli/index.ts';
import { oauthPodmanArgs } from '../../../main/core/auth/oauth.ts';
import { l1AliasTag } from '../../../main/core/images/tags.ts';
import { bundledRoster } from '../../../main/core/roster/current.ts';
import { captureStreams, createAuthHarness, type AuthHarness } from '../../support/auth-harness.ts';

const KEY = 'sk-ant-test-cli-oauth-SECRET';

/** A podman stand-in on an isolated PATH: logs its argv, knows one image, fails `run` with `runExit`. */
function withFakePodman(h: AuthHarness, opts: { image?: string; runExit?: number } = {}): () => string[] {
  const log = path.join(h.host.root, 'podman.log');
  (h.host.ctx.env as Record<string, string>).PATH = h.host.bin;
  h.host.writeBin('podman', `#!/bin/sh
echo "$*" >> "${log}"
case "$1" in
  image) [ "$2" = exists ] && [ "$3" = "${opts.image ?? ''}" ] && exit 0; exit 1 ;;
  container) exit 1 ;;
  rm) exit 0 ;;
  run) echo "Error: fake podman run failure" >&2; exit ${opts.runExit ?? 125} ;;
esac
exit 2
`);
  return () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
}

async function run(h: AuthHarness, args: string[], lines: (string | null)[] = []) {
  const cli = captureStreams('', lines);
  const code = await main(args, cli.io, h.engine);
  return { code, out: cli.out(), err: cli.err() };
}

test('-t only with a terminal: -it on a TTY (default), -i without', () => {
  const roster = bundledRoster();
  const req = { provider: roster.authProviders.get('claude')!, agent: roster.agents.get('claude'), tempDir: '/tmp/t', image: 'img', projectId: null, deviceAuth: false, isRealRoot: true };
  assert.deepEqual(oauthPodmanArgs(req).slice(0, 3), ['run', '--rm', '-it']);
  assert.deepEqual(oauthPodmanArgs({ ...req, tty: false }).slice(0, 3), ['run', '--rm', '-i']);
  assert.ok(!oauthPodmanArgs({ ...req, tty: false }).includes('-it'));
});

test('forced methods: --device-auth / --oauth where the provider lacks them, unknown names, conflicting flags', async () => {
  const h = createAuthHarness();
  try {
    const calls = withFakePodman(h);
    assert.deepEqual(await run(h, ['auth', 'claude', '--device-auth']), { code: 1, out: '', err: 'Claude Code has no device-code login; use --oauth\n' });
    const vibe = await run(h, ['auth', 'vibe', '--oauth']);
    assert.equal(vibe.code, 1);
    assert.match(vibe.err, /^.+ has no OAuth login; store an API key instead: terok-setup auth vibe --api-key-stdin\n$/);
    const unknown = await run(h, ['auth', 'nope', '--oauth']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /^Unknown auth provider: nope\. Available: .*claude.*codex/);
    assert.equal((await run(h, ['auth', 'claude', '--oauth', '--api-key', KEY])).code, 2);
    assert.equal((await run(h, ['auth', 'codex', '--oauth', '--device-auth'])).code, 2);
    assert.equal((await run(h, ['auth', 'claude', '--oauth', '--credential-set', '../x'])).code, 1);
    assert.deepEqual(calls(), [], 'podman never called');
  } finally {
    h.cleanup();
  }
});

test('menu: codex offers three methods; invalid choice exits 1; the API-key choice never resolves the image', async () => {
  const h = createAuthHarness();
  try {
    const calls = withFakePodman(h);
    const bad = await run(h, ['auth', 'codex'], ['4']);
    assert.equal(bad.code, 1);
    assert.equal(bad.out, 'Authenticate Codex:\n\n  1. OAuth login\n  2. OAuth login — device code\n  3. API key\n\nChoose [1-3] (default 1): ');
    assert.equal(bad.err, "Invalid choice: '4'\n");
    const key = await run(h, ['auth', 'codex'], ['3', KEY]);
    assert.equal(key.code, 0);
    assert.match(key.out, /Create a key at https:\/\/platform\.openai\.com\/api-keys\nCodex API key: API key stored for openai \(set: default\)\nVault config written to /);
    assert.deepEqual(h.readDb((db) => db.loadCredential('default', 'openai')), { type: 'api_key', key: KEY });
    assert.deepEqual(calls(), [], 'API-key path: no podman call, no image lookup');
    const warn = await run(h, ['auth', 'claude', '--device-auth', '--api-key', KEY]);
    assert.equal(warn.code, 0);
    assert.match(warn.err, /^Warning: --device-auth is ignored when --api-key is given; the API key takes precedence \(no auth container is launched\)\.\n/);
  } finally {
    h.cleanup();
  }
});

test('OAuth without podman: terok\'s message, nothing started', async () => {
  const h = createAuthHarness();
  try {
    (h.host.ctx.env as Record<string, string>).PATH = h.host.bin;
    const r = await run(h, ['auth', 'claude', '--oauth']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^podman not found; please install podman.*, then run this again\n$/);
  } finally {
    h.cleanup();
  }
});

test('OAuth: existing alias image is used without a build; a failing login container → "Auth failed", nothing stored, cleaned up', async () => {
  const h = createAuthHarness();
  try {
    const base = 'localhost/cli-oauth-unit:1';
    const calls = withFakePodman(h, { image: l1AliasTag(base), runExit: 125 });
    const r = await run(h, ['auth', 'claude', '--oauth', '--base-image', base]);
    assert.equal(r.code, 1);
    assert.equal(r.err, 'Auth failed: the login container exited with code 125 (podman could not start the container: see its message above); nothing was stored.\n');
    const log = calls();
    assert.equal(log[0], `image exists ${l1AliasTag(base)}`);
    assert.equal(log[1], 'container exists host-auth-claude');
    assert.match(log[2]!, new RegExp(`^run --rm --userns=keep-id:uid=1000,gid=1000 -i -v /\\S+/terok-auth-claude-\\w+:/home/dev/.claude:Z --name host-auth-claude ${l1AliasTag(base)} claude$`));
    assert.equal(log[3], 'rm --force --ignore --time 2 host-auth-claude', 'leftover container removed');
    assert.ok(!log.some((l) => l.startsWith('build')), 'no image build');
    assert.equal(h.readDb((db) => db.loadCredential('default', 'anthropic')), null);
    // This login's own temp dir (other suites log in beside this one, so the temp dir is not compared as a whole).
    const tempDir = / -v (\S+):\/home\/dev\/\.claude:Z /.exec(log[2]!)![1]!;
    assert.equal(existsSync(tempDir), false, 'temp dir removed');
  } finally {
    h.cleanup();
  }
});
