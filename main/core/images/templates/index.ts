/** Terok Setup's own Dockerfile templates — the default template source for builds. */
import { defaultContextFiles } from './context-files.ts';
import { renderL0 } from './l0.ts';
import { renderL1 } from './l1.ts';
import { renderSidecar } from './sidecar.ts';
import type { ImageTemplateSource } from './types.ts';

export { renderL0, renderL1, renderSidecar, defaultContextFiles };
export * from './types.ts';

export const DEFAULT_TEMPLATES: ImageTemplateSource = {
  l0: renderL0,
  l1: renderL1,
  sidecar: renderSidecar,
  contextFiles: defaultContextFiles,
};
