/** Every `terok-setup` command, in the order `--help` lists them. Add new commands here. */
import type { CliCommand } from '../command.ts';
import { checkCommand } from './check.ts';
import { runCommand } from './run.ts';

export const COMMANDS: readonly CliCommand[] = [checkCommand, runCommand];
