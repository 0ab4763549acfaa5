import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandError, runCommand, tailLines } from '../../../main/core/host/process.ts';

test('captures stdout, stderr and the exit code of an argument-array command', async () => {
  const r = await runCommand('sh', ['-c', 'echo out; echo err >&2'], { timeoutMs: 5000 });
  assert.deepEqual(r, { exitCode: 0, stdout: 'out\n', stderr: 'err\n' });
});

test('arguments are never interpreted by a shell', async () => {
  const r = await runCommand('printf', ['%s', '$(echo injected); rm -rf /'], { timeoutMs: 5000 });
  assert.equal(r.stdout, '$(echo injected); rm -rf /');
});

test('a non-zero exit throws a CommandError with the command, the code and the stderr tail', async () => {
  const err = await runCommand('sh', ['-c', 'for i in $(seq 1 30); do echo line$i >&2; done; exit 7'], { timeoutMs: 5000 }).catch((e: unknown) => e);
  assert.ok(err instanceof CommandError);
  assert.equal(err.reason, 'exit');
  assert.equal(err.exitCode, 7);
  assert.deepEqual(err.command.slice(0, 2), ['sh', '-c']);
  assert.equal(err.stderrTail.split('\n').length, 20, 'keeps the last 20 lines');
  assert.match(err.stderrTail, /line30$/);
  assert.equal(err.message, 'sh exited with code 7: line30');
});

test('allowNonZero resolves with the exit code instead of throwing', async () => {
  assert.equal((await runCommand('sh', ['-c', 'exit 1'], { timeoutMs: 5000, allowNonZero: true })).exitCode, 1);
});

test('a missing program is reported as not installed', async () => {
  const err = await runCommand('definitely-not-a-program-xyz', [], { timeoutMs: 5000 }).catch((e: unknown) => e);
  assert.ok(err instanceof CommandError);
  assert.equal(err.reason, 'not-found');
  assert.equal(err.message, 'definitely-not-a-program-xyz is not installed (not found on PATH)');
});

test('a timeout kills the process and everything it started', async () => {
  const started = Date.now();
  const err = await runCommand('sh', ['-c', 'sleep 30 & sleep 30; echo never'], { timeoutMs: 200 }).catch((e: unknown) => e);
  assert.ok(err instanceof CommandError);
  assert.equal(err.reason, 'timeout');
  assert.ok(Date.now() - started < 4000, `returned after ${Date.now() - started} ms`);
});

test('an AbortSignal cancels a running command', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 150);
  const err = await runCommand('sleep', ['30'], { timeoutMs: 30_000, signal: controller.signal }).catch((e: unknown) => e);
  assert.ok(err instanceof CommandError);
  assert.equal(err.reason, 'cancelled');
});

test('an already-aborted signal never lets the command run to completion', async () => {
  const err = await runCommand('sleep', ['5'], { timeoutMs: 30_000, signal: AbortSignal.abort() }).catch((e: unknown) => e);
  assert.equal((err as CommandError).reason, 'cancelled');
});

test('onLine streams complete lines from both streams as they arrive, including a last line without newline', async () => {
  const seen: string[] = [];
  await runCommand('sh', ['-c', 'echo a; echo b >&2; printf "c\\r\\nd"'], { timeoutMs: 5000, onLine: (l, s) => seen.push(`${s}:${l}`) });
  assert.deepEqual(seen.filter((l) => l.startsWith('stdout')), ['stdout:a', 'stdout:c', 'stdout:d']);
  assert.deepEqual(seen.filter((l) => l.startsWith('stderr')), ['stderr:b']);
});

test('input is written to stdin (how secrets are passed, never as arguments)', async () => {
  assert.equal((await runCommand('cat', [], { timeoutMs: 5000, input: 'secret-value' })).stdout, 'secret-value');
});

test('tailLines keeps the last n lines and drops trailing blank space', () => {
  assert.equal(tailLines('a\nb\nc\n\n', 2), 'b\nc');
});

/**
 * A parent node process that runs `sh -c 'echo $$ > pidfile; exec sleep 1000'`
 * through runCommand and never handles signals itself; the test signals the
 * parent and then looks for the child.
 */
async function parentWithChild(signal: NodeJS.Signals, opts: { ownHandler?: boolean | 'once'; ignoreTerm?: boolean } = {}) {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, readFileSync, rmSync, existsSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'terok-setup-test-'));
  const pidFile = path.join(dir, 'child.pid');
  const runner = new URL('../../../main/core/host/process.ts', import.meta.url).href;
  const childScript = opts.ignoreTerm ? `trap "" TERM; echo $$ > ${pidFile}; while :; do sleep 0.05; done` : `echo $$ > ${pidFile}; exec sleep 1000`;
  const code = [
    `import { runCommand } from ${JSON.stringify(runner)};`,
    opts.ownHandler ? `process.${opts.ownHandler === 'once' ? 'once' : 'on'}(${JSON.stringify(signal)}, () => { console.log('handled'); });` : '',
    `runCommand('sh', ['-c', ${JSON.stringify(childScript)}], { timeoutMs: 60000 }).catch(() => {});`,
    opts.ownHandler ? 'setTimeout(() => process.exit(0), 1000);' : '',
  ].join('\n');
  const parent = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  const deadline = Date.now() + 10_000;
  while (!existsSync(pidFile) || !readFileSync(pidFile, 'utf8').trim()) {
    if (Date.now() > deadline) throw new Error('the child never started');
    await new Promise((r) => setTimeout(r, 20));
  }
  const childPid = Number(readFileSync(pidFile, 'utf8').trim());
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => parent.on('exit', (c, s) => resolve({ code: c, signal: s })));
  parent.kill(signal);
  const how = await exited;
  // A zombie is dead: on a machine whose init does not reap, an orphaned zombie lingers.
  const alive = () => { try { return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${childPid}/stat`, 'utf8')); } catch { return false; } };
  const gone = Date.now() + 1000;
  while (alive() && Date.now() < gone) await new Promise((r) => setTimeout(r, 20));
  const childAlive = alive();
  if (childAlive) process.kill(childPid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  return { ...how, childAlive, out };
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  test(`${signal} to a parent that does not handle it: the child dies first, then the parent dies of ${signal}`, async () => {
    const r = await parentWithChild(signal);
    assert.equal(r.signal, signal, 'the parent still dies of the signal it got');
    assert.equal(r.childAlive, false, 'the child outlived its parent');
  });
}

test('a child that ignores SIGTERM gets SIGKILL after the grace period when its parent is signalled', async () => {
  const r = await parentWithChild('SIGTERM', { ignoreTerm: true });
  assert.equal(r.signal, 'SIGTERM');
  assert.equal(r.childAlive, false);
});

test('a parent that handles the signal itself keeps control: nothing is killed behind its back', async () => {
  const r = await parentWithChild('SIGTERM', { ownHandler: true });
  assert.match(r.out, /handled/);
  assert.equal(r.code, 0, 'the parent exited on its own terms');
  // Exit of the parent (normal exit) still takes the child along.
  assert.equal(r.childAlive, false);
});

test('a relative PATH entry is never searched (a program in the working directory must not be picked up)', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'terok-setup-test-'));
  try {
    writeFileSync(path.join(dir, 'planted'), '#!/bin/sh\necho planted\n', { mode: 0o755 });
    const err = await runCommand('planted', [], { timeoutMs: 5000, cwd: dir, env: { PATH: '.' }, extendEnv: false }).catch((e: unknown) => e);
    assert.ok(err instanceof CommandError && err.reason === 'not-found', String(err));
    const ok = await runCommand('planted', [], { timeoutMs: 5000, env: { PATH: dir }, extendEnv: false });
    assert.equal(ok.stdout, 'planted\n', 'an absolute entry is searched');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a parent whose handler is a `once` listener (removed as it fires) also keeps control', async () => {
  const r = await parentWithChild('SIGINT', { ownHandler: 'once' });
  assert.match(r.out, /handled/);
  assert.equal(r.code, 0, 'not killed by a re-raised signal');
  assert.equal(r.childAlive, false);
});
