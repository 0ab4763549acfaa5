/**
 * Stage lines: the framed, one-line-per-phase output terok's setup prints
 * (`  Vault routes          ok (regenerated)`), as data first and text second,
 * so the CLI prints the exact format and the wizard shows the same stages live.
 */
import { failureOf } from '../errors.ts';

export type StageMarker = 'ok' | 'WARN' | 'FAIL' | 'MISSING' | 'skip';
export type StageStatus = 'running' | StageMarker;

export const STAGE_WIDTH = 21;
const CONTINUATION_INDENT = ' '.repeat(STAGE_WIDTH + 4);

export interface StageUpdate {
  label: string;
  status: StageStatus;
  /** Full detail; only the first line goes in parentheses when printed. */
  detail: string;
}

const COLOURS: Record<StageMarker, string | null> = { ok: '32', WARN: '33', FAIL: '31', MISSING: '31', skip: null };

export function colourEnabled(env: Readonly<Record<string, string | undefined>>, isTty: boolean): boolean {
  if (env.NO_COLOR !== undefined) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return isTty;
}

/** The label part printed when a stage starts (no newline). */
export function stageLabel(label: string): string {
  return `  ${label.padEnd(STAGE_WIDTH)} `;
}

/** The completion part appended when a stage ends, including continuation lines. */
export function stageCompletion(marker: StageMarker, detail: string, colour = false): string {
  const [first = '', ...rest] = detail.split('\n');
  const code = colour ? COLOURS[marker] : null;
  const shown = code ? `\x1b[${code}m${marker}\x1b[0m` : marker;
  let out = first ? `${shown} (${first})` : shown;
  for (const line of rest) out += '\n' + (line.trim() ? CONTINUATION_INDENT + line : '');
  return out;
}

export function formatStageLine(label: string, marker: StageMarker, detail = '', colour = false): string {
  return stageLabel(label) + stageCompletion(marker, detail, colour);
}

/** Handle a stage body uses to set its outcome; the last call wins. */
export interface StageHandle {
  ok(detail?: string): void;
  warn(detail?: string): void;
  fail(detail?: string): void;
  missing(detail?: string): void;
  skip(detail?: string): void;
}

export type StageSink = (update: StageUpdate) => void;

/** First line of an error, the way a stage line shows it. */
export function errorText(err: unknown): string {
  return failureOf(err).message;
}

/**
 * Run `body` as a stage: announce it, and complete it with the marker the
 * body set — or `FAIL (<error>)` if it threw (the error still propagates),
 * or `FAIL (no marker set)` if it set none.
 */
export async function runStage<T>(sink: StageSink, label: string, body: (s: StageHandle) => Promise<T> | T): Promise<T> {
  sink({ label, status: 'running', detail: '' });
  let outcome: { marker: StageMarker; detail: string } | null = null;
  const set = (marker: StageMarker) => (detail = '') => { outcome = { marker, detail }; };
  const handle: StageHandle = { ok: set('ok'), warn: set('WARN'), fail: set('FAIL'), missing: set('MISSING'), skip: set('skip') };
  try {
    const value = await body(handle);
    const final = outcome as { marker: StageMarker; detail: string } | null;
    sink({ label, status: final?.marker ?? 'FAIL', detail: final ? final.detail : 'no marker set' });
    return value;
  } catch (err) {
    sink({ label, status: 'FAIL', detail: errorText(err) });
    throw err;
  }
}
