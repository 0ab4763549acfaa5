/** The selection grammar (§4.6) over the bundled roster. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RosterLookupError } from '../../../main/core/roster/errors.ts';
import { loadRoster } from '../../../main/core/roster/load.ts';
import { parseSelection, resolveSelection, type Selection } from '../../../main/core/roster/selection.ts';
import { createRosterHost } from '../../support/roster.ts';

const roster = loadRoster({});
const ALL = ['blablador', 'caddy', 'claude', 'codex', 'copilot', 'gh', 'glab', 'kisski', 'opencode', 'openrouter', 'pi', 'sonar', 'toad', 'vibe'];
const resolve = (selection: Selection) => resolveSelection(roster, selection);

test('"all" is every entry with an install block, agents and providers, sorted (no coderabbit)', () => {
  assert.deepEqual(resolve('all'), ALL);
});

test('excludes: ("all","-vibe") and ("-vibe",) are all minus vibe', () => {
  const minusVibe = ALL.filter((n) => n !== 'vibe');
  assert.deepEqual(resolve(['all', '-vibe']), minusVibe);
  assert.deepEqual(resolve(['-vibe']), minusVibe);
});

test('an exclude of an unselected entry is a no-op', () => {
  assert.deepEqual(resolve(['claude', '-vibe']), ['claude']);
});

test('dependencies are pulled in before excludes, so an exclude can drop one', () => {
  assert.deepEqual(resolve(['toad']), ['caddy', 'toad']);
  assert.deepEqual(resolve(['toad', '-caddy']), ['toad']);
  assert.deepEqual(resolve(['blablador']), ['blablador', 'opencode']);
});

test('unknown names, included or excluded, are an error listing what is available', () => {
  for (const selection of [['nope'], ['all', '-nope'], ['coderabbit']]) {
    const err = (() => { try { resolve(selection); } catch (e) { return e as Error; } return null; })();
    assert.ok(err instanceof RosterLookupError, String(selection));
    assert.match(err.message, new RegExp(`^Unknown roster entries: ${selection.at(-1)!.replace('-', '')}\\. Available: ${ALL.join(', ')}$`));
  }
});

test('a depends_on target without an install block is an error', (t) => {
  const host = createRosterHost();
  t.after(host.cleanup);
  host.writeAgent('reviewer', 'kind: tool\ninstall:\n  depends_on: coderabbit\n');
  assert.throws(() => resolveSelection(host.load(), ['reviewer']), /Roster entry 'reviewer' depends on 'coderabbit', which has no install: block/);
});

test('a bare string other than "all" is a type error', () => {
  assert.throws(() => resolveSelection(roster, 'claude' as unknown as Selection), TypeError);
});

test('parsing: trims, lower-cases, drops empty tokens; empty means all', () => {
  assert.equal(parseSelection('all'), 'all');
  assert.equal(parseSelection(''), 'all');
  assert.equal(parseSelection('   '), 'all');
  assert.equal(parseSelection(' , ,'), 'all');
  assert.deepEqual(parseSelection('claude,codex'), ['claude', 'codex']);
  assert.deepEqual(parseSelection('all,-vibe'), ['all', '-vibe']);
  assert.deepEqual(parseSelection(' Claude , -VIBE '), ['claude', '-vibe']);
});
