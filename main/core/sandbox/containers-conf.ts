/**
 * Registering an OCI hooks dir in the user's containers.conf — edited in
 * place, line by line, so the user's comments, spacing and other settings
 * survive. Same result as terok's installer (`[engine] hooks_dir = [...]`,
 * entries appended, never removed) minus its two known faults:
 *
 *  - an existing `hooks_dir = []` is filled in place instead of gaining a
 *    second (duplicate, invalid TOML) `hooks_dir` key;
 *  - when our edit introduces `hooks_dir`, the dirs podman scans today (a
 *    system containers.conf's list, else its default dirs that exist) are
 *    listed first, because setting the key replaces podman's defaults and
 *    would silently switch off existing system hooks.
 *
 * The edit keeps the file's line breaks (CRLF stays CRLF), whether it ends
 * with a newline, and its mode. A file that is a symlink, not a regular
 * file, not valid TOML or UTF-8, or that its owner made read-only (no owner
 * write bit, e.g. 0444) is refused unchanged — never replaced through the
 * rename an atomic write does.
 */
import { accessSync, constants, existsSync, lstatSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import type { HostContext } from '../host/context.ts';
import { expandHome, isPlainObject } from '../host/config.ts';
import { describeFsError, readUserFile, UnsafePathError, UserFileError, writeFileIfChanged } from '../host/fs.ts';
import { errorText } from '../tasks/stages.ts';
import { SetupError } from '../errors.ts';

export class ContainersConfError extends SetupError {
  readonly file: string;

  constructor(file: string, message: string) {
    super('containers-conf', message);
    this.file = file;
  }
}

type ConfCtx = Pick<HostContext, 'home' | 'systemContainersConfs' | 'defaultHooksDirs'>;

export interface HooksDirPlan {
  file: string;
  /** The dir is already listed; nothing to write. */
  alreadyListed: boolean;
  /** Our edit would create the `hooks_dir` key (or fill an empty one). */
  introducesKey: boolean;
  /** Dirs podman scans today that we list ahead of ours to keep them active. */
  inheritedDirs: string[];
  /** Shown to the user before the edit when `introducesKey`; null otherwise. */
  warning: string | null;
}

export interface HooksDirEdit extends HooksDirPlan {
  changed: boolean;
}

const quote = (s: string) => JSON.stringify(s);

/** A containers.conf is a page of settings; anything larger is not one. */
export const MAX_CONTAINERS_CONF_BYTES = 1024 * 1024;

function refuseSymlink(file: string): void {
  try {
    if (lstatSync(file).isSymbolicLink()) {
      throw new ContainersConfError(file, `${file} is a symbolic link; Terok Setup does not edit through links. Replace it with a regular file (or add the hooks dir to the link target yourself) and try again.`);
    }
  } catch (err) {
    if (err instanceof ContainersConfError) throw err;
  }
}

/** Parsed `[engine] hooks_dir` state; throws ContainersConfError for unparseable files. */
function readHooksKey(file: string, text: string): { present: boolean; dirs: string[] } {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    const first = (err as Error).message.split('\n')[0];
    throw new ContainersConfError(file, `${file} is not valid TOML (${first}); fix or remove it, then re-run setup. Nothing was changed.`);
  }
  const engine = isPlainObject(doc.engine) ? doc.engine : {};
  if (!('hooks_dir' in engine)) return { present: false, dirs: [] };
  const raw = engine.hooks_dir;
  const dirs = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((v): v is string => typeof v === 'string') : [];
  return { present: true, dirs };
}

/** Edits never go through a link (see refuseSymlink); reading what podman reads follows one, as podman does. */
function readText(file: string, followSymlinks = false): string | null {
  try {
    return readUserFile(file, { maxBytes: MAX_CONTAINERS_CONF_BYTES, what: 'podman config file', followSymlinks, sizeHint: 'containers.conf holds a few settings' });
  } catch (err) {
    const why = err instanceof UserFileError ? err.message : `Cannot read ${file}: ${(err as Error).message}`;
    throw new ContainersConfError(file, `${why}. Terok Setup did not change it.`);
  }
}

/**
 * `[engine] hooks_dir` of a containers.conf as podman reads it (links
 * followed); null when there is no such file. Throws ContainersConfError
 * naming the file for anything that is not a readable TOML file.
 */
export function readHooksDirs(file: string): { present: boolean; dirs: string[] } | null {
  const text = readText(file, true);
  return text === null ? null : readHooksKey(file, text);
}

export interface ContainersConfRead {
  path: string;
  exists: boolean;
  hooksDirs: string[];
  /** Set when the file exists but is not valid TOML (or unreadable). */
  error?: string;
}

export function readContainersConf(file: string, home: string): ContainersConfRead {
  let read: ReturnType<typeof readHooksDirs>;
  try {
    read = readHooksDirs(file);
  } catch (err) {
    return { path: file, exists: true, hooksDirs: [], error: errorText(err) };
  }
  if (read === null) return { path: file, exists: false, hooksDirs: [] };
  return { path: file, exists: true, hooksDirs: read.dirs.map((d) => expandHome(d, home)) };
}

export function activeHooksDirs(
  ctx: Pick<HostContext, 'home' | 'systemContainersConfs' | 'defaultHooksDirs'>,
  userConf: string,
): { dirs: string[]; source: string; issues: string[] } {
  const issues: string[] = [];
  const user = readContainersConf(userConf, ctx.home);
  if (user.error) issues.push(user.error);
  if (user.hooksDirs.length) return { dirs: user.hooksDirs, source: userConf, issues };
  for (const sys of ctx.systemContainersConfs) {
    const conf = readContainersConf(sys, ctx.home);
    if (conf.hooksDirs.length) return { dirs: conf.hooksDirs, source: sys, issues };
  }
  return { dirs: ctx.defaultHooksDirs.filter((d) => existsSync(d)), source: 'podman defaults', issues };
}

/**
 * A file its owner made read-only (or that this user may not write) is the
 * user's decision: an atomic write would replace it through a rename in the
 * directory anyway, so refuse before planning any edit.
 */
function refuseReadOnly(file: string, entries: readonly string[]): void {
  let mode: number;
  try {
    mode = lstatSync(file).mode & 0o7777;
  } catch {
    return; // absent: created fresh
  }
  const fix = `add ${entries.map(quote).join(', ')} to [engine] hooks_dir in it yourself`;
  if ((mode & 0o200) === 0) {
    throw new ContainersConfError(file, `${file} is read-only (mode ${mode.toString(8).padStart(4, '0')}), so Terok Setup does not replace it. Make it writable (chmod u+w ${file}) and re-run setup, or ${fix}. Nothing was changed.`);
  }
  try {
    accessSync(file, constants.W_OK);
  } catch {
    throw new ContainersConfError(file, `${file} is not writable for this user (check its owner: ls -l ${file}), so Terok Setup does not replace it. Fix its owner or permissions and re-run setup, or ${fix}. Nothing was changed.`);
  }
}

/** The hook dirs podman uses for this user while the user file sets no `hooks_dir`. */
function inheritedHooksDirs(ctx: ConfCtx, userConf: string): string[] {
  // A missing user file counts as "lists nothing"; activeHooksDirs then falls back like podman.
  return activeHooksDirs(ctx, userConf).dirs;
}

export function planHooksDir(ctx: ConfCtx, file: string, dir: string): HooksDirPlan {
  refuseSymlink(file);
  const text = readText(file);
  const key = text === null ? { present: false, dirs: [] } : readHooksKey(file, text);
  const alreadyListed = key.dirs.some((d) => d === dir || expandHome(d, ctx.home) === dir);
  const introducesKey = !alreadyListed && key.dirs.length === 0;
  const inheritedDirs = introducesKey ? inheritedHooksDirs(ctx, file).filter((d) => d !== dir) : [];
  if (!alreadyListed && text !== null) refuseReadOnly(file, [...inheritedDirs, dir]);
  const warning = introducesKey
    ? `Terok Setup will add hooks_dir to ${file}. Once that setting exists, podman reads OCI hooks only from the listed directories` +
      (inheritedDirs.length
        ? `, so the directories it uses today (${inheritedDirs.join(', ')}) are listed too and their hooks keep working.`
        : '; no other hook directories are in use on this machine today.')
    : null;
  return { file, alreadyListed, introducesKey, inheritedDirs, warning };
}

// ---- in-place text editing -------------------------------------------------

interface ValueSpan {
  start: number;
  end: number;
  kind: 'array' | 'string' | 'other';
}

/** Skip a TOML string starting at `i` (any of the four forms); returns the index after it. */
function skipString(text: string, i: number): number {
  const triple = text.startsWith('"""', i) || text.startsWith("'''", i);
  const q = text[i]!;
  if (triple) {
    const close = text.indexOf(q.repeat(3), i + 3);
    return close < 0 ? text.length : close + 3;
  }
  let j = i + 1;
  while (j < text.length && text[j] !== q && text[j] !== '\n') {
    if (q === '"' && text[j] === '\\') j++;
    j++;
  }
  return j + 1;
}

function valueSpan(text: string, from: number): ValueSpan {
  let i = from;
  while (text[i] === ' ' || text[i] === '\t') i++;
  const start = i;
  if (text[i] === '"' || text[i] === "'") return { start, end: skipString(text, i), kind: 'string' };
  if (text[i] !== '[') {
    const eol = text.indexOf('\n', i);
    return { start, end: eol < 0 ? text.length : eol, kind: 'other' };
  }
  let depth = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' || c === "'") { i = skipString(text, i); continue; }
    if (c === '#') { const eol = text.indexOf('\n', i); i = eol < 0 ? text.length : eol; continue; }
    if (c === '[') depth++;
    if (c === ']' && --depth === 0) return { start, end: i + 1, kind: 'array' };
    i++;
  }
  return { start, end: text.length, kind: 'other' };
}

/** Index of the last character of an array body that is not blank or comment (the `[` when empty). */
function lastSignificant(text: string, span: ValueSpan): number {
  let last = span.start;
  let i = span.start + 1;
  while (i < span.end - 1) {
    const c = text[i]!;
    if (c === '"' || c === "'") { const e = skipString(text, i); last = e - 1; i = e; continue; }
    if (c === '#') { const eol = text.indexOf('\n', i); i = eol < 0 ? span.end : eol; continue; }
    if (!/\s/.test(c)) last = i;
    i++;
  }
  return last;
}

function appendToArray(text: string, span: ValueSpan, entries: string[], eol: string): string {
  const last = lastSignificant(text, span);
  const lastChar = text[last]!;
  const needsComma = lastChar !== '[' && lastChar !== ',';
  const body = text.slice(span.start, span.end);
  if (!body.includes('\n')) {
    const items = entries.map(quote).join(', ');
    const insert = (needsComma ? ', ' : lastChar === ',' ? ' ' : '') + items;
    return text.slice(0, last + 1) + insert + text.slice(last + 1);
  }
  // Multi-line list: one entry per new line, after the last entry's line (and its comment),
  // before that line's break (a CR included) — or before the closing bracket when it shares
  // that line; the file's last line may have no break at all.
  const lineStart = text.lastIndexOf('\n', last) + 1;
  const nl = text.indexOf('\n', last);
  let lineEnd = nl < 0 ? text.length : nl;
  if (text[lineEnd - 1] === '\r' && lineEnd - 1 > last) lineEnd--;
  lineEnd = Math.min(lineEnd, span.end - 1);
  const indent = lastChar === '['
    ? (/^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '') + '  '
    : (/^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '  ');
  const head = text.slice(0, last + 1) + (needsComma ? ',' : '') + text.slice(last + 1, lineEnd);
  return head + entries.map((e) => `${eol}${indent}${quote(e)},`).join('') + text.slice(lineEnd);
}

/** Line index of `[engine]` and the `hooks_dir =` line inside that table (or -1). */
function locate(lines: string[]): { engine: number; key: number } {
  let engine = -1;
  let key = -1;
  let inEngine = false;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '');
    if (/^\s*\[/.test(line)) {
      inEngine = /^\s*\[\s*engine\s*\]\s*(#.*)?$/.test(line);
      if (inEngine && engine < 0) engine = n;
      continue;
    }
    if (inEngine && key < 0 && /^\s*hooks_dir\s*=/.test(line)) key = n;
  }
  return { engine, key };
}

/** The file's line break: CRLF when its first line ends with one, else LF. */
function lineBreakOf(text: string): string {
  const nl = text.indexOf('\n');
  return nl > 0 && text[nl - 1] === '\r' ? '\r\n' : '\n';
}

/**
 * The new file text with `entries` registered; `present` says whether
 * `hooks_dir` exists already. New lines use the file's line break, and a
 * file that did not end with a newline still does not.
 */
export function withHooksDirs(text: string, entries: string[], present: boolean, file = 'containers.conf'): string {
  const lines = text.split('\n');
  const { engine, key } = locate(lines);
  const eol = lineBreakOf(text);
  const keyLine = `hooks_dir = [${entries.map(quote).join(', ')}]`;
  if (!present) {
    if (engine >= 0) {
      const engineEnd = lines.slice(0, engine + 1).reduce((n, l) => n + l.length + 1, 0);
      // The header is the last line and has no newline: ours becomes the last line, also without one.
      if (engineEnd > text.length) return `${text}${eol}${keyLine}`;
      return text.slice(0, engineEnd) + keyLine + eol + text.slice(engineEnd);
    }
    if (text === '') return `[engine]\n${keyLine}\n`;
    return text.endsWith('\n') ? `${text}${eol}[engine]${eol}${keyLine}${eol}` : `${text}${eol}${eol}[engine]${eol}${keyLine}`;
  }
  if (key < 0) {
    throw new ContainersConfError(file, `${file} sets engine.hooks_dir in a form Terok Setup cannot edit safely (dotted key or inline table). Add ${entries.map(quote).join(', ')} to it yourself, then re-run setup.`);
  }
  const offset = lines.slice(0, key).reduce((n, l) => n + l.length + 1, 0);
  const eq = text.indexOf('=', offset);
  const span = valueSpan(text, eq + 1);
  if (span.kind === 'array') return appendToArray(text, span, entries, eol);
  if (span.kind === 'string') {
    const old = text.slice(span.start, span.end);
    return text.slice(0, span.start) + `[${[old, ...entries.map(quote)].join(', ')}]` + text.slice(span.end);
  }
  throw new ContainersConfError(file, `${file}: engine.hooks_dir has a value Terok Setup does not understand; make it a list of strings and re-run setup.`);
}

/**
 * Make sure `dir` is listed in `file`'s `[engine] hooks_dir`. Idempotent:
 * a listed dir leaves the file byte-identical.
 */
export function registerHooksDir(ctx: ConfCtx, file: string, dir: string): HooksDirEdit {
  const plan = planHooksDir(ctx, file, dir);
  if (plan.alreadyListed) return { ...plan, changed: false };
  const text = readText(file) ?? '';
  const key = readHooksKey(file, text);
  const entries = [...plan.inheritedDirs, dir];
  const next = withHooksDirs(text, entries, key.present, file);
  // Belt and braces: the edit must parse and list exactly what it listed before plus ours.
  const check = readHooksKey(file, next);
  const expected = [...key.dirs, ...entries];
  if (!check.present || check.dirs.length !== expected.length || check.dirs.some((d, i) => d !== expected[i])) {
    throw new ContainersConfError(file, `could not add ${dir} to ${file} safely (unusual layout); add it to [engine] hooks_dir yourself and re-run setup. Nothing was changed.`);
  }
  // An existing file keeps its exact mode; a new one gets 0644 under the umask, as terok creates it.
  let mode: number | undefined;
  try { mode = lstatSync(file).mode & 0o7777; } catch { /* new file */ }
  try {
    writeFileIfChanged(file, next, { ...(mode === undefined ? {} : { mode }), refuseSymlinks: true });
  } catch (err) {
    const why = err instanceof UnsafePathError ? err.message : describeFsError(err, `writing ${file}`);
    throw new ContainersConfError(file, `${why}. The previous file, if any, was left as it was.`);
  }
  return { ...plan, changed: true };
}
