/** Terok Setup's own Dockerfile templates — the default template source for builds. */
import { defaultContextFiles } from './context-files.ts';
import { renderL0 } from './l0.ts';
import { renderL1 } from './l1.ts';
import type { ImageTemplateSource } from './types.ts';

export { renderL0, renderL1, defaultContextFiles };
export { renderSidecar } from './sidecar.ts';
export * from './types.ts';

export const DEFAULT_TEMPLATES: ImageTemplateSource = {
  l0: renderL0,
  l1: renderL1,
  contextFiles: defaultContextFiles,
};
