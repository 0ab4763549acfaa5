import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colourEnabled, formatStageLine, runStage, STAGE_WIDTH, type StageUpdate } from '../../../main/core/tasks/stages.ts';

test('stage line: two spaces, label padded to 21, marker, detail in parentheses', () => {
  assert.equal(formatStageLine('Vault routes', 'ok', 'regenerated'), '  Vault routes          ok (regenerated)');
});

test('no empty parentheses without a detail, and long labels are not truncated', () => {
  assert.equal(formatStageLine('Shield hooks', 'skip'), '  Shield hooks          skip');
  assert.equal(formatStageLine('Legacy install cleanup', 'ok', 'swept'), '  Legacy install cleanup ok (swept)');
});

test('markers align across labels', () => {
  const a = formatStageLine('podman', 'ok', 'x');
  const b = formatStageLine('Supervisor hooks', 'FAIL', 'y');
  assert.equal(a.indexOf('ok'), b.indexOf('FAIL'));
  assert.ok(STAGE_WIDTH >= 'Clearance notifier'.length);
});

test('multi-line detail: first line in parentheses, rest indented by 25, blank lines blank', () => {
  const line = formatStageLine('Vault routes', 'FAIL', 'roster error\nfile a.yaml line 3\n\nkey: auth');
  assert.deepEqual(line.split('\n'), [
    '  Vault routes          FAIL (roster error)',
    ' '.repeat(25) + 'file a.yaml line 3',
    '',
    ' '.repeat(25) + 'key: auth',
  ]);
  assert.equal(line.split('(').length - 1, 1);
});

test('colour codes when forced: green ok, red FAIL, skip never coloured', () => {
  assert.equal(formatStageLine('x', 'ok', '', true), `  ${'x'.padEnd(21)} \x1b[32mok\x1b[0m`);
  assert.match(formatStageLine('x', 'FAIL', '', true), /\x1b\[31mFAIL/);
  assert.doesNotMatch(formatStageLine('x', 'skip', '', true), /\x1b/);
});

test('colour is on iff NO_COLOR unset and (FORCE_COLOR≠0 or a TTY)', () => {
  assert.equal(colourEnabled({ NO_COLOR: '1', FORCE_COLOR: '1' }, true), false);
  assert.equal(colourEnabled({ FORCE_COLOR: '1' }, false), true);
  assert.equal(colourEnabled({ FORCE_COLOR: '0' }, false), false);
  assert.equal(colourEnabled({}, true), true);
  assert.equal(colourEnabled({}, false), false);
});

test('runStage: running first, then the last marker the body set', async () => {
  const seen: StageUpdate[] = [];
  await runStage((u) => seen.push(u), 'Shield hooks', (s) => { s.fail('first'); s.ok('active'); });
  assert.deepEqual(seen, [{ label: 'Shield hooks', status: 'running', detail: '' }, { label: 'Shield hooks', status: 'ok', detail: 'active' }]);
});

test('runStage: an exception overrides an earlier ok and propagates', async () => {
  const seen: StageUpdate[] = [];
  await assert.rejects(runStage((u) => seen.push(u), 'Vault routes', (s) => { s.ok('x'); throw new Error('bad yaml'); }), /bad yaml/);
  assert.deepEqual(seen.at(-1), { label: 'Vault routes', status: 'FAIL', detail: 'bad yaml' });
});

test('runStage: a body that sets no marker completes as FAIL (no marker set)', async () => {
  const seen: StageUpdate[] = [];
  await runStage((u) => seen.push(u), 'X', () => {});
  assert.deepEqual(seen.at(-1), { label: 'X', status: 'FAIL', detail: 'no marker set' });
});
