/**
 * How the CLI drives an engine task: start it, hand every event of it and its
 * sub-tasks to the caller, answer its user requests, and cancel it — with
 * every child process it started — on Ctrl-C, SIGTERM or SIGHUP.
 */
import type { Engine } from '../core/engine.ts';
import { killAllChildren, TERMINATING_SIGNALS } from '../core/host/process.ts';
import type { TaskEvent, TaskFailure, UserAnswer, UserRequest } from '../core/tasks/task-manager.ts';
import { EXIT_FAILURE, EXIT_USAGE, exitCodeForSignal } from './command.ts';

export interface TaskFace {
  /** Every event of the task and of its sub-tasks, in order. */
  onEvent(event: TaskEvent): void;
  /** Answer a request the task makes of the user. */
  answer(request: UserRequest): Promise<UserAnswer>;
}

export type TaskEnd =
  | { state: 'done'; result: unknown; interrupted: NodeJS.Signals | null }
  | { state: 'failed' | 'cancelled'; failure: TaskFailure; interrupted: NodeJS.Signals | null };

export async function driveTask(engine: Engine, step: string, params: unknown, face: TaskFace): Promise<TaskEnd> {
  const family = new Set<string>();
  const early: TaskEvent[] = [];
  let rootId = '';
  let interrupted: NodeJS.Signals | null = null;
  let end: TaskEnd | null = null;

  const handle = (e: TaskEvent) => {
    if (e.taskId !== rootId && !(e.parentId && family.has(e.parentId))) return;
    family.add(e.taskId);
    face.onEvent(e);
    if (e.taskId !== rootId) return;
    if (e.type === 'needs-user') {
      void face.answer(e.request).then((answer) => engine.tasks.respond(rootId, e.requestId, answer), () => engine.tasks.cancel(rootId));
    } else if (e.type === 'done') end = { state: 'done', result: e.result, interrupted };
    else if (e.type === 'failed') end = { state: e.error.code === 'cancelled' ? 'cancelled' : 'failed', failure: e.error, interrupted };
  };
  const unsubscribe = engine.tasks.subscribe((e) => (rootId ? handle(e) : early.push(e)));
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      // A second interrupt while the cancel winds down: stop waiting for it.
      killAllChildren(0);
      process.exit(exitCodeForSignal(signal));
    }
    interrupted = signal;
    engine.tasks.cancel(rootId);
  };
  for (const s of TERMINATING_SIGNALS) process.on(s, onSignal);
  try {
    rootId = engine.tasks.start(step, params);
    family.add(rootId);
    for (const e of early.splice(0)) handle(e);
    await engine.tasks.wait(rootId);
  } finally {
    for (const s of TERMINATING_SIGNALS) process.removeListener(s, onSignal);
    unsubscribe();
  }
  const last = end as TaskEnd | null;
  if (!last) return { state: 'failed', failure: { code: 'error', message: 'the task ended without an outcome' }, interrupted };
  return { ...last, interrupted };
}

/** A face that answers nothing (tasks that never ask). */
export const noQuestions = (onEvent: (e: TaskEvent) => void): TaskFace => ({
  onEvent,
  answer: async (request) => { throw new Error(`unexpected question: ${request.kind}`); },
});

/**
 * The exit code a task's end means for a command: 128 + the signal that
 * interrupted it, 2 for parameters it refused before doing anything (a usage
 * error, as every help text promises), 1 for any other failure; null when
 * it finished and the command decides.
 */
export function endExitCode(end: TaskEnd): number | null {
  if (end.interrupted) return exitCodeForSignal(end.interrupted);
  if (end.state === 'done') return null;
  if (end.state === 'cancelled') return exitCodeForSignal('SIGINT');
  return end.failure.code === 'invalid-params' ? EXIT_USAGE : EXIT_FAILURE;
}
