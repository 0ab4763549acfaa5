/** User files over the bundled roster: deep merge, additions, roster_version handling (§4.4 steps 2–4). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { findAgent } from '../../../main/core/roster/auth-map.ts';
import { loadRoster } from '../../../main/core/roster/load.ts';
import { renderRoutesJson } from '../../../main/core/roster/routes.ts';
import { createRosterHost } from '../../support/roster.ts';

test('a missing user directory is fine: the bundled roster loads unchanged', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  const roster = host.load();
  assert.equal(renderRoutesJson(roster), renderRoutesJson(loadRoster({})));
  assert.deepEqual(roster.warnings, []);
  assert.equal(findAgent(roster, 'claude').origin.userFile, undefined);
});

test('a single field overrides a bundled entry; everything else is kept', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  const file = host.writeAgent('claude', 'label: Claude Custom\n');
  const claude = findAgent(host.load(), 'claude');
  assert.equal(claude.label, 'Claude Custom');
  assert.equal(claude.binary, 'claude');
  assert.deepEqual(claude.spec.auth?.modes, ['oauth', 'api_key']);
  assert.equal(claude.spec.provider?.default, 'anthropic');
  assert.equal(claude.origin.userFile, file);
  assert.ok(claude.origin.bundledFile?.endsWith('claude.yaml'));
});

test('nested maps merge key by key; lists and scalars from the user replace', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeAgent('claude', 'auth:\n  modes: [api_key]\nprovider:\n  token_env:\n    pat: MY_PAT\n');
  const claude = findAgent(host.load(), 'claude');
  assert.deepEqual(claude.spec.auth?.modes, ['api_key'], 'list replaced');
  assert.equal(claude.spec.auth?.host_dir, '_claude-config', 'sibling key kept');
  assert.deepEqual(Object.fromEntries(claude.spec.provider?.token_env ?? []), {
    _default: 'ANTHROPIC_API_KEY', oauth: 'CLAUDE_CODE_OAUTH_TOKEN', pat: 'MY_PAT',
  }, 'map merged, new key appended last');
});

test('a new agent is added with name-derived defaults', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeAgent('aider', 'kind: native\ninstall:\n  run_as_dev: RUN pipx install aider-chat\n');
  const roster = host.load();
  const aider = findAgent(roster, 'aider');
  assert.deepEqual({ label: aider.label, binary: aider.binary, git: aider.gitIdentity }, { label: 'aider', binary: 'aider', git: { name: 'Aider', email: 'noreply@terok.ai' } });
  assert.ok(roster.agentNames.includes('aider'));
  assert.ok(roster.installs.has('aider'));
  assert.equal(aider.origin.bundledFile, undefined);
});

test('a new tool is nameable but not an agent, and keeps its auth command', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeAgent('jira', [
    'kind: tool',
    'auth:',
    '  host_dir: _jira-config',
    '  container_mount: /home/dev/.jira',
    '  command: [jira, init]',
    '',
  ].join('\n'));
  const roster = host.load();
  assert.ok(roster.allNames.includes('jira'));
  assert.ok(!roster.agentNames.includes('jira'));
  assert.deepEqual(findAgent(roster, 'jira').spec.auth?.command, ['jira', 'init']);
  assert.equal(roster.authProviders.get('jira')?.credentialProvider, 'jira', 'no binding: stored under its own name');
  assert.ok(roster.mounts.some((m) => m.hostDir === '_jira-config'));
});

test('a new provider bound by a new agent appears in routes.json, sorted', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeProvider('deepseek', 'upstream: https://api.deepseek.com\nauth:\n  api_key:\n    header: Authorization\n    prefix: "Bearer "\n');
  host.writeAgent('dsagent', 'auth:\n  host_dir: _ds-config\n  container_mount: /home/dev/.ds\nprovider:\n  default: deepseek\n  token_env:\n    _default: DEEPSEEK_API_KEY\n');
  const roster = host.load();
  const json = renderRoutesJson(roster);
  assert.deepEqual(Object.keys(JSON.parse(json)), ['anthropic', 'blablador', 'coderabbit', 'deepseek', 'github', 'gitlab', 'kisski', 'mistral', 'openai', 'openrouter', 'sonarcloud']);
  assert.match(json, /"deepseek": \{\n {4}"upstream": "https:\/\/api.deepseek.com",\n {4}"auth_header": "Authorization",\n {4}"auth_prefix": "Bearer "\n {2}\}/);
  assert.equal(roster.vaultRoutes.get('deepseek')?.agent, 'dsagent');
  assert.equal(roster.authProviders.get('dsagent')?.credentialProvider, 'deepseek');
});

test('a provider override changes the route; a null binding unbinds an agent', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeProvider('anthropic', 'upstream: https://anthropic.proxy.example\n');
  host.writeAgent('vibe', 'provider: ~\n');
  const roster = host.load();
  assert.match(renderRoutesJson(roster), /"upstream": "https:\/\/anthropic.proxy.example"/);
  assert.ok(!roster.vaultRoutes.has('mistral'), 'unbound provider has no delivery route');
  assert.match(renderRoutesJson(roster), /"mistral": \{/, 'but every provider still has a routes.json entry');
  assert.equal(roster.authProviders.get('vibe')?.credentialProvider, 'vibe');
});

test('roster_version: current, older and absent are silent; the marker is stripped', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeAgent('claude', 'roster_version: 3\nlabel: A\n');
  host.writeAgent('codex', 'roster_version: 1\nlabel: B\n');
  host.writeAgent('vibe', 'label: C\n');
  const roster = host.load();
  assert.deepEqual(roster.warnings, []);
  assert.equal(findAgent(roster, 'codex').label, 'B', 'roster_version is not an unknown key');
});

test('a future roster_version warns naming the version and the file', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  const file = host.writeAgent('claude', 'roster_version: 7\nlabel: Future\n');
  const roster = host.load();
  assert.equal(roster.warnings.length, 1);
  assert.match(roster.warnings[0]!, /roster_version=7/);
  assert.ok(roster.warnings[0]!.includes(file));
  assert.equal(findAgent(roster, 'claude').label, 'Future');
});

test('a non-integer roster_version warns "not a valid integer" and loads as current', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeProvider('openai', 'roster_version: three\nshared_domain: false\n');
  const roster = host.load();
  assert.match(roster.warnings.join('\n'), /not a valid integer version; treating as current/);
  assert.match(roster.warnings.join('\n'), /^Warning \[providers\]/m);
});

test('metadata-only files are skipped with an info line; empty and comment-only files are ignored', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  const meta = host.writeAgent('metaonly', 'roster_version: 3\n');
  host.writeAgent('empty', '');
  host.writeAgent('comments', '# nothing here yet\n');
  host.writeAgent('braces', '{}\n');
  const roster = host.load();
  assert.deepEqual(roster.warnings, [`Info [roster]: skipping metadata-only file ${meta} (it holds only roster_version).`]);
  for (const name of ['metaonly', 'empty', 'comments', 'braces']) assert.ok(!roster.agents.has(name), name);
});

test('.yml files are ignored with a warning; other files are ignored silently', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeAgent('claude.yml', 'label: Not Read\n');
  host.writeAgent('README.md', '# my agents\n');
  host.writeAgent('claude.yaml~', 'label: Backup\n');
  const roster = host.load();
  assert.equal(findAgent(roster, 'claude').label, 'Claude Code');
  assert.equal(roster.warnings.length, 1);
  assert.match(roster.warnings[0]!, /only \*\.yaml files are read — rename it to claude\.yaml/);
});

test('removing the user directory again restores the bundled roster', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeAgent('claude', 'label: Temporary\n');
  assert.equal(findAgent(host.load(), 'claude').label, 'Temporary');
  rmSync(host.paths.userAgentsDir, { recursive: true });
  assert.equal(findAgent(host.load(), 'claude').label, 'Claude Code');
});
