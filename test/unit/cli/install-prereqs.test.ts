/**
 * `terok-setup install-prereqs`: what is missing, asked before anything is
 * installed, and the command to run as root where nothing can install from
 * here. The real install routes are tested in test/unit/packages and
 * test/integration/packages (a real PackageKit).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { main } from '../../../main/cli/index.ts';
import { missingPrerequisites } from '../../../main/cli/commands/install-prereqs.ts';
import { Engine } from '../../../main/core/engine.ts';
import { installCommand } from '../../../main/core/host/distro.ts';
import { registerSetupModules } from '../../../main/core/modules.ts';
import { recordingStreams } from '../../support/cli-streams.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';

let host: SandboxHost;
afterEach(() => host?.cleanup());

const streams = recordingStreams;

/** A host with nothing on PATH and no system bus to reach (so no PackageKit), no desktop session. */
function bareHost(): { engine: Engine; missing: string[]; command: string } {
  host = createSandboxHost({ inheritPath: false, env: { DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${path.join('/nonexistent', 'bus')}` } });
  const engine = new Engine(host.ctx);
  registerSetupModules(engine);
  const missing = missingPrerequisites(engine);
  return { engine, missing, command: installCommand('debian', missing)! };
}

test('the missing tools: those on PATH only are missing on a bare PATH, and pipx while terok is not installed', () => {
  const { missing } = bareHost();
  for (const tool of ['podman', 'git', 'ssh-keygen', 'dig', 'pipx']) assert.ok(missing.includes(tool as never), `${tool} is missing`);
  host.writeBin('terok-executor', '#!/usr/bin/python3\n');
  const engine = new Engine(host.ctx);
  assert.ok(!missingPrerequisites(engine).includes('pipx'), 'pipx is not asked for once terok is installed');
});

test('not a terminal and no --yes: nothing is installed, the root command is printed, exit 5', async () => {
  const { engine, missing, command } = bareHost();
  const s = streams();
  assert.equal(await main(['install-prereqs'], s.io, engine), 5);
  assert.match(s.out(), new RegExp(`^Missing on this computer \\(.*\\): ${missing.join(', ')}\\n$`));
  assert.equal(s.err(), `terok-setup: not a terminal, so not asking; re-run with --yes, or run as root:\n  ${command}\n`);
});

test('on a terminal the user is asked first; "n" installs nothing', async () => {
  const { engine, command } = bareHost();
  const s = streams({ tty: true, answers: ['n'] });
  assert.equal(await main(['install-prereqs'], s.io, engine), 5);
  assert.match(s.out(), new RegExp(`Install them now \\(${command.replace(/^sudo /, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)\\? \\[Y/n\\] Nothing installed\\. To install them yourself, run as root:\\n  ${command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
});

test('--yes where neither PackageKit nor pkexec can install: the reason and the command to run as root, exit 5', async () => {
  const { engine, command } = bareHost();
  const s = streams();
  assert.equal(await main(['install-prereqs', '--yes'], s.io, engine), 5);
  assert.match(s.out(), /Software service +MISSING \(PackageKit is not available on this system\)/);
  assert.equal(s.err(), `terok-setup: This system has neither PackageKit nor pkexec, so the packages cannot be installed from here.\nRun as root:\n  ${command}\n`);
});

test('a bad option is a usage error', async () => {
  const { engine } = bareHost();
  const s = streams();
  assert.equal(await main(['install-prereqs', '--yse'], s.io, engine), 2);
});
