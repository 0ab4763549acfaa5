/**
 * check_podman's messages (spec §2.5, checklist §9.1), and the wizard's own
 * reading of the answer (a version that does not parse is "version unknown"). Podman's *answers* are
 * played by small executables on the sandbox PATH — a real podman cannot be
 * made to report 3.4.4, fail with "socket missing" or hang on demand.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { podmanStep } from '../../../main/core/steps/podman.ts';
import { isWellFormedPodmanVersion } from '../../../main/core/host/podman-version.ts';
import { makeProbeEnv } from '../../../main/core/steps/probe-env.ts';
import type { Runner } from '../../../main/core/host/process.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';

const settings = { provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null };
let host: SandboxHost;
afterEach(() => host?.cleanup());

/** A fresh host per probe; one test may probe several times, so the previous host goes first. */
function freshHost(): SandboxHost {
  host?.cleanup();
  host = createSandboxHost({ inheritPath: false });
  return host;
}

async function probeWith(script: string | null, wrap?: (r: Runner) => Runner) {
  freshHost();
  if (script !== null) host.writeBin('podman', `#!/bin/sh\n${script}\n`);
  const ctx = wrap ? { ...host.ctx, run: wrap(host.ctx.run) } : host.ctx;
  return (await podmanStep.probe(makeProbeEnv(ctx, settings))).result;
}

test('podman 5.0.0 answering → ok, message exactly "ok"', async () => {
  assert.deepEqual(await probeWith('echo 5.0.0'), { name: 'podman', ok: true, message: 'ok' });
});

test('podman 3.4.4 → still ok, message names the version and degraded behaviour', async () => {
  const r = await probeWith('echo 3.4.4');
  assert.equal(r.ok, true);
  assert.equal(r.message, 'version 3.4.4 is older than the tested minimum 4.3 — unsupported; expect degraded behavior');
});

test('the 4.3.0 floor itself → "ok"', async () => {
  assert.equal((await probeWith('echo 4.3.0')).message, 'ok');
});

test('unparseable version output counts as modern → "ok"', async () => {
  assert.equal((await probeWith('echo weird')).message, 'ok');
});

/** The whole probe (line, status, facts, explanation), not just terok's line. */
async function probed(script: string) {
  freshHost();
  host.writeBin('podman', `#!/bin/sh\n${script}\n`);
  const out = await podmanStep.probe(makeProbeEnv(host.ctx, settings));
  return { ...out, explanation: podmanStep.explain(out, settings) };
}

test('a garbage version: terok\'s line stays "ok", but the step is degraded and says "version unknown", quoting the answer', async () => {
  const out = await probed('echo weird');
  assert.deepEqual(out.result, { name: 'podman', ok: true, message: 'ok' });
  assert.equal(out.status, 'degraded');
  assert.equal(out.facts.version, null);
  assert.equal(out.facts.unknownVersion, "'weird'");
  assert.match(out.explanation.headline, /^Podman is installed, version unknown: asked for its version, podman printed 'weird', which is not a version number/);
  assert.ok(out.explanation.details?.some((d) => d.label === 'Version' && d.value === 'unknown'));
});

test('an empty, multi-line or endless answer is "version unknown" too; the quote is cut to 80 characters', async () => {
  const empty = await probed('exit 0');
  assert.equal(empty.status, 'degraded');
  assert.match(empty.explanation.headline, /podman printed nothing, which is not a version number/);
  const lines = await probed('echo 5.0.0; echo "WARN: something"');
  assert.equal(lines.result.message, 'ok');
  assert.equal(lines.status, 'degraded');
  assert.equal(lines.facts.unknownVersion, "'5.0.0\\nWARN: something'");
  const long = await probed(`printf '5.0.0-%s\\n' "$(printf 'x-%.0s' $(seq 1 200))"`);
  assert.equal(long.result.message, 'ok', "terok's rule reads 5.0 and is content");
  assert.equal(long.status, 'degraded');
  assert.equal(Array.from(long.facts.unknownVersion!).length, 82, '80 characters and the quotes');
  assert.ok(long.facts.unknownVersion!.endsWith("…'"));
});

test('well-formed versions with suffixes are known: ok, and the headline names them', async () => {
  for (const v of ['4.9.4-dev', '5.2.0-rc1', '5.4.0~rc2', '4.9.3+ds1', '5.1']) {
    const out = await probed(`echo ${v}`);
    assert.equal(out.status, 'ok', v);
    assert.equal(out.facts.version, v);
    assert.equal(out.explanation.headline, `Podman ${v} is installed.`);
  }
  assert.equal(isWellFormedPodmanVersion(' 5.0.0\n'), true);
  for (const bad of ['weird', '5', 'v5.0.0', '5.0.0 extra', '5.0.0\n5.0.0', `5.0.${'1'.repeat(70)}`]) assert.equal(isWellFormedPodmanVersion(bad), false, bad);
});

test('an old version with an odd suffix is still "older" (terok\'s line), and the headline shows the numbers only', async () => {
  const out = await probed('echo 3.4garbage');
  assert.equal(out.result.message, 'version 3.4garbage is older than the tested minimum 4.3 — unsupported; expect degraded behavior');
  assert.equal(out.status, 'degraded');
  assert.equal(out.facts.version, '3.4');
  assert.match(out.explanation.headline, /^Podman 3\.4 is older than the tested 4\.3/);
});

test('podman not on PATH → not ok, "not found on PATH"', async () => {
  assert.deepEqual(await probeWith(null), { name: 'podman', ok: false, message: 'not found on PATH' });
});

test('exit 125 with stderr "socket missing" → not ok, message carries the stderr', async () => {
  const r = await probeWith('echo "socket missing" >&2; exit 125');
  assert.deepEqual(r, { name: 'podman', ok: false, message: 'found but not responding: socket missing' });
});

test('non-zero exit with empty stderr → "non-zero exit"', async () => {
  assert.equal((await probeWith('exit 3')).message, 'found but not responding: non-zero exit');
});

test('a hanging podman is killed at the timeout and reported as not responding', async () => {
  // Cap the 10 s timeout so the test stays short; the probe's own handling is unchanged.
  const capped = (r: Runner): Runner => (file, args, opts) => r(file, args, { ...opts, timeoutMs: 300 });
  const started = Date.now();
  const r = await probeWith('sleep 30', capped);
  assert.equal(r.ok, false);
  assert.match(r.message, /^found but not responding: podman did not finish within 0\.3 s$/);
  assert.ok(Date.now() - started < 5000, 'the hung process was killed');
});

test('the probe asks podman for the client version with a 10 s timeout', async () => {
  const calls: { args: readonly string[]; timeoutMs: number }[] = [];
  await probeWith('echo 5.1.0', (r) => (file, args, opts) => { calls.push({ args, timeoutMs: opts.timeoutMs }); return r(file, args, opts); });
  assert.deepEqual(calls, [{ args: ['version', '--format', '{{.Client.Version}}'], timeoutMs: 10_000 }]);
});

// ---- the three unmet states get three different remedies (terok's lines above stay as they are) ----

/** What the Podman page would show, flattened: every command and the headline. */
const shown = (e: ReturnType<typeof podmanStep.explain>) => [e.headline, ...(e.commands ?? []).map((c) => `${c.label}: ${c.command}`)].join('\n');

async function probedCapped(script: string) {
  freshHost();
  host.writeBin('podman', `#!/bin/sh\n${script}\n`);
  const capped: Runner = (file, args, opts) => host.ctx.run(file, args, { ...opts, timeoutMs: 300 });
  const out = await podmanStep.probe(makeProbeEnv({ ...host.ctx, run: capped }, settings));
  return { ...out, explanation: podmanStep.explain(out, settings) };
}

test('a hung podman: the facts say it timed out; the page offers migrate, the pause process, disk space and a diagnostic — never an install', async () => {
  const out = await probedCapped('sleep 30');
  assert.equal(out.status, 'unresponsive');
  assert.deepEqual(out.facts.noAnswer, { kind: 'timeout', exitCode: null, detail: 'podman did not finish within 0.3 s' });
  const commands = (out.explanation.commands ?? []).map((c) => c.command);
  assert.deepEqual(commands, ['podman system migrate', `pkill -u "$USER" -f 'catatonit -P'`, `df -h ${out.facts.storageDir}`, 'timeout 30 podman --log-level=debug info']);
  assert.match(out.explanation.headline, /^Podman is installed but did not answer within 10 s when asked for its version\. .*does not need installing again/);
  assert.equal(podmanStep.fix?.applies?.(out), false, 'no Install button for a podman that is installed');
  assert.ok(out.explanation.details?.some((d) => d.label === 'What happened' && /no answer within 10 s/.test(d.value)));
  assert.doesNotMatch(shown(out.explanation), /\binstall\b|apt-get|dnf|zypper|pacman/i);
  // terok's lines are untouched: the check line and its consequence.
  assert.equal(out.result.message, 'found but not responding: podman did not finish within 0.3 s');
  assert.deepEqual(podmanStep.unmet(settings).lines, ['      Install podman first: https://podman.io/docs/installation']);
});

test('a podman that exits with an error: told apart from a hang (exit code and stderr in the facts), same remedies', async () => {
  const out = await probedCapped('echo "cannot open the container storage: database is locked" >&2; exit 125');
  assert.equal(out.status, 'unresponsive');
  assert.deepEqual(out.facts.noAnswer, { kind: 'exit', exitCode: 125, detail: 'cannot open the container storage: database is locked' });
  assert.match(out.explanation.headline, /^Podman is installed but fails when asked for its version \(exit code 125\)\./);
  assert.ok(out.explanation.details?.some((d) => d.label === 'Podman said' && d.value === 'cannot open the container storage: database is locked'));
  assert.ok(out.explanation.commands?.some((c) => c.command === 'podman system migrate'));
  assert.doesNotMatch(shown(out.explanation), /apt-get|dnf|zypper|pacman/);
});

test('the disk-space command names podman\'s storage as the user writes it (~/…), cut back to a folder that exists', async () => {
  freshHost();
  host.writeBin('podman', '#!/bin/sh\nexit 1\n');
  const before = (await podmanStep.probe(makeProbeEnv(host.ctx, settings))).facts.storageDir;
  assert.equal(before, '~', 'no storage yet: its nearest existing parent');
  host.write('home/.local/share/containers/storage/.keep', '');
  assert.equal((await podmanStep.probe(makeProbeEnv(host.ctx, settings))).facts.storageDir, '~/.local/share/containers/storage');
});

test('the disk-space command stays one shell word for a storage path with spaces, inside or outside home', async () => {
  freshHost();
  host.writeBin('podman', '#!/bin/sh\nexit 1\n');
  const dfOf = async (dataHome: string) => {
    const ctx = { ...host.ctx, env: { ...host.ctx.env, XDG_DATA_HOME: dataHome } };
    return podmanStep.explain(await podmanStep.probe(makeProbeEnv(ctx, settings)), settings).commands?.find((c) => c.command.startsWith('df -h'))?.command;
  };
  host.write('home/my data/containers/storage/.keep', '');
  assert.equal(await dfOf(path.join(host.ctx.home, 'my data')), "df -h ~/'my data/containers/storage'");
  const outside = path.dirname(path.dirname(path.dirname(host.write("outside it's/containers/storage/.keep", ''))));
  assert.equal(await dfOf(outside), `df -h '${outside.replace(/'/g, "'\\''")}/containers/storage'`);
});

test('podman older than tested: the upgrade command for this distribution (and the others), never an install command', async () => {
  const out = await probed('echo 3.4.4');
  assert.equal(out.status, 'degraded');
  assert.match(out.explanation.headline, /^Podman 3\.4\.4 is older than the tested 4\.3; expect problems\. Upgrade it with the command below/);
  const commands = out.explanation.commands ?? [];
  assert.equal(commands.filter((c) => !c.group).length, out.facts.upgradeCommand ? 1 : 0);
  if (out.facts.upgradeCommand) assert.deepEqual(commands[0], { label: 'Upgrade command', command: out.facts.upgradeCommand });
  assert.deepEqual(commands.filter((c) => c.group).map((c) => c.command), [
    'sudo apt-get install --only-upgrade podman', 'sudo dnf upgrade podman', 'sudo zypper update podman', 'sudo pacman -Syu podman',
  ]);
  assert.doesNotMatch(shown(out.explanation), /install -y|pacman -S --needed|Install command/);
  assert.equal(/backports/.test(out.explanation.headline), out.facts.family === 'debian', 'the backports note is for Debian / Ubuntu');
});

test('the backports note: on a Debian-family host the too-old headline names backports; elsewhere it does not', () => {
  const base = { distro: 'X', installCommand: null, otherInstallCommands: [], upgradeCommand: null, otherUpgradeCommands: [], version: '3.4.4', unknownVersion: null, path: '/usr/bin/podman', noAnswer: null, storageDir: '~' };
  const say = (family: 'debian' | 'fedora') => podmanStep.explain({ result: { name: 'podman', ok: true, message: '' }, status: 'degraded', facts: { ...base, family } }, settings).headline;
  assert.match(say('debian'), /Debian 11, Ubuntu 22\.04\) the release's own podman stays older than 4\.3: install podman from backports, or upgrade the release\./);
  assert.doesNotMatch(say('fedora'), /backports/);
});

test('a version that is not a version: upgrade, not install (podman is there)', async () => {
  const out = await probed('echo weird');
  assert.doesNotMatch(shown(out.explanation), /Install command|install -y/);
  assert.ok(out.explanation.commands?.some((c) => c.command === 'podman version'));
});

test('not installed: the Install button is offered, the install command stays beside it, and no hang remedies', async () => {
  freshHost();
  const out = await podmanStep.probe(makeProbeEnv(host.ctx, settings));
  const e = podmanStep.explain(out, settings);
  assert.equal(out.status, 'missing');
  assert.equal(out.facts.noAnswer, null);
  assert.match(e.headline, /^Podman is not installed\. .*Press Install podman to install it from .*own packages \(the system asks for your password\), or run the install command below in a terminal\.$/);
  assert.ok(e.commands?.some((c) => c.command === 'sudo apt-get install -y podman'));
  assert.ok(podmanStep.fix?.applies?.(out), 'a missing podman can be installed from the page');
  assert.deepEqual(podmanStep.fix?.plan(settings, out.facts, {}), { run: [{ task: 'packages.install', params: { tools: ['podman'] } }] });
  assert.doesNotMatch(shown(e), /system migrate|catatonit/);
});

test('a podman check that threw (no facts) is explained without a crash', () => {
  const e = podmanStep.explain({ result: { name: 'podman', ok: false, message: 'check failed: boom' }, status: 'error', facts: {} as never }, settings);
  assert.equal(e.headline, 'The podman check itself failed: check failed: boom. Press Check again.');
});
