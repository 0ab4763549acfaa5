import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImageBuildError } from '../../../main/core/images/errors.ts';
import { renderFragment } from '../../../main/core/images/fragments.ts';

const PKG = 'RUN {% if family == "rpm" %}dnf install -y gh{% else %}apt-get install -y gh{% endif %}';

test('if/else picks the branch for the family', () => {
  assert.equal(renderFragment(PKG, { family: 'rpm' }, 'gh'), 'RUN dnf install -y gh');
  assert.equal(renderFragment(PKG, { family: 'deb' }, 'gh'), 'RUN apt-get install -y gh');
});

test('{{ family }}, != , elif and nesting', () => {
  assert.equal(renderFragment('echo {{ family }}', { family: 'deb' }, 'x'), 'echo deb');
  assert.equal(renderFragment("{% if family != 'deb' %}A{% endif %}", { family: 'deb' }, 'x'), '');
  const chain = "{% if family == 'x' %}X{% elif family == 'rpm' %}R{% else %}D{% endif %}";
  assert.equal(renderFragment(chain, { family: 'rpm' }, 'x'), 'R');
  assert.equal(renderFragment(chain, { family: 'deb' }, 'x'), 'D');
  const nested = "{% if family == 'deb' %}a{% if family != 'rpm' %}b{% else %}c{% endif %}{% else %}d{% endif %}";
  assert.equal(renderFragment(nested, { family: 'deb' }, 'x'), 'ab');
  assert.equal(renderFragment(nested, { family: 'rpm' }, 'x'), 'd');
});

test('whitespace-trim markers and comments', () => {
  const text = 'RUN a \\\n  {%- if family == "deb" %} && b{% endif %}{# note #}';
  assert.equal(renderFragment(text, { family: 'deb' }, 'x'), 'RUN a \\ && b');
});

test('multi-line fragments keep their lines', () => {
  const text = 'RUN one\n{% if family == "deb" %}RUN deb-only\n{% endif %}RUN two\n';
  assert.equal(renderFragment(text, { family: 'deb' }, 'x'), 'RUN one\nRUN deb-only\nRUN two\n');
  assert.equal(renderFragment(text, { family: 'rpm' }, 'x'), 'RUN one\nRUN two\n');
});

test('unsupported syntax fails loudly, naming the entry', () => {
  for (const bad of ['{{ version }}', '{% for x in y %}{% endfor %}', '{% if arch == "x" %}{% endif %}', '{% if family == "deb" %}', '{% endif %}', '{% else %}']) {
    assert.throws(() => renderFragment(bad, { family: 'deb' }, 'claude'), (err: unknown) =>
      err instanceof ImageBuildError && err.code === 'template-error' && err.message.startsWith("install fragment of 'claude'"), bad);
  }
});
