import assert from 'node:assert/strict';
import { test } from 'node:test';
import { homeToTilde } from '../../../main/core/host/tilde.ts';

test('homeToTilde: the home where it starts a path becomes ~, a longer name sharing the prefix does not', () => {
  const t = homeToTilde('/home/ann/');
  assert.equal(t('/home/ann/.local/share/terok/setup.stamp'), '~/.local/share/terok/setup.stamp');
  assert.equal(t('From /home/ann/.config/containers/containers.conf and /home/ann'), 'From ~/.config/containers/containers.conf and ~');
  assert.equal(t('/home/anna/x'), '/home/anna/x');
  assert.equal(t('/usr/bin/podman'), '/usr/bin/podman');
});

test('homeToTilde: no home, or / as home, changes nothing', () => {
  assert.equal(homeToTilde(undefined)('/home/ann/x'), '/home/ann/x');
  assert.equal(homeToTilde('/')('/etc/terok'), '/etc/terok');
});
