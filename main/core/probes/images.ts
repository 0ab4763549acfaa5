import { baseSlug, l0Tag, l1AliasTag } from '../images/tags.ts';
import { which } from '../host/which.ts';
import type { Probe } from './types.ts';

export const IMAGE_PROBE_TIMEOUT_MS = 10_000;

/**
 * Probes the unsuffixed L1 alias `terok-l1-cli:<slug>` — the tag terok's own
 * preflight checks. Our builds always create that alias too (see the images
 * module), so the wizard, terok's preflight and a second build all agree.
 */
export const probeImages: Probe = async ({ ctx, settings, signal }) => {
  const tag = l1AliasTag(settings.baseImage);
  const facts = { baseImage: settings.baseImage, slug: baseSlug(settings.baseImage), l0: l0Tag(settings.baseImage), l1: tag };
  const bin = which(ctx, 'podman');
  if (bin) {
    try {
      const { exitCode } = await ctx.run(bin, ['image', 'exists', tag], { timeoutMs: IMAGE_PROBE_TIMEOUT_MS, signal, allowNonZero: true });
      if (exitCode === 0) return { result: { name: 'container images', ok: true, message: 'ready' }, facts };
    } catch { /* timeout or spawn failure: not built */ }
  }
  return { result: { name: 'container images', ok: false, message: 'not built' }, facts };
};
