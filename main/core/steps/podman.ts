/**
 * Podman: terok's first gate line; nothing else can be checked without it.
 * Not installed, not responding and too old are different states with
 * different remedies: only the first is fixed by installing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { HostContext } from '../host/context.ts';
import { allInstallCommands, allUpgradeCommands, detectDistro, installCommand, upgradeCommand, type DistroFamily } from '../host/distro.ts';
import { CommandError } from '../host/process.ts';
import { isWellFormedPodmanVersion, MIN_PODMAN_VERSION, olderThanMinimum, parsePodmanVersion } from '../host/podman-version.ts';
import { which } from '../host/which.ts';
import { quoteInput } from '../validate.ts';
import { shellWord } from '../vault/secret-modes.ts';
import { defineStep, type Probed } from './descriptor.ts';

export const PODMAN_TIMEOUT_MS = 10_000;

/** How an installed podman failed to answer: no answer in time, an error exit, or it could not be run at all. */
export interface PodmanNoAnswer {
  kind: 'timeout' | 'exit' | 'error';
  /** The exit code for `exit`, else null. */
  exitCode: number | null;
  /** podman's stderr (exit), or what went wrong (timeout, error). */
  detail: string;
}

export interface PodmanFacts {
  distro: string;
  installCommand: string | null;
  otherInstallCommands: { label: string; command: string }[];
  /** For an installed podman that is too old (or says no version): this distribution's upgrade, and the others'. */
  upgradeCommand: string | null;
  otherUpgradeCommands: { label: string; command: string }[];
  /** The distribution family (the backports note is for Debian / Ubuntu). */
  family: DistroFamily;
  /** The version podman reported; null when it is not installed, does not answer, or its answer is not a version. */
  version: string | null;
  /** podman's answer when it is not a version (quoted and cut short for display), else null. */
  unknownVersion: string | null;
  path: string | null;
  /** Set exactly when the status is unresponsive. */
  noAnswer: PodmanNoAnswer | null;
  /** Where rootless podman keeps images (the nearest existing folder), as the user writes it (`~/…`). */
  storageDir: string;
}

/** Install and upgrade hints, computed while podman answers (they never delay the spawn). */
function distroFacts() {
  const distro = detectDistro();
  return {
    distro: distro.name, family: distro.family,
    installCommand: installCommand(distro.family, 'podman'), otherInstallCommands: allInstallCommands('podman'),
    upgradeCommand: upgradeCommand(distro.family, 'podman'), otherUpgradeCommands: allUpgradeCommands('podman'),
  };
}

/** Rootless podman's graphroot (containers-storage default), cut back to a folder that exists, for `df`. */
function storageDirOf(ctx: HostContext): string {
  let dir = path.join(ctx.env.XDG_DATA_HOME || path.join(ctx.home, '.local/share'), 'containers/storage');
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const rel = path.relative(ctx.home, dir);
  return rel === '' ? '~' : !rel.startsWith('..') && !path.isAbsolute(rel) ? `~/${rel}` : dir;
}

/** A shown path as one shell word; a leading `~/` stays unquoted so the shell still expands it. */
function shellPath(p: string): string {
  if (p === '~') return p;
  return p.startsWith('~/') ? `~/${shellWord(p.slice(2))}` : shellWord(p);
}

function noAnswerOf(err: unknown): PodmanNoAnswer {
  if (err instanceof CommandError && err.reason === 'exit') return { kind: 'exit', exitCode: err.exitCode, detail: err.stderrTail.trim() || 'non-zero exit' };
  return { kind: err instanceof CommandError && err.reason === 'timeout' ? 'timeout' : 'error', exitCode: null, detail: (err as Error).message };
}

const line = (ok: boolean, message: string) => ({ name: 'podman', ok, message });
const seconds = (ms: number) => `${ms / 1000} s`;

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
    const base = { version: null, unknownVersion: null, noAnswer: null };
    if (!bin) return { result: line(false, 'not found on PATH'), status: 'missing', facts: { ...distroFacts(), ...base, path: null, storageDir: storageDirOf(ctx) } };
    const answer = ctx.run(bin, ['version', '--format', '{{.Client.Version}}'], { timeoutMs: PODMAN_TIMEOUT_MS, signal });
    const facts: PodmanFacts = { ...distroFacts(), ...base, path: bin, storageDir: storageDirOf(ctx) };
    let stdout: string;
    try {
      ({ stdout } = await answer);
    } catch (err) {
      facts.noAnswer = noAnswerOf(err);
      return { result: line(false, `found but not responding: ${facts.noAnswer.detail}`), status: 'unresponsive', facts };
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
  explain({ status, facts, result }) {
    // A probe that threw has no facts (readiness.safeProbe): say what failed, nothing else.
    if (status === 'error') return { headline: `The podman check itself failed: ${result.message}. Press Check again.` };
    const found = { label: 'Found at', value: facts.path ?? '' };
    switch (status) {
      case 'ok': return { headline: `Podman ${facts.version} is installed.`, details: [found] };
      case 'degraded': return tooOld(facts, found);
      case 'unresponsive': return notResponding(facts, found);
      default: {
        const install = facts.installCommand ? [{ label: 'Install command', command: facts.installCommand }] : [];
        const others = facts.otherInstallCommands.map((o) => ({ label: `${o.label} install command`, command: o.command, group: 'Other distributions' }));
        return {
          headline: `Podman is not installed. Nothing else can be checked until it works. Press Install podman to install it from ${facts.distro}'s own packages (the system asks for your password), or run the install command below in a terminal.`,
          commands: [...install, ...others],
          links: [{ label: 'Podman installation guide', url: 'https://podman.io/docs/installation' }],
        };
      }
    }
  },
  fix: {
    offer: () => 'Install podman now?',
    action: 'Install podman',
    tasks: ['packages.install'],
    // Installed but silent or old: installing again fixes none of that (the page says what does).
    applies: ({ status }) => status === 'missing',
    explicit: true,
    plan: (_settings, facts) => facts.path
      ? { unfixable: ['      Podman is installed; installing it again would not change anything.'] }
      : { run: [{ task: 'packages.install', params: { tools: ['podman'] } }] },
    terok: {
      logIndent: '      ',
      failed: (f) => ['failure' in f ? `      Installing podman failed: ${f.failure.message}` : '      Installing podman failed'],
    },
  },
});

type Detail = { label: string; value: string };

/** Installed but older than tested, or its version is not a version: upgrade (never "install"). */
function tooOld(facts: PodmanFacts, found: Detail) {
  const upgrade = facts.upgradeCommand ? [{ label: 'Upgrade command', command: facts.upgradeCommand }] : [];
  const others = facts.otherUpgradeCommands.map((o) => ({ label: `${o.label} upgrade command`, command: o.command, group: 'Other distributions' }));
  const min = MIN_PODMAN_VERSION.join('.');
  // Debian 11 and Ubuntu 22.04 ship podman 3.x: upgrading the package finds nothing newer there.
  const backports = facts.family === 'debian'
    ? ` On older Debian or Ubuntu releases (Debian 11, Ubuntu 22.04) the release's own podman stays older than ${min}: install podman from backports, or upgrade the release.`
    : '';
  if (facts.version === null) {
    return {
      headline: `Podman is installed, version unknown: asked for its version, podman printed ${facts.unknownVersion ?? 'nothing'}, which is not a version number. Terok goes on as if it were current; if containers misbehave, upgrade podman.`,
      details: [found, { label: 'Version', value: 'unknown' }],
      commands: [{ label: 'See what podman reports', command: 'podman version' }, ...upgrade, ...others],
    };
  }
  return {
    headline: `Podman ${facts.version} is older than the tested ${min}; expect problems. Upgrade it with the command below, then press Check again.${backports}`,
    details: [found, { label: 'Version', value: facts.version }, { label: 'Tested from', value: min }],
    commands: [...upgrade, ...others],
    links: [{ label: 'Podman installation guide', url: 'https://podman.io/docs/installation' }],
  };
}

/** Installed but no answer: what usually unsticks it, and a diagnostic — installing again fixes none of this. */
function notResponding(facts: PodmanFacts, found: Detail) {
  const what = facts.noAnswer ?? { kind: 'error', exitCode: null, detail: 'no answer' };
  const headline = what.kind === 'timeout'
    ? `Podman is installed but did not answer within ${seconds(PODMAN_TIMEOUT_MS)} when asked for its version.`
    : what.kind === 'exit'
      ? `Podman is installed but fails when asked for its version (exit code ${what.exitCode ?? 'unknown'}).`
      : 'Podman is installed but could not be run.';
  const happened: Detail = what.kind === 'timeout'
    ? { label: 'What happened', value: `no answer within ${seconds(PODMAN_TIMEOUT_MS)} (stopped)` }
    : what.kind === 'exit' ? { label: 'Podman said', value: what.detail } : { label: 'Error', value: what.detail };
  return {
    headline: `${headline} Nothing else can be checked until podman works. It does not need installing again: try the commands below in a terminal, one at a time, pressing Check again after each.`,
    details: [found, happened],
    commands: [
      { label: 'Reset podman\'s state (fixes most hangs after a podman upgrade or a reboot)', command: 'podman system migrate' },
      { label: 'Stop a stale pause process (podman starts a fresh one)', command: "pkill -u \"$USER\" -f 'catatonit -P'" },
      { label: 'Check free disk space where podman keeps images', command: `df -h ${shellPath(facts.storageDir)}` },
      { label: 'See where podman gets stuck (gives up after 30 s; include the output when asking for help)', command: 'timeout 30 podman --log-level=debug info' },
    ],
    links: [{ label: 'Podman troubleshooting guide', url: 'https://github.com/containers/podman/blob/main/troubleshooting.md' }],
  };
}
