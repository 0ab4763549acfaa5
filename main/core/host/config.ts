/**
 * terok's ecosystem-wide `config.yml`, read the way terok reads it:
 * `TEROK_CONFIG_FILE` alone, or `/etc/terok/config.yml` then the user file
 * (real root reads only the system file), merged per key, `null` deleting.
 * Read errors give an empty layer plus a warning — a broken config must not
 * stop the wizard from showing the state of the machine.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { HostContext } from './context.ts';

export type ConfigMap = Record<string, unknown>;

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
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        warnings.push(`could not read ${file}: ${(err as Error).message}`);
      }
      continue;
    }
    try {
      const data: unknown = parse(text);
      if (data === null || data === undefined) { sources.push(file); continue; }
      if (!isPlainObject(data)) {
        warnings.push(`${file} is not a YAML mapping; ignoring it`);
        continue;
      }
      values = mergeLayer(values, data);
      sources.push(file);
    } catch (err) {
      warnings.push(`${file} is not valid YAML (${(err as Error).message.split('\n')[0]}); ignoring it`);
    }
  }
  return { values, sources, warnings };
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
