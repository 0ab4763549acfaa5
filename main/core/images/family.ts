/**
 * Package family (deb or rpm) of a base image, decided from its name the way
 * terok does: an explicit override wins, otherwise a fixed table of known
 * image names. Nothing is pulled or inspected.
 */
import type { PackageFamily } from '../settings.ts';
import { ImageBuildError } from './errors.ts';
import { normaliseBaseImage } from './tags.ts';
import { quoteInput } from '../validate.ts';

export type { PackageFamily };

const RPM_DISTRO_HINT = /almalinux|centos|rhel|rocky|ubi/;
const UBI_TAG = /ubi\d+/;

interface FamilyRule {
  /** Matches the name itself or any name below it (`<prefix>/…`). */
  prefix: string;
  family: (name: string, tag: string) => PackageFamily;
}

const always = (f: PackageFamily) => () => f;
const rpmIfUbiTag = (_name: string, tag: string): PackageFamily => (UBI_TAG.test(tag) ? 'rpm' : 'deb');
const rpmIfRhelLike = (name: string, tag: string): PackageFamily => (RPM_DISTRO_HINT.test(`${name}:${tag}`) ? 'rpm' : 'deb');

/** Checked in order; the first match decides. */
const FAMILY_RULES: readonly FamilyRule[] = [
  { prefix: 'registry.fedoraproject.org/fedora', family: always('rpm') },
  { prefix: 'quay.io/podman', family: always('rpm') },
  { prefix: 'nvcr.io/nvidia', family: rpmIfUbiTag },
  { prefix: 'nvidia', family: rpmIfUbiTag },
  { prefix: 'rocm', family: rpmIfRhelLike },
  { prefix: 'intel', family: rpmIfRhelLike },
  { prefix: 'ubuntu', family: always('deb') },
  { prefix: 'debian', family: always('deb') },
  { prefix: 'fedora', family: always('rpm') },
];

/**
 * Split a reference into name and tag. A digest (`@sha256:…`) is dropped; a
 * `:` is a tag separator only after the last `/`, so `host:5000/x` keeps its port.
 */
export function splitImageReference(ref: string): { name: string; tag: string } {
  const withoutDigest = ref.split('@', 1)[0] ?? '';
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  if (colon < 0) return { name: withoutDigest, tag: '' };
  return { name: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1) };
}

// ---- what an image reference is ---------------------------------------------------
// The distribution reference grammar podman parses (containers/image docker/reference):
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [ domain "/" ] path-component { "/" path-component }
// The first component is a domain only when it has a '.' or a ':' or is
// "localhost", and more components follow.

/** The longest reference accepted (the grammar's NameTotalLengthMax). */
export const MAX_IMAGE_REFERENCE = 255;
const DOMAIN_LABEL = '(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)';
const DOMAIN = new RegExp(`^(?:${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*|\\[[0-9A-Fa-f:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}$/;

/**
 * Why `ref` is not an image reference podman would accept, in words for a
 * message (it never quotes `ref`: callers quote it through quoteInput), or
 * null when it is one — `ubuntu:24.04`, `fedora:44`,
 * `registry.example.com:5000/team/image:tag`, `name@sha256:<hex>`.
 */
export function imageReferenceProblem(ref: string): string | null {
  if (!ref) return 'it is empty';
  if (ref.length > MAX_IMAGE_REFERENCE) return `it is longer than ${MAX_IMAGE_REFERENCE} characters`;
  if (/[\s\p{Cc}]/u.test(ref)) return 'it contains spaces or control characters';
  const at = ref.indexOf('@');
  const beforeDigest = at < 0 ? ref : ref.slice(0, at);
  if (at >= 0 && !DIGEST.test(ref.slice(at + 1))) return "the digest after '@' must look like sha256:<64 hex digits>";
  const lastSlash = beforeDigest.lastIndexOf('/');
  const colon = beforeDigest.indexOf(':', lastSlash + 1);
  const name = colon < 0 ? beforeDigest : beforeDigest.slice(0, colon);
  if (colon >= 0 && !TAG.test(beforeDigest.slice(colon + 1))) {
    return "the tag after ':' must be letters, digits, '_', '.' and '-' (at most 128, not starting with '.' or '-')";
  }
  const components = name.split('/');
  const first = components[0]!;
  const hasDomain = components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasDomain && !DOMAIN.test(first)) return `the registry host must be a host name with an optional :port`;
  const repo = hasDomain ? components.slice(1) : components;
  if (repo.some((c) => c === '')) return "a name part is empty (a '/' at either end, or two in a row)";
  if (repo.some((c) => /[A-Z]/.test(c))) return 'repository names must be lowercase';
  if (!repo.every((c) => PATH_COMPONENT.test(c))) return "name parts may hold only lowercase letters, digits and single '.', '_', '__' or '-' separators between them";
  return null;
}

function stripDockerHubPrefix(name: string): string {
  for (const prefix of ['docker.io/library/', 'docker.io/']) {
    if (name.startsWith(prefix)) return name.slice(prefix.length);
  }
  return name;
}

/** The family the name table gives, or null for an image it does not know. */
export function knownFamily(baseImage: string | null | undefined): PackageFamily | null {
  const split = splitImageReference(normaliseBaseImage(baseImage).toLowerCase());
  const name = stripDockerHubPrefix(split.name);
  for (const rule of FAMILY_RULES) {
    if (name === rule.prefix || name.startsWith(rule.prefix + '/')) return rule.family(name, split.tag);
  }
  return null;
}

/** Validates an override from untrusted input; null/undefined/'' mean "detect". */
export function parseFamilyOverride(value: unknown): PackageFamily | null {
  if (value === null || value === undefined || value === '') return null;
  if (value === 'deb' || value === 'rpm') return value;
  throw new ImageBuildError('invalid-family', `family must be 'deb' or 'rpm', got ${quoteInput(value)}`, {
    hint: 'Choose deb (Debian, Ubuntu) or rpm (Fedora, RHEL-like) as the package family.',
  });
}

/** The override if given, else the detected family; unknown images are an error. */
export function resolveFamily(baseImage: string | null | undefined, override?: unknown): PackageFamily {
  const forced = parseFamilyOverride(override);
  if (forced) return forced;
  const detected = knownFamily(baseImage);
  if (detected) return detected;
  const shown = quoteInput(normaliseBaseImage(baseImage));
  throw new ImageBuildError(
    'unknown-family',
    `Cannot infer package family for base image ${shown}. Set \`family: deb\` or \`family: rpm\` under image: in project.yml.`,
    { hint: `Pick the package family that matches ${shown} (deb for Debian/Ubuntu-based, rpm for Fedora/RHEL-based) in the wizard's settings, or pass --family deb|rpm.` },
  );
}
