/**
 * Build parameters arrive from the renderer (untrusted) and the CLI: check
 * every field's type and shape, reject unknown keys, fill defaults. The
 * default base image is config.yml's `image.base_image` (else the seed's),
 * so a malformed one is reported as that key of that file.
 */
import type { TerokConfig } from '../host/config.ts';
import { ImageBuildError } from './errors.ts';
import { imageReferenceProblem, MAX_IMAGE_REFERENCE, parseFamilyOverride } from './family.ts';
import { DEFAULT_AGENT_SELECTION, DEFAULT_SIDECAR_TOOL, type BuildRequest, type SidecarRequest } from './build.ts';
import { looksLikeSecret, optBool, optStr, parseWith, quoteInput, taskParams, v } from '../validate.ts';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';

/** Names, commas, `-` exclusions and spaces. */
const SELECTION = /^[A-Za-z0-9_,\s-]*$/;
const MAX_SELECTION = 2000;
/** A roster entry name; whether it has a sidecar is the roster's call. */
const TOOL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MAX_TOOL_NAME = 100;

const REFERENCE_HINT = 'Use a name like ubuntu:24.04, fedora:44 or registry.example.com:5000/team/image:tag.';

function invalid(message: string): ImageBuildError {
  return new ImageBuildError('invalid-params', message, { hint: 'This is a bug in the caller; the build was not started.' });
}

export function isImageReference(value: string): boolean {
  return imageReferenceProblem(value) === null;
}

/** A base image from a parameter or the command line, trimmed; '' stays '' (the caller's default). */
export function checkImageReference(value: string): string {
  const trimmed = value.trim();
  const problem = trimmed ? imageReferenceProblem(trimmed) : null;
  if (problem) throw new ImageBuildError('invalid-params', `${quoteInput(value)} is not a valid image reference: ${problem}`, { hint: REFERENCE_HINT });
  return trimmed;
}

/** The config file that sets `image.base_image` last (the value that wins), or null when none can be told. */
function baseImageSource(config: TerokConfig): string | null {
  for (const file of [...config.sources].reverse()) {
    try {
      const data = parse(readFileSync(file, 'utf8')) as { image?: { base_image?: unknown } } | null;
      if (data?.image && typeof data.image === 'object' && 'base_image' in data.image) return file;
    } catch { /* unreadable now: try the next layer */ }
  }
  return null;
}

/** The message for a malformed configured base image: names the file and the key, quotes the value truncated. */
function configBaseImageMessage(file: string, value: unknown, problem: string): string {
  const shown = typeof value === 'string' ? quoteInput(value) : `a ${Array.isArray(value) ? 'list' : typeof value}`;
  return `image.base_image in ${file} is not a valid image reference (${shown}: ${problem}); fix it there, for example \`image: {base_image: ubuntu:24.04}\`, or choose a base image explicitly (--base).`;
}

/**
 * Why config.yml's `image.base_image` cannot be used as a base image — the
 * message names the file that sets it and the key — or null when it is
 * absent or valid. For faces that read the configured default (the
 * engine's default settings, the images page).
 */
export function configBaseImageProblem(config: TerokConfig): string | null {
  const image = config.values.image;
  if (!image || typeof image !== 'object' || Array.isArray(image) || !('base_image' in image)) return null;
  const value = (image as Record<string, unknown>).base_image;
  if (value === null || value === undefined) return null;
  const problem = typeof value === 'string' ? (value.trim() ? imageReferenceProblem(value.trim()) : null) : 'it must be a string';
  return problem ? configBaseImageMessage(baseImageSource(config) ?? 'config.yml', value, problem) : null;
}

/**
 * The base image a build uses: the parameter when given, else `defaultBase`
 * (config.yml's image.base_image, else the seed's). A malformed default —
 * or a parameter that merely repeats it, as the gate's fix and the CLI
 * pass the configured value on — is reported as the config key it came from.
 */
export function checkBaseImage(param: string | null | undefined, defaultBase: string): string {
  const given = (param ?? '').trim();
  const base = given || defaultBase.trim();
  const problem = imageReferenceProblem(base);
  if (!problem) return base;
  if (!given || given === defaultBase.trim()) {
    throw new ImageBuildError('invalid-params', configBaseImageMessage('config.yml', defaultBase, problem), { hint: REFERENCE_HINT });
  }
  return checkImageReference(given);
}

/** A key pasted into a name field: refused before it can reach the roster's "unknown" message, a log or a tag. */
const looksLikeKey = (what: string) => new ImageBuildError('invalid-params', `the ${what} looks like an API key or token, so it is not shown and nothing was built; use roster entry names there`, {
  hint: 'An API key belongs on the Credentials page (or terok-setup auth <agent> --api-key-stdin), never in a build setting.',
});

export function checkSelection(value: string): string {
  if (value.split(',').some((name) => looksLikeSecret(name.replace(/^\s*-/, '')))) throw looksLikeKey('agent selection');
  if (value.length > MAX_SELECTION || !SELECTION.test(value)) {
    throw new ImageBuildError('invalid-selection', `${quoteInput(value)} is not a valid agent selection`, {
      hint: 'Use "all", a comma list like "claude,codex", or exclusions like "all,-vibe".',
    });
  }
  return value;
}

const COMMON = { baseImage: optStr('baseImage', MAX_IMAGE_REFERENCE), family: v.optional(v.unknown()), rebuild: optBool('rebuild'), fullRebuild: optBool('fullRebuild') };
export const BUILD_PARAMS = taskParams({ ...COMMON, agents: optStr('agents', MAX_SELECTION) });
export const SIDECAR_PARAMS = taskParams({ ...COMMON, toolName: optStr('toolName', MAX_TOOL_NAME) });

/** Validates `images.build` params; `defaultBase` fills a missing or blank base image. */
export function parseBuildParams(raw: unknown, defaultBase: string): Required<BuildRequest> {
  const p = parseWith(BUILD_PARAMS, raw, invalid);
  const base = checkBaseImage(p.baseImage, defaultBase);
  return {
    baseImage: base,
    family: parseFamilyOverride(p.family),
    agents: checkSelection(p.agents ?? DEFAULT_AGENT_SELECTION),
    rebuild: p.rebuild ?? false,
    fullRebuild: p.fullRebuild ?? false,
  };
}

/** Validates `images.build-sidecar` params; the tool's existence is checked against the roster at build time. */
export function parseSidecarParams(raw: unknown, defaultBase: string): Required<SidecarRequest> {
  const p = parseWith(SIDECAR_PARAMS, raw, invalid);
  const base = checkBaseImage(p.baseImage, defaultBase);
  const tool = (p.toolName ?? '').trim() || DEFAULT_SIDECAR_TOOL;
  if (looksLikeSecret(tool)) throw looksLikeKey('sidecar tool name');
  if (tool.length > MAX_TOOL_NAME || !TOOL_NAME.test(tool)) throw invalid(`${quoteInput(tool)} is not a valid sidecar tool name`);
  return {
    baseImage: base,
    family: parseFamilyOverride(p.family),
    toolName: tool,
    rebuild: p.rebuild ?? false,
    fullRebuild: p.fullRebuild ?? false,
  };
}
