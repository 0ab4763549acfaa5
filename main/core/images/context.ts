/** Writes a rendered build context into a directory (which the caller owns and removes). */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StagedFile } from './templates/types.ts';

export function stageBuildContext(dir: string, files: readonly StagedFile[]): void {
  for (const file of files) {
    const target = path.resolve(dir, file.path);
    // Paths come from our templates, but never let one escape the context.
    if (!target.startsWith(path.resolve(dir) + path.sep)) throw new Error(`refusing to stage '${file.path}' outside the build context`);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, file.content);
    chmodSync(target, file.mode ?? 0o644);
  }
}
