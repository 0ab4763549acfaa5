/**
 * Redaction for everything that leaves the process as text a person may
 * paste somewhere (the diagnostics report) or that stays on disk (the log):
 * the home directory becomes `~`, token-shaped strings and every secret
 * value we know of become `[redacted]`. Defensive by design — the engine
 * already keeps secrets out of events; this is the second fence.
 */
import { homeToTilde } from '../host/tilde.ts';

/** Prefixes of API keys and tokens we know: Anthropic, OpenAI, GitHub, GitLab. */
export const SECRET_PREFIXES = ['sk-ant-', 'sk-', 'gho_', 'ghp_', 'ghs_', 'glpat-'] as const;

export const REDACTED = '[redacted]';

/** Environment variable names whose values are treated as secrets. */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSPHRASE|PASSWD|CREDENTIAL|AUTH)/i;
/** Result/parameter fields whose string values are treated as secrets. */
const SECRET_FIELD = /(key|token|secret|password|passphrase|credential)/i;
/** Shorter values would redact ordinary words ("1", "true"); real secrets are longer. */
const MIN_SECRET_LENGTH = 8;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const TOKEN_PATTERN = new RegExp(`(?<![A-Za-z0-9])(?:${SECRET_PREFIXES.map(escapeRegExp).join('|')})[A-Za-z0-9_\\-]{6,}`, 'g');

/** Secret-looking values from an environment (by variable name). */
export function secretsFromEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && typeof value === 'string' && value.length >= MIN_SECRET_LENGTH)
    .map(([, value]) => value!);
}

/** String values of secret-named fields anywhere inside `value` (task results, parameters). */
export function secretsInValue(value: unknown, found: string[] = [], depth = 0): string[] {
  if (depth > 8 || value === null || typeof value !== 'object') return found;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string' && SECRET_FIELD.test(k) && v.length >= MIN_SECRET_LENGTH) found.push(v);
    else secretsInValue(v, found, depth + 1);
  }
  return found;
}

export type Redactor = (text: string) => string;

export interface RedactorOptions {
  /** Replaced by `~` where it starts a path. */
  home?: string;
  /** Exact values never to show (longest first, so a secret containing another is removed whole). */
  secrets?: readonly string[];
}

export function createRedactor(opts: RedactorOptions = {}): Redactor {
  const secrets = [...new Set(opts.secrets ?? [])].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  const tilde = homeToTilde(opts.home);
  return (text) => {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join(REDACTED);
    out = out.replace(TOKEN_PATTERN, REDACTED);
    return tilde(out);
  };
}
