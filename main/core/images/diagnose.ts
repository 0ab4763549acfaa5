/**
 * Turns a failed `podman build` into a message a user can act on: storage
 * full and an unreachable base image get their own explanation and fix;
 * anything else names the image, the failing step and the exit code.
 */
import { ImageBuildError } from './errors.ts';
import type { ImageLayer, StepMarker } from './progress.ts';

export interface FailedBuild {
  image: ImageLayer;
  tag: string;
  baseImage: string;
  command: readonly string[];
  exitCode: number | null;
  lastMarker: StepMarker | null;
  /** Last lines of podman's combined output. */
  outputTail: string;
}

const NO_SPACE = /no space left on device|disk quota exceeded/i;
const PULL_FAILURE = /initializing source|pinging container registry|dial tcp|no such host|manifest unknown|requested access to the resource is denied|unable to pull|short-name resolution|name unknown|reading manifest|network is unreachable|connection refused|i\/o timeout|TLS handshake timeout/i;

function stepText(marker: StepMarker | null): string | undefined {
  return marker ? `STEP ${marker.step}/${marker.steps}: ${marker.instruction}` : undefined;
}

export function diagnoseBuildFailure(f: FailedBuild): ImageBuildError {
  const failedStep = stepText(f.lastMarker);
  const details = { command: f.command, exitCode: f.exitCode, failedStep, outputTail: f.outputTail };
  if (NO_SPACE.test(f.outputTail)) {
    return new ImageBuildError('storage-full', `Image build failed: podman's storage is full (no space left on device) while building ${f.image} ${f.tag}.`, {
      ...details,
      hint: 'Free disk space — `podman system prune` removes unused images and build cache, `podman system df` shows what uses space — then build again.',
    });
  }
  // A pull failure happens before the first step runs (FROM is step 1) and only for L0's base.
  const beforeFirstRun = !f.lastMarker || f.lastMarker.step <= 1;
  if (f.image === 'L0' && beforeFirstRun && PULL_FAILURE.test(f.outputTail)) {
    return new ImageBuildError('pull-failed', `Image build failed: could not pull the base image '${f.baseImage}' (offline, registry unreachable, or no such image).`, {
      ...details,
      hint: `Check the network connection and the image name, or make '${f.baseImage}' available locally (import it from a file saved with \`podman save\`, or \`podman pull ${f.baseImage}\` once online), then build again.`,
    });
  }
  const where = failedStep ? ` at ${failedStep}` : '';
  const code = f.exitCode === null ? '' : ` (exit code ${f.exitCode})`;
  return new ImageBuildError('build-failed', `Image build failed: ${f.image} ${f.tag}${where}${code}.`, {
    ...details,
    hint: 'The last lines of the build log show the cause. Fix it (network, package mirror, disk space) and build again.',
  });
}
