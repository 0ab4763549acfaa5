/**
 * A sandboxed host with the user's roster directories at hand: tests write
 * real YAML files where terok looks for them and load the roster from there.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolvePaths, type TerokPaths } from '../../main/core/host/paths.ts';
import { clearRosterCache } from '../../main/core/roster/current.ts';
import { loadRoster, rosterDirsOf } from '../../main/core/roster/load.ts';
import type { Roster } from '../../main/core/roster/model.ts';
import { createSandboxHost, type SandboxHost } from './host.ts';
import { runningAsRoot } from './rootless.ts';

export interface RosterHost extends SandboxHost {
  paths: TerokPaths;
  /** Write `<user agents dir>/<fileName>` (".yaml" appended unless the name has an extension). */
  writeAgent(fileName: string, yaml: string, mode?: number): string;
  writeProvider(fileName: string, yaml: string, mode?: number): string;
  load(): Roster;
}

const withExtension = (name: string) => (path.extname(name) ? name : `${name}.yaml`);

export function createRosterHost(): RosterHost {
  clearRosterCache();
  const host = createSandboxHost();
  const paths = resolvePaths(host.ctx);
  return {
    ...host,
    paths,
    writeAgent: (name, yaml, mode) => host.write(path.join(paths.userAgentsDir, withExtension(name)), yaml, mode),
    writeProvider: (name, yaml, mode) => host.write(path.join(paths.userProvidersDir, withExtension(name)), yaml, mode),
    load: () => loadRoster(rosterDirsOf(paths)),
  };
}

/** Run `fn` and return the error it throws (fails the test when it does not throw). */
export function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error, but nothing was thrown');
}

/**
 * Run an ES-module snippet in a child Node that cannot bypass file
 * permissions: as `nobody` when the tests run as root (root ignores mode
 * bits), as the current user otherwise. The sandbox root is opened up for
 * traversal so the child can reach the files under test.
 */
export function runUnprivileged(host: SandboxHost, code: string): { status: number | null; stdout: string; stderr: string } {
  chmodSync(host.root, 0o755);
  const result = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', code], {
    encoding: 'utf8',
    env: { ...process.env, ...host.ctx.env },
    ...(runningAsRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  if (result.error) throw new Error(`could not start the unprivileged child (${process.execPath}${runningAsRoot ? ' as nobody' : ''}): ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const NOBODY = 65534;

/** An import specifier for a project module, usable from `runUnprivileged` code. */
export function projectModule(rel: string): string {
  return JSON.stringify(pathToFileURL(path.join(import.meta.dirname, '..', '..', rel)).href);
}
