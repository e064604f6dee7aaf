import * as vscode from 'vscode';
import { COMMANDS, CommandId } from './commandTable';
import { Log } from './log';
import { UserError } from '../core/errors';

/** Any command's handler; `CommandHandlers` gives each id its own argument types. */
export type CommandHandler = (...args: never[]) => unknown;

/** A test event file as commands accept it: a Uri (explorer, CodeLens), a path, or `{ eventFile }`. */
export type EventFileArg = vscode.Uri | string | { readonly eventFile: string };

/**
 * The arguments each command takes when code runs it (the palette passes none; every argument
 * only skips a prompt). Commands not named here take at most one options object.
 */
export interface CommandArgs {
  'iotAuthz.runTestEvent': [event?: EventFileArg, selected?: readonly (vscode.Uri | string)[]];
  'iotAuthz.invokeLocally': [options?: { readonly authorizer?: string; readonly projectFile?: string; readonly eventFile?: string }];
  'iotAuthz.openResults': [run?: string | { readonly runId: string }];
  'iotAuthz.showHistory': [run?: string | { readonly runId: string }];
  'iotAuthz.copyPublicKey': [options?: { readonly keyName?: string; readonly workspaceFolder?: string }];
  'iotAuthz.generateKeyPair': [options?: { readonly keyName?: string; readonly bits?: number; readonly workspaceFolder?: string }];
  'iotAuthz.endpoint.copyUrl': [];
  'iotAuthz.endpoint.disconnect': [connection?: string | { readonly clientId: string } | { readonly view: { readonly clientId: string } }];
  'iotAuthz.endpoint.advanceClock': [duration?: string];
  'iotAuthz.showOutput': [];
  'iotAuthz.aws.signIn': [loginCommand?: string];
  'iotAuthz.aws.selectTarget': [];
  'iotAuthz.aws.deploy': [options?: { readonly authorizer?: string }];
  'iotAuthz.aws.testInvoke': [options?: { readonly eventFile?: string }];
  'iotAuthz.aws.removePublicKey': [options?: { readonly authorizer?: string; readonly keyName?: string }];
}

export type ArgsOf<K extends CommandId> = K extends keyof CommandArgs ? CommandArgs[K] : [options?: unknown];

/** One handler per command id, each with its own arguments (features.ts builds it). */
export type CommandHandlers = { readonly [K in CommandId]: (...args: ArgsOf<K>) => unknown };

/** Runs one of the extension's commands with arguments of its type (an unknown id does not compile). */
export function runCommand<K extends CommandId>(id: K, ...args: ArgsOf<K>): Thenable<unknown> {
  return vscode.commands.executeCommand(id, ...args);
}

/** A `vscode.Command` (CodeLens, tree item) for one of the extension's commands, typed like `runCommand`. */
export function commandRef<K extends CommandId>(id: K, title: string, args: ArgsOf<K>, tooltip?: string): vscode.Command {
  return { title, command: id, arguments: [...args], ...(tooltip !== undefined ? { tooltip } : {}) };
}

/** A command id checked against the table, for APIs that take a bare id (status bar items, `getCommands`). */
export function commandId<K extends CommandId>(id: K): K {
  return id;
}

/**
 * Registers one handler per command in the table (features.ts's Record type makes a missing
 * one a compile error). Every command runs through one wrapper that logs, times, and turns an
 * error into one readable message (secrets are redacted by the log).
 */
export function registerCommands(
  context: vscode.ExtensionContext,
  log: Log,
  /** Looked up when the command runs, so the handlers' module can load on first use. */
  handlerFor: (id: CommandId) => CommandHandler,
): void {
  for (const spec of COMMANDS) {
    context.subscriptions.push(
      vscode.commands.registerCommand(spec.id, async (...args: unknown[]) => {
        const started = Date.now();
        try {
          return await (handlerFor(spec.id) as (...a: unknown[]) => unknown)(...args);
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          log.error(`${spec.title} failed after ${Date.now() - started} ms: ${message}`);
          if (!(e instanceof UserError)) log.error(e instanceof Error && e.stack ? e.stack : message);
          void vscode.window.showErrorMessage(`${spec.title}: ${message}`);
          return undefined;
        }
      }),
    );
  }
}
