/** Podman's version, as the probe and the image builder read it. */

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
