/**
 * The "Vault routes" stage (terok-executor spec §3.2 step 1): reload the
 * roster from disk — the user's files, strictly; never the bundled fallback,
 * which would write routes the user did not ask for — and rewrite
 * routes.json. A roster or write error completes the stage as
 * `FAIL (<first line>)` with the rest underneath, and propagates so the
 * install stops before anything else runs.
 */
import type { HostContext } from '../host/context.ts';
import { resolvePaths, type TerokPaths } from '../host/paths.ts';
import { runStage, type StageHandle, type StageSink } from '../tasks/stages.ts';
import { loadRoster, rosterDirsOf, type RosterDirs } from './load.ts';
import { writeRoutesJson } from './routes.ts';

export const VAULT_ROUTES_STAGE = 'Vault routes';

/** Runs a stage body: `TaskContext.stage` in a task, or `stageRunnerFor(sink)` elsewhere. */
export type StageRunner = <T>(label: string, body: (s: StageHandle) => Promise<T> | T) => Promise<T>;

export function stageRunnerFor(sink: StageSink): StageRunner {
  return (label, body) => runStage(sink, label, body);
}

export interface VaultRoutesResult {
  /** Where routes.json was written. */
  path: string;
  /** Roster warnings (future roster_version, ignored files…), one line each. */
  warnings: readonly string[];
}

type RoutesPaths = Pick<TerokPaths, 'userAgentsDir' | 'userProvidersDir' | 'routesJson'>;

/** Load the roster strictly and rewrite routes.json; throws `RosterError` or `RoutesWriteError`. */
export function regenerateVaultRoutes(paths: RoutesPaths, dirs: RosterDirs = rosterDirsOf(paths)): VaultRoutesResult {
  const roster = loadRoster(dirs);
  writeRoutesJson(roster, paths.routesJson);
  return { path: paths.routesJson, warnings: roster.warnings };
}

/** Regenerate routes.json as a stage. Throws (after reporting FAIL) on any roster or write error. */
export function ensureVaultRoutes(paths: RoutesPaths, stage: StageRunner, dirs?: RosterDirs): Promise<VaultRoutesResult> {
  return stage(VAULT_ROUTES_STAGE, (s) => {
    const result = regenerateVaultRoutes(paths, dirs);
    s.ok('regenerated');
    return result;
  });
}

/**
 * The body of the stage for a caller that opens the stage itself (the
 * sandbox install's `VaultRoutesStep`): returns the ok detail, throws on error.
 */
export async function vaultRoutesStep(ctx: HostContext): Promise<string> {
  regenerateVaultRoutes(resolvePaths(ctx));
  return 'regenerated';
}
