/**
 * The one error type image work throws. It carries what the wizard and the
 * CLI show: a stable code, a message that says what happened, a hint that
 * says how to fix it, and — for a failed podman build — the command, exit
 * code, failing step and the last lines of output.
 */
export type ImageErrorCode =
  | 'invalid-params'
  | 'invalid-family'
  | 'unknown-family'
  | 'unknown-agents'
  | 'unknown-sidecar-tool'
  | 'invalid-selection'
  | 'roster-invalid'
  | 'template-error'
  | 'podman-missing'
  | 'staging-failed'
  | 'storage-full'
  | 'pull-failed'
  | 'build-failed'
  | 'podman-failed'
  | 'cancelled';

export interface ImageErrorDetails {
  hint?: string;
  command?: readonly string[];
  exitCode?: number | null;
  /** e.g. `STEP 4/9: RUN npm install -g …` — the step podman was running. */
  failedStep?: string;
  /** Last lines of podman's combined output. */
  outputTail?: string;
}

export class ImageBuildError extends Error {
  readonly code: ImageErrorCode;
  readonly hint: string | undefined;
  readonly command: readonly string[] | undefined;
  readonly exitCode: number | null | undefined;
  readonly failedStep: string | undefined;
  readonly outputTail: string | undefined;

  constructor(code: ImageErrorCode, message: string, details: ImageErrorDetails = {}) {
    super(message);
    this.name = 'ImageBuildError';
    this.code = code;
    this.hint = details.hint;
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.failedStep = details.failedStep;
    this.outputTail = details.outputTail;
  }
}

export const PODMAN_NOT_FOUND = 'podman not found; please install podman';
