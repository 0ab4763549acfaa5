/**
 * Some suites skip themselves when a prerequisite is missing (podman,
 * busybox, Chromium, the built renderer, gcc, 7za) so a developer without them
 * still gets the rest. In CI (REQUIRE_ALL=1, set by .ci/run) a skip would
 * hide a regression, so a missing prerequisite fails here instead.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { which } from '../../main/core/host/which.ts';
import { rendererBuilt, CHROMIUM } from '../e2e/harness.ts';
import { busyboxPath } from '../support/podman-base.ts';
import { runningAsRoot } from '../support/rootless.ts';
import { packageKitRootUnavailable } from '../support/packagekit-root.ts';

const env = { env: process.env };

test('every skippable suite can run in CI', { skip: process.env.REQUIRE_ALL !== '1' && 'only enforced with REQUIRE_ALL=1' }, () => {
  assert.ok(which(env, 'podman'), 'podman is installed');
  assert.ok(busyboxPath(), 'busybox-static is installed');
  assert.ok(existsSync('/usr/bin/7za'), '7za (p7zip-full) is installed for the packaging tests');
  assert.ok(existsSync(CHROMIUM), `Chromium is at ${CHROMIUM}`);
  assert.ok(rendererBuilt(), 'the renderer was built before the tests');
  assert.ok(which(env, 'gcc') && which(env, 'python3'), 'gcc and python3 are installed');
  assert.ok(which(env, 'ansible-playbook'), 'ansible-core is installed for the fleet role\'s tests (the rootless lane runs them)');
  assert.ok(existsSync('out/main/cli.js'), 'the CLI was built (the role runs it)');
  // The real-PackageKit tests need root to start their throwaway root: the root lane must run them.
  if (runningAsRoot) assert.equal(packageKitRootUnavailable(), false, 'the PackageKit test root can start (debootstrap, unshare, dpkg-deb)');
  // The rootless lane names its podman quirks, or the rootless hook test could not check they survive.
  if (!runningAsRoot) assert.ok(process.env.TEROK_TEST_CONTAINERS_CONF && existsSync(process.env.TEROK_TEST_CONTAINERS_CONF), 'TEROK_TEST_CONTAINERS_CONF names the lane\'s containers.conf');
});
