/**
 * The sign-in terminal's pty sessions with the real node-pty: what is typed
 * reaches the process, output comes back in order, resize reaches the
 * process's terminal, close hangs the process group up (and kills what
 * ignores the hang-up after the grace period), input is bounded.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PTY_LIMITS, PtySessions, type PtyEvent } from '../../../main/core/auth/pty-session.ts';

const ENV = { PATH: '/usr/bin:/bin', HOME: '/tmp', LANG: 'C.UTF-8', TERM: 'xterm-256color' };
const OPTS = { cols: 80, rows: 24, cwd: '/tmp', env: ENV };

function recorder(sessions: PtySessions) {
  const events: PtyEvent[] = [];
  sessions.subscribe((e) => events.push(e));
  const text = (id: string) => events.filter((e) => e.sessionId === id && e.type === 'data').map((e) => (e as { data: string }).data).join('');
  const waitFor = async (id: string, re: RegExp, ms = 5000) => {
    const start = Date.now();
    while (!re.test(text(id))) {
      assert.ok(Date.now() - start < ms, `no ${re} in ${JSON.stringify(text(id))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const exitOf = (id: string) => events.find((e) => e.sessionId === id && e.type === 'exit');
  return { events, text, waitFor, exitOf };
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

test('typed input reaches the process and its output comes back; the exit is the last event', async () => {
  const sessions = new PtySessions();
  const r = recorder(sessions);
  const { sessionId } = sessions.start(['/bin/sh', '-c', 'read line; echo "got:$line"'], OPTS);
  sessions.write(sessionId, 'code-1234\r');
  await r.waitFor(sessionId, /got:code-1234/);
  const start = Date.now();
  while (!r.exitOf(sessionId)) { assert.ok(Date.now() - start < 5000); await new Promise((res) => setTimeout(res, 20)); }
  assert.deepEqual(r.exitOf(sessionId), { sessionId, type: 'exit', exitCode: 0, signal: null });
  assert.equal(r.events.at(-1)?.type, 'exit');
  assert.equal(sessions.active, 0);
  assert.throws(() => sessions.write(sessionId, 'x'), /already closed/);
});

test('resize reaches the process terminal, within bounds', async () => {
  const sessions = new PtySessions();
  const r = recorder(sessions);
  const { sessionId } = sessions.start(['/bin/sh', '-c', 'stty size; read x; stty size; read x; stty size'], { ...OPTS, cols: 100, rows: 30 });
  await r.waitFor(sessionId, /30 100/);
  sessions.resize(sessionId, 132, 43);
  sessions.write(sessionId, '\r');
  await r.waitFor(sessionId, /43 132/);
  sessions.resize(sessionId, 99_999, 1); // clamped, never passed on as is
  sessions.write(sessionId, '\r');
  await r.waitFor(sessionId, new RegExp(`${PTY_LIMITS.minRows} ${PTY_LIMITS.maxCols}`));
  await sessions.closeAll();
});

test('close hangs up the process group and waits for it to end (a login cleans up on SIGHUP)', async () => {
  const sessions = new PtySessions();
  const r = recorder(sessions);
  // The shell and a child of it in the same group: both must go.
  const { sessionId } = sessions.start(['/bin/sh', '-c', 'sleep 300 & echo "child:$!"; trap \'echo cleaning-up; sleep 0.3; echo cleaned; exit 0\' HUP; while :; do sleep 0.1; done'], OPTS);
  await r.waitFor(sessionId, /child:\d+/);
  const child = Number(/child:(\d+)/.exec(r.text(sessionId))![1]);
  assert.ok(alive(child));
  assert.equal(await sessions.close(sessionId), true);
  assert.match(r.text(sessionId), /cleaning-up[\s\S]*cleaned/, 'its last lines still reached the terminal');
  assert.ok(r.exitOf(sessionId));
  const start = Date.now();
  while (alive(child) && Date.now() - start < 3000) await new Promise((res) => setTimeout(res, 20));
  assert.equal(alive(child), false, 'the group got the hang-up');
  assert.equal(await sessions.close(sessionId), false, 'closing twice is harmless');
});

test('a process that ignores the hang-up is killed after the grace period', async () => {
  const sessions = new PtySessions(undefined, { graceMs: 300 });
  const r = recorder(sessions);
  const { sessionId } = sessions.start(['/bin/sh', '-c', 'trap "" HUP; echo "pid:$$"; while :; do sleep 0.1; done'], OPTS);
  await r.waitFor(sessionId, /pid:\d+/);
  const pid = Number(/pid:(\d+)/.exec(r.text(sessionId))![1]);
  const started = Date.now();
  await sessions.close(sessionId);
  assert.ok(Date.now() - started >= 250, 'it got its grace period');
  assert.equal(alive(pid), false);
  assert.equal(sessions.active, 0);
});

test('input is bounded; unknown sessions and too many sessions are refused', async () => {
  const sessions = new PtySessions();
  const { sessionId } = sessions.start(['/bin/cat'], OPTS);
  assert.throws(() => sessions.write(sessionId, 'x'.repeat(PTY_LIMITS.maxWrite + 1)), (err: Error & { failureCode?: string }) => /input too long/.test(err.message));
  sessions.write(sessionId, 'x'.repeat(PTY_LIMITS.maxWrite));
  assert.throws(() => sessions.write('00000000-0000-4000-8000-000000000000', 'x'), /already closed/);
  const more = Array.from({ length: PTY_LIMITS.maxSessions - 1 }, () => sessions.start(['/bin/cat'], OPTS));
  assert.equal(sessions.active, PTY_LIMITS.maxSessions);
  assert.throws(() => sessions.start(['/bin/cat'], OPTS), /sign-in terminals are open already/);
  await sessions.closeAll();
  assert.equal(sessions.active, 0);
  assert.equal(more.length, PTY_LIMITS.maxSessions - 1);
});

test('a program that cannot start is a clear failure', () => {
  const sessions = new PtySessions();
  assert.throws(() => sessions.start(['/nonexistent/terok-setup'], OPTS), /could not start \/nonexistent\/terok-setup|ENOENT|No such file/);
});
