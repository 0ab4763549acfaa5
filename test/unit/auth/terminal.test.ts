/**
 * The wizard's OAuth path: finding a terminal emulator on PATH, the CLI
 * invocation it runs, and the `credentials.oauth-terminal` task step with a
 * fake terminal that records the words it was started with.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { OAUTH_TERMINAL_STEP, startLoginTerminal } from '../../../main/core/auth/module.ts';
import { PtySessions } from '../../../main/core/auth/pty-session.ts';
import { cliInvocation, currentRuntime, findTerminal, oauthCliCommand, oauthManualCommand } from '../../../main/core/auth/terminal.ts';
import { runCommand } from '../../../main/core/host/process.ts';
import { createAuthHarness, type AuthHarness } from '../../support/auth-harness.ts';
import { createSandboxHost } from '../../support/host.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..', '..');

/** Harness whose PATH is only its own bin dir (this machine has real terminals). */
function isolatedHarness(): AuthHarness {
  const h = createAuthHarness();
  (h.host.ctx.env as Record<string, string>).PATH = h.host.bin;
  return h;
}

async function waitForFile(file: string): Promise<string> {
  const started = Date.now();
  while (!existsSync(file) || !readFileSync(file, 'utf8').endsWith('END\n')) {
    assert.ok(Date.now() - started < 10_000, `${file} was not written`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return readFileSync(file, 'utf8');
}

test('findTerminal: first known terminal on PATH in preference order, executables only', () => {
  const host = createSandboxHost({ inheritPath: false });
  try {
    assert.equal(findTerminal(host.ctx), null);
    host.write(path.join('bin', 'gnome-terminal'), '#!/bin/sh\n', 0o644); // not executable: skipped
    host.writeBin('xterm', '#!/bin/sh\n');
    host.writeBin('konsole', '#!/bin/sh\n');
    assert.deepEqual(findTerminal(host.ctx), { name: 'konsole', path: path.join(host.bin, 'konsole'), flag: ['-e'] });
    host.writeBin('gnome-terminal', '#!/bin/sh\n');
    assert.deepEqual(findTerminal(host.ctx)?.flag, ['--']);
    host.writeBin('x-terminal-emulator', '#!/bin/sh\n');
    assert.equal(findTerminal(host.ctx)?.name, 'x-terminal-emulator');
  } finally {
    host.cleanup();
  }
});

test('cliInvocation: source entry under Node, bundled cli.js without sources, the packaged launcher or CLI mode under Electron', () => {
  assert.deepEqual(cliInvocation({ execPath: '/opt/node/bin/node', electron: false, packaged: false, appRoot: REPO }), ['/opt/node/bin/node', path.join(REPO, 'main', 'cli', 'index.ts')]);
  const bare = mkdtempSync(path.join(os.tmpdir(), 'terok-app-'));
  try {
    assert.deepEqual(cliInvocation({ execPath: '/usr/bin/node', electron: false, packaged: false, appRoot: bare }), ['/usr/bin/node', path.join(bare, 'out', 'main', 'cli.js')]);
    // Packaged: the app binary, with or without the terok-setup launcher beside it.
    const app = path.join(bare, 'Terok Setup', 'terok-setup-app');
    const rt = { execPath: app, electron: true, packaged: true, appRoot: path.join(bare, 'Terok Setup', 'resources', 'app.asar'), systemLauncher: path.join(bare, 'usr-bin', 'terok-setup') };
    assert.deepEqual(cliInvocation(rt), [app, '--ozone-platform=headless', '--disable-gpu', '--no-sandbox', '--password-store=basic', '--terok-cli', '--']);
    mkdirSync(path.dirname(app), { recursive: true });
    writeFileSync(path.join(path.dirname(app), 'terok-setup'), '#!/bin/sh\n', { mode: 0o755 });
    assert.deepEqual(cliInvocation(rt), [path.join(bare, 'Terok Setup', 'terok-setup')]);
    // Installed from deb/rpm: the command on PATH, whose path has no spaces, wins.
    mkdirSync(path.join(bare, 'usr-bin'));
    writeFileSync(path.join(bare, 'usr-bin', 'terok-setup'), '#!/bin/sh\n', { mode: 0o755 });
    assert.deepEqual(cliInvocation(rt), [path.join(bare, 'usr-bin', 'terok-setup')]);
    // Development Electron: the app directory comes first.
    assert.deepEqual(
      cliInvocation({ execPath: '/repo/node_modules/electron/dist/electron', electron: true, packaged: false, appRoot: REPO }),
      ['/repo/node_modules/electron/dist/electron', REPO, '--ozone-platform=headless', '--disable-gpu', '--no-sandbox', '--password-store=basic', '--terok-cli', '--'],
    );
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
  assert.deepEqual(currentRuntime(), { execPath: process.execPath, electron: false, packaged: false, appRoot: REPO });
});

test('cliInvocation of this checkout really starts the CLI', async () => {
  const [file, ...args] = cliInvocation();
  const { stdout } = await runCommand(file!, [...args, '--version'], { timeoutMs: 30_000 });
  assert.match(stdout, /^terok-setup \d+\.\d+\.\d+\n$/);
});

test('oauth-terminal step: opens the terminal with the CLI login as separate words and returns at once', async () => {
  const h = isolatedHarness();
  try {
    const record = path.join(h.host.root, 'argv.txt');
    // A fake kitty: records every argument on its own line, then ends.
    h.host.writeBin('kitty', `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > "${record}.tmp"\necho END >> "${record}.tmp"\n/bin/mv "${record}.tmp" "${record}"\n`);
    assert.ok(h.engine.tasks.stepNames().includes(OAUTH_TERMINAL_STEP));
    const { outcome, events } = await h.runStep(OAUTH_TERMINAL_STEP, { agent: 'claude', credentialSet: 'team-a' });
    const expected = [...cliInvocation(), 'auth', 'claude', '--oauth', '--credential-set', 'team-a', '--keep-open'];
    assert.equal(outcome.type, 'done');
    if (outcome.type === 'done') assert.deepEqual(outcome.result, { terminal: 'kitty', command: expected });
    assert.equal((await waitForFile(record)), [...expected, 'END'].join('\n') + '\n', 'kitty got the command words unchanged (no shell string)');
    assert.ok(events.some((e) => e.type === 'log' && /Finish the login in that window/.test(e.line)));
  } finally {
    h.cleanup();
  }
});

test('oauth-terminal step: terminal flag comes before the command (xfce4-terminal -x)', async () => {
  const h = isolatedHarness();
  try {
    const record = path.join(h.host.root, 'argv.txt');
    h.host.writeBin('xfce4-terminal', `#!/bin/sh\nprintf '%s\\n' "$1" "$2" END > "${record}.tmp"\n/bin/mv "${record}.tmp" "${record}"\n`);
    const { outcome } = await h.runStep(OAUTH_TERMINAL_STEP, { agent: 'codex' });
    assert.equal(outcome.type, 'done');
    assert.equal(await waitForFile(record), `-x\n${cliInvocation()[0]}\nEND\n`);
  } finally {
    h.cleanup();
  }
});

test('oauth-terminal step: no terminal → clear failure carrying the exact command to run by hand', async () => {
  const h = isolatedHarness();
  try {
    const { outcome } = await h.runStep(OAUTH_TERMINAL_STEP, { agent: 'claude' });
    assert.equal(outcome.type, 'failed');
    if (outcome.type !== 'failed') return;
    // This checkout runs from source: the command a developer types, not the internal `node main/cli/index.ts`.
    const manual = 'npm run cli -- auth claude --oauth --credential-set default';
    assert.equal(outcome.error.code, 'no-terminal');
    assert.equal(outcome.error.detail, manual);
    assert.match(outcome.error.message, /^No terminal emulator found \(looked for x-terminal-emulator, gnome-terminal, konsole, xfce4-terminal, kitty, alacritty, xterm on PATH\)\. Open a terminal yourself and run:\n/);
    assert.ok(outcome.error.message.endsWith(manual));
    assert.doesNotMatch(manual, /--keep-open/);
  } finally {
    h.cleanup();
  }
});

test('oauth-terminal step: params validated, agents without an OAuth login refused before any terminal opens', async () => {
  const h = isolatedHarness();
  try {
    const opened = path.join(h.host.root, 'opened');
    h.host.writeBin('xterm', `#!/bin/sh\ntouch "${opened}"\n`);
    const cases: [unknown, RegExp][] = [
      [{}, /^agent is required/],
      [{ agent: 'claude', credentialSet: '../x' }, /not a valid credential set name/],
      [{ agent: 'claude', token: 'x' }, /unknown parameter\(s\): token/],
      [{ agent: 'nope' }, /^Unknown auth provider: nope\. Available: /],
      [{ agent: 'vibe' }, /has no OAuth login; store an API key for it instead$/],
      ['claude', /parameters must be an object/],
    ];
    for (const [params, message] of cases) {
      const { outcome } = await h.runStep(OAUTH_TERMINAL_STEP, params);
      assert.equal(outcome.type, 'failed', JSON.stringify(params));
      if (outcome.type === 'failed') {
        assert.equal(outcome.error.code, 'invalid-params');
        assert.match(outcome.error.message, message);
      }
    }
    assert.equal(existsSync(opened), false);
  } finally {
    h.cleanup();
  }
});

test('oauth-terminal step: a terminal that cannot be executed fails with the manual command', async () => {
  const h = isolatedHarness();
  try {
    mkdirSync(path.join(h.host.root, 'x'), { recursive: true });
    // Executable bit but an interpreter that does not exist: spawn fails.
    writeFileSync(path.join(h.host.bin, 'alacritty'), '#!/nonexistent/interpreter\n', { mode: 0o755 });
    const { outcome } = await h.runStep(OAUTH_TERMINAL_STEP, { agent: 'claude' });
    assert.equal(outcome.type, 'failed');
    if (outcome.type === 'failed') {
      assert.equal(outcome.error.code, 'terminal-failed');
      assert.match(outcome.error.message, /^could not start .*alacritty: .*; run this in a terminal yourself:\n.* auth claude --oauth --credential-set default$/s);
    }
  } finally {
    h.cleanup();
  }
});

test('oauthManualCommand: the one command a person types, for each way the app is installed, always with --oauth', () => {
  const bare = mkdtempSync(path.join(os.tmpdir(), 'terok-app-'));
  try {
    const app = path.join(bare, 'Terok Setup', 'terok-setup-app');
    const systemLauncher = path.join(bare, 'usr-bin', 'terok-setup');
    const rt = { execPath: app, electron: true, packaged: true, appRoot: path.join(bare, 'Terok Setup', 'resources', 'app.asar'), systemLauncher };
    // Packaged without any launcher: the binary's CLI mode, quoted (the path has a space).
    assert.equal(oauthManualCommand('claude', 'default', rt), `'${app}' --ozone-platform=headless --disable-gpu --no-sandbox --password-store=basic --terok-cli -- auth claude --oauth --credential-set default`);
    // tar.gz / AppImage: the launcher beside the binary, by its path.
    mkdirSync(path.dirname(app), { recursive: true });
    writeFileSync(path.join(path.dirname(app), 'terok-setup'), '#!/bin/sh\n', { mode: 0o755 });
    assert.equal(oauthManualCommand('gh', 'work', rt), `'${path.join(bare, 'Terok Setup', 'terok-setup')}' auth gh --oauth --credential-set work`);
    // deb/rpm: the command on PATH, by its name.
    mkdirSync(path.dirname(systemLauncher));
    writeFileSync(systemLauncher, '#!/bin/sh\n', { mode: 0o755 });
    assert.equal(oauthManualCommand('claude', 'default', rt), 'terok-setup auth claude --oauth --credential-set default');
    // Development checkout (Node or Electron): npm's script, never node_modules/…/node main/cli/index.ts.
    for (const dev of [{ execPath: '/repo/node_modules/node/bin/node', electron: false, packaged: false, appRoot: REPO }, { execPath: '/x/electron', electron: true, packaged: false, appRoot: REPO }]) {
      const cmd = oauthManualCommand('claude', 'default', dev);
      assert.equal(cmd, 'npm run cli -- auth claude --oauth --credential-set default');
      assert.doesNotMatch(cmd, /node_modules|main\/cli\/index\.ts/);
    }
    // The words the app starts carry the same arguments.
    assert.deepEqual(oauthCliCommand('claude', 'default', { rt }).slice(-5), ['auth', 'claude', '--oauth', '--credential-set', 'default']);
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
});

test('startLoginTerminal: the embedded terminal runs the CLI login words in a pty with the host environment; agents without OAuth are refused first', async () => {
  const h = createAuthHarness();
  const sessions = new PtySessions();
  try {
    const output: string[] = [];
    sessions.subscribe((e) => { if (e.type === 'data') output.push(e.data); });
    // A stand-in "node" that prints what it was started with, and where.
    const fakeNode = h.host.writeBin('fake-node', '#!/bin/sh\necho "argv: $*"\necho "home: $HOME term: $TERM"\n');
    const rt = { execPath: fakeNode, electron: false, packaged: false, appRoot: REPO };
    const started = startLoginTerminal(h.engine, sessions, { agent: 'claude', credentialSet: 'default', cols: 90, rows: 20 }, rt);
    assert.equal(started.command, 'npm run cli -- auth claude --oauth --credential-set default');
    const t0 = Date.now();
    while (!/term: /.test(output.join(''))) { assert.ok(Date.now() - t0 < 5000, output.join('')); await new Promise((r) => setTimeout(r, 20)); }
    const text = output.join('');
    assert.match(text, new RegExp(`argv: ${path.join(REPO, 'main', 'cli', 'index.ts').replaceAll('.', '\\.')} auth claude --oauth --credential-set default\\r?\\n`));
    assert.match(text, new RegExp(`home: ${h.host.home} term: xterm-256color`));
    assert.throws(() => startLoginTerminal(h.engine, sessions, { agent: 'sonar', credentialSet: 'default', cols: 90, rows: 20 }, rt), /has no OAuth login; store an API key for it instead/);
    assert.throws(() => startLoginTerminal(h.engine, sessions, { agent: 'claude', credentialSet: '../x', cols: 90, rows: 20 }, rt), /not a valid credential set name/);
  } finally {
    await sessions.closeAll();
    h.cleanup();
  }
});
