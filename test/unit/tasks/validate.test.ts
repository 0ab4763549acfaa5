/** The one validator (valibot schemas with the project's messages) for task params. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidParamsError } from '../../../main/core/errors.ts';
import { optBool, optStr, parseWith, taskParams } from '../../../main/core/validate.ts';

const schema = taskParams({ s: optStr('s'), b: optBool('b'), n: optStr('n'), z: optStr('z') });
const fail = (m: string) => new Error(m);

test('task params: absent params are an empty object; arrays and scalars are refused', () => {
  assert.deepEqual(parseWith(schema, undefined, fail), {});
  assert.deepEqual(parseWith(schema, null, fail), {});
  assert.throws(() => parseWith(schema, [], fail), /^Error: parameters must be an object$/);
  assert.throws(() => parseWith(schema, 'x', fail), /parameters must be an object/);
});

test('task params: unknown keys are named with the allowed ones; typed fields say which one is wrong', () => {
  assert.throws(() => parseWith(taskParams({ a: optStr('a'), b: optStr('b') }), { a: 'x', evil: 2 }, fail), /^Error: unknown parameter\(s\): evil \(allowed: a, b\)$/);
  const p = parseWith(schema, { s: 'x', b: true, z: null }, fail);
  assert.equal(p.s, 'x');
  assert.equal(p.b, true);
  assert.equal(p.z, null, 'null passes as absent');
  assert.throws(() => parseWith(schema, { n: 1 }, fail), /^Error: n must be a string$/);
  assert.throws(() => parseWith(schema, { b: 'yes' }, fail), /^Error: b must be true or false$/);
});

test('task params: without a caller error type the failure is invalid-params', () => {
  assert.throws(() => parseWith(schema, { b: 1 }), (err: unknown) => err instanceof InvalidParamsError && err.failureCode === 'invalid-params');
});
