/**
 * `post_capture_state` (terok-executor spec §6.4): after a captured login,
 * JSON keys the roster names are merged into files of the tool's shared
 * config mount — for Claude, `.claude.json` gets `hasCompletedOnboarding:
 * true` so the first task run does not start the onboarding dialogue again.
 *
 * The merge is shallow (top-level keys of the patch replace the file's), is
 * a no-op when the file already has them, starts from an empty object when
 * the file is not a JSON object (the old bytes are reported, not kept), and
 * goes through the mount-file guards: no traversal, no symlinks, 0600 files
 * in 0700 directories. Failures are warnings: the credential is stored.
 */
import { isDeepStrictEqual } from 'node:util';
import type { AuthProvider } from '../roster/model.ts';
import { mountFilePath, readMountFile, writeMountFile } from './mount-files.ts';
import { toPlain } from './plain.ts';

export interface PostCaptureResult {
  /** Files whose content changed. */
  written: string[];
  /** Files that already had the keys. */
  unchanged: string[];
  /** One line per problem; each names the file and what to do. */
  warnings: string[];
}


const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Merge `state` (file name → object of keys; null = nothing to set) into the
 * files under `<mountsDir>/<hostDir>/`.
 */
export function applyPostCaptureState(
  provider: Pick<AuthProvider, 'hostDir'>,
  state: ReadonlyMap<string, unknown> | undefined,
  mountsDir: string,
): PostCaptureResult {
  const result: PostCaptureResult = { written: [], unchanged: [], warnings: [] };
  for (const [file, rawPatch] of state ?? []) {
    try {
      const patch = toPlain(rawPatch ?? {});
      if (!isObject(patch)) {
        result.warnings.push(`post-capture state for ${file} is not a mapping in the roster; skipped`);
        continue;
      }
      const target = mountFilePath(mountsDir, provider.hostDir, file);
      const current = readMountFile(target);
      let doc: Record<string, unknown> = {};
      let valid = false;
      if (current !== null && current.trim() !== '') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(current);
        } catch {
          parsed = undefined;
        }
        if (isObject(parsed)) { doc = parsed; valid = true; } else result.warnings.push(`${target} did not hold a JSON object; it was replaced by the keys Terok Setup sets (${Object.keys(patch).join(', ')})`);
      }
      const merged = { ...doc, ...patch };
      if (valid && isDeepStrictEqual(merged, doc)) {
        result.unchanged.push(target);
        continue;
      }
      writeMountFile(target, JSON.stringify(merged, null, 2) + '\n');
      result.written.push(target);
    } catch (err) {
      result.warnings.push(`could not update ${file} in the shared ${provider.hostDir} mount: ${(err as Error).message}`);
    }
  }
  return result;
}
