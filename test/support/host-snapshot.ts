/**
 * What a test compares to prove a command wrote nothing: every entry under a
 * directory (type, mode, owner, size, mtime, bytes), and the podman images
 * of the test's own base image.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { runCommand } from '../../main/core/host/process.ts';

/** Everything about every entry under `root` that a write would change, by path relative to it. */
export function fileTree(root: string): Map<string, string> {
  const seen = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = lstatSync(p);
      const kind = st.isSymbolicLink() ? `link→${readlinkSync(p)}` : st.isDirectory() ? 'dir' : st.isFile() ? `file ${createHash('sha256').update(readFileSync(p)).digest('hex')}` : 'other';
      const owner = `mode=${(st.mode & 0o7777).toString(8)} uid=${st.uid}`;
      // SQLite's shared-memory index of a WAL database: every reader, a read-only one too, writes its read mark
      // there, and it never holds data (sqlite.org/walformat.html). Its presence, mode and owner are compared.
      if (name.endsWith('.db-shm')) { seen.set(path.relative(root, p), `sqlite shm ${owner}`); continue; }
      seen.set(path.relative(root, p), `${kind} ${owner} size=${st.size} mtime=${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return seen;
}

/** The entries that differ between two trees, each as "path: before → after". */
export function treeChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k))
    .map((k) => `${k}: ${before.get(k) ?? '(absent)'} → ${after.get(k) ?? '(absent)'}`);
}

/**
 * The images whose names carry `token` (a test's random base-image name: every tag terok-setup builds or
 * pulls for that base carries it), one line each (id, name), sorted. Images other suites build or remove
 * meanwhile are theirs, and do not count.
 */
export async function imagesNamed(token: string): Promise<string> {
  const { stdout } = await runCommand('podman', ['images', '--all', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'], { timeoutMs: 60_000 });
  return stdout.split('\n').filter((l) => l.includes(token)).sort().join('\n');
}
