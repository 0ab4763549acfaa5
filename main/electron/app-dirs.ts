/**
 * Where the app keeps its own files (not terok's): window state under the
 * XDG config dir, logs under the XDG state dir, as the XDG base directory
 * spec asks. Plain Node, so tests can point it at a sandboxed HOME.
 */
import path from 'node:path';

export const APP_DIR_NAME = 'terok-setup';

export interface AppDirs {
  /** ${XDG_CONFIG_HOME:-~/.config}/terok-setup */
  config: string;
  /** ${XDG_STATE_HOME:-~/.local/state}/terok-setup/logs */
  logs: string;
}

export function appDirs(env: Readonly<Record<string, string | undefined>>, home: string): AppDirs {
  // The spec says relative XDG values are invalid and must be ignored.
  const xdg = (name: string, fallback: string) => (env[name] && path.isAbsolute(env[name]) ? env[name] : path.join(home, fallback));
  return {
    config: path.join(xdg('XDG_CONFIG_HOME', '.config'), APP_DIR_NAME),
    logs: path.join(xdg('XDG_STATE_HOME', path.join('.local', 'state')), APP_DIR_NAME, 'logs'),
  };
}
