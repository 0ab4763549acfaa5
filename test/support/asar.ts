/**
 * A minimal reader for Electron's asar archives, for the packaging tests
 * (@electron/asar is only a transitive dependency of electron-builder, so
 * we do not lean on it). Layout: a 16-byte Chromium-pickle prefix
 * (4, header pickle size, payload size, JSON length), the JSON header of
 * nested `files`, then file contents at `8 + header pickle size + offset`.
 * Files marked `unpacked` live in `<archive>.unpacked/` instead.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

interface AsarNode {
  files?: Record<string, AsarNode>;
  size?: number;
  offset?: string;
  unpacked?: boolean;
  executable?: boolean;
  link?: string;
}

export interface AsarEntry {
  /** Path inside the archive, without a leading slash. */
  path: string;
  size: number;
  unpacked: boolean;
}

export interface AsarArchive {
  entries: AsarEntry[];
  /** File contents (unpacked files are read from `<archive>.unpacked`). */
  read(entryPath: string): Buffer;
  /** Write every file out to `dest`, as Electron would see them. */
  extractTo(dest: string): void;
}

export function openAsar(archivePath: string): AsarArchive {
  const data = readFileSync(archivePath);
  const headerPickleSize = data.readUInt32LE(4);
  const jsonLength = data.readUInt32LE(12);
  const root = JSON.parse(data.subarray(16, 16 + jsonLength).toString('utf8')) as AsarNode;
  const contentBase = 8 + headerPickleSize;
  const nodes = new Map<string, AsarNode>();
  const walk = (node: AsarNode, prefix: string) => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      const p = prefix ? `${prefix}/${name}` : name;
      if (child.files) walk(child, p);
      else if (!child.link) nodes.set(p, child);
    }
  };
  walk(root, '');
  const read = (entryPath: string): Buffer => {
    const node = nodes.get(entryPath);
    if (!node) throw new Error(`${entryPath} is not a file in ${archivePath}`);
    if (node.unpacked) return readFileSync(path.join(`${archivePath}.unpacked`, entryPath));
    const start = contentBase + Number(node.offset);
    return data.subarray(start, start + (node.size ?? 0));
  };
  return {
    entries: [...nodes].map(([p, n]) => ({ path: p, size: n.size ?? 0, unpacked: Boolean(n.unpacked) })),
    read,
    extractTo(dest) {
      for (const [p, node] of nodes) {
        const target = path.join(dest, p);
        mkdirSync(path.dirname(target), { recursive: true });
        if (node.unpacked) copyFileSync(path.join(`${archivePath}.unpacked`, p), target);
        else writeFileSync(target, read(p), { mode: node.executable ? 0o755 : 0o644 });
      }
    },
  };
}
