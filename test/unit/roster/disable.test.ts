/**
 * "Use the built-in definition": a broken user roster file is moved aside
 * (never deleted, never over another file), only when the current roster
 * names it as a problem; and the sandbox install block built from the same
 * facts. Real YAML files in a sandboxed home.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Engine } from '../../../main/core/engine.ts';
import { loadTerokConfig } from '../../../main/core/host/config.ts';
import { resolvePaths } from '../../../main/core/host/paths.ts';
import { clearRosterCache, currentRoster } from '../../../main/core/roster/current.ts';
import { brokenUserFiles, DISABLE_USER_FILE_STEP, disableUserFile } from '../../../main/core/roster/disable.ts';
import { rosterDirsOf } from '../../../main/core/roster/load.ts';
import { register } from '../../../main/core/roster/module.ts';
import { installBlockOf, openableFiles } from '../../../main/core/sandbox/install-block.ts';
import { createRosterHost } from '../../support/roster.ts';

const BROKEN = 'label: Mine\nbinary: [claude\n';
const NOW = new Date('2026-12-02T01:02:03.456Z');

test('a broken user file is moved aside with its bytes; the roster loads again', () => {
  const host = createRosterHost();
  try {
    const file = host.writeAgent('claude', BROKEN);
    assert.deepEqual(brokenUserFiles(host.paths), [file]);
    const moved = disableUserFile(host.paths, file, NOW);
    assert.equal(moved.movedTo, `${file}.disabled-20261202T010203Z`);
    assert.equal(existsSync(file), false);
    assert.equal(readFileSync(moved.movedTo, 'utf8'), BROKEN);
    assert.equal(currentRoster(rosterDirsOf(host.paths)).error, null, 'the roster loads without it');
  } finally {
    clearRosterCache();
    host.cleanup();
  }
});

test('an earlier copy with the same name is kept: the new one gets a counter', () => {
  const host = createRosterHost();
  try {
    const file = host.writeAgent('claude', BROKEN);
    const earlier = host.write(`${file}.disabled-20261202T010203Z`, 'the earlier copy\n');
    const moved = disableUserFile(host.paths, file, NOW);
    assert.equal(moved.movedTo, `${earlier}-1`);
    assert.equal(readFileSync(earlier, 'utf8'), 'the earlier copy\n');
    assert.equal(readFileSync(moved.movedTo, 'utf8'), BROKEN);
  } finally {
    clearRosterCache();
    host.cleanup();
  }
});

test('only a user file the roster names as a problem is moved', () => {
  const host = createRosterHost();
  try {
    const fine = host.writeAgent('codex', 'label: My Codex\n');
    const broken = host.writeAgent('claude', BROKEN);
    const outside = host.write('home/elsewhere/claude.yaml', BROKEN);
    for (const f of [fine, outside, path.join(host.paths.userAgentsDir, 'nothing.yaml'), `${path.dirname(broken)}/../agents/codex.yaml`]) {
      assert.throws(() => disableUserFile(host.paths, f, NOW), /is not one of your agent or provider files with a problem; nothing was moved/, f);
    }
    assert.equal(readFileSync(fine, 'utf8'), 'label: My Codex\n');
    assert.equal(readFileSync(broken, 'utf8'), BROKEN);
  } finally {
    clearRosterCache();
    host.cleanup();
  }
});

test(`${DISABLE_USER_FILE_STEP} as a task: the stage says where the file went; a relative path is refused`, async () => {
  const host = createRosterHost();
  const engine = new Engine(host.ctx);
  register(engine);
  try {
    const file = host.writeAgent('claude', BROKEN);
    const bad = engine.tasks.start(DISABLE_USER_FILE_STEP, { file: 'claude.yaml' });
    assert.equal(await engine.tasks.wait(bad), 'failed');
    assert.equal(readFileSync(file, 'utf8'), BROKEN);
    const id = engine.tasks.start(DISABLE_USER_FILE_STEP, { file });
    assert.equal(await engine.tasks.wait(id), 'done');
    const aside = readdirSync(path.dirname(file)).filter((n) => n.startsWith('claude.yaml.disabled-'));
    assert.equal(aside.length, 1);
    assert.ok(engine.tasks.events(id).some((e) => e.type === 'stage' && e.stage.status === 'ok' && e.stage.detail.includes(aside[0]!)));
  } finally {
    engine.dispose();
    clearRosterCache();
    host.cleanup();
  }
});

test('the install block: a roster error names file:line:column and whether a built-in stands in; an ignored config.yml names the file', () => {
  const host = createRosterHost();
  try {
    const claude = host.writeAgent('claude', BROKEN);
    const mine = host.writeAgent('mytool', 'kind: [\n');
    const config = loadTerokConfig(host.ctx);
    const block = installBlockOf(host.ctx, config, resolvePaths(host.ctx, config))!;
    assert.equal(block.kind, 'roster');
    assert.match(block.reason, /would stop at its first stage/);
    assert.ok(block.problems.some((p) => p.file === claude && p.line !== null && p.column !== null));
    assert.deepEqual(block.files.sort((a, b) => a.path.localeCompare(b.path)), [{ path: claude, builtIn: true }, { path: mine, builtIn: false }]);
    assert.deepEqual(openableFiles(block).sort(), [claude, mine].sort());

    const file = host.write('home/.config/terok/config.yml', 'image: [\n');
    const ignored = loadTerokConfig(host.ctx);
    const cfgBlock = installBlockOf(host.ctx, ignored, resolvePaths(host.ctx, ignored))!;
    assert.equal(cfgBlock.kind, 'config', 'the config comes first: the install refuses before the roster stage');
    assert.deepEqual(cfgBlock.files, [{ path: file, builtIn: false }]);
    assert.ok(cfgBlock.problems[0]!.message.includes(file) && !/ignoring it$/.test(cfgBlock.problems[0]!.message));
  } finally {
    clearRosterCache();
    host.cleanup();
  }
});

test('no block when nothing is wrong', () => {
  const host = createRosterHost();
  try {
    const config = loadTerokConfig(host.ctx);
    assert.equal(installBlockOf(host.ctx, config, resolvePaths(host.ctx, config)), null);
    assert.deepEqual(openableFiles(null), []);
  } finally {
    clearRosterCache();
    host.cleanup();
  }
});
