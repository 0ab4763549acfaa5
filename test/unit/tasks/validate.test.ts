/**
 * The one validator (valibot schemas with the project's messages) for task
 * params: shapes, length limits, and the one helper that quotes untrusted
 * input in a message (cut to 80 characters, escaped, secrets withheld).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidParamsError } from '../../../main/core/errors.ts';
import { looksLikeSecret, MAX_PARAM_LENGTH, MAX_QUOTED, optBool, optStr, parseWith, quoteInput, taskParams, tooLong, WITHHELD } from '../../../main/core/validate.ts';

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

// ---- bounds and quoting ---------------------------------------------------------

const KEY = 'sk-ant-api03-0123456789abcdefSECRETsecret-tail';

test('every string param has a limit (4096 unless its field says less); the message names the field and the limit, never the value', () => {
  assert.equal(MAX_PARAM_LENGTH, 4096);
  assert.equal(parseWith(schema, { s: 'x'.repeat(4096) }, fail).s?.length, 4096);
  assert.throws(() => parseWith(schema, { s: 'y'.repeat(4097) }, fail), (e: Error) => e.message === 's is too long (at most 4096 characters)' && !e.message.includes('yyy'));
  const short = taskParams({ name: optStr('name', 64) });
  assert.throws(() => parseWith(short, { name: KEY + KEY }, fail), (e: Error) => e.message === 'name is too long (at most 64 characters)');
  assert.equal(tooLong('agent', 10), 'agent is too long (at most 10 characters)');
});

test('quoteInput: short input quoted as is; long input cut to 80 characters ending in …', () => {
  assert.equal(quoteInput('ubuntu:24.04'), "'ubuntu:24.04'");
  assert.equal(quoteInput('nope', { bare: true }), 'nope');
  const long = 'a-'.repeat(100);
  const shown = quoteInput(long, { bare: true });
  assert.equal(Array.from(shown).length, MAX_QUOTED);
  assert.ok(shown.endsWith('…'));
  assert.equal(shown, `${long.slice(0, 79)}…`);
  assert.equal(quoteInput('x'.repeat(80).replace(/x/g, 'ab-').slice(0, 80), { bare: true }).length, 80, 'exactly 80 is not cut');
  // Cut on characters, not UTF-16 units: no half emoji.
  assert.equal(Array.from(quoteInput('😀'.repeat(200), { bare: true })).length, 80);
});

test('quoteInput: control characters and bidi overrides are escaped, so a message cannot be rewritten by its input', () => {
  assert.equal(quoteInput('a\nb\tc\u0000d'), "'a\\nb\\tc\\u0000d'");
  assert.equal(quoteInput('x\u202Ey'), "'x\\u202ey'");
  assert.equal(quoteInput('\x1b[31mred'), "'\\u001b[31mred'");
});

test('quoteInput: a value that looks like a key or token is never shown, whatever field it was typed into', () => {
  for (const secret of [KEY, 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'glpat-AbCdEf0123456789xyz', 'AKIAIOSFODNN7EXAMPLE', 'mistral0123456789abcdefABCDEF01', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', `prefix text ${KEY.slice(13)}`]) {
    assert.equal(quoteInput(secret), WITHHELD, secret.slice(0, 6));
    assert.equal(looksLikeSecret(secret), true);
  }
  for (const name of ['claude', 'default', 'my-proj', 'ubuntu:24.04', 'registry.example.com:5000/team/image:tag', 'fedora-44-claude-codex', 'all,-vibe', 'experimental-feature-2025', 'x'.repeat(20)]) {
    assert.equal(looksLikeSecret(name), false, name);
  }
});

test('unknown keys are quoted through quoteInput and at most five are named', () => {
  const s2 = taskParams({ a: optStr('a') });
  assert.throws(() => parseWith(s2, { [KEY]: 1 }, fail), (e: Error) => e.message === `unknown parameter(s): ${WITHHELD} (allowed: a)` && !e.message.includes('SECRET'));
  assert.throws(() => parseWith(s2, { ['k-'.repeat(250)]: 1 }, fail), (e: Error) => e.message === `unknown parameter(s): ${'k-'.repeat(40).slice(0, 79)}… (allowed: a)`);
  const many = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`x${i}`, i]));
  assert.throws(() => parseWith(s2, many, fail), /^Error: unknown parameter\(s\): x0, x1, x2, x3, x4, … \(4 more\) \(allowed: a\)$/);
});
