/**
 * Finding the installed terok: the Python environment behind the `terok*`
 * commands on PATH (pipx venv, virtualenv or system site-packages), the
 * versions of its packages (they go into the setup stamp) and the hook
 * payload files terok-shield / terok-sandbox ship.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type { HostContext } from '../host/context.ts';
import { detectDistro, installCommand, type DistroFamily } from '../host/distro.ts';
import { isExecutableFile, which } from '../host/which.ts';
import { readBundleVersion } from './shield-health.ts';
import { TEROK_INSTALL_REQUIREMENT } from './terok-release.ts';

export const TRACKED_PACKAGES = ['terok', 'terok-executor', 'terok-sandbox', 'terok-shield', 'terok-clearance'] as const;
export const TEROK_COMMANDS = ['terok-executor', 'terok-sandbox', 'terok'] as const;

export interface TerokRuntime {
  /** Interpreter of the terok environment, or null when terok is not installed. */
  python: string | null;
  /** The command we found it through (e.g. /home/u/.local/bin/terok-executor). */
  via: string | null;
  packages: Partial<Record<(typeof TRACKED_PACKAGES)[number], string>>;
  /** terok_shield package dir / terok_sandbox package dir, when importable. */
  shieldDir: string | null;
  sandboxDir: string | null;
  /** BUNDLE_VERSION of the shield payload that setup would install. */
  expectedBundleVersion: number | null;
  error?: string;
}

/**
 * Interpreter named by a script's `#!` line (`#!/usr/bin/env python3` resolved
 * on PATH), or null. Only an absolute `#!` path counts: a relative one would
 * be resolved against the working directory, and the interpreter found here
 * is baked into the supervisor wrapper.
 */
export function shebangInterpreter(ctx: Pick<HostContext, 'env'>, script: string): string | null {
  let head = '';
  try {
    const fd = openSync(script, 'r');
    try {
      const buf = Buffer.alloc(256);
      const n = readSync(fd, buf, 0, 256, 0);
      head = buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  const m = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(head);
  if (!m || !path.isAbsolute(m[1]!)) return null;
  if (m[1]!.endsWith('/env') && m[2]) return which(ctx, m[2]);
  return /python/.test(m[1]!) ? m[1]! : null;
}

// Runs inside the terok environment: stdlib only, prints one JSON object.
const PROBE_SCRIPT = `
import json, importlib.metadata as md, importlib.util as iu, os
out = {"packages": {}, "shield_dir": None, "sandbox_dir": None}
for name in ${JSON.stringify(TRACKED_PACKAGES)}:
    try:
        out["packages"][name] = md.version(name)
    except Exception:
        pass
for key, mod in (("shield_dir", "terok_shield"), ("sandbox_dir", "terok_sandbox")):
    try:
        spec = iu.find_spec(mod)
        if spec and spec.submodule_search_locations:
            out[key] = list(spec.submodule_search_locations)[0]
    except Exception:
        pass
print(json.dumps(out))
`;

export function findShieldBallast(shieldDir: string): string[] {
  // Known layouts across terok-shield releases.
  return ['resources/hooks/_oci_state.py', 'hooks/_oci_state.py', 'resources/_oci_state.py', '_oci_state.py'].map((p) => `${shieldDir}/${p}`);
}

export async function detectTerokRuntime(ctx: HostContext, signal?: AbortSignal): Promise<TerokRuntime> {
  const empty: TerokRuntime = { python: null, via: null, packages: {}, shieldDir: null, sandboxDir: null, expectedBundleVersion: null };
  let via: string | null = null;
  let python: string | null = null;
  // pipx puts commands in ~/.local/bin, which a desktop session's PATH often lacks right after install.
  const pipxBin = ctx.env.PIPX_BIN_DIR || `${ctx.home}/.local/bin`;
  for (const cmd of TEROK_COMMANDS) {
    const found = which(ctx, cmd, [pipxBin]);
    if (!found) continue;
    const interp = shebangInterpreter(ctx, found);
    if (interp) { via = found; python = interp; break; }
  }
  if (!python) return empty;
  try {
    const { stdout } = await ctx.run(python, ['-I', '-c', PROBE_SCRIPT], { timeoutMs: 10_000, signal });
    const data = JSON.parse(stdout) as { packages: TerokRuntime['packages']; shield_dir: string | null; sandbox_dir: string | null };
    let expected: number | null = null;
    if (data.shield_dir) {
      for (const candidate of findShieldBallast(data.shield_dir)) {
        expected = readBundleVersion(candidate);
        if (expected !== null) break;
      }
    }
    return { python, via, packages: data.packages, shieldDir: data.shield_dir, sandboxDir: data.sandbox_dir, expectedBundleVersion: expected };
  } catch (err) {
    return { ...empty, python, via, error: `could not inspect the terok installation behind ${via}: ${(err as Error).message}` };
  }
}

/** Sub-directories of a terok package where releases have shipped their hook payload. */
const PAYLOAD_SUBDIRS = ['resources/hooks', 'hooks', 'resources', ''] as const;

/**
 * The installed copy of `file` inside a terok package dir (terok_shield or
 * terok_sandbox), or null. Searches the layouts releases have used.
 */
export function locatePayloadFile(packageDir: string, file: string): string | null {
  for (const sub of PAYLOAD_SUBDIRS) {
    const candidate = path.join(packageDir, sub, file);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export interface TerokInstallPlan {
  /** Runs the install; null when a prerequisite must be installed first by the user. */
  argv: string[] | null;
  /** The command as the user would type it. */
  display: string;
  /** Shown when pipx itself is missing: how to get it on this distribution. */
  prerequisite: string | null;
}

/**
 * The exact command that installs terok: the release this wizard knows
 * (terok-release.ts), with pipx: it gives terok its own venv and, with
 * `--include-deps`, exposes terok-sandbox and terok-shield's commands too
 * (their hooks need them on PATH). `pipxDirs`: where else to look for pipx.
 */
export function terokInstallPlan(ctx: Pick<HostContext, 'env'>, family: DistroFamily = detectDistro().family, pipxDirs: readonly string[] = []): TerokInstallPlan {
  const pipx = which(ctx, 'pipx', pipxDirs);
  const args = ['install', '--include-deps', TEROK_INSTALL_REQUIREMENT];
  if (pipx) return { argv: [pipx, ...args], display: `pipx ${args.join(' ')}`, prerequisite: null };
  return {
    argv: null,
    display: `pipx ${args.join(' ')}`,
    prerequisite: installCommand(family, 'pipx') ?? 'install pipx (https://pipx.pypa.io/stable/installation/)',
  };
}

/**
 * The command the supervisor wrapper runs: `terok-sandbox` on PATH, else the
 * one next to the terok interpreter (a venv that is not on PATH).
 */
export function resolveTerokSandboxCommand(ctx: Pick<HostContext, 'env'>, runtime: Pick<TerokRuntime, 'python'>): string {
  const onPath = which(ctx, 'terok-sandbox');
  if (onPath) return onPath;
  const sibling = runtime.python ? path.join(path.dirname(runtime.python), 'terok-sandbox') : null;
  if (sibling && isExecutableFile(sibling)) return sibling;
  throw new Error(`terok-sandbox entry point not found — checked $PATH${sibling ? ` and ${path.dirname(sibling)}` : ''}; install terok (${terokInstallPlan(ctx).display}) and re-run setup`);
}

/** One-line summary of the installed versions, for stage details and reports. */
export function describeRuntime(runtime: TerokRuntime): string {
  const names = TRACKED_PACKAGES.filter((n) => runtime.packages[n]);
  return names.length ? names.map((n) => `${n} ${runtime.packages[n]}`).join(', ') : 'terok is not installed';
}
