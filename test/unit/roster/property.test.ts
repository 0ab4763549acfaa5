/**
 * Property: any valid set of user overrides (random, from a seeded PRNG so a
 * failure is reproducible) yields routes.json that parses, has every provider
 * once in sorted order with the fixed field order, and is the same bytes on
 * every load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRoster } from '../../../main/core/roster/load.ts';
import { renderRoutesJson } from '../../../main/core/roster/routes.ts';
import { createRosterHost, type RosterHost } from '../../support/roster.ts';

/** mulberry32: tiny, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELD_ORDER = ['upstream', 'auth_header', 'auth_prefix', 'path_upstreams', 'oauth_extra_headers', 'oauth_refresh'];
const BUNDLED_PROVIDERS = [...loadRoster({}).providers.keys()];

function scenario(host: RosterHost, random: () => number): Set<string> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const word = (n = 6) => Array.from({ length: 1 + Math.floor(random() * n) }, () => pick('abcdefghijklmnopqrstuvwxyz'.split(''))).join('');
  const expected = new Set(BUNDLED_PROVIDERS);
  const count = Math.floor(random() * 5);
  for (let i = 0; i < count; i++) {
    const isNew = random() < 0.5;
    const name = isNew ? `p${word()}` : pick(BUNDLED_PROVIDERS);
    expected.add(name);
    const lines: string[] = [];
    if (isNew || random() < 0.5) lines.push(`upstream: https://${word()}.example/${random() < 0.3 ? word() : ''}`);
    const modes = isNew ? pick([['api_key'], ['oauth'], ['oauth', 'api_key']]) : random() < 0.5 ? [pick(['api_key', 'oauth'])] : [];
    if (modes.length) {
      lines.push('auth:');
      // Overriding one mode of a bundled provider with the other mode's header could conflict (a load error by design).
      const sameHeader = isNew && random() < 0.5;
      modes.forEach((mode, j) => {
        lines.push(`  ${mode}:`, `    header: ${sameHeader ? 'Authorization' : `X-${word()}-${j}`}`, `    prefix: "${sameHeader ? 'Bearer ' : pick(['', 'Token '])}"`);
        if (random() < 0.4 && !sameHeader) lines.push('    extra_headers:', `      x-${word()}: "${word()} ü"`);
      });
    }
    if (random() < 0.4) lines.push('path_upstreams:', `  /${word()}/: https://${word()}.example`);
    if (random() < 0.3) lines.push('oauth_refresh:', `  token_url: https://${word()}.example/token`, `  client_id: ${word()}`, ...(random() < 0.5 ? [`  scope: ${word()} ${word()}`] : []));
    if (random() < 0.3) lines.push(`shared_domain: ${random() < 0.5}`);
    if (lines.length) host.writeProvider(name, lines.join('\n') + '\n');
  }
  return expected;
}

test('random valid overrides always give valid, sorted, deterministic routes.json', () => {
  const random = prng(0x7e40c);
  for (let round = 0; round < 60; round++) {
    const host = createRosterHost();
    try {
      const expected = scenario(host, random);
      const first = renderRoutesJson(host.load());
      const second = renderRoutesJson(host.load());
      assert.equal(second, first, `round ${round}: deterministic`);
      assert.ok(first.endsWith('}\n'), `round ${round}: trailing newline`);
      assert.doesNotMatch(first, /[^\x00-\x7f]/, `round ${round}: ASCII only (non-ASCII escaped)`);
      const json = JSON.parse(first) as Record<string, Record<string, unknown>>;
      const keys = Object.keys(json);
      assert.deepEqual(keys, [...expected].sort(), `round ${round}: every provider once, sorted`);
      for (const [name, route] of Object.entries(json)) {
        const fields = Object.keys(route);
        assert.deepEqual(fields, FIELD_ORDER.filter((f) => fields.includes(f)), `round ${round}: ${name} field order`);
        assert.deepEqual(fields.slice(0, 3), FIELD_ORDER.slice(0, 3), `round ${round}: ${name} required fields`);
        for (const optional of FIELD_ORDER.slice(3)) {
          if (optional in route) assert.ok(Object.keys(route[optional] as object).length > 0, `round ${round}: ${name}.${optional} non-empty`);
        }
      }
    } finally {
      host.cleanup();
    }
  }
});
