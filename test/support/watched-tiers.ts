/**
 * Proof that a refused request never reached the vault or podman: stand-ins
 * for every program that would read a passphrase tier (keyctl, secret-tool,
 * systemd-creds, a configured passphrase_command) and for podman, first on
 * the sandbox's PATH, each appending its name and arguments to one file.
 * Real processes, a real file: the tiers find nothing except the passphrase
 * command, which hands out FIXTURE_PASSPHRASE, so a valid request does open
 * (and create) the credential DB — which is how a test shows the watch works.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { resolvePaths } from '../../main/core/host/paths.ts';
import { FIXTURE_PASSPHRASE } from './fixtures.ts';
import type { SandboxHost } from './host.ts';

export interface WatchedTiers {
  /** Each recorded call, `<program> <args…>`, in order. */
  calls(): string[];
  /** Whether the credential DB file exists (a writer open creates it). */
  dbExists(): boolean;
}

/** Needs a host made with a DBUS_SESSION_BUS_ADDRESS so the keyring tier is tried too. */
export function watchTiersAndPodman(host: SandboxHost): WatchedTiers {
  const log = path.join(host.root, 'watched-calls');
  const record = (name: string) => `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> '${log}'\n`;
  for (const name of ['keyctl', 'secret-tool', 'systemd-creds', 'podman']) host.writeBin(name, `${record(name)}exit 1\n`);
  const command = host.writeBin('passphrase-command', `${record('passphrase-command')}printf '%s' '${FIXTURE_PASSPHRASE}'\n`);
  host.write(path.join(host.home, '.config/terok/config.yml'), `credentials:\n  passphrase_command: ${command}\n`);
  const dbPath = resolvePaths(host.ctx).credentialDb;
  return {
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    dbExists: () => existsSync(dbPath),
  };
}
