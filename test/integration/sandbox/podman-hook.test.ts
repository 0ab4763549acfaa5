/**
 * Real podman: after install, a container carrying the shield annotation runs
 * the shield hook from the installed hooks dir. The fixture hook appends its
 * stage to a marker file on the host.
 *
 * Two twins, one per lane (see support/rootless.ts): as root, podman reads no
 * user containers.conf, so the test hands it the edited file; as the desktop
 * user, podman finds the hooks_dir the install added to the user's own
 * ~/.config/containers/containers.conf, and terok's gate ends ready.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../main/cli/index.ts';
import { Engine } from '../../../main/core/engine.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { l1AliasTag } from '../../../main/core/images/tags.ts';
import { registerSetupModules } from '../../../main/core/modules.ts';
import { vaultRoutesStep } from '../../../main/core/roster/vault-routes.ts';
import { captureStreams } from '../../support/auth-harness.ts';
import { createSandboxHost, type SandboxHost } from '../../support/host.ts';
import { buildBusyboxBase, podmanUsable, removeTestImages } from '../../support/podman-base.ts';
import { machineContainersConf, podmanEnvFor, runningAsRoot, seedUserContainersConf } from '../../support/rootless.ts';
import { createTerokFixture, type TerokFixture } from '../../support/terok-fixture.ts';
import { failingKeyctl, install } from '../../support/sandbox-install.ts';

const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;
const IMAGE = `localhost/terok-test-hook-${RUN_ID}:latest`;
const skip = podmanUsable() ? false : 'podman or busybox-static not available';

/** An unannotated container leaves the marker alone; an annotated one fires the hook's createRuntime stage. */
function assertHookFiresOnlyWhenAnnotated(fixture: TerokFixture, env: NodeJS.ProcessEnv): void {
  const plain = spawnSync('podman', ['run', '--rm', IMAGE, 'true'], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(existsSync(fixture.marker), false, 'an unannotated container must not trigger the shield hook');

  const run = spawnSync('podman', ['run', '--rm', '--annotation', 'terok.shield.profiles=dev-standard', IMAGE, 'true'], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.ok(existsSync(fixture.marker), 'shield hook did not run');
  const stages = readFileSync(fixture.marker, 'utf8').trim().split('\n');
  assert.ok(stages.includes('createRuntime'), `hook stages seen: ${stages.join(', ')}`);
}

async function installed(host: SandboxHost): Promise<TerokFixture> {
  const fixture = createTerokFixture(host);
  failingKeyctl(host);
  const result = await install(host, { passphraseTier: 'kernel-keyring' }, vaultRoutesStep);
  assert.equal(result.exitCode, 0, result.rec.lines.join('\n'));
  return fixture;
}

test('root lane: the installed shield hook fires for an annotated container (rootful podman)', { skip: skip || (!runningAsRoot && 'the rootless twin below runs as the desktop user'), timeout: 180_000 }, async () => {
  const host = createSandboxHost();
  try {
    await buildBusyboxBase(IMAGE, RUN_ID);
    const fixture = await installed(host);
    // Rootful podman reads no user file: hand it the one we edited, plus this machine's runtime settings.
    const userConf = readFileSync(resolvePaths(host.ctx).containersConf, 'utf8');
    const conf = path.join(host.root, 'podman-test.conf');
    writeFileSync(conf, userConf.replace('[engine]', '[engine]\nruntime = "runc"') + '\n[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n');
    assertHookFiresOnlyWhenAnnotated(fixture, { ...process.env, CONTAINERS_CONF: conf });
  } finally {
    await removeTestImages([IMAGE], RUN_ID);
    host.cleanup();
  }
});

test('rootless lane: install as the desktop user; the hook fires through ~/.config/containers/containers.conf; terok\'s gate ends ready', { skip: skip || (runningAsRoot && 'the rootful twin above runs as root'), timeout: 180_000 }, async () => {
  const host = createSandboxHost();
  const paths = resolvePaths(host.ctx);
  const alias = l1AliasTag(IMAGE);
  try {
    const quirks = machineContainersConf();
    seedUserContainersConf(host);
    host.write(path.join(paths.configRoot, 'config.yml'), `image:\n  base_image: ${IMAGE}\n`);
    await buildBusyboxBase(IMAGE, RUN_ID);
    const fixture = await installed(host);

    // Everything lands in the user's own XDG dirs, secrets 0600.
    const dataHome = host.ctx.env.XDG_DATA_HOME!;
    for (const file of [paths.routesJson, paths.credentialDb, paths.setupStamp]) {
      assert.ok(file.startsWith(path.join(dataHome, 'terok') + path.sep), `${file} is under ${dataHome}/terok`);
      assert.ok(statSync(file).isFile(), file);
    }
    for (const secret of [paths.routesJson, paths.credentialDb]) assert.equal(statSync(secret).mode & 0o777, 0o600, secret);
    assert.equal(paths.containersConf, path.join(host.ctx.env.XDG_CONFIG_HOME!, 'containers', 'containers.conf'));
    const conf = readFileSync(paths.containersConf, 'utf8');
    assert.ok(conf.includes(`"${paths.shieldHooksDir}"`), `hooks_dir registered:\n${conf}`);
    for (const line of quirks.split('\n').filter((l) => l.includes('='))) assert.ok(conf.includes(line), `the user's own setting survived: ${line}`);

    // Rootless podman reads that file itself: no CONTAINERS_CONF.
    assertHookFiresOnlyWhenAnnotated(fixture, podmanEnvFor(host));

    // With the L1 alias present, terok's readiness gate has nothing left to ask.
    assert.equal(spawnSync('podman', ['tag', IMAGE, alias], { timeout: 60_000 }).status, 0);
    const engine = new Engine(host.ctx);
    registerSetupModules(engine);
    const streams = captureStreams();
    const code = await main(['check'], streams.io, engine);
    assert.equal(code, 0, streams.out() + streams.err());
    for (const step of ['podman', 'sandbox services', 'container images']) assert.match(streams.out(), new RegExp(`^  ${step} +ok `, 'm'));
    assert.match(streams.out(), /Ready: terok can start an agent\.\n/);
  } finally {
    await removeTestImages([IMAGE, alias], RUN_ID);
    host.cleanup();
  }
});
