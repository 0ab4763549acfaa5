/**
 * Real podman: after install, a container carrying the shield annotation runs
 * the shield hook from the installed hooks dir. The fixture hook appends its
 * stage to a marker file on the host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSandboxHost } from '../../support/host.ts';
import { createTerokFixture } from '../../support/terok-fixture.ts';
import { failingKeyctl, install } from '../../support/sandbox-install.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';

const IMAGE = 'localhost/terok-setup-sandbox-hooktest:latest';
const podmanWorks = spawnSync('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}}'], { encoding: 'utf8' }).status === 0;
const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));

function ensureImage(): void {
  if (spawnSync('podman', ['image', 'exists', IMAGE]).status === 0) return;
  const ctxDir = mkdtempSync(path.join(os.tmpdir(), 'terok-hooktest-image-'));
  try {
    copyFileSync(busybox!, path.join(ctxDir, 'busybox'));
    writeFileSync(path.join(ctxDir, 'Containerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\n');
    execFileSync('podman', ['build', '-q', '-t', IMAGE, '-f', path.join(ctxDir, 'Containerfile'), ctxDir], { stdio: 'pipe' });
  } finally {
    rmSync(ctxDir, { recursive: true, force: true });
  }
}

test('the installed shield hook fires for an annotated container (real podman)', { skip: !podmanWorks || !busybox ? 'podman or busybox-static not available' : false, timeout: 180_000 }, async () => {
  const host = createSandboxHost();
  try {
    const fixture = createTerokFixture(host);
    failingKeyctl(host);
    const result = await install(host, { passphraseTier: 'kernel-keyring' });
    assert.equal(result.exitCode, 0, result.rec.lines.join('\n'));
    ensureImage();

    // podman reads only CONTAINERS_CONF: the user file we edited plus this machine's runtime settings.
    const userConf = readFileSync(resolvePaths(host.ctx).containersConf, 'utf8');
    const conf = path.join(host.root, 'podman-test.conf');
    writeFileSync(conf, userConf.replace('[engine]', '[engine]\nruntime = "runc"') + '\n[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n');
    const env = { ...process.env, CONTAINERS_CONF: conf };

    const plain = spawnSync('podman', ['run', '--rm', IMAGE, 'true'], { env, encoding: 'utf8' });
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(existsSync(fixture.marker), false, 'an unannotated container must not trigger the shield hook');

    const run = spawnSync('podman', ['run', '--rm', '--annotation', 'terok.shield.profiles=dev-standard', IMAGE, 'true'], { env, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(existsSync(fixture.marker), 'shield hook did not run');
    const stages = readFileSync(fixture.marker, 'utf8').trim().split('\n');
    assert.ok(stages.includes('createRuntime'), `hook stages seen: ${stages.join(', ')}`);
  } finally {
    host.cleanup();
  }
});
