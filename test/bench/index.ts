/** `npm run bench`: runs every test/bench/*.bench.ts in turn. */
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const dir = import.meta.dirname;
const only = process.argv.slice(2);
let failed = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort()) {
  if (only.length && !only.some((o) => file.includes(o))) continue;
  const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(dir, file)], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.error(`${file} failed (exit ${r.status})`); }
}
process.exit(failed ? 1 : 0);
