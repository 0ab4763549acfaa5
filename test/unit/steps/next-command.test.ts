import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextRunCommand } from '../../../main/core/steps/next-command.ts';

test("terok's default base needs no --base", () => {
  assert.equal(nextRunCommand({ provider: 'claude', baseImage: 'fedora:44' }), 'terok-executor run claude .');
});

test('any other base is named, so terok finds the images the wizard built', () => {
  assert.equal(nextRunCommand({ provider: 'codex', baseImage: 'ubuntu:24.04' }), 'terok-executor run codex . --base ubuntu:24.04');
});
