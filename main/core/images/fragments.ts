/**
 * Renders the roster's install fragments for a package family. The fragments
 * are Jinja in terok; they only ever branch on `family`, so this supports
 * exactly that subset — `{{ family }}`, `{% if family == 'deb' %}` (also
 * `!=`), `{% elif … %}`, `{% else %}`, `{% endif %}`, `{# comments #}` and
 * the `-` whitespace-trim markers — and rejects anything else loudly rather
 * than emitting a Dockerfile with template syntax in it.
 */
import type { PackageFamily } from '../settings.ts';
import { ImageBuildError } from './errors.ts';

export interface FragmentVars {
  family: PackageFamily;
}

const TOKEN = /(\{\{-?[\s\S]*?-?\}\}|\{%-?[\s\S]*?-?%\}|\{#[\s\S]*?#\})/;
const CONDITION = /^family\s*(==|!=)\s*(['"])([a-z0-9_-]*)\2$/;

interface Branch {
  /** Whether an earlier branch of this if-chain already matched. */
  taken: boolean;
  /** Whether the enclosing context emits output. */
  parentActive: boolean;
  active: boolean;
  sawElse: boolean;
}

function templateError(owner: string, message: string): ImageBuildError {
  return new ImageBuildError('template-error', `install fragment of '${owner}': ${message}`, {
    hint: `Fix the install: block of '${owner}' in the roster YAML; fragments may only use {{ family }} and {% if family == 'deb' %} … {% endif %}.`,
  });
}

export function renderFragment(text: string, vars: FragmentVars, owner: string): string {
  const parts = text.split(TOKEN);
  const stack: Branch[] = [];
  const active = () => stack.at(-1)?.active ?? true;
  let out = '';
  let trimNextLeading = false;

  const evaluate = (expr: string): boolean => {
    const m = CONDITION.exec(expr);
    if (!m) throw templateError(owner, `unsupported condition '${expr}'`);
    return m[1] === '==' ? vars.family === m[3] : vars.family !== m[3];
  };

  for (const part of parts) {
    const isTag = /^\{[{%#]/.test(part);
    if (!isTag) {
      const literal = trimNextLeading ? part.replace(/^\s+/, '') : part;
      trimNextLeading = false;
      if (active()) out += literal;
      continue;
    }
    if (part.startsWith('{{-') || part.startsWith('{%-')) out = active() ? out.replace(/\s+$/, '') : out;
    trimNextLeading = part.endsWith('-}}') || part.endsWith('-%}');
    if (part.startsWith('{#')) continue;
    const inner = part.slice(2, -2).replace(/^-|-$/g, '').trim();
    if (part.startsWith('{{')) {
      if (inner !== 'family') throw templateError(owner, `unknown variable '${inner}'`);
      if (active()) out += vars.family;
      continue;
    }
    const [keyword = '', ...rest] = inner.split(/\s+/);
    const expr = rest.join(' ');
    const top = stack.at(-1);
    switch (keyword) {
      case 'if': {
        const parentActive = active();
        const matched = evaluate(expr);
        stack.push({ taken: matched, parentActive, active: parentActive && matched, sawElse: false });
        break;
      }
      case 'elif': {
        if (!top || top.sawElse) throw templateError(owner, "'elif' without a matching 'if'");
        const matched = !top.taken && evaluate(expr);
        top.active = top.parentActive && matched;
        top.taken ||= matched;
        break;
      }
      case 'else':
        if (!top || top.sawElse) throw templateError(owner, "'else' without a matching 'if'");
        top.active = top.parentActive && !top.taken;
        top.taken = true;
        top.sawElse = true;
        break;
      case 'endif':
        if (!stack.pop()) throw templateError(owner, "'endif' without a matching 'if'");
        break;
      default:
        throw templateError(owner, `unsupported tag '{% ${inner} %}'`);
    }
  }
  if (stack.length) throw templateError(owner, "'if' without 'endif'");
  return out;
}
