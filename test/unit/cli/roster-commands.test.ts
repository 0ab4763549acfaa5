/** `terok-setup routes` and `terok-setup agents` against a sandboxed home. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../main/cli/index.ts';
import type { CliStreams } from '../../../main/cli/command.ts';
import { Engine } from '../../../main/core/engine.ts';
import { createRosterHost, type RosterHost } from '../../support/roster.ts';

const APPENDIX_A = readFileSync(path.join(import.meta.dirname, '..', '..', 'fixtures', 'roster', 'appendix-a-routes.json'), 'utf8');

async function cli(host: RosterHost, argv: string[]) {
  let out = '';
  let err = '';
  const io: CliStreams = { out: (t) => { out += t; }, err: (t) => { err += t; }, stdinIsTty: false, readLine: async () => null };
  const code = await main(argv, io, new Engine(host.ctx));
  return { code, out, err };
}

test('routes writes routes.json and prints the stage line and the path', async (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  const { code, out, err } = await cli(host, ['routes']);
  assert.equal(code, 0);
  assert.equal(out, `  Vault routes          ok (regenerated)\nRoutes written to ${host.paths.routesJson}\n`);
  assert.equal(err, '');
  assert.equal(readFileSync(host.paths.routesJson, 'utf8'), APPENDIX_A);
});

test('routes with a broken roster prints FAIL with the details and exits 1', async (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeAgent('claude', 'kind: fancy\n');
  const { code, out } = await cli(host, ['routes']);
  assert.equal(code, 1);
  const lines = out.split('\n');
  assert.equal(lines[0], "  Vault routes          FAIL (Agent 'claude': invalid roster YAML)");
  assert.match(lines[1]!, /^ {27}\/.*claude\.yaml:1:7: kind: text "fancy" is not allowed here/);
  assert.doesNotMatch(out, /Routes written|\n\s+at /);
});

test('routes prints roster warnings on stderr', async (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeAgent('claude', 'roster_version: 9\n');
  const { code, err } = await cli(host, ['routes']);
  assert.equal(code, 0);
  assert.match(err, /roster_version=9/);
});

test('routes --help and agents --help describe the commands; both are listed in the main help', async (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  assert.match((await cli(host, ['routes', '--help'])).out, /^Usage: terok-setup routes\n/);
  assert.match((await cli(host, ['agents', '--help'])).out, /^Usage: terok-setup agents \[--json\]\n/);
  const help = (await cli(host, ['--help'])).out;
  assert.match(help, /^ {2}routes +Regenerate the vault routes file/m);
  assert.match(help, /^ {2}agents +List the agent roster/m);
});

test('agents lists the roster and marks user overrides and additions', async (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  const file = host.writeAgent('claude', 'label: Claude (work)\n');
  host.writeAgent('jira', 'kind: tool\n');
  const { code, out } = await cli(host, ['agents']);
  assert.equal(code, 0);
  assert.match(out, /^NAME +KIND +LABEL +AUTH +CREDENTIAL PROVIDER$/m);
  assert.match(out, /^claude \* +native +Claude \(work\) +oauth, api_key +anthropic$/m);
  assert.match(out, /^jira \+ +tool +jira +— +—$/m);
  assert.ok(out.includes(`  claude: ${file} (override)`));
});

test('agents --json prints the view; a broken roster exits 1 and says the bundled roster is shown', async (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  const json = JSON.parse((await cli(host, ['agents', '--json'])).out) as { entries: { name: string }[]; error: unknown };
  assert.equal(json.entries.length, 15);
  assert.equal(json.error, null);
  host.writeAgent('vibe', '- nope\n');
  const broken = await cli(host, ['agents']);
  assert.equal(broken.code, 1);
  assert.match(broken.out, /Your roster files cannot be used, so the bundled roster is shown:\n {2}Agent 'vibe': invalid roster YAML/);
});
