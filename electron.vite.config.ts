import { cpSync, readFileSync } from 'node:fs';
import path, { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const ROSTER_LOADER = resolve(import.meta.dirname, 'main/core/roster/load.ts');
const BUNDLED_ROSTER = resolve(import.meta.dirname, 'main/core/roster/bundled');

/**
 * The roster loader reads its YAML from `bundled/` beside its own module
 * (BUNDLED_ROSTER_DIR). After bundling, "its own module" is whichever output
 * chunk the loader landed in, so copy the YAML beside that chunk — whatever
 * the chunk is named — and the same code path works from source, from
 * out/main under plain node (the CLI) and from inside app.asar.
 */
function bundledRosterBesideLoader(): Plugin {
  return {
    name: 'terok-bundled-roster',
    writeBundle(options, bundle) {
      const outDir = options.dir ?? path.dirname(options.file ?? '');
      const chunks = Object.values(bundle).filter((c) => c.type === 'chunk' && c.moduleIds.includes(ROSTER_LOADER));
      if (chunks.length === 0) this.error('the roster loader is in no output chunk; the bundled roster would be missing');
      for (const chunk of chunks) {
        cpSync(BUNDLED_ROSTER, path.join(outDir, path.dirname(chunk.fileName), 'bundled'), { recursive: true });
      }
    },
  };
}

const PACKAGE_JSON = resolve(import.meta.dirname, 'package.json');

/**
 * main/core/engine.ts imports package.json for the app version (one source
 * for the app, the CLI and the packages). Bundle only that field, not the
 * whole manifest with its scripts and dependency lists.
 */
function packageVersionOnly(): Plugin {
  return {
    name: 'terok-package-version-only',
    enforce: 'pre',
    load(id) {
      if (id !== PACKAGE_JSON) return null;
      const { version } = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string };
      return JSON.stringify({ version });
    },
  };
}

export default defineConfig({
  main: {
    plugins: [packageVersionOnly(), bundledRosterBesideLoader()],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'main/electron/main.ts'),
          cli: resolve(import.meta.dirname, 'main/cli/index.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'main/electron/preload.ts') },
        // A sandboxed preload must be a CommonJS script.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    plugins: [svelte()],
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: resolve(import.meta.dirname, 'renderer/index.html') },
    },
  },
});
