/** PATH lookup without spawning anything (`which` semantics: executable regular file). */
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

/** First executable named `name` on the context's PATH, then in `extraDirs`. */
export function which(ctx: Pick<HostContext, 'env'>, name: string, extraDirs: readonly string[] = []): string | null {
  const dirs = (ctx.env.PATH ?? '').split(':').filter(Boolean);
  for (const dir of [...dirs, ...extraDirs]) {
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}
