/** Podman: terok's first gate line; nothing else can be checked without it. */
import { allInstallCommands, detectDistro, installCommand } from '../host/distro.ts';
import { CommandError } from '../host/process.ts';
import { isWellFormedPodmanVersion, MIN_PODMAN_VERSION, olderThanMinimum, parsePodmanVersion } from '../host/podman-version.ts';
import { which } from '../host/which.ts';
import { quoteInput } from '../validate.ts';
import { defineStep, type Probed } from './descriptor.ts';

export const PODMAN_TIMEOUT_MS = 10_000;

export interface PodmanFacts {
  distro: string;
  installCommand: string | null;
  otherInstallCommands: { label: string; command: string }[];
  /** The version podman reported; null when it is not installed, does not answer, or its answer is not a version. */
  version: string | null;
  /** podman's answer when it is not a version (quoted and cut short for display), else null. */
  unknownVersion: string | null;
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
    if (!bin) return { result: line(false, 'not found on PATH'), status: 'missing', facts: { ...installFacts(), version: null, unknownVersion: null, path: null } };
    const answer = ctx.run(bin, ['version', '--format', '{{.Client.Version}}'], { timeoutMs: PODMAN_TIMEOUT_MS, signal });
    const facts: PodmanFacts = { ...installFacts(), version: null, unknownVersion: null, path: bin };
    let stdout: string;
    try {
      ({ stdout } = await answer);
    } catch (err) {
      const detail = err instanceof CommandError && err.reason === 'exit' ? err.stderrTail.trim() || 'non-zero exit' : (err as Error).message;
      return { result: line(false, `found but not responding: ${detail}`), status: 'unresponsive', facts };
    }
    const version = stdout.trim();
    const parsed = parsePodmanVersion(version);
    if (olderThanMinimum(parsed)) {
      // Old for sure; an odd suffix after the numbers is not shown.
      facts.version = isWellFormedPodmanVersion(version) ? version : parsed!.join('.');
      return { result: line(true, `version ${version} is older than the tested minimum ${MIN_PODMAN_VERSION.join('.')} — unsupported; expect degraded behavior`), status: 'degraded', facts };
    }
    // terok counts an answer it cannot parse as modern ("ok", byte for byte); the wizard says the version is unknown.
    if (!isWellFormedPodmanVersion(version)) {
      facts.unknownVersion = version ? quoteInput(version) : 'nothing';
      return { result: line(true, 'ok'), status: 'degraded', facts };
    }
    facts.version = version;
    return { result: line(true, 'ok'), status: 'ok', facts };
  },
  unmet: () => ({ stream: 'stderr', lines: ['      Install podman first: https://podman.io/docs/installation'] }),
  explain({ status, facts }) {
    const others = facts.otherInstallCommands.map((o) => ({ label: `${o.label} install command`, command: o.command, group: 'Other distributions' }));
    const install = facts.installCommand ? [{ label: 'Install command', command: facts.installCommand }] : [];
    switch (status) {
      case 'ok': return { headline: `Podman ${facts.version} is installed.`, details: [{ label: 'Found at', value: facts.path ?? '' }] };
      case 'degraded':
        if (facts.version === null) {
          return {
            headline: `Podman is installed, version unknown: asked for its version, podman printed ${facts.unknownVersion ?? 'nothing'}, which is not a version number. Terok goes on as if it were current; if containers misbehave, reinstall or upgrade podman.`,
            details: [{ label: 'Found at', value: facts.path ?? '' }, { label: 'Version', value: 'unknown' }],
            commands: [{ label: 'See what podman reports', command: 'podman version' }, ...install],
          };
        }
        return { headline: `Podman ${facts.version} is older than the tested ${MIN_PODMAN_VERSION.join('.')}; expect problems. Consider upgrading.`, details: [{ label: 'Found at', value: facts.path ?? '' }] };
      case 'unresponsive': return { headline: 'Podman is installed but does not answer. Nothing else can be checked until podman works.', details: [{ label: 'Found at', value: facts.path ?? '' }] };
      default: return { headline: `Podman is not installed. Install it on ${facts.distro} with the command below, then press Check again; nothing else can be checked until podman works.`, commands: [...install, ...others], links: [{ label: 'Podman installation guide', url: 'https://podman.io/docs/installation' }] };
    }
  },
});
