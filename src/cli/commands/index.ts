// The CLI's subcommands, in the order `iot-authz --help` lists them.
import { CliCommand } from '../args';
import { projectCommand } from './project';

export const CLI_COMMANDS: readonly CliCommand[] = [projectCommand];
