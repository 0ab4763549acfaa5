/**
 * The podman calls image work makes, each an argument array with a timeout
 * and the caller's AbortSignal, all through the host's runner.
 */
import type { HostContext } from '../host/context.ts';
import { detectDistro, installCommand } from '../host/distro.ts';
import type { Runner } from '../host/process.ts';
import { which } from '../host/which.ts';
import { parsePodmanVersion } from '../host/podman-version.ts';
import { ImageBuildError, PODMAN_NOT_FOUND } from './errors.ts';

/** Quick queries (exists, inspect, tag, ps, rm). */
export const PODMAN_QUERY_TIMEOUT_MS = 30_000;
/** One image build; a first L1 build downloads a lot, so this is generous. */
export const PODMAN_BUILD_TIMEOUT_MS = 60 * 60_000;

export const AGENTS_LABEL = 'ai.terok.agents';

export interface Podman {
  bin: string;
  run: Runner;
}

export function findPodman(ctx: Pick<HostContext, 'env' | 'run'>): Podman {
  const bin = which(ctx, 'podman');
  if (!bin) {
    const install = installCommand(detectDistro().family, 'podman');
    throw new ImageBuildError('podman-missing', PODMAN_NOT_FOUND, {
      hint: install ? `Install it with: ${install} — then build again.` : 'Install podman (https://podman.io/docs/installation), then build again.',
    });
  }
  return { bin, run: ctx.run };
}

export async function imageExists(podman: Podman, tag: string, signal?: AbortSignal): Promise<boolean> {
  const { exitCode } = await podman.run(podman.bin, ['image', 'exists', tag], { timeoutMs: PODMAN_QUERY_TIMEOUT_MS, signal, allowNonZero: true });
  return exitCode === 0;
}

/** The image ID a tag points at, or null when the tag does not exist. */
export async function imageId(podman: Podman, tag: string, signal?: AbortSignal): Promise<string | null> {
  const { exitCode, stdout } = await podman.run(podman.bin, ['image', 'inspect', '--format', '{{.Id}}', tag], { timeoutMs: PODMAN_QUERY_TIMEOUT_MS, signal, allowNonZero: true });
  return exitCode === 0 ? stdout.trim() || null : null;
}

export async function tagImage(podman: Podman, source: string, target: string, signal?: AbortSignal): Promise<void> {
  await podman.run(podman.bin, ['tag', source, target], { timeoutMs: PODMAN_QUERY_TIMEOUT_MS, signal });
}

/** `[major, minor]` of the podman client, or null when unknown. */
export async function podmanVersion(podman: Podman, signal?: AbortSignal): Promise<[number, number] | null> {
  const { exitCode, stdout } = await podman.run(podman.bin, ['version', '--format', '{{.Client.Version}}'], { timeoutMs: PODMAN_QUERY_TIMEOUT_MS, signal, allowNonZero: true });
  return exitCode === 0 ? parsePodmanVersion(stdout) : null;
}

/** Agents baked into an image (its `ai.terok.agents` label); empty on any failure. */
export async function imageAgents(podman: Podman, tag: string, signal?: AbortSignal): Promise<Set<string>> {
  try {
    const { exitCode, stdout } = await podman.run(
      podman.bin,
      ['image', 'inspect', tag, '--format', `{{ index .Config.Labels "${AGENTS_LABEL}" }}`],
      { timeoutMs: PODMAN_QUERY_TIMEOUT_MS, signal, allowNonZero: true },
    );
    if (exitCode !== 0) return new Set();
    const text = stdout.trim();
    if (!text || text === '<no value>') return new Set();
    return new Set(text.split(',').map((s) => s.trim()).filter(Boolean));
  } catch {
    return new Set();
  }
}

export interface BuildCommand {
  dockerfile: string;
  context: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /** First is the primary tag; the rest become additional `-t` in order. */
  tags: readonly string[];
  noCache?: boolean;
  /** Always re-pull the base; `legacyPullFlag` for podman < 4.0. */
  pull?: 'always' | 'legacy-always';
}

/** `podman build -f … [--build-arg K=V]… [--label K=V]… -t … [--no-cache] [--pull=always] <context>` (without the binary). */
export function buildCommandArgs(cmd: BuildCommand): string[] {
  const args = ['build', '-f', cmd.dockerfile];
  for (const [k, v] of Object.entries(cmd.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of Object.entries(cmd.labels ?? {})) args.push('--label', `${k}=${v}`);
  for (const tag of cmd.tags) args.push('-t', tag);
  if (cmd.noCache) args.push('--no-cache');
  if (cmd.pull === 'always') args.push('--pull=always');
  if (cmd.pull === 'legacy-always') args.push('--pull-always');
  args.push(cmd.context);
  return args;
}

/** For display only (`$ podman build …` log line); commands always run as argument arrays. */
export function shellQuote(args: readonly string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Buildah's working containers (`<image>-working-container[-N]`) — what an interrupted build leaves behind. */
const WORKING_CONTAINER = /-working-container(-\d+)?$/;

export async function listWorkingContainers(podman: Podman, signal?: AbortSignal): Promise<Set<string>> {
  const { exitCode, stdout } = await podman.run(podman.bin, ['ps', '--all', '--external', '--format', '{{.ID}} {{.Names}}'], { timeoutMs: PODMAN_QUERY_TIMEOUT_MS, signal, allowNonZero: true });
  if (exitCode !== 0) return new Set();
  const ids = new Set<string>();
  for (const line of stdout.split('\n')) {
    const [id, name] = line.trim().split(/\s+/);
    if (id && name && WORKING_CONTAINER.test(name)) ids.add(id);
  }
  return ids;
}

export async function removeContainers(podman: Podman, ids: readonly string[]): Promise<void> {
  if (!ids.length) return;
  await podman.run(podman.bin, ['rm', '--force', ...ids], { timeoutMs: PODMAN_QUERY_TIMEOUT_MS, allowNonZero: true });
}
