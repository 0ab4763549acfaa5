/**
 * `write_vault_config` (terok-executor spec §6.6): point a tool's own config
 * file in its shared mount at the vault, using the roster's
 * `provider.config_patch`. Only the keys the patch names are touched; the
 * rest of the file (which the tool itself may have written) is kept.
 */
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { Document, isMap, parseDocument } from 'yaml';
import type { TerokConfig } from '../host/config.ts';
import { configValue } from '../host/config.ts';
import type { Roster } from '../roster/model.ts';
import { mountFilePath, readMountFile, writeMountFile } from './mount-files.ts';
import { toPlain, type Plain } from './plain.ts';
import { SetupError } from '../errors.ts';
import { quoteInput } from '../validate.ts';

/** The in-container loopback bridge to the vault (both transports). */
export const VAULT_URL = 'http://localhost:9419';
export const VAULT_SOCKET_SOCKET_MODE = '/run/terok/vault/vault.sock';
export const VAULT_SOCKET_TCP_MODE = '/tmp/terok-vault.sock';

export type VaultTransport = 'socket' | 'tcp';

/**
 * terok substitutes the TCP-mode socket when the sandbox config it builds
 * has a fixed token-broker port — `vault.port` in config.yml. Ports that TCP
 * mode allocates automatically are not part of that fresh config, so
 * `services.mode: tcp` alone does not switch it.
 */
export function vaultTransportOf(config: TerokConfig): VaultTransport {
  const port = configValue(config, 'vault', 'port');
  const fixed = typeof port === 'number' ? Number.isInteger(port) : typeof port === 'string' && /^\d+$/.test(port.trim());
  return fixed ? 'tcp' : 'socket';
}

export class VaultConfigError extends SetupError {
  constructor(message: string) {
    super('vault-config', message);
  }
}


function substitute(value: Plain, transport: VaultTransport): Plain {
  if (typeof value === 'string') {
    return value.replaceAll('{vault_url}', VAULT_URL).replaceAll('{vault_socket}', transport === 'tcp' ? VAULT_SOCKET_TCP_MODE : VAULT_SOCKET_SOCKET_MODE);
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, transport));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, transport)]));
  return value;
}

export interface VaultConfigRequest {
  roster: Pick<Roster, 'authProviders' | 'vaultRoutes'>;
  /** Roster entry name (claude, codex, gh …). */
  name: string;
  mountsDir: string;
  /** `type` of the stored credential; null = none stored (the route's declared type applies). */
  storedType: string | null;
  transport: VaultTransport;
}

export interface PlannedPatch {
  /** Absolute path of the file to patch. */
  path: string;
  format: 'toml' | 'yaml';
  /** Keys to set, placeholders already substituted. */
  values: Record<string, Plain>;
  /** Array-of-tables entry to patch instead of the top level (TOML only). */
  table?: { name: string; match: Record<string, Plain> };
}

/** What the patch for `name` would write, or null when its provider has none. */
export function planVaultConfig(req: VaultConfigRequest): PlannedPatch | null {
  const auth = req.roster.authProviders.get(req.name);
  if (!auth) return null;
  const patch = req.roster.vaultRoutes.get(auth.credentialProvider)?.configPatch;
  if (!patch) return null;
  const route = req.roster.vaultRoutes.get(auth.credentialProvider)!;
  const format = patch.toml_set ? 'toml' : 'yaml';
  const values = toPlain(patch.toml_set ?? patch.yaml_set ?? new Map()) as Record<string, Plain>;
  const overlay = patch.by_credential_type?.get(req.storedType ?? route.credentialType);
  if (overlay) Object.assign(values, toPlain(overlay));
  const planned: PlannedPatch = {
    path: mountFilePath(req.mountsDir, auth.hostDir, patch.file),
    format,
    values: substitute(values, req.transport) as Record<string, Plain>,
  };
  if (format === 'toml' && patch.toml_table) {
    planned.table = { name: patch.toml_table, match: substitute(toPlain(patch.toml_match ?? new Map()), req.transport) as Record<string, Plain> };
  }
  return planned;
}

function patchToml(current: string | null, plan: PlannedPatch): string {
  let doc: Record<string, unknown>;
  try {
    doc = current ? (parseToml(current) as Record<string, unknown>) : {};
  } catch (err) {
    throw new VaultConfigError(`${plan.path} is not valid TOML (${(err as Error).message.split('\n')[0]}); fix or delete it, then run this step again`);
  }
  if (!plan.table) {
    Object.assign(doc, plan.values);
    return stringifyToml(doc);
  }
  const existing = doc[plan.table.name];
  if (existing !== undefined && !Array.isArray(existing)) {
    throw new VaultConfigError(`${plan.path}: ${quoteInput(plan.table.name)} is not an array of tables ([[${plan.table.name}]]); fix or delete it, then run this step again`);
  }
  const entries = (existing ?? []) as Record<string, unknown>[];
  const matches = (entry: Record<string, unknown>) => Object.entries(plan.table!.match).every(([k, v]) => entry[k] === v);
  const entry = entries.find(matches);
  if (entry) Object.assign(entry, plan.values);
  else entries.push({ ...plan.table.match, ...plan.values });
  doc[plan.table.name] = entries;
  return stringifyToml(doc);
}

function patchYaml(current: string | null, plan: PlannedPatch): string {
  const doc = current?.trim() ? parseDocument(current) : new Document({});
  if (doc.errors.length || (doc.contents !== null && !isMap(doc.contents))) {
    const why = doc.errors[0]?.message.split('\n')[0] ?? 'the top level is not a mapping';
    throw new VaultConfigError(`${plan.path} is not a YAML mapping (${why}); fix or delete it, then run this step again`);
  }
  for (const [key, value] of Object.entries(plan.values)) doc.set(key, value);
  return doc.toString();
}

/**
 * Apply the patch; returns the path written, or null when the provider has
 * no patch. Unchanged content is not rewritten (a second run is a no-op).
 */
export function writeVaultConfig(req: VaultConfigRequest): string | null {
  const plan = planVaultConfig(req);
  if (!plan) return null;
  const current = readMountFile(plan.path);
  const next = plan.format === 'toml' ? patchToml(current, plan) : patchYaml(current, plan);
  if (next !== current) writeMountFile(plan.path, next);
  return plan.path;
}
