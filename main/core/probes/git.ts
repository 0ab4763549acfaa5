import { detectDistro, installCommand } from '../host/distro.ts';
import { which } from '../host/which.ts';
import type { Probe } from './types.ts';

export const probeGit: Probe = async ({ ctx }) => {
  const bin = which(ctx, 'git');
  const facts = { path: bin, installCommand: installCommand(detectDistro().family, 'git') };
  if (!bin) return { result: { name: 'git', ok: false, message: 'not found on PATH — git gate disabled' }, facts };
  return { result: { name: 'git', ok: true, message: 'ok' }, facts };
};
