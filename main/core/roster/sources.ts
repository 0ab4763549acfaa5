/**
 * Reading roster directories: which files count, what their names may be,
 * YAML parsing with positions, and the `roster_version` marker (§4.4 steps
 * 1–3). Unlike terok, which warns and skips a file it cannot parse, every
 * unreadable or unparsable file is an error here: skipping a user's override
 * would silently write routes the user did not ask for.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { describeFsError, readUserFile, UserFileError } from '../host/fs.ts';
import { entryTitle, invalidEntrySubject, type RosterProblem } from './errors.ts';
import { ROSTER_VERSION } from './schema.ts';
import type { KeyPath } from './validate.ts';

export type EntryKind = 'agent' | 'provider';
export type SourceOrigin = 'bundled' | 'user';

/** One parsed YAML file: its data (maps as `Map`) and what is needed to point into it. */
export interface RosterSource {
  name: string;
  kind: EntryKind;
  origin: SourceOrigin;
  file: string;
  data: Map<unknown, unknown>;
  doc: Document.Parsed;
  lines: LineCounter;
}

export interface DirReadResult {
  sources: RosterSource[];
  problems: RosterProblem[];
  warnings: string[];
}

/** Entry names are file stems: what the selection grammar and `terok-executor auth <name>` can address. */
export const ENTRY_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** A roster file is data, not a database; anything larger is a mistake (or an attack). */
export const MAX_ROSTER_FILE_BYTES = 1024 * 1024;

const KIND_WORDS: Record<EntryKind, { dir: string; tag: string }> = {
  agent: { dir: 'agents', tag: 'roster' },
  provider: { dir: 'providers', tag: 'providers' },
};

/**
 * Every `*.yaml` in `dir`, sorted by name. A missing directory is simply
 * empty (the user has no overrides); anything else that stops us from
 * reading it is a problem.
 */
export function readRosterDir(dir: string, kind: EntryKind, origin: SourceOrigin): DirReadResult {
  const result: DirReadResult = { sources: [], problems: [], warnings: [] };
  const subject = `Cannot read the ${origin === 'user' ? 'user' : 'bundled'} ${kind} directory`;
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && origin === 'user') return result;
    result.problems.push({ subject, file: dir, message: describeFsError(err, `listing the ${KIND_WORDS[kind].dir} directory`) });
    return result;
  }
  for (const fileName of names) {
    const file = path.join(dir, fileName);
    if (!fileName.endsWith('.yaml')) {
      if (fileName.endsWith('.yml')) {
        result.warnings.push(`Warning [${KIND_WORDS[kind].tag}]: ignoring ${file}: only *.yaml files are read — rename it to ${fileName.slice(0, -4)}.yaml`);
      }
      continue;
    }
    const name = fileName.slice(0, -'.yaml'.length);
    if (!ENTRY_NAME.test(name)) {
      result.problems.push({
        subject: `Roster file name not usable: ${JSON.stringify(fileName)}`,
        file,
        message: `the name before .yaml becomes the ${kind} name and may contain only lower-case letters, digits, '-' and '_' (starting with a letter or digit, at most 64 characters) — rename or remove the file`,
      });
      continue;
    }
    const parsed = parseRosterFile(file, name, kind, origin);
    if ('problem' in parsed) result.problems.push(parsed.problem);
    else {
      result.warnings.push(...parsed.warnings);
      if (parsed.source) result.sources.push(parsed.source);
    }
  }
  return result;
}

type ParseOutcome = { problem: RosterProblem } | { source: RosterSource | null; warnings: string[] };

/**
 * The file's text without a leading BOM (editors hide it; columns count
 * without it). Null when it vanished after the listing: a dangling symlink.
 */
function readText(file: string, origin: SourceOrigin): string | null {
  const text = readUserFile(file, { maxBytes: MAX_ROSTER_FILE_BYTES, what: `${origin} roster file`, sizeHint: 'a roster file is a few lines of YAML' });
  return text === null ? null : text.replace(/^\uFEFF/, '');
}

/**
 * Parse one file. Returns null as the source for files that hold nothing
 * (empty, comments only, or only `roster_version`).
 */
export function parseRosterFile(file: string, name: string, kind: EntryKind, origin: SourceOrigin): ParseOutcome {
  const subject = `${entryTitle(kind, name)}: ${origin} file ${file} is not usable`;
  let content: string | null;
  try {
    content = readText(file, origin);
  } catch (err) {
    return { problem: { subject, file, message: unreadableFileMessage(err) } };
  }
  // Listed by readdir but not there to open: a symbolic link whose target is gone.
  if (content === null) return { problem: { subject, file, message: 'it is a symbolic link to a file that does not exist — fix or remove the link' } };
  const lines = new LineCounter();
  const doc = parseDocument(content, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const yamlIssue = doc.errors[0] ?? doc.warnings[0];
  if (yamlIssue) {
    const at = lines.linePos(yamlIssue.pos[0]);
    return { problem: { subject: `${entryTitle(kind, name)}: ${file} is not valid YAML`, file, line: at.line, column: at.col, message: yamlMessage(yamlIssue.code, yamlIssue.message) } };
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return { source: null, warnings: [] };
  if (!isMap(doc.contents)) {
    const found = isSeq(doc.contents) ? 'a list' : 'a single value';
    const at = lines.linePos(doc.contents.range[0]);
    return { problem: { subject: invalidEntrySubject(kind, name), file, line: at.line, column: at.col, message: `the file must hold a mapping of settings (key: value lines), but it holds ${found}` } };
  }
  let data: unknown;
  try {
    data = doc.toJS({ mapAsMap: true, maxAliasCount: 100 });
  } catch (err) {
    return { problem: { subject, file, message: `YAML aliases expand too far: ${(err as Error).message}` } };
  }
  const map = data as Map<unknown, unknown>;
  const warnings: string[] = [];
  const tag = KIND_WORDS[kind].tag;
  const label = `${origin} ${kind} file ${file}`;
  if (map.has('roster_version')) {
    const declared = map.get('roster_version');
    map.delete('roster_version');
    const version = integerVersion(declared);
    if (version === null) {
      warnings.push(`Warning [${tag}]: ${label}: roster_version ${JSON.stringify(declared)} is not a valid integer version; treating as current.`);
    } else if (version > ROSTER_VERSION) {
      warnings.push(`Warning [${tag}]: ${label} declares roster_version=${version}, but Terok Setup speaks version ${ROSTER_VERSION}. Keys added in newer versions will be rejected — update Terok Setup.`);
    }
    if (map.size === 0) {
      warnings.push(`Info [${tag}]: skipping metadata-only file ${file} (it holds only roster_version).`);
      return { source: null, warnings };
    }
  }
  if (map.size === 0) return { source: null, warnings };
  return { source: { name, kind, origin, file, data: map, doc, lines }, warnings };
}

function unreadableFileMessage(err: unknown): string {
  // The problem line already starts with the file's name.
  if (err instanceof UserFileError) return `it ${err.problem}`;
  return describeFsError(err, 'reading the file');
}

function integerVersion(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) return Number(value);
  return null;
}

/** The parser's words, with a fix for the mistakes people actually make. */
function yamlMessage(code: string, message: string): string {
  const text = message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message;
  switch (code) {
    case 'DUPLICATE_KEY': return `${text} — the same key appears twice in one mapping; keep only one`;
    case 'TAB_AS_INDENT': return `${text} — indent with spaces, not tabs`;
    case 'MULTIPLE_DOCS': return 'the file holds more than one YAML document (a second ---); keep one';
    case 'TAG_RESOLVE_FAILED': return `${text} — custom YAML tags (!!something) are not supported`;
    case 'BAD_INDENT': return `${text} — check the indentation of this line against the lines above`;
    default: return text;
  }
}

/** Line and column of the YAML node at `keyPath` (the key itself when `atKey`), if this file has it. */
export function locate(source: RosterSource, keyPath: KeyPath, atKey = false): { line: number; column: number } | null {
  let node: Node | null = source.doc.contents as Node | null;
  let keyNode: Node | null = null;
  for (const seg of keyPath) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return null;
      keyNode = pair.key as Node;
      node = (pair.value as Node | null) ?? keyNode;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) return null;
      keyNode = item;
      node = item;
    } else {
      return null;
    }
  }
  const target = atKey && keyNode ? keyNode : node;
  const offset = target?.range?.[0];
  if (offset === undefined) return null;
  const pos = source.lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}
