/**
 * Why the sandbox install is certain to fail before it is started, as facts
 * the Sandbox page shows beside a disabled Install button: the user's roster
 * files do not load (the install stops at its first stage, as terok's does),
 * a config.yml is being ignored (the install refuses to start: see
 * ConfigIgnoredError), or another user could replace the hooks (the hook
 * stages refuse to write: see owner-only-dirs.ts). The words are composed here, so every face says the same.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { userConfigFile, writableConfigFile, type TerokConfig } from '../host/config.ts';
import type { HostContext } from '../host/context.ts';
import type { TerokPaths } from '../host/paths.ts';
import { currentRoster } from '../roster/current.ts';
import { brokenUserFiles, hasBuiltIn } from '../roster/disable.ts';
import { rosterDirsOf } from '../roster/load.ts';
import { formatKeyPath } from '../roster/validate.ts';
import { hookTreeProblems } from './hook-tree.ts';
import type { OwnerOnlyProblem } from './owner-only-dirs.ts';

export interface InstallBlockProblem {
  file: string | null;
  line: number | null;
  column: number | null;
  /** What is wrong there (the key path first, when there is one). */
  message: string;
  /** A command that fixes it (shown to copy), when one does. */
  command: string | null;
}

export interface InstallBlockFile {
  path: string;
  /** The app ships a definition of the same name ("Use the built-in definition"); false: moving it aside drops the entry. */
  builtIn: boolean;
}

export interface InstallBlock {
  kind: 'roster' | 'config' | 'hook-tree';
  /** One sentence: what would happen and why. */
  reason: string;
  /** The fix, in one sentence. */
  remedy: string;
  problems: InstallBlockProblem[];
  /** The user's files to open; for the roster, each can also be moved aside. */
  files: InstallBlockFile[];
}

/** config.yml files that exist but were not read (each is behind one of `config.warnings`). */
function ignoredConfigFiles(ctx: Pick<HostContext, 'env' | 'home' | 'isRealRoot' | 'systemConfigFile'>, config: TerokConfig): string[] {
  const candidates = [...new Set([writableConfigFile(ctx), userConfigFile(ctx), ctx.systemConfigFile])];
  return candidates.filter((f) => existsSync(f) && !config.sources.includes(f));
}

/** `hookTree`: the probe passes the problems it already found, so the directories are walked once per sweep. */
export function installBlockOf(
  ctx: Pick<HostContext, 'env' | 'home' | 'isRealRoot' | 'systemConfigFile'>, config: TerokConfig, paths: TerokPaths,
  hookTree: readonly OwnerOnlyProblem[] = hookTreeProblems(ctx, paths),
): InstallBlock | null {
  if (config.warnings.length) {
    return {
      kind: 'config',
      reason: 'The install will not start: a settings file cannot be used, and installing on the defaults could put the sandbox where your terok does not look.',
      remedy: 'Fix the file (or move it away to use the defaults), then press Check again.',
      problems: config.warnings.map((w) => ({ file: null, line: null, column: null, message: w.replace(/; ignoring it$/, ''), command: null })),
      files: ignoredConfigFiles(ctx, config).map((p) => ({ path: p, builtIn: false })),
    };
  }
  const error = currentRoster(rosterDirsOf(paths)).error;
  if (!error) return hookTreeBlock(hookTree);
  return {
    kind: 'roster',
    reason: 'The install would stop at its first stage: your agent or provider files cannot be used.',
    remedy: 'Fix the file, or set it aside and use the built-in definition; then install.',
    problems: error.problems.map((p) => ({
      file: p.file ?? null,
      line: p.line ?? null,
      column: p.column ?? null,
      message: `${p.keyPath?.length ? `${formatKeyPath(p.keyPath)}: ` : ''}${p.message}`,
      command: null,
    })),
    files: brokenUserFiles(paths).map((f) => ({ path: f, builtIn: hasBuiltIn(f, paths) })),
  };
}

function hookTreeBlock(problems: readonly OwnerOnlyProblem[]): InstallBlock | null {
  if (!problems.length) return null;
  return {
    kind: 'hook-tree',
    reason: 'The install will not write the hooks: another user on this computer could replace them, and podman runs them as you at every container start.',
    remedy: 'Run the commands shown (or move the terok state), then press Check again.',
    problems: problems.map((p) => ({ file: p.path, line: null, column: null, message: p.command ? p.problem : `${p.problem} — ${p.fix}`, command: p.command })),
    files: [],
  };
}

/** Files "Open the file" may open: exactly those an install block names. */
export function openableFiles(block: InstallBlock | null): string[] {
  return block ? block.files.map((f) => path.resolve(f.path)) : [];
}
