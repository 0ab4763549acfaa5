/**
 * A scripted stand-in for podman at the runner seam: answers `image exists`,
 * `image inspect`, `tag`, `ps`, `rm`, `version` and `build` from an in-memory
 * image table, records every call, and lets a test script build output or
 * failures. For unit tests of the image build; integration tests use real podman.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CommandError, type RunOptions, type RunResult, type Runner } from '../../main/core/host/process.ts';

export interface RecordedCall {
  file: string;
  args: string[];
  /** For `build`: the staged context (path → content) as podman saw it. */
  context?: Record<string, string>;
}

export interface BuildScript {
  lines?: string[];
  exitCode?: number;
  /** Throw like the runner does for a cancelled or timed-out command. */
  reason?: 'cancelled' | 'timeout' | 'not-found';
}

export interface FakePodman {
  run: Runner;
  calls: RecordedCall[];
  /** Tag → image id. */
  images: Map<string, string>;
  version: string;
  /** Consulted for each build in turn; default: success with STEP lines. */
  builds: BuildScript[];
  buildCalls(): RecordedCall[];
}

function readTree(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(p).isDirectory()) Object.assign(out, readTree(p, rel));
    else out[rel] = readFileSync(p, 'utf8');
  }
  return out;
}

export function createFakePodman(existing: Record<string, string> = {}): FakePodman {
  const images = new Map(Object.entries(existing));
  const calls: RecordedCall[] = [];
  let nextId = 1;
  const fake: FakePodman = {
    calls, images, version: '4.3.1', builds: [],
    buildCalls: () => calls.filter((c) => c.args[0] === 'build'),
    run: async (file: string, args: readonly string[], opts: RunOptions): Promise<RunResult> => {
      const call: RecordedCall = { file, args: [...args] };
      calls.push(call);
      const ok = (stdout = ''): RunResult => ({ exitCode: 0, stdout, stderr: '' });
      const [verb, sub] = args;
      if (verb === 'image' && sub === 'exists') return { exitCode: images.has(args[2]!) ? 0 : 1, stdout: '', stderr: '' };
      if (verb === 'image' && sub === 'inspect') {
        const tag = args.find((a, i) => i > 1 && !a.startsWith('-') && !a.startsWith('{{'))!;
        const id = images.get(tag);
        return id ? ok(`${id}\n`) : { exitCode: 125, stdout: '', stderr: `Error: ${tag}: image not known` };
      }
      if (verb === 'tag') {
        const id = images.get(args[1]!);
        if (!id) throw new CommandError({ command: [file, ...args], reason: 'exit', exitCode: 125, stderrTail: 'image not known', message: 'tag failed' });
        images.set(args[2]!, id);
        return ok();
      }
      if (verb === 'version') return ok(`${fake.version}\n`);
      if (verb === 'ps' || verb === 'rm') return ok();
      if (verb === 'build') {
        const context = args.at(-1)!;
        call.context = readTree(context);
        const script = fake.builds.shift() ?? {};
        const lines = script.lines ?? ['STEP 1/2: FROM base', 'STEP 2/2: RUN true', 'COMMIT'];
        for (const line of lines) opts.onLine?.(line, 'stdout');
        if (script.reason) {
          throw new CommandError({ command: [file, ...args], reason: script.reason, exitCode: null, stderrTail: '', message: `podman ${script.reason}` });
        }
        if (script.exitCode) {
          throw new CommandError({ command: [file, ...args], reason: 'exit', exitCode: script.exitCode, stderrTail: lines.slice(-3).join('\n'), message: 'build failed' });
        }
        const id = `sha256:${String(nextId++).padStart(4, '0')}`;
        for (let i = 0; i < args.length; i++) if (args[i] === '-t') images.set(args[i + 1]!, id);
        return ok();
      }
      throw new Error(`fake podman: unexpected call ${args.join(' ')}`);
    },
  };
  return fake;
}
