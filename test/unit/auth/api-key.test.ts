import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { main } from '../../../main/cli/index.ts';
import { API_KEY_STEP } from '../../../main/core/auth/module.ts';
import { API_KEY_TOO_LONG, MAX_API_KEY_LENGTH } from '../../../main/core/auth/credentials.ts';
import { WITHHELD } from '../../../main/core/validate.ts';
import { makeProbeEnv } from '../../../main/core/steps/probe-env.ts';
import { credentialsStep } from '../../../main/core/steps/credentials.ts';
import { gateFix } from '../../support/gate.ts';
import { authenticatableNames } from '../../../main/core/roster/auth-map.ts';
import { captureStreams, createAuthHarness, type AuthHarness } from '../../support/auth-harness.ts';

const KEY = 'sk-ant-test-0123456789abcdefSECRET';
const settings = { provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null };

/** Everything that could carry the key to a user or a log. */
function assertKeyNowhere(h: AuthHarness, ...texts: string[]): void {
  const seen = JSON.stringify(h.events) + texts.join('');
  assert.ok(!seen.includes(KEY), 'the API key leaked into events or output');
  assert.ok(!seen.includes(KEY.slice(-16)), 'the tail of the API key leaked');
}

const failure = (outcome: unknown) => (outcome as { type: string; error: { code: string; message: string } });

test('credentials.api-key stores {"type":"api_key","key":…} under (set, provider) and the probe says stored', async () => {
  const h = createAuthHarness();
  try {
    const env = () => makeProbeEnv(h.host.ctx, settings);
    assert.equal((await credentialsStep.probe(env())).result.message, 'not found');
    const { outcome } = await h.runStep(API_KEY_STEP, { agent: 'claude', credentialSet: 'default', apiKey: KEY });
    assert.equal(outcome.type, 'done');
    assert.deepEqual((outcome as { result: unknown }).result, { agent: 'claude', provider: 'anthropic', credentialSet: 'default', credentialType: 'api_key', files: [] });
    assert.deepEqual(h.readDb((db) => db.loadCredential('default', 'anthropic')), { type: 'api_key', key: KEY });
    // terok's own bytes: json.dumps of the dict (", " and ": " separators are Python's default).
    const raw = h.readDb((db) => (db.raw.prepare('SELECT data FROM credentials').get() as { data: string }).data);
    assert.deepEqual(JSON.parse(raw), { type: 'api_key', key: KEY });
    assert.deepEqual((await credentialsStep.probe(env())).result, { name: 'claude credentials', ok: true, message: 'stored' });
    const logs = h.events.filter((e) => e.type === 'log').map((e) => (e as { line: string }).line);
    assert.deepEqual(logs, ['API key stored for anthropic (set: default)']);
    assertKeyNowhere(h);
  } finally {
    h.cleanup();
  }
});

test('a custom credential set is threaded through to the DB key', async () => {
  const h = createAuthHarness();
  try {
    await h.runStep(API_KEY_STEP, { agent: 'gh', credentialSet: 'my-proj', apiKey: KEY });
    assert.deepEqual(h.readDb((db) => db.listCredentials('my-proj')), ['github']);
    assert.deepEqual(h.readDb((db) => db.listCredentials('default')), []);
  } finally {
    h.cleanup();
  }
});

test('pasted keys: surrounding whitespace and newlines are trimmed; whitespace inside is refused without echoing', async () => {
  const h = createAuthHarness();
  try {
    await h.runStep(API_KEY_STEP, { agent: 'claude', apiKey: `\n\t  ${KEY}  \r\n` });
    assert.deepEqual(h.readDb((db) => db.loadCredential('default', 'anthropic')), { type: 'api_key', key: KEY });
    for (const apiKey of [`${KEY}\n${KEY}`, `${KEY.slice(0, 10)} ${KEY.slice(10)}`, `${KEY}\u0000x`]) {
      const { outcome } = await h.runStep(API_KEY_STEP, { agent: 'codex', apiKey });
      assert.equal(failure(outcome).error.code, 'invalid-params');
      assert.match(failure(outcome).error.message, /paste exactly one key on a single line/);
    }
    assert.equal(h.readDb((db) => db.loadCredential('default', 'openai')), null);
    assertKeyNowhere(h);
  } finally {
    h.cleanup();
  }
});

test('empty key, unknown or non-authenticatable agent, bad params: clear messages, nothing stored', async () => {
  const h = createAuthHarness();
  try {
    const available = authenticatableNames(h.paths).join(', ');
    assert.ok(!available.includes('copilot'));
    const cases: [unknown, string][] = [
      [{ agent: 'claude', apiKey: '   \n ' }, 'API key cannot be empty.'],
      [{ agent: 'nope', apiKey: KEY }, `Unknown provider: nope. Available: ${available}`],
      [{ agent: 'copilot', apiKey: KEY }, `Unknown provider: copilot. Available: ${available}`],
      [{ agent: 'claude', credentialSet: '../x', apiKey: KEY }, "'../x' is not a valid credential set name: use letters, digits, '.', '_' and '-' (at most 64), e.g. default"],
      [{ agent: 'claude', apiKey: 42 }, 'apiKey must be a string'],
      [{ apiKey: KEY }, 'agent is required (e.g. claude)'],
      [{ agent: 'claude', apiKey: KEY, leak: KEY }, 'unknown parameter(s): leak (allowed: agent, credentialSet, apiKey)'],
      ['claude', 'parameters must be an object'],
    ];
    for (const [params, message] of cases) {
      const { outcome } = await h.runStep(API_KEY_STEP, params);
      assert.deepEqual(failure(outcome).error, { code: 'invalid-params', message });
    }
    assert.deepEqual(h.readDb((db) => db.listCredentials('default')), []);
    assertKeyNowhere(h);
  } finally {
    h.cleanup();
  }
});

test('no passphrase tier: vault-no-passphrase with the unlock hint; DB never created', async () => {
  const h = createAuthHarness({ vault: false });
  try {
    const { outcome } = await h.runStep(API_KEY_STEP, { agent: 'claude', apiKey: KEY });
    assert.equal(failure(outcome).error.code, 'vault-no-passphrase');
    assert.match(failure(outcome).error.message, /^no SQLCipher passphrase available for .*credentials\.db; nothing was stored — run `terok-sandbox vault unlock`/);
    assert.throws(() => statSync(h.paths.credentialDb), /ENOENT/);
    assertKeyNowhere(h);
  } finally {
    h.cleanup();
  }
});

test('DB locked by a running supervisor: vault-locked, nothing stored, key not in the error', async () => {
  const h = createAuthHarness();
  const release = h.lockDb();
  try {
    const { outcome } = await h.runStep(API_KEY_STEP, { agent: 'claude', apiKey: KEY });
    assert.equal(failure(outcome).error.code, 'vault-locked');
    assert.match(failure(outcome).error.message, /credentials\.db is locked by another process .*nothing was stored/);
  } finally {
    release();
  }
  try {
    assert.equal(h.readDb((db) => db.loadCredential('default', 'anthropic')), null);
    assertKeyNowhere(h);
  } finally {
    h.cleanup();
  }
});

test('codex API key also points the shared Codex config at the vault (byte-exact, 0600 in 0700)', async () => {
  const h = createAuthHarness();
  try {
    const { outcome } = await h.runStep(API_KEY_STEP, { agent: 'codex', apiKey: KEY });
    const file = `${h.mountDir('_codex-config')}/config.toml`;
    assert.deepEqual((outcome as { result: { files: string[] } }).result.files, [file]);
    assert.equal(readFileSync(file, 'utf8'), 'openai_base_url = "http://localhost:9419/v1"\n');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(h.mountDir('_codex-config')).mode & 0o777, 0o700);
    assert.deepEqual(h.readDb((db) => db.loadCredential('default', 'openai')), { type: 'api_key', key: KEY });
    assertKeyNowhere(h, readFileSync(file, 'utf8'));
  } finally {
    h.cleanup();
  }
});

test('CLI auth --api-key-stdin stores, prints terok\'s line, never echoes the key', async () => {
  const h = createAuthHarness();
  try {
    const cli = captureStreams(`${KEY}\n`);
    assert.equal(await main(['auth', 'claude', '--api-key-stdin'], cli.io, h.engine), 0);
    assert.equal(cli.out(), 'API key stored for anthropic (set: default)\n');
    assert.equal(cli.err(), '');
    assert.deepEqual(h.readDb((db) => db.loadCredential('default', 'anthropic')), { type: 'api_key', key: KEY });

    const set = captureStreams();
    assert.equal(await main(['auth', 'vibe', '--api-key', KEY, '--credential-set', 'team'], set.io, h.engine), 0);
    assert.equal(set.out(), 'API key stored for mistral (set: team)\n');
    assert.match(set.err(), /process list and shell history; --api-key-stdin avoids that/);
    assertKeyNowhere(h, cli.out(), cli.err(), set.out(), set.err());
  } finally {
    h.cleanup();
  }
});

test('CLI auth: exit codes and messages for bad input and a locked or missing vault', async () => {
  const h = createAuthHarness();
  try {
    const run = async (args: string[], stdin = '', lines: (string | null)[] = []) => {
      const cli = captureStreams(stdin, lines);
      const code = await main(args, cli.io, h.engine);
      assertKeyNowhere(h, cli.out(), cli.err());
      return { code, out: cli.out(), err: cli.err() };
    };
    assert.deepEqual(await run(['auth', 'claude', '--api-key-stdin'], ' \n'), { code: 1, out: '', err: 'API key cannot be empty.\n' });
    const unknown = await run(['auth', 'pi', '--api-key-stdin'], KEY);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.err, `Unknown provider: pi. Available: ${authenticatableNames(h.paths).join(', ')}\n`);
    assert.equal((await run(['auth', 'claude', '--api-key', KEY, '--api-key-stdin'])).code, 2);
    assert.equal((await run(['auth'])).code, 2);
    const noTty = await run(['auth', 'claude']);
    assert.equal(noTty.code, 2);
    assert.match(noTty.err, /no API key given and no terminal to ask how to authenticate Claude Code: pass --api-key-stdin \(and pipe the key in\), --oauth\n/);
    const prompted = await run(['auth', 'claude'], '', ['2', ` ${KEY} `]);
    assert.equal(prompted.code, 0);
    assert.equal(prompted.out, 'Authenticate Claude Code:\n\n  1. OAuth login\n  2. API key\n\nChoose [1-2] (default 1): Create a key at https://console.anthropic.com/settings/keys\nClaude Code API key: API key stored for anthropic (set: default)\n');

    const release = h.lockDb();
    try {
      const locked = await run(['auth', 'claude', '--api-key-stdin'], KEY);
      assert.equal(locked.code, 2);
      assert.match(locked.err, /^Error: the credential database .* is locked by another process/);
    } finally {
      release();
    }
  } finally {
    h.cleanup();
  }
  const bare = createAuthHarness({ vault: false });
  try {
    const cli = captureStreams(KEY);
    assert.equal(await main(['auth', 'claude', '--api-key-stdin'], cli.io, bare.engine), 2);
    assert.match(cli.err(), /no SQLCipher passphrase available/);
    assert.match(cli.err(), /\nhint: {2}run `terok-sandbox vault unlock`/);
  } finally {
    bare.cleanup();
  }
});

test('gate fix for credentials: asks once, stores the typed key, the probe then says stored', async () => {
  const h = createAuthHarness();
  try {
    const out: string[] = [];
    const err: string[] = [];
    const prompts: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), ask: async (p: string) => { prompts.push(p); return `${KEY}\n`; } };
    assert.equal(await gateFix(h.engine, 'credentials')(settings, io), true);
    assert.deepEqual(prompts, ['  Claude Code API key: ']);
    assert.deepEqual(err, []);
    assert.deepEqual(out, [
      '  Create a key at https://console.anthropic.com/settings/keys',
      '  (The key is shown while you type; to avoid that use: terok-setup auth claude --api-key-stdin)',
      '  API key stored for anthropic (set: default)',
    ]);
    assert.deepEqual((await credentialsStep.probe(makeProbeEnv(h.host.ctx, settings))).result, { name: 'claude credentials', ok: true, message: 'stored' });
    const cancelled: string[] = [];
    assert.equal(await gateFix(h.engine, 'credentials')(settings, { out: () => {}, err: (l) => cancelled.push(l), ask: async () => null }), false);
    assert.deepEqual(cancelled, ['  API key entry cancelled.']);
    assertKeyNowhere(h, out.join(''), err.join(''));
  } finally {
    h.cleanup();
  }
});

// ---- input bounds, and a key in the wrong field ---------------------------------

test('an oversized API key (1 MiB) is refused before the vault is opened: task and CLI, nothing stored, nothing echoed', async () => {
  const h = createAuthHarness();
  try {
    const huge = `sk-ant-${'A1'.repeat(512 * 1024)}`;
    const { outcome } = await h.runStep(API_KEY_STEP, { agent: 'claude', apiKey: huge });
    assert.deepEqual(failure(outcome).error, { code: 'invalid-params', message: API_KEY_TOO_LONG });
    assert.match(API_KEY_TOO_LONG, /longer than 4096 characters.*nothing was stored/);
    const cli = captureStreams(huge);
    assert.equal(await main(['auth', 'claude', '--api-key-stdin'], cli.io, h.engine), 1);
    assert.equal(cli.err(), `${API_KEY_TOO_LONG}\n`);
    assert.equal(h.readDb((db) => db.listCredentials('default')).length, 0);
    assert.ok(!(JSON.stringify(h.events) + cli.out() + cli.err()).includes('A1A1A1A1'), 'no part of the key in any event or output');
    // The limit itself is a key that is stored (whitespace around it does not count).
    const longest = 'k'.repeat(MAX_API_KEY_LENGTH);
    assert.equal((await h.runStep(API_KEY_STEP, { agent: 'claude', apiKey: `\n${longest}\n` })).outcome.type, 'done');
    assert.deepEqual(h.readDb((db) => db.loadCredential('default', 'anthropic')), { type: 'api_key', key: longest });
  } finally {
    h.cleanup();
  }
});

test('a key typed into the agent, credential set or a made-up field is never echoed, and nothing is stored under it', async () => {
  const h = createAuthHarness();
  try {
    const available = authenticatableNames(h.paths).join(', ');
    const cases: [unknown, string][] = [
      [{ agent: KEY, apiKey: 'x' }, `Unknown provider: ${WITHHELD}. Available: ${available}`],
      [{ agent: 'claude', credentialSet: KEY, apiKey: 'x' }, 'The credential set name looks like an API key or token, so it is not shown and nothing was stored; put the key in the API key field and use a set name like default.'],
      [{ agent: 'claude', apiKey: 'x', [KEY]: true }, `unknown parameter(s): ${WITHHELD} (allowed: agent, credentialSet, apiKey)`],
      [{ agent: 'x'.repeat(300), apiKey: KEY }, 'agent is too long (at most 256 characters)'],
      [{ agent: 'claude', credentialSet: `${'set-'.repeat(30)}`, apiKey: KEY }, `'${'set-'.repeat(20).slice(0, 79)}…' is not a valid credential set name: use letters, digits, '.', '_' and '-' (at most 64), e.g. default`],
    ];
    for (const [params, message] of cases) {
      const { outcome } = await h.runStep(API_KEY_STEP, params);
      assert.deepEqual(failure(outcome).error, { code: 'invalid-params', message });
    }
    // The CLI: a key as the agent name or the set name.
    for (const args of [['auth', KEY, '--api-key-stdin'], ['auth', 'claude', '--api-key-stdin', '--credential-set', KEY]]) {
      const cli = captureStreams('x');
      assert.equal(await main(args, cli.io, h.engine), 1);
      assertKeyNowhere(h, cli.out(), cli.err());
    }
    assert.deepEqual(h.readDb((db) => db.listCredentials('default')), []);
    assert.deepEqual(h.readDb((db) => db.listCredentials(KEY)), []);
    assertKeyNowhere(h);
  } finally {
    h.cleanup();
  }
});

test('oauth-terminal and ssh.generate params are bounded too, and never echo a key', async () => {
  const h = createAuthHarness();
  try {
    const cases: [string, unknown, string][] = [
      ['credentials.oauth-terminal', { agent: KEY }, `Unknown auth provider: ${WITHHELD}. Available: `],
      ['credentials.oauth-terminal', { agent: 'claude', credentialSet: 'c'.repeat(257) }, 'credentialSet is too long (at most 256 characters)'],
      ['ssh.generate', { scope: 's'.repeat(257) }, 'scope is too long (at most 256 characters)'],
      ['ssh.generate', { scope: KEY }, 'the SSH key scope looks like an API key or token, so it is not shown and no key was made'],
      ['ssh.generate', { scope: `%${'a'.repeat(70)}` }, 'the SSH key scope is longer than 64 characters'],
      ['ssh.generate', { scope: 'bad scope\nline two' }, "'bad scope\\nline two' is not a valid SSH key scope"],
    ];
    for (const [step, params, start] of cases) {
      const { outcome } = await h.runStep(step, params);
      assert.equal(failure(outcome).error.code, 'invalid-params', step);
      assert.ok(failure(outcome).error.message.startsWith(start), failure(outcome).error.message);
    }
    assertKeyNowhere(h);
  } finally {
    h.cleanup();
  }
});
