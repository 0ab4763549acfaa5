import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readParams } from '../../../main/core/tasks/params.ts';

const fail = (m: string) => new Error(m);

test('readParams: absent params are an empty object; arrays and scalars are refused', () => {
  assert.equal(readParams(undefined, ['a'], fail).str('a'), undefined);
  assert.throws(() => readParams([], ['a'], fail), /^Error: parameters must be an object$/);
  assert.throws(() => readParams('x', ['a'], fail), /parameters must be an object/);
});

test('readParams: unknown keys are named with the allowed ones; typed reads say which field is wrong', () => {
  assert.throws(() => readParams({ a: 1, evil: 2 }, ['a', 'b'], fail), /^Error: unknown parameter\(s\): evil \(allowed: a, b\)$/);
  const p = readParams({ s: 'x', b: true, n: 1, z: null }, ['s', 'b', 'n', 'z'], fail);
  assert.equal(p.str('s'), 'x');
  assert.equal(p.bool('b'), true);
  assert.equal(p.str('z'), undefined, 'null counts as absent');
  assert.throws(() => p.str('n'), /n must be a string/);
  assert.throws(() => p.bool('s'), /s must be true or false/);
});
