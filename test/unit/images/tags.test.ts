import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseSlug, l0Tag, l1AliasTag, l1SidecarTag, l1Tag } from '../../../main/core/images/tags.ts';

const ALL = ['blablador', 'caddy', 'claude', 'codex', 'copilot', 'gh', 'glab', 'kisski', 'opencode', 'openrouter', 'pi', 'sonar', 'toad', 'vibe'];

test('slug: spec examples, blank falls back to fedora-44', () => {
  assert.equal(baseSlug('ubuntu:24.04'), 'ubuntu-24.04');
  assert.equal(baseSlug('fedora:44'), 'fedora-44');
  assert.equal(baseSlug('nvidia/cuda:12.4.1-devel-ubuntu24.04'), 'nvidia-cuda-12.4.1-devel-ubuntu24.04');
  assert.equal(baseSlug(''), 'fedora-44');
  assert.equal(baseSlug('   '), 'fedora-44');
  assert.equal(baseSlug(null), 'fedora-44');
});

test('slug: long names are cut to 111 chars plus an 8-hex digest, at most 120', () => {
  const long = `registry.example.com:5000/${'deep/'.repeat(30)}image:tag`;
  const slug = baseSlug(long);
  assert.equal(slug.length, 120);
  assert.match(slug, /-[0-9a-f]{8}$/);
  assert.notEqual(baseSlug(long + '2'), slug);
});

test('L0, alias, suffixed L1 and sidecar tags', () => {
  assert.equal(l0Tag('ubuntu:24.04'), 'terok-l0:ubuntu-24.04');
  assert.equal(l1AliasTag('ubuntu:24.04'), 'terok-l1-cli:ubuntu-24.04');
  assert.equal(l1Tag('ubuntu:24.04', ['codex', 'claude']), 'terok-l1-cli:ubuntu-24.04-claude-codex');
  assert.equal(l1Tag('ubuntu:24.04', ['claude', 'codex']), l1Tag('ubuntu:24.04', ['codex', 'claude']));
  assert.equal(l1Tag('ubuntu:24.04', []), 'terok-l1-cli:ubuntu-24.04-empty');
  assert.equal(l1Tag('fedora:44', ALL), 'terok-l1-cli:fedora-44-blablador-caddy-claude-codex-copilot-gh-glab-kisski-opencode-openrouter-pi-sonar-toad-vibe');
  assert.equal(l1SidecarTag('ubuntu:24.04'), 'terok-l1-sidecar:ubuntu-24.04');
  assert.equal(l1SidecarTag('nvidia/cuda:12.4'), 'terok-l1-sidecar:nvidia-cuda-12.4');
});

test('worst realistic base with 11 agents stays readable and within 128 characters', () => {
  const tag = l1Tag('nvidia/cuda:12.4.1-devel-ubuntu24.04', ALL.slice(0, 11));
  assert.ok(tag.length <= 128, tag);
  assert.ok(tag.includes('claude'), 'names stay readable');
});

test('overflow switches to a 12-hex digest: order-independent, selection-sensitive', () => {
  const base = 'x'.repeat(100);
  const a = l1Tag(base, ALL);
  assert.match(a, /^terok-l1-cli:x+-[0-9a-f]{12}$/);
  assert.equal(a, l1Tag(base, [...ALL].reverse()));
  assert.notEqual(a, l1Tag(base, ALL.slice(1)));
  assert.ok(a.length - 'terok-l1-cli:'.length <= 120);
});
