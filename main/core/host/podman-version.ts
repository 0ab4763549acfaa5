/**
 * Podman's version, as the probe and the image builder read it. terok's
 * gate only looks at the first two numbers and counts anything else as
 * modern; the wizard also asks whether the answer is a version at all.
 */

export const MIN_PODMAN_VERSION: readonly [number, number] = [4, 3];

/** First two dot-separated integers, or null when unparseable (counts as modern). */
export function parsePodmanVersion(text: string): [number, number] | null {
  const m = /^\s*(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

export function olderThanMinimum(parsed: [number, number] | null): boolean {
  if (!parsed) return false;
  return parsed[0] < MIN_PODMAN_VERSION[0] || (parsed[0] === MIN_PODMAN_VERSION[0] && parsed[1] < MIN_PODMAN_VERSION[1]);
}

/** The longest answer still taken for a version (podman prints e.g. 5.2.0-rc1). */
export const MAX_VERSION_LENGTH = 64;

/** `major.minor[.patch]` with an optional suffix: 5.0.0, 4.9.4-dev, 5.2.0-rc1, 5.4.0~rc2, 4.9.3+ds1. */
const WELL_FORMED = /^\d+\.\d+(?:\.\d+)?(?:[-+~][0-9A-Za-z.+~-]+)?$/;

/** Whether podman's answer (trimmed) is one version string, not a warning, a blank line or garbage. */
export function isWellFormedPodmanVersion(text: string): boolean {
  const t = text.trim();
  return t.length <= MAX_VERSION_LENGTH && WELL_FORMED.test(t);
}
