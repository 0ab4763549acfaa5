/**
 * `terok-setup unlock`, run as a child process against a real SQLCipher
 * vault: the key from stdin, terok's exit codes (0 unlocked or nothing to
 * do, 1 wrong key, 2 usage), the key never printed. Fake: keyctl refuses
 * everything (as under a container's seccomp), so the kernel-keyring tier
 * lands in its session file and the host's own keyring is never touched;
 * the real kernel keyring path is covered in test/unit/vault/unlock.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { sessionDigest } from '../../../main/core/vault/passphrase.ts';
import { crashLines, runCli } from '../../support/fault.ts';
import { createVaultFixture, FIXTURE_PASSPHRASE } from '../../support/fixtures.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';

let host: SandboxHost;
afterEach(() => host?.cleanup());

function lockedHost(): string {
  host = createSandboxHost({ inheritPath: false });
  host.writeBin('keyctl', '#!/bin/sh\necho "keyctl: Operation not permitted (test: refuses everything)" >&2\nexit 1\n');
  createVaultFixture(host);
  const paths = resolvePaths(host.ctx);
  rmSync(paths.vaultSessionDir, { recursive: true });
  return path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb));
}

test('the right key on stdin: exit 0, terok\'s lines, the key cached where the resolver reads it, never printed', async () => {
  const session = lockedHost();
  const out = await runCli(host, ['unlock'], { stdin: `${FIXTURE_PASSPHRASE}\n` });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, `→ wrote passphrase to ${session} (RAM-backed, cleared on reboot)\n  verified: the value opens the credentials DB\n`);
  assert.equal(readFileSync(session, 'utf8'), FIXTURE_PASSPHRASE);
  assert.doesNotMatch(out.stdout + out.stderr, new RegExp(FIXTURE_PASSPHRASE));
  const check = await runCli(host, ['check', '--json']);
  const vault = (JSON.parse(check.stdout) as { steps: { id: string; facts: { state: string } }[] }).steps.find((s) => s.id === 'vault');
  assert.equal(vault?.facts.state, 'unlocked');
});

test('a wrong key: exit 1, says so plainly, nothing written, no stack trace', async () => {
  const session = lockedHost();
  const db = resolvePaths(host.ctx).credentialDb;
  const out = await runCli(host, ['unlock'], { stdin: 'not-the-key-9f8e7d6c\n' });
  assert.equal(out.code, 1);
  assert.equal(out.stdout, '');
  assert.match(out.stderr, new RegExp(`^that passphrase does not open ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} — nothing was written\\.\n`, 'm'));
  assert.doesNotMatch(out.stderr, /not-the-key-9f8e7d6c/);
  assert.deepEqual(crashLines(out.stderr), []);
  assert.equal(existsSync(session), false);
});

test('usage errors exit 2 before anything is read or written: no key, an unknown tier, a stray argument', async () => {
  const session = lockedHost();
  for (const [args, stdin, why] of [
    [['unlock'], '', /no recovery key given/],
    [['unlock', '--tier', 'systemd-creds'], `${FIXTURE_PASSPHRASE}\n`, /--tier must be one of: kernel-keyring, keyring/],
    [['unlock', 'extra'], `${FIXTURE_PASSPHRASE}\n`, /Unexpected argument|unexpected/i],
  ] as const) {
    const out = await runCli(host, args, { stdin });
    assert.equal(out.code, 2, `${args.join(' ')}: ${out.stderr}`);
    assert.match(out.stderr, why);
    assert.match(out.stderr, /Try 'terok-setup unlock --help'/);
  }
  assert.equal(existsSync(session), false);
});

test('a durable tier already opens the vault: terok\'s refusal on stdout, exit 0, nothing cached', async () => {
  const session = lockedHost();
  host.write(path.join(host.home, '.config/terok/config.yml'), `credentials:\n  passphrase_command: ${path.join(host.bin, 'give')}\n`);
  host.writeBin('give', `#!/bin/sh\necho ${FIXTURE_PASSPHRASE}\n`);
  const out = await runCli(host, ['unlock'], { stdin: `${FIXTURE_PASSPHRASE}\n` });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^vault already auto-unlocks via passphrase-command; /);
  assert.equal(existsSync(session), false);
});

test('--help names the command; the main help lists it', async () => {
  host = createSandboxHost({ inheritPath: false });
  const help = await runCli(host, ['unlock', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: terok-setup unlock \[--tier kernel-keyring\|keyring\]/);
  assert.match(help.stdout, /Exit codes: 0 unlocked \(or nothing to do\), 1 wrong key or failure, 2 usage error\./);
  const main = await runCli(host, ['--help']);
  assert.match(main.stdout, /^ {2}unlock +Unlock a locked vault with its recovery key/m);
});
