/**
 * The host tools terok's sandbox relies on — what each is for, whether it is
 * here, and how to install it on this distribution. Report-only: a missing
 * tool never blocks setup, but the user should know what degrades.
 */
import type { HostContext } from '../host/context.ts';
import { detectDistro, INSTALLABLE_TOOLS, installCommand, type InstallableTool } from '../host/distro.ts';
import { isExecutableFile, which } from '../host/which.ts';
import type { StageMarker } from '../tasks/stages.ts';

export const CATATONIT_DIRS = ['/usr/local/libexec/podman', '/usr/local/lib/podman', '/usr/libexec/podman', '/usr/lib/podman'] as const;
const SBIN = ['/usr/sbin', '/sbin'] as const;

export interface HostTool {
  /** Stage label, e.g. "nft". */
  name: string;
  purpose: string;
  path: string | null;
  /** Marker terok's prerequisites report prints for this tool. */
  marker: StageMarker;
  /** Detail shown after the marker. */
  detail: string;
  installCommand: string | null;
  /** Missing, and the wizard can install its package (the Install button). */
  installable: boolean;
}

interface ToolSpec {
  name: string;
  purpose: string;
  find: (ctx: Pick<HostContext, 'env'>) => string | null;
  /** Marker and detail when missing. */
  missing: (purpose: string) => { marker: StageMarker; detail: string };
}

const onPath = (name: string, extra: readonly string[] = []) => (ctx: Pick<HostContext, 'env'>) => which(ctx, name, extra);
const notOnPath = () => ({ marker: 'MISSING' as const, detail: 'not on PATH' });
const missingPurpose = (purpose: string) => ({ marker: 'MISSING' as const, detail: purpose });

const TOOLS: readonly ToolSpec[] = [
  { name: 'podman', purpose: 'runs the agent containers', find: onPath('podman'), missing: notOnPath },
  { name: 'git', purpose: 'mirrors repositories for the git gate', find: onPath('git'), missing: notOnPath },
  { name: 'ssh-keygen', purpose: 'manages SSH keys for the git gate', find: onPath('ssh-keygen'), missing: notOnPath },
  {
    name: 'catatonit', purpose: 'init process that makes container stops clean',
    find: () => CATATONIT_DIRS.map((d) => `${d}/catatonit`).find(isExecutableFile) ?? null,
    missing: () => ({ marker: 'WARN', detail: 'not found — container stops degrade to grace-period timeout + force-kill' }),
  },
  { name: 'nft', purpose: 'nftables ruleset enforcement', find: onPath('nft', SBIN), missing: missingPurpose },
  { name: 'dnsmasq', purpose: 'local DNS caching resolver', find: onPath('dnsmasq', SBIN), missing: missingPurpose },
  { name: 'dig', purpose: 'DNS resolution for allowlist domains', find: onPath('dig'), missing: missingPurpose },
];

export function checkHostTools(ctx: Pick<HostContext, 'env'>, osReleasePath?: string): HostTool[] {
  const family = detectDistro(osReleasePath).family;
  return TOOLS.map((t) => {
    const found = t.find(ctx);
    if (found) return { name: t.name, purpose: t.purpose, path: found, marker: 'ok', detail: found, installCommand: null, installable: false };
    const { marker, detail } = t.missing(t.purpose);
    const installable = family !== 'unknown' && (INSTALLABLE_TOOLS as readonly string[]).includes(t.name);
    return { name: t.name, purpose: t.purpose, path: null, marker, detail, installCommand: installCommand(family, t.name), installable };
  });
}

/** The missing tools the wizard can install as packages (podman, nft, …), in the report's order. */
export function missingInstallable(tools: readonly Pick<HostTool, 'name' | 'installable'>[]): InstallableTool[] {
  return tools.filter((t) => t.installable).map((t) => t.name as InstallableTool);
}
