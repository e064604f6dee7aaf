// Builds the editor features and the command handlers. Constructors here are cheap: each
// feature does its I/O when first used, so activation stays fast. Each feature module
// contributes the handlers of its own commands; together they must cover the command table.
import * as vscode from 'vscode';
import { DecisionStream } from '../core/decisions';
import { CommandHandlers } from './commands';
import { Log } from './log';
import { AuthorizerExplorer } from './explorer';
import { AwsFeature } from './awsCommands';
import { EndpointFeature } from './endpointCommands';
import { publishRuns } from './runPublisher';
import { RunStore } from './runStore';
import { WorkspaceProjects } from './workspaceProjects';
import { LocalInvokeFeature } from './invokeCommands';
import { keyCommandHandlers } from './keyCommands';
import { tokenCommandHandlers } from './tokenCommands';
import { resultsPanelHandlers } from './panel/panelCommands';
import { ResultsPanel } from './panel/resultsPanel';

/** What feature modules share. Everything here is cheap to construct. */
export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly log: Log;
  readonly explorer: AuthorizerExplorer;
  readonly runs: RunStore;
  /** The one reader of the workspace's iot-authorizer.json files (cached until they change). */
  readonly projects: WorkspaceProjects;
  /** The local endpoint's decisions (connections, publishes, refreshes): a stream, not the run history. */
  readonly decisions: DecisionStream;
}

export interface Features {
  readonly log: Log;
  readonly handlers: CommandHandlers;
  /** The shell's tree view, CodeLens provider and panel serializer delegate to these. */
  readonly explorer: AuthorizerExplorer;
  readonly lenses: vscode.CodeLensProvider;
  readonly results: ResultsPanel;
  /** Starts the listeners (diagnostics, run store → panel). */
  register(): void;
  readonly testApi: { explorer: AuthorizerExplorer; runs: RunStore; results: ResultsPanel; endpoint: EndpointFeature };
}

function generalHandlers(s: Services) {
  return {
    'iotAuthz.showOutput': () => {
      // The line first, then the reveal: the output view then loads a channel that already has it.
      s.log.info('IoT Custom Authorizer Toolkit is ready.');
      s.log.show();
      vscode.window.setStatusBarMessage('$(shield) IoT Authorizer: output shown', 10000);
      return 'shown';
    },
    'iotAuthz.refreshExplorer': () => {
      s.explorer.refresh();
      return 'refreshed';
    },
    'iotAuthz.openWalkthrough': () =>
      vscode.commands.executeCommand('workbench.action.openWalkthrough', `${s.context.extension.id}#iotAuthz.gettingStarted`, false),
  } satisfies Partial<CommandHandlers>;
}

export function createFeatures(context: vscode.ExtensionContext, log: Log): Features {
  const projects = new WorkspaceProjects();
  const explorer = new AuthorizerExplorer(projects);
  const runs = new RunStore(context.workspaceState);
  context.subscriptions.push(projects, explorer, runs);
  const services: Services = { context, log, explorer, runs, decisions: new DecisionStream(), projects };
  const localInvoke = new LocalInvokeFeature(services);
  context.subscriptions.push(publishRuns(services, localInvoke.diagnostics));
  const results = new ResultsPanel(services);
  const aws = new AwsFeature(services);
  context.subscriptions.push(aws);
  const endpoint = new EndpointFeature(services);
  context.subscriptions.push(endpoint);

  const handlers: CommandHandlers = {
    ...generalHandlers(services),
    ...localInvoke.handlers(),
    ...keyCommandHandlers(services),
    ...tokenCommandHandlers(services),
    ...resultsPanelHandlers(services, results),
    ...aws.handlers(),
    ...endpoint.handlers(),
  };

  return {
    log,
    handlers,
    explorer,
    lenses: localInvoke.lenses,
    results,
    register() {
      localInvoke.register();
      results.register();
      aws.register();
      explorer.attachEndpoint(endpoint);
    },
    testApi: { explorer, runs, results, endpoint },
  };
}
