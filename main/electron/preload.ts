/**
 * The whole bridge the page gets: one frozen `window.terok` object of named
 * functions built from the shared contract. `ipcRenderer` itself never
 * crosses into the page.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { buildApi, type EventChannel } from '../ipc/contract.ts';

const api = buildApi(
  (channel, payload) => ipcRenderer.invoke(channel, payload),
  (channel: EventChannel, listener) => {
    const wrapped = (_event: unknown, payload: unknown) => listener(payload);
    ipcRenderer.on(channel, wrapped);
    return () => { ipcRenderer.removeListener(channel, wrapped); };
  },
);

contextBridge.exposeInMainWorld('terok', api);
