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
