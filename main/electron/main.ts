/**
 * Electron main process entry: started as the `terok-setup` command
 * (`--terok-cli`, see cli-mode.ts) it runs the CLI and exits; otherwise it
 * is the desktop wizard (desktop.ts). Nothing else happens here.
 */
import { app } from 'electron';
import { cliArgsOf, runCliMode } from './cli-mode.ts';
import { startDesktopApp } from './desktop.ts';

const cliArgs = cliArgsOf(process.argv);
if (cliArgs) void runCliMode(app, cliArgs);
else startDesktopApp();
