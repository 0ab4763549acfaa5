/**
 * What the deb and rpm recommend (build/electron-builder.yml), by the package
 * names main/core/host/distro.ts gives the tools — the one place those names
 * live, so the packages and the wizard's install commands cannot drift.
 */
import { packageNames, type DistroFamily } from '../../main/core/host/distro.ts';

/** The sandbox's host tools and pipx (which installs terok); keys of distro.ts's package table. */
export const RECOMMENDED_TOOLS = ['podman', 'catatonit', 'nft', 'dnsmasq', 'dig', 'pipx'] as const;

/** distro.ts's package names for the recommended tools on `family`. */
export function recommendedPackages(family: Exclude<DistroFamily, 'unknown'>): string[] {
  return packageNames(family, RECOMMENDED_TOOLS);
}
