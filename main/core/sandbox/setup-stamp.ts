/**
 * The setup stamp (`<terok state root>/setup.stamp`): which terok package
 * versions the last fully successful setup ran against. terok refuses to run
 * when it is missing or stale; the wizard reads it on start to say whether
 * setup must run again — and why.
 */
import type { HostContext } from '../host/context.ts';
import { loadTerokConfig } from '../host/config.ts';
import { describeFsError, readUserFile, UserFileError, writeFileIfChanged } from '../host/fs.ts';
import { SetupError } from '../errors.ts';
import { resolvePaths } from '../host/paths.ts';
import { removeFiles } from './hook-files.ts';
import { detectTerokRuntime, TRACKED_PACKAGES } from './terok-runtime.ts';

export const STAMP_VERSION = 1;
/** A stamp is a few lines of JSON; a bigger file is not one. */
export const MAX_STAMP_BYTES = 64 * 1024;

export type SetupVerdict = 'first_run' | 'ok' | 'stale_after_update' | 'stamp_corrupt' | 'stale_after_downgrade';

export type PackageVersions = Record<string, string>;

export interface SetupStamp {
  completed_at: string;
  packages: PackageVersions;
  version: number;
}

/** One package whose version differs from the stamp; `installed` null = uninstalled. */
export interface PackageChange {
  name: string;
  stamped: string;
  installed: string | null;
  direction: 'upgrade' | 'downgrade';
}

export interface SetupVerdictReport {
  verdict: SetupVerdict;
  stampPath: string;
  changes: PackageChange[];
  /** For downgrades, terok's wording: `<pkg> <stamped> → <installed>` or `<pkg> (uninstalled)`. */
  offenders: string[];
  /** One sentence for the wizard's banner. */
  message: string;
}

// ---- PEP 440-ish ordering ----------------------------------------------------

const PEP440 = /^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|alpha|b|beta|c|rc|pre|preview)[-_.]?(\d*))?(?:[-_.]?(?:post|rev|r)[-_.]?(\d*)|-(\d+))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/i;
const PRE_RANK: Record<string, number> = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 };

/** A sortable key, or null when the string is not a PEP 440 version. */
function versionKey(v: string): number[] | null {
  const m = PEP440.exec(v.trim());
  if (!m) return null;
  const [, epoch, release, prePhase, preNum, postNum, postImplicit, devNum] = m;
  const parts = release!.split('.').map(Number);
  while (parts.length > 1 && parts.at(-1) === 0) parts.pop();
  const hasPost = postNum !== undefined || postImplicit !== undefined;
  const hasDev = devNum !== undefined;
  // Fixed-width key: epoch, 10 release slots, pre, post, dev.
  const rel = Array.from({ length: 10 }, (_, i) => parts[i] ?? 0);
  let pre: number[];
  if (prePhase) pre = [1, PRE_RANK[prePhase.toLowerCase()]!, Number(preNum || 0)];
  else if (hasDev && !hasPost) pre = [0, 0, 0]; // 1.0.dev1 sorts before 1.0a1
  else pre = [2, 0, 0];
  const post = hasPost ? [1, Number(postNum || postImplicit || 0)] : [0, 0];
  const dev = hasDev ? [0, Number(devNum || 0)] : [1, 0];
  return [Number(epoch || 0), ...rel, ...pre, ...post, ...dev];
}

/** <0, 0, >0 like a comparator; PEP 440 order, plain string order if either side is not PEP 440. */
export function compareVersions(a: string, b: string): number {
  const ka = versionKey(a);
  const kb = versionKey(b);
  if (!ka || !kb) return a < b ? -1 : a > b ? 1 : 0;
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
  return compareLocal(PEP440.exec(a.trim())![8], PEP440.exec(b.trim())![8]);
}

/**
 * PEP 440 local segments (`+…`): none < some; segment by segment, numbers
 * compare as numbers and rank above letters, letters compare case-blind;
 * a longer local version that starts with the shorter one is greater.
 */
function compareLocal(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return (a === undefined ? 0 : 1) - (b === undefined ? 0 : 1);
  const sa = a.toLowerCase().split(/[-_.]/);
  const sb = b.toLowerCase().split(/[-_.]/);
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const [x, y] = [sa[i]!, sb[i]!];
    const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (nx && ny) { if (Number(x) !== Number(y)) return Number(x) - Number(y); }
    else if (nx !== ny) return nx ? 1 : -1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return sa.length - sb.length;
}

// ---- reading, writing, classifying ----------------------------------------------

/** JSON with keys sorted at every level, like Python's `json.dumps(sort_keys=True, indent=2)`. */
function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]))
      : v;
  return JSON.stringify(sort(value), null, 2);
}

/** UTC, seconds precision, the way terok writes it (`2026-05-07T12:34:56+00:00`). */
export function utcTimestamp(now = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** Raised when the stamp cannot be written; the previous stamp, if any, is left as it was. */
export class StampWriteError extends SetupError {
  constructor(message: string) {
    super('setup-stamp', message);
  }
}

/**
 * Atomic write of the stamp: no trailing newline, sorted keys, two-space
 * indent. Bytes equal to the file's leave it alone (same inode and mtime);
 * `completed_at` makes every real run's bytes new, as in terok.
 */
export function writeStamp(stampPath: string, packages: PackageVersions, now = new Date()): SetupStamp {
  const tracked = Object.fromEntries(Object.entries(packages).filter(([k]) => (TRACKED_PACKAGES as readonly string[]).includes(k)));
  const stamp: SetupStamp = { completed_at: utcTimestamp(now), packages: tracked, version: STAMP_VERSION };
  try {
    writeFileIfChanged(stampPath, sortedJson(stamp));
  } catch (err) {
    throw new StampWriteError(`${describeFsError(err, 'writing the setup stamp')}\nfile: ${stampPath} (the previous stamp, if any, was left as it was)`);
  }
  return stamp;
}

export type StampRead = { state: 'absent' } | { state: 'ok'; stamp: SetupStamp } | { state: 'corrupt'; reason: string };

/**
 * The stamp and, when it is unusable, why. Links are followed like
 * Python's `Path.is_file()`: a link to a stamp is a stamp, a dangling link
 * is no stamp; a FIFO, a device or a directory is corrupt, and is never
 * opened for reading.
 */
export function inspectStamp(stampPath: string): StampRead {
  let text: string | null;
  try {
    text = readUserFile(stampPath, { maxBytes: MAX_STAMP_BYTES, what: 'setup stamp', sizeHint: 'a stamp is a few lines of JSON' });
  } catch (err) {
    return { state: 'corrupt', reason: err instanceof UserFileError ? `it ${err.problem}` : (err as Error).message };
  }
  if (text === null) return { state: 'absent' };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { state: 'corrupt', reason: 'it is not valid JSON' };
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { state: 'corrupt', reason: 'it does not hold a JSON object' };
  const { version, packages } = doc as Record<string, unknown>;
  if (version !== STAMP_VERSION) return { state: 'corrupt', reason: `its version is ${JSON.stringify(version ?? null)}, not ${STAMP_VERSION}` };
  if (!packages || typeof packages !== 'object' || Array.isArray(packages)) return { state: 'corrupt', reason: 'its "packages" is not a JSON object' };
  return { state: 'ok', stamp: doc as SetupStamp };
}

/** The stamp, null when absent, or 'corrupt'. */
export function readStamp(stampPath: string): SetupStamp | null | 'corrupt' {
  const read = inspectStamp(stampPath);
  return read.state === 'ok' ? read.stamp : read.state === 'absent' ? null : 'corrupt';
}

/** Removes the stamp; true when there was one. */
export const clearStamp = (stampPath: string): boolean => removeFiles([stampPath]).length > 0;

export function formatOffender(c: PackageChange): string {
  return c.installed === null ? `${c.name} (uninstalled)` : `${c.name} ${c.stamped} → ${c.installed}`;
}

export function classifyStamp(stampPath: string, installed: PackageVersions): SetupVerdictReport {
  const read = inspectStamp(stampPath);
  const report = (verdict: SetupVerdict, message: string, changes: PackageChange[] = []): SetupVerdictReport => ({
    verdict, stampPath, changes,
    offenders: verdict === 'stale_after_downgrade' ? changes.filter((c) => c.direction === 'downgrade').map(formatOffender) : [],
    message,
  });
  if (read.state === 'absent') return report('first_run', 'Setup has not run on this machine yet.');
  if (read.state === 'corrupt') return report('stamp_corrupt', `The setup stamp ${stampPath} is unreadable: ${read.reason}. Run setup again to refresh it.`);
  const stamp = read.stamp;
  const changes: PackageChange[] = [];
  for (const [name, stamped] of Object.entries(stamp.packages)) {
    const now = installed[name];
    const stampedText = String(stamped);
    if (now === undefined) changes.push({ name, stamped: stampedText, installed: null, direction: 'downgrade' });
    else {
      const cmp = compareVersions(now, stampedText);
      if (cmp !== 0) changes.push({ name, stamped: stampedText, installed: now, direction: cmp < 0 ? 'downgrade' : 'upgrade' });
    }
  }
  const downgrades = changes.filter((c) => c.direction === 'downgrade');
  if (downgrades.length) {
    return report('stale_after_downgrade',
      `terok was downgraded or partly removed (${downgrades.map(formatOffender).join(', ')}). terok refuses to run against files set up by a newer release; ` +
      `reinstall the newer version, or remove ${stampPath} and run setup again if the downgrade is intended.`, changes);
  }
  if (changes.length) {
    return report('stale_after_update', `terok was updated (${changes.map(formatOffender).join(', ')}) — re-run setup to apply the new version.`, changes);
  }
  return report('ok', 'Setup is current for the installed terok.');
}

/** What the wizard calls on start: the verdict for this machine's stamp and installed terok. */
export async function setupVerdict(ctx: HostContext, signal?: AbortSignal): Promise<SetupVerdictReport & { installed: PackageVersions }> {
  const paths = resolvePaths(ctx, loadTerokConfig(ctx));
  const runtime = await detectTerokRuntime(ctx, signal);
  const installed = runtime.packages as PackageVersions;
  return { ...classifyStamp(paths.setupStamp, installed), installed };
}
