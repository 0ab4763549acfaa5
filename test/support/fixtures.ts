/**
 * Real artefacts for tests: shield hook descriptors on disk, a real
 * SQLCipher-4 credential DB keyed through the session-file passphrase tier,
 * and tiny container images built by real podman from local files
 * (registries are unreachable here).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { runCommand } from '../../main/core/host/process.ts';
import { resolvePaths } from '../../main/core/host/paths.ts';
import { CredentialDb } from '../../main/core/vault/credential-db.ts';
import { sessionDigest } from '../../main/core/vault/passphrase.ts';
import type { SandboxHost } from './host.ts';
import { buildBusyboxBase, removeTestImages } from './podman-base.ts';

/** Register a shield hooks dir in the sandbox's user containers.conf and put descriptors + ballast in it. */
export function installShieldHooksFixture(host: SandboxHost, bundleVersion = 12): string {
  const paths = resolvePaths(host.ctx);
  const dir = paths.shieldHooksDir;
  host.write(path.join(dir, '_oci_state.py'), `"""fixture ballast"""\nBUNDLE_VERSION = ${bundleVersion}\n`);
  host.write(path.join(dir, 'terok-shield-hook'), '#!/bin/sh\nexit 0\n', 0o755);
  for (const stage of ['createRuntime', 'poststop']) {
    host.write(path.join(dir, `terok-shield-${stage}.json`), JSON.stringify({
      version: '1.0.0',
      hook: { path: path.join(dir, 'terok-shield-hook'), args: ['terok-shield-hook', stage] },
      when: { annotations: { 'terok.shield.profiles': '.*' } },
      stages: [stage],
    }, null, 2) + '\n');
  }
  host.write(paths.containersConf, `# user settings\n[engine]\nhooks_dir = ["${dir}"]\n`);
  return dir;
}

export const FIXTURE_PASSPHRASE = 'fixture-passphrase-not-a-secret';

/** Put the passphrase into the kernel-keyring tier's file fallback (XDG_RUNTIME_DIR session cache). */
export function provideSessionPassphrase(host: SandboxHost, passphrase = FIXTURE_PASSPHRASE): void {
  const paths = resolvePaths(host.ctx);
  host.write(path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb)), passphrase, 0o600);
}

export interface VaultFixture {
  credentials?: { set: string; provider: string; data: Record<string, unknown> }[];
  sshKeyScope?: string;
}

/** Create a real SQLCipher DB with the given rows, keyed with FIXTURE_PASSPHRASE. */
export function createVaultFixture(host: SandboxHost, fixture: VaultFixture = {}): string {
  const paths = resolvePaths(host.ctx);
  provideSessionPassphrase(host);
  const db = CredentialDb.open(paths.credentialDb, FIXTURE_PASSPHRASE);
  try {
    for (const c of fixture.credentials ?? []) db.storeCredential(c.set, c.provider, c.data);
    if (fixture.sshKeyScope) {
      const blob = Buffer.from(`fixture-public-${fixture.sshKeyScope}`);
      const fp = 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
      const info = db.raw.prepare('INSERT INTO ssh_keys (key_type, private_der, public_blob, comment, fingerprint) VALUES (?, ?, ?, ?, ?)')
        .run('ed25519', Buffer.from('fixture-private'), blob, `tk-main:${fixture.sshKeyScope}`, fp);
      db.raw.prepare('INSERT INTO ssh_key_assignments (scope, key_id) VALUES (?, ?)').run(fixture.sshKeyScope, info.lastInsertRowid);
    }
  } finally {
    db.close();
  }
  return paths.credentialDb;
}

/** The build label of a tiny image, unique to its first tag, so removal takes only its own layers. */
const tinyImageLabel = (tags: readonly string[]) => `tiny-${createHash('sha256').update(tags[0] ?? '').digest('hex').slice(0, 12)}`;

/** Build a tiny busybox image from local files (no registry needed) under every tag given. */
export async function buildTinyImage(tags: string[]): Promise<void> {
  const [first, ...more] = tags;
  if (!first) return;
  await buildBusyboxBase(first, tinyImageLabel(tags));
  for (const tag of more) await runCommand('podman', ['tag', first, tag], { timeoutMs: 60_000 });
}

/** Remove what buildTinyImage(tags) made: the tags and every layer its build left. */
export async function removeImages(tags: string[]): Promise<void> {
  await removeTestImages(tags, tinyImageLabel(tags));
}

/** A setup stamp matching the (absent) terok installation of a sandboxed host: verdict "ok". */
export function writeStampFixture(host: SandboxHost, packages: Record<string, string> = {}): string {
  const stamp = resolvePaths(host.ctx).setupStamp;
  host.write(stamp, JSON.stringify({ completed_at: '2026-11-23T00:00:00+00:00', packages, version: 1 }, null, 2));
  return stamp;
}
