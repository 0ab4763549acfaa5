/**
 * A sandboxed host on which every step of terok's gate passes (fake podman
 * with the L1 alias, git, shield hooks and a current stamp, a vault with a
 * credential and an SSH key); `except` leaves parts out.
 */
import { l1AliasTag } from '../../main/core/images/tags.ts';
import { createVaultFixture, installShieldHooksFixture, writeStampFixture } from './fixtures.ts';
import { createSandboxHost, installFakePodman, type SandboxHost } from './host.ts';

export type HostPart = 'podman' | 'git' | 'sandbox' | 'images' | 'ssh' | 'credentials';

export function gateHost(baseImage: string, except: readonly HostPart[] = []): { host: SandboxHost; addImage: ((tag: string) => void) | null } {
  const host = createSandboxHost({ inheritPath: false });
  let addImage: ((tag: string) => void) | null = null;
  if (!except.includes('podman')) {
    addImage = installFakePodman(host).addImage;
    if (!except.includes('images')) addImage(l1AliasTag(baseImage));
  }
  if (!except.includes('git')) host.writeBin('git', '#!/bin/sh\nexit 0\n');
  if (!except.includes('sandbox')) { installShieldHooksFixture(host); writeStampFixture(host); }
  createVaultFixture(host, {
    credentials: except.includes('credentials') ? [] : [{ set: 'default', provider: 'anthropic', data: { type: 'api_key', key: 'x' } }],
    sshKeyScope: except.includes('ssh') ? undefined : 'standalone',
  });
  return { host, addImage };
}
