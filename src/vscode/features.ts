// Builds the editor features and the command handlers. Constructors here are cheap: each
// feature does its I/O when first used, so activation stays fast.
import * as vscode from 'vscode';
import { CommandId } from './commandTable';
import { CommandHandler } from './commands';
import { Log } from './log';
import { AuthorizerExplorer } from './explorer';

export interface Features {
  readonly log: Log;
  readonly handlers: Record<CommandId, CommandHandler>;
  register(): void;
  readonly testApi: { explorer: AuthorizerExplorer };
}

export function createFeatures(context: vscode.ExtensionContext): Features {
  const log = new Log();
  const explorer = new AuthorizerExplorer();
  context.subscriptions.push(log, explorer);

  const handlers: Record<CommandId, CommandHandler> = {
    'iotAuthz.showOutput': () => {
      log.show();
      log.info('IoT Custom Authorizer Toolkit is ready.');
      vscode.window.setStatusBarMessage('$(shield) IoT Authorizer: output shown', 10000);
      return 'shown';
    },
    'iotAuthz.refreshExplorer': () => {
      explorer.refresh();
      return 'refreshed';
    },
    'iotAuthz.openWalkthrough': () =>
      vscode.commands.executeCommand(
        'workbench.action.openWalkthrough',
        `${context.extension.id}#iotAuthz.gettingStarted`,
        false,
      ),
  };

  return {
    log,
    handlers,
    register() {
      context.subscriptions.push(
        vscode.window.createTreeView(AuthorizerExplorer.viewId, { treeDataProvider: explorer, showCollapseAll: true }),
      );
    },
    testApi: { explorer },
  };
}
