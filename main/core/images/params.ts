/**
 * Build parameters arrive from the renderer (untrusted) and the CLI: check
 * every field's type and shape, reject unknown keys, fill defaults.
 */
import { ImageBuildError } from './errors.ts';
import { parseFamilyOverride } from './family.ts';
import { DEFAULT_AGENT_SELECTION, DEFAULT_SIDECAR_TOOL, type BuildRequest, type SidecarRequest } from './build.ts';
import { optBool, optStr, parseWith, taskParams, v } from '../validate.ts';

/** Registry/name[:tag][@digest] characters only; podman rejects anything stranger anyway. */
const IMAGE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._\/:@-]*$/;
const MAX_IMAGE_REFERENCE = 255;
/** Names, commas, `-` exclusions and spaces. */
const SELECTION = /^[A-Za-z0-9_,\s-]*$/;
const MAX_SELECTION = 2000;
/** A roster entry name; whether it has a sidecar is the roster's call. */
const TOOL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MAX_TOOL_NAME = 100;


function invalid(message: string): ImageBuildError {
  return new ImageBuildError('invalid-params', message, { hint: 'This is a bug in the caller; the build was not started.' });
}

export function isImageReference(value: string): boolean {
  return value.length <= MAX_IMAGE_REFERENCE && IMAGE_REFERENCE.test(value);
}

export function checkImageReference(value: string): string {
  const trimmed = value.trim();
  if (trimmed && !isImageReference(trimmed)) {
    throw new ImageBuildError('invalid-params', `'${value}' is not a valid image reference`, { hint: 'Use a name like ubuntu:24.04, fedora:44 or registry.example.com:5000/team/image:tag.' });
  }
  return trimmed;
}

export function checkSelection(value: string): string {
  if (value.length > MAX_SELECTION || !SELECTION.test(value)) {
    throw new ImageBuildError('invalid-selection', `'${value}' is not a valid agent selection`, {
      hint: 'Use "all", a comma list like "claude,codex", or exclusions like "all,-vibe".',
    });
  }
  return value;
}

const COMMON = { baseImage: optStr('baseImage'), family: v.optional(v.unknown()), rebuild: optBool('rebuild'), fullRebuild: optBool('fullRebuild') };
export const BUILD_PARAMS = taskParams({ ...COMMON, agents: optStr('agents') });
export const SIDECAR_PARAMS = taskParams({ ...COMMON, toolName: optStr('toolName') });

/** Validates `images.build` params; `defaultBase` fills a missing or blank base image. */
export function parseBuildParams(raw: unknown, defaultBase: string): Required<BuildRequest> {
  const p = parseWith(BUILD_PARAMS, raw, invalid);
  const base = checkImageReference(p.baseImage ?? '');
  return {
    baseImage: base || defaultBase,
    family: parseFamilyOverride(p.family),
    agents: checkSelection(p.agents ?? DEFAULT_AGENT_SELECTION),
    rebuild: p.rebuild ?? false,
    fullRebuild: p.fullRebuild ?? false,
  };
}

/** Validates `images.build-sidecar` params; the tool's existence is checked against the roster at build time. */
export function parseSidecarParams(raw: unknown, defaultBase: string): Required<SidecarRequest> {
  const p = parseWith(SIDECAR_PARAMS, raw, invalid);
  const base = checkImageReference(p.baseImage ?? '');
  const tool = (p.toolName ?? '').trim() || DEFAULT_SIDECAR_TOOL;
  if (tool.length > MAX_TOOL_NAME || !TOOL_NAME.test(tool)) throw invalid(`'${tool}' is not a valid sidecar tool name`);
  return {
    baseImage: base || defaultBase,
    family: parseFamilyOverride(p.family),
    toolName: tool,
    rebuild: p.rebuild ?? false,
    fullRebuild: p.fullRebuild ?? false,
  };
}
