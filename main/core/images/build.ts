/**
 * Builds terok's L0 and L1 images (spec §5.4): resolve the selection, skip
 * when both tags exist, otherwise stage a build context in a temp dir (always
 * removed), build L0 then L1 with podman, streaming every output line and
 * step progress to the caller. The optional L1 sidecar (§5.6, `buildSidecar`)
 * goes through the same staging and podman machinery (`runStagedBuild`).
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
import type { PackageFamily } from '../settings.ts';
import { stageBuildContext } from './context.ts';
import { diagnoseBuildFailure } from './diagnose.ts';
import { ImageBuildError, PODMAN_NOT_FOUND } from './errors.ts';
import { knownFamily, parseFamilyOverride, resolveFamily } from './family.ts';
import { renderFragment } from './fragments.ts';
import {
  buildCommandArgs, findPodman, imageExists, imageId, listWorkingContainers, podmanVersion, PODMAN_BUILD_TIMEOUT_MS,
  removeContainers, shellQuote, tagImage, type BuildCommand, type Podman,
} from './podman.ts';
import { BuildProgressTracker, countBuildSteps, type BuildProgress, type ImageLayer } from './progress.ts';
import type { ImageRoster, ImageRosterEntry } from './roster-view.ts';
import { l0Tag, l1AliasTag, l1SidecarTag, l1Tag, normaliseBaseImage } from './tags.ts';
import { DEFAULT_TEMPLATES, renderSidecar } from './templates/index.ts';
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
  const log = logTo(observer);
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
  const cacheBust = String(Math.floor(now() / 1000));
  const pull = await pullPolicy(podman, request.fullRebuild, signal);
  await runStagedBuild(podman, deps, observer, {
    baseImage,
    contextName: `base build context for '${tags.l1}'`,
    files: rendered.files,
    layers: [
      l0Layer(baseImage, tags.l0, rendered.l0Dockerfile, request.fullRebuild, pull),
      {
        image: 'L1',
        dockerfile: CONTEXT_PATHS.l1Dockerfile,
        dockerfileText: rendered.l1Dockerfile,
        buildArgs: { BASE_IMAGE: tags.l0, AGENT_CACHE_BUST: cacheBust },
        tags: [tags.l1, tags.alias],
        noCache: request.fullRebuild,
      },
    ],
  });
  log(`Built ${tags.l0} and ${tags.l1} (also tagged ${tags.alias}) in ${Math.round((now() - startedAt) / 1000)} s`);
  return result(false, family);
}

// ── L1 sidecar (spec §5.1, §5.6) ───────────────────────────────────────────

export const DEFAULT_SIDECAR_TOOL = 'coderabbit';

export interface SidecarRequest {
  baseImage?: string | null;
  /** Override; null/undefined = detect from the base image. */
  family?: PackageFamily | null;
  /** A roster entry with a `sidecar:` section; default `coderabbit`. */
  toolName?: string;
  /** Build even when the sidecar tag exists (the tool install re-runs). */
  rebuild?: boolean;
  /**
   * `--no-cache` for the sidecar. L0 is only built here when it is missing
   * (then also with `--no-cache` and a fresh pull); refreshing an existing
   * L0 is `buildImages`' job, so `build --full-rebuild --sidecar` does not
   * build L0 twice.
   */
  fullRebuild?: boolean;
}

export interface SidecarResult {
  l0: string;
  /** `terok-l1-sidecar:<slug>` (one per base image, whatever the tool). */
  sidecar: string;
  /** The roster entry asked for. */
  toolName: string;
  /** True when the sidecar existed and no podman build ran. */
  cached: boolean;
  /** True when L0 was missing and was built first. */
  builtL0: boolean;
  baseImage: string;
  /** Null only on a cache hit for a base the family table does not know. */
  family: PackageFamily | null;
  elapsedMs: number;
}

/** Checks the tool against the roster's sidecar entries; returns the name the template installs. */
export function resolveSidecarTool(roster: ImageRoster, toolName: string | undefined): { name: string; installs: string } {
  const name = toolName?.trim() || DEFAULT_SIDECAR_TOOL;
  const tools = roster.sidecarTools?.() ?? {};
  const installs = Object.hasOwn(tools, name) ? tools[name] : undefined;
  if (installs) return { name, installs };
  const valid = Object.keys(tools).sort();
  throw new ImageBuildError('unknown-sidecar-tool', valid.length
    ? `Unknown sidecar tool '${name}'. Valid sidecar tools: ${valid.join(', ')}`
    : `Unknown sidecar tool '${name}': the agent roster defines no sidecar tools.`, {
    hint: 'A sidecar tool is a roster entry with a sidecar: section (the bundled roster has coderabbit).',
  });
}

/**
 * Builds `terok-l1-sidecar:<slug>`: L0 plus one tool. Skips when the sidecar
 * tag exists (unless rebuild/fullRebuild); builds L0 first when it is
 * missing. Same staging, runner, progress and failure handling as buildImages.
 */
export async function buildSidecar(request: SidecarRequest, deps: BuildDeps, observer: BuildObserver = {}): Promise<SidecarResult> {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const { signal } = observer;
  const log = logTo(observer);
  const familyOverride = parseFamilyOverride(request.family);
  const podman = findPodman(deps.ctx);
  const baseImage = normaliseBaseImage(request.baseImage);
  const tool = resolveSidecarTool(deps.roster, request.toolName);
  const l0 = l0Tag(baseImage);
  const sidecar = l1SidecarTag(baseImage);
  const result = (cached: boolean, builtL0: boolean, family: PackageFamily | null): SidecarResult => ({
    l0, sidecar, toolName: tool.name, cached, builtL0, baseImage, family, elapsedMs: now() - startedAt,
  });

  if (!request.rebuild && !request.fullRebuild && await imageExists(podman, sidecar, signal)) {
    log(`Sidecar image already built: ${sidecar}`);
    return result(true, false, familyOverride ?? knownFamily(baseImage));
  }

  const family = resolveFamily(baseImage, familyOverride);
  const buildL0 = !(await imageExists(podman, l0, signal));
  const templates = deps.templates ?? DEFAULT_TEMPLATES;
  const sidecarDockerfile = (templates.sidecar ?? renderSidecar)({ baseImage: l0, family, toolName: tool.installs });
  const l0Dockerfile = buildL0 ? templates.l0({ baseImage, family }) : '';
  const cacheBust = String(Math.floor(now() / 1000));
  const pull = buildL0 ? await pullPolicy(podman, request.fullRebuild, signal) : undefined;
  if (buildL0) log(`${l0} is missing; building it first`);
  await runStagedBuild(podman, deps, observer, {
    baseImage,
    contextName: `sidecar build context for '${sidecar}'`,
    files: [
      ...(buildL0 ? [{ path: CONTEXT_PATHS.l0Dockerfile, content: l0Dockerfile }, ...templates.contextFiles(family)] : []),
      { path: CONTEXT_PATHS.sidecarDockerfile, content: sidecarDockerfile },
    ],
    layers: [
      ...(buildL0 ? [l0Layer(baseImage, l0, l0Dockerfile, request.fullRebuild, pull)] : []),
      {
        image: 'L1 sidecar',
        dockerfile: CONTEXT_PATHS.sidecarDockerfile,
        dockerfileText: sidecarDockerfile,
        buildArgs: { BASE_IMAGE: l0, TOOL_CACHE_BUST: cacheBust },
        tags: [sidecar],
        noCache: request.fullRebuild,
      },
    ],
  });
  log(`Built ${sidecar}${buildL0 ? ` (and ${l0})` : ''} in ${Math.round((now() - startedAt) / 1000)} s`);
  return result(false, buildL0, family);
}

// ── shared build machinery ─────────────────────────────────────────────────

function logTo(observer: BuildObserver) {
  return (line: string, stream: 'stdout' | 'stderr' | 'info' = 'info') => observer.log?.(line, stream);
}

/** Full rebuilds re-pull the base; podman < 4.0 spells the flag differently. */
async function pullPolicy(podman: Podman, fullRebuild: boolean | undefined, signal?: AbortSignal): Promise<BuildCommand['pull']> {
  if (!fullRebuild) return undefined;
  const version = await podmanVersion(podman, signal);
  return version && version[0] < 4 ? 'legacy-always' : 'always';
}

/** One image of a staged build, in build order. */
interface LayerPlan {
  image: ImageLayer;
  /** Context-relative Dockerfile name. */
  dockerfile: string;
  /** Its text, for the step estimate before podman prints markers. */
  dockerfileText: string;
  buildArgs: Record<string, string>;
  /** First is the primary tag (named in messages). */
  tags: string[];
  noCache?: boolean | undefined;
  pull?: BuildCommand['pull'];
}

interface StagedBuild {
  baseImage: string;
  /** For the staging failure message, e.g. `base build context for '<tag>'`. */
  contextName: string;
  files: StagedFile[];
  layers: LayerPlan[];
}

/** `podman build -f <ctx>/L0.Dockerfile --build-arg BASE_IMAGE=<base> -t <l0> [--no-cache] [--pull…]`. */
function l0Layer(baseImage: string, tag: string, dockerfileText: string, fullRebuild: boolean | undefined, pull: BuildCommand['pull']): LayerPlan {
  return {
    image: 'L0', dockerfile: CONTEXT_PATHS.l0Dockerfile, dockerfileText, buildArgs: { BASE_IMAGE: baseImage }, tags: [tag], noCache: fullRebuild, pull,
  };
}

/**
 * Stages the files in a fresh temp dir (always removed), then runs each
 * layer's podman build in order through the runner, with one progress
 * tracker across all layers and one snapshot of pre-existing build
 * containers for cancel cleanup.
 */
async function runStagedBuild(podman: Podman, deps: BuildDeps, observer: BuildObserver, plan: StagedBuild): Promise<void> {
  const log = logTo(observer);
  const contextDir = mkdtempSync(path.join(deps.tmpRoot ?? os.tmpdir(), 'terok-setup-build-'));
  try {
    try {
      stageBuildContext(contextDir, plan.files);
    } catch (err) {
      throw new ImageBuildError('staging-failed', `Image build failed preparing ${plan.contextName} at ${contextDir}: ${(err as Error).message}`, {
        hint: 'Check free space and permissions of the temporary directory, then build again.',
      });
    }
    const tracker = new BuildProgressTracker(
      plan.layers.map((l) => ({ image: l.image, tag: l.tags[0]!, estimatedSteps: countBuildSteps(l.dockerfileText) })),
      deps.now ?? Date.now,
    );
    const leftoversBefore = await listWorkingContainers(podman, observer.signal);
    for (const layer of plan.layers) {
      const args = buildCommandArgs({
        dockerfile: path.join(contextDir, layer.dockerfile),
        context: contextDir,
        buildArgs: layer.buildArgs,
        tags: layer.tags,
        noCache: layer.noCache,
        pull: layer.pull,
      });
      await runPodmanBuild(podman, layer.image, args, {
        tracker, observer, log, baseImage: plan.baseImage, tag: layer.tags[0]!, timeoutMs: deps.buildTimeoutMs ?? PODMAN_BUILD_TIMEOUT_MS, leftoversBefore,
      });
    }
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
