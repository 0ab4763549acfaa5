/** The step registry: every list the engine, CLI and wizard read is derived from STEPS, consistently. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../../main/core/engine.ts';
import { registerSetupModules } from '../../../main/core/modules.ts';
import { TASK_STEP_NAMES } from '../../../main/core/task-steps.ts';
import { credentialsStep, type CredentialsFacts } from '../../../main/core/steps/credentials.ts';
import { defineStep, type FixCall, type FixPlan, type StepDescriptor, type StepFix } from '../../../main/core/steps/descriptor.ts';
import { imagesStep } from '../../../main/core/steps/images.ts';
import type { CheckResult } from '../../../main/core/steps/probe-env.ts';
import { verdictOf } from '../../../main/core/steps/readiness.ts';
import { LAUNCH_ORDER, PREFLIGHT_STEPS, STEP_IDS, STEP_PAGES, STEPS, stepOf, type StepId } from '../../../main/core/steps/registry.ts';
import { sandboxStep, type SandboxFacts } from '../../../main/core/steps/sandbox.ts';
import { sshKeyStep } from '../../../main/core/steps/ssh-key.ts';
import { createSandboxHost } from '../../support/host.ts';

const settings = { provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null };

test('STEP_IDS lists every step in page order: podman, git, sandbox, vault, images, ssh, credentials', () => {
  assert.deepEqual(STEP_IDS, ['podman', 'git', 'sandbox', 'vault', 'images', 'ssh', 'credentials']);
  assert.deepEqual(STEP_IDS, STEPS.map((s) => s.id));
});

test("PREFLIGHT_STEPS are exactly terok's six gate lines in terok's order (no wizard-only step)", () => {
  assert.deepEqual(PREFLIGHT_STEPS.map((s) => s.id), ['podman', 'git', 'sandbox', 'images', 'ssh', 'credentials']);
  assert.ok(PREFLIGHT_STEPS.every((s) => s.gate === 'terok-preflight'));
  assert.deepEqual(PREFLIGHT_STEPS.map((s) => s.checkName(settings)), ['podman', 'git', 'sandbox services', 'container images', 'ssh key', 'claude credentials']);
});

test('LAUNCH_ORDER holds every id exactly once', () => {
  assert.equal(LAUNCH_ORDER.length, STEP_IDS.length);
  assert.deepEqual([...LAUNCH_ORDER].sort(), [...STEP_IDS].sort());
});

test("LAUNCH_ORDER starts every 'child-process' probe before any other kind", () => {
  const costs = LAUNCH_ORDER.map((id) => stepOf(id).cost);
  const lastChild = costs.lastIndexOf('child-process');
  const firstOther = costs.findIndex((c) => c !== 'child-process');
  assert.ok(lastChild >= 0, 'some probe spawns a child process');
  assert.ok(firstOther === -1 || lastChild < firstOther, `launch costs: ${costs.join(', ')}`);
});

test('LAUNCH_ORDER keeps registry order among steps of the same cost', () => {
  for (const cost of new Set(STEPS.map((s) => s.cost))) {
    const inLaunch = LAUNCH_ORDER.filter((id) => stepOf(id).cost === cost);
    const inRegistry = STEP_IDS.filter((id) => stepOf(id).cost === cost);
    assert.deepEqual(inLaunch, inRegistry, cost);
  }
});

test('stepOf finds each descriptor by its id', () => {
  for (const s of STEPS) assert.equal(stepOf(s.id), s);
});

test('STEP_PAGES mirrors STEPS: id, title, requirement, gate, about, fix action, fix tasks and "again" action', () => {
  assert.equal(STEP_PAGES.length, STEPS.length);
  for (const [i, s] of STEPS.entries()) {
    const page = STEP_PAGES[i]!;
    const fix = 'fix' in s ? s.fix : undefined;
    assert.deepEqual(page, {
      id: s.id, title: s.title, requirement: s.requirement, gate: s.gate, about: s.about,
      fixAction: fix?.action ?? null,
      fixTasks: [...(fix?.tasks ?? [])],
      againAction: (fix && 'again' in fix ? fix.again?.action : undefined) ?? null,
      recover: [...(fix && 'recover' in fix ? fix.recover ?? [] : [])],
    }, s.id);
  }
  // The images page is the one with a "run again" button, and the one a failed fix offers another base image or an import on.
  assert.equal(STEP_PAGES.find((p) => p.id === 'images')!.againAction, 'Rebuild');
  assert.deepEqual(STEP_PAGES.find((p) => p.id === 'images')!.recover, ['base-image', 'import-image']);
});

test("no wizard-only step is 'required', so none can make terok's verdict 'not ready'", () => {
  const wizard = STEPS.filter((s) => s.gate === 'wizard');
  assert.ok(wizard.length > 0, 'the vault is a wizard-only step');
  for (const s of wizard) assert.notEqual(s.requirement, 'required', s.id);
  // Every preflight line passing and every wizard-only line failing is still ready.
  const results = new Map<StepId, CheckResult>(STEPS.map((s) => [s.id, { name: s.checkName(settings), ok: s.gate !== 'wizard', message: '' }]));
  assert.equal(verdictOf(results, { verdict: 'ok', message: '' }, false).ready, true);
});

test('every dependsOn names a step that comes earlier in the registry', () => {
  for (const [i, s] of STEPS.entries()) {
    for (const dep of s.dependsOn) {
      const at = STEP_IDS.indexOf(dep as StepId);
      assert.ok(at >= 0, `${s.id} depends on unknown '${dep}'`);
      assert.ok(at < i, `${s.id} depends on '${dep}', which comes later`);
    }
  }
});

/** A step's fix (failing the test when it has none). */
function fixOf<F>(step: StepDescriptor<string, F>): StepFix<F> {
  assert.ok(step.fix, `${step.id} has a fix`);
  return step.fix;
}

/** Representative sandbox facts: terok not installed but installable with pipx, and a tier to choose. */
function sandboxFacts(): SandboxFacts {
  return {
    health: 'setup-needed', hooksDirs: [], hooksDirsSource: 'default', installedBundleVersion: null, expectedBundleVersion: null, issues: [],
    hostTools: [],
    terok: { via: null, packages: {}, error: null, install: { argv: ['pipx', 'install', 'terok'], display: 'pipx install terok', prerequisite: null } },
    containersConfPlan: { warning: null, error: null },
    hookTree: [],
    installBlock: null,
    vault: {
      provisioned: false, source: null, reason: null, locked: false, needsChoice: true,
      choices: [
        { tier: 'keyring', available: false, reason: 'no session bus', description: 'login keyring' },
        { tier: 'kernel-keyring', available: true, description: 'RAM-only cache' },
      ],
    },
    setup: 'first_run', shieldHooksDir: '/x/hooks', containersConf: '/x/containers.conf',
  };
}

const credentialFacts = (modes: string[] | null): CredentialsFacts => ({
  provider: 'claude', credentialProvider: 'anthropic', credentialSet: 'default', dbPath: '/x/credentials.db',
  auth: modes ? { label: 'Claude', modes, apiKeyHint: null, loginCommand: modes.includes('oauth') ? 'terok-setup auth claude --oauth --credential-set default' : null } : null, credentialType: null, reason: null,
});

/** Every call a plan can produce, following an `ask` with each answer it may get. */
function callsOf(plan: FixPlan): FixCall[] {
  if ('run' in plan) return plan.run;
  if ('unfixable' in plan) return [];
  return [plan.then({ kind: 'credential', apiKey: 'k' }), plan.then({ kind: 'credential', skip: true })].flatMap((c) => c ?? []);
}

/** Each fix plan, for facts that exercise its branches. */
const PLANS: { id: StepId; tasks: readonly string[]; plans: FixPlan[] }[] = [
  {
    id: 'sandbox', tasks: fixOf(sandboxStep).tasks,
    plans: [
      fixOf(sandboxStep).plan(settings, sandboxFacts(), { pickTier: true }),
      fixOf(sandboxStep).plan(settings, sandboxFacts(), { passphraseTier: 'keyring' }),
      fixOf(sandboxStep).plan(settings, { ...sandboxFacts(), terok: { via: '/usr/bin/terok', packages: {}, error: null, install: null } }, {}),
    ],
  },
  { id: 'images', tasks: fixOf(imagesStep).tasks, plans: [fixOf(imagesStep).plan(settings, { baseImage: 'ubuntu:24.04', slug: 'ubuntu-24.04', l0: 'l0', l1: 'l1', configProblem: null }, {})] },
  { id: 'ssh', tasks: fixOf(sshKeyStep).tasks, plans: [fixOf(sshKeyStep).plan(settings, { scope: 'standalone', keys: [], reason: null }, {})] },
  {
    id: 'credentials', tasks: fixOf(credentialsStep).tasks,
    plans: [['api_key', 'oauth'], ['oauth'], null].map((m) => fixOf(credentialsStep).plan(settings, credentialFacts(m), {})),
  },
];

test('the plan table covers every step that has a fix', () => {
  assert.deepEqual(PLANS.map((p) => p.id), STEPS.filter((s) => 'fix' in s && s.fix).map((s) => s.id));
});

test("every fix plan only calls tasks listed in its descriptor's `tasks`", () => {
  for (const { id, tasks, plans } of PLANS) {
    const called = plans.flatMap(callsOf).map((c) => c.task);
    assert.ok(called.length > 0, `${id}: some plan runs a task`);
    for (const task of called) assert.ok(tasks.includes(task), `${id} plan calls '${task}', not in [${tasks.join(', ')}]`);
  }
});

test('the sandbox plan installs terok first when pipx can, and picks the first available tier with pickTier', () => {
  const plan = fixOf(sandboxStep).plan(settings, sandboxFacts(), { pickTier: true });
  assert.ok('run' in plan);
  assert.deepEqual(plan.run.map((c) => [c.task, c.params]), [['terok.install', {}], ['sandbox.install', { passphraseTier: 'kernel-keyring' }]]);
  // Without pickTier a needed choice stays unmade (the install reports it).
  const unpicked = fixOf(sandboxStep).plan(settings, sandboxFacts(), {});
  assert.ok('run' in unpicked);
  assert.deepEqual(unpicked.run.at(-1)!.params, {});
});

test('the credentials plan asks for a key and turns only an API-key answer into a credentials.api-key call', () => {
  const plan = fixOf(credentialsStep).plan(settings, credentialFacts(['api_key']), {});
  assert.ok('ask' in plan);
  assert.equal(plan.ask.kind, 'credential');
  assert.deepEqual(plan.then({ kind: 'credential', apiKey: 'sk-1' }), [{ task: 'credentials.api-key', params: { agent: 'claude', credentialSet: 'default', apiKey: 'sk-1' } }]);
  assert.equal(plan.then({ kind: 'credential', skip: true }), null);
});

test('every task a fix lists (and the Rebuild task) is registered by registerSetupModules on a fresh engine', () => {
  const host = createSandboxHost();
  let engine: Engine | undefined;
  try {
    engine = new Engine(host.ctx);
    registerSetupModules(engine);
    const tasks = STEPS.flatMap((s) => ('fix' in s && s.fix ? [...s.fix.tasks] : []));
    assert.ok(tasks.length >= 6);
    for (const task of tasks) assert.ok(engine.tasks.hasStep(task), `'${task}' is not registered`);
    // Rebuild runs a task the images page already shows logs for.
    const again = fixOf(imagesStep).again!.call(settings).task;
    assert.ok(engine.tasks.hasStep(again) && fixOf(imagesStep).tasks.includes(again));
    // The orchestrator's own tasks and the recovery-key acknowledgement it runs.
    for (const task of ['setup.fix-all', 'setup.fix', 'vault.acknowledge-recovery']) assert.ok(engine.tasks.hasStep(task), task);
  } finally {
    engine?.dispose();
    host.cleanup();
  }
});

test('a descriptor without a probe does not type-check (tsc fails on an unused @ts-expect-error)', () => {
  // @ts-expect-error -- `probe` is required: a step that cannot be checked must not compile.
  const noProbe = defineStep({
    id: 'no-probe', title: 'No probe', requirement: 'info', gate: 'wizard', dependsOn: [], cost: 'files', about: '',
    checkName: () => 'no probe',
    unmet: () => ({ stream: 'stdout', lines: [] }),
    explain: () => ({ headline: '' }),
  });
  // At run time defineStep is the identity; the check above is the compiler's.
  assert.equal('probe' in noProbe, false);
});

test("credentials' checkName is named after the provider", () => {
  assert.equal(credentialsStep.checkName({ ...settings, provider: 'codex' }), 'codex credentials');
  assert.equal(stepOf('credentials').checkName({ ...settings, provider: 'claude' }), 'claude credentials');
});

test('the typed task map names exactly the task steps the engine registers', () => {
  const host = createSandboxHost();
  try {
    const engine = new Engine(host.ctx);
    registerSetupModules(engine);
    assert.deepEqual(engine.tasks.stepNames(), [...TASK_STEP_NAMES].sort());
  } finally {
    host.cleanup();
  }
});
