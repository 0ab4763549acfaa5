/**
 * Benchmark: load the roster (bundled + a few user overrides) and write
 * routes.json, as the "Vault routes" stage does. Prints the median and p95
 * over many runs; the target is well under 100 ms.
 *
 *   node test/bench/roster.bench.ts [runs]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadRoster } from '../../main/core/roster/load.ts';
import { writeRoutesJson } from '../../main/core/roster/routes.ts';

const runs = Number(process.argv[2] ?? 200);
const root = mkdtempSync(path.join(os.tmpdir(), 'terok-roster-bench-'));
const userAgentsDir = path.join(root, 'agents');
const userProvidersDir = path.join(root, 'providers');
const routesPath = path.join(root, 'vault', 'routes.json');
mkdirSync(userAgentsDir, { recursive: true });
mkdirSync(userProvidersDir, { recursive: true });
writeFileSync(path.join(userAgentsDir, 'claude.yaml'), 'roster_version: 3\nlabel: Claude (bench)\n');
writeFileSync(path.join(userProvidersDir, 'gitlab.yaml'), 'upstream: https://gitlab.example.org\n');

function once(): number {
  const start = performance.now();
  writeRoutesJson(loadRoster({ userAgentsDir, userProvidersDir }), routesPath);
  return performance.now() - start;
}

try {
  once(); // warm-up: module JIT and the page cache
  const times = Array.from({ length: runs }, once).sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(2);
  console.log(`roster load + routes.json write: median ${at(0.5)} ms, p95 ${at(0.95)} ms over ${runs} runs`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
