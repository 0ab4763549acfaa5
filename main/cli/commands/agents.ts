import { parseArgs } from 'node:util';
import { resolvePaths } from '../../core/host/paths.ts';
import { rosterView, type RosterView } from '../../core/roster/view.ts';
import { EXIT_FAILURE, EXIT_READY, type CliCommand } from '../command.ts';

export const agentsCommand: CliCommand = {
  name: 'agents',
  summary: 'List the agent roster, your overrides and any roster warnings',
  help: `Usage: terok-setup agents [--json]

List every roster entry (agents, tools, harness providers) with its kind,
how it authenticates and which provider stores its credential, and mark the
entries your own YAML files override (*) or add (+). Roster warnings and
errors are printed last.

  --json    Print the roster view as JSON

Exit codes: 0 roster loaded, 1 your roster files are invalid (the bundled
roster is shown), 2 usage error.`,
  async run(engine, args, io) {
    const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } }, strict: true });
    if (values.help) { io.out(this.help + '\n'); return EXIT_READY; }
    const view = rosterView(resolvePaths(engine.ctx));
    if (values.json) io.out(JSON.stringify(view, null, 2) + '\n');
    else io.out(formatRosterView(view));
    return view.error ? EXIT_FAILURE : EXIT_READY;
  },
};

/** The roster as an aligned table, then overrides, warnings and errors. */
export function formatRosterView(view: RosterView): string {
  const rows = view.entries.map((e) => [
    `${e.name}${e.userAdded ? ' +' : e.userFile ? ' *' : ''}`,
    e.kind,
    e.label,
    e.authModes.length ? e.authModes.join(', ') : '—',
    e.provider ?? '—',
  ]);
  const header = ['NAME', 'KIND', 'LABEL', 'AUTH', 'CREDENTIAL PROVIDER'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(header), ...rows.map(line)];
  // A harness provider appears as an entry and as a provider; list its file once.
  const userFiles = [...new Map([...view.entries, ...view.providers].filter((e) => e.userFile).map((e) => [e.userFile, e])).values()];
  out.push('');
  if (userFiles.length) {
    out.push('Your roster files (* overrides a bundled entry, + adds one):');
    for (const e of userFiles) out.push(`  ${e.name}: ${e.userFile}${e.userAdded ? ' (added)' : ' (override)'}`);
  } else {
    out.push(`No roster files of your own (they would go in ${view.userAgentsDir} or ${view.userProvidersDir}).`);
  }
  if (view.warnings.length) out.push('', 'Warnings:', ...view.warnings.map((w) => `  ${w}`));
  if (view.error) {
    out.push('', 'Your roster files cannot be used, so the bundled roster is shown:', ...view.error.message.split('\n').map((l) => `  ${l}`));
  }
  return out.join('\n') + '\n';
}
