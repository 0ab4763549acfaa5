import { parseArgs } from 'node:util';
import { configString, loadTerokConfig } from '../../core/host/config.ts';
import { DEFAULT_AGENT_SELECTION, resolveSidecarTool, type BuildResult, type SidecarResult } from '../../core/images/build.ts';
import { ImageBuildError } from '../../core/images/errors.ts';
import { BUILD_STEP, SIDECAR_STEP } from '../../core/images/module.ts';
import { configBaseImageProblem, parseBuildParams, parseSidecarParams } from '../../core/images/params.ts';
import { loadImageRoster } from '../../core/images/roster-source.ts';
import { EXIT_FAILURE, EXIT_READY, EXIT_USAGE, UsageError, type CliCommand } from '../command.ts';
import { driveTask, endExitCode, noQuestions } from '../task-face.ts';

export const buildCommand: CliCommand = {
  name: 'build',
  summary: 'Build the L0/L1 container images (reuses existing ones)',
  help: `Usage: terok-setup build [--base IMAGE] [--family deb|rpm] [--agents SEL] [--rebuild] [--full-rebuild] [--sidecar]

Build terok's L0 (distribution + tools) and L1 (agent CLIs) images with
podman, and tag the L1 alias terok checks. When both images exist nothing is
built. The first build usually takes a few minutes.

  --base IMAGE        Base image (default: config image.base_image, else ubuntu:24.04)
  --family deb|rpm    Package family, when it cannot be told from the base image name
  --agents SEL        Agents to install: all (default), claude,codex or all,-vibe
  --rebuild           Build even if the images exist (re-runs the agent installs)
  --full-rebuild      Build without any cache and re-pull the base image
  --sidecar           Also build the L1 sidecar image (L0 + the CodeRabbit CLI),
                      terok-l1-sidecar:<base>; reused when it exists unless
                      --rebuild or --full-rebuild

Prints "L0: <tag>" and "L1: <tag>" (and "L1 (sidecar): <tag>" with --sidecar).
Exit codes: 0 built or already present, 1 build failed, 2 usage error,
130 interrupted by Ctrl-C (143 SIGTERM, 129 SIGHUP).`,
  async run(engine, args, io) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        base: { type: 'string' },
        family: { type: 'string' },
        agents: { type: 'string' },
        rebuild: { type: 'boolean' },
        'full-rebuild': { type: 'boolean' },
        sidecar: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) { io.out(this.help + '\n'); return EXIT_READY; }
    const defaults = engine.defaultSettings();
    const config = loadTerokConfig(engine.ctx);
    const configAgents = configString(config, 'image', 'agents');
    // The configured base image cannot be used (the warning above says why): never build the default instead.
    if (values.base === undefined && configBaseImageProblem(config)) {
      throw new UsageError('build did not start: fix image.base_image in config.yml (see the warning above), or choose a base image with --base IMAGE');
    }
    const common = {
      ...(values.base !== undefined ? { baseImage: values.base } : {}),
      family: values.family ?? defaults.family,
      rebuild: values.rebuild ?? false,
      fullRebuild: values['full-rebuild'] ?? false,
    };
    const params = { ...common, agents: values.agents ?? configAgents ?? DEFAULT_AGENT_SELECTION };
    // The task's own validation, before anything runs: a bad value is a usage error (exit 2).
    try {
      parseBuildParams(params, defaults.baseImage);
    } catch (err) {
      if (err instanceof ImageBuildError) throw new UsageError(err.message);
      throw err;
    }
    // A roster without the sidecar tool fails now, not after minutes of L0/L1.
    if (values.sidecar) {
      try {
        resolveSidecarTool(loadImageRoster(engine.ctx), parseSidecarParams(common, defaults.baseImage).toolName);
      } catch (err) {
        if (!(err instanceof ImageBuildError)) throw err;
        io.err(`terok-setup: ${err.message}\n`);
        return EXIT_FAILURE;
      }
    }
    // podman's lines as they come; Ctrl-C, SIGTERM and SIGHUP stop podman through the task's cancel.
    const face = noQuestions((e) => { if (e.type === 'log') (e.stream === 'stderr' ? io.err : io.out)(e.line + '\n'); });
    const built = await driveTask(engine, BUILD_STEP, params, face);
    // L0 exists now, so the sidecar build adds only its own layer.
    const sidecar = built.state === 'done' && values.sidecar ? await driveTask(engine, SIDECAR_STEP, common, face) : null;
    const failed = [built, sidecar].find((end) => end && end.state !== 'done');
    if (failed && failed.state !== 'done') {
      const code = endExitCode(failed) ?? EXIT_FAILURE;
      io.err(`terok-setup: ${failed.failure.message}\n`);
      if (code === EXIT_USAGE) { io.err("Try 'terok-setup build --help'.\n"); return code; }
      if (failed.failure.stderrTail && failed.failure.code !== 'cancelled') io.err(`Last lines of output:\n${failed.failure.stderrTail.replace(/^/gm, '  ')}\n`);
      if (failed.failure.hint) io.err(`${failed.failure.hint}\n`);
      return code;
    }
    const result = (built as { result: BuildResult }).result;
    const side = (sidecar as { result: SidecarResult } | null)?.result;
    io.out(`L0: ${result.l0}\nL1: ${result.l1}\n${side ? `L1 (sidecar): ${side.sidecar}\n` : ''}`);
    return EXIT_READY;
  },
};
