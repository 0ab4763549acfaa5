/** Git: informational in terok's gate — without it only the git gate is off. */
import { detectDistro, installCommand } from '../host/distro.ts';
import { which } from '../host/which.ts';
import { defineStep, type Probed } from './descriptor.ts';

export interface GitFacts {
  path: string | null;
  installCommand: string | null;
}

export const gitStep = defineStep({
  id: 'git',
  title: 'Git',
  requirement: 'info',
  gate: 'terok-preflight',
  // In terok a failed podman stops the gate before git is looked at.
  dependsOn: ['podman'],
  cost: 'files',
  about: "Terok's Git gate uses Git on this computer to mirror your repositories, so agents can push through it.",
  checkName: () => 'git',
  async probe({ ctx }): Promise<Probed<GitFacts>> {
    const bin = which(ctx, 'git');
    const facts = { path: bin, installCommand: installCommand(detectDistro().family, 'git') };
    if (!bin) return { result: { name: 'git', ok: false, message: 'not found on PATH — git gate disabled' }, status: 'missing', facts };
    return { result: { name: 'git', ok: true, message: 'ok' }, status: 'ok', facts };
  },
  unmet: () => ({ stream: 'stdout', lines: ['      Without git, the host-side git gate is disabled —', '      containers will run without the git push channel.'] }),
  explain({ status, facts }) {
    if (status === 'ok') return { headline: 'Git is installed.', details: [{ label: 'Found at', value: facts.path ?? '' }] };
    return {
      headline: 'Git is not installed. This does not block terok; install it to enable the Git gate.',
      // terok's line says "not found on PATH"; the wizard's list says it plainly.
      summary: 'Not installed (recommended for the Git gate)',
      commands: facts.installCommand ? [{ label: 'Install Git', command: facts.installCommand }] : [],
    };
  },
});
