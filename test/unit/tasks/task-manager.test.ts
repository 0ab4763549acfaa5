import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCommand } from '../../../main/core/host/process.ts';
import { TaskError, TaskManager, type TaskEvent } from '../../../main/core/tasks/task-manager.ts';

function collect(tm: TaskManager): TaskEvent[] {
  const events: TaskEvent[] = [];
  tm.subscribe((e) => events.push(e));
  return events;
}

test('a task streams stage, log and progress events, then done with its result', async () => {
  const tm = new TaskManager();
  tm.register('demo', async (_p, t) => {
    await t.stage('Step one', (s) => s.ok('fine'));
    t.log('hello');
    t.progress(1, 2, 'half');
    return { answer: 42 };
  });
  const events = collect(tm);
  const id = tm.start('demo', {});
  assert.equal(await tm.wait(id), 'done');
  assert.deepEqual(events.map((e) => e.type), ['stage', 'stage', 'log', 'progress', 'done']);
  assert.deepEqual(events.at(-1), { ...events.at(-1), type: 'done', result: { answer: 42 } });
  assert.ok(events.every((e, i) => i === 0 || e.seq > events[i - 1]!.seq));
});

test('history is kept after failure: a late viewer sees the whole log and the failure', async () => {
  const tm = new TaskManager();
  tm.register('boom', async (_p, t) => { t.log('before'); await runCommand('sh', ['-c', 'echo oops >&2; exit 4'], { timeoutMs: 5000 }); });
  const id = tm.start('boom', {});
  assert.equal(await tm.wait(id), 'failed');
  const events = tm.events(id);
  assert.equal(events[0]?.type, 'log');
  const failed = events.at(-1);
  assert.equal(failed?.type, 'failed');
  if (failed?.type === 'failed') {
    assert.equal(failed.error.code, 'command-exit');
    assert.equal(failed.error.exitCode, 4);
    assert.equal(failed.error.stderrTail, 'oops');
    assert.deepEqual(failed.error.command, ['sh', '-c', 'echo oops >&2; exit 4']);
  }
});

test('cancel aborts the running command and ends the task as cancelled', async () => {
  const tm = new TaskManager();
  tm.register('slow', async (_p, t) => { await runCommand('sleep', ['30'], { timeoutMs: 60_000, signal: t.signal }); });
  const id = tm.start('slow', {});
  setTimeout(() => tm.cancel(id), 100);
  assert.equal(await tm.wait(id), 'cancelled');
  const last = tm.events(id).at(-1);
  assert.equal(last?.type === 'failed' && last.error.code, 'cancelled');
});

test('starting a running step again returns the same task instead of a second run', async () => {
  const tm = new TaskManager();
  let runs = 0;
  tm.register('once', async () => { runs++; await new Promise((r) => setTimeout(r, 50)); });
  const a = tm.start('once', {});
  const b = tm.start('once', {});
  assert.equal(a, b);
  await tm.wait(a);
  assert.equal(runs, 1);
});

test('an unknown step is a TaskError with a clear message', () => {
  const tm = new TaskManager();
  assert.throws(() => tm.start('nope', {}), (e: unknown) => e instanceof TaskError && e.message === "no setup step named 'nope'");
});

test('redactResults blanks a one-time secret in the stored history of a step', async () => {
  const tm = new TaskManager();
  tm.register('install', async () => ({ exitCode: 0, generatedPassphrase: 'one-time-secret' }));
  const id = tm.start('install', {});
  await tm.wait(id);
  assert.equal(tm.redactResults('install', 'generatedPassphrase'), 1);
  const done = tm.events(id).at(-1);
  assert.deepEqual(done?.type === 'done' && done.result, { exitCode: 0, generatedPassphrase: null });
  assert.ok(!JSON.stringify(tm.events(id)).includes('one-time-secret'));
});

test('a step that returns after cancel ends done with its result (it may hold a one-time secret)', async () => {
  const tm = new TaskManager();
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  tm.register('late', async (_p, t) => {
    await gate;
    return { aborted: t.signal.aborted, generatedPassphrase: 'shown-once' };
  });
  const id = tm.start('late', {});
  assert.equal(tm.cancel(id), true);
  release();
  assert.equal(await tm.wait(id), 'done');
  const last = tm.events(id).at(-1);
  assert.deepEqual(last?.type === 'done' && last.result, { aborted: true, generatedPassphrase: 'shown-once' });
});

test('a step that throws after cancel ends cancelled, whatever it threw', async () => {
  const tm = new TaskManager();
  tm.register('throws', async (_p, t) => {
    await new Promise<void>((resolve) => t.signal.addEventListener('abort', () => resolve()));
    throw new Error('some unrelated failure while stopping');
  });
  const id = tm.start('throws', {});
  setTimeout(() => tm.cancel(id), 10);
  assert.equal(await tm.wait(id), 'cancelled');
  const last = tm.events(id).at(-1);
  assert.equal(last?.type === 'failed' && last.error.code, 'cancelled');
});

test('a step that throws without cancel still fails with its own error', async () => {
  const tm = new TaskManager();
  tm.register('bad', async () => { throw new TaskError({ code: 'nope', message: 'no good' }); });
  const id = tm.start('bad', {});
  assert.equal(await tm.wait(id), 'failed');
  const last = tm.events(id).at(-1);
  assert.equal(last?.type === 'failed' && last.error.code, 'nope');
});

test('a cancel that arrives while a sub-task is still in its first synchronous stretch reaches the sub-task', async () => {
  const tm = new TaskManager();
  let subSawAbort = false;
  tm.register('child', async (_p, task) => {
    // Before the manager has linked the child to its parent's cancel (a signal handler can run here).
    tm.cancel(tm.list().find((t) => t.step === 'parent')!.id);
    // Without the link this waits forever (the test then fails: nothing is left to run).
    if (!task.signal.aborted) await new Promise((resolve) => task.signal.addEventListener('abort', resolve, { once: true }));
    subSawAbort = task.signal.aborted;
    return 'stopped';
  });
  tm.register('parent', async (_p, task) => (await task.runStep('child', {})).state);
  const parentId = tm.start('parent', {});
  await tm.wait(parentId);
  assert.equal(subSawAbort, true, 'the child was cancelled too, not left running');
});
