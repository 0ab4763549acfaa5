/** How a state reads in a notice: red only for what failed, neutral for what is simply not set up yet. */
import type { SidebarState } from './wizard.svelte.ts';

export type Tone = 'ok' | 'warn' | 'fail' | 'info';

const TONES: Record<SidebarState, Tone> = {
  ok: 'ok', warning: 'warn', failed: 'fail', todo: 'info', skipped: 'info', blocked: 'info', pending: 'info', checking: 'info', working: 'info',
};

export const toneOf = (state: SidebarState): Tone => TONES[state];
