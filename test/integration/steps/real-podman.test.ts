/** The probes against the real podman on this machine (no stand-ins). */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { imagesStep } from '../../../main/core/steps/images.ts';
import { podmanStep } from '../../../main/core/steps/podman.ts';
import { makeProbeEnv } from '../../../main/core/steps/probe-env.ts';
import { runSweep } from '../../../main/core/steps/readiness.ts';
import { l1AliasTag } from '../../../main/core/images/tags.ts';
import { createSandboxHost } from '../../support/host.ts';
import { buildTinyImage, createVaultFixture, installShieldHooksFixture, removeImages, writeStampFixture } from '../../support/fixtures.ts';

const base = `localhost/terok-probe-${randomBytes(4).toString('hex')}:1`;
const settings = { provider: 'claude', baseImage: base, family: null, credentialSet: 'default', mountsDir: null };

before(async () => { await buildTinyImage([l1AliasTag(base)]); });
after(async () => { await removeImages([l1AliasTag(base)]); });

test('real podman answers the version probe', async () => {
  const host = createSandboxHost();
  const out = await podmanStep.probe(makeProbeEnv(host.ctx, settings));
  assert.equal(out.result.ok, true);
  assert.match(String(out.facts.version), /^\d+\.\d+/);
  host.cleanup();
});

test('the images probe sees a real tag and misses an absent one', async () => {
  const host = createSandboxHost();
  assert.deepEqual((await imagesStep.probe(makeProbeEnv(host.ctx, settings))).result, { name: 'container images', ok: true, message: 'ready' });
  const absent = { ...settings, baseImage: `localhost/terok-absent-${randomBytes(4).toString('hex')}:1` };
  assert.deepEqual((await imagesStep.probe(makeProbeEnv(host.ctx, absent))).result, { name: 'container images', ok: false, message: 'not built' });
  host.cleanup();
});

test('a full sweep on a ready sandboxed host is ready', async () => {
  const host = createSandboxHost();
  installShieldHooksFixture(host);
  writeStampFixture(host);
  createVaultFixture(host, { credentials: [{ set: 'default', provider: 'anthropic', data: { type: 'api_key', key: 'x' } }], sshKeyScope: 'standalone' });
  const report = await runSweep(host.ctx, settings);
  assert.deepEqual(report.verdict, { ready: true, reasons: [], unmet: [], bypass: false });
  host.cleanup();
});
