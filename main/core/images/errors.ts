/**
 * The one error type image work throws. It carries what the wizard and the
 * CLI show: a stable code, a message that says what happened, a hint that
 * says how to fix it, and — for a failed podman build — the command, exit
 * code, failing step and the last lines of output.
 */
import { SetupError, type Failure } from '../errors.ts';

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

export class ImageBuildError extends SetupError {
  readonly code: ImageErrorCode;
  readonly command: readonly string[] | undefined;
  readonly exitCode: number | null | undefined;
  readonly failedStep: string | undefined;
  readonly outputTail: string | undefined;

  constructor(code: ImageErrorCode, message: string, details: ImageErrorDetails = {}) {
    // Cancel and bad params share the codes every step uses; the rest are image-specific.
    super(code === 'cancelled' || code === 'invalid-params' ? code : `images-${code}`, message, details.hint ? { hint: details.hint } : {});
    this.code = code;
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.failedStep = details.failedStep;
    this.outputTail = details.outputTail;
  }

  /** Message, fix (the hint, once), failing step, command, exit code and output tail. */
  override toFailure(): Failure {
    return {
      ...super.toFailure(),
      ...(this.failedStep ? { detail: `Failed at ${this.failedStep}` } : {}),
      ...(this.command ? { command: [...this.command] } : {}),
      ...(this.exitCode !== undefined ? { exitCode: this.exitCode } : {}),
      ...(this.outputTail ? { stderrTail: this.outputTail } : {}),
    };
  }
}

export const PODMAN_NOT_FOUND = 'podman not found; please install podman';
