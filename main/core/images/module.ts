/**
 * The images setup module: the `images.build` task step (the wizard's Build /
 * Rebuild buttons) and the readiness gate's fix for "container images".
 *
 * Task step `images.build`, params (all optional, validated here):
 *   { baseImage?: string, family?: 'deb'|'rpm'|null, agents?: string,
 *     rebuild?: boolean, fullRebuild?: boolean }
 * Events: `log` for every podman output line (stdout/stderr) and our own
 * notes (info, including the `$ podman build …` command lines); `progress`
 * {done, total, label} with done/total counted in build steps across L0+L1
 * and a label like `L1 step 4/9 · RUN npm install -g … · 1:05`;
 * one stage `Container images`. Result: BuildResult (see build.ts).
 */
import type { Engine } from '../engine.ts';
import type { GateIO } from '../preflight/gate.ts';
import type { GateSettings } from '../probes/types.ts';
import { TaskError, type TaskContext, type TaskFailure } from '../tasks/task-manager.ts';
import { buildImages, type BuildDeps, type BuildRequest, type BuildResult } from './build.ts';
import { ImageBuildError } from './errors.ts';
import { parseBuildParams } from './params.ts';
import { progressLabel } from './progress.ts';
import { loadImageRoster } from './roster-source.ts';
import type { ImageRoster } from './roster-view.ts';
import type { ImageTemplateSource } from './templates/types.ts';

export const BUILD_STEP = 'images.build';

const RULE = '  ' + '─'.repeat(60);
export const FIRST_BUILD_PREAMBLE = [
  '',
  '  ─ Building agent images ' + '─'.repeat(36),
  '  This is a first-run step and usually takes a few minutes.',
  '  Subsequent runs reuse the cached layers and start instantly.',
  RULE,
];
export const FIRST_BUILD_POSTAMBLE = [RULE, '  Images ready.  Next run will skip this step.', ''];

export interface ImagesModuleOptions {
  /** Where the roster comes from (default: bundled + user YAML via the roster module). */
  roster?: (engine: Engine) => ImageRoster;
  templates?: ImageTemplateSource;
}

/** Build error → the task failure the wizard shows (message, fix, step, exit code, output tail). */
export function imageFailure(err: ImageBuildError): TaskFailure {
  const detail = [err.hint, err.failedStep ? `Failed at ${err.failedStep}` : ''].filter(Boolean).join('\n');
  return {
    code: err.code === 'cancelled' ? 'cancelled' : `images-${err.code}`,
    message: err.message,
    ...(detail ? { detail } : {}),
    ...(err.command ? { command: [...err.command] } : {}),
    ...(err.exitCode !== undefined ? { exitCode: err.exitCode } : {}),
    ...(err.outputTail ? { stderrTail: err.outputTail } : {}),
  };
}

function depsFor(engine: Engine, options: ImagesModuleOptions): BuildDeps {
  const roster = (options.roster ?? ((e: Engine) => loadImageRoster(e.ctx)))(engine);
  return { ctx: engine.ctx, roster, ...(options.templates ? { templates: options.templates } : {}) };
}

async function buildStep(engine: Engine, options: ImagesModuleOptions, params: unknown, task: TaskContext): Promise<BuildResult> {
  try {
    const request = parseBuildParams(params, engine.defaultSettings().baseImage);
    return await task.stage('Container images', async (stage) => {
      const result = await buildImages(request, depsFor(engine, options), {
        signal: task.signal,
        log: (line, stream) => task.log(line, stream),
        progress: (p) => task.progress(p.overallDone, p.overallTotal, progressLabel(p)),
      });
      stage.ok(result.cached ? `already built: ${result.l1}` : `built ${result.l1}`);
      return result;
    });
  } catch (err) {
    if (err instanceof ImageBuildError) throw new TaskError(imageFailure(err));
    throw err;
  }
}

/** terok's `_fix_images`: preamble, build all agents, postamble; a build error prints and returns false. */
export function imagesFix(engine: Engine, options: ImagesModuleOptions = {}) {
  return async (settings: GateSettings, io: GateIO, signal?: AbortSignal): Promise<boolean> => {
    for (const line of FIRST_BUILD_PREAMBLE) io.out(line);
    const request: BuildRequest = { baseImage: settings.baseImage, family: settings.family, agents: 'all' };
    try {
      await buildImages(request, depsFor(engine, options), {
        signal,
        log: (line, stream) => (stream === 'stderr' ? io.err : io.out)(line),
      });
    } catch (err) {
      if (!(err instanceof ImageBuildError)) throw err;
      io.err(`  Build failed: ${err.message}`);
      if (err.hint) io.err(`  ${err.hint}`);
      return false;
    }
    for (const line of FIRST_BUILD_POSTAMBLE) io.out(line);
    return true;
  };
}

export function createImagesModule(options: ImagesModuleOptions = {}) {
  return {
    register(engine: Engine): void {
      engine.tasks.register(BUILD_STEP, (params, task) => buildStep(engine, options, params, task));
      engine.fixes.images = imagesFix(engine, options);
    },
  };
}

export const { register } = createImagesModule();
