/**
 * The renderer's only door to the machine: `window.terok`, as the preload
 * (or the test bridge) exposes it. Envelopes are unwrapped here so pages deal
 * in values and one error type.
 */
import type { Envelope, IpcErrorBody, TerokApi } from '../../../main/ipc/contract.ts';

declare global {
  interface Window {
    terok?: TerokApi;
  }
}

export class ApiError extends Error {
  readonly code: string;
  readonly detail: string | undefined;

  constructor(body: IpcErrorBody) {
    super(body.message);
    this.code = body.code;
    this.detail = body.detail;
  }
}

export function api(): TerokApi {
  if (!window.terok) throw new ApiError({ code: 'no-bridge', message: 'Terok Setup must be started as a desktop app (the bridge to the system is missing).' });
  return window.terok;
}

export async function unwrap<T>(p: Promise<Envelope<T>>): Promise<T> {
  const env = await p;
  if (!env.ok) throw new ApiError(env.error);
  return env.value;
}
