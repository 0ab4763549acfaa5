/**
 * The readiness gate's steps in terok's order, with what each one means for
 * the verdict and what terok prints when it stays unmet.
 */
import { probeCredentials, probeSshKey } from '../probes/vault.ts';
import { probeGit } from '../probes/git.ts';
import { probeImages } from '../probes/images.ts';
import { probePodman } from '../probes/podman.ts';
import { probeSandboxServices } from '../probes/sandbox.ts';
import type { GateSettings, Probe } from '../probes/types.ts';

export type StepId = 'podman' | 'git' | 'sandbox' | 'images' | 'ssh' | 'credentials';

/**
 * hard     — failing stops everything (podman)
 * required — failing makes the verdict "not ready", the sweep continues
 * info     — never blocks, never offers a fix (git)
 * optional — never blocks; a fix may be offered
 */
export type StepKind = 'hard' | 'required' | 'info' | 'optional';

export interface StepSpec {
  id: StepId;
  title: string;
  kind: StepKind;
  probe: Probe;
  /** The offer shown before a fix, e.g. "Install shield hooks now?". */
  offer?: (s: GateSettings) => string;
  /** Lines terok prints when the step is still unmet. */
  unmet: (s: GateSettings) => { stream: 'stdout' | 'stderr'; lines: string[] };
  /** The terok command that fixes this step by hand. */
  manualCommand?: (s: GateSettings) => string;
}

export const STEPS: readonly StepSpec[] = [
  {
    id: 'podman', title: 'Podman', kind: 'hard', probe: probePodman,
    unmet: () => ({ stream: 'stderr', lines: ['      Install podman first: https://podman.io/docs/installation'] }),
  },
  {
    id: 'git', title: 'Git', kind: 'info', probe: probeGit,
    unmet: () => ({ stream: 'stdout', lines: ['      Without git, the host-side git gate is disabled —', '      containers will run without the git push channel.'] }),
  },
  {
    id: 'sandbox', title: 'Sandbox services', kind: 'required', probe: probeSandboxServices,
    offer: () => 'Install shield hooks now?',
    unmet: () => ({ stream: 'stderr', lines: ['      Run: terok-executor setup'] }),
    manualCommand: () => 'terok-executor setup',
  },
  {
    id: 'images', title: 'Container images', kind: 'required', probe: probeImages,
    offer: () => 'Build container images now?',
    unmet: () => ({ stream: 'stderr', lines: ['      Run: terok-executor build'] }),
    manualCommand: (s) => `terok-executor build --base ${s.baseImage}`,
  },
  {
    id: 'ssh', title: 'SSH key', kind: 'optional', probe: probeSshKey,
    offer: () => 'Generate an SSH key for gate signing?',
    unmet: () => ({ stream: 'stdout', lines: ["      Without a gate SSH key, git push via the gate won't work."] }),
  },
  {
    id: 'credentials', title: 'Credentials', kind: 'optional', probe: probeCredentials,
    offer: (s) => `Authenticate ${s.provider} now?`,
    unmet: (s) => ({ stream: 'stdout', lines: [`      Without credentials, ${s.provider} will prompt for login on first turn.`] }),
    manualCommand: (s) => `terok-executor auth ${s.provider}`,
  },
];

export const stepById = (id: StepId): StepSpec => STEPS.find((s) => s.id === id)!;

/** Only these count against readiness. */
export const countsAgainstReadiness = (kind: StepKind) => kind === 'hard' || kind === 'required';
