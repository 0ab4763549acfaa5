import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { storeCapturedCredential } from '../../../main/core/auth/credentials.ts';
import { extractCredential } from '../../../main/core/auth/extract.ts';
import { authEnvOf } from '../../../main/core/auth/module.ts';
import { MountPathError, mountFilePath } from '../../../main/core/auth/mount-files.ts';
import { claudePhantomContent, codexPhantomContent, CLAUDE_PHANTOM_TOKEN, CODEX_OAUTH_MARKER, writePhantomFile } from '../../../main/core/auth/phantom.ts';
import { vaultTransportOf, writeVaultConfig, type VaultConfigRequest } from '../../../main/core/auth/vault-config.ts';
import { bundledRoster } from '../../../main/core/roster/current.ts';
import type { Roster, VaultRoute } from '../../../main/core/roster/model.ts';
import { createAuthHarness } from '../../support/auth-harness.ts';

const FIXTURES = path.join(import.meta.dirname, '..', '..', 'fixtures', 'auth');
const roster = bundledRoster();
const claudeRecord = () => extractCredential(roster.authProviders.get('claude')!, path.join(FIXTURES, 'claude-oauth'));
const codexRecord = () => extractCredential(roster.authProviders.get('codex')!, path.join(FIXTURES, 'codex-oauth'));

function tempMounts(body: (mounts: string) => void): void {
  const root = mkdtempSync(path.join(os.tmpdir(), 'auth-mounts-'));
  try {
    body(path.join(root, 'mounts'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const codexPatch = (mountsDir: string, storedType: string | null, over: Partial<VaultConfigRequest> = {}) =>
  writeVaultConfig({ roster, name: 'codex', mountsDir, storedType, transport: 'socket', ...over });

test('Claude phantom .credentials.json: byte-exact, keeps only the subscription metadata', () => {
  assert.equal(claudePhantomContent(claudeRecord()), `{
  "claudeAiOauth": {
    "accessToken": "${CLAUDE_PHANTOM_TOKEN}",
    "refreshToken": "",
    "expiresAt": null,
    "scopes": [
      "user:inference",
      "user:profile"
    ],
    "subscriptionType": "max",
    "rateLimitTier": "default_claude_max_5x"
  }
}
`);
});

test('Codex phantom auth.json: byte-exact, markers, synthetic unsigned id_token with only email and plan/account', () => {
  const content = codexPhantomContent(codexRecord());
  const parsed = JSON.parse(content);
  const [header, payload, signature] = (parsed.tokens.id_token as string).split('.');
  assert.deepEqual(JSON.parse(Buffer.from(header!, 'base64url').toString()), { alg: 'none', typ: 'JWT' });
  assert.deepEqual(JSON.parse(Buffer.from(payload!, 'base64url').toString()), {
    email: 'dev@example.com',
    'https://api.openai.com/auth': { chatgpt_plan_type: 'plus', chatgpt_account_id: 'acct-123' },
  });
  assert.ok(signature);
  assert.equal(content, `{
  "OPENAI_API_KEY": null,
  "tokens": {
    "id_token": "${parsed.tokens.id_token}",
    "access_token": "${CODEX_OAUTH_MARKER}",
    "refresh_token": "${CODEX_OAUTH_MARKER}",
    "account_id": "acct-123"
  },
  "last_refresh": "9999-01-01T00:00:00Z"
}
`);
  for (const secret of ['eyJ-fixture-access', 'rt-fixture-refresh', 'auth0|abc', 'user-9']) assert.ok(!content.includes(secret));
});

test('phantoms are written 0600 in 0700 for OAuth records of claude/codex only', () => {
  tempMounts((mounts) => {
    const written = writePhantomFile(roster.authProviders.get('claude')!, claudeRecord(), mounts)!;
    assert.equal(written.path, path.join(mounts, '_claude-config', '.credentials.json'));
    assert.equal(readFileSync(written.path, 'utf8'), claudePhantomContent(claudeRecord()));
    assert.equal(statSync(written.path).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(written.path)).mode & 0o777, 0o700);
    assert.deepEqual(written.messages.slice(0, 1), ['Subscription metadata written to shared Claude config mount.']);
    assert.equal(writePhantomFile(roster.authProviders.get('claude')!, { type: 'api_key', key: 'k' }, mounts), null);
    assert.equal(writePhantomFile(roster.authProviders.get('gh')!, { type: 'oauth', access_token: 't' }, mounts), null);
  });
});

test('vault config patch for codex: per stored credential type, byte-exact, idempotent', () => {
  tempMounts((mounts) => {
    const file = codexPatch(mounts, 'oauth');
    assert.equal(file, path.join(mounts, '_codex-config', 'config.toml'));
    assert.equal(readFileSync(file!, 'utf8'), 'openai_base_url = "http://localhost:9419/backend-api/codex"\nchatgpt_base_url = "http://localhost:9419/backend-api/"\n');
    assert.equal(statSync(file!).mode & 0o777, 0o600);
    const inode = statSync(file!).ino;
    codexPatch(mounts, 'oauth');
    assert.equal(statSync(file!).ino, inode, 'an unchanged file is not rewritten');
    // No stored credential: the route's declared type (oauth for codex) applies.
    assert.equal(readFileSync(codexPatch(mounts, null)!, 'utf8'), 'openai_base_url = "http://localhost:9419/backend-api/codex"\nchatgpt_base_url = "http://localhost:9419/backend-api/"\n');
  });
  tempMounts((mounts) => {
    assert.equal(readFileSync(codexPatch(mounts, 'api_key')!, 'utf8'), 'openai_base_url = "http://localhost:9419/v1"\n');
  });
});

test('vault config patch keeps the rest of an existing config.toml', () => {
  tempMounts((mounts) => {
    const dir = path.join(mounts, '_codex-config');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'config.toml'), 'model = "o3"\nopenai_base_url = "https://old"\n\n[mcp_servers.docs]\ncommand = "docs"\n');
    codexPatch(mounts, 'api_key');
    assert.equal(readFileSync(path.join(dir, 'config.toml'), 'utf8'), 'model = "o3"\nopenai_base_url = "http://localhost:9419/v1"\n\n[mcp_servers.docs]\ncommand = "docs"\n');
  });
});

test('providers without a patch are a no-op; a broken TOML file is refused, not clobbered', () => {
  tempMounts((mounts) => {
    for (const name of ['claude', 'gh', 'vibe', 'nope']) assert.equal(writeVaultConfig({ roster, name, mountsDir: mounts, storedType: null, transport: 'socket' }), null);
    const dir = path.join(mounts, '_codex-config');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'config.toml'), 'model = = "x"\n');
    assert.throws(() => codexPatch(mounts, 'oauth'), /config\.toml is not valid TOML .*fix or delete it/);
    assert.equal(readFileSync(path.join(dir, 'config.toml'), 'utf8'), 'model = = "x"\n');
  });
});

/** A roster with one made-up provider whose patch is YAML / an array-of-tables entry. */
function customRoster(configPatch: VaultRoute['configPatch']): Pick<Roster, 'authProviders' | 'vaultRoutes'> {
  const route = { ...roster.vaultRoutes.get('openai')!, provider: 'acme', credentialType: 'api_key' as const, configPatch };
  const auth = { ...roster.authProviders.get('codex')!, name: 'acme', hostDir: '_acme-config', credentialProvider: 'acme' };
  return { authProviders: new Map([['acme', auth]]), vaultRoutes: new Map([['acme', route]]) };
}

test('YAML patch sets top-level keys, keeps comments; {vault_socket} follows the transport', () => {
  const r = customRoster({ file: 'settings.yml', yaml_set: new Map<string, unknown>([['socket', '{vault_socket}'], ['base', '{vault_url}/api']]) } as never);
  tempMounts((mounts) => {
    const dir = path.join(mounts, '_acme-config');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'settings.yml'), '# mine\ntheme: dark\nsocket: old\n');
    writeVaultConfig({ roster: r, name: 'acme', mountsDir: mounts, storedType: 'api_key', transport: 'socket' });
    assert.equal(readFileSync(path.join(dir, 'settings.yml'), 'utf8'), '# mine\ntheme: dark\nsocket: /run/terok/vault/vault.sock\nbase: http://localhost:9419/api\n');
    writeVaultConfig({ roster: r, name: 'acme', mountsDir: mounts, storedType: 'api_key', transport: 'tcp' });
    assert.match(readFileSync(path.join(dir, 'settings.yml'), 'utf8'), /^socket: \/tmp\/terok-vault\.sock$/m);
  });
  assert.equal(vaultTransportOf({ values: { vault: { port: 18731 } }, sources: [], warnings: [] }), 'tcp');
  assert.equal(vaultTransportOf({ values: { vault: { port: '18731' } }, sources: [], warnings: [] }), 'tcp', "terok-util's stringified values");
  assert.equal(vaultTransportOf({ values: { services: { mode: 'tcp' } }, sources: [], warnings: [] }), 'socket', 'auto-allocated ports are not a fixed port');
  assert.equal(vaultTransportOf({ values: {}, sources: [], warnings: [] }), 'socket');
});

test('TOML array-of-tables patch updates the matching entry or appends one', () => {
  const r = customRoster({ file: 'c.toml', toml_set: new Map<string, unknown>([['url', '{vault_url}']]), toml_table: 'providers', toml_match: new Map<string, unknown>([['name', 'acme']]) } as never);
  tempMounts((mounts) => {
    const file = writeVaultConfig({ roster: r, name: 'acme', mountsDir: mounts, storedType: null, transport: 'socket' })!;
    assert.equal(readFileSync(file, 'utf8'), '[[providers]]\nname = "acme"\nurl = "http://localhost:9419"\n');
    writeFileSync(file, '[[providers]]\nname = "other"\n\n[[providers]]\nname = "acme"\nurl = "x"\n');
    writeVaultConfig({ roster: r, name: 'acme', mountsDir: mounts, storedType: null, transport: 'socket' });
    assert.equal(readFileSync(file, 'utf8'), '[[providers]]\nname = "other"\n\n[[providers]]\nname = "acme"\nurl = "http://localhost:9419"\n');
  });
});

test('traversal and symlinks are refused: host dir, file name, a mount dir that is a symlink, a symlinked target', () => {
  tempMounts((mounts) => {
    mkdirSync(mounts, { recursive: true });
    assert.throws(() => mountFilePath(mounts, '..', 'x'), MountPathError);
    assert.throws(() => mountFilePath(mounts, 'a/b', 'x'), MountPathError);
    assert.throws(() => mountFilePath(mounts, '_x', '../../etc/passwd'), /must be a relative path that stays inside the mount/);
    assert.throws(() => mountFilePath(mounts, '_x', '/etc/passwd'), MountPathError);

    const outside = path.join(path.dirname(mounts), 'outside');
    mkdirSync(outside);
    symlinkSync(outside, path.join(mounts, '_codex-config'));
    assert.throws(() => codexPatch(mounts, 'oauth'), /_codex-config is a symbolic link \(a container may have planted it\); remove the link and run again/);
    assert.throws(() => writePhantomFile(roster.authProviders.get('codex')!, codexRecord(), mounts), MountPathError);
    rmSync(path.join(mounts, '_codex-config'));

    mkdirSync(path.join(mounts, '_codex-config'));
    const victim = path.join(outside, 'victim.toml');
    writeFileSync(victim, 'keep = true\n');
    symlinkSync(victim, path.join(mounts, '_codex-config', 'config.toml'));
    assert.throws(() => codexPatch(mounts, 'oauth'), /config\.toml is a symbolic link/);
    assert.equal(readFileSync(victim, 'utf8'), 'keep = true\n');
    assert.deepEqual(readdirSync(outside), ['victim.toml']);
  });
  // The whole mounts dir being a link is refused too.
  tempMounts((mounts) => {
    const real = mounts + '-real';
    mkdirSync(real, { recursive: true });
    symlinkSync(real, mounts);
    assert.throws(() => codexPatch(mounts, 'oauth'), /mounts is a symbolic link/);
  });
});

test('capture after login: record stored on the real DB, Claude phantom written, no real token in the mount or logs', async () => {
  const h = createAuthHarness();
  try {
    const lines: string[] = [];
    const env = authEnvOf(h.engine, (l) => lines.push(l));
    const stored = await storeCapturedCredential(env, 'claude', 'default', claudeRecord());
    assert.deepEqual(h.readDb((db) => db.loadCredential('default', 'anthropic')), claudeRecord());
    const phantom = path.join(h.mountDir('_claude-config'), '.credentials.json');
    assert.deepEqual(stored.files, [phantom]);
    assert.equal(readFileSync(phantom, 'utf8'), claudePhantomContent(claudeRecord()));
    assert.deepEqual(lines.slice(0, 2), ['Credentials captured for claude (set: default)', 'Subscription metadata written to shared Claude config mount.']);
    const seen = lines.join('\n') + readFileSync(phantom, 'utf8');
    assert.ok(!seen.includes('sk-ant-oat01-fixture-access') && !seen.includes('sk-ant-ort01-fixture-refresh'));

    const codex = await storeCapturedCredential(env, 'codex', 'default', codexRecord());
    assert.deepEqual(codex.files, [path.join(h.mountDir('_codex-config'), 'auth.json'), path.join(h.mountDir('_codex-config'), 'config.toml')]);
    assert.deepEqual(h.readDb((db) => db.loadCredential('default', 'openai')), codexRecord());
  } finally {
    h.cleanup();
  }
});
