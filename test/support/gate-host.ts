/**
 * A sandboxed host on which every step of terok's gate passes (fake podman
 * with the L1 alias, git, shield hooks and a current stamp, a vault with a
 * credential and an SSH key); `except` leaves parts out.
 */
import { afterEach } from 'node:test';
import { Engine } from '../../main/core/engine.ts';
import { l1AliasTag } from '../../main/core/images/tags.ts';
import { registerSetupModules } from '../../main/core/modules.ts';
import type { StepImpl } from '../../main/core/tasks/task-manager.ts';
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

/**
 * Hosts and engines for one test at a time: each test makes its host (`machine`, or `adopt` for one
 * made elsewhere) and engines on it (every real module, `fixes` replacing task steps); after each
 * test the engines are disposed and the host removed.
 */
export function gateHostsPerTest(baseImage: string) {
  let current: SandboxHost | null = null;
  const engines: Engine[] = [];
  afterEach(() => {
    for (const e of engines.splice(0)) e.dispose();
    current?.cleanup();
    current = null;
  });
  const adopt = (host: SandboxHost): SandboxHost => { current = host; return host; };
  return {
    adopt,
    machine(except: readonly HostPart[] = []): { host: SandboxHost; addImage: (tag: string) => void } {
      const made = gateHost(baseImage, except);
      adopt(made.host);
      return { host: made.host, addImage: made.addImage ?? (() => { throw new Error('this host has no podman to add an image to'); }) };
    },
    engine(fixes: Record<string, StepImpl> = {}): Engine {
      if (!current) throw new Error('make the host first (machine or adopt)');
      const engine = new Engine(current.ctx);
      engines.push(engine);
      registerSetupModules(engine);
      for (const [step, impl] of Object.entries(fixes)) engine.tasks.register(step, impl);
      return engine;
    },
  };
}
