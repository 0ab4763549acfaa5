/**
 * The `terok-setup` command inside the packaged app. The binary's RunAsNode
 * fuse is off (build/fuses.ts), so the command cannot borrow Electron as a
 * plain node; instead the launcher (build/linux/terok-setup) starts the app
 * with `--terok-cli -- <args>` and Ozone's headless platform, and the main
 * process runs the same CLI as `node out/main/cli.js` would, then exits
 * with its code. No window, no single-instance lock: scripts may run the
 * command while the wizard is open.
 */
import { main as cliMain, processStreams } from '../cli/index.ts';

export const CLI_FLAG = '--terok-cli';

/** The CLI's arguments when the app was started as the command, else null. */
export function cliArgsOf(argv: readonly string[]): string[] | null {
  const at = argv.indexOf(CLI_FLAG);
  if (at < 0) return null;
  const rest = argv.slice(at + 1);
  return rest[0] === '--' ? rest.slice(1) : rest;
}

export interface CliAppLike {
  whenReady(): Promise<unknown>;
  exit(code: number): void;
}

export async function runCliMode(app: CliAppLike, args: string[], run: typeof cliMain = cliMain): Promise<number> {
  await app.whenReady();
  let code = 1;
  try {
    code = await run(args, processStreams());
  } finally {
    app.exit(code);
  }
  return code;
}
