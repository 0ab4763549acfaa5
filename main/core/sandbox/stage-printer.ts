/**
 * Turns stage updates and log lines into terok's terminal output. Progressive
 * mode prints the padded label when a stage starts and the marker when it
 * ends; a log line arriving mid-stage is held until the line is complete, so
 * the columns never break.
 */
import { formatStageLine, stageCompletion, stageLabel, type StageUpdate } from '../tasks/stages.ts';

export interface StagePrinter {
  stage(update: StageUpdate): void;
  log(line: string): void;
}

/** `write` receives raw text (newlines included). */
export function createStagePrinter(write: (text: string) => void, opts: { progressive: boolean; colour: boolean }): StagePrinter {
  let open = false;
  let held: string[] = [];
  return {
    stage(update) {
      if (update.status === 'running') {
        if (opts.progressive) { write(stageLabel(update.label)); open = true; }
        return;
      }
      write(opts.progressive && open ? stageCompletion(update.status, update.detail, opts.colour) + '\n' : formatStageLine(update.label, update.status, update.detail, opts.colour) + '\n');
      open = false;
      for (const l of held) write(l + '\n');
      held = [];
    },
    log(line) {
      if (open) held.push(line); else write(line + '\n');
    },
  };
}
