/**
 * `images.import`: load an image archive (`podman save` output, a docker or
 * OCI archive, optionally compressed) with `podman load -i <file>` — the way
 * in for a machine without registry access. The wizard asks main for the
 * file with an open-file dialog; the path still arrives as a task param, so
 * it is checked here before podman sees it.
 *
 *   images.import { path } → ImportResult  (live podman output as log lines)
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileKindOf } from '../host/fs.ts';
import { which } from '../host/which.ts';
import type { HostContext } from '../host/context.ts';
import { InvalidParamsError } from '../errors.ts';
import type { TaskContext } from '../tasks/task-manager.ts';
import { optStr, parseWith, quoteInput, taskParams } from '../validate.ts';
import { ImageBuildError, PODMAN_NOT_FOUND } from './errors.ts';

export const IMPORT_STEP = 'images.import';
/** A multi-gigabyte archive on a slow disk still finishes; a hang does not hold the task forever. */
export const IMPORT_TIMEOUT_MS = 30 * 60_000;

export const IMPORT_PARAMS = taskParams({ path: optStr('path') });

export interface ImportResult {
  file: string;
  /** What podman reported loading (`Loaded image: …` lines), e.g. `docker.io/library/ubuntu:24.04`. */
  loaded: string[];
}

/**
 * The archive path, or why it cannot be loaded: an absolute path to an
 * existing, readable regular file (not a directory, device or FIFO that
 * podman would block on), without control characters.
 */
export function importPathProblem(file: string): string | null {
  if (!file.trim()) return 'no file was chosen';
  if (/[\u0000-\u001f\u007f]/.test(file)) return 'the file name contains control characters';
  // The path comes from the renderer: quoted through the one helper (a pasted key is withheld).
  const shown = quoteInput(file);
  if (!path.isAbsolute(file)) return `${shown} is not an absolute path`;
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    // Not errnoMessage: it names the raw path, which may be anything the renderer sent.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `${shown} does not exist`;
    if (code === 'EACCES' || code === 'EPERM') return `${shown} cannot be read (permission denied)`;
    return `${shown} cannot be read (${code ?? 'error'})`;
  }
  if (!st.isFile()) return `${shown} is ${fileKindOf(st)}, not an image archive file`;
  if (st.size === 0) return `${shown} is empty, not an image archive`;
  return null;
}

export function parseImportParams(raw: unknown): string {
  const file = parseWith(IMPORT_PARAMS, raw).path ?? '';
  const problem = importPathProblem(file);
  if (problem) throw new InvalidParamsError(`cannot import an image: ${problem}`);
  return path.normalize(file);
}

const LOADED = /^Loaded image(?:\(s\))?:\s*(.+)$/;

export async function importImage(ctx: HostContext, raw: unknown, task: TaskContext): Promise<ImportResult> {
  const file = parseImportParams(raw);
  const bin = which(ctx, 'podman');
  if (!bin) throw new ImageBuildError('podman-missing', PODMAN_NOT_FOUND);
  return task.stage('Import image', async (stage) => {
    const loaded: string[] = [];
    task.log(`$ podman load -i ${file}`, 'info');
    const run = await ctx.run(bin, ['load', '-i', file], {
      timeoutMs: IMPORT_TIMEOUT_MS,
      signal: task.signal,
      allowNonZero: true,
      onLine: (line, stream) => {
        task.log(line, stream);
        const m = LOADED.exec(line.trim());
        if (m) loaded.push(...m[1]!.split(',').map((s) => s.trim()).filter(Boolean));
      },
    });
    if (run.exitCode !== 0) {
      const last = run.stderr.trim().split('\n').at(-1) ?? '';
      throw new ImageBuildError('podman-failed', `podman could not load ${file}${last ? `: ${last}` : ''}.`, {
        hint: 'Choose a file made with `podman save` or `docker save` (a .tar, possibly compressed).',
        command: ['podman', 'load', '-i', file],
        exitCode: run.exitCode,
        outputTail: run.stderr.split('\n').slice(-20).join('\n'),
      });
    }
    stage.ok(loaded.length ? `loaded ${loaded.join(', ')}` : 'loaded');
    return { file, loaded };
  });
}
