/**
 * A tiny local base image for real podman builds without a registry:
 * `FROM scratch` plus Debian's static busybox and its applet links. Every
 * image made from it carries `terok.test.run=<id>` so a test can remove all
 * of its layers afterwards.
 */
import { accessSync, constants, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../../main/core/host/process.ts';
import { which } from '../../main/core/host/which.ts';

const APPLETS = ['sh', 'echo', 'printf', 'mkdir', 'chown', 'chmod', 'sleep', 'cat', 'ls', 'rm', 'true', 'false', 'env', 'id', 'dirname'];
const TIMEOUT = { timeoutMs: 120_000 };

/** Debian's static busybox, if installed and readable (checked without touching anything). */
export function busyboxPath(): string | undefined {
  return ['/bin/busybox', '/usr/bin/busybox'].find((p) => { try { accessSync(p, constants.R_OK); return true; } catch { return false; } });
}

export function podmanUsable(): boolean {
  return Boolean(which({ env: process.env }, 'podman')) && busyboxPath() !== undefined;
}

export async function buildBusyboxBase(tag: string, runLabel: string): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'terok-test-base-'));
  try {
    const bin = path.join(dir, 'rootfs', 'bin');
    mkdirSync(bin, { recursive: true });
    copyFileSync(busyboxPath()!, path.join(bin, 'busybox'));
    for (const applet of APPLETS) symlinkSync('busybox', path.join(bin, applet));
    writeFileSync(path.join(dir, 'Containerfile'), `FROM scratch\nLABEL terok.test.run="${runLabel}"\nCOPY rootfs/ /\nCMD ["/bin/sh"]\n`);
    await runCommand('podman', ['build', '-q', '-f', path.join(dir, 'Containerfile'), '-t', tag, dir], TIMEOUT);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Removes the given tags and every image layer labelled with the run id. */
export async function removeTestImages(tags: readonly string[], runLabel: string): Promise<void> {
  if (tags.length) await runCommand('podman', ['rmi', '--force', '--ignore', ...tags], { ...TIMEOUT, allowNonZero: true });
  await runCommand('podman', ['image', 'prune', '--all', '--force', '--filter', `label=terok.test.run=${runLabel}`], { ...TIMEOUT, allowNonZero: true });
}
