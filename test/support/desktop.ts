/** A DesktopBridge for tests: links are not opened; clipboard writes are kept for assertions. */
import type { DesktopBridge } from '../../main/ipc/handlers.ts';

export interface RecordingDesktop extends DesktopBridge {
  opened: string[];
  clipboard: string[];
}

export function recordingDesktop(): RecordingDesktop {
  const d: RecordingDesktop = {
    opened: [],
    clipboard: [],
    openExternal: async (url) => { d.opened.push(url); },
    writeClipboard: (text) => { d.clipboard.push(text); },
  };
  return d;
}

export const NO_DESKTOP: DesktopBridge = { openExternal: async () => {}, writeClipboard: () => {} };
