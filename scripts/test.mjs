#!/usr/bin/env node
// Runs every test file with node's own test runner (type stripping, Node ≥ 22.18).
// Usage: npm test [-- unit|integration|e2e ...]  (default: all suites)
// Ends with one line CI can read: `<lane> lane: N passed, N failed, N skipped`
// (lane from TEST_LANE, else root or user); TEST_COUNTS_FILE, when set, gets
// the same counts appended as a JSON line.
import { appendFileSync, readdirSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
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
const child = spawn(process.execPath, [
  '--disable-warning=ExperimentalWarning',
  '--experimental-test-module-mocks',
  '--test', '--test-concurrency=2', '--test-timeout=600000', '--test-reporter=spec',
  ...files,
], { stdio: ['inherit', 'pipe', 'inherit'], cwd: root });

// The spec reporter's closing block ("ℹ pass 12") carries the counts; pass output through untouched.
const counts = { pass: 0, fail: 0, skipped: 0, cancelled: 0 };
let pending = '';
child.stdout.setEncoding('utf8'); // whole characters per chunk, however the bytes were split
child.stdout.on('data', (text) => {
  process.stdout.write(text);
  const lines = (pending + text).split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    // FORCE_COLOR makes the reporter colour these lines: match them without the escapes.
    const m = /^ℹ (pass|fail|skipped|cancelled) (\d+)$/.exec(line.replace(/\x1b\[[0-9;]*m/g, '').trim());
    if (m) counts[m[1]] = Number(m[2]);
  }
});
child.on('close', (code, signal) => {
  const lane = process.env.TEST_LANE || (process.getuid?.() === 0 ? 'root' : 'user');
  const failed = counts.fail + counts.cancelled;
  console.log(`${lane} lane: ${counts.pass} passed, ${failed} failed, ${counts.skipped} skipped`);
  if (process.env.TEST_COUNTS_FILE) appendFileSync(process.env.TEST_COUNTS_FILE, JSON.stringify({ lane, passed: counts.pass, failed, skipped: counts.skipped, exit: code }) + '\n');
  process.exit(code ?? (signal ? 1 : 0));
});
