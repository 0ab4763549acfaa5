// @ts-check
// ESLint flat config: a modest rule set (no type-aware rules, so it stays fast) plus the
// architecture's import direction: renderer → contract ← electron → cli → core, host/ at the bottom.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const ROOT = import.meta.dirname;

// Layer boundaries use import-x's no-restricted-paths rather than core no-restricted-imports:
// it resolves each import to the real file (relative paths, `import type`, re-exports and
// dynamic import() alike) and checks that path against the zones, so `../../ipc/contract.ts`
// and `../../../main/ipc/contract.ts` are the same target. Zone paths are relative to ROOT
// (`except` paths relative to their zone's `from`); an import of a listed folder means any file in it.
/** @typedef {{ target: string | string[]; from: string | string[]; except?: string[]; message: string }} Zone */

/** What the renderer may import from outside renderer/: packages and the IPC contract. */
const RENDERER_ALLOWED = ['./renderer', './node_modules', './main/ipc/contract.ts'];
/** @type {Zone} */
const RENDERER_ZONE = {
  target: './renderer',
  from: '.',
  except: RENDERER_ALLOWED,
  message: 'The renderer may import from outside renderer/ only main/ipc/contract.ts.',
};

/** @type {Zone[]} */
const MAIN_ZONES = [
  {
    target: './main/core',
    from: ['./main/ipc', './main/electron', './main/cli', './renderer'],
    message: 'main/core is below ipc, electron, cli and the renderer; it must not import them.',
  },
  {
    target: './main/core/host',
    from: './main/core',
    except: ['./host', './errors.ts'],
    message: 'main/core/host is the bottom layer; it must not import other main/core folders (only core/errors.ts, which imports nothing).',
  },
  {
    // main/cli does not import main/ipc today; keep it that way.
    target: './main/cli',
    from: ['./main/electron', './main/ipc', './renderer'],
    message: 'main/cli sits below electron and ipc; it may import main/core only.',
  },
  {
    target: './main/ipc',
    from: ['./main/electron', './main/cli', './renderer'],
    message: 'main/ipc must not import main/electron, main/cli or the renderer.',
  },
  {
    target: './main/electron',
    from: './renderer',
    message: 'main/electron must not import the renderer (they talk through main/ipc/contract.ts).',
  },
];

export default defineConfig(
  // Build output and scratch dirs (node_modules/ is always ignored); ESLint lints only JS, TS and Svelte files anyway.
  globalIgnores(['out/', 'dist/', 'test-results/', '.tmp/']),

  js.configs.recommended,
  tseslint.configs.recommended,
  svelte.configs.recommended,

  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    settings: {
      // Imports name their files with extensions (.ts, .svelte); the list is for bare directories and packages.
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.cjs', '.svelte', '.json', '.node'] })],
    },
    rules: {
      // tsc and svelte-check already report undefined names, with the real globals of each side.
      'no-undef': 'off',
      // `_`-prefixed names mark deliberately unused parameters and destructured leftovers.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // The code initialises a variable before a try whose catch returns or continues; a clear default, not a bug.
      'no-useless-assignment': 'off',
      // Fires only on `\/` inside regex character classes (the image-reference patterns): harmless.
      'no-useless-escape': 'off',
      // \x1b and \x00 in regexes are deliberate: stripping ANSI colour codes, rejecting NUL bytes.
      'no-control-regex': 'off',
      // Flags plain local Maps used as scratch space in .svelte.ts (not state); reactivity is checked by review and tests.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },

  // Tests match column-aligned CLI output, where the literal run of spaces is what is being checked.
  {
    files: ['test/**'],
    rules: { 'no-regex-spaces': 'off' },
  },

  // Plain JavaScript (scripts/*.mjs, this file) runs under Node.
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: globals.node },
  },

  // Svelte components and rune modules: svelte-eslint-parser, with TypeScript inside <script lang="ts">.
  {
    files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
    },
  },

  // ---- Import boundaries ----
  {
    name: 'terok/layers:main',
    files: ['main/**'],
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: ROOT, zones: MAIN_ZONES }],
    },
  },
  {
    name: 'terok/layers:renderer',
    files: ['renderer/**'],
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: ROOT, zones: [RENDERER_ZONE] }],
    },
  },
  {
    // The layer check skips an import it cannot resolve; make sure no import in the layered code is skipped.
    name: 'terok/layers:resolvable',
    files: ['main/**', 'renderer/**'],
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-unresolved': 'error',
    },
  },
);
