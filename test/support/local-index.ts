/**
 * A local package index for real pipx (PyPI is unreachable here): wheels of
 * stand-in terok-executor / terok-sandbox / terok-shield releases, written
 * from fixture sources into a directory pip reads with PIP_NO_INDEX=1
 * PIP_FIND_LINKS=<dir>. The wheels are zipped by a stdlib-only Python
 * script (a wheel is a zip with a dist-info; no setuptools or `wheel` has to
 * be installable offline) — what installs them is real pip inside real pipx.
 * Each stand-in pins the next one exactly, as the real releases do, and ships
 * the hook payload files at the paths the real packages use.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { PayloadDigestTable } from '../../main/core/sandbox/terok-release.ts';
import { sha256 } from './terok-fixture.ts';

export interface StandInRelease {
  executor: string;
  sandbox: string;
  shield: string;
}

/** Payload file (as shipped) → its bytes, per package. */
export type StandInPayload = { 'terok-shield': Record<string, string>; 'terok-sandbox': Record<string, string> };

/** Where each package ships its payload files (relative to its package dir). */
const PAYLOAD_PATHS: Record<string, string> = {
  '_oci_state.py': 'resources/_oci_state.py',
  'nft_hook.py': 'resources/nft_hook.py',
  'reader_hook.py': 'resources/reader_hook.py',
  'nflog_reader.py': 'resources/nflog_reader.py',
  'supervisor_hook.py': 'resources/hooks/supervisor_hook.py',
  '_supervisor_state.py': 'resources/hooks/_supervisor_state.py',
  'supervisor_wrapper.py': 'resources/supervisor_wrapper.py',
};

export function standInPayload(): StandInPayload {
  return {
    'terok-shield': {
      '_oci_state.py': '"""stand-in ballast"""\nBUNDLE_VERSION = 12\n',
      'nft_hook.py': '#!/bin/sh\n# stand-in terok-shield hook\nexit 0\n',
      'reader_hook.py': '#!/bin/sh\n# reader: READER = "__READER_SCRIPT_PATH__"\nexit 0\n',
      'nflog_reader.py': '#!/usr/bin/env python3\n# stand-in NFLOG reader\n',
    },
    'terok-sandbox': {
      'supervisor_hook.py': '#!/usr/bin/env python3\n# stand-in supervisor hook\n',
      '_supervisor_state.py': '# stand-in supervisor ballast\n',
      'supervisor_wrapper.py': '#!/usr/bin/python3\nTEROK_SANDBOX = ["__TEROK_SANDBOX_BIN__"]\n',
    },
  };
}

/** The digest table under which `payload` of `release` matches. */
export function standInDigests(release: StandInRelease, payload: StandInPayload): PayloadDigestTable {
  const of = (files: Record<string, string>) => Object.fromEntries(Object.entries(files).map(([f, c]) => [f, sha256(c)]));
  return { 'terok-shield': { [release.shield]: of(payload['terok-shield']) }, 'terok-sandbox': { [release.sandbox]: of(payload['terok-sandbox']) } };
}

// stdin: [{name, version, requires, files: {path: text}, scripts: {name: "module:func"}}]; writes <dir>/<dist>-<v>-py3-none-any.whl.
const WHEEL_WRITER = `
import base64, hashlib, json, sys, zipfile
out = sys.argv[1]
for w in json.load(sys.stdin):
    dist = w["name"].replace("-", "_")
    info = f"{dist}-{w['version']}.dist-info"
    entries = dict(w["files"])
    entries[f"{info}/METADATA"] = f"Metadata-Version: 2.1\\nName: {w['name']}\\nVersion: {w['version']}\\n" + "".join(f"Requires-Dist: {r}\\n" for r in w["requires"])
    entries[f"{info}/WHEEL"] = "Wheel-Version: 1.0\\nGenerator: terok-setup-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    if w["scripts"]:
        entries[f"{info}/entry_points.txt"] = "[console_scripts]\\n" + "".join(f"{k} = {v}\\n" for k, v in w["scripts"].items())
    record = []
    with zipfile.ZipFile(f"{out}/{dist}-{w['version']}-py3-none-any.whl", "w") as z:
        for name, text in entries.items():
            data = text.encode()
            z.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        z.writestr(f"{info}/RECORD", "\\n".join(record) + "\\n")
`;

/** Write the wheels of each release into `dir` (created); returns `dir`. */
export function writeLocalIndex(dir: string, releases: readonly StandInRelease[], payload: StandInPayload = standInPayload()): string {
  mkdirSync(dir, { recursive: true });
  const cli = (module: string) => `def main():\n    print("${module} stand-in")\n`;
  const pkgFiles = (pkg: string, files: Record<string, string>) =>
    Object.fromEntries([[`${pkg}/__init__.py`, ''], ...Object.entries(files).map(([f, c]) => [`${pkg}/${PAYLOAD_PATHS[f]}`, c])]);
  const wheels = releases.flatMap((r) => [
    { name: 'terok-shield', version: r.shield, requires: [], files: pkgFiles('terok_shield', payload['terok-shield']), scripts: {} },
    { name: 'terok-sandbox', version: r.sandbox, requires: [`terok-shield==${r.shield}`],
      files: { ...pkgFiles('terok_sandbox', payload['terok-sandbox']), 'terok_sandbox/cli.py': cli('terok_sandbox') }, scripts: { 'terok-sandbox': 'terok_sandbox.cli:main' } },
    { name: 'terok-executor', version: r.executor, requires: [`terok-sandbox==${r.sandbox}`],
      files: { 'terok_executor/__init__.py': '', 'terok_executor/cli.py': cli('terok_executor') }, scripts: { 'terok-executor': 'terok_executor.cli:main' } },
  ]);
  execFileSync('/usr/bin/python3', ['-I', '-c', WHEEL_WRITER, dir], { input: JSON.stringify(wheels), timeout: 30_000 });
  return dir;
}
