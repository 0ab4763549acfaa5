/**
 * Container images: terok's gate probes the unsuffixed L1 alias
 * `terok-l1-cli:<slug>`. Our builds always tag that alias too, so the wizard,
 * terok's preflight and a second build agree.
 */
import { which } from '../host/which.ts';
import { configBaseImageProblem } from '../images/params.ts';
import { baseSlug, l0Tag, l1AliasTag } from '../images/tags.ts';
import { defineStep, type Probed } from './descriptor.ts';

export const IMAGE_PROBE_TIMEOUT_MS = 10_000;

export const FIRST_BUILD_RULE = '  ' + '─'.repeat(60);
export const FIRST_BUILD_PREAMBLE = [
  '',
  '  ─ Building agent images ' + '─'.repeat(36),
  '  This is a first-run step and usually takes a few minutes.',
  '  Subsequent runs reuse the cached layers and start instantly.',
  FIRST_BUILD_RULE,
];
export const FIRST_BUILD_POSTAMBLE = [FIRST_BUILD_RULE, '  Images ready.  Next run will skip this step.', ''];

export interface ImagesFacts {
  baseImage: string;
  slug: string;
  l0: string;
  l1: string;
  /** config.yml's image.base_image cannot be used (what, where); nothing is built until it is fixed. */
  configProblem: string | null;
}

export const imagesStep = defineStep({
  id: 'images',
  title: 'Container images',
  requirement: 'required',
  gate: 'terok-preflight',
  dependsOn: ['podman'],
  cost: 'child-process',
  about: 'Agents run in two image layers built on your chosen base image: L0 (system and developer tools) and L1 (the agent programs).',
  checkName: () => 'container images',
  async probe({ ctx, config, settings, signal }): Promise<Probed<ImagesFacts>> {
    const tag = l1AliasTag(settings.baseImage);
    const facts = { baseImage: settings.baseImage, slug: baseSlug(settings.baseImage), l0: l0Tag(settings.baseImage), l1: tag, configProblem: configBaseImageProblem(config) };
    const bin = which(ctx, 'podman');
    if (bin) {
      try {
        const { exitCode } = await ctx.run(bin, ['image', 'exists', tag], { timeoutMs: IMAGE_PROBE_TIMEOUT_MS, signal, allowNonZero: true });
        if (exitCode === 0) return { result: { name: 'container images', ok: true, message: 'ready' }, status: 'ok', facts };
      } catch { /* timeout or spawn failure: not built */ }
    }
    return { result: { name: 'container images', ok: false, message: 'not built' }, status: 'missing', facts };
  },
  unmet: () => ({ stream: 'stderr', lines: ['      Run: terok-executor build'] }),
  manualCommand: (s) => `terok-executor build --base ${s.baseImage}`,
  explain({ status, facts }, s) {
    const details = [
      { label: 'Base image', value: `${facts.baseImage}${s.family ? ` (${s.family})` : ''}` },
      { label: 'Image', value: `${facts.l1} — ${status === 'ok' ? 'present' : 'not built'}` },
    ];
    if (status === 'ok') return { headline: 'Images are built.', details };
    if (facts.configProblem) return { headline: `The images cannot be built until your settings are fixed: ${facts.configProblem}`, details };
    return { headline: 'The images are not built yet.', beforeFix: 'The first build usually takes a few minutes; later builds reuse the cached layers.', details };
  },
  fix: {
    offer: () => 'Build container images now?',
    action: 'Build images',
    tasks: ['images.build'],
    recover: ['base-image', 'import-image'],
    // terok's `_fix_images` builds every agent.
    // A base image config.yml names but cannot use is not silently swapped for the default.
    plan: (s, facts) => (facts.configProblem
      ? { unfixable: [`  ${facts.configProblem}`] }
      : { run: [{ task: 'images.build', params: { baseImage: s.baseImage, family: s.family, agents: 'all' } }] }),
    again: { action: 'Rebuild', call: (s) => ({ task: 'images.build', params: { baseImage: s.baseImage, family: s.family, rebuild: true } }) },
    terok: {
      before: FIRST_BUILD_PREAMBLE,
      after: FIRST_BUILD_POSTAMBLE,
      failed: (f) => ('failure' in f ? [`  Build failed: ${f.failure.message}`, ...(f.failure.hint ? [`  ${f.failure.hint}`] : [])] : ['  Build failed']),
    },
  },
});
