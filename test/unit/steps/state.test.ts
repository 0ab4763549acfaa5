/**
 * stateOf: what the sidebar shows for each status. Never attempted is a
 * neutral "todo" for every requirement; red "failed" only for what is broken,
 * and never on an informational step.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STEP_STATUSES, type Requirement, type StepStatus } from '../../../main/core/steps/descriptor.ts';
import { NOT_SET_UP, STEP_STATES, stateOf, stepReport } from '../../../main/core/steps/readiness.ts';
import { stepOf, type FactsOf, type Step } from '../../../main/core/steps/registry.ts';
import { NEEDS_REFRESH, REFRESH_NOTE } from '../../../main/core/steps/sandbox.ts';
import type { GateSettings } from '../../../main/core/settings.ts';

const REQUIREMENTS: Requirement[] = ['required', 'optional', 'info'];
const state = (requirement: Requirement, status: StepStatus, blocked = false) => stateOf({ requirement }, status, blocked);

test('stateOf: missing and not-set-up are "todo" for every requirement', () => {
  for (const r of REQUIREMENTS) {
    assert.equal(state(r, 'missing'), 'todo', r);
    assert.equal(state(r, 'not-set-up'), 'todo', r);
  }
});

test('stateOf: outdated, locked and degraded are warnings (nothing failed), for every requirement', () => {
  for (const r of REQUIREMENTS) for (const s of ['outdated', 'locked', 'degraded'] as const) assert.equal(state(r, s), 'warning', `${r} ${s}`);
});

test('stateOf: unresponsive and error are "failed" on required and optional steps, a warning on informational ones', () => {
  for (const s of ['unresponsive', 'error'] as const) {
    assert.equal(state('required', s), 'failed');
    assert.equal(state('optional', s), 'failed');
    assert.equal(state('info', s), 'warning');
  }
});

test('stateOf: blocked wins over every status; ok is ok; every result is a known state', () => {
  for (const r of REQUIREMENTS) {
    assert.equal(state(r, 'ok'), 'ok');
    for (const s of STEP_STATUSES) {
      assert.equal(state(r, s, true), 'blocked', `${r} ${s}`);
      assert.ok((STEP_STATES as readonly string[]).includes(state(r, s)), `${r} ${s}`);
    }
  }
  assert.ok(!(STEP_STATES as readonly string[]).includes('skipped'), 'core never says "skipped": only the user skips');
});

const settings: GateSettings = { provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null };

test('stepReport.summary: "Not set up yet" for a todo step, terok\'s message otherwise, the descriptor\'s own summary when it has one', () => {
  const ssh = stepOf('ssh') as Step;
  const todo = stepReport(ssh, { result: { name: 'ssh key', ok: false, message: "none registered for 'standalone'" }, status: 'missing', facts: { keys: [], scope: 'standalone', vaultProblem: null, reason: null } }, settings, new Map([['podman', 'ok']]));
  assert.equal(todo.state, 'todo');
  assert.equal(todo.summary, NOT_SET_UP);
  assert.equal(todo.result.message, "none registered for 'standalone'", "terok's line is kept as it is");
  const images = stepOf('images') as Step;
  const broken = stepReport(images, { result: { name: 'container images', ok: false, message: 'check failed: boom' }, status: 'error', facts: { baseImage: 'ubuntu:24.04', slug: 'ubuntu-24.04', l0: 'l0', l1: 'l1', configProblem: null } }, settings, new Map([['podman', 'ok']]));
  assert.equal(broken.state, 'failed');
  assert.equal(broken.summary, 'check failed: boom');
});

test('sandbox after a terok upgrade: "needs refresh" (a warning, with what is redone and kept), while terok\'s line stays "missing: shield hooks"', () => {
  const sandbox = stepOf('sandbox') as Step;
  const facts = { health: 'stale-hooks', setup: 'stale_after_update', hookTree: [], vault: { locked: false, needsChoice: false, choices: [] } } as unknown as FactsOf<'sandbox'>;
  const r = stepReport(sandbox, { result: { name: 'sandbox services', ok: false, message: 'missing: shield hooks' }, status: 'outdated', facts }, settings, new Map([['podman', 'ok']]));
  assert.equal(r.state, 'warning');
  assert.equal(r.result.message, 'missing: shield hooks');
  assert.equal(r.summary, NEEDS_REFRESH);
  assert.match(r.explanation.headline, /^Needs refresh after the terok upgrade: the installed firewall hooks are from the previous version\./);
  assert.equal(r.explanation.fixNote, REFRESH_NOTE);
  assert.match(REFRESH_NOTE, /keeps your vault, credentials, SSH keys and images/);
  // A downgrade is not "refresh": the banner says what to do, and no refresh note is offered.
  const down = stepReport(sandbox, { result: { name: 'sandbox services', ok: true, message: 'shield ready' }, status: 'outdated', facts: { ...facts, health: 'ok', setup: 'stale_after_downgrade' } }, settings, new Map([['podman', 'ok']]));
  assert.equal(down.explanation.fixNote, undefined);
  assert.doesNotMatch(down.summary, /refresh/i);
});
