/**
 * Every way a roster can be refused, and the words the user gets: what is
 * wrong, in which file at which line and column, under which key, how to fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RosterError } from '../../../main/core/roster/errors.ts';
import { loadRoster } from '../../../main/core/roster/load.ts';
import { createRosterHost, projectModule, runUnprivileged, thrownBy, type RosterHost } from '../../support/roster.ts';

/** Load and return the RosterError's message with the sandbox root replaced by `~ROOT`. */
function refusal(host: RosterHost): string {
  const err = thrownBy(() => host.load());
  assert.ok(err instanceof RosterError, `expected a RosterError, got ${err.name}: ${err.message}`);
  assert.ok(!/\n\s+at /.test(err.message), 'no stack trace in the message');
  return err.message.replaceAll(host.root, '~ROOT');
}

const AGENTS = '~ROOT/home/.config/terok/agent/agents';

function refusedAgent(yaml: string, name = 'claude'): string {
  const host = createRosterHost();
  try {
    host.writeAgent(name, yaml);
    return refusal(host);
  } finally {
    host.cleanup();
  }
}

function refusedProvider(yaml: string, name = 'anthropic'): string {
  const host = createRosterHost();
  try {
    host.writeProvider(name, yaml);
    return refusal(host);
  } finally {
    host.cleanup();
  }
}

test('an unknown top-level key is rejected with the file, line, column and a suggestion', () => {
  assert.equal(refusedAgent('label: ok\nlable: typo\n'), [
    "Agent 'claude': invalid roster YAML",
    `  ${AGENTS}/claude.yaml:2:1: lable: unknown key 'lable' — did you mean 'label'? Allowed here: kind, label, binary, git_identity, headless, auto_approve, session, capabilities, wrapper, auth, protocol, provider, sidecar, install, help, mounts, web_ingress`,
  ].join('\n'));
});

test('unknown keys are rejected at every level', () => {
  assert.match(refusedAgent('auth:\n  modez: [oauth]\n'), /claude\.yaml:2:3: auth\.modez: unknown key 'modez' — did you mean 'modes'\?/);
  assert.match(refusedAgent('provider:\n  config_patch:\n    file: a.toml\n    toml_set: {a: 1}\n    tomlset: {}\n'), /claude\.yaml:5:5: provider\.config_patch\.tomlset: unknown key/);
  assert.match(refusedAgent('mounts:\n  - host_dir: _x\n    container_path: /x\n    labl: X\n'), /claude\.yaml:4:5: mounts\[0\]\.labl: unknown key 'labl' — did you mean 'label'\?/);
  assert.match(refusedProvider('auth:\n  oauth:\n    header: Authorization\n    extra: {}\n'), /anthropic\.yaml:4:5: auth\.oauth\.extra: unknown key/);
  assert.match(refusedProvider('opencode:\n  display_name: X\n  colour: red\n', 'blablador'), /blablador\.yaml:3:3: opencode\.colour: unknown key/);
});

test('bad enum values are rejected: kind, auth mode, credential type, help section, log format', () => {
  assert.match(refusedAgent('kind: fancy\n'), /claude\.yaml:1:7: kind: text "fancy" is not allowed here — use one of: native, harness, frontend, tool, infra/);
  assert.match(refusedAgent('auth:\n  modes: [oauth, password]\n'), /claude\.yaml:2:18: auth\.modes\[1\]: text "password" is not allowed here — use one of: oauth, api_key/);
  assert.match(refusedAgent('provider:\n  credential_type: bearer\n'), /provider\.credential_type: text "bearer" is not allowed here — use one of: api_key, oauth, oauth_token, pat/);
  assert.match(refusedAgent('help:\n  section: tools\n'), /help\.section: text "tools" is not allowed here — use one of: agent, dev_tool/);
  assert.match(refusedAgent('capabilities:\n  log_format: json\n'), /capabilities\.log_format: text "json" is not allowed/);
  assert.match(refusedAgent('provider:\n  token_env:\n    bearer: X\n'), /claude\.yaml:3:5: provider\.token_env\.bearer: 'bearer' is not a credential type/);
});

test('bad host_dir values are rejected: absolute, "..", more than one segment', () => {
  for (const bad of ['/etc/claude', '..', '../up', 'a/b']) {
    assert.match(refusedAgent(`auth:\n  host_dir: ${bad}\n`), /claude\.yaml:2:13: auth\.host_dir: '.*' must be a single directory name under the mounts dir/, bad);
  }
  assert.match(refusedAgent('mounts:\n  - host_dir: a/b\n    container_path: /x\n', 'newagent'), /mounts\[0\]\.host_dir: 'a\/b' must be a single directory name/);
});

test('wrong value types name what was found and how to fix it', () => {
  assert.match(refusedAgent('web_ingress: "yes"\n'), /web_ingress: expected true or false, found text "yes" — write true or false, without quotes/);
  assert.match(refusedAgent('label: 42\n'), /label: expected text, found the number 42 — put it in quotes to make it text/);
  assert.match(refusedAgent('auth: [a, b]\n'), /auth: expected a mapping \(key: value lines\), found a list/);
  assert.match(refusedAgent('auth:\n  host_dir: ~\n  container_mount: /x\n'), /claude\.yaml:2:3: auth\.host_dir: 'host_dir' needs a value/);
  assert.match(refusedAgent('auth:\n  container_mount: /x\n', 'newtool'), /newtool\.yaml:2:3: auth: missing required key 'host_dir'/);
});

test('depends_on accepts a string or a list, nothing else', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeAgent('one', 'install:\n  depends_on: caddy\n');
  host.writeAgent('two', 'install:\n  depends_on: [caddy, opencode]\n');
  const roster = host.load();
  assert.deepEqual(roster.installs.get('one')?.depends_on, ['caddy']);
  assert.deepEqual(roster.installs.get('two')?.depends_on, ['caddy', 'opencode']);
  assert.match(refusedAgent('install:\n  depends_on: {a: 1}\n'), /install\.depends_on: expected a list, found a mapping/);
});

test('a YAML syntax error names file, line and column', () => {
  const message = refusedAgent('label: [unclosed\n');
  assert.match(message, new RegExp(`^Agent 'claude': ${AGENTS}/claude\\.yaml is not valid YAML\\n  ${AGENTS}/claude\\.yaml:2:1: `));
  assert.match(refusedAgent('auth:\n\thost_dir: x\n'), /claude\.yaml:2:1: .*indent with spaces, not tabs/);
});

test('duplicate keys are rejected at the second occurrence', () => {
  assert.match(refusedAgent('label: a\nbinary: b\nlabel: c\n'), /claude\.yaml:3:1: Map keys must be unique — the same key appears twice in one mapping; keep only one/);
});

test('a file holding a list or a single value is rejected', () => {
  assert.match(refusedAgent('- label: x\n'), /claude\.yaml:1:1: the file must hold a mapping of settings \(key: value lines\), but it holds a list/);
  assert.match(refusedProvider('https://example.com\n'), /anthropic\.yaml:1:1: the file must hold a mapping of settings \(key: value lines\), but it holds a single value/);
});

test('a file with two YAML documents is rejected', () => {
  assert.match(refusedAgent('label: a\n---\nlabel: b\n'), /more than one YAML document/);
});

test('a provider bound by two agents is rejected, naming both agents and files', () => {
  const message = refusedAgent('auth:\n  host_dir: _mine\n  container_mount: /home/dev/.mine\nprovider:\n  default: anthropic\n', 'myclaude');
  assert.match(message, /^Provider 'anthropic' is bound by 2 agents: claude, myclaude$/m);
  assert.match(message, /bundled\/agents\/claude\.yaml:\d+:\d+: provider\.default: a provider can serve only one agent/);
  assert.ok(message.includes(`${AGENTS}/myclaude.yaml:5:12: provider.default: a provider can serve only one agent — remove the binding from all but one of claude, myclaude`));
});

test('a binding to an unknown or harness-driven provider is rejected; so is an agent named like a harness provider', () => {
  assert.match(refusedAgent('provider:\n  default: nowhere\n', 'newagent'), /newagent\.yaml:2:12: provider\.default: provider 'nowhere' is not in the provider roster .* add providers\/nowhere\.yaml/);
  assert.match(refusedAgent('provider:\n  default: kisski\n', 'newagent'), /provider 'kisski' is harness-driven/);
  assert.match(refusedAgent('kind: tool\n', 'openrouter'), /the name 'openrouter' is already used by the harness-driven provider/);
});

test('provider rules: URL upstream, at least one auth mode, path prefixes, header names, wire-auth conflict', () => {
  assert.match(refusedProvider('upstream: ftp://x\n', 'newp'), /newp\.yaml:1:11: upstream: 'ftp:\/\/x' is not an http\(s\) URL/);
  assert.match(refusedProvider('upstream: https://x.example\nauth: {}\n', 'newp'), /auth: declare at least one of api_key or oauth/);
  assert.match(refusedProvider('path_upstreams:\n  backend/: https://x.example\n', 'openai'), /openai\.yaml:2:3: path_upstreams\.backend\/: path prefix 'backend\/' must start with '\/'/);
  assert.match(refusedProvider('auth:\n  api_key:\n    header: "x api key"\n', 'mistral'), /auth\.api_key\.header: 'x api key' is not a valid HTTP header name/);
  const conflict = refusedProvider('auth:\n  api_key:\n    header: Authorization\n    prefix: "Key "\n');
  assert.match(conflict, /^Provider 'anthropic': invalid provider YAML\n {2}.*anthropic\.yaml:1:1: auth: oauth and api_key both use the header 'Authorization' but differ in prefix or extra_headers/);
});

test('every problem in a file is reported at once, grouped by entry', () => {
  const host = createRosterHost();
  try {
    host.writeAgent('claude', 'kind: fancy\nlable: x\n');
    host.writeAgent('codex', 'web_ingress: 1\n');
    const message = refusal(host);
    assert.equal(message.split('\n').filter((l) => l.startsWith('Agent ')).length, 2);
    assert.match(message, /kind: text "fancy"/);
    assert.match(message, /lable: unknown key/);
    assert.match(message, /codex\.yaml:1:14: web_ingress: expected true or false/);
  } finally {
    host.cleanup();
  }
});

test('odd file names are rejected with a rename hint', () => {
  for (const name of ['Claude.yaml', 'my agent.yaml', '.hidden.yaml', 'ünï.yaml', `${'a'.repeat(65)}.yaml`]) {
    const host = createRosterHost();
    try {
      host.writeAgent(name, 'label: x\n');
      const message = refusal(host);
      assert.ok(message.startsWith(`Roster file name not usable: ${JSON.stringify(name)}\n`), message);
      assert.match(message, /may contain only lower-case letters, digits, '-' and '_' .* rename or remove the file$/);
    } finally {
      host.cleanup();
    }
  }
});

test('a symlink loop, a dangling symlink and a directory named *.yaml are rejected', () => {
  const host = createRosterHost();
  try {
    mkdirSync(host.paths.userAgentsDir, { recursive: true });
    const loop = path.join(host.paths.userAgentsDir, 'loop.yaml');
    symlinkSync(loop, loop);
    assert.match(refusal(host), /loop\.yaml: it cannot be read: too many symbolic links \(a loop\?\) — fix or remove the link/);
  } finally {
    host.cleanup();
  }
  const dangling = createRosterHost();
  try {
    mkdirSync(dangling.paths.userAgentsDir, { recursive: true });
    symlinkSync('/nonexistent/target.yaml', path.join(dangling.paths.userAgentsDir, 'gone.yaml'));
    assert.match(refusal(dangling), /^Agent 'gone': user file .*gone\.yaml is not usable\n {2}.*gone\.yaml: it is a symbolic link to a file that does not exist — fix or remove the link$/);
  } finally {
    dangling.cleanup();
  }
  const dir = createRosterHost();
  try {
    mkdirSync(path.join(dir.paths.userProvidersDir, 'folder.yaml'), { recursive: true });
    assert.match(refusal(dir), /folder\.yaml: it is a directory, not a regular file — move the directory away/);
  } finally {
    dir.cleanup();
  }
});

test('a FIFO named <agent>.yaml is refused at once (it used to block every command), naming the file', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  mkdirSync(host.paths.userAgentsDir, { recursive: true });
  const fifo = path.join(host.paths.userAgentsDir, 'claude.yaml');
  assert.equal(spawnSync('mkfifo', [fifo], { timeout: 5000 }).status, 0);
  const started = Date.now();
  const message = refusal(host);
  assert.ok(Date.now() - started < 5000);
  assert.equal(message, `Agent 'claude': user file ${AGENTS}/claude.yaml is not usable\n  ${AGENTS}/claude.yaml: it is a FIFO (named pipe), not a regular file — replace it with a file or remove it`);
});

test('a symlink to /dev/zero is refused as a device, never read (it used to grow memory without bound)', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  mkdirSync(host.paths.userProvidersDir, { recursive: true });
  symlinkSync('/dev/zero', path.join(host.paths.userProvidersDir, 'anthropic.yaml'));
  assert.match(refusal(host), /anthropic\.yaml: it is a character device, not a regular file — replace it with a file or remove it$/);
});

test('a file over 1 MiB is refused by the bytes read, not the size stat reports', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeAgent('claude', `label: x\n${'#'.repeat(1024 * 1024)}\n`);
  assert.match(refusal(host), /claude\.yaml: it is larger than 1 MiB — a roster file is a few lines of YAML; check that it is the right file$/);
});

test('a symlink into a dotfile repo is followed; a leading BOM does not shift columns', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  const real = host.write('dotfiles/claude.yaml', '\uFEFFlabel: Mine\n');
  mkdirSync(host.paths.userAgentsDir, { recursive: true });
  symlinkSync(real, path.join(host.paths.userAgentsDir, 'claude.yaml'));
  assert.equal(host.load().agents.get('claude')?.label, 'Mine');
  host.write(real, '\uFEFFkind: fancy\n');
  assert.match(refusal(host), /claude\.yaml:1:7: kind: text "fancy" is not allowed here/);
});

test('a symlinked user directory that loops is rejected', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  const agentDir = host.paths.userAgentsDir;
  mkdirSync(path.dirname(agentDir), { recursive: true });
  symlinkSync(agentDir, agentDir);
  assert.match(refusal(host), /^Cannot read the user agent directory\n {2}.*agents: too many symbolic links/);
});

test('a user agents path that is a file is rejected', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.write(host.paths.userAgentsDir, 'oops');
  assert.match(refusal(host), /a path component is a file, not a directory, while listing the agents directory/);
});

test('a file that is not UTF-8 text is rejected', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  mkdirSync(host.paths.userAgentsDir, { recursive: true });
  writeFileSync(path.join(host.paths.userAgentsDir, 'claude.yaml'), Buffer.from([0x6c, 0x61, 0x62, 0x65, 0x6c, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
  assert.match(refusal(host), /claude\.yaml: it is not UTF-8 text — save it as UTF-8/);
});

const LOAD_AND_REPORT = `
  import { loadRoster, rosterDirsOf } from ${projectModule('main/core/roster/load.ts')};
  import { resolvePaths } from ${projectModule('main/core/host/paths.ts')};
  import { hostContextFromProcess } from ${projectModule('main/core/host/context.ts')};
  try { loadRoster(rosterDirsOf(resolvePaths(hostContextFromProcess({ isRealRoot: false })))); console.log('LOADED'); }
  catch (err) { console.log(err.message); }
`;

test('an unreadable user file is rejected with a permissions hint', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeAgent('claude', 'label: secret\n', 0o000);
  const { stdout } = runUnprivileged(host, LOAD_AND_REPORT);
  assert.match(stdout, /^Agent 'claude': user file .*claude\.yaml is not usable\n {2}.*claude\.yaml: it cannot be read: permission denied — check its owner and permissions \(ls -l\), or remove it/);
});

test('an unreadable user directory is rejected with a permissions hint', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeProvider('openai', 'shared_domain: false\n');
  chmodSync(host.paths.userProvidersDir, 0o000);
  const { stdout } = runUnprivileged(host, LOAD_AND_REPORT);
  assert.match(stdout, /^Cannot read the user provider directory\n {2}.*providers: permission denied while listing the providers directory/);
});

test('every bundled file validates on its own', () => {
  assert.doesNotThrow(() => loadRoster({}));
});
