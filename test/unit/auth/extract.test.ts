import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { dotenvValue, ExtractionError, extractCredential } from '../../../main/core/auth/extract.ts';
import { bundledRoster } from '../../../main/core/roster/current.ts';

const FIXTURES = path.join(import.meta.dirname, '..', '..', 'fixtures', 'auth');
const providerOf = (name: string) => {
  const p = bundledRoster().authProviders.get(name);
  assert.ok(p, `bundled roster has no auth provider ${name}`);
  return p;
};
const extract = (name: string, fixture: string) => extractCredential(providerOf(name), path.join(FIXTURES, fixture));

test('claude OAuth: claudeAiOauth → oauth record (expiry in epoch seconds)', () => {
  assert.deepEqual(extract('claude', 'claude-oauth'), {
    type: 'oauth',
    access_token: 'sk-ant-oat01-fixture-access',
    refresh_token: 'sk-ant-ort01-fixture-refresh',
    expires_at: 1767225600,
    scopes: ['user:inference', 'user:profile'],
    subscription_type: 'max',
    rate_limit_tier: 'default_claude_max_5x',
  });
});

test('claude without OAuth: config.json api_key → api_key record', () => {
  assert.deepEqual(extract('claude', 'claude-api-key'), { type: 'api_key', key: 'sk-ant-api03-fixture' });
});

test('codex: auth.json tokens → oauth record with id_token and account_id; OPENAI_API_KEY → api_key', () => {
  const record = extract('codex', 'codex-oauth');
  assert.equal(record.type, 'oauth');
  assert.equal(record.access_token, 'eyJ-fixture-access');
  assert.equal(record.refresh_token, 'rt-fixture-refresh');
  assert.equal(record.account_id, 'acct-123');
  assert.match(record.id_token as string, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.deepEqual(Object.keys(record), ['type', 'access_token', 'refresh_token', 'id_token', 'account_id']);
  assert.deepEqual(extract('codex', 'codex-api-key'), { type: 'api_key', key: 'sk-proj-fixture' });
});

test('gh: hosts.yml prefers github.com, token found under users', () => {
  assert.deepEqual(extract('gh', 'gh'), { type: 'oauth_token', token: 'gho_fixture_token', host: 'github.com' });
});

test('glab: config.yml hosts.<host>.token → pat record for the host that has one', () => {
  assert.deepEqual(extract('glab', 'glab'), { type: 'pat', token: 'glpat-fixture', host: 'gitlab.com' });
});

test('vibe: .env MISTRAL_API_KEY (export and quotes allowed) → api_key', () => {
  assert.deepEqual(extract('vibe', 'vibe'), { type: 'api_key', key: 'mistral-fixture' });
  assert.equal(dotenvValue("A=1\nMISTRAL_API_KEY='q v' \n", 'MISTRAL_API_KEY'), 'q v');
  assert.equal(dotenvValue('MISTRAL_API_KEY=abc # comment\n', 'MISTRAL_API_KEY'), 'abc');
  assert.equal(dotenvValue('OTHER=1\n', 'MISTRAL_API_KEY'), null);
});

test('harness providers (openrouter): config.json api_key → api_key', () => {
  assert.deepEqual(extract('openrouter', 'openrouter'), { type: 'api_key', key: 'sk-or-fixture' });
});

function withDir(files: Record<string, string>, body: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'auth-extract-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), content);
    }
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function assertFails(name: string, files: Record<string, string>, message: RegExp, listed: string[]): void {
  withDir(files, (dir) => {
    assert.throws(() => extractCredential(providerOf(name), dir), (err: unknown) => {
      assert.ok(err instanceof ExtractionError);
      assert.match(err.message, message);
      assert.deepEqual(err.filesFound, listed);
      for (const content of Object.values(files)) if (content.length > 8) assert.ok(!err.message.includes(content), 'file content quoted in the error');
      return true;
    });
  });
}

test('malformed credential files after login: clear error, files listed, nothing quoted', () => {
  assertFails('claude', { '.credentials.json': '{"claudeAiOauth": {"accessToken": "sk-ant-sec' }, /^Could not read the Claude Code login: \.credentials\.json is not valid JSON$/, ['.credentials.json']);
  assertFails('claude', { '.credentials.json': '["sk-ant-secret-in-array"]' }, /\.credentials\.json does not hold a JSON object/, ['.credentials.json']);
  assertFails('claude', { '.credentials.json': '{"claudeAiOauth": {"refreshToken": "x"}}' }, /has no claudeAiOauth\.accessToken/, ['.credentials.json']);
  assertFails('claude', { 'settings.json': '{}', 'projects/a.json': '{}' }, /no OAuth login found/, ['projects/a.json', 'settings.json']);
  assertFails('codex', {}, /auth\.json was not written — the login did not complete/, []);
  assertFails('codex', { 'auth.json': '{"OPENAI_API_KEY": null, "tokens": {"access_token": ""}}' }, /auth\.json has no tokens\.access_token/, ['auth.json']);
  assertFails('gh', { 'hosts.yml': 'github.com: [unclosed' }, /hosts\.yml is not valid YAML/, ['hosts.yml']);
  assertFails('gh', { 'hosts.yml': 'github.com:\n  user: dev\n' }, /hosts\.yml has no oauth_token for any host/, ['hosts.yml']);
  assertFails('glab', { 'config.yml': '- a\n- b\n' }, /config\.yml does not hold a YAML mapping/, ['config.yml']);
  assertFails('vibe', { '.env': 'MISTRAL_API_KEY=\n' }, /\.env has no MISTRAL_API_KEY/, ['.env']);
  assertFails('openrouter', { 'config.json': '{"api_key": 12}' }, /config\.json has no api_key/, ['config.json']);
  assertFails('sonar', { 'x': '' }, /sonar has no login file format Terok Setup knows; store an API key instead/, ['x']);
});

test('a credential file that is a symlink is not followed', () => {
  withDir({ 'elsewhere.json': '{"api_key": "sk-or-elsewhere"}' }, (dir) => {
    mkdirSync(path.join(dir, 'mount'));
    symlinkSync(path.join(dir, 'elsewhere.json'), path.join(dir, 'mount', 'config.json'));
    assert.throws(() => extractCredential(providerOf('openrouter'), path.join(dir, 'mount')), /config\.json has no api_key/);
  });
});

test('at most 20 files are listed', () => {
  const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${String(i).padStart(2, '0')}`, '']));
  withDir(many, (dir) => {
    assert.throws(() => extractCredential(providerOf('codex'), dir), (err: unknown) => (err as ExtractionError).filesFound.length === 20);
  });
});
