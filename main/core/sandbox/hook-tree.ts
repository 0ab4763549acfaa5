/**
 * The readiness side of the owner-only rule: whether someone else could
 * replace one of the installed hooks now — a directory on the way to the
 * shield or supervisor hooks (or the wrapper) that became writable by others
 * or belongs to another user, or one of the installed files that did. The
 * installers refuse the same directories before writing (hook-files.ts).
 */
import type { HostContext } from '../host/context.ts';
import type { TerokPaths } from '../host/paths.ts';
import { hookTreeOptions } from './hook-files.ts';
import { ownerOnlyFileProblems, ownerOnlyProblems, type OwnerOnlyProblem } from './owner-only-dirs.ts';
import { shieldHookDirs, shieldHookFiles, shieldReaderPath } from './shield-hooks.ts';
import { supervisorHookDirs, supervisorHookFiles } from './supervisor-hooks.ts';

type HookTreePaths = Pick<TerokPaths, 'shieldHooksDir' | 'shieldState' | 'supervisorHooksDir' | 'supervisorWrapper'>;

export function hookTreeProblems(ctx: Pick<HostContext, 'home'>, paths: HookTreePaths): OwnerOnlyProblem[] {
  const opts = hookTreeOptions(ctx);
  const files = [...shieldHookFiles(paths.shieldHooksDir), shieldReaderPath(paths), ...supervisorHookFiles(paths)];
  return [...ownerOnlyProblems([...shieldHookDirs(paths), ...supervisorHookDirs(paths)], opts), ...ownerOnlyFileProblems(files, opts)];
}
