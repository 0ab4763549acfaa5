/**
 * Roster problems as data (file, line, column, key path, words) and the one
 * error type that carries them. The message's first line says what is wrong;
 * the following lines say where and how to fix it — the stage line shows the
 * first line in parentheses and the rest indented underneath.
 */
import { formatKeyPath, type KeyPath } from './validate.ts';
import { SetupError } from '../errors.ts';

export interface RosterProblem {
  /** Whose definition is wrong, e.g. "Agent 'claude'" or "Roster file". */
  subject: string;
  /** The file to open, when one is to blame. */
  file?: string;
  line?: number;
  column?: number;
  keyPath?: KeyPath;
  message: string;
}

/** `Agent 'claude'` / `Provider 'anthropic'`: how messages name an entry. */
export function entryTitle(kind: 'agent' | 'provider', name: string): string {
  return `${kind === 'agent' ? 'Agent' : 'Provider'} '${name}'`;
}

/** The header of a schema problem, in terok's words (`Agent 'x': invalid roster YAML`). */
export function invalidEntrySubject(kind: 'agent' | 'provider', name: string): string {
  return `${entryTitle(kind, name)}: invalid ${kind === 'agent' ? 'roster' : 'provider'} YAML`;
}

/** One problem as a single line: `<file>:<line>:<col>: <key path>: <message>`. */
export function formatProblem(p: RosterProblem): string {
  const where = p.file ? `${p.file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : ''}: ` : '';
  const key = p.keyPath?.length ? `${formatKeyPath(p.keyPath)}: ` : '';
  return `${where}${key}${p.message}`;
}

/** Raised when the roster cannot be loaded; nothing is written after it. */
export class RosterError extends SetupError {
  readonly problems: readonly RosterProblem[];

  constructor(problems: readonly RosterProblem[]) {
    super('roster-invalid', formatProblems(problems));
    this.problems = problems;
  }
}

/**
 * Groups problems by subject: a header line per subject, then each problem
 * indented. The first header is what a one-line summary shows.
 */
function formatProblems(problems: readonly RosterProblem[]): string {
  const bySubject = new Map<string, RosterProblem[]>();
  for (const p of problems) bySubject.set(p.subject, [...(bySubject.get(p.subject) ?? []), p]);
  const lines: string[] = [];
  for (const [subject, list] of bySubject) {
    lines.push(subject);
    for (const p of list) lines.push(`  ${formatProblem(p)}`);
  }
  return lines.join('\n');
}

/** An unknown name asked of the roster (`Unknown agent: x. Available: …`). */
export class RosterLookupError extends SetupError {
  constructor(message: string) {
    super('roster-lookup', message);
  }
}
