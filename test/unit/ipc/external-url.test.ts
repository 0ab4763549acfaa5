/** Which links the app hands to the user's browser, and in what form (shell:open-external and window.open). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../../main/core/engine.ts';
import { createHandlers, dispatch, EXTERNAL_LINK_HOSTS, externalUrl } from '../../../main/ipc/handlers.ts';
import { recordingDesktop } from '../../support/desktop.ts';
import { createSandboxHost } from '../../support/host.ts';

test('allow-listed https links are accepted and come back as their normalised href', () => {
  assert.deepEqual(EXTERNAL_LINK_HOSTS, ['podman.io', 'github.com', 'terok.ai', 'docs.terok.ai'], 'the allow-list is unchanged');
  assert.equal(externalUrl('https://podman.io/docs/installation'), 'https://podman.io/docs/installation');
  assert.equal(externalUrl('https://docs.terok.ai/x?y=1#z'), 'https://docs.terok.ai/x?y=1#z');
  assert.equal(externalUrl('https://api.github.com/repos'), 'https://api.github.com/repos', 'a subdomain of an allowed host');
  assert.equal(externalUrl('HTTPS://GitHub.COM/terok-ai'), 'https://github.com/terok-ai');
  assert.equal(externalUrl('https://github.com/a b'), 'https://github.com/a%20b', 'an inner space is encoded, not passed raw');
  assert.equal(externalUrl('https://evil.example\\@github.com/'), null, 'a backslash ends the host for URL: the host is evil.example');
});

test('a port is refused; an explicit :443 is normalised away by URL, so the href carries none', () => {
  assert.equal(externalUrl('https://github.com:8443/x'), null);
  assert.equal(externalUrl('https://github.com:1/'), null);
  assert.equal(externalUrl('https://github.com:443/x'), 'https://github.com/x');
});

test('a user name or password is refused', () => {
  assert.equal(externalUrl('https://user:pw@github.com/'), null);
  assert.equal(externalUrl('https://user@github.com/'), null);
  assert.equal(externalUrl('https://:pw@github.com/'), null);
  assert.equal(externalUrl('https://github.com@evil.example/'), null);
});

test('surrounding whitespace and control characters are refused, not trimmed and accepted', () => {
  for (const raw of [' https://github.com/', 'https://github.com/ ', 'https://github.com/\n', '\thttps://github.com/', 'https://github.com/\u00a0',
    'https://git\nhub.com/', 'https://github.com/a\tb', 'https://github.com/\u0000', 'https://github.com/\u007f', 'https://github.com/\u0085', '\u2028https://github.com/']) {
    assert.equal(externalUrl(raw), null, JSON.stringify(raw));
  }
});

test('other schemes, unknown hosts and lookalike hosts are refused', () => {
  for (const raw of ['http://github.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,x', 'ftp://github.com/', '//github.com/', 'github.com', '',
    'https://evil.example/', 'https://github.com.evil.example/', 'https://evilgithub.com/', 'https://github.com./', 'https://github.co/',
    'https://github.com%2eevil.example/',
    // IDN: a Cyrillic і (U+0456) becomes punycode, which is no allowed host.
    'https://gіthub.com/', 'https://xn--gthub-n4a.com/']) {
    assert.equal(externalUrl(raw), null, JSON.stringify(raw));
  }
  // Fullwidth letters are mapped by IDNA to the ASCII host itself: what is opened is the plain href.
  assert.equal(externalUrl('https://ｇithub.com/x'), 'https://github.com/x');
});

test('shell:open-external passes url.href to the desktop and refuses the rest with a bounded message', async (t) => {
  const host = createSandboxHost();
  t.after(() => host.cleanup());
  const desktop = recordingDesktop();
  const table = createHandlers(new Engine(host.ctx), desktop);
  assert.deepEqual(await dispatch(table, 'shell:open-external', { url: 'https://GitHub.com:443/terok-ai' }), { ok: true, value: { opened: true } });
  for (const url of ['https://github.com:8443/x', 'https://user:pw@github.com/', ' https://github.com/', 'https://github.com/\n', 'http://github.com/', 'javascript:alert(1)']) {
    const r = await dispatch(table, 'shell:open-external', { url });
    assert.equal(r.ok, false, JSON.stringify(url));
  }
  const huge = `https://evil.example/${'a'.repeat(2000)}`;
  const r = await dispatch(table, 'shell:open-external', { url: huge });
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'invalid-request');
  assert.match(r.error.message, /^Terok Setup opens only https links to podman\.io, github\.com, terok\.ai, docs\.terok\.ai \(no port, no user name or password\); refused "https:\/\/evil\.example\/a+…"$/);
  assert.ok(r.error.message.length < 250, `bounded: ${r.error.message.length} characters`);
  const nl = await dispatch(table, 'shell:open-external', { url: 'https://github.com/\nInjected: line' });
  assert.ok(!nl.ok && !nl.error.message.includes('\n'), 'a newline in the link is quoted, not echoed');
  assert.deepEqual(desktop.opened, ['https://github.com/terok-ai'], 'only the href of the accepted link');
});
