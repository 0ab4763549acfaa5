/**
 * The window's size, position and maximised state, remembered between runs
 * in ~/.config/terok-setup/window-state.json (atomic write). A missing,
 * corrupt or out-of-range file just means the default size.
 */
import path from 'node:path';
import { atomicWriteFile, readUserFile } from '../core/host/fs.ts';

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const WINDOW_STATE_FILE = 'window-state.json';
export const DEFAULT_WINDOW_STATE: WindowState = { width: 1040, height: 720, maximized: false };
export const MIN_WINDOW_SIZE = { width: 800, height: 560 } as const;
const MAX_DIMENSION = 16_384;

const isInt = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

export function parseWindowState(raw: unknown): WindowState {
  if (typeof raw !== 'object' || raw === null) return { ...DEFAULT_WINDOW_STATE };
  const o = raw as Record<string, unknown>;
  if (!isInt(o.width, MIN_WINDOW_SIZE.width, MAX_DIMENSION) || !isInt(o.height, MIN_WINDOW_SIZE.height, MAX_DIMENSION)) return { ...DEFAULT_WINDOW_STATE };
  const state: WindowState = { width: o.width, height: o.height, maximized: o.maximized === true };
  if (isInt(o.x, -MAX_DIMENSION, MAX_DIMENSION) && isInt(o.y, -MAX_DIMENSION, MAX_DIMENSION)) { state.x = o.x; state.y = o.y; }
  return state;
}

export function loadWindowState(configDir: string): WindowState {
  try {
    const text = readUserFile(path.join(configDir, WINDOW_STATE_FILE), { maxBytes: 64 * 1024, what: 'window state file', followSymlinks: false });
    return text === null ? { ...DEFAULT_WINDOW_STATE } : parseWindowState(JSON.parse(text));
  } catch {
    return { ...DEFAULT_WINDOW_STATE };
  }
}

export function saveWindowState(configDir: string, state: WindowState): void {
  atomicWriteFile(path.join(configDir, WINDOW_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, { dirMode: 0o700, refuseSymlinks: true });
}

/** The part of a BrowserWindow we read: normal (un-maximised) bounds and the maximised flag. */
export interface WindowLike {
  getNormalBounds(): { x: number; y: number; width: number; height: number };
  isMaximized(): boolean;
}

export function captureWindowState(win: WindowLike): WindowState {
  const { x, y, width, height } = win.getNormalBounds();
  return { x, y, width, height, maximized: win.isMaximized() };
}
