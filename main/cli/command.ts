/** The shape every `terok-setup <command>` implements. */
import { constants } from 'node:os';
import type { Engine } from '../core/engine.ts';
import { SetupError } from '../core/errors.ts';

// 0, 3 and 4 are the readiness contract; the engine's readiness rule owns them.
export { EXIT_DOWNGRADE, EXIT_NOT_READY, EXIT_READY } from '../core/steps/readiness.ts';
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_MANUAL_STEP = 5;
/** Stopped by a signal: 128 + its number, as shells report it (Ctrl-C 130, SIGTERM 143, SIGHUP 129). */
export const exitCodeForSignal = (signal: NodeJS.Signals): number => 128 + (constants.signals[signal] ?? constants.signals.SIGINT);

export interface CliStreams {
  out(text: string): void;
  err(text: string): void;
  stdinIsTty: boolean;
  /** Reads one line; null on EOF. */
  readLine(prompt: string): Promise<string | null>;
  /** Reads all of stdin (for --api-key-stdin and similar); never echoed. */
  readAll?(): Promise<string>;
  /** Reads one line from the terminal without echoing it (a passphrase); null on EOF. */
  readSecret?(prompt: string): Promise<string | null>;
}

/** Thrown for bad arguments: printed with a pointer to --help, exit 2. */
export class UsageError extends SetupError {
  constructor(message: string) {
    super('usage', message);
  }
}

export interface CliCommand {
  name: string;
  /** One line for the main help. */
  summary: string;
  /** Full `--help` text. */
  help: string;
  run(engine: Engine, args: string[], io: CliStreams): Promise<number>;
}
