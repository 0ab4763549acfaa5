import { parseArgs } from 'node:util';
import { configString, loadTerokConfig } from '../../core/host/config.ts';
import { buildImages, buildSidecar, DEFAULT_AGENT_SELECTION, resolveSidecarTool } from '../../core/images/build.ts';
import { ImageBuildError } from '../../core/images/errors.ts';
import { parseBuildParams, parseSidecarParams } from '../../core/images/params.ts';
import { loadImageRoster } from '../../core/images/roster-source.ts';
import { EXIT_FAILURE, EXIT_READY, type CliCommand } from '../command.ts';

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
Exit codes: 0 built or already present, 1 build failed, 2 usage error.`,
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
    const configAgents = configString(loadTerokConfig(engine.ctx), 'image', 'agents');
    const controller = new AbortController();
    // Ctrl-C stops podman through the same path as the wizard's Cancel.
    const onInterrupt = () => controller.abort();
    process.once('SIGINT', onInterrupt);
    try {
      const common = {
        baseImage: values.base,
        family: values.family ?? defaults.family,
        rebuild: values.rebuild ?? false,
        fullRebuild: values['full-rebuild'] ?? false,
      };
      const request = parseBuildParams({ ...common, agents: values.agents ?? configAgents ?? DEFAULT_AGENT_SELECTION }, defaults.baseImage);
      const sidecarRequest = values.sidecar ? parseSidecarParams(common, defaults.baseImage) : null;
      const deps = { ctx: engine.ctx, roster: loadImageRoster(engine.ctx) };
      // A roster without the sidecar tool fails now, not after minutes of L0/L1.
      if (sidecarRequest) resolveSidecarTool(deps.roster, sidecarRequest.toolName);
      const observer = {
        signal: controller.signal,
        log: (line: string, stream: 'stdout' | 'stderr' | 'info') => (stream === 'stderr' ? io.err : io.out)(line + '\n'),
      };
      const result = await buildImages(request, deps, observer);
      // L0 exists now, so the sidecar build adds only its own layer.
      const sidecar = sidecarRequest ? await buildSidecar(sidecarRequest, deps, observer) : null;
      io.out(`L0: ${result.l0}\nL1: ${result.l1}\n${sidecar ? `L1 (sidecar): ${sidecar.sidecar}\n` : ''}`);
      return EXIT_READY;
    } catch (err) {
      if (!(err instanceof ImageBuildError)) throw err;
      io.err(`terok-setup: ${err.message}\n`);
      if (err.outputTail && err.code !== 'cancelled') io.err(`Last lines of output:\n${err.outputTail.replace(/^/gm, '  ')}\n`);
      if (err.hint) io.err(`${err.hint}\n`);
      return EXIT_FAILURE;
    } finally {
      process.removeListener('SIGINT', onInterrupt);
    }
  },
};
