/**
 * The typed contract between the renderer and the main process — the one
 * place that names every channel, its payload and its answer. Main, preload,
 * renderer and the test bridge all derive from this file (types only cross
 * into the renderer; nothing here imports node or electron).
 */
import type { AppInfoData, ProbeProgress } from '../core/engine.ts';
import type { GateSettings } from '../core/settings.ts';
import type { ReadinessReport } from '../core/steps/readiness.ts';
import type { TaskEvent, UserAnswer } from '../core/tasks/task-manager.ts';
import type { RosterView } from '../core/roster/view.ts';
import type { PtyEvent } from '../core/auth/pty-session.ts';

// The types the renderer may use: it imports them from here, never from core.
export type { GateSettings, PackageFamily } from '../core/settings.ts';
export type { PendingStep, ReadinessReport, StepReport, StepReportOf, StepState, Verdict } from '../core/steps/readiness.ts';
export type { ProbeProgress } from '../core/engine.ts';
export type { StepPage, StepId, FactsOf } from '../core/steps/registry.ts';
export type { StepStatus, Explanation } from '../core/steps/descriptor.ts';
export type { TaskEvent, TaskFailure, UserRequest, UserAnswer, SetupEvent } from '../core/tasks/task-manager.ts';
export type { StageUpdate } from '../core/tasks/stages.ts';
export type { RosterView } from '../core/roster/view.ts';
export type { PtyEvent } from '../core/auth/pty-session.ts';
export type { SetupVerdictReport } from '../core/sandbox/setup-stamp.ts';
export type { TaskStep, TaskStepMap, TaskParams, TaskResult } from '../core/task-steps.ts';
/** The command that shows the recovery key again (the wizard's card names the one the install log names). */
export { RECOVERY_REVEAL_COMMAND } from '../core/vault/recovery-commands.ts';
/** The one value from core the renderer uses (pure): paths shown as `~/…`, as in the report. */
export { homeToTilde } from '../core/host/tilde.ts';
/** Whether a step's status counts as in place (the verdict's rule; pure). */
export { isMet } from '../core/steps/descriptor.ts';

/** What the Welcome page needs to start: defaults, the agent list, the task steps this build offers. */
export type AppInfo = AppInfoData;

/** Renderer → main requests (`invoke`). */
export interface RequestMap {
  'app:info': { req: Record<string, never>; res: AppInfo };
  /** With a `sweepId` (the renderer's own), each probe's answer also arrives as a `probe:progress` event. */
  'probe:sweep': { req: { settings: GateSettings; sweepId?: string }; res: ReadinessReport };
  'task:start': { req: { step: string; params: Record<string, unknown> }; res: { taskId: string } };
  'task:cancel': { req: { taskId: string }; res: { cancelled: boolean } };
  /** Answer a task's `needs-user` request (the answer may carry an API key: it is never recorded). */
  'task:respond': { req: { taskId: string; requestId: string; answer: UserAnswer }; res: { accepted: boolean } };
  'shell:open-external': { req: { url: string }; res: { opened: boolean } };
  /** Copy text to the system clipboard (main does it: the renderer gets no clipboard permission). */
  'clipboard:write': { req: { text: string }; res: { copied: true } };
  /** An open-file dialog in main (the renderer never browses the disk); null when the user cancelled. */
  'dialog:open-file': { req: { purpose: 'image-archive' }; res: { path: string | null } };
  /** Open one of the user's files the page names as the problem (a broken roster file, an ignored config.yml) in the desktop's editor. */
  'shell:open-path': { req: { path: string }; res: { opened: true } };
  /**
   * "Save to a file…" for the unsaved recovery key: main asks where (a save
   * dialog) and writes the key it holds; the request carries no key.
   * `path` null: the user closed the dialog.
   */
  'recovery:save': { req: Record<string, never>; res: { path: string | null } };
  /** The roster as the wizard sees it: entries, user overrides, warnings, load errors. */
  'roster:view': { req: Record<string, never>; res: RosterView };
  /** "Copy report": a fresh sweep, versions, paths and the last failure as redacted Markdown. */
  'app:report': { req: { settings?: GateSettings }; res: { markdown: string } };
  /** Start an agent's OAuth sign-in in an embedded terminal (main picks the command: the CLI login); `command` is what a person would type. */
  'login:start': { req: { agent: string; credentialSet: string; cols: number; rows: number }; res: { sessionId: string; command: string } };
  /** Keystrokes or a paste for a sign-in terminal (never logged). */
  'login:input': { req: { sessionId: string; data: string }; res: { written: true } };
  'login:resize': { req: { sessionId: string; cols: number; rows: number }; res: { resized: true } };
  /** Hang up the sign-in terminal: its login container is stopped; resolves once it has ended. */
  'login:close': { req: { sessionId: string }; res: { closed: boolean } };
}

/** Main → renderer events. */
export interface EventMap {
  'task:event': TaskEvent;
  /** A probe of the sweep `sweepId` answered: the step reports that became final, and what is still out. */
  'probe:progress': ProbeProgress;
  /** The window regained focus: pages re-probe. */
  'app:focus': Record<string, never>;
  /** Menu → Re-run setup: go to the first page and sweep again. */
  'app:rerun': Record<string, never>;
  /** What a sign-in terminal printed (may hold a login URL or token: shown, never logged), then its exit. */
  'login:output': PtyEvent;
}

export type RequestChannel = keyof RequestMap;
export type EventChannel = keyof EventMap;
export type Req<C extends RequestChannel> = RequestMap[C]['req'];
export type Res<C extends RequestChannel> = RequestMap[C]['res'];

export interface IpcErrorBody {
  code: string;
  message: string;
  detail?: string;
}

/** Every answer crosses as an envelope, never as a thrown Error. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: IpcErrorBody };

/** Method names on `window.terok`, each bound to one request channel. */
export const API_METHODS = {
  appInfo: 'app:info',
  sweep: 'probe:sweep',
  startTask: 'task:start',
  cancelTask: 'task:cancel',
  respond: 'task:respond',
  openExternal: 'shell:open-external',
  copyText: 'clipboard:write',
  saveRecoveryKey: 'recovery:save',
  rosterView: 'roster:view',
  report: 'app:report',
  chooseFile: 'dialog:open-file',
  openPath: 'shell:open-path',
  startLogin: 'login:start',
  loginInput: 'login:input',
  resizeLogin: 'login:resize',
  closeLogin: 'login:close',
} as const satisfies Record<string, RequestChannel>;

export const REQUEST_CHANNELS = Object.values(API_METHODS) as RequestChannel[];
export const EVENT_CHANNELS: readonly EventChannel[] = ['task:event', 'probe:progress', 'app:focus', 'app:rerun', 'login:output'];

type Methods = typeof API_METHODS;

/** The shape of `window.terok` (frozen; named functions only). */
export type TerokApi = {
  [M in keyof Methods]: (payload: Req<Methods[M]>) => Promise<Envelope<Res<Methods[M]>>>;
} & {
  on<C extends EventChannel>(channel: C, listener: (payload: EventMap[C]) => void): () => void;
};

/**
 * Builds `window.terok` from a transport: Electron's ipcRenderer in the
 * preload, a loopback bridge in the browser tests. Same object either way.
 */
export function buildApi(
  invoke: (channel: RequestChannel, payload: unknown) => Promise<unknown>,
  subscribe: (channel: EventChannel, listener: (payload: unknown) => void) => () => void,
): TerokApi {
  const api: Record<string, unknown> = {};
  for (const [method, channel] of Object.entries(API_METHODS)) {
    api[method] = (payload: unknown) => invoke(channel, payload ?? {});
  }
  api.on = (channel: EventChannel, listener: (payload: unknown) => void) => {
    if (!EVENT_CHANNELS.includes(channel)) throw new Error(`unknown event channel ${String(channel)}`);
    return subscribe(channel, listener);
  };
  return Object.freeze(api) as TerokApi;
}
