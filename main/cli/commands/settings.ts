/** Options shared by every command that takes gate settings. */
import type { ParseArgsConfig } from 'node:util';
import type { Engine } from '../../core/engine.ts';
import { IMAGE_REF_PATTERN, NAME_PATTERN, type GateSettings } from '../../core/settings.ts';
import { resolvePaths } from '../../core/host/paths.ts';
import { knownEntries } from '../../core/roster/auth-map.ts';
import { UsageError } from '../command.ts';
import { looksLikeSecret, quoteInput } from '../../core/validate.ts';

export const SETTINGS_OPTIONS = {
  provider: { type: 'string' },
  base: { type: 'string' },
  family: { type: 'string' },
  'credential-set': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const SETTINGS_HELP = `  --provider AGENT       Agent to prepare (default: claude)
  --base IMAGE           Base image (default: config image.base_image, else ubuntu:24.04)
  --family deb|rpm       Package family override
  --credential-set SET   Credential set to use (default: default)`;

export function settingsFrom(engine: Engine, values: Record<string, unknown>): GateSettings {
  const defaults = engine.defaultSettings();
  const provider = (values.provider as string | undefined) ?? defaults.provider;
  const known = knownEntries(resolvePaths(engine.ctx));
  if (!known.includes(provider)) {
    throw new UsageError(`Unknown agent ${quoteInput(provider)}. Available: ${known.join(', ')}`);
  }
  const family = values.family as string | undefined;
  if (family !== undefined && family !== 'deb' && family !== 'rpm') {
    throw new UsageError(`family must be 'deb' or 'rpm', got ${quoteInput(family)}`);
  }
  const base = (values.base as string | undefined)?.trim();
  if (base !== undefined && !IMAGE_REF_PATTERN.test(base)) {
    throw new UsageError(`${quoteInput(values.base)} is not a valid image reference (example: ubuntu:24.04)`);
  }
  const credentialSet = (values['credential-set'] as string | undefined) ?? defaults.credentialSet;
  if (!NAME_PATTERN.test(credentialSet) || looksLikeSecret(credentialSet)) throw new UsageError(`${quoteInput(credentialSet)} is not a valid credential set name`);
  return { ...defaults, provider, baseImage: base || defaults.baseImage, family: family ?? defaults.family, credentialSet };
}
