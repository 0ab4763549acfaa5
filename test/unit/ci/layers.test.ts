/**
 * The import-direction lint (eslint.config.js, import-x/no-restricted-paths): each case lints a
 * few lines of code at a virtual path inside the repo (nothing is written to disk) that imports a
 * real file, so the resolver sees the same targets it sees in the real code.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
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
    file: `main/core/steps/${PROBE}.ts`,
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
