/**
 * A DesktopBridge for tests: links and files are not opened but recorded;
 * clipboard writes are kept; the open-file dialog answers with `nextOpenPath`
 * and the save dialog with whatever the test queued in `savePaths` (null: the
 * user closed it) — the dialogs are Electron's, which cannot run here.
 */
import type { DesktopBridge } from '../../main/ipc/handlers.ts';

export interface RecordingDesktop extends DesktopBridge {
  opened: string[];
  clipboard: string[];
  /** Files openPath was asked to open. */
  openedPaths: string[];
  /** Titles of the open-file dialogs shown. */
  dialogs: string[];
  /** What the next open-file dialog returns (null = the user cancelled). */
  nextOpenPath: string | null;
  /** Next answers of the save dialog, in order; empty = the dialog is closed. */
  savePaths: ({ path: string; replaceConfirmed: boolean } | null)[];
  /** The default names the dialog was opened with. */
  saveDialogs: string[];
}

export function recordingDesktop(): RecordingDesktop {
  const d: RecordingDesktop = {
    opened: [],
    clipboard: [],
    openedPaths: [],
    dialogs: [],
    nextOpenPath: null,
    openExternal: async (url) => { d.opened.push(url); },
    writeClipboard: (text) => { d.clipboard.push(text); },
    chooseOpenPath: async ({ title }) => { d.dialogs.push(title); return d.nextOpenPath; },
    openPath: async (file) => { d.openedPaths.push(file); },
    savePaths: [],
    saveDialogs: [],
    chooseSavePath: async (name) => { d.saveDialogs.push(name); return d.savePaths.shift() ?? null; },
  };
  return d;
}

export const NO_DESKTOP: DesktopBridge = { openExternal: async () => {}, writeClipboard: () => {}, chooseOpenPath: async () => null, openPath: async () => {}, chooseSavePath: async () => null };
