/** Podman: terok's first gate line; nothing else can be checked without it. */
import { allInstallCommands, detectDistro, installCommand } from '../host/distro.ts';
import { CommandError } from '../host/process.ts';
import { MIN_PODMAN_VERSION, olderThanMinimum, parsePodmanVersion } from '../host/podman-version.ts';
import { which } from '../host/which.ts';
import { defineStep, type Probed } from './descriptor.ts';

export const PODMAN_TIMEOUT_MS = 10_000;

export interface PodmanFacts {
  distro: string;
  installCommand: string | null;
  otherInstallCommands: { label: string; command: string }[];
  version: string | null;
  path: string | null;
}

/** Install hints, computed while podman answers (they never delay the spawn). */
function installFacts() {
  const distro = detectDistro();
  return { distro: distro.name, installCommand: installCommand(distro.family, 'podman'), otherInstallCommands: allInstallCommands('podman') };
}

const line = (ok: boolean, message: string) => ({ name: 'podman', ok, message });

export const podmanStep = defineStep({
  id: 'podman',
  title: 'Podman',
  requirement: 'required',
  gate: 'terok-preflight',
  stopsEverything: true,
  dependsOn: [],
  cost: 'child-process',
  about: 'Podman runs each agent in its own rootless container. Terok cannot work without it.',
  checkName: () => 'podman',
  async probe({ ctx, signal }): Promise<Probed<PodmanFacts>> {
    const bin = which(ctx, 'podman');
    if (!bin) return { result: line(false, 'not found on PATH'), status: 'missing', facts: { ...installFacts(), version: null, path: null } };
    const answer = ctx.run(bin, ['version', '--format', '{{.Client.Version}}'], { timeoutMs: PODMAN_TIMEOUT_MS, signal });
    const facts: PodmanFacts = { ...installFacts(), version: null, path: bin };
    let stdout: string;
    try {
      ({ stdout } = await answer);
    } catch (err) {
      const detail = err instanceof CommandError && err.reason === 'exit' ? err.stderrTail.trim() || 'non-zero exit' : (err as Error).message;
      return { result: line(false, `found but not responding: ${detail}`), status: 'unresponsive', facts };
    }
    const version = stdout.trim();
    facts.version = version;
    if (olderThanMinimum(parsePodmanVersion(version))) {
      return { result: line(true, `version ${version} is older than the tested minimum ${MIN_PODMAN_VERSION.join('.')} — unsupported; expect degraded behavior`), status: 'degraded', facts };
    }
    return { result: line(true, 'ok'), status: 'ok', facts };
  },
  unmet: () => ({ stream: 'stderr', lines: ['      Install podman first: https://podman.io/docs/installation'] }),
  explain({ status, facts }) {
    const others = facts.otherInstallCommands.map((o) => ({ label: `${o.label} install command`, command: o.command, group: 'Other distributions' }));
    const install = facts.installCommand ? [{ label: 'Install command', command: facts.installCommand }] : [];
    switch (status) {
      case 'ok': return { headline: `Podman ${facts.version} is installed.`, details: [{ label: 'Found at', value: facts.path ?? '' }] };
      case 'degraded': return { headline: `Podman ${facts.version} is older than the tested ${MIN_PODMAN_VERSION.join('.')}; expect problems. Consider upgrading.`, details: [{ label: 'Found at', value: facts.path ?? '' }] };
      case 'unresponsive': return { headline: 'Podman is installed but does not answer. Nothing else can be checked until podman works.', details: [{ label: 'Found at', value: facts.path ?? '' }] };
      default: return { headline: `Podman is not installed. Install it on ${facts.distro} with the command below, then press Check again; nothing else can be checked until podman works.`, commands: [...install, ...others], links: [{ label: 'Podman installation guide', url: 'https://podman.io/docs/installation' }] };
    }
  },
});
