/**
 * What the fix-all walk reports as it goes, in order. Data only — each face
 * renders it: the CLI as terok's gate lines, the wizard as page moves and
 * sidebar marks. Fix tasks run as sub-tasks with their own events.
 */
import type { SetupVerdictReport } from '../sandbox/setup-stamp.ts';

export interface CheckLine {
  name: string;
  ok: boolean;
  message: string;
}

export type SetupEvent =
  /** The setup was made by a newer terok: nothing is fixed (exit 4). */
  | { kind: 'refused'; setup: SetupVerdictReport }
  /** A fix is about to be offered for `subject` (assumed: accepted without asking). */
  | { kind: 'offer'; id: string; subject: Pick<CheckLine, 'name' | 'message'>; offer: string; assumed: boolean }
  /** The user said no (or could not be asked). */
  | { kind: 'declined'; id: string }
  /** Nothing can be run for this step here; `lines` say why, in terok's words. */
  | { kind: 'unfixable'; id: string; lines: string[] }
  | { kind: 'fix-start'; id: string }
  /** `lines`: terok's failure lines when it did not work. */
  | { kind: 'fix-end'; id: string; ok: boolean; lines: string[] }
  /** A dependency is unmet, so this step's fix was not tried. */
  | { kind: 'skipped'; id: string; blockedBy: string[] }
  /** The step's final line for this run. */
  | { kind: 'checked'; id: string; result: CheckLine; status: string }
  /** terok's gate is through; `authHint`: other tools `auth` accepts (empty when not shown). */
  | { kind: 'preflight-done'; ready: boolean; bypass: boolean; authHint: string[] }
  /** The setup stamp's final verdict. */
  | { kind: 'stamp'; setup: SetupVerdictReport };
