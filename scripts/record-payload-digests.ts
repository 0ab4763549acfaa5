#!/usr/bin/env node
// Prints the PAYLOAD_DIGESTS entries (main/core/sandbox/terok-release.ts) of the terok installed on
// this machine: the sha256 of each hook payload file the wizard copies, read the way the wizard
// verifies them. For a maintainer with network, after installing the release from PyPI:
//   pipx install --include-deps terok-executor==<version>
//   npm exec -- node scripts/record-payload-digests.ts
// then paste the entries into the table. Exit 1 when terok is not found or a file cannot be used.
import { hostContextFromProcess } from '../main/core/host/context.ts';
import { describeRuntime, detectTerokRuntime } from '../main/core/sandbox/terok-runtime.ts';
import { recordPayloadDigests } from '../main/core/sandbox/payload-verify.ts';

const ctx = hostContextFromProcess();
const runtime = await detectTerokRuntime(ctx, AbortSignal.timeout(30_000));
if (!runtime.python) {
  console.error(`no terok found (looked for terok-executor / terok-sandbox / terok on PATH and in ${ctx.env.PIPX_BIN_DIR || `${ctx.home}/.local/bin`})${runtime.error ? `: ${runtime.error}` : ''}`);
  process.exit(1);
}
console.log(`// ${describeRuntime(runtime)} (via ${runtime.via})`);
let problems = 0;
for (const entry of recordPayloadDigests(runtime)) {
  console.log(`'${entry.package}': {`);
  console.log(`  '${entry.version ?? 'UNKNOWN-VERSION'}': {`);
  for (const [file, digest] of Object.entries(entry.digests)) console.log(`    '${file}': '${digest}',`);
  console.log('  },');
  console.log('},');
  for (const p of entry.problems) { console.error(`cannot record: ${p}`); problems++; }
  if (!entry.version) { console.error(`cannot record: ${entry.package} has no version in its metadata`); problems++; }
}
for (const pkg of ['terok-shield', 'terok-sandbox'] as const) {
  if (!(pkg === 'terok-shield' ? runtime.shieldDir : runtime.sandboxDir)) { console.error(`cannot record: ${pkg} is not importable from ${runtime.python}`); problems++; }
}
process.exit(problems ? 1 : 0);
