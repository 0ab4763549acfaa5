/** The roster the app uses: caching, re-reading after edits, bundled fallback, auth map and the Agents view. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utimesSync } from 'node:fs';
import { authenticatableNames, credentialProviderFor, effectiveRoster, knownEntries } from '../../../main/core/roster/auth-map.ts';
import { currentRoster } from '../../../main/core/roster/current.ts';
import { rosterDirsOf } from '../../../main/core/roster/load.ts';
import { rosterView } from '../../../main/core/roster/view.ts';
import { createRosterHost } from '../../support/roster.ts';

test('credential providers come from the roster; unknown names pass through', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  assert.equal(credentialProviderFor(host.paths, 'claude'), 'anthropic');
  assert.equal(credentialProviderFor(host.paths, 'codex'), 'openai');
  assert.equal(credentialProviderFor(host.paths, 'blablador'), 'blablador');
  assert.equal(credentialProviderFor(host.paths, 'copilot'), 'copilot');
});

test('authenticatable names leave out entries with nothing to authenticate (spec §10.1 item 4)', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  const names = authenticatableNames(host.paths);
  assert.deepEqual(names, ['blablador', 'claude', 'coderabbit', 'codex', 'gh', 'glab', 'kisski', 'openrouter', 'sonar', 'vibe']);
  for (const name of ['copilot', 'opencode', 'pi']) assert.ok(!names.includes(name), name);
  assert.deepEqual(knownEntries(host.paths), ['blablador', 'claude', 'coderabbit', 'codex', 'copilot', 'gh', 'glab', 'kisski', 'opencode', 'openrouter', 'pi', 'sonar', 'vibe']);
});

test('a user-added tool becomes known and authenticatable', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeAgent('jira', 'kind: tool\nauth:\n  host_dir: _jira\n  container_mount: /home/dev/.jira\n');
  assert.ok(knownEntries(host.paths).includes('jira'));
  assert.ok(authenticatableNames(host.paths).includes('jira'));
});

test('the cached roster is reused until a file changes, then re-read', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  const first = currentRoster(rosterDirsOf(host.paths));
  assert.equal(currentRoster(rosterDirsOf(host.paths)), first, 'same state object from cache');
  const file = host.writeAgent('claude', 'label: Edited\n');
  const edited = currentRoster(rosterDirsOf(host.paths));
  assert.equal(edited.roster.agents.get('claude')?.label, 'Edited');
  host.writeAgent('claude', 'label: Edite2\n');
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  assert.equal(currentRoster(rosterDirsOf(host.paths)).roster.agents.get('claude')?.label, 'Edite2');
});

test('an invalid user roster falls back to the bundled one, keeping the error for display', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeAgent('claude', 'label: Mine\nkind: wrong\n');
  const state = currentRoster(rosterDirsOf(host.paths));
  assert.equal(state.fallback, true);
  assert.equal(state.roster.agents.get('claude')?.label, 'Claude Code');
  assert.match(state.error?.message ?? '', /^Agent 'claude': invalid roster YAML/);
  assert.equal(credentialProviderFor(host.paths, 'claude'), 'anthropic', 'probes keep working');
  assert.equal(effectiveRoster(host.paths).agents.size, 12);
});

test('the Agents view lists entries, user overrides and additions, and is plain JSON', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  const claudeFile = host.writeAgent('claude', 'label: Claude (work)\n');
  const jiraFile = host.writeAgent('jira', 'kind: tool\n');
  const kisskiFile = host.writeProvider('kisski', 'upstream: https://kisski.example\n');
  host.writeAgent('notes.yml', 'label: x\n');
  const view = rosterView(host.paths);
  assert.deepEqual(JSON.parse(JSON.stringify(view)), view, 'survives a JSON round trip unchanged');
  const entry = (name: string) => view.entries.find((e) => e.name === name);
  assert.deepEqual(entry('claude'), {
    name: 'claude', kind: 'native', label: 'Claude (work)', authModes: ['oauth', 'api_key'], provider: 'anthropic',
    userFile: claudeFile, userAdded: false, installable: true,
  });
  assert.deepEqual({ file: entry('jira')?.userFile, added: entry('jira')?.userAdded, modes: entry('jira')?.authModes }, { file: jiraFile, added: true, modes: [] });
  assert.deepEqual({ kind: entry('kisski')?.kind, file: entry('kisski')?.userFile }, { kind: 'harness', file: kisskiFile });
  assert.equal(entry('copilot')?.provider, null);
  const anthropic = view.providers.find((p) => p.name === 'anthropic');
  assert.deepEqual(anthropic, { name: 'anthropic', upstream: 'https://api.anthropic.com', authHeader: 'dynamic', harness: false, boundBy: 'claude', userFile: null, userAdded: false });
  assert.equal(view.warnings.length, 1);
  assert.match(view.warnings[0]!, /notes\.yml/);
  assert.equal(view.error, null);
  assert.equal(view.userAgentsDir, host.paths.userAgentsDir);
});

test('the Agents view reports a load error with its location and shows the bundled roster', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  const file = host.writeAgent('codex', 'auth:\n  modes: [magic]\n');
  const view = rosterView(host.paths);
  assert.equal(view.entries.find((e) => e.name === 'codex')?.userFile, null, 'bundled entries shown');
  assert.deepEqual(view.error?.problems, [{
    subject: "Agent 'codex': invalid roster YAML", file, line: 2, column: 11, keyPath: 'auth.modes[0]',
    message: 'text "magic" is not allowed here — use one of: oauth, api_key',
  }]);
});
