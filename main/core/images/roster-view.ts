/**
 * What the image build needs from the agent roster — and nothing more. The
 * roster module owns loading, merging and the selection grammar (§4.6); the
 * build depends only on this view, so tests can hand it a fixture roster.
 */
export interface InstallFragments {
  /** Dockerfile fragment run as root (Jinja subset, see fragments.ts). */
  run_as_root?: string;
  /** Dockerfile fragment run as the `dev` user. */
  run_as_dev?: string;
}

export interface ImageRosterEntry {
  name: string;
  install: InstallFragments;
  /** Display name (agent-protocols.json). */
  label?: string;
  /** Wire protocol the entry speaks (agent-protocols.json). */
  protocol?: string;
  /** Help section and label (may contain `\033` escapes); `dev_tool` entries go into help.d/dev-tools.txt. */
  help?: { label: string; section: 'agent' | 'dev_tool' };
}

export interface ImageRoster {
  /**
   * Resolve a selection string (`all`, `a,b`, `-x`, …) to the sorted entry
   * names to install, expanding `depends_on`. Throws on unknown names with
   * `Unknown roster entries: [...]. Available: …`.
   */
  resolveSelection(selection: string): string[];
  /** The entries for resolved names, in the given order. */
  entries(names: readonly string[]): ImageRosterEntry[];
  /** Wire protocol → sorted provider names serving it (provider-protocols.json). */
  providerProtocols(): Record<string, string[]>;
  /**
   * Entries with a `sidecar:` section, by entry name → the tool name the
   * sidecar template installs (`sidecar.tool_name`, else the entry name).
   * Optional so L0/L1-only views (test fixtures) need not spell it out;
   * absent means the roster has no sidecar tools.
   */
  sidecarTools?(): Readonly<Record<string, string>>;
}
