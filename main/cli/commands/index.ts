/** Every `terok-setup` command, in the order `--help` lists them. Add new commands here. */
import type { CliCommand } from '../command.ts';
import { buildCommand } from './build.ts';
import { checkCommand } from './check.ts';
import { runCommand } from './run.ts';
import { installCommand } from './install.ts';
import { installPrereqsCommand } from './install-prereqs.ts';
import { uninstallCommand } from './uninstall.ts';
import { routesCommand } from './routes.ts';
import { agentsCommand } from './agents.ts';
import { authCommand } from './auth.ts';
import { sshKeyCommand } from './ssh-key.ts';
import { unlockCommand } from './unlock.ts';

export const COMMANDS: readonly CliCommand[] = [checkCommand, runCommand, buildCommand, installCommand, installPrereqsCommand, uninstallCommand, routesCommand, agentsCommand, unlockCommand, sshKeyCommand, authCommand];
