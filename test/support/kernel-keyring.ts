/**
 * The real kernel keyring, without touching the host's: a user namespace of
 * its own (`unshare -Ur`) has its own user keyring `@u`, which the kernel
 * drops with the namespace. A holder process keeps that namespace alive; a
 * `keyctl` wrapper in the test host's bin enters it and runs the real keyctl
 * in a fresh session keyring linked to `@u` (as a login session has), so the
 * engine's `keyctl padd/search/pipe/setperm` meet real keys, real
 * permissions and real possession rules. The holder ends when the test
 * cleans up, or when the test process dies (its stdin closes).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { SandboxHost } from './host.ts';

const which = (name: string): string | null => {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const r = spawnSync('test', ['-x', `${dir}/${name}`]);
    if (r.status === 0) return `${dir}/${name}`;
  }
  return null;
};

/** Why a private kernel keyring cannot be made here (test skip reason), or null. */
export function privateKeyringUnavailable(): string | null {
  for (const tool of ['keyctl', 'unshare', 'nsenter']) if (!which(tool)) return `${tool} is not installed`;
  const probe = spawnSync(which('unshare')!, ['-Ur', which('keyctl')!, 'show', '@u'], { encoding: 'utf8' });
  return probe.status === 0 ? null : `no private user namespace with a keyring here: ${probe.stderr.trim()}`;
}

export interface PrivateKeyring {
  /** The value of the `user` key with this description in the private `@u`, or null. */
  read(description: string): string | null;
  /** Run the wrapped keyctl with these arguments (stdin optional). */
  keyctl(args: string[], input?: string): { status: number | null; stdout: string };
  stop(): void;
}

export async function privateKernelKeyring(host: SandboxHost): Promise<PrivateKeyring> {
  const [keyctl, unshare, nsenter] = ['keyctl', 'unshare', 'nsenter'].map((t) => which(t)!);
  const holder: ChildProcess = spawn(unshare!, ['-Ur', 'cat'], { stdio: ['pipe', 'ignore', 'ignore'] });
  await new Promise((resolve, reject) => { holder.once('spawn', resolve); holder.once('error', reject); });
  // cat is running inside the namespace once unshare has exec'd it; wait until the pid's user ns differs from ours.
  const ns = (pid: number | string) => spawnSync('readlink', [`/proc/${pid}/ns/user`], { encoding: 'utf8' }).stdout.trim();
  for (let i = 0; i < 100 && ns(holder.pid!) === ns('self'); i++) await new Promise((r) => setTimeout(r, 20));
  const wrapper = host.writeBin('keyctl', [
    '#!/bin/sh',
    '# test: the real keyctl inside a private user namespace (see test/support/kernel-keyring.ts)',
    `exec ${nsenter} -t ${holder.pid} -U --preserve-credentials ${keyctl} session - /bin/sh -c '${keyctl} link @u @s && exec ${keyctl} "$@"' keyctl "$@"`,
    '',
  ].join('\n'));
  const run = (args: string[], input?: string) => {
    const r = spawnSync(wrapper, args, { encoding: 'utf8', input: input ?? '' });
    return { status: r.status, stdout: r.stdout };
  };
  return {
    keyctl: run,
    read(description) {
      const found = run(['search', '@u', 'user', description]);
      if (found.status !== 0) return null;
      const value = run(['pipe', found.stdout.trim()]);
      return value.status === 0 ? value.stdout : null;
    },
    stop() {
      holder.stdin?.end();
      holder.kill();
    },
  };
}
