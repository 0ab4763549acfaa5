/**
 * Fault suite, CLI and process cases (issue #12: nothing lost when setup is
 * interrupted or the host misbehaves). The real `terok-setup` runs as a
 * child process against a sandbox host (test/support/fault.ts) and each case
 * checks the exit code, what the user reads, that node printed no stack
 * trace, and that the user's files are as they were:
 *
 *  - usage errors exit 2 before anything runs (no fake is ever called);
 *  - podman missing, hanging, failing or answering a garbage version: `check`
 *    and `check --json` say so and exit 3 (not ready), the JSON parses;
 *  - SIGINT, SIGTERM and SIGHUP while a child runs (`check` probing podman,
 *    `build` in `podman build`, `install` in `keyctl padd`): the CLI exits
 *    with 128 + the signal's number within seconds, the child is dead, the
 *    setup lock is released and the recovery key is not lost;
 *  - two installs at once: the second fails fast on the setup lock;
 *  - SIGKILL of the CLI: what happens to its child.
 *
 * Faked: podman (shell scripts in the sandbox's bin; real podman never runs
 * here, no image is ever built) and keyctl (the kernel-keyring tier always
 * meets a fake keyctl, never the real user keyring); terok is the fixture
 * install of test/support/terok-fixture.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SandboxHost } from '../../support/host.ts';
import { createTerokFixture } from '../../support/terok-fixture.ts';
import { failingKeyctl } from '../../support/sandbox-install.ts';
import {
  aliveProcess, assertNothingLost, assertUnchanged, blockingKeyctl, buildHangingPodman, crashLines, createFaultHost, disposeFaultHost,
  FAILING_PODMAN_MESSAGE, failingPodman, GARBAGE_VERSION, garbageVersionPodman, hangingPodman, runCli, seedUserFiles, snapshotTree,
  spawnCli, waitForDeath, type CliExit, type FaultHostOptions,
} from '../../support/fault.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { SETUP_LOCK_NAME } from '../../../main/core/host/lock.ts';
import { CredentialDb } from '../../../main/core/vault/credential-db.ts';

/** What a shell reports for a command stopped by `signal`: 128 + its number (130 SIGINT, 143 SIGTERM, 129 SIGHUP). */
const exitFor = (signal: NodeJS.Signals) => 128 + os.constants.signals[signal];
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** How long an interrupted CLI may take to exit (the runner's SIGTERM→SIGKILL grace is 2 s). */
const EXIT_WITHIN_MS = 5000;
const LOCK_MESSAGE = /another Terok Setup install is running/;
const PASSPHRASE_LINE = /^Vault passphrase: (\S+)$/m;
const INSTALL_ARGS = ['install', '--no-shield', '--passphrase-tier', 'kernel-keyring'];

function fault(body: (host: SandboxHost) => Promise<void>, opts: FaultHostOptions = {}) {
  return async () => {
    const host = createFaultHost(opts);
    try {
      await body(host);
    } finally {
      disposeFaultHost(host);
    }
  };
}

const transcript = (r: CliExit) => `exit ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''} after ${r.ms} ms\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

function assertExit(r: CliExit, code: number) {
  assert.equal(r.timedOut, false, `the CLI hung\n${transcript(r)}`);
  assert.equal(r.code, code, transcript(r));
  assert.deepEqual(crashLines(r.stdout + '\n' + r.stderr), [], `a stack trace or node error reached the user\n${transcript(r)}`);
}

async function assertChildDead(pid: number, what: string) {
  assert.ok(await waitForDeath(pid, 500), `${what} (pid ${pid}) outlived the CLI`);
}

const lockPath = (host: SandboxHost) => path.join(resolvePaths(host.ctx).stateRoot, SETUP_LOCK_NAME);
const tmpEntries = (host: SandboxHost) => readdirSync(path.join(host.root, 'tmp'));

describe('fault: cli', { concurrency: 2 }, () => {
  // ---- usage errors ---------------------------------------------------------
  describe('usage errors exit 2 before anything runs', { concurrency: 4 }, () => {
    const cases: { args: string[]; message: RegExp; tryHelp: string }[] = [
      { args: ['frobnicate'], message: /^terok-setup: unknown command 'frobnicate'$/m, tryHelp: "Try 'terok-setup --help'." },
      { args: ['check', '--frobnicate'], message: /^terok-setup: Unknown option '--frobnicate'/m, tryHelp: "Try 'terok-setup check --help'." },
      { args: ['install', '--yes'], message: /^terok-setup: Unknown option '--yes'/m, tryHelp: "Try 'terok-setup install --help'." },
      { args: ['install', '--passphrase-tier', 'bogus'], message: /^terok-setup: .*--passphrase-tier 'bogus'.*kernel-keyring, keyring, systemd-creds/m, tryHelp: "Try 'terok-setup install --help'." },
      { args: ['install', '--passphrase-tier'], message: /^terok-setup: Option '--passphrase-tier <value>' argument missing/m, tryHelp: "Try 'terok-setup install --help'." },
      { args: ['build', '--family', 'bogus'], message: /^terok-setup: family must be 'deb' or 'rpm', got 'bogus'/m, tryHelp: "Try 'terok-setup build --help'." },
      { args: ['build', '--base'], message: /^terok-setup: Option '--base <value>' argument missing/m, tryHelp: "Try 'terok-setup build --help'." },
      { args: ['check', '--family', 'bogus'], message: /^terok-setup: family must be 'deb' or 'rpm', got 'bogus'/m, tryHelp: "Try 'terok-setup check --help'." },
      { args: ['check', '--provider', 'nosuchagent'], message: /^terok-setup: Unknown agent 'nosuchagent'\. Available: .*claude/m, tryHelp: "Try 'terok-setup check --help'." },
      { args: ['check', 'stray'], message: /^terok-setup: Unexpected argument 'stray'/m, tryHelp: "Try 'terok-setup check --help'." },
    ];
    for (const c of cases) {
      test(`terok-setup ${c.args.join(' ')}`, fault(async (host) => {
        createTerokFixture(host);
        seedUserFiles(host);
        const podman = failingPodman(host);
        const keyctl = blockingKeyctl(host);
        const before = snapshotTree(host.root);
        const r = await runCli(host, c.args, { timeoutMs: 15_000 });
        assertExit(r, 2);
        assert.match(r.stderr, c.message, transcript(r));
        assert.ok(r.stderr.includes(c.tryHelp), `no pointer to --help\n${transcript(r)}`);
        assert.equal(r.stdout, '', 'a usage error prints nothing on stdout');
        assert.deepEqual(podman.calls(), [], 'podman ran before the arguments were checked');
        assert.deepEqual(keyctl.pids(), [], 'keyctl ran before the arguments were checked');
        assertUnchanged(before, snapshotTree(host.root));
      }));
    }

    test('no command at all: the overview on stderr, exit 2', fault(async (host) => {
      seedUserFiles(host);
      const before = snapshotTree(host.root);
      const r = await runCli(host, []);
      assertExit(r, 2);
      assert.match(r.stderr, /^Usage: terok-setup <command> \[options\]$/m);
      assert.match(r.stderr, /Exit codes: 0 ready, 1 failure, 2 usage error, 3 not ready\./);
      assert.equal(r.stdout, '');
      assertUnchanged(before, snapshotTree(host.root));
    }));

    test('the help of check, install and build promises exit 2 for usage errors (exit 0, stdout)', fault(async (host) => {
      const before = snapshotTree(host.root);
      for (const cmd of ['check', 'install', 'build']) {
        const r = await runCli(host, [cmd, '--help']);
        assertExit(r, 0);
        assert.match(r.stdout, new RegExp(`^Usage: terok-setup ${cmd}\\b`, 'm'));
        assert.match(r.stdout, /2 usage error/, `${cmd} --help`);
        assert.equal(r.stderr, '');
      }
      assertUnchanged(before, snapshotTree(host.root));
    }));
  });

  // ---- podman misbehaves --------------------------------------------------------
  describe('podman missing, hanging, failing or garbage: check says not ready (3)', { concurrency: 4 }, () => {
    const podmanFaults = {
      missing: { host: { withoutPodman: true }, install: () => null, line: 'not found on PATH', status: 'missing' },
      hanging: { host: {}, install: hangingPodman, line: 'found but not responding: podman did not finish within 10 s', status: 'unresponsive' },
      failing: { host: {}, install: (h: SandboxHost) => failingPodman(h), line: `found but not responding: ${FAILING_PODMAN_MESSAGE}`, status: 'unresponsive' },
      // terok counts a version it cannot read as modern: the gate line stays ok (the wizard may call it degraded).
      'garbage version': { host: {}, install: garbageVersionPodman, line: 'ok', status: 'ok' },
    } as const;

    for (const [name, f] of Object.entries(podmanFaults)) {
      test(`check, podman ${name}`, fault(async (host) => {
        seedUserFiles(host);
        const podman = f.install(host);
        const before = snapshotTree(host.home);
        const r = await runCli(host, ['check'], { timeoutMs: 20_000 });
        assertExit(r, 3);
        assert.ok(r.stdout.includes(`  podman                 ${f.status === 'ok' ? 'ok' : 'FAIL'} (${f.line})`), transcript(r));
        assert.match(r.stdout, /^Not ready: run `terok-setup run`/m);
        if (f.status !== 'ok') {
          assert.match(r.stderr, /Install podman first: https:\/\/podman\.io\/docs\/installation/);
          // podman stops everything: nothing after it was checked.
          assert.doesNotMatch(r.stdout, /^ {2}git /m);
        } else {
          // A version it cannot read is not a crash: the other steps are still checked.
          assert.match(r.stdout, /^ {2}container images +FAIL/m);
        }
        for (const pid of podman?.window?.pids() ?? []) await assertChildDead(pid, 'the hanging podman');
        assertUnchanged(before, snapshotTree(host.home));
      }, f.host));

      test(`check --json, podman ${name}`, fault(async (host) => {
        seedUserFiles(host);
        const podman = f.install(host);
        const before = snapshotTree(host.home);
        const r = await runCli(host, ['check', '--json'], { timeoutMs: 20_000 });
        assertExit(r, 3);
        let report: { verdict: { ready: boolean; reasons: string[] }; steps: { id: string; status: string; result: { ok: boolean; message: string } }[] };
        try {
          report = JSON.parse(r.stdout) as typeof report;
        } catch (err) {
          assert.fail(`stdout is not JSON (${(err as Error).message})\n${transcript(r)}`);
        }
        assert.equal(report.verdict.ready, false);
        const step = report.steps.find((s) => s.id === 'podman');
        assert.ok(step, 'the report has a podman step');
        assert.equal(step.result.message, f.line);
        if (f.status === 'ok') {
          assert.equal(step.result.ok, true);
          assert.ok(['ok', 'degraded'].includes(step.status), `podman step status ${step.status}`);
          assert.ok(JSON.stringify(step).includes(GARBAGE_VERSION), 'the report does not show what podman answered');
        } else {
          assert.equal(step.status, f.status);
          assert.ok(report.verdict.reasons.includes(`podman: ${f.line}`), JSON.stringify(report.verdict));
        }
        assert.equal(r.stderr, '', 'nothing but the report on stdout, nothing on stderr');
        for (const pid of podman?.window?.pids() ?? []) await assertChildDead(pid, 'the hanging podman');
        assertUnchanged(before, snapshotTree(host.home));
      }, f.host));
    }
  });

  // ---- signals while a child runs ----------------------------------------------
  describe('SIGINT, SIGTERM, SIGHUP while a child runs', { concurrency: 4 }, () => {
    for (const sig of SIGNALS) {
      test(`${sig} to check while podman hangs: exit ${exitFor(sig)}, podman dead, no verdict claimed`, fault(async (host) => {
        seedUserFiles(host);
        const podman = hangingPodman(host);
        const before = snapshotTree(host.home);
        const run = spawnCli(host, ['check']);
        const pid = await podman.window!.started();
        run.signal(sig);
        const r = await run.exitWithin(EXIT_WITHIN_MS);
        assertExit(r, exitFor(sig));
        assert.doesNotMatch(r.stdout, /^(Ready|Not ready)\b/m, 'an interrupted check must not report a verdict');
        await assertChildDead(pid, 'podman');
        assert.equal(existsSync(lockPath(host)), false, 'setup.lock left behind');
        assertUnchanged(before, snapshotTree(host.home));
      }));

      test(`${sig} to build while podman build hangs: exit ${exitFor(sig)}, podman dead, nothing tagged`, fault(async (host) => {
        seedUserFiles(host);
        const podman = buildHangingPodman(host);
        const before = snapshotTree(host.home);
        const run = spawnCli(host, ['build']);
        const pid = await podman.window!.started();
        run.signal(sig);
        const r = await run.exitWithin(EXIT_WITHIN_MS);
        assertExit(r, exitFor(sig));
        assert.match(r.stderr, /^terok-setup: .*cancelled/im, transcript(r));
        assert.doesNotMatch(r.stdout, /^L1: /m);
        await assertChildDead(pid, 'podman build');
        assert.ok(!podman.calls().some((c) => c.startsWith('tag ')), `an image was tagged: ${podman.calls().join(' | ')}`);
        assert.deepEqual(tmpEntries(host), [], 'the build context was left in TMPDIR');
        assert.equal(existsSync(lockPath(host)), false, 'setup.lock left behind');
        assertUnchanged(before, snapshotTree(host.home));
      }));

      test(`${sig} to install while keyctl padd hangs: exit ${exitFor(sig)}, keyctl dead, lock released, recovery key kept`, fault(async (host) => {
        createTerokFixture(host);
        seedUserFiles(host);
        const podman = failingPodman(host); // install must not need podman; real podman never runs here
        const keyctl = blockingKeyctl(host);
        const before = snapshotTree(host.home);
        const run = spawnCli(host, INSTALL_ARGS);
        const pid = await keyctl.started();
        run.signal(sig);
        const r = await run.exitWithin(EXIT_WITHIN_MS);
        assertExit(r, exitFor(sig));
        await assertChildDead(pid, 'keyctl padd');
        assert.match(r.stderr, /^terok-setup: install cancelled; no setup stamp written$/m, transcript(r));
        const shown = PASSPHRASE_LINE.exec(r.stdout)?.[1] ?? null;
        assert.equal(existsSync(lockPath(host)), false, 'setup.lock left behind');
        assert.equal(existsSync(resolvePaths(host.ctx).setupStamp), false, 'a stamp after a cancelled install');
        assertNothingLost(before, snapshotTree(host.home));

        // The re-run (keyctl now refuses everything, so the session file is the cache) is not locked out…
        failingKeyctl(host);
        const again = await runCli(host, INSTALL_ARGS);
        assert.doesNotMatch(again.stderr, LOCK_MESSAGE, transcript(again));
        assertExit(again, 0);
        // …and the passphrase that keys the DB is one the user was shown.
        const keys = [shown, PASSPHRASE_LINE.exec(again.stdout)?.[1] ?? null].filter((k): k is string => k !== null);
        assert.ok(keys.length, `the passphrase was never shown\n${transcript(r)}\n${transcript(again)}`);
        const db = resolvePaths(host.ctx).credentialDb;
        assert.ok(keys.some((k) => { try { CredentialDb.openReadOnly(db, k).close(); return true; } catch { return false; } }),
          'the credential DB is keyed with a passphrase nobody was shown: the recovery key is lost');
        assert.deepEqual(podman.calls(), [], 'install ran podman');
        assertNothingLost(before, snapshotTree(host.home));
      }));
    }

    test('SIGINT to build while podman build ignores SIGTERM: exit 130 after the kill grace, podman build SIGKILLed', fault(async (host) => {
      seedUserFiles(host);
      const podman = buildHangingPodman(host, { ignoreTerm: true });
      const before = snapshotTree(host.home);
      const run = spawnCli(host, ['build']);
      const pid = await podman.window!.started();
      run.signal('SIGINT');
      const r = await run.exitWithin(EXIT_WITHIN_MS + 2000);
      assertExit(r, exitFor('SIGINT'));
      assert.match(r.stderr, /^terok-setup: .*cancelled/im, transcript(r));
      await assertChildDead(pid, 'podman build (ignoring SIGTERM)');
      assertUnchanged(before, snapshotTree(host.home));
    }));
  });

  // ---- concurrency and SIGKILL ---------------------------------------------------
  describe('concurrency and SIGKILL', { concurrency: 2 }, () => {
    test('two installs at once: the second fails fast on the lock (exit 1), nothing lost, the first still ends well', fault(async (host) => {
      createTerokFixture(host);
      seedUserFiles(host);
      failingPodman(host);
      const keyctl = blockingKeyctl(host);
      const before = snapshotTree(host.home);
      const first = spawnCli(host, INSTALL_ARGS);
      const pid = await keyctl.started(); // the first holds setup.lock now
      const during = snapshotTree(host.home);
      const second = await runCli(host, INSTALL_ARGS, { timeoutMs: 10_000 });
      assertExit(second, 1);
      assert.match(second.stderr, new RegExp(`^terok-setup: another Terok Setup install is running \\(pid ${first.pid}\\); wait for it to finish$`, 'm'), transcript(second));
      assert.ok(second.ms < 5000, `the second install took ${second.ms} ms to give up`);
      const secondShown = PASSPHRASE_LINE.exec(second.stdout)?.[1] ?? null;
      assert.deepEqual(keyctl.pids(), [pid], 'the second install reached keyctl');
      assertUnchanged(during, snapshotTree(host.home));
      assert.ok(existsSync(lockPath(host)), 'the second install removed the first one\'s lock');

      first.signal('SIGINT');
      const r = await first.exitWithin(EXIT_WITHIN_MS);
      assertExit(r, exitFor('SIGINT'));
      const firstShown = PASSPHRASE_LINE.exec(r.stdout)?.[1] ?? null;
      assert.ok(firstShown, `the first install lost its recovery key\n${transcript(r)}`);
      // The second may re-offer the key the first minted (it is pending until confirmed), never one of its own.
      if (secondShown !== null) assert.equal(secondShown, firstShown, 'the second install showed a second recovery key');
      await assertChildDead(pid, 'keyctl padd');
      assert.equal(existsSync(lockPath(host)), false, 'setup.lock left behind');
      assertNothingLost(before, snapshotTree(host.home));
    }));

    // SIGKILL cannot be caught: the kernel's parent-death signal (set through util-linux's setpriv) does it.
    test('SIGKILL of the CLI while podman hangs: the child dies with it', fault(async (host) => {
      const podman = hangingPodman(host);
      const run = spawnCli(host, ['check']);
      const pid = await podman.window!.started();
      run.signal('SIGKILL');
      const r = await run.exitWithin(EXIT_WITHIN_MS);
      assert.equal(r.signal, 'SIGKILL');
      const gone = await waitForDeath(pid, 1000);
      assert.ok(gone, `podman (pid ${pid}) is still running after the CLI was SIGKILLed (alive: ${aliveProcess(pid)})`);
    }));
  });
});
