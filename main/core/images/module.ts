/**
 * The images setup module: the `images.build` task step (the wizard's Build /
 * Rebuild buttons, the CLI's `build`, the gate's fix for "container images").
 *
 * Task step `images.build`, params (all optional, validated here):
 *   { baseImage?: string, family?: 'deb'|'rpm'|null, agents?: string,
 *     rebuild?: boolean, fullRebuild?: boolean }
 * Events: `log` for every podman output line (stdout/stderr) and our own
 * notes (info, including the `$ podman build …` command lines); `progress`
 * {done, total, label} with done/total counted in build steps across L0+L1
 * and a label like `L1 step 4/9 · RUN npm install -g … · 1:05`;
 * one stage `Container images`. Result: BuildResult (see build.ts).
 * The readiness gate's fix runs this step (see steps/images.ts).
 *
 * Task step `images.build-sidecar`, params (all optional, validated here):
 *   { baseImage?: string, family?: 'deb'|'rpm'|null, toolName?: string
 *     (default 'coderabbit'), rebuild?: boolean, fullRebuild?: boolean }
 * Same events (progress counts L0 steps too when L0 is built first); one
 * stage `Sidecar image`. Result: SidecarResult (see build.ts).
 *
 * Why a separate step rather than `sidecar: true` on `images.build`: the
 * sidecar is optional and independent of the agent selection — it has its
 * own parameter (toolName), its own skip check (the sidecar tag alone) and
 * its own result shape. Folding it in would make `agents` meaningless for
 * half the calls, make every BuildResult field conditional, and tie the
 * readiness gate's fix (which never wants a sidecar) to a flag. The CLI's
 * `build --sidecar` is simply the two calls in a row.
 *
 * Task step `images.import`, params { path }: `podman load -i <path>` for an
 * offline machine (see import.ts). Result: ImportResult.
 */
import { loadTerokConfig } from '../host/config.ts';
import type { ModuleHost } from '../module-host.ts';
import type { TaskContext } from '../tasks/task-manager.ts';
import { IMPORT_STEP, importImage } from './import.ts';
import { buildImages, buildSidecar, type BuildDeps, type BuildObserver, type BuildResult, type SidecarResult } from './build.ts';
import { parseBuildParams, parseSidecarParams } from './params.ts';
import { progressLabel } from './progress.ts';
import { loadImageRoster } from './roster-source.ts';
import type { ImageRoster } from './roster-view.ts';
import type { ImageTemplateSource } from './templates/types.ts';

export const BUILD_STEP = 'images.build';
export const SIDECAR_STEP = 'images.build-sidecar';

export interface ImagesModuleOptions {
  /** Where the roster comes from (default: bundled + user YAML via the roster module). */
  roster?: (host: ModuleHost) => ImageRoster;
  templates?: ImageTemplateSource;
}

function depsFor(host: ModuleHost, options: ImagesModuleOptions): BuildDeps {
  const roster = (options.roster ?? ((e: ModuleHost) => loadImageRoster(e.ctx)))(host);
  return { ctx: host.ctx, roster, ...(options.templates ? { templates: options.templates } : {}) };
}

/**
 * One image build as a task: params validated first (a bad request opens no
 * stage), then one stage with podman lines as log events and steps as
 * progress; a build error is the task's failure as it is (ImageBuildError maps itself).
 */
async function imageStep<Q, R extends { cached: boolean }>(
  task: TaskContext, label: string, parse: () => Q, build: (request: Q, observer: BuildObserver) => Promise<R>, tagOf: (result: R) => string,
): Promise<R> {
  const request = parse();
  return task.stage(label, async (stage) => {
    const result = await build(request, {
      signal: task.signal,
      log: (line, stream) => task.log(line, stream),
      progress: (p) => task.progress(p.overallDone, p.overallTotal, progressLabel(p)),
    });
    stage.ok(result.cached ? `already built: ${tagOf(result)}` : `built ${tagOf(result)}`);
    return result;
  });
}

/**
 * The default base image as config.yml sets it, usable or not (the engine's
 * defaults replace a broken one for display): a build without a base image
 * then refuses with the config key, instead of building the seed image.
 */
function configuredBase(host: ModuleHost): string {
  const configured = loadTerokConfig(host.ctx).values.image as { base_image?: unknown } | undefined;
  return typeof configured?.base_image === 'string' && configured.base_image.trim() ? configured.base_image : host.defaultSettings().baseImage;
}

function buildStep(host: ModuleHost, options: ImagesModuleOptions, params: unknown, task: TaskContext): Promise<BuildResult> {
  return imageStep(task, 'Container images',
    () => parseBuildParams(params, configuredBase(host)),
    (request, observer) => buildImages(request, depsFor(host, options), observer),
    (result) => result.l1);
}

function sidecarStep(host: ModuleHost, options: ImagesModuleOptions, params: unknown, task: TaskContext): Promise<SidecarResult> {
  return imageStep(task, 'Sidecar image',
    () => parseSidecarParams(params, configuredBase(host)),
    (request, observer) => buildSidecar(request, depsFor(host, options), observer),
    (result) => result.sidecar);
}

export function createImagesModule(options: ImagesModuleOptions = {}) {
  return {
    register(host: ModuleHost): void {
      host.register(BUILD_STEP, (params, task) => buildStep(host, options, params, task));
      host.register(SIDECAR_STEP, (params, task) => sidecarStep(host, options, params, task));
      host.register(IMPORT_STEP, (params, task) => importImage(host.ctx, params, task));
    },
  };
}

export const { register } = createImagesModule();
