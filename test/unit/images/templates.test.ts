import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBuildContext, resolveAgents } from '../../../main/core/images/build.ts';
import { ImageBuildError } from '../../../main/core/images/errors.ts';
import { imageRosterOf } from '../../../main/core/images/roster-source.ts';
import { countBuildSteps } from '../../../main/core/images/progress.ts';
import { DEFAULT_TEMPLATES, renderL0, renderSidecar } from '../../../main/core/images/templates/index.ts';
import { bundledRoster } from '../../../main/core/roster/current.ts';
import { parseSelection, resolveSelection } from '../../../main/core/roster/selection.ts';

const roster = imageRosterOf(bundledRoster(), (r, sel) => resolveSelection(r, parseSelection(sel)));
const render = (family: 'deb' | 'rpm', selection: string, base = family === 'deb' ? 'ubuntu:24.04' : 'fedora:44') =>
  renderBuildContext(roster, DEFAULT_TEMPLATES, base, family, resolveAgents(roster, selection));

for (const family of ['deb', 'rpm'] as const) {
  test(`L0 (${family}): header, base arg, dev user, sshd, init script, tmux`, () => {
    const l0 = renderL0({ baseImage: 'my/base:1', family });
    assert.ok(l0.startsWith('# syntax=docker'));
    assert.match(l0, /^ARG BASE_IMAGE=my\/base:1$/m);
    assert.match(l0, /^FROM \$\{BASE_IMAGE\}$/m);
    assert.match(l0, /useradd --create-home --uid 1000/);
    assert.match(l0, /visudo -cf \/etc\/sudoers\.d\/dev/);
    assert.match(l0, /openssh-server/);
    assert.match(l0, /ssh-keygen -A/);
    assert.match(l0, /COPY config\/sshd-00-terok\.conf \/etc\/ssh\/sshd_config\.d\/00-terok\.conf/);
    assert.match(l0, /: > \/etc\/ssh\/authorized_keys\.d\/terok/);
    assert.match(l0, /COPY scripts\/init-ssh-and-repo\.sh scripts\/ssh-agent-bridge\.sh scripts\/ensure-bridges\.sh \/usr\/local\/bin\//);
    assert.match(l0, /COPY tmux\/tmux\.conf \/etc\/tmux\.conf/);
    assert.match(l0, /^WORKDIR \/workspace$/m);
    assert.match(l0, /^USER dev$/m);
    assert.match(l0, /^CMD \["init-ssh-and-repo\.sh"\]$/m);
    assert.doesNotMatch(l0, /systemctl|systemd/);
    assert.match(l0, /REPO_ROOT=\/workspace/);
  });
}

test('L0 deb: apt with no recommends, locale, DEBIAN_FRONTEND; no PAM override', () => {
  const l0 = renderL0({ baseImage: 'ubuntu:24.04', family: 'deb' });
  assert.match(l0, /apt-get install -y --no-install-recommends ca-certificates curl gnupg git locales openssh-client openssh-server socat sudo ripgrep vim tmux tzdata/);
  assert.match(l0, /locale-gen en_US\.UTF-8/);
  assert.match(l0, /DEBIAN_FRONTEND=noninteractive/);
  assert.doesNotMatch(l0, /pam/i);
  assert.doesNotMatch(l0, /dnf/);
});

test('L0 rpm: dnf without weak deps, PAM override guarded by the shadow-mode test', () => {
  const l0 = renderL0({ baseImage: 'fedora:44', family: 'rpm' });
  assert.match(l0, /dnf install -y --setopt=install_weak_deps=False ca-certificates curl gnupg2 git glibc-langpack-en openssh-clients openssh-server socat sudo ripgrep vim tmux tzdata/);
  assert.match(l0, /if \[ "\$\(stat -c '%a' \/etc\/shadow\)" = "0" \]; then cp \/tmp\/terok-pam-sudo \/etc\/pam\.d\/sudo/);
  assert.doesNotMatch(l0, /DEBIAN_FRONTEND|apt-get/);
});

test('staged helper files: sshd drop-in is hardened, PAM stack only for rpm, scripts executable', () => {
  const deb = DEFAULT_TEMPLATES.contextFiles('deb');
  const rpm = DEFAULT_TEMPLATES.contextFiles('rpm');
  const sshd = deb.find((f) => f.path === 'config/sshd-00-terok.conf')!.content;
  for (const line of ['PasswordAuthentication no', 'AllowUsers dev', 'AuthorizedKeysFile /etc/ssh/authorized_keys.d/terok', 'AllowTcpForwarding no', 'X11Forwarding no', 'PermitRootLogin no']) {
    assert.ok(sshd.includes(line), line);
  }
  assert.equal(deb.some((f) => f.path === 'config/pam-sudo-dev'), false);
  assert.match(rpm.find((f) => f.path === 'config/pam-sudo-dev')!.content, /pam_succeed_if\.so user = dev/);
  const init = deb.find((f) => f.path === 'scripts/init-ssh-and-repo.sh')!;
  assert.equal(init.mode, 0o755);
  assert.match(init.content, /-s "\$keys"/, 'sshd starts only when the key placeholder is non-empty');
});

test('L1 for claude,codex: installs, cache bust before them, installed.env and label', () => {
  const { l1Dockerfile: l1 } = render('deb', 'claude,codex');
  assert.ok(l1.startsWith('# syntax=docker'));
  assert.match(l1, /^FROM \$\{BASE_IMAGE\}$/m);
  assert.match(l1, /^ARG BASE_IMAGE=terok-l0:ubuntu-24\.04$/m);
  assert.match(l1, /# --- claude \(as dev\) ---/);
  assert.match(l1, /# --- codex \(as root\) ---/);
  assert.match(l1, /LABEL ai\.terok\.agents="claude,codex"/);
  assert.match(l1, /TEROK_INSTALLED_AGENTS=%s\\n' 'claude,codex' > \/etc\/terok\/installed\.env/);
  assert.doesNotMatch(l1, /# --- vibe/);
  const bust = l1.indexOf('ARG AGENT_CACHE_BUST=');
  assert.ok(bust > 0);
  assert.ok(l1.indexOf('nodesource') < bust, 'prelude stays above the cache bust (cached on rebuild)');
  assert.ok(l1.indexOf('# --- claude') > bust && l1.indexOf('# --- codex') > bust, 'agent installs re-run on rebuild');
  assert.ok(l1.indexOf('npm config set prefix') > l1.indexOf('# --- codex'), 'root installs first, then npm prefix as dev');
  assert.ok(l1.indexOf('USER dev') < l1.indexOf('# --- claude'), 'dev fragments run as dev');
  assert.doesNotMatch(l1, /^CMD/m);
});

test('L1 copies the readiness files and uses the family\'s bashrc', () => {
  const deb = render('deb', 'claude').l1Dockerfile;
  const rpm = render('rpm', 'claude').l1Dockerfile;
  for (const l1 of [deb, rpm]) {
    assert.match(l1, /COPY agent-protocols\.json \/usr\/local\/share\/terok\/agent-protocols\.json/);
    assert.match(l1, /COPY provider-protocols\.json \/usr\/local\/share\/terok\/provider-protocols\.json/);
    assert.match(l1, /COPY help\.d\/ \/usr\/local\/share\/terok\/help\.d\//);
    assert.match(l1, /PIPX_HOME=\/opt\/pipx/);
    assert.match(l1, /yq_linux_/);
  }
  assert.match(deb, />> \/etc\/bash\.bashrc/);
  assert.match(deb, /python-is-python3/);
  assert.match(rpm, />> \/etc\/bashrc/);
  assert.doesNotMatch(rpm, /apt-get/);
});

test('install fragments are rendered for the family (gh: apt vs dnf)', () => {
  assert.match(render('deb', 'gh').l1Dockerfile, /apt-get update && apt-get install -y gh/);
  assert.match(render('rpm', 'gh').l1Dockerfile, /dnf install -y gh/);
  assert.doesNotMatch(render('rpm', 'gh').l1Dockerfile, /{%|%}|{{/);
});

test('depends_on pulls in dependencies (blablador → opencode)', () => {
  const agents = resolveAgents(roster, 'blablador');
  assert.deepEqual(agents, ['blablador', 'opencode']);
  assert.match(render('deb', 'blablador').l1Dockerfile, /LABEL ai\.terok\.agents="blablador,opencode"/);
});

test('all resolves to every entry with an install block, sorted', () => {
  assert.deepEqual(resolveAgents(roster, 'all'), ['blablador', 'caddy', 'claude', 'codex', 'copilot', 'gh', 'glab', 'kisski', 'opencode', 'openrouter', 'pi', 'sonar', 'toad', 'vibe']);
  assert.deepEqual(resolveAgents(roster, ''), resolveAgents(roster, 'all'));
  assert.ok(!resolveAgents(roster, 'all,-vibe').includes('vibe'));
});

test('an unknown agent is a clear selection error', () => {
  assert.throws(() => resolveAgents(roster, 'claude,nosuch'), (err: unknown) =>
    err instanceof ImageBuildError && err.code === 'unknown-agents' && /^Unknown roster entries: nosuch\. Available: /.test(err.message));
});

test('a bare string where a list is expected is a type error in the roster grammar', () => {
  assert.throws(() => resolveSelection(bundledRoster(), 'claude' as never), TypeError);
});

test('context: Dockerfiles, init script, JSON maps and the dev-tools help page', () => {
  const { files } = render('deb', 'claude,gh');
  const byPath = new Map(files.map((f) => [f.path, f.content]));
  for (const p of ['L0.Dockerfile', 'L1.cli.Dockerfile', 'scripts/init-ssh-and-repo.sh', 'tmux/tmux.conf', 'agent-protocols.json', 'provider-protocols.json', 'help.d/dev-tools.txt']) {
    assert.ok(byPath.has(p), p);
  }
  const protocols = JSON.parse(byPath.get('agent-protocols.json')!);
  assert.deepEqual(Object.keys(protocols), ['claude'], 'dev tools are not agents');
  assert.equal(protocols.claude.protocol, 'anthropic-messages');
  assert.match(byPath.get('help.d/dev-tools.txt')!, /gh/);
  const providers = JSON.parse(byPath.get('provider-protocols.json')!) as Record<string, string[]>;
  for (const list of Object.values(providers)) assert.deepEqual(list, [...list].sort());
});

test('step count estimate matches podman numbering (ARG before FROM is not a step)', () => {
  assert.equal(countBuildSteps('ARG A=1\nFROM x\n# c\nRUN a \\\n  b\nLABEL y=z\n'), 3);
  assert.equal(countBuildSteps(renderL0({ baseImage: 'ubuntu:24.04', family: 'deb' })), 13);
});

test('sidecar: tool cache bust, CodeRabbit only when selected', () => {
  const cr = renderSidecar({ baseImage: 'terok-l0:ubuntu-24.04', family: 'deb', toolName: 'coderabbit' });
  assert.match(cr, /^ARG TOOL_CACHE_BUST=0$/m);
  assert.match(cr, /coderabbit/i);
  assert.match(cr, /^FROM \$\{BASE_IMAGE\}$/m);
  const other = renderSidecar({ baseImage: 'terok-l0:fedora-44', family: 'rpm', toolName: 'other' });
  assert.match(other, /^ARG TOOL_CACHE_BUST=0$/m);
  assert.doesNotMatch(other, /cli\.coderabbit\.ai/);
  assert.match(other, /dnf install/);
});
