/**
 * SELinux and AppArmor lines of the prerequisites report (terok-sandbox
 * §8.4). Both only appear where they apply; a missing SELinux policy is the
 * one prerequisite that turns a successful setup into exit 5 ("manual host
 * step needed"), because sockets into containers are blocked without it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { HostContext } from '../host/context.ts';
import { configString, type TerokConfig } from '../host/config.ts';
import { which } from '../host/which.ts';

export type SelinuxStatus = 'not_applicable' | 'ok' | 'policy_missing' | 'policy_outdated' | 'libselinux_missing';
export type AppArmorStatus = 'not_applicable' | 'ok' | 'profile_missing';

const readTrim = (file: string): string | null => {
  try { return readFileSync(file, 'utf8').trim(); } catch { return null; }
};

// Runs in the terok interpreter: libselinux answers what file checks cannot.
const SELINUX_PROBE = `
import ctypes, sys
try:
    lib = ctypes.CDLL("libselinux.so.1", use_errno=True)
except OSError:
    print("libselinux_missing"); sys.exit(0)
if lib.security_check_context(b"system_u:object_r:terok_socket_t:s0") != 0:
    print("policy_missing"); sys.exit(0)
rc = lib.selinux_check_access(b"system_u:system_r:container_runtime_t:s0", b"system_u:object_r:terok_socket_t:s0", b"unix_stream_socket", b"create", None)
print("policy_outdated" if rc != 0 and ctypes.get_errno() == 13 else "ok")
`;

export async function checkSelinux(ctx: HostContext, config: TerokConfig, python: string | null, opts: { sysRoot?: string; signal?: AbortSignal } = {}): Promise<SelinuxStatus> {
  const mode = configString(config, 'services', 'mode') ?? 'socket';
  if (mode !== 'socket') return 'not_applicable';
  if (readTrim(path.join(opts.sysRoot ?? '/', 'sys/fs/selinux/enforce')) !== '1') return 'not_applicable';
  const interpreter = python ?? which(ctx, 'python3');
  if (!interpreter) return 'libselinux_missing';
  try {
    const { stdout } = await ctx.run(interpreter, ['-I', '-c', SELINUX_PROBE], { timeoutMs: 10_000, signal: opts.signal });
    const status = stdout.trim();
    return (['ok', 'policy_missing', 'policy_outdated', 'libselinux_missing'] as const).find((s) => s === status) ?? 'policy_missing';
  } catch {
    return 'libselinux_missing';
  }
}

export function checkAppArmor(ctx: Pick<HostContext, 'env'>, opts: { sysRoot?: string } = {}): { status: AppArmorStatus; profile: string | null } {
  const root = opts.sysRoot ?? '/';
  if (readTrim(path.join(root, 'sys/module/apparmor/parameters/enabled')) !== 'Y') return { status: 'not_applicable', profile: null };
  if (!which(ctx, 'dnsmasq', ['/usr/sbin', '/sbin'])) return { status: 'not_applicable', profile: null };
  const profile = ['usr.sbin.dnsmasq', 'dnsmasq'].find((p) => existsSync(path.join(root, 'etc/apparmor.d', p)));
  if (!profile) return { status: 'not_applicable', profile: null };
  const local = readTrim(path.join(root, 'etc/apparmor.d/local', profile)) ?? '';
  return { status: local.includes('terok-shield apparmor') ? 'ok' : 'profile_missing', profile };
}

export const selinuxInstallCommand = (sandboxDir: string | null) =>
  `sudo bash ${path.join(sandboxDir ?? '<terok_sandbox>', 'resources/selinux/install_policy.sh')}`;

export const apparmorInstallCommand = (sandboxDir: string | null, sandboxLive: string) =>
  `sudo bash ${path.join(sandboxDir ?? '<terok_sandbox>', 'resources/apparmor/install_profile.sh')} ${sandboxLive}`;

/** The report line for SELinux, or null when SELinux does not apply. */
export function selinuxLine(status: SelinuxStatus, sandboxDir: string | null): { marker: 'ok' | 'MISSING'; detail: string } | null {
  const cmd = selinuxInstallCommand(sandboxDir);
  switch (status) {
    case 'not_applicable': return null;
    case 'ok': return { marker: 'ok', detail: 'installed' };
    case 'policy_missing': return { marker: 'MISSING', detail: `install: ${cmd}` };
    case 'policy_outdated': return { marker: 'MISSING', detail: `outdated — rebuild: ${cmd}` };
    case 'libselinux_missing': return { marker: 'MISSING', detail: 'libselinux.so.1 not loadable' };
  }
}

export const selinuxBlocksSetup = (status: SelinuxStatus) => status === 'policy_missing' || status === 'policy_outdated';

/** The end-of-run explanation for a missing/outdated SELinux policy. */
export function selinuxHint(status: SelinuxStatus, sandboxDir: string | null): string[] {
  const head = '─ SELinux policy required ' + '─'.repeat(40);
  const why = status === 'policy_outdated'
    ? ['The installed terok_socket policy predates the per-container supervisor sockets.', 'Rebuild the policy:']
    : ['SELinux is enforcing and terok\'s terok_socket policy is not installed, so containers cannot reach their sockets.', 'Install the policy:'];
  return [head, ...why, `  ${selinuxInstallCommand(sandboxDir)}`, 'Or switch terok to TCP services instead:',
    `  yq -yi '.services.mode = "tcp"' ~/.config/terok/config.yml`, '  then re-run setup'];
}

export function apparmorHint(sandboxDir: string | null, sandboxLive: string): string[] {
  return ['─ AppArmor profile recommended ' + '─'.repeat(35),
    'dnsmasq is confined by AppArmor; without terok\'s addendum the shield falls back to slower DNS allow-listing.',
    `  ${apparmorInstallCommand(sandboxDir, sandboxLive)}`];
}
