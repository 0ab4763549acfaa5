/**
 * The import-direction lint (eslint.config.js, import-x/no-restricted-paths): each case lints a
 * few lines of code at a virtual path inside the repo (nothing is written to disk) that imports a
 * real file, so the resolver sees the same targets it sees in the real code.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const CONFIG = path.join(ROOT, 'eslint.config.js');
const RULE = 'import-x/no-restricted-paths';

const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: CONFIG });

/** The boundary messages ESLint gives `code` as if it were the file at `file` (relative to the repo). */
async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  assert.ok(result, 'ESLint returned a result');
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `${file} parsed`);
  return result.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

const PROBE = '__layers_probe__';

const cases: { name: string; file: string; code: string; blocked: boolean }[] = [
  {
    name: 'renderer importing main/core/engine.ts',
    file: `renderer/src/lib/${PROBE}.ts`,
    code: "import type { Engine } from '../../../main/core/engine.ts';\nexport type E = Engine;\n",
    blocked: true,
  },
  {
    name: 'renderer importing main/ipc/contract.ts',
    file: `renderer/src/lib/${PROBE}.ts`,
    code: "import type { AppInfo } from '../../../main/ipc/contract.ts';\nexport type A = AppInfo;\n",
    blocked: false,
  },
  {
    name: 'a renderer component importing main/core/roster/view.ts',
    file: `renderer/src/components/${PROBE}.svelte`,
    code: '<script lang="ts">\n  import type { RosterView } from \'../../../main/core/roster/view.ts\';\n  let { view }: { view: RosterView } = $props();\n</script>\n\n<p>{view.entries.length}</p>\n',
    blocked: true,
  },
  {
    name: 'renderer importing main/ipc/handlers.ts (ipc but not the contract)',
    file: `renderer/src/${PROBE}.ts`,
    code: "export * from '../../main/ipc/handlers.ts';\n",
    blocked: true,
  },
  {
    name: 'main/core importing main/ipc/contract.ts',
    file: `main/core/preflight/${PROBE}.ts`,
    code: "import type { AppInfo } from '../../ipc/contract.ts';\nexport type A = AppInfo;\n",
    blocked: true,
  },
  {
    name: 'main/core/host importing main/core/roster',
    file: `main/core/host/${PROBE}.ts`,
    code: "import type { AgentEntry } from '../roster/model.ts';\nexport type A = AgentEntry;\n",
    blocked: true,
  },
  {
    name: 'main/core/host importing main/core/engine.ts',
    file: `main/core/host/${PROBE}.ts`,
    code: "export const load = () => import('../engine.ts');\n",
    blocked: true,
  },
  {
    name: 'main/core/host importing main/core/host/paths.ts',
    file: `main/core/host/${PROBE}.ts`,
    code: "export { stateRoot } from './paths.ts';\n",
    blocked: false,
  },
  {
    name: 'main/core importing main/core/host/paths.ts',
    file: `main/core/roster/${PROBE}.ts`,
    code: "export { stateRoot } from '../host/paths.ts';\n",
    blocked: false,
  },
  {
    name: 'main/cli importing main/electron',
    file: `main/cli/commands/${PROBE}.ts`,
    code: "export { CLI_FLAG } from '../../electron/cli-mode.ts';\n",
    blocked: true,
  },
  {
    name: 'main/cli importing main/core/engine.ts',
    file: `main/cli/commands/${PROBE}.ts`,
    code: "export { Engine } from '../../core/engine.ts';\n",
    blocked: false,
  },
  {
    name: 'main/ipc importing main/cli',
    file: `main/ipc/${PROBE}.ts`,
    code: "import '../cli/index.ts';\n",
    blocked: true,
  },
  {
    name: 'main/electron importing the renderer',
    file: `main/electron/${PROBE}.ts`,
    code: "import '../../renderer/src/lib/api.ts';\n",
    blocked: true,
  },
  {
    name: 'main/electron importing ipc, core and cli',
    file: `main/electron/${PROBE}.ts`,
    code: "import '../ipc/contract.ts';\nimport '../core/engine.ts';\nimport '../cli/index.ts';\n",
    blocked: false,
  },
];

for (const c of cases) {
  test(`${c.name}: ${c.blocked ? 'an error' : 'clean'}`, async () => {
    const errors = await boundaryErrors(c.file, c.code);
    if (c.blocked) assert.equal(errors.length, 1, `expected one ${RULE} error, got ${JSON.stringify(errors)}`);
    else assert.deepEqual(errors, []);
  });
}

/** The temporary renderer exemptions, read from the config (a named export ESLint itself ignores). */
async function rendererExemptions(): Promise<string[]> {
  const config = (await import(pathToFileURL(CONFIG).href)) as { RENDERER_CORE_IMPORTS_EXEMPT: string[] };
  return config.RENDERER_CORE_IMPORTS_EXEMPT;
}

/** `body` as the source of `file`: a .svelte file gets it as its <script>. */
function sourceFor(file: string, body: string): string {
  return file.endsWith('.svelte') ? `<script lang="ts">\n${body}</script>\n` : body;
}

test('a temporarily exempt renderer file may import main/core, but still not main/electron', async (t) => {
  const exempt = await rendererExemptions();
  if (exempt.length === 0) return t.skip('no temporary exemptions left');
  for (const file of exempt) {
    const core = await boundaryErrors(file, sourceFor(file, "import type { Engine } from '../../../main/core/engine.ts';\nexport type E = Engine;\n"));
    assert.deepEqual(core, [], `${file}: main/core`);
    const electron = await boundaryErrors(
      file,
      sourceFor(file, "import type { CliAppLike } from '../../../main/electron/cli-mode.ts';\nexport type C = CliAppLike;\n"),
    );
    assert.equal(electron.length, 1, `${file}: main/electron`);
  }
});

test('every temporary renderer exemption is still needed', async () => {
  for (const file of await rendererExemptions()) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    // The same text beside it, under a name that is not exempt, must still break the rule.
    const probe = path.join(path.dirname(file), `${PROBE}${path.basename(file).slice(path.basename(file).indexOf('.'))}`);
    const errors = await boundaryErrors(probe, text);
    assert.ok(errors.length > 0, `${file} no longer imports past main/ipc/contract.ts: remove it from RENDERER_CORE_IMPORTS_EXEMPT in eslint.config.js`);
  }
});
