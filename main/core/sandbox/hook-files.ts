/**
 * Pieces shared by the shield and supervisor hook installers: OCI hook
 * descriptors in terok's exact bytes, and idempotent writes (a file whose
 * bytes and mode already match is left alone, so a re-run changes nothing).
 */
import { chmodSync, mkdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { atomicWriteFile } from '../host/fs.ts';
import { pythonJsonDumps } from '../host/python-json.ts';

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

/** Atomic write unless the file already has exactly these bytes and mode. Returns whether it wrote. */
export function writeFileIfChanged(target: string, data: string | Buffer, mode: number): boolean {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    const st = statSync(target);
    if (st.isFile() && (st.mode & 0o7777) === mode && readFileSync(target).equals(bytes)) return false;
  } catch { /* absent: write it */ }
  atomicWriteFile(target, bytes, { mode, refuseSymlinks: true });
  // atomicWriteFile's open mode is filtered by the umask; hook scripts must be exactly 0755.
  chmodSync(target, mode);
  return true;
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
