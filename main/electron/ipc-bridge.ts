/**
 * Binds the transport-agnostic handler table to Electron's IPC: every request
 * channel is checked for its sender and dispatched through the validator;
 * engine events are queued until the page has loaded, then forwarded.
 */
import { EVENT_CHANNELS, REQUEST_CHANNELS, type Envelope, type EventChannel, type EventMap } from '../ipc/contract.ts';
import { dispatch, type HandlerTable } from '../ipc/handlers.ts';
import { isTrustedSender, type FrameLike } from './security.ts';

export interface IpcMainLike {
  handle(channel: string, listener: (event: { senderFrame: FrameLike | null }, payload: unknown) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export const UNTRUSTED_SENDER: Envelope<never> = {
  ok: false,
  error: { code: 'untrusted-sender', message: 'request refused: it did not come from the Terok Setup window' },
};

export function bindRequests(ipcMain: IpcMainLike, table: HandlerTable, appUrl: () => string): () => void {
  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(channel, async (event, payload) => {
      if (!isTrustedSender(event.senderFrame, appUrl())) return UNTRUSTED_SENDER;
      return dispatch(table, channel, payload);
    });
  }
  return () => { for (const channel of REQUEST_CHANNELS) ipcMain.removeHandler(channel); };
}

export interface EventTarget {
  send(channel: EventChannel, payload: unknown): void;
}

/**
 * Holds events until the window is ready (or while it reloads), so a task
 * started early never loses its first lines.
 */
export class EventQueue {
  private target: EventTarget | null = null;
  private readonly pending: { channel: EventChannel; payload: unknown }[] = [];
  private static readonly LIMIT = 50_000;

  attach(target: EventTarget): void {
    this.target = target;
    for (const { channel, payload } of this.pending.splice(0)) target.send(channel, payload);
  }

  detach(): void {
    this.target = null;
  }

  emit<C extends EventChannel>(channel: C, payload: EventMap[C]): void {
    if (!EVENT_CHANNELS.includes(channel)) throw new Error(`unknown event channel ${channel}`);
    if (this.target) this.target.send(channel, payload);
    else if (this.pending.length < EventQueue.LIMIT) this.pending.push({ channel, payload });
  }

  get queued(): number {
    return this.pending.length;
  }
}
