/**
 * terok's ecosystem-wide `config.yml`, read the way terok reads it:
 * `TEROK_CONFIG_FILE` alone, or `/etc/terok/config.yml` then the user file
 * (real root reads only the system file), merged per key, `null` deleting.
 * Read errors give an empty layer plus a warning — a broken config must not
 * stop the wizard from showing the state of the machine.
 */
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { HostContext } from './context.ts';
import { readUserFile, UserFileError } from './fs.ts';

export type ConfigMap = Record<string, unknown>;

/** config.yml is a page of settings; anything larger is not the file terok means. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

export interface TerokConfig {
  values: ConfigMap;
  /** Files actually read, lowest priority first. */
  sources: string[];
  warnings: string[];
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge where maps merge per key, scalars and lists replace, `null` deletes. */
export function mergeLayer(base: ConfigMap, over: ConfigMap): ConfigMap {
  const out: ConfigMap = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else if (isPlainObject(v) && isPlainObject(out[k])) out[k] = mergeLayer(out[k] as ConfigMap, v);
    else out[k] = v;
  }
  return out;
}

export function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

export function userConfigFile(ctx: Pick<HostContext, 'env' | 'home'>): string {
  const base = ctx.env.XDG_CONFIG_HOME || path.join(ctx.home, '.config');
  return path.join(base, 'terok', 'config.yml');
}

/** Where terok (and we) write config changes. */
export function writableConfigFile(ctx: Pick<HostContext, 'env' | 'home'>): string {
  const override = ctx.env.TEROK_CONFIG_FILE;
  return override ? expandHome(override, ctx.home) : userConfigFile(ctx);
}

export function loadTerokConfig(ctx: Pick<HostContext, 'env' | 'home' | 'isRealRoot' | 'systemConfigFile'>): TerokConfig {
  const override = ctx.env.TEROK_CONFIG_FILE;
  const files = override
    ? [expandHome(override, ctx.home)]
    : ctx.isRealRoot ? [ctx.systemConfigFile] : [ctx.systemConfigFile, userConfigFile(ctx)];
  let values: ConfigMap = {};
  const sources: string[] = [];
  const warnings: string[] = [];
  for (const file of files) {
    let text: string | null;
    try {
      text = readUserFile(file, { maxBytes: MAX_CONFIG_FILE_BYTES, what: 'terok config file', sizeHint: 'config.yml holds a few settings' });
    } catch (err) {
      warnings.push(err instanceof UserFileError ? `${err.message}; ignoring it` : `could not read ${file}: ${(err as Error).message}; ignoring it`);
      continue;
    }
    if (text === null) continue;
    const parsed = parseConfigText(file, text);
    if ('warning' in parsed) { warnings.push(parsed.warning); continue; }
    if (parsed.data) values = mergeLayer(values, parsed.data);
    sources.push(file);
  }
  return { values, sources, warnings };
}

/**
 * One layer's mapping (null for an empty file), or a warning naming the
 * file, line and column of the first YAML error.
 */
function parseConfigText(file: string, text: string): { data: ConfigMap | null } | { warning: string } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const issue = doc.errors[0];
  if (issue) {
    const at = lines.linePos(issue.pos[0]);
    const what = issue.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return { warning: `${file}:${at.line}:${at.col}: not valid YAML (${what}); ignoring it` };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { warning: `${file} is not usable YAML (${(err as Error).message.split('\n')[0]}); ignoring it` };
  }
  if (data === null || data === undefined) return { data: null };
  if (!isPlainObject(data)) return { warning: `${file} is not a YAML mapping; ignoring it` };
  return { data };
}

/** `section.key` lookup that tolerates the stringified booleans terok-util produces. */
export function configValue(cfg: TerokConfig, section: string, key: string): unknown {
  const sec = cfg.values[section];
  return isPlainObject(sec) ? sec[key] : undefined;
}

export function configBool(cfg: TerokConfig, section: string, key: string, fallback: boolean): boolean {
  const v = configValue(cfg, section, key);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    if (/^true$/i.test(v)) return true;
    if (/^false$/i.test(v)) return false;
  }
  return fallback;
}

export function configString(cfg: TerokConfig, section: string, key: string): string | undefined {
  const v = configValue(cfg, section, key);
  return typeof v === 'string' && v.trim() ? v : undefined;
}
