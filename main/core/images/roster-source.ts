/**
 * Adapts the loaded roster (main/core/roster) to the narrow view the image
 * build needs. Selection resolution (§4.6) is the roster module's; it is
 * passed in so this file holds no grammar of its own.
 */
import type { HostContext } from '../host/context.ts';
import { resolvePaths } from '../host/paths.ts';
import { currentRoster } from '../roster/current.ts';
import { rosterDirsOf } from '../roster/load.ts';
import type { Roster } from '../roster/model.ts';
import { parseSelection, resolveSelection } from '../roster/selection.ts';
import { ImageBuildError } from './errors.ts';
import type { ImageRoster, ImageRosterEntry } from './roster-view.ts';

export type SelectionResolver = (roster: Roster, selection: string) => readonly string[];

export function imageRosterOf(roster: Roster, resolve: SelectionResolver): ImageRoster {
  return {
    resolveSelection: (selection) => [...resolve(roster, selection)],
    entries: (names) => names.map((name) => entryOf(roster, name)),
    providerProtocols: () => providerProtocolsOf(roster),
    sidecarTools: () => sidecarToolsOf(roster),
  };
}

/** Entry name → the sidecar's tool name, sorted by entry name. */
export function sidecarToolsOf(roster: Roster): Record<string, string> {
  return Object.fromEntries([...roster.sidecars.keys()].sort().map((name) => [name, roster.sidecars.get(name)!.tool_name?.trim() || name]));
}

function entryOf(roster: Roster, name: string): ImageRosterEntry {
  const spec = roster.installs.get(name);
  const install = { run_as_root: spec?.run_as_root, run_as_dev: spec?.run_as_dev };
  const agent = roster.agents.get(name);
  if (agent) {
    return {
      name,
      install,
      label: agent.label,
      protocol: agent.spec.protocol,
      help: agent.spec.help,
    };
  }
  const provider = roster.providers.get(name);
  return {
    name,
    install,
    label: provider?.spec.opencode?.display_name ?? name,
    help: provider?.spec.help,
  };
}

/** Wire protocol → providers serving it, both sorted. */
export function providerProtocolsOf(roster: Roster): Record<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, provider] of roster.providers) {
    for (const protocol of provider.spec.serves.keys()) out.set(protocol, [...(out.get(protocol) ?? []), name]);
  }
  return Object.fromEntries([...out.keys()].sort().map((p) => [p, out.get(p)!.sort()]));
}

/**
 * The user's roster (bundled + user YAML) as the build sees it. An invalid
 * user file stops the build: silently building from the bundled roster would
 * ignore the user's overrides.
 */
export function loadImageRoster(ctx: HostContext): ImageRoster {
  const state = currentRoster(rosterDirsOf(resolvePaths(ctx)));
  if (state.error) {
    throw new ImageBuildError('roster-invalid', `The agent roster cannot be loaded:\n${state.error.message}`, {
      hint: 'Fix or remove the roster file named above, then build again.',
    });
  }
  return imageRosterOf(state.roster, (roster, selection) => resolveSelection(roster, parseSelection(selection)));
}
