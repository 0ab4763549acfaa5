/**
 * Image tag names, exactly as terok computes them (no content hashing: the tag
 * depends only on the base image string and the agent selection).
 */
import { createHash } from 'node:crypto';

export const DEFAULT_BASE_IMAGE = 'fedora:44';
const MAX_TAG = 120;

const sha1hex = (s: string) => createHash('sha1').update(s, 'utf8').digest('hex');

function slugify(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').toLowerCase();
}

export function normaliseBaseImage(base: string | null | undefined): string {
  const trimmed = (base ?? '').trim();
  return trimmed || DEFAULT_BASE_IMAGE;
}

export function baseSlug(base: string | null | undefined): string {
  const normalised = normaliseBaseImage(base);
  const slug = slugify(normalised) || 'fedora-44';
  if (slug.length <= MAX_TAG) return slug;
  return `${slug.slice(0, 111)}-${sha1hex(normalised).slice(0, 8)}`;
}

export const l0Tag = (base: string | null | undefined) => `terok-l0:${baseSlug(base)}`;
export const l1AliasTag = (base: string | null | undefined) => `terok-l1-cli:${baseSlug(base)}`;
export const l1SidecarTag = (base: string | null | undefined) => `terok-l1-sidecar:${baseSlug(base)}`;

/** L1 tag for an explicit selection (the suffixed tag a build creates). */
export function l1Tag(base: string | null | undefined, selection: readonly string[]): string {
  let slug = baseSlug(base);
  const names = [...selection].sort();
  let suffix = names.length ? names.map(slugify).join('-') : 'empty';
  if (slug.length + 1 + suffix.length > MAX_TAG) {
    suffix = sha1hex(names.join(',')).slice(0, 12);
    if (slug.length + 1 + suffix.length > MAX_TAG) slug = slug.slice(0, 107);
  }
  return `terok-l1-cli:${slug}-${suffix}`;
}
