/**
 * "Use the built-in definition": a broken user roster file is moved aside —
 * renamed to `<name>.yaml.disabled-<timestamp>` in the same directory, so
 * the roster no longer reads it and nothing is lost (the user can rename it
 * back once fixed). Only a user file the current roster names as a problem
 * is moved: the path arrives from the renderer.
 *
 *   roster.disable-user-file { file } → { file, movedTo }
 */
import { existsSync, linkSync, renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { InvalidParamsError } from '../errors.ts';
import { describeFsError } from '../host/fs.ts';
import { optStr, parseWith, quoteInput, taskParams } from '../validate.ts';
import { SetupError } from '../errors.ts';
import { currentRoster } from './current.ts';
import { BUNDLED_ROSTER_DIR, rosterDirsOf } from './load.ts';
import type { TerokPaths } from '../host/paths.ts';

export const DISABLE_USER_FILE_STEP = 'roster.disable-user-file';
export const DISABLE_PARAMS = taskParams({ file: optStr('file') });

export interface DisabledFile {
  file: string;
  movedTo: string;
}

type RosterPaths = Pick<TerokPaths, 'userAgentsDir' | 'userProvidersDir'>;

/** The user's roster files (direct `*.yaml` children of the user dirs) that the current roster reports a problem in. */
export function brokenUserFiles(paths: RosterPaths): string[] {
  const error = currentRoster(rosterDirsOf(paths)).error;
  if (!error) return [];
  const dirs = [paths.userAgentsDir, paths.userProvidersDir].map((d) => path.resolve(d));
  const files = error.problems.flatMap((p) => (p.file ? [path.resolve(p.file)] : []));
  return [...new Set(files.filter((f) => f.endsWith('.yaml') && dirs.includes(path.dirname(f))))];
}

/** Whether the app ships a definition of the same name (moving the file aside falls back to it). */
export function hasBuiltIn(file: string, paths: RosterPaths): boolean {
  const kind = path.dirname(path.resolve(file)) === path.resolve(paths.userProvidersDir) ? 'providers' : 'agents';
  return existsSync(path.join(BUNDLED_ROSTER_DIR, kind, path.basename(file)));
}

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

/** Move `file` aside; never overwrites: an existing name gets a counter. */
export function disableUserFile(paths: RosterPaths, file: string, now = new Date()): DisabledFile {
  const target = path.resolve(file);
  if (!brokenUserFiles(paths).includes(target)) {
    throw new InvalidParamsError(`${quoteInput(file)} is not one of your agent or provider files with a problem; nothing was moved`);
  }
  const base = `${target}.disabled-${stamp(now)}`;
  for (let n = 0; n < 100; n++) {
    const movedTo = n === 0 ? base : `${base}-${n}`;
    try {
      // link + unlink: fails on an existing name instead of replacing it.
      linkSync(target, movedTo);
      unlinkSync(target);
      return { file: target, movedTo };
    } catch (linkError) {
      const code = (linkError as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      let err = linkError;
      // A filesystem without hard links: rename, once we know the name is free.
      if ((code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') && !existsSync(movedTo)) {
        try { renameSync(target, movedTo); return { file: target, movedTo }; } catch (e) { err = e; }
      }
      throw new SetupError('roster-move-failed', `could not move ${target} aside: ${describeFsError(err, 'renaming it')}`, { hint: 'Rename or move the file yourself, then press Check again.' });
    }
  }
  throw new SetupError('roster-move-failed', `could not move ${target} aside: too many earlier copies next to it`, { hint: 'Remove old *.disabled-* copies you no longer need, then try again.' });
}

export function parseDisableParams(raw: unknown): string {
  const file = parseWith(DISABLE_PARAMS, raw).file ?? '';
  if (!file.trim() || !path.isAbsolute(file)) throw new InvalidParamsError('file must be the absolute path of your roster file');
  return file;
}
