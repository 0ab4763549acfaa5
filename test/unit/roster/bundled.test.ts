/** The bundled roster: spec §4.5 facts, the §9.4/§9.5 checklists, and Appendix A byte for byte. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { findAgent, findAuthProvider } from '../../../main/core/roster/auth-map.ts';
import { BUNDLED_ROSTER_DIR, loadRoster } from '../../../main/core/roster/load.ts';
import { renderRoutesJson } from '../../../main/core/roster/routes.ts';
import { AGENT_KINDS } from '../../../main/core/roster/schema.ts';
import { thrownBy } from '../../support/roster.ts';

const roster = loadRoster({});
const APPENDIX_A = readFileSync(path.join(import.meta.dirname, '..', '..', 'fixtures', 'roster', 'appendix-a-routes.json'), 'utf8');
const route = (name: string) => {
  const r = roster.vaultRoutes.get(name);
  assert.ok(r, `route ${name} exists`);
  return r;
};

test('routes.json from the bundled roster is byte-identical to Appendix A', () => {
  assert.equal(renderRoutesJson(roster), APPENDIX_A);
  assert.ok(APPENDIX_A.endsWith('}\n') && !APPENDIX_A.endsWith('\n\n'), 'fixture ends with exactly one newline');
});

test('bundled agents are the twelve of §4.1, each with a valid kind', () => {
  assert.deepEqual([...roster.agents.keys()], ['caddy', 'claude', 'coderabbit', 'codex', 'copilot', 'gh', 'glab', 'opencode', 'pi', 'sonar', 'toad', 'vibe']);
  for (const agent of roster.agents.values()) assert.ok(AGENT_KINDS.includes(agent.kind), `${agent.name} kind ${agent.kind}`);
});

test('bundled providers are the ten of §4.1', () => {
  assert.deepEqual([...roster.providers.keys()], ['anthropic', 'blablador', 'coderabbit', 'github', 'gitlab', 'kisski', 'mistral', 'openai', 'openrouter', 'sonarcloud']);
});

test('agents proper have label, binary, git identity, headless, session and capabilities; tools have an auth dir and mount', () => {
  for (const agent of roster.agents.values()) {
    if (['tool', 'frontend', 'infra'].includes(agent.kind)) continue;
    assert.ok(agent.label && agent.binary, `${agent.name} label/binary`);
    assert.ok(agent.gitIdentity.name && agent.gitIdentity.email, `${agent.name} git identity`);
    assert.ok(agent.spec.headless && agent.spec.session && agent.spec.capabilities, `${agent.name} headless/session/capabilities`);
  }
  for (const agent of [...roster.agents.values()].filter((a) => a.kind === 'tool')) {
    assert.ok(agent.spec.auth?.host_dir && agent.spec.auth.container_mount, `${agent.name} auth dir`);
  }
});

test('every bundled YAML file declares roster_version: 3', () => {
  for (const sub of ['agents', 'providers']) {
    const dir = path.join(BUNDLED_ROSTER_DIR, sub);
    for (const file of readdirSync(dir)) assert.match(readFileSync(path.join(dir, file), 'utf8'), /^roster_version: 3$/m, file);
  }
  assert.deepEqual(roster.warnings, []);
});

test('§4.5 table: kinds, auth modes, auth dirs, bindings and credential types', () => {
  const facts: [string, string, string[], string | null, string | null, string | null, string | null][] = [
    // name, kind, modes, host_dir → mount, bound provider, credential type, credential file
    ['claude', 'native', ['oauth', 'api_key'], '_claude-config→/home/dev/.claude', 'anthropic', 'oauth', '.credentials.json'],
    ['codex', 'native', ['oauth', 'api_key'], '_codex-config→/home/dev/.codex', 'openai', 'oauth', 'auth.json'],
    ['vibe', 'native', ['api_key'], '_vibe-config→/home/dev/.vibe', 'mistral', 'api_key', '.env'],
    ['copilot', 'native', [], null, null, null, null],
    ['opencode', 'harness', [], null, null, null, null],
    ['pi', 'harness', [], null, null, null, null],
    ['gh', 'tool', ['oauth', 'api_key'], '_gh-config→/home/dev/.config/gh', 'github', 'oauth_token', 'hosts.yml'],
    ['glab', 'tool', ['api_key'], '_glab-config→/home/dev/.config/glab-cli', 'gitlab', 'pat', 'config.yml'],
    ['sonar', 'tool', ['api_key'], '_sonar-config→/home/dev/.sonar', 'sonarcloud', 'api_key', null],
    ['coderabbit', 'tool', ['api_key'], '_coderabbit-config→/home/dev/.coderabbit', 'coderabbit', 'api_key', null],
    ['toad', 'frontend', [], null, null, null, null],
    ['caddy', 'infra', [], null, null, null, null],
  ];
  for (const [name, kind, modes, dir, provider, credentialType, credentialFile] of facts) {
    const agent = findAgent(roster, name);
    assert.equal(agent.kind, kind, `${name} kind`);
    const auth = agent.spec.auth;
    assert.deepEqual(auth?.modes ?? [], modes, `${name} modes`);
    assert.equal(auth ? `${auth.host_dir}→${auth.container_mount}` : null, dir, `${name} auth dir`);
    assert.equal(agent.spec.provider?.default ?? null, provider, `${name} binding`);
    assert.equal(agent.spec.provider?.credential_type ?? null, credentialType, `${name} credential type`);
    assert.equal(agent.spec.provider?.credential_file ?? null, credentialFile, `${name} credential file`);
  }
  assert.equal(findAgent(roster, 'codex').spec.auth?.device_auth, true);
  assert.equal(findAgent(roster, 'glab').spec.provider?.credential_file_writable, true);
  assert.deepEqual(findAgent(roster, 'toad').spec.install?.depends_on, ['caddy']);
  assert.equal(findAgent(roster, 'toad').spec.web_ingress, true);
  assert.equal(findAgent(roster, 'coderabbit').spec.install, undefined, 'coderabbit is a sidecar, not installed');
  assert.ok(roster.sidecars.has('coderabbit'));
});

test('agent_names, all_names and auth providers (§4.4 step 7)', () => {
  assert.deepEqual([...roster.agentNames].sort(), ['claude', 'codex', 'copilot', 'opencode', 'pi', 'vibe']);
  for (const name of ['gh', 'glab', 'claude', 'blablador', 'kisski', 'openrouter']) assert.ok(roster.allNames.includes(name), name);
  for (const name of ['gh', 'glab']) assert.ok(!roster.agentNames.includes(name), `${name} is not an agent`);
  for (const name of ['toad', 'caddy']) assert.ok(!roster.allNames.includes(name), `${name} is not nameable`);
  assert.deepEqual(roster.allNames.slice(-3), ['blablador', 'kisski', 'openrouter'], 'harness providers come last');
  assert.deepEqual([...roster.authProviders.keys()].sort(), ['blablador', 'claude', 'coderabbit', 'codex', 'gh', 'glab', 'kisski', 'openrouter', 'sonar', 'vibe']);
  const credentialKeys = Object.fromEntries([...roster.authProviders].map(([n, a]) => [n, a.credentialProvider]));
  assert.deepEqual(credentialKeys, {
    claude: 'anthropic', coderabbit: 'coderabbit', codex: 'openai', gh: 'github', glab: 'gitlab', sonar: 'sonarcloud', vibe: 'mistral',
    blablador: 'blablador', kisski: 'kisski', openrouter: 'openrouter',
  });
});

test('harness providers get a synthesized API-key auth provider', () => {
  const blablador = findAuthProvider(roster, 'blablador');
  assert.deepEqual(
    { hostDir: blablador.hostDir, mount: blablador.containerMount, modes: blablador.modes, file: blablador.credentialFile, synthesized: blablador.synthesized },
    { hostDir: '_blablador-config', mount: '/home/dev/.blablador', modes: ['api_key'], file: 'config.json', synthesized: true },
  );
});

test('mounts include every auth dir and explicit mount, host dirs unique', () => {
  const dirs = roster.mounts.map((m) => m.hostDir);
  for (const d of ['_claude-config', '_codex-config', '_gh-config', '_glab-config', '_opencode-config', '_opencode-data', '_opencode-state', '_toad-config']) {
    assert.ok(dirs.includes(d), d);
  }
  assert.equal(new Set(dirs).size, dirs.length);
});

test('agent lookup: codex resolves, no name means claude, unknown names are refused', () => {
  assert.equal(findAgent(roster, 'codex').name, 'codex');
  assert.equal(findAgent(roster).name, 'claude');
  assert.match(thrownBy(() => findAgent(roster, 'nope')).message, /^Unknown agent: nope\. Available: caddy, claude/);
  assert.match(thrownBy(() => findAuthProvider(roster, 'copilot')).message, /^Unknown auth provider: copilot\. Available: blablador, claude/);
});

test('auto-approve env and the OpenCode provider env', () => {
  const env = new Set([...roster.agents.values()].flatMap((a) => [...(a.spec.auto_approve?.env.keys() ?? [])]));
  for (const v of ['COPILOT_ALLOW_ALL', 'VIBE_BYPASS_TOOL_PERMISSIONS', 'OPENCODE_PERMISSION']) assert.ok(env.has(v), v);
  const ocEnv = [...roster.opencodeEnv.keys()];
  for (const prefix of ['TEROK_OC_BLABLADOR_', 'TEROK_OC_KISSKI_', 'TEROK_OC_OPENROUTER_']) {
    assert.ok(ocEnv.some((k) => k.startsWith(prefix)), prefix);
  }
});

test('§9.4 route anthropic: dynamic header, OAuth extra header, token env, base URL/socket env, refresh', () => {
  const r = route('anthropic');
  assert.equal(r.upstream, 'https://api.anthropic.com');
  assert.equal(r.wire.header, 'dynamic');
  assert.equal(r.wire.prefix, '');
  assert.deepEqual(Object.fromEntries(r.wire.extraHeaders), { 'anthropic-beta': 'oauth-2025-04-20' });
  assert.deepEqual(Object.fromEntries(r.tokenEnv), { _default: 'ANTHROPIC_API_KEY', oauth: 'CLAUDE_CODE_OAUTH_TOKEN' });
  assert.equal(r.baseUrlEnv, 'ANTHROPIC_BASE_URL');
  assert.equal(r.socketEnv, 'ANTHROPIC_UNIX_SOCKET');
  assert.ok(r.oauthRefresh?.tokenUrl && r.oauthRefresh.clientId);
  assert.equal(r.agent, 'claude');
});

test('§9.4 route openai: path override, no extra headers, config patch on config.toml, refresh endpoint', () => {
  const r = route('openai');
  assert.equal(r.upstream, 'https://api.openai.com');
  assert.deepEqual(Object.fromEntries(r.pathUpstreams), { '/backend-api/': 'https://chatgpt.com' });
  assert.equal(r.wire.extraHeaders.size, 0);
  assert.equal(r.configPatch?.file, 'config.toml');
  assert.deepEqual(Object.fromEntries(r.configPatch?.by_credential_type?.get('oauth') ?? []), {
    chatgpt_base_url: '{vault_url}/backend-api/',
    openai_base_url: '{vault_url}/backend-api/codex',
  });
  assert.deepEqual(r.oauthRefresh, { tokenUrl: 'https://auth.openai.com/oauth/token', clientId: 'app_EMoamEEZ73f0CkXaXp7hrann' });
});

test('§9.4 github and gitlab routes; harness and mistral token env; copilot binds nothing; shared domains', () => {
  assert.equal(route('github').wire.prefix, 'token ');
  assert.equal(route('github').upstream, 'https://api.github.com');
  assert.equal(route('github').oauthRefresh, undefined);
  assert.equal(route('gitlab').wire.header, 'PRIVATE-TOKEN');
  assert.equal(route('gitlab').wire.prefix, '');
  for (const name of ['mistral', 'blablador', 'kisski']) {
    assert.deepEqual([...route(name).tokenEnv.keys()], ['_default'], `${name} token env`);
    assert.equal(route(name).socketEnv, undefined, `${name} socket env`);
  }
  assert.equal(route('blablador').credentialType, 'api_key');
  assert.equal(route('kisski').credentialType, 'api_key');
  assert.equal(route('blablador').tokenEnv.get('_default'), 'TEROK_OC_BLABLADOR_API_KEY');
  assert.equal(findAgent(roster, 'copilot').spec.provider, undefined);
  for (const name of ['anthropic', 'openai', 'github', 'mistral', 'blablador', 'kisski', 'openrouter']) assert.equal(route(name).sharedDomain, false, name);
  for (const name of ['gitlab', 'sonarcloud']) assert.equal(route(name).sharedDomain, true, name);
});

test('§9.4 generated JSON: parses, provider keys, optional fields only where set', () => {
  const json = JSON.parse(renderRoutesJson(roster)) as Record<string, Record<string, unknown>>;
  assert.equal(json.anthropic?.auth_header, 'dynamic');
  assert.ok(json.openai?.path_upstreams && !('oauth_extra_headers' in json.openai));
  for (const entry of Object.values(json)) assert.equal(typeof entry.upstream, 'string');
  assert.ok('gitlab' in json && !('glab' in json), 'keyed by provider, not agent');
  assert.ok(!('oauth_refresh' in (json.github ?? {})));
  assert.deepEqual(Object.keys(json), [...Object.keys(json)].sort());
  assert.deepEqual(Object.keys(json.anthropic ?? {}), ['upstream', 'auth_header', 'auth_prefix', 'oauth_extra_headers', 'oauth_refresh']);
});
