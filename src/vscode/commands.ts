import * as vscode from 'vscode';
import { COMMANDS, CommandId } from './commandTable';
import { Log } from './log';
import { UserError } from '../core/errors';

export type CommandHandler = (...args: unknown[]) => unknown;

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
          return await handlerFor(spec.id)(...args);
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
