/** CLI streams for tests: what a command printed, and scripted answers to its prompts. */
import type { CliStreams } from '../../main/cli/command.ts';

export function recordingStreams(opts: { tty?: boolean; answers?: string[] } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliStreams = {
    out: (t) => out.push(t), err: (t) => err.push(t), stdinIsTty: opts.tty ?? false,
    readLine: async (p) => { out.push(p); return opts.answers?.shift() ?? null; },
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}
