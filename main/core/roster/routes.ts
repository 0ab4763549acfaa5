/**
 * `routes.json` (terok-executor spec §4.7): one entry per provider, sorted,
 * with a fixed field order, written the way terok writes it — Python's
 * `json.dumps(indent=2)` plus a newline — so the bytes match terok's.
 */
import { describeFsError, writeFileIfChanged } from '../host/fs.ts';
import { compareNames } from './derive.ts';
import type { ProviderEntry, Roster } from './model.ts';
import { pythonJsonDumps } from '../host/python-json.ts';
import { SetupError } from '../errors.ts';

/** Objects are Maps so key order is exactly insertion order (no integer-key reordering). */
type Json = string | number | boolean | null | Json[] | Map<string, Json>;

function routeOf(provider: ProviderEntry): Map<string, Json> {
  const route = new Map<string, Json>([
    ['upstream', provider.spec.upstream],
    ['auth_header', provider.wire.header],
    ['auth_prefix', provider.wire.prefix],
  ]);
  if (provider.spec.path_upstreams.size) route.set('path_upstreams', new Map(provider.spec.path_upstreams));
  if (provider.wire.extraHeaders.size) route.set('oauth_extra_headers', new Map(provider.wire.extraHeaders));
  const refresh = provider.spec.oauth_refresh;
  if (refresh) {
    const block = new Map<string, Json>([['token_url', refresh.token_url], ['client_id', refresh.client_id]]);
    if (refresh.scope) block.set('scope', refresh.scope);
    route.set('oauth_refresh', block);
  }
  return route;
}

/** The full file content, trailing newline included. */
export function renderRoutesJson(roster: Pick<Roster, 'providers'>): string {
  const names = [...roster.providers.keys()].sort(compareNames);
  const doc = new Map<string, Json>(names.map((name) => [name, routeOf(roster.providers.get(name)!)]));
  return pythonJsonDumps(doc, 2) + '\n';
}

/** Raised when routes.json cannot be written; the previous file is left as it was. */
export class RoutesWriteError extends SetupError {
  constructor(message: string) {
    super('routes-write', message);
  }
}

/**
 * Write routes.json atomically (exactly 0600, parent 0700) unless it already
 * holds these bytes with that mode — a re-run on a ready host keeps the
 * file's inode and mtime. Returns the content.
 */
export function writeRoutesJson(roster: Pick<Roster, 'providers'>, routesPath: string): string {
  const content = renderRoutesJson(roster);
  try {
    writeFileIfChanged(routesPath, content, { mode: 0o600, dirMode: 0o700 });
  } catch (err) {
    throw new RoutesWriteError(`${describeFsError(err, 'writing the vault routes file')}\nfile: ${routesPath} (the previous version, if any, was left unchanged)`);
  }
  return content;
}
