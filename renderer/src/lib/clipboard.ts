/** Copying goes through main (Electron's clipboard): the page itself holds no clipboard permission. */
import { api, unwrap } from './api.ts';

export async function copyText(text: string): Promise<void> {
  await unwrap(api().copyText({ text }));
}
