/** `terok-setup check|run` over the real engine on a sandboxed host. */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { main } from '../../../main/cli/index.ts';
import { Engine } from '../../../main/core/engine.ts';
import { registerSetupModules } from '../../../main/core/modules.ts';
import { l1AliasTag } from '../../../main/core/images/tags.ts';
import { recordingStreams } from '../../support/cli-streams.ts';
import { createSandboxHost, installFakePodman, type SandboxHost } from '../../support/host.ts';
import { createVaultFixture, installShieldHooksFixture, writeStampFixture } from '../../support/fixtures.ts';

let host: SandboxHost;
afterEach(() => host?.cleanup());

const streams = recordingStreams;

function engineFor(h: SandboxHost): Engine {
  const e = new Engine(h.ctx);
  registerSetupModules(e);
  return e;
}

function readyHost(): SandboxHost {
  host = createSandboxHost({ inheritPath: false });
  installFakePodman(host).addImage(l1AliasTag('ubuntu:24.04'));
  host.writeBin('git', '#!/bin/sh\nexit 0\n');
  installShieldHooksFixture(host);
  writeStampFixture(host);
  createVaultFixture(host, { credentials: [{ set: 'default', provider: 'anthropic', data: { type: 'api_key', key: 'x' } }], sshKeyScope: 'standalone' });
  return host;
}

test('check on a ready host: exit 0, step lines, the verdict', async () => {
  readyHost();
  const s = streams();
  assert.equal(await main(['check'], s.io, engineFor(host)), 0);
  assert.match(s.out(), /^\n  podman                 ok \(ok\)\n/);
  assert.match(s.out(), /Ready: terok can start an agent\.\nTry:  terok-executor run claude \. --base ubuntu:24\.04\n$/);
});

test('check on a host without shield hooks: exit 3 and the fix hint on stderr', async () => {
  readyHost();
  const { rmSync } = await import('node:fs');
  rmSync(`${host.home}/.config/containers/containers.conf`);
  const s = streams();
  assert.equal(await main(['check'], s.io, engineFor(host)), 3);
  assert.match(s.out(), /  sandbox services       FAIL \(missing: shield hooks\)/);
  assert.match(s.err(), /Run: terok-executor setup/);
});

test('check --json prints the full report with the same verdict', async () => {
  readyHost();
  const s = streams();
  assert.equal(await main(['check', '--json', '--provider', 'codex'], s.io, engineFor(host)), 0);
  const report = JSON.parse(s.out());
  assert.equal(report.verdict.ready, true);
  assert.equal(report.settings.provider, 'codex');
  assert.deepEqual(report.steps.map((x: { id: string }) => x.id), ['podman', 'git', 'sandbox', 'vault', 'images', 'ssh', 'credentials']);
  assert.equal(report.steps.find((x: { id: string }) => x.id === 'credentials').result.message, 'not found');
});

test('unknown agent, bad family, bad image reference and unknown options are usage errors (exit 2) with a pointer to --help', async () => {
  readyHost();
  for (const args of [['check', '--provider', 'nope'], ['check', '--family', 'apk'], ['check', '--base', 'a b'], ['check', '--frobnicate'], ['frobnicate']]) {
    const s = streams();
    assert.equal(await main(args, s.io, engineFor(host)), 2, args.join(' '));
    assert.match(s.err(), /^terok-setup: .+\nTry 'terok-setup (check )?--help'\.\n$/);
  }
  const s = streams();
  await main(['check', '--provider', 'nope'], s.io, engineFor(host));
  assert.match(s.err(), /Unknown agent 'nope'\. Available: .*claude/);
});

test('podman missing: check exits 3 with the install hint and no stack trace', async () => {
  host = createSandboxHost({ inheritPath: false });
  const s = streams();
  assert.equal(await main(['check'], s.io, engineFor(host)), 3);
  assert.match(s.out(), /podman                 FAIL \(not found on PATH\)/);
  assert.match(s.err(), /Install podman first: https:\/\/podman\.io\/docs\/installation/);
  assert.doesNotMatch(s.out() + s.err(), /\n\s+at /);
});

test('run without a TTY and without --yes refuses without running the gate', async () => {
  readyHost();
  const s = streams({ tty: false });
  assert.equal(await main(['run'], s.io, engineFor(host)), 3);
  assert.match(s.err(), /prerequisites unchecked \(stdin is not a tty\)/);
  assert.equal(s.out(), '');
});

test('run --non-interactive reports and fixes nothing; run on a TTY asks [Y/n]', async () => {
  readyHost();
  const a = streams();
  assert.equal(await main(['run', '--non-interactive'], a.io, engineFor(host)), 0);
  const { rmSync } = await import('node:fs');
  rmSync(`${host.home}/.config/containers/containers.conf`);
  const b = streams({ tty: true, answers: ['n'] });
  const code = await main(['run'], b.io, engineFor(host));
  assert.equal(code, 3);
  assert.match(b.out(), /  sandbox services\.\.\. missing: shield hooks\n  Install shield hooks now\? \[Y\/n\] /);
});

test('--help for the program and every command; --version', async () => {
  readyHost();
  const s = streams();
  assert.equal(await main(['--help'], s.io, engineFor(host)), 0);
  assert.match(s.out(), /Commands:\n  check/);
  for (const c of ['check', 'run']) {
    const h = streams();
    assert.equal(await main([c, '--help'], h.io, engineFor(host)), 0);
    assert.match(h.out(), new RegExp(`^Usage: terok-setup ${c}`));
  }
  const v = streams();
  assert.equal(await main(['--version'], v.io, engineFor(host)), 0);
  assert.match(v.out(), /^terok-setup \d+\.\d+\.\d+\n$/);
});

test('hooks installed but no setup stamp: check says terok would refuse to run (exit 3) and names the fix', async () => {
  readyHost();
  const { rmSync } = await import('node:fs');
  rmSync(`${host.home}/.local/share/terok/setup.stamp`);
  const s = streams();
  assert.equal(await main(['check'], s.io, engineFor(host)), 3);
  assert.match(s.err(), /no setup stamp found/);
  assert.match(s.err(), /Fix: {4}terok-setup install/);
});

test('a stamp from a newer terok: check exits 4 naming the downgrade and the stamp to remove', async () => {
  readyHost();
  writeStampFixture(host, { 'terok-sandbox': '0.5.0' });
  const s = streams();
  assert.equal(await main(['check'], s.io, engineFor(host)), 4);
  assert.match(s.err(), /downgrade detected \(terok-sandbox \(uninstalled\)\)/);
  assert.match(s.err(), /rm .*setup\.stamp/);
});

test('a downgrade outranks other problems: exit 4 in text and JSON modes', async () => {
  readyHost();
  writeStampFixture(host, { 'terok-sandbox': '0.5.0' });
  const { rmSync } = await import('node:fs');
  rmSync(`${host.home}/.config/containers/containers.conf`);
  const text = streams();
  assert.equal(await main(['check'], text.io, engineFor(host)), 4);
  const json = streams();
  assert.equal(await main(['check', '--json'], json.io, engineFor(host)), 4);
  assert.equal(JSON.parse(json.out()).setup.verdict, 'stale_after_downgrade');
});
