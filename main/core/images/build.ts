/**
 * Builds terok's L0 and L1 images (spec §5.4): resolve the selection, skip
 * when both tags exist, otherwise stage a build context in a temp dir (always
 * removed), build L0 then L1 with podman, streaming every output line and
 * step progress to the caller.
 *
 * Alias decision (spec §10.1 item 1): terok's preflight probes only the
 * unsuffixed alias `terok-l1-cli:<slug>`, while its setup builds only the
 * suffixed tag — so a fresh setup still reads "not built". We resolve this by
 * always tagging the alias as well: L1 is built with an extra `-t <alias>`,
 * and a cache hit re-points the alias at the requested L1 when it is missing
 * or points elsewhere. Then the images probe says "ready" right after any
 * build, and a second build is a cache hit. The alias always names the
 * selection built or confirmed last.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HostContext } from '../host/context.ts';
import { CommandError } from '../host/process.ts';
import type { PackageFamily } from '../probes/types.ts';
import { stageBuildContext } from './context.ts';
import { diagnoseBuildFailure } from './diagnose.ts';
import { ImageBuildError, PODMAN_NOT_FOUND } from './errors.ts';
import { knownFamily, parseFamilyOverride, resolveFamily } from './family.ts';
import { renderFragment } from './fragments.ts';
import {
  buildCommandArgs, findPodman, imageExists, imageId, listWorkingContainers, podmanVersion, PODMAN_BUILD_TIMEOUT_MS,
  removeContainers, shellQuote, tagImage, type Podman,
} from './podman.ts';
import { BuildProgressTracker, countBuildSteps, type BuildProgress, type ImageLayer } from './progress.ts';
import type { ImageRoster, ImageRosterEntry } from './roster-view.ts';
import { l0Tag, l1AliasTag, l1Tag, normaliseBaseImage } from './tags.ts';
import { DEFAULT_TEMPLATES } from './templates/index.ts';
import { CONTEXT_PATHS, IN_IMAGE_PATHS, type ImageTemplateSource, type InstallSnippet, type StagedFile } from './templates/types.ts';

export const DEFAULT_AGENT_SELECTION = 'all';
/** Output lines kept for a failure report. */
const OUTPUT_TAIL_LINES = 30;

export interface BuildRequest {
  baseImage?: string | null;
  /** Override; null/undefined = detect from the base image. */
  family?: PackageFamily | null;
  /** Selection grammar of §4.6; default `all`. */
  agents?: string;
  /** Build even when both tags exist (agent installs re-run, prelude cached). */
  rebuild?: boolean;
  /** `--no-cache` for both images and a fresh pull of the base. */
  fullRebuild?: boolean;
}

export interface BuildObserver {
  signal?: AbortSignal;
  log?(line: string, stream: 'stdout' | 'stderr' | 'info'): void;
  progress?(p: BuildProgress): void;
}

export interface BuildDeps {
  ctx: Pick<HostContext, 'env' | 'run'>;
  roster: ImageRoster;
  /** Dockerfile templates and helper files; tests inject minimal ones. */
  templates?: ImageTemplateSource;
  /** Clock in ms (cache-bust value and elapsed time). */
  now?: () => number;
  /** Parent of the temporary build context (default: the OS temp dir). */
  tmpRoot?: string;
  buildTimeoutMs?: number;
}

export interface BuildResult {
  l0: string;
  /** The suffixed L1 tag for the selection. */
  l1: string;
  /** `terok-l1-cli:<slug>`, which the images probe checks. */
  alias: string;
  /** True when both images existed and no podman build ran. */
  cached: boolean;
  baseImage: string;
  /** Null only on a cache hit for a base the family table does not know. */
  family: PackageFamily | null;
  agents: string[];
  elapsedMs: number;
}

export interface ImageTags {
  l0: string;
  l1: string;
  alias: string;
}

export function imageTags(baseImage: string, agents: readonly string[]): ImageTags {
  return { l0: l0Tag(baseImage), l1: l1Tag(baseImage, agents), alias: l1AliasTag(baseImage) };
}

/** Resolves a selection through the roster, turning its errors into build errors. */
export function resolveAgents(roster: ImageRoster, selection: string | undefined): string[] {
  try {
    return [...roster.resolveSelection(selection?.trim() ? selection : DEFAULT_AGENT_SELECTION)].sort();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const unknown = /^Unknown roster entries/.test(message);
    throw new ImageBuildError(unknown ? 'unknown-agents' : 'invalid-selection', message, {
      hint: unknown
        ? 'Use names from the list above: "all", a comma list like "claude,codex", or exclusions like "all,-vibe".'
        : 'Fix the agent selection or the roster entry it names, then build again.',
    });
  }
}

function snippetsFor(entries: readonly ImageRosterEntry[], key: 'run_as_root' | 'run_as_dev', family: PackageFamily): InstallSnippet[] {
  const out: InstallSnippet[] = [];
  for (const e of entries) {
    const text = e.install[key];
    if (text?.trim()) out.push({ name: e.name, dockerfile: renderFragment(text, { family }, e.name) });
  }
  return out;
}

/** The roster-derived files of the context: protocol maps and the dev-tools help page. */
export function rosterContextFiles(roster: ImageRoster, entries: readonly ImageRosterEntry[]): StagedFile[] {
  const agentProtocols: Record<string, { protocol: string | null; label: string }> = {};
  for (const e of entries) {
    if (e.help?.section === 'dev_tool') continue;
    agentProtocols[e.name] = { protocol: e.protocol ?? null, label: e.label ?? e.name };
  }
  const devTools = entries
    .filter((e) => e.help?.section === 'dev_tool')
    .map((e) => decodeAnsiEscapes(e.help!.label));
  return [
    { path: CONTEXT_PATHS.agentProtocols, content: JSON.stringify(agentProtocols, null, 2) + '\n' },
    { path: CONTEXT_PATHS.providerProtocols, content: JSON.stringify(roster.providerProtocols(), null, 2) + '\n' },
    { path: CONTEXT_PATHS.devToolsHelp, content: devTools.length ? devTools.join('\n') + '\n' : '' },
  ];
}

/** YAML labels spell the escape character as the text `\033` (or `\x1b`); the help page needs the byte. */
export function decodeAnsiEscapes(text: string): string {
  return text.replace(/\\033|\\x1b|\\e/gi, '\x1b');
}

/** Everything a build stages, rendered — pure, so tests can inspect it without podman. */
export function renderBuildContext(
  roster: ImageRoster, templates: ImageTemplateSource, baseImage: string, family: PackageFamily, agents: readonly string[],
): { files: StagedFile[]; l0Dockerfile: string; l1Dockerfile: string } {
  const entries = roster.entries(agents);
  const l0Dockerfile = templates.l0({ baseImage, family });
  const l1Dockerfile = templates.l1({
    baseImage: l0Tag(baseImage),
    family,
    installRootSnippets: snippetsFor(entries, 'run_as_root', family),
    installDevSnippets: snippetsFor(entries, 'run_as_dev', family),
    installedAgentsCsv: [...agents].sort().join(','),
    installedEnvPath: IN_IMAGE_PATHS.installedEnv,
    agentProtocolsPath: IN_IMAGE_PATHS.agentProtocols,
    providerProtocolsPath: IN_IMAGE_PATHS.providerProtocols,
  });
  const files: StagedFile[] = [
    { path: CONTEXT_PATHS.l0Dockerfile, content: l0Dockerfile },
    { path: CONTEXT_PATHS.l1Dockerfile, content: l1Dockerfile },
    ...rosterContextFiles(roster, entries),
    ...templates.contextFiles(family),
  ];
  return { files, l0Dockerfile, l1Dockerfile };
}

/** Makes sure the alias names the requested L1 (see the decision at the top). */
async function pointAliasAt(podman: Podman, tags: ImageTags, signal?: AbortSignal): Promise<boolean> {
  const [target, current] = await Promise.all([imageId(podman, tags.l1, signal), imageId(podman, tags.alias, signal)]);
  if (target && target === current) return false;
  await tagImage(podman, tags.l1, tags.alias, signal);
  return true;
}

export async function buildImages(request: BuildRequest, deps: BuildDeps, observer: BuildObserver = {}): Promise<BuildResult> {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const { signal } = observer;
  const log = (line: string, stream: 'stdout' | 'stderr' | 'info' = 'info') => observer.log?.(line, stream);
  const familyOverride = parseFamilyOverride(request.family);
  const podman = findPodman(deps.ctx);
  const baseImage = normaliseBaseImage(request.baseImage);
  const agents = resolveAgents(deps.roster, request.agents);
  const tags = imageTags(baseImage, agents);
  const result = (cached: boolean, family: PackageFamily | null): BuildResult => ({
    ...tags, cached, baseImage, family, agents, elapsedMs: now() - startedAt,
  });

  // Cache check before family detection, so a cached image of an unknown base still works.
  if (!request.rebuild && !request.fullRebuild) {
    const [hasL0, hasL1] = await Promise.all([imageExists(podman, tags.l0, signal), imageExists(podman, tags.l1, signal)]);
    if (hasL0 && hasL1) {
      const retagged = await pointAliasAt(podman, tags, signal);
      log(`Images already built: ${tags.l0}, ${tags.l1}${retagged ? ` (tagged ${tags.alias})` : ''}`);
      return result(true, familyOverride ?? knownFamily(baseImage));
    }
  }

  const family = resolveFamily(baseImage, familyOverride);
  const templates = deps.templates ?? DEFAULT_TEMPLATES;
  const rendered = renderBuildContext(deps.roster, templates, baseImage, family, agents);
  const contextDir = mkdtempSync(path.join(deps.tmpRoot ?? os.tmpdir(), 'terok-setup-build-'));
  try {
    try {
      stageBuildContext(contextDir, rendered.files);
    } catch (err) {
      throw new ImageBuildError('staging-failed', `Image build failed preparing base build context for '${tags.l1}' at ${contextDir}: ${(err as Error).message}`, {
        hint: 'Check free space and permissions of the temporary directory, then build again.',
      });
    }
    const cacheBust = String(Math.floor(now() / 1000));
    let pull: 'always' | 'legacy-always' | undefined;
    if (request.fullRebuild) {
      const version = await podmanVersion(podman, signal);
      pull = version && version[0] < 4 ? 'legacy-always' : 'always';
    }
    const tracker = new BuildProgressTracker([
      { image: 'L0', tag: tags.l0, estimatedSteps: countBuildSteps(rendered.l0Dockerfile) },
      { image: 'L1', tag: tags.l1, estimatedSteps: countBuildSteps(rendered.l1Dockerfile) },
    ], now);
    const leftoversBefore = await listWorkingContainers(podman, signal);
    const run = (image: ImageLayer, args: string[]) =>
      runPodmanBuild(podman, image, args, { tracker, observer, log, baseImage, tag: image === 'L0' ? tags.l0 : tags.l1, timeoutMs: deps.buildTimeoutMs ?? PODMAN_BUILD_TIMEOUT_MS, leftoversBefore });

    await run('L0', buildCommandArgs({
      dockerfile: path.join(contextDir, CONTEXT_PATHS.l0Dockerfile),
      context: contextDir,
      buildArgs: { BASE_IMAGE: baseImage },
      tags: [tags.l0],
      noCache: request.fullRebuild,
      pull,
    }));
    await run('L1', buildCommandArgs({
      dockerfile: path.join(contextDir, CONTEXT_PATHS.l1Dockerfile),
      context: contextDir,
      buildArgs: { BASE_IMAGE: tags.l0, AGENT_CACHE_BUST: cacheBust },
      tags: [tags.l1, tags.alias],
      noCache: request.fullRebuild,
    }));
    log(`Built ${tags.l0} and ${tags.l1} (also tagged ${tags.alias}) in ${Math.round((now() - startedAt) / 1000)} s`);
    return result(false, family);
  } finally {
    rmSync(contextDir, { recursive: true, force: true });
  }
}

interface RunContext {
  tracker: BuildProgressTracker;
  observer: BuildObserver;
  log(line: string, stream?: 'stdout' | 'stderr' | 'info'): void;
  baseImage: string;
  tag: string;
  timeoutMs: number;
  leftoversBefore: Set<string>;
}

async function runPodmanBuild(podman: Podman, image: ImageLayer, args: string[], rc: RunContext): Promise<void> {
  const { observer, tracker } = rc;
  const command = [podman.bin, ...args];
  rc.log(`$ ${shellQuote(['podman', ...args])}`);
  observer.progress?.(tracker.begin(image));
  const tail: string[] = [];
  try {
    await podman.run(podman.bin, args, {
      timeoutMs: rc.timeoutMs,
      signal: observer.signal,
      onLine: (line, stream) => {
        tail.push(line);
        if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
        observer.log?.(line, stream);
        const p = tracker.line(line);
        if (p) observer.progress?.(p);
      },
    });
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    if (err.reason === 'cancelled' || err.reason === 'timeout') await removeLeftovers(podman, rc);
    if (err.reason === 'cancelled') {
      throw new ImageBuildError('cancelled', `Build cancelled while building ${image} ${rc.tag}; it was not tagged.`, { command });
    }
    if (err.reason === 'not-found') throw new ImageBuildError('podman-missing', PODMAN_NOT_FOUND, { command });
    if (err.reason === 'timeout') {
      throw new ImageBuildError('build-failed', `Image build failed: ${image} ${rc.tag} did not finish within ${Math.round(rc.timeoutMs / 60_000)} min.`, {
        command, outputTail: tail.join('\n'), hint: 'Check the network connection (package downloads may be stalled), then build again.',
      });
    }
    if (err.reason === 'spawn') throw new ImageBuildError('podman-failed', `Image build failed: ${err.message}`, { command });
    throw diagnoseBuildFailure({
      image, tag: rc.tag, baseImage: rc.baseImage, command, exitCode: err.exitCode, lastMarker: tracker.lastMarker, outputTail: tail.join('\n'),
    });
  }
  observer.progress?.(tracker.finish());
}

/**
 * Podman tags only after a successful commit, so an interrupted build never
 * leaves a tag — but buildah leaves its working containers behind. Remove
 * the ones that appeared during this build (best effort, own short timeout:
 * the build's signal is already aborted). A RUN process that was executing
 * keeps running until its command ends; podman offers no handle to stop it.
 */
async function removeLeftovers(podman: Podman, rc: RunContext): Promise<void> {
  try {
    const now = await listWorkingContainers(podman);
    const ours = [...now].filter((id) => !rc.leftoversBefore.has(id));
    if (ours.length) {
      rc.log(`Removing ${ours.length} unfinished build container(s)`);
      await removeContainers(podman, ours);
    }
  } catch { /* best effort: a leftover container costs disk space, not correctness */ }
}
