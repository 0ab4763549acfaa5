/**
 * Package family (deb or rpm) of a base image, decided from its name the way
 * terok does: an explicit override wins, otherwise a fixed table of known
 * image names. Nothing is pulled or inspected.
 */
import type { PackageFamily } from '../settings.ts';
import { ImageBuildError } from './errors.ts';
import { normaliseBaseImage } from './tags.ts';

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
  throw new ImageBuildError('invalid-family', `family must be 'deb' or 'rpm', got '${String(value)}'`, {
    hint: 'Choose deb (Debian, Ubuntu) or rpm (Fedora, RHEL-like) as the package family.',
  });
}

/** The override if given, else the detected family; unknown images are an error. */
export function resolveFamily(baseImage: string | null | undefined, override?: unknown): PackageFamily {
  const forced = parseFamilyOverride(override);
  if (forced) return forced;
  const detected = knownFamily(baseImage);
  if (detected) return detected;
  const shown = normaliseBaseImage(baseImage);
  throw new ImageBuildError(
    'unknown-family',
    `Cannot infer package family for base image '${shown}'. Set \`family: deb\` or \`family: rpm\` under image: in project.yml.`,
    { hint: `Pick the package family that matches '${shown}' (deb for Debian/Ubuntu-based, rpm for Fedora/RHEL-based) in the wizard's settings, or pass --family deb|rpm.` },
  );
}
