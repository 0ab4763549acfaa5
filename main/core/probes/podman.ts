import { CommandError } from '../host/process.ts';
import { allInstallCommands, detectDistro, installCommand } from '../host/distro.ts';
import { which } from '../host/which.ts';
import type { Probe } from './types.ts';

export const MIN_PODMAN_VERSION: readonly [number, number] = [4, 3];
export const PODMAN_TIMEOUT_MS = 10_000;

/** First two dot-separated integers, or null when unparseable (counts as modern). */
export function parsePodmanVersion(text: string): [number, number] | null {
  const m = /^\s*(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** Install hints, computed while podman answers (they never delay the spawn). */
function installFacts() {
  const distro = detectDistro();
  return { distro: distro.name, installCommand: installCommand(distro.family, 'podman'), otherInstallCommands: allInstallCommands('podman') };
}

export const probePodman: Probe = async ({ ctx, signal }) => {
  const bin = which(ctx, 'podman');
  if (!bin) return { result: { name: 'podman', ok: false, message: 'not found on PATH' }, facts: { ...installFacts(), version: null, path: null } };
  const answer = ctx.run(bin, ['version', '--format', '{{.Client.Version}}'], { timeoutMs: PODMAN_TIMEOUT_MS, signal });
  const facts = { ...installFacts(), version: null as string | null, path: bin };
  let stdout: string;
  try {
    ({ stdout } = await answer);
  } catch (err) {
    const detail = err instanceof CommandError && err.reason === 'exit'
      ? err.stderrTail.trim() || 'non-zero exit'
      : (err as Error).message;
    return { result: { name: 'podman', ok: false, message: `found but not responding: ${detail}` }, facts };
  }
  const version = stdout.trim();
  facts.version = version;
  const parsed = parsePodmanVersion(version);
  if (parsed && (parsed[0] < MIN_PODMAN_VERSION[0] || (parsed[0] === MIN_PODMAN_VERSION[0] && parsed[1] < MIN_PODMAN_VERSION[1]))) {
    return {
      result: { name: 'podman', ok: true, message: `version ${version} is older than the tested minimum ${MIN_PODMAN_VERSION.join('.')} — unsupported; expect degraded behavior` },
      facts,
    };
  }
  return { result: { name: 'podman', ok: true, message: 'ok' }, facts };
};
