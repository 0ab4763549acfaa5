/**
 * Which Linux distribution family this is, from /etc/os-release, and the
 * exact package-manager commands a user without terminal habits can copy.
 */
import { readFileSync } from 'node:fs';

export type DistroFamily = 'debian' | 'fedora' | 'opensuse' | 'arch' | 'unknown';

export interface DistroInfo {
  family: DistroFamily;
  /** PRETTY_NAME, for display. */
  name: string;
}

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(raw.trim());
    if (!m) continue;
    out[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return out;
}

export function classifyDistro(fields: Record<string, string>): DistroInfo {
  const ids = [fields.ID ?? '', ...(fields.ID_LIKE ?? '').split(/\s+/)].map((s) => s.toLowerCase()).filter(Boolean);
  const name = fields.PRETTY_NAME || fields.NAME || 'Linux';
  const has = (...names: string[]) => ids.some((id) => names.includes(id));
  if (has('debian', 'ubuntu', 'linuxmint', 'pop')) return { family: 'debian', name };
  if (has('fedora', 'rhel', 'centos', 'rocky', 'almalinux')) return { family: 'fedora', name };
  if (has('opensuse', 'suse', 'opensuse-tumbleweed', 'opensuse-leap', 'sles')) return { family: 'opensuse', name };
  if (has('arch', 'manjaro', 'endeavouros')) return { family: 'arch', name };
  return { family: 'unknown', name };
}

/** The distribution does not change while we run: read os-release once per path. */
const detected = new Map<string, DistroInfo>();

export function detectDistro(osReleasePath = '/etc/os-release'): DistroInfo {
  let info = detected.get(osReleasePath);
  if (!info) {
    info = { family: 'unknown', name: 'Linux' };
    for (const p of [osReleasePath, '/usr/lib/os-release']) {
      try {
        info = classifyDistro(parseOsRelease(readFileSync(p, 'utf8')));
        break;
      } catch { /* try the next */ }
    }
    detected.set(osReleasePath, info);
  }
  return info;
}

/** Package names per family for the host tools the wizard may ask for. */
const PACKAGES: Record<Exclude<DistroFamily, 'unknown'>, Record<string, string>> = {
  debian: { podman: 'podman', git: 'git', 'ssh-keygen': 'openssh-client', catatonit: 'catatonit', nft: 'nftables', dnsmasq: 'dnsmasq', dig: 'dnsutils', pipx: 'pipx' },
  fedora: { podman: 'podman', git: 'git', 'ssh-keygen': 'openssh-clients', catatonit: 'catatonit', nft: 'nftables', dnsmasq: 'dnsmasq', dig: 'bind-utils', pipx: 'pipx' },
  opensuse: { podman: 'podman', git: 'git', 'ssh-keygen': 'openssh-clients', catatonit: 'catatonit', nft: 'nftables', dnsmasq: 'dnsmasq', dig: 'bind-utils', pipx: 'python3-pipx' },
  arch: { podman: 'podman', git: 'git', 'ssh-keygen': 'openssh', catatonit: 'catatonit', nft: 'nftables', dnsmasq: 'dnsmasq', dig: 'bind', pipx: 'python-pipx' },
};

const INSTALLERS: Record<Exclude<DistroFamily, 'unknown'>, string> = {
  debian: 'sudo apt-get install -y',
  fedora: 'sudo dnf install -y',
  opensuse: 'sudo zypper install -y',
  arch: 'sudo pacman -S --needed',
};

/** The install command for `tool` on `family`, or null when we cannot say. */
export function installCommand(family: DistroFamily, tools: string | readonly string[]): string | null {
  if (family === 'unknown') return null;
  const list = typeof tools === 'string' ? [tools] : tools;
  const pkgs = [...new Set(list.map((t) => PACKAGES[family][t] ?? t))];
  return `${INSTALLERS[family]} ${pkgs.join(' ')}`;
}

/** Upgrading one installed package (Arch upgrades only as a whole system, so it syncs everything). */
const UPGRADERS: Record<Exclude<DistroFamily, 'unknown'>, string> = {
  debian: 'sudo apt-get install --only-upgrade',
  fedora: 'sudo dnf upgrade',
  opensuse: 'sudo zypper update',
  arch: 'sudo pacman -Syu',
};

/** The upgrade command for an installed `tool` on `family`, or null when we cannot say. */
export function upgradeCommand(family: DistroFamily, tool: string): string | null {
  if (family === 'unknown') return null;
  return `${UPGRADERS[family]} ${PACKAGES[family][tool] ?? tool}`;
}

const FAMILY_LABELS = { debian: 'Debian / Ubuntu', fedora: 'Fedora / RHEL', opensuse: 'openSUSE', arch: 'Arch Linux' } as const;
const FAMILIES = Object.keys(FAMILY_LABELS) as (keyof typeof FAMILY_LABELS)[];

/** Every family's command, for the "other distributions" list on the Podman page. */
export function allInstallCommands(tool: string): { family: Exclude<DistroFamily, 'unknown'>; label: string; command: string }[] {
  return FAMILIES.map((family) => ({ family, label: FAMILY_LABELS[family], command: installCommand(family, tool)! }));
}

/** Every family's upgrade command, for the same list when the tool is installed but too old. */
export function allUpgradeCommands(tool: string): { family: Exclude<DistroFamily, 'unknown'>; label: string; command: string }[] {
  return FAMILIES.map((family) => ({ family, label: FAMILY_LABELS[family], command: upgradeCommand(family, tool)! }));
}
