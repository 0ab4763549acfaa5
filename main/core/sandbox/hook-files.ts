/**
 * Pieces shared by the shield and supervisor hook installers: OCI hook
 * descriptors in terok's exact bytes, hook directories, and removal. (Their
 * writes are fs.ts's writeFileIfChanged: a file whose bytes and mode already
 * match is left alone, so a re-run changes nothing.)
 */
import { mkdirSync, statSync, unlinkSync } from 'node:fs';
import type { HostContext } from '../host/context.ts';
import { pythonJsonDumps } from '../host/python-json.ts';
import { assertOwnerOnly, type OwnerOnlyOptions } from './owner-only-dirs.ts';

export type HookStage = 'createRuntime' | 'poststop';
export const HOOK_STAGES: readonly HookStage[] = ['createRuntime', 'poststop'];

/**
 * One descriptor per stage (OCI hooks schema 1.0.0): crun/runc pass the same
 * args to every stage a descriptor lists, so the script dispatches on argv[1].
 * Two-space indent and a trailing newline, like terok's `json.dumps(indent=2)`.
 */
export function renderHookDescriptor(opts: { script: string; argv0: string; stage: HookStage; annotation: string; pattern: string }): string {
  const doc = {
    version: '1.0.0',
    hook: { path: opts.script, args: [opts.argv0, opts.stage] },
    when: { annotations: { [opts.annotation]: opts.pattern } },
    stages: [opts.stage],
  };
  return pythonJsonDumps(doc, 2) + '\n';
}

/** What to do when the terok state lies in a directory that is someone else's. */
export const MOVE_STATE_HINT = 'move the terok state to a directory only you can write (set TEROK_ROOT, or paths.root in ~/.config/terok/config.yml)';

/** The owner-only check's options for this user's hook trees. */
export const hookTreeOptions = (ctx: Pick<HostContext, 'home'>): OwnerOnlyOptions => ({ home: ctx.home, moveHint: MOVE_STATE_HINT });

/**
 * Refuse, before anything is created or written, when another user could
 * replace a hook: the hooks run on the host, as this user, at every container start.
 */
export function assertHookDirsOwnerOnly(ctx: Pick<HostContext, 'home'>, what: string, dirs: readonly string[]): void {
  assertOwnerOnly(what, dirs, hookTreeOptions(ctx));
}

/** mkdir -p that explains a path component which is a file instead of a directory. */
export function ensureDirectory(dir: string, mode = 0o755): void {
  try {
    if (!statSync(dir).isDirectory()) {
      throw new Error(`${dir} exists but is a file, not a directory — move it away and re-run setup`);
    }
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dir, { recursive: true, mode });
}

/** Delete each file if present; returns the ones that were removed. */
export function removeFiles(files: readonly string[]): string[] {
  const removed: string[] = [];
  for (const f of files) {
    try {
      unlinkSync(f);
      removed.push(f);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return removed;
}
