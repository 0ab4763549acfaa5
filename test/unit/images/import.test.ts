/**
 * images.import: the archive path from the renderer is checked in main
 * before podman sees it; podman gets it as one argv element (no shell), and
 * its "Loaded image" lines become the result. podman here is a script that
 * records its arguments (the real `podman load` runs in the e2e test).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Engine } from '../../../main/core/engine.ts';
import { importPathProblem, IMPORT_STEP, parseImportParams } from '../../../main/core/images/import.ts';
import { createImagesModule } from '../../../main/core/images/module.ts';
import { createSandboxHost } from '../../support/host.ts';

test('importPathProblem: an absolute path to a non-empty regular file, nothing else', () => {
  const host = createSandboxHost();
  try {
    const archive = host.write('image.tar', 'not really a tar, but a file');
    const empty = host.write('empty.tar', '');
    const fifo = path.join(host.root, 'pipe.tar');
    execFileSync('mkfifo', [fifo]);
    assert.equal(importPathProblem(archive), null);
    assert.match(importPathProblem('')!, /no file was chosen/);
    assert.match(importPathProblem('image.tar')!, /not an absolute path/);
    assert.match(importPathProblem(path.join(host.root, 'missing.tar'))!, /missing\.tar' does not exist/);
    assert.match(importPathProblem(host.root)!, /directory, not an image archive file/);
    assert.match(importPathProblem(fifo)!, /not an image archive file/);
    assert.match(importPathProblem(empty)!, /is empty/);
    assert.match(importPathProblem(`${archive}\n--help`)!, /control characters/);
    assert.throws(() => parseImportParams({ path: 'relative.tar' }), /cannot import an image: 'relative\.tar' is not an absolute path/);
    assert.throws(() => parseImportParams({ path: archive, extra: 1 }), /unknown/);
    assert.throws(() => parseImportParams({ path: 7 }), /path/);
    assert.equal(parseImportParams({ path: `${path.dirname(archive)}/./image.tar` }), archive);
  } finally {
    host.cleanup();
  }
});

test(`${IMPORT_STEP} runs podman load -i <file> with the path as one argument and reports what it loaded`, async () => {
  const host = createSandboxHost({ inheritPath: false });
  const argsFile = path.join(host.root, 'podman-args');
  host.writeBin('podman', `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > '${argsFile}'\necho 'Getting image source signatures' >&2\necho 'Loaded image: localhost/terok-l1-cli:x'\n`);
  const engine = new Engine(host.ctx);
  createImagesModule().register(engine);
  try {
    const archive = host.write('my image; rm -rf ~.tar', 'x');
    const id = engine.tasks.start(IMPORT_STEP, { path: archive });
    assert.equal(await engine.tasks.wait(id), 'done');
    assert.deepEqual(readFileSync(argsFile, 'utf8').split('\n').slice(0, -1), ['load', '-i', archive]);
    const done = engine.tasks.events(id).find((e) => e.type === 'done');
    assert.deepEqual(done?.type === 'done' && done.result, { file: archive, loaded: ['localhost/terok-l1-cli:x'] });
    assert.ok(engine.tasks.events(id).some((e) => e.type === 'log' && e.line === 'Getting image source signatures'), 'podman output is logged live');

    // A path that is no file never reaches podman.
    const bad = engine.tasks.start(IMPORT_STEP, { path: host.root });
    assert.equal(await engine.tasks.wait(bad), 'failed');
    const failed = engine.tasks.events(bad).find((e) => e.type === 'failed');
    assert.ok(failed?.type === 'failed' && failed.error.code === 'invalid-params' && /directory/.test(failed.error.message));
  } finally {
    engine.dispose();
    host.cleanup();
  }
});

test(`${IMPORT_STEP}: podman refusing the file is a failure with its reason and the fix`, async () => {
  const host = createSandboxHost({ inheritPath: false });
  host.writeBin('podman', `#!/bin/sh\necho 'Error: payload does not match any of the supported image formats' >&2\nexit 125\n`);
  const engine = new Engine(host.ctx);
  createImagesModule().register(engine);
  try {
    const id = engine.tasks.start(IMPORT_STEP, { path: host.write('notes.tar', 'hello') });
    assert.equal(await engine.tasks.wait(id), 'failed');
    const failed = engine.tasks.events(id).find((e) => e.type === 'failed');
    assert.ok(failed?.type === 'failed');
    assert.match(failed.error.message, /podman could not load .*notes\.tar: Error: payload does not match/);
    assert.match(failed.error.hint ?? '', /podman save/);
    assert.equal(failed.error.exitCode, 125);
  } finally {
    engine.dispose();
    host.cleanup();
  }
});
