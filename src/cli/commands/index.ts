// The CLI's subcommands, in the order `iot-authz --help` lists them.
import { CliCommand } from '../args';
import { deployCommand } from './deploy';
import { endpointCommand } from './endpoint';
import { fleetCommand } from './fleet';
import { invokeCommand } from './invoke';
import { keygenCommand } from './keygen';
import { newCommand } from './new';
import { projectCommand } from './project';
import { signCommand } from './sign';
import { testInvokeCommand } from './testInvoke';
import { verifyCommand } from './verify';

export const CLI_COMMANDS: readonly CliCommand[] = [
  projectCommand,
  newCommand,
  invokeCommand,
  keygenCommand,
  signCommand,
  verifyCommand,
  deployCommand,
  testInvokeCommand,
  endpointCommand,
  fleetCommand,
];
