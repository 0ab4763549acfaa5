#!/usr/bin/env node
// Runs every test file with node's own test runner (type stripping, Node ≥ 22.18).
// Usage: npm test [-- unit|integration|e2e ...]  (default: all suites)
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'e2e'];

function collect(dir) {
  let out = [];
  let entries = [];
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries.sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = suites.flatMap((s) => collect(path.join(root, 'test', s)));
if (!files.length) {
  console.error(`no test files found for: ${suites.join(', ')}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, [
  '--disable-warning=ExperimentalWarning',
  '--experimental-test-module-mocks',
  '--test', '--test-concurrency=2', '--test-timeout=600000', '--test-reporter=spec',
  ...files,
], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
