/** Writing routes.json (§4.7) and the "Vault routes" stage (§3.2 step 1, §3.5). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RosterError } from '../../../main/core/roster/errors.ts';
import { loadRoster, projectWireAuth } from '../../../main/core/roster/load.ts';
import { renderRoutesJson, RoutesWriteError, writeRoutesJson } from '../../../main/core/roster/routes.ts';
import { pythonJsonDumps } from '../../../main/core/host/python-json.ts';
import { ensureVaultRoutes, stageRunnerFor, vaultRoutesStep } from '../../../main/core/roster/vault-routes.ts';
import { formatStageLine, type StageUpdate } from '../../../main/core/tasks/stages.ts';
import { createRosterHost, projectModule, runUnprivileged } from '../../support/roster.ts';

const APPENDIX_A = readFileSync(path.join(import.meta.dirname, '..', '..', 'fixtures', 'roster', 'appendix-a-routes.json'), 'utf8');
const OLD_ROUTES = '{"old": {"upstream": "https://old.example"}}\n';

function recordingStage() {
  const updates: StageUpdate[] = [];
  return { updates, stage: stageRunnerFor((u) => updates.push(u)) };
}

const leftoverTemps = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.routes.json.'));

test('ensureVaultRoutes writes Appendix A to the vault dir, creating it 0700, file 0600', async (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  const { updates, stage } = recordingStage();
  const result = await ensureVaultRoutes(host.paths, stage);
  assert.equal(result.path, host.paths.routesJson);
  assert.equal(host.paths.routesJson, path.join(host.home, '.local', 'share', 'terok', 'vault', 'routes.json'));
  assert.equal(readFileSync(result.path, 'utf8'), APPENDIX_A);
  assert.equal(statSync(result.path).mode & 0o777, 0o600);
  assert.equal(statSync(path.dirname(result.path)).mode & 0o777, 0o700);
  assert.deepEqual(updates, [
    { label: 'Vault routes', status: 'running', detail: '' },
    { label: 'Vault routes', status: 'ok', detail: 'regenerated' },
  ]);
  assert.equal(formatStageLine('Vault routes', 'ok', 'regenerated'), '  Vault routes          ok (regenerated)');
});

test('an outdated routes.json with loose permissions is replaced with the new 0600 one', async (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.write(host.paths.routesJson, OLD_ROUTES, 0o644);
  await ensureVaultRoutes(host.paths, recordingStage().stage);
  assert.equal(readFileSync(host.paths.routesJson, 'utf8'), APPENDIX_A);
  assert.equal(statSync(host.paths.routesJson).mode & 0o777, 0o600);
  assert.deepEqual(leftoverTemps(path.dirname(host.paths.routesJson)), []);
});

test('a second run on a ready host leaves routes.json alone: same bytes, same inode, same mtime', async (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  await ensureVaultRoutes(host.paths, recordingStage().stage);
  const first = statSync(host.paths.routesJson);
  await new Promise((r) => setTimeout(r, 20));
  const { updates, stage } = recordingStage();
  await ensureVaultRoutes(host.paths, stage);
  const second = statSync(host.paths.routesJson);
  assert.equal(second.ino, first.ino);
  assert.equal(second.mtimeMs, first.mtimeMs);
  assert.equal(readFileSync(host.paths.routesJson, 'utf8'), APPENDIX_A);
  assert.equal(updates.at(-1)?.status, 'ok', 'the stage still reports ok');
});

test('the right bytes with a loose mode are rewritten to 0600', async (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.write(host.paths.routesJson, APPENDIX_A, 0o644);
  const before = statSync(host.paths.routesJson).ino;
  await ensureVaultRoutes(host.paths, recordingStage().stage);
  assert.equal(statSync(host.paths.routesJson).mode & 0o777, 0o600);
  assert.notEqual(statSync(host.paths.routesJson).ino, before);
});

test('user overrides flow into the written file', async (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeProvider('gitlab', 'upstream: https://gitlab.example.org\n');
  await ensureVaultRoutes(host.paths, recordingStage().stage);
  const json = JSON.parse(readFileSync(host.paths.routesJson, 'utf8')) as Record<string, { upstream: string }>;
  assert.equal(json.gitlab?.upstream, 'https://gitlab.example.org');
});

test('a roster error renders FAIL with the first line, the rest indented, propagates, and writes nothing', async (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.write(host.paths.routesJson, OLD_ROUTES, 0o600);
  host.writeAgent('claude', 'auth:\n  modez: [oauth]\n');
  const { updates, stage } = recordingStage();
  await assert.rejects(ensureVaultRoutes(host.paths, stage), RosterError);
  const final = updates.at(-1)!;
  assert.equal(final.status, 'FAIL');
  const printed = formatStageLine(final.label, 'FAIL', final.detail).split('\n');
  assert.equal(printed[0], "  Vault routes          FAIL (Agent 'claude': invalid roster YAML)");
  assert.match(printed[1]!, new RegExp(`^ {25} {2}${host.paths.userAgentsDir}/claude\\.yaml:2:3: auth\\.modez: unknown key 'modez'`));
  assert.equal(readFileSync(host.paths.routesJson, 'utf8'), OLD_ROUTES, 'previous file untouched');
  assert.deepEqual(leftoverTemps(path.dirname(host.paths.routesJson)), []);
});

test('an invalid user roster never falls back to the bundled one for routes', async (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeAgent('claude', 'kind: nonsense\n');
  await assert.rejects(ensureVaultRoutes(host.paths, recordingStage().stage));
  assert.equal(existsSync(host.paths.routesJson), false);
});

test('a failed rename (target is a directory) leaves the old content and no temp file behind', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  mkdirSync(host.paths.routesJson, { recursive: true });
  writeFileSync(path.join(host.paths.routesJson, 'keep'), 'old');
  const err = (() => { try { writeRoutesJson(loadRoster({}), host.paths.routesJson); } catch (e) { return e as Error; } return null; })();
  assert.ok(err instanceof RoutesWriteError, 'a RoutesWriteError is thrown');
  assert.match(err.message, /while writing the vault routes file/);
  assert.match(err.message, /the previous version, if any, was left unchanged/);
  assert.equal(readFileSync(path.join(host.paths.routesJson, 'keep'), 'utf8'), 'old');
  assert.deepEqual(leftoverTemps(path.dirname(host.paths.routesJson)), []);
});

test('a write refused by permissions fails the stage, keeps the old file and names the fix', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  const vaultDir = path.dirname(host.paths.routesJson);
  host.write(host.paths.routesJson, OLD_ROUTES, 0o644);
  chmodSync(vaultDir, 0o555);
  const { stdout } = runUnprivileged(host, `
    import { ensureVaultRoutes, stageRunnerFor } from ${projectModule('main/core/roster/vault-routes.ts')};
    import { formatStageLine } from ${projectModule('main/core/tasks/stages.ts')};
    const paths = ${JSON.stringify({ userAgentsDir: host.paths.userAgentsDir, userProvidersDir: host.paths.userProvidersDir, routesJson: host.paths.routesJson })};
    let last;
    await ensureVaultRoutes(paths, stageRunnerFor((u) => { last = u; })).catch(() => {});
    console.log(formatStageLine(last.label, last.status, last.detail));
  `);
  chmodSync(vaultDir, 0o700);
  assert.match(stdout, /^ {2}Vault routes {10}FAIL \(permission denied while writing the vault routes file .* check the owner and permissions of that path\)\n {25}file: .*routes\.json \(the previous version, if any, was left unchanged\)/);
  assert.equal(readFileSync(host.paths.routesJson, 'utf8'), OLD_ROUTES);
  assert.deepEqual(leftoverTemps(vaultDir), []);
});

test('vaultRoutesStep fits the sandbox install: returns the ok detail, throws on a roster error', async (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  assert.equal(await vaultRoutesStep(host.ctx), 'regenerated');
  assert.equal(readFileSync(host.paths.routesJson, 'utf8'), APPENDIX_A);
  host.writeAgent('codex', '[1, 2]\n');
  await assert.rejects(vaultRoutesStep(host.ctx), /Agent 'codex': invalid roster YAML/);
});

test('wire-auth projection: dynamic on different headers, identical modes collapse, conflicts are errors', () => {
  const mode = (header: string, prefix = '', extra: [string, string][] = []) => ({ header, prefix, extra_headers: new Map(extra) });
  const dynamic = projectWireAuth({ oauth: mode('Authorization', 'Bearer ', [['x-beta', '1']]), api_key: mode('x-api-key') });
  assert.deepEqual(dynamic, { header: 'dynamic', prefix: '', extraHeaders: new Map([['x-beta', '1']]) });
  const same = projectWireAuth({ oauth: mode('Authorization', 'token '), api_key: mode('Authorization', 'token ') });
  assert.deepEqual(same, { header: 'Authorization', prefix: 'token ', extraHeaders: new Map() });
  assert.deepEqual(projectWireAuth({ oauth: undefined, api_key: mode('PRIVATE-TOKEN') }), { header: 'PRIVATE-TOKEN', prefix: '', extraHeaders: new Map() });
  assert.equal(typeof projectWireAuth({ oauth: mode('Authorization', 'Bearer '), api_key: mode('Authorization', 'Key ') }), 'string');
  assert.equal(typeof projectWireAuth({ oauth: mode('A', '', [['h', '1']]), api_key: mode('A', '', [['h', '2']]) }), 'string');
});

test('JSON is written as Python json.dumps(indent=2) writes it: key order kept, non-ASCII escaped', () => {
  const value = new Map<string, never>([['b', 'ü€😀\u007f' as never], ['10', 'x' as never], ['a', new Map() as never]]);
  assert.equal(pythonJsonDumps(value, 2), '{\n  "b": "\\u00fc\\u20ac\\ud83d\\ude00\\u007f",\n  "10": "x",\n  "a": {}\n}');
});

test('json.dumps without indent: ", " and ": " separators (the credential rows terok stores)', () => {
  assert.equal(pythonJsonDumps({ type: 'oauth', scopes: ['a', 'b'], expires_at: null, nested: {}, n: 1.5 }), '{"type": "oauth", "scopes": ["a", "b"], "expires_at": null, "nested": {}, "n": 1.5}');
  assert.equal(pythonJsonDumps({ list: [] }, 2), '{\n  "list": []\n}');
});

test('an extra header named like a number keeps its YAML position in routes.json', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeProvider('anthropic', 'auth:\n  oauth:\n    extra_headers:\n      "1": one\n');
  const json = renderRoutesJson(host.load());
  assert.match(json, /"oauth_extra_headers": \{\n {6}"anthropic-beta": "oauth-2025-04-20",\n {6}"1": "one"\n {4}\}/);
});
