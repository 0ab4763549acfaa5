/**
 * The command that starts the first agent once the wizard says "ready".
 * terok's `run` builds on `--base` (default fedora:44); the wizard may have
 * prepared another base, and then the command must name it, or terok would
 * find no images for its default and offer a build.
 */
import { DEFAULT_BASE_IMAGE, normaliseBaseImage } from '../images/tags.ts';
import type { GateSettings } from '../settings.ts';

export function nextRunCommand(settings: Pick<GateSettings, 'provider' | 'baseImage'>): string {
  const base = normaliseBaseImage(settings.baseImage);
  return `terok-executor run ${settings.provider} .${base === DEFAULT_BASE_IMAGE ? '' : ` --base ${base}`}`;
}
