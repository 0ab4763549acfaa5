/**
 * The one PATH lookup in main (`which` semantics: an executable regular
 * file), without spawning anything. Only absolute directories count: an empty
 * entry or a relative one (`.`, `bin`) names the current directory or one
 * under it, so a program dropped there would otherwise be chosen.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { HostContext } from './context.ts';

export function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable named `name` in the absolute directories of a PATH string, then in `extraDirs` (absolute ones only). */
export function findOnPath(pathVar: string | undefined, name: string, extraDirs: readonly string[] = []): string | null {
  for (const dir of [...(pathVar ?? '').split(path.delimiter), ...extraDirs]) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/** First executable named `name` on the context's PATH, then in `extraDirs`. */
export function which(ctx: Pick<HostContext, 'env'>, name: string, extraDirs: readonly string[] = []): string | null {
  return findOnPath(ctx.env.PATH, name, extraDirs);
}
