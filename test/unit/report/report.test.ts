/**
 * The diagnostics report ("Copy report", channel app:report): what it
 * contains, and that secrets seeded everywhere the app could see them — the
 * environment, files on disk, a failed task's log, a generated passphrase in
 * a task result — never appear in it, nor does the home directory path.
 */
import { NO_DESKTOP } from '../../support/desktop.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../../main/core/engine.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { buildReport, createRedactor, REDACTED, secretsFromEnv, secretsInValue } from '../../../main/core/report/index.ts';
import { createHandlers, dispatch } from '../../../main/ipc/handlers.ts';
import { createSandboxHost, installFakePodman } from '../../support/host.ts';

const API_KEY = 'sk-ant-api03-SEEDEDfakeKEY0123456789abcdefXYZ';
const OPENAI_KEY = 'sk-proj-SEEDEDopenaiKEY9876543210';
const GITHUB_TOKEN = 'ghp_SEEDEDgithubTOKEN0123456789abcd';
const PASSPHRASE = 'seeded vault passphrase correct horse 42';
const GENERATED = 'generated-one-time-passphrase-7f3a9c';
const FILE_SECRET = 'glpat-SEEDEDgitlabTOKENinAfile01';

function seededEngine() {
  const host = createSandboxHost({
    env: { ANTHROPIC_API_KEY: API_KEY, OPENAI_API_KEY: OPENAI_KEY, GH_TOKEN: GITHUB_TOKEN, TEROK_VAULT_PASSPHRASE: PASSPHRASE },
  });
  installFakePodman(host, { version: '5.2.1' });
  const engine = new Engine(host.ctx);
  const paths = resolvePaths(host.ctx);
  // Secret files where terok keeps them (the report must not read them) and a stray one in $HOME.
  host.write(paths.sealedPassphrase, PASSPHRASE, 0o600);
  host.write(`${host.home}/.config/gitlab/token`, FILE_SECRET, 0o600);
  host.write(paths.credentialDb, `not a database ${API_KEY}`, 0o600);
  engine.tasks.register('test.install', async () => ({ generatedPassphrase: GENERATED, recoveryAcknowledged: false }));
  engine.tasks.register('test.failing', async (_p, task) => {
    task.log(`exporting ANTHROPIC_API_KEY=${API_KEY}`);
    task.log(`unlocking with ${PASSPHRASE} and ${GENERATED}`);
    task.log(`reading ${host.home}/.config/gitlab/token: ${FILE_SECRET}`);
    task.log('last ordinary line');
    throw new Error(`push failed for token ${GITHUB_TOKEN}`);
  });
  return { host, engine };
}

async function runTasks(engine: Engine): Promise<void> {
  await engine.tasks.wait(engine.tasks.start('test.install', {}));
  await engine.tasks.wait(engine.tasks.start('test.failing', {}));
}

test('the report never shows a seeded key, token, passphrase or the home path', async () => {
  const { host, engine } = seededEngine();
  await runTasks(engine);
  const markdown = await buildReport(engine);
  for (const secret of [API_KEY, OPENAI_KEY, GITHUB_TOKEN, PASSPHRASE, GENERATED, FILE_SECRET]) {
    assert.ok(!markdown.includes(secret), `the report contains ${secret.slice(0, 10)}…`);
  }
  assert.ok(!markdown.includes(host.home), 'the home directory is shown as ~');
  assert.match(markdown, /credentialDb: `~\//);
  assert.match(markdown, /exporting ANTHROPIC_API_KEY=\[redacted\]/);
  assert.match(markdown, /unlocking with \[redacted\] and \[redacted\]/);
  host.cleanup();
});

test('the report lists every probe, versions, paths and the last failed step with its log tail', async () => {
  const { host, engine } = seededEngine();
  await runTasks(engine);
  const markdown = await buildReport(engine, undefined, { versions: { electron: '45.4.1', node: '22.0.0' }, platform: 'linux', arch: 'x64' });
  for (const title of ['Podman', 'Git', 'Sandbox services', 'Container images', 'SSH key', 'Credentials']) {
    assert.match(markdown, new RegExp(`^\\| ${title} \\|`, 'm'), `${title} row`);
  }
  assert.match(markdown, /^- Terok Setup: \d+\.\d+\.\d+/m);
  assert.match(markdown, /^- electron: 45\.4\.1$/m);
  assert.match(markdown, /^- podman: 5\.2\.1$/m);
  assert.match(markdown, /^- terok: not found/m);
  assert.match(markdown, /^- setupStamp: `~\/\.local\/share\/terok\/setup\.stamp`$/m);
  assert.match(markdown, /^Step `test\.failing`: push failed for token \[redacted\]$/m);
  assert.match(markdown, /last ordinary line/);
  assert.match(markdown, /^- Verdict: Not ready: /m);
  host.cleanup();
});

test('with no failure the report says so', async () => {
  const { host, engine } = seededEngine();
  assert.match(await buildReport(engine), /No setup step has failed in this session\./);
  host.cleanup();
});

test('app:report answers through the handler table with redacted Markdown, and validates its payload', async () => {
  const { host, engine } = seededEngine();
  await runTasks(engine);
  const table = createHandlers(engine, NO_DESKTOP);
  const answer = (await dispatch(table, 'app:report', {})) as { ok: true; value: { markdown: string } };
  assert.equal(answer.ok, true);
  assert.match(answer.value.markdown, /^# Terok Setup report/);
  assert.ok(!answer.value.markdown.includes(API_KEY) && !answer.value.markdown.includes(PASSPHRASE));
  const settings = { ...engine.defaultSettings(), provider: 'codex' };
  const withSettings = (await dispatch(table, 'app:report', { settings })) as { ok: true; value: { markdown: string } };
  assert.match(withSettings.value.markdown, /^- Agent: codex,/m);
  const bad = (await dispatch(table, 'app:report', { secret: 1 })) as { ok: false; error: { code: string } };
  assert.deepEqual([bad.ok, bad.error.code], [false, 'invalid-request']);
  host.cleanup();
});

test('the redactor: token prefixes, exact secrets (longest first), home only where a path starts', () => {
  const redact = createRedactor({ home: '/home/ann', secrets: ['hunter2hunter2', 'hunter2hunter2-longer', 'short'] });
  assert.equal(redact('key sk-ant-abcdef123456 and gho_abcdef123 ghs_zzzzzzzz glpat-abcdefgh sk-1234567890'),
    `key ${REDACTED} and ${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED}`);
  assert.equal(redact('pw hunter2hunter2-longer / hunter2hunter2'), `pw ${REDACTED} / ${REDACTED}`);
  assert.equal(redact('short stays'), 'short stays', 'values under 8 characters are not treated as secrets');
  assert.equal(redact('/home/ann/.config and /home/anna/x and "/home/ann"'), '~/.config and /home/anna/x and "~"');
  assert.equal(redact('task-sk-like words stay'), 'task-sk-like words stay');
});

test('secret values are found by variable and field name', () => {
  assert.deepEqual(secretsFromEnv({ OPENAI_API_KEY: 'sk-xxxxxxxxxx', PATH: '/usr/bin:/bin:/sbin', GH_TOKEN: 'short', HOME: '/home/ann' }), ['sk-xxxxxxxxxx']);
  assert.deepEqual(secretsInValue({ generatedPassphrase: 'abcdefghij', nested: { apiKey: 'klmnopqrst' }, name: 'abcdefghijk', n: null }), ['abcdefghij', 'klmnopqrst']);
});
