/**
 * Checking the hook payload of an installed terok against the digests
 * recorded for its release (terok-release.ts) before any of it is copied
 * onto the host, where it runs for every container.
 *
 *   match            every file the wizard would copy has its recorded bytes
 *   mismatch         a file differs, is missing, is not in the record, is a
 *                    symlink or cannot be read: never copied
 *   unknown-version  nothing is recorded for this version (a newer terok, or
 *                    a release nobody recorded yet): cannot be verified (a
 *                    symlinked or unreadable file is still a mismatch)
 *
 * terok.install refuses anything but a match; sandbox.install refuses a
 * mismatch and installs an unknown version with a note (a terok the user
 * installed, newer than this wizard).
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { readAtMost } from '../host/fs.ts';
import { compareVersions } from './setup-stamp.ts';
import { SHIELD_PAYLOAD_SOURCES } from './shield-hooks.ts';
import { SUPERVISOR_BALLAST, SUPERVISOR_HOOK, SUPERVISOR_WRAPPER } from './supervisor-hooks.ts';
import {
  PACKAGE_ISSUES, PAYLOAD_PACKAGES, SUPPORTED_EXECUTOR, SUPPORTED_EXECUTOR_RANGE, TEROK_INSTALL_REQUIREMENT, TEROK_PYPI_PACKAGE,
  type PayloadDigests, type PayloadDigestTable, type PayloadPackage,
} from './terok-release.ts';
import { locatePayloadFile, type TerokRuntime } from './terok-runtime.ts';

/** Payload files are a few KiB of Python; anything bigger is not one of them. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** The files each package ships that the hook installers copy (shield's `_host_tools.py` only where shipped). */
export const PAYLOAD_FILES: Readonly<Record<PayloadPackage, readonly string[]>> = {
  'terok-shield': [...new Set(Object.values(SHIELD_PAYLOAD_SOURCES))],
  'terok-sandbox': [SUPERVISOR_HOOK, SUPERVISOR_BALLAST, SUPERVISOR_WRAPPER],
};

export type PayloadVerdict = 'match' | 'mismatch' | 'unknown-version';

export interface PayloadFileCheck {
  package: PayloadPackage;
  version: string | null;
  file: string;
  /** Where the installed copy is, or null when the package does not ship it. */
  path: string | null;
  /** Recorded sha256, or null (version not recorded, or file not in the record). */
  expected: string | null;
  /** sha256 of the installed bytes, or null when they were not read. */
  found: string | null;
  /** Why the file fails the check, or null when it passes (or its version is unknown). */
  problem: string | null;
}

export interface PayloadVerification {
  verdict: PayloadVerdict;
  files: PayloadFileCheck[];
  /** Installed packages with no recorded digests for their version. */
  unknown: { package: PayloadPackage; version: string | null }[];
}

const dirOf = (runtime: Pick<TerokRuntime, 'shieldDir' | 'sandboxDir'>, pkg: PayloadPackage) => pkg === 'terok-shield' ? runtime.shieldDir : runtime.sandboxDir;

/**
 * sha256 of a payload file, read without following a symlink and only when
 * it really lies inside the package dir (a symlinked `resources/` pointing
 * elsewhere counts as outside), or why it cannot be used.
 */
export function digestPayloadFile(packageDir: string, file: string): { digest: string } | { problem: string } {
  try {
    const st = lstatSync(file);
    if (st.isSymbolicLink()) return { problem: 'is a symbolic link, not the file the release ships' };
    if (!st.isFile()) return { problem: 'is not a regular file' };
    const root = realpathSync(packageDir);
    const parent = realpathSync(path.dirname(file));
    if (parent !== root && !parent.startsWith(root + path.sep)) return { problem: `lies outside ${packageDir} (a directory on its path is a symbolic link)` };
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      if (!fstatSync(fd).isFile()) return { problem: 'is not a regular file' };
      const bytes = readAtMost(fd, MAX_PAYLOAD_BYTES + 1);
      if (bytes.length > MAX_PAYLOAD_BYTES) return { problem: `is larger than ${MAX_PAYLOAD_BYTES / 1024} KiB, far more than a hook script` };
      return { digest: createHash('sha256').update(bytes).digest('hex') };
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    return { problem: `cannot be read: ${(err as Error).message}` };
  }
}

/**
 * Verify the payload of `packages` (default: both) in an installed terok.
 * A package that is not installed has nothing to copy and is skipped.
 */
export function verifyHookPayload(
  runtime: Pick<TerokRuntime, 'packages' | 'shieldDir' | 'sandboxDir'>,
  table: PayloadDigestTable,
  packages: readonly PayloadPackage[] = PAYLOAD_PACKAGES,
): PayloadVerification {
  const files: PayloadFileCheck[] = [];
  const unknown: PayloadVerification['unknown'] = [];
  for (const pkg of packages) {
    const dir = dirOf(runtime, pkg);
    if (!dir) continue;
    const version = runtime.packages[pkg] ?? null;
    const record: PayloadDigests | undefined = version !== null && Object.hasOwn(table[pkg], version) ? table[pkg][version] : undefined;
    if (!record) unknown.push({ package: pkg, version });
    for (const file of PAYLOAD_FILES[pkg]) {
      const located = locatePayloadFile(dir, file);
      const expected = record && Object.hasOwn(record, file) ? record[file]! : null;
      if (!located && (!record || expected === null)) continue; // not shipped, not expected
      const check: PayloadFileCheck = { package: pkg, version, file, path: located, expected, found: null, problem: null };
      if (located) {
        const read = digestPayloadFile(dir, located);
        if ('digest' in read) check.found = read.digest; else check.problem = read.problem;
      }
      if (record) {
        if (!located) check.problem = 'is missing from the installed package';
        else if (expected === null) check.problem ??= 'is not part of the recorded release';
        else if (check.found !== null && check.found !== expected) check.problem = 'does not match the recorded release';
      }
      files.push(check);
    }
  }
  // A symlinked or unreadable file is refused whatever the version: only the digest comparison needs a record.
  const bad = files.some((f) => f.problem !== null);
  return { verdict: bad ? 'mismatch' : unknown.length ? 'unknown-version' : 'match', files, unknown };
}

/** The digest entries of an installed terok, as verifyHookPayload reads them (the maintainer script prints these). */
export function recordPayloadDigests(runtime: Pick<TerokRuntime, 'packages' | 'shieldDir' | 'sandboxDir'>): { package: PayloadPackage; version: string | null; digests: Record<string, string>; problems: string[] }[] {
  const out = [];
  for (const pkg of PAYLOAD_PACKAGES) {
    const dir = dirOf(runtime, pkg);
    if (!dir) continue;
    const digests: Record<string, string> = {};
    const problems: string[] = [];
    for (const file of PAYLOAD_FILES[pkg]) {
      const located = locatePayloadFile(dir, file);
      if (!located) continue;
      const read = digestPayloadFile(dir, located);
      if ('digest' in read) digests[file] = read.digest; else problems.push(`${located} ${read.problem}`);
    }
    out.push({ package: pkg, version: runtime.packages[pkg] ?? null, digests, problems });
  }
  return out;
}

/** Is this terok-executor version within SUPPORTED_EXECUTOR_RANGE? (PEP 440: `<0.5` excludes 0.5 pre-releases too.) */
export function executorSupported(version: string | undefined): boolean {
  if (!version || compareVersions(version, SUPPORTED_EXECUTOR.atLeast) < 0) return false;
  const release = /^\s*v?(\d+(?:\.\d+)*)/i.exec(version)?.[1];
  return release !== undefined && compareVersions(release, SUPPORTED_EXECUTOR.below) < 0;
}

const short = (digest: string | null) => (digest ? `${digest.slice(0, 12)}…` : 'none');
const named = (pkg: string, version: string | null) => `${pkg} ${version ?? '(version unknown)'}`;

/** The command that puts the release this wizard knows back in place. */
export const REINSTALL_COMMANDS = `pipx uninstall ${TEROK_PYPI_PACKAGE}, then pipx install --include-deps ${TEROK_INSTALL_REQUIREMENT}`;

/** Two lines per failing file: what (expected vs found digest, short), then where. */
export function mismatchLines(v: PayloadVerification): string[] {
  const lines: string[] = [];
  for (const f of v.files) {
    if (f.problem === null) continue;
    const digests = f.expected !== null || f.found !== null ? `: sha256 expected ${short(f.expected)}, found ${short(f.found)}` : '';
    lines.push(`${named(f.package, f.version)}: ${f.file} ${f.problem}${digests}`);
    lines.push(`at ${f.path ?? `${f.package}'s package directory`}`);
  }
  return lines;
}

export interface PayloadRefusal {
  code: 'payload-mismatch' | 'payload-unverified';
  /** One sentence, without the context (which step refused). */
  summary: string;
  /** File by file: what and where. */
  lines: string[];
  /** How to fix it. */
  hint: string;
}

/** Why a payload must not be copied, in words a user can act on; null when it matches. */
export function payloadRefusal(v: PayloadVerification): PayloadRefusal | null {
  if (v.verdict === 'match') return null;
  if (v.verdict === 'mismatch') {
    const lines = mismatchLines(v);
    const pkgs = [...new Set(v.files.filter((f) => f.problem !== null).map((f) => f.package))];
    return {
      code: 'payload-mismatch',
      summary: `its hook files differ from the release they claim to be (${lines[0]})`,
      lines,
      hint: `Reinstall terok (${REINSTALL_COMMANDS}); if the files still differ, report it to ${pkgs.map((p) => PACKAGE_ISSUES[p]).join(' and ')}.`,
    };
  }
  const which = v.unknown.map((u) => named(u.package, u.version)).join(', ');
  const dirs = [...new Set(v.files.filter((f) => f.path).map((f) => path.dirname(f.path!)))];
  return {
    code: 'payload-unverified',
    summary: `this Terok Setup has no recorded digests for the hook files of ${which}, so they cannot be verified`,
    lines: dirs.map((d) => `at ${d}`),
    hint: `Install the release this Terok Setup knows (${REINSTALL_COMMANDS}), or update Terok Setup; if that is the release installed, report the missing digests to the Terok Setup maintainers.`,
  };
}

/** The note sandbox.install logs when it installs a payload it could not verify. */
export function unverifiedNote(v: PayloadVerification, executorVersion: string | undefined): string {
  const which = v.unknown.map((u) => named(u.package, u.version)).join(', ');
  const range = `${executorSupported(executorVersion) ? 'within' : 'outside'} the range this wizard supports (${SUPPORTED_EXECUTOR_RANGE})`;
  return `note: the hook files of ${which} could not be verified (no recorded digests for that version; ${TEROK_PYPI_PACKAGE} ${executorVersion ?? 'unknown'} is ${range}) — installing them as shipped`;
}

/**
 * The gate of a hook stage of sandbox.install: the FAIL detail when the
 * payload must not be copied (a mismatch), else null — after logging a note
 * when it could not be verified (a terok newer than this wizard knows).
 */
export function hookStageRefusal(
  runtime: Pick<TerokRuntime, 'packages' | 'shieldDir' | 'sandboxDir'>,
  table: PayloadDigestTable,
  pkg: PayloadPackage,
  log: (line: string) => void,
): string | null {
  const v = verifyHookPayload(runtime, table, [pkg]);
  if (v.verdict === 'unknown-version') { log(unverifiedNote(v, runtime.packages['terok-executor'])); return null; }
  const refusal = payloadRefusal(v);
  if (!refusal) return null;
  return [...refusal.lines, 'not installed: a changed hook would run on this host for every container', `fix: ${refusal.hint}`].join('\n');
}
