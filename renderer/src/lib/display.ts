/** Text as a page shows it: the user's home as `~` (the same function the report uses). */
import { homeToTilde } from '../../../main/ipc/contract.ts';
import { wizard } from './wizard.svelte.ts';

let forHome: string | undefined;
let tilde: (text: string) => string = (text) => text;

export function shown(text: string): string {
  const home = wizard.info?.home;
  if (home !== forHome) { forHome = home; tilde = homeToTilde(home); }
  return tilde(text);
}
