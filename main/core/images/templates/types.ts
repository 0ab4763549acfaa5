/** The contract between the build engine and a set of Dockerfile templates. */
import type { PackageFamily } from '../../settings.ts';

/** A file written into the build context (path relative to the context root). */
export interface StagedFile {
  path: string;
  content: string;
  /** Default 0o644; scripts are 0o755 (COPY keeps the mode). */
  mode?: number;
}

export interface L0Vars {
  baseImage: string;
  family: PackageFamily;
}

/** One entry's rendered install fragment. */
export interface InstallSnippet {
  name: string;
  dockerfile: string;
}

export interface L1Vars {
  /** The L0 tag this layer builds on. */
  baseImage: string;
  family: PackageFamily;
  installRootSnippets: InstallSnippet[];
  installDevSnippets: InstallSnippet[];
  /** Sorted resolved selection joined with `,`. */
  installedAgentsCsv: string;
  installedEnvPath: string;
  agentProtocolsPath: string;
  providerProtocolsPath: string;
}

export interface SidecarVars {
  baseImage: string;
  family: PackageFamily;
  toolName: string;
}

export interface ImageTemplateSource {
  l0(vars: L0Vars): string;
  l1(vars: L1Vars): string;
  /**
   * The L1 sidecar. Optional so a source made only for L0/L1 (test fixtures)
   * stays valid; the engine falls back to our own sidecar template.
   */
  sidecar?(vars: SidecarVars): string;
  /** Helper files the templates COPY from the context. */
  contextFiles(family: PackageFamily): StagedFile[];
}

/** In-image paths the L1 layer bakes (terok reads them at run time). */
export const IN_IMAGE_PATHS = {
  installedEnv: '/etc/terok/installed.env',
  agentProtocols: '/usr/local/share/terok/agent-protocols.json',
  providerProtocols: '/usr/local/share/terok/provider-protocols.json',
  helpDir: '/usr/local/share/terok/help.d',
} as const;

/** Context-relative names the engine stages and the templates COPY. */
export const CONTEXT_PATHS = {
  l0Dockerfile: 'L0.Dockerfile',
  l1Dockerfile: 'L1.cli.Dockerfile',
  sidecarDockerfile: 'L1.sidecar.Dockerfile',
  agentProtocols: 'agent-protocols.json',
  providerProtocols: 'provider-protocols.json',
  helpDir: 'help.d',
  devToolsHelp: 'help.d/dev-tools.txt',
} as const;

/** Joins shell commands into one RUN body with readable continuation lines. */
export function runLines(commands: readonly string[]): string {
  return `RUN ${commands.join(' \\\n && ')}`;
}
