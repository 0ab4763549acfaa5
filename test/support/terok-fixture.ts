/**
 * A fixture terok installation (PyPI is unreachable here): a Python venv
 * holding stand-in `terok_shield` / `terok_sandbox` packages with their hook
 * payload and dist-info versions, plus `terok-sandbox` / `terok-executor`
 * commands whose shebang is the venv's interpreter — exactly what
 * detectTerokRuntime looks for. The shield hook is a tiny script that
 * appends "<stage>" to a marker file, so a test can prove podman ran it.
 *
 * Its payload is not the real release's, so terok-shield / terok-sandbox
 * carry a `+fixture` local version: no digests are recorded for it (the
 * install proceeds with a "not verified" note) — claiming the real version
 * would make every install refuse the payload as tampered. `payloadDigests()`
 * is the table under which these bytes match.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { createSandboxHost, type SandboxHost } from './host.ts';
import { failingKeyctl } from './sandbox-install.ts';
import { TEROK_RELEASE, type PayloadDigestTable } from '../../main/core/sandbox/terok-release.ts';

export interface TerokFixture {
  venv: string;
  python: string;
  sitePackages: string;
  shieldDir: string;
  sandboxDir: string;
  /** File the fixture shield hook appends its stage name to. */
  marker: string;
  versions: Record<string, string>;
  bundleVersion: number;
  /** Rewrite the dist-info version of one package (simulates an upgrade). */
  setVersion(pkg: string, version: string): void;
  setBundleVersion(n: number): void;
  /** A digest table that records this fixture's payload bytes under its versions (a "match"). */
  payloadDigests(): PayloadDigestTable;
}

export const FIXTURE_VERSIONS = {
  'terok-executor': TEROK_RELEASE.executor,
  'terok-sandbox': `${TEROK_RELEASE.sandbox}+fixture`,
  'terok-shield': `${TEROK_RELEASE.shield}+fixture`,
  'terok-clearance': '0.8.0a8',
};

/** The payload files the fixture writes, as each package ships them (relative to its package dir). */
export const FIXTURE_PAYLOAD = {
  'terok-shield': { '_oci_state.py': 'resources/_oci_state.py', 'nft_hook.py': 'resources/nft_hook.py', 'reader_hook.py': 'resources/reader_hook.py', 'nflog_reader.py': 'resources/nflog_reader.py' },
  'terok-sandbox': { 'supervisor_hook.py': 'resources/hooks/supervisor_hook.py', '_supervisor_state.py': 'resources/hooks/_supervisor_state.py', 'supervisor_wrapper.py': 'resources/supervisor_wrapper.py' },
} as const;

export const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

function put(file: string, content: string, mode = 0o644): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, mode);
}

export function createTerokFixture(host: SandboxHost, opts: { bundleVersion?: number } = {}): TerokFixture {
  const venv = path.join(host.root, 'terok-venv');
  execFileSync('/usr/bin/python3', ['-m', 'venv', '--without-pip', venv]);
  const python = path.join(venv, 'bin', 'python');
  const pyVersion = execFileSync(python, ['-c', 'import sys; print(f"python{sys.version_info[0]}.{sys.version_info[1]}")'], { encoding: 'utf8' }).trim();
  const sitePackages = path.join(venv, 'lib', pyVersion, 'site-packages');
  const shieldDir = path.join(sitePackages, 'terok_shield');
  const sandboxDir = path.join(sitePackages, 'terok_sandbox');
  const marker = path.join(host.root, 'shield-hook-fired');
  const versions: Record<string, string> = { ...FIXTURE_VERSIONS };

  const writeMetadata = (pkg: string, version: string) =>
    put(path.join(sitePackages, `${pkg.replace(/-/g, '_')}-0.dist-info`, 'METADATA'), `Metadata-Version: 2.1\nName: ${pkg}\nVersion: ${version}\n`);
  for (const [pkg, v] of Object.entries(versions)) writeMetadata(pkg, v);

  const hookScript = `#!/bin/sh\n# fixture terok-shield hook: records that the OCI runtime ran it\necho "$1" >> ${marker}\nexit 0\n`;
  put(path.join(shieldDir, '__init__.py'), '');
  // The file names terok-shield ships in its resources/ (its installer renames them).
  const setBundle = (n: number) => put(path.join(shieldDir, 'resources/_oci_state.py'), `"""fixture ballast"""\nBUNDLE_VERSION = ${n}\n`);
  setBundle(opts.bundleVersion ?? 12);
  put(path.join(shieldDir, 'resources/nft_hook.py'), hookScript, 0o644);
  put(path.join(shieldDir, 'resources/reader_hook.py'), `#!/bin/sh\n# reader: READER = "__READER_SCRIPT_PATH__"\nexit 0\n`, 0o644);
  put(path.join(shieldDir, 'resources/nflog_reader.py'), '#!/usr/bin/env python3\n# fixture NFLOG reader\n', 0o644);

  put(path.join(sandboxDir, '__init__.py'), '');
  put(path.join(sandboxDir, 'resources/hooks/supervisor_hook.py'), '#!/usr/bin/env python3\n# fixture supervisor hook\n', 0o755);
  put(path.join(sandboxDir, 'resources/hooks/_supervisor_state.py'), '# fixture supervisor ballast\n', 0o644);
  put(path.join(sandboxDir, 'resources/supervisor_wrapper.py'), '#!/usr/bin/python3\nTEROK_SANDBOX = ["__TEROK_SANDBOX_BIN__"]\n', 0o755);

  const entry = (module: string) => `#!${python}\nimport sys\nprint("${module} fixture", sys.argv[1:])\n`;
  host.writeBin('terok-executor', entry('terok_executor'));
  host.writeBin('terok-sandbox', entry('terok_sandbox'));

  return {
    venv, python, sitePackages, shieldDir, sandboxDir, marker, versions, bundleVersion: opts.bundleVersion ?? 12,
    setVersion(pkg, version) { versions[pkg] = version; writeMetadata(pkg, version); },
    setBundleVersion(n) { this.bundleVersion = n; setBundle(n); },
    payloadDigests() {
      const of = (pkg: keyof typeof FIXTURE_PAYLOAD, dir: string) =>
        ({ [versions[pkg]!]: Object.fromEntries(Object.entries(FIXTURE_PAYLOAD[pkg]).map(([file, rel]) => [file, sha256(readFileSync(path.join(dir, rel)))])) });
      return { 'terok-shield': of('terok-shield', shieldDir), 'terok-sandbox': of('terok-sandbox', sandboxDir) };
    },
  };
}

/**
 * A sandboxed desktop user's host with the fixture terok installed, ready for a real setup run:
 * no colour, keyctl disabled (the kernel-keyring tier falls back to its session file, never the
 * real user keyring) and, when given, config.yml naming the base image.
 */
export function terokHost(opts: { baseImage?: string } = {}): SandboxHost {
  const host = createSandboxHost({ env: { NO_COLOR: '1' } });
  if (opts.baseImage) host.write('home/.config/terok/config.yml', `image:\n  base_image: ${opts.baseImage}\n`);
  createTerokFixture(host);
  failingKeyctl(host);
  return host;
}
