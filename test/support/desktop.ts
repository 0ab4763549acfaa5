/**
 * A DesktopBridge for tests: links are not opened; clipboard writes are kept
 * for assertions; the save dialog (a desktop one cannot open here) answers
 * with whatever the test queued in `savePaths` (null: the user closed it).
 */
import type { DesktopBridge } from '../../main/ipc/handlers.ts';

export interface RecordingDesktop extends DesktopBridge {
  opened: string[];
  clipboard: string[];
  /** Next answers of the save dialog, in order; empty = the dialog is closed. */
  savePaths: ({ path: string; replaceConfirmed: boolean } | null)[];
  /** The default names the dialog was opened with. */
  saveDialogs: string[];
}

export function recordingDesktop(): RecordingDesktop {
  const d: RecordingDesktop = {
    opened: [],
    clipboard: [],
    openExternal: async (url) => { d.opened.push(url); },
    writeClipboard: (text) => { d.clipboard.push(text); },
    savePaths: [],
    saveDialogs: [],
    chooseSavePath: async (name) => { d.saveDialogs.push(name); return d.savePaths.shift() ?? null; },
  };
  return d;
}

export const NO_DESKTOP: DesktopBridge = { openExternal: async () => {}, writeClipboard: () => {}, chooseSavePath: async () => null };
