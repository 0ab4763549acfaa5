/** The app's own files: XDG locations, log rotation and permissions, window state parsing. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createRedactor } from '../../../main/core/report/index.ts';
import { appDirs } from '../../../main/electron/app-dirs.ts';
import { AppLog, LOG_FILE_NAME } from '../../../main/electron/app-log.ts';
import { DEFAULT_WINDOW_STATE, loadWindowState, parseWindowState, WINDOW_STATE_FILE } from '../../../main/electron/window-state.ts';

test('app files follow XDG: config for window state, state for logs; relative XDG values are ignored', () => {
  assert.deepEqual(appDirs({}, '/home/ann'), { config: '/home/ann/.config/terok-setup', logs: '/home/ann/.local/state/terok-setup/logs' });
  assert.deepEqual(appDirs({ XDG_CONFIG_HOME: '/c', XDG_STATE_HOME: '/s' }, '/home/ann'), { config: '/c/terok-setup', logs: '/s/terok-setup/logs' });
  assert.deepEqual(appDirs({ XDG_CONFIG_HOME: 'rel', XDG_STATE_HOME: '' }, '/h'), { config: '/h/.config/terok-setup', logs: '/h/.local/state/terok-setup/logs' });
});

test('the log rotates by size, keeps N old files, is private, and redacts every line', () => {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'terok-log-')), 'logs');
  const log = new AppLog({ dir, maxBytes: 200, keep: 2, redact: createRedactor({ home: '/home/ann', secrets: ['passphrase-123456'] }), now: () => new Date(0) });
  log.write('info', 'opening /home/ann/.config with passphrase-123456 and sk-ant-abcdefgh123');
  assert.equal(readFileSync(log.file, 'utf8'), '1970-01-01T00:00:00.000Z INFO opening ~/.config with [redacted] and [redacted]\n');
  for (let i = 0; i < 20; i++) log.write('info', `line ${i} ${'x'.repeat(40)}`);
  assert.deepEqual(readdirSync(dir).sort(), [LOG_FILE_NAME, `${LOG_FILE_NAME}.1`, `${LOG_FILE_NAME}.2`]);
  assert.ok(statSync(log.file).size <= 200);
  assert.match(readFileSync(log.file, 'utf8'), /line 19/);
  assert.equal(statSync(log.file).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  rmSync(path.dirname(dir), { recursive: true });
});

test('a log that cannot be written never throws', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'terok-log-'));
  writeFileSync(path.join(root, 'a-file'), '');
  const log = new AppLog({ dir: path.join(root, 'a-file', 'logs'), redact: (s) => s });
  assert.doesNotThrow(() => log.write('error', 'x'));
  assert.doesNotThrow(() => log.write('error', 'y'));
  rmSync(root, { recursive: true });
});

test('window state: bad, tiny or missing values fall back to the default size', () => {
  assert.deepEqual(parseWindowState({ x: 1, y: 2, width: 900, height: 600, maximized: true }), { x: 1, y: 2, width: 900, height: 600, maximized: true });
  assert.deepEqual(parseWindowState({ width: 900, height: 600, x: 'a' }), { width: 900, height: 600, maximized: false });
  assert.deepEqual(parseWindowState({ width: 100, height: 600 }), DEFAULT_WINDOW_STATE);
  assert.deepEqual(parseWindowState(null), DEFAULT_WINDOW_STATE);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'terok-win-'));
  assert.deepEqual(loadWindowState(dir), DEFAULT_WINDOW_STATE);
  writeFileSync(path.join(dir, WINDOW_STATE_FILE), '{not json');
  assert.deepEqual(loadWindowState(dir), DEFAULT_WINDOW_STATE);
  rmSync(dir, { recursive: true });
});
