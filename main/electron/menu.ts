/**
 * The application menu. Built from plain data so its wiring can be tested
 * without Electron: each action is a callback the desktop shell provides.
 */
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  /** Re-run setup: back to the first page and a fresh sweep (event `app:rerun`). */
  rerunSetup(): void;
  /** Build the diagnostics report and put it on the clipboard. */
  copyReport(): void;
  /** Open the folder holding the log files. */
  openLogs(): void;
  quit(): void;
}

export function menuTemplate(actions: MenuActions): MenuItemConstructorOptions[] {
  return [
    {
      label: '&Setup',
      submenu: [
        { id: 'rerun-setup', label: '&Re-run setup', accelerator: 'CmdOrCtrl+R', click: () => actions.rerunSetup() },
        { type: 'separator' },
        { id: 'quit', label: '&Quit', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() },
      ],
    },
    { label: '&Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    { label: '&View', submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
    {
      label: '&Help',
      submenu: [
        { id: 'copy-report', label: '&Copy report', click: () => actions.copyReport() },
        { id: 'open-logs', label: 'Open &logs folder', click: () => actions.openLogs() },
      ],
    },
  ];
}
