import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gitStep } from '../../../main/core/steps/git.ts';
import { makeProbeEnv } from '../../../main/core/steps/probe-env.ts';
import { createSandboxHost } from '../../support/host.ts';

const settings = { provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null };

test('git on PATH → ok', async () => {
  const host = createSandboxHost({ inheritPath: false });
  host.writeBin('git', '#!/bin/sh\nexit 0\n');
  assert.deepEqual((await gitStep.probe(makeProbeEnv(host.ctx, settings))).result, { name: 'git', ok: true, message: 'ok' });
  host.cleanup();
});

test('git missing → not ok, "gate disabled"', async () => {
  const host = createSandboxHost({ inheritPath: false });
  assert.deepEqual((await gitStep.probe(makeProbeEnv(host.ctx, settings))).result, { name: 'git', ok: false, message: 'not found on PATH — git gate disabled' });
  host.cleanup();
});

test('a non-executable file named git does not count', async () => {
  const host = createSandboxHost({ inheritPath: false });
  host.write('bin/git', 'not a program', 0o644);
  assert.equal((await gitStep.probe(makeProbeEnv(host.ctx, settings))).result.ok, false);
  host.cleanup();
});
