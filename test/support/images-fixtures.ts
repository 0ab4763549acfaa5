/**
 * Image-build fixtures that need no network: a roster of tiny entries and
 * minimal L0/L1 templates that still use every variable the real templates
 * use (base image, cache bust, install fragments, installed.env, label, the
 * staged JSON maps and an init script).
 */
import type { ImageRoster, ImageRosterEntry } from '../../main/core/images/roster-view.ts';
import { runLines, type ImageTemplateSource, type L1Vars } from '../../main/core/images/templates/types.ts';

export const FIXTURE_ENTRIES: Record<string, Omit<ImageRosterEntry, 'name'> & { depends_on?: string[] }> = {
  alpha: { install: { run_as_root: 'RUN echo "alpha for {{ family }}" > /alpha.txt' }, label: 'Alpha', protocol: 'anthropic-messages', help: { label: 'Alpha agent', section: 'agent' } },
  beta: { install: { run_as_dev: '{% if family == "deb" %}RUN echo beta-deb > /tmp/beta.txt{% else %}RUN echo beta-rpm > /tmp/beta.txt{% endif %}' }, help: { label: '\\033[1mbeta\\033[0m — a dev tool', section: 'dev_tool' } },
  gamma: { install: { run_as_root: 'RUN echo gamma' }, depends_on: ['alpha'] },
  sleeper: { install: { run_as_root: 'RUN echo about to sleep && sleep 20' } },
  broken: { install: { run_as_root: 'RUN echo "installing broken"; echo "boom: package not found" >&2; exit 7' } },
};

/** Comma list or `all`, with depends_on — just enough grammar for fixtures. */
export function fixtureRoster(entries = FIXTURE_ENTRIES): ImageRoster {
  const names = Object.keys(entries).sort();
  return {
    resolveSelection(selection) {
      const wanted = selection.trim() === 'all' ? names : selection.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = wanted.filter((n) => !(n in entries));
      if (unknown.length) throw new Error(`Unknown roster entries: ${unknown.join(', ')}. Available: ${names.join(', ')}`);
      const out = new Set<string>();
      const visit = (n: string) => { if (!out.has(n)) { out.add(n); for (const d of entries[n]!.depends_on ?? []) visit(d); } };
      wanted.forEach(visit);
      return [...out].sort();
    },
    entries: (list) => list.map((name) => ({ name, ...entries[name]! })),
    providerProtocols: () => ({ 'anthropic-messages': ['anthropic'] }),
  };
}

/** Minimal templates; `runLabel` marks every layer so a test can remove what it built. */
export function fixtureTemplates(runLabel: string): ImageTemplateSource {
  return {
    l0: ({ baseImage }) => `# syntax=docker/dockerfile:1
ARG BASE_IMAGE=${baseImage}
FROM \${BASE_IMAGE}
LABEL terok.test.run="${runLabel}"
${runLines(['mkdir -p /etc /home/dev /tmp', 'echo "root:x:0:0::/root:/bin/sh" > /etc/passwd', 'echo "dev:x:1000:1000::/home/dev:/bin/sh" >> /etc/passwd', 'chown 1000:1000 /home/dev', 'chmod 1777 /tmp'])}
COPY scripts/init-ssh-and-repo.sh /usr/local/bin/init-ssh-and-repo.sh
USER dev
CMD ["/usr/local/bin/init-ssh-and-repo.sh"]
`,
    l1: (v: L1Vars) => `ARG BASE_IMAGE=${v.baseImage}
FROM \${BASE_IMAGE}
USER root
RUN echo "prelude for ${v.family}"
ARG AGENT_CACHE_BUST=0
RUN echo "agent layer $AGENT_CACHE_BUST"
COPY agent-protocols.json ${v.agentProtocolsPath}
COPY provider-protocols.json ${v.providerProtocolsPath}
${v.installRootSnippets.map((s) => s.dockerfile).join('\n')}
USER dev
${v.installDevSnippets.map((s) => s.dockerfile).join('\n')}
USER root
RUN mkdir -p /etc/terok && echo "TEROK_INSTALLED_AGENTS=${v.installedAgentsCsv}" > ${v.installedEnvPath}
LABEL ai.terok.agents="${v.installedAgentsCsv}"
USER dev
`,
    contextFiles: () => [{ path: 'scripts/init-ssh-and-repo.sh', content: '#!/bin/sh\nexec "$@"\n', mode: 0o755 }],
  };
}
