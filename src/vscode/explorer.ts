// The "Authorizers" view: the authorizers of the workspace's iot-authorizer.json. It reads
// the project file only when the view asks for children, never at activation.
import * as path from 'path';
import * as vscode from 'vscode';
import { commandRef } from './commands';
import { AUTHORIZERS_VIEW_ID } from './ids';
import type { AuthorizerConfig, ProjectIssue } from '../core/project';
import { KEY_STORE_DIR, PROJECT_FILE_NAME } from '../core/constants';
import { listKeys, StoredKey } from '../core/keyStore';
import type { AwsTree, AwsTreeNode } from './awsTree';
import type { WorkspaceProjects } from './workspaceProjects';
import type { EndpointStatus } from './endpointHost';
import { EndpointChildView, EndpointConnectionView, EndpointDecisionView, endpointRootView } from './endpointView';

/** What the "Local endpoint" node reads (endpointCommands.ts). */
export interface EndpointTreeSource {
  readonly status: EndpointStatus;
  children(): EndpointChildView[];
}

export type ExplorerNode =
  | { kind: 'authorizer'; authorizer: AuthorizerConfig; projectFile: string }
  | { kind: 'detail'; label: string; description: string; icon: string; tooltip?: string; open?: { file: string; line?: number } }
  | { kind: 'issue'; issue: ProjectIssue; projectFile: string }
  | { kind: 'keys'; workspaceRoot: string; keys: readonly StoredKey[] }
  | { kind: 'key'; workspaceRoot: string; keyName: string; key: StoredKey }
  | { kind: 'endpoint' }
  | { kind: 'endpointChild'; view: EndpointChildView }
  | { kind: 'endpointDecision'; view: EndpointDecisionView }
  | { kind: 'endpointConnection'; view: EndpointConnectionView }
  | AwsTreeNode;

export class AuthorizerExplorer implements vscode.TreeDataProvider<ExplorerNode>, vscode.Disposable {
  static readonly viewId = AUTHORIZERS_VIEW_ID;
  private readonly changed = new vscode.EventEmitter<ExplorerNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private watcher: vscode.FileSystemWatcher | undefined;
  private keyWatcher: vscode.FileSystemWatcher | undefined;
  private aws: AwsTree | undefined;
  private endpoint: EndpointTreeSource | undefined;
  /** The one "Local endpoint" node object, so a new decision refreshes only that node. */
  private readonly endpointNode: ExplorerNode = { kind: 'endpoint' };
  private endpointNodeShown = false;

  /** Adds the "Local endpoint" node (state, address, registered authorizers, recent decisions). */
  attachEndpoint(source: EndpointTreeSource): void {
    this.endpoint = source;
    this.refresh();
  }

  /** Reads the project files through `projects`, as saved. */
  constructor(private readonly projects: WorkspaceProjects) {}

  /** Adds the AWS node (the account's authorizers), loaded only when expanded. */
  attachAws(tree: AwsTree): void {
    this.aws = tree;
    this.refresh();
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** Refreshes the "Local endpoint" node and its children only (a new decision). */
  refreshEndpoint(): void {
    this.changed.fire(this.endpointNodeShown ? this.endpointNode : undefined);
  }

  private watch(): void {
    if (this.watcher) return;
    this.watcher = vscode.workspace.createFileSystemWatcher(`**/${PROJECT_FILE_NAME}`);
    this.watcher.onDidChange(() => this.refresh());
    this.watcher.onDidCreate(() => this.refresh());
    this.watcher.onDidDelete(() => this.refresh());
    this.keyWatcher = vscode.workspace.createFileSystemWatcher(`**/${KEY_STORE_DIR}/**`);
    this.keyWatcher.onDidChange(() => this.refresh());
    this.keyWatcher.onDidCreate(() => this.refresh());
    this.keyWatcher.onDidDelete(() => this.refresh());
  }

  /** Project files at the root of each workspace folder. */
  projectFiles(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).map((f) => vscode.Uri.joinPath(f.uri, PROJECT_FILE_NAME).fsPath);
  }

  async getChildren(node?: ExplorerNode): Promise<ExplorerNode[]> {
    this.watch();
    if (!node) {
      const out: ExplorerNode[] = [];
      for (const file of this.projectFiles()) {
        const { project, issues } = this.projects.saved(file);
        const hasFile = !(!project && issues.some((i) => i.message.startsWith('Cannot read')));
        if (hasFile) {
          for (const issue of issues.filter((i) => i.severity === 'error')) out.push({ kind: 'issue', issue, projectFile: file });
          for (const authorizer of project?.authorizers ?? []) out.push({ kind: 'authorizer', authorizer, projectFile: file });
        }
        const workspaceRoot = path.dirname(file);
        const keys = await listKeys(workspaceRoot);
        // An empty key store stays out of the way of the welcome content.
        if (keys.length > 0 || (hasFile && out.length > 0)) out.push({ kind: 'keys', workspaceRoot, keys });
      }
      void vscode.commands.executeCommand('setContext', 'iotAuthz.hasProject', out.length > 0);
      // The AWS node only next to a project, so an empty workspace keeps its welcome content.
      this.endpointNodeShown = this.endpoint !== undefined && out.length > 0;
      if (this.endpointNodeShown) out.push(this.endpointNode);
      if (this.aws && out.length > 0) out.push({ kind: 'awsRoot' });
      return out;
    }
    if (node.kind.startsWith('aws')) return this.aws ? this.aws.getChildren(node as AwsTreeNode) : [];
    if (node.kind === 'endpoint') {
      return (this.endpoint?.children() ?? []).map((view) => ({ kind: 'endpointChild', view }));
    }
    if (node.kind === 'endpointChild') {
      if (node.view.kind === 'connections') return node.view.connections.map((view) => ({ kind: 'endpointConnection', view }));
      return node.view.kind === 'decisions' ? node.view.decisions.map((view) => ({ kind: 'endpointDecision', view })) : [];
    }
    if (node.kind === 'keys') return node.keys.map((key) => ({ kind: 'key', workspaceRoot: node.workspaceRoot, keyName: key.name, key }));
    if (node.kind !== 'authorizer') return [];
    const a = node.authorizer;
    return [
      { kind: 'detail', label: 'Handler', description: a.handler, icon: 'symbol-function', open: { file: a.handlerFile } },
      { kind: 'detail', label: 'Runtime', description: a.runtime, icon: a.language === 'python' ? 'symbol-namespace' : 'symbol-event' },
      { kind: 'detail', label: 'Token key', description: a.tokenKeyName ?? '(none)', icon: 'symbol-key' },
      {
        kind: 'detail',
        label: 'Signing',
        description: a.signingDisabled ? 'disabled' : `keys: ${a.signingKeys.join(', ') || '(none)'}`,
        icon: a.signingDisabled ? 'unlock' : 'lock',
      },
    ];
  }

  getTreeItem(node: ExplorerNode): vscode.TreeItem {
    switch (node.kind) {
      case 'awsRoot':
      case 'awsAuthorizer':
      case 'awsDetail':
      case 'awsKey':
      case 'awsMessage':
        return this.aws ? this.aws.getTreeItem(node) : new vscode.TreeItem('AWS');
      case 'endpoint': {
        const v = endpointRootView(this.endpoint?.status ?? { state: 'stopped' });
        const item = new vscode.TreeItem(v.label, v.expandable ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        // The id changes with the state so VS Code applies the collapsible state of each.
        item.id = `endpoint#${v.contextValue}`;
        item.description = v.description;
        item.tooltip = v.tooltip;
        item.iconPath = new vscode.ThemeIcon(v.icon, v.contextValue === 'endpoint.failed' ? new vscode.ThemeColor('errorForeground') : undefined);
        item.contextValue = v.contextValue;
        return item;
      }
      case 'endpointChild': {
        const v = node.view;
        const hasChildren = (v.kind === 'decisions' && v.decisions.length > 0) || (v.kind === 'connections' && v.connections.length > 0);
        const item = new vscode.TreeItem(v.label, hasChildren ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        item.description = v.description;
        if (v.kind === 'address') {
          item.id = 'endpoint#address';
          item.iconPath = new vscode.ThemeIcon('link');
          item.contextValue = 'endpointAddress';
          item.tooltip = `${v.url} (click to copy)`;
          item.command = commandRef('iotAuthz.endpoint.copyUrl', 'Copy Local Endpoint URL', []);
        } else if (v.kind === 'registered') {
          item.id = `endpoint#authorizer#${v.label}`;
          item.iconPath = new vscode.ThemeIcon('shield');
          item.contextValue = 'endpointAuthorizer';
        } else if (v.kind === 'decisions') {
          item.id = `endpoint#decisions#${v.decisions.length > 0 ? 'some' : 'none'}`;
          item.iconPath = new vscode.ThemeIcon('list-ordered');
          item.contextValue = 'endpointDecisions';
        } else if (v.kind === 'connections') {
          item.id = `endpoint#connections#${v.connections.length > 0 ? 'some' : 'none'}`;
          item.iconPath = new vscode.ThemeIcon('plug');
          item.contextValue = 'endpointConnections';
        } else {
          item.iconPath = new vscode.ThemeIcon('info');
        }
        return item;
      }
      case 'endpointConnection': {
        const v = node.view;
        const item = new vscode.TreeItem(v.label, vscode.TreeItemCollapsibleState.None);
        item.id = `endpoint#connection#${v.clientId}`;
        item.description = v.description;
        item.tooltip = v.tooltip;
        item.iconPath = new vscode.ThemeIcon('vm-connect');
        item.contextValue = 'endpointConnection';
        return item;
      }
      case 'endpointDecision': {
        const v = node.view;
        const item = new vscode.TreeItem(v.label, vscode.TreeItemCollapsibleState.None);
        item.description = v.description;
        item.tooltip = v.tooltip;
        item.iconPath = v.ended
          ? new vscode.ThemeIcon('debug-disconnect')
          : new vscode.ThemeIcon(v.allowed ? 'pass' : 'error', new vscode.ThemeColor(v.allowed ? 'testing.iconPassed' : 'errorForeground'));
        item.contextValue = 'endpointDecision';
        if (v.runId !== undefined) item.command = commandRef('iotAuthz.openResults', 'Open in Results Panel', [{ runId: v.runId }]);
        return item;
      }
      case 'authorizer': {
        const item = new vscode.TreeItem(node.authorizer.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `${node.projectFile}#${node.authorizer.name}`;
        item.description = `${node.authorizer.runtime}${node.authorizer.status === 'INACTIVE' ? ' · inactive' : ''}`;
        item.iconPath = new vscode.ThemeIcon('shield');
        item.contextValue = 'authorizer';
        item.tooltip = new vscode.MarkdownString(`**${node.authorizer.name}**\n\nHandler: \`${node.authorizer.handler}\``);
        return item;
      }
      case 'detail': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.description = node.description;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.tooltip = node.tooltip ?? `${node.label}: ${node.description}`;
        if (node.open) item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(node.open.file)] };
        return item;
      }
      case 'keys': {
        const item = new vscode.TreeItem('Signing keys', node.keys.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        item.id = `${node.workspaceRoot}#keys`;
        item.description = node.keys.length ? `${node.keys.length} in ${KEY_STORE_DIR}` : 'none yet';
        item.iconPath = new vscode.ThemeIcon('key');
        item.contextValue = 'signingKeys';
        return item;
      }
      case 'key': {
        const k = node.key;
        const item = new vscode.TreeItem(k.name, vscode.TreeItemCollapsibleState.None);
        item.id = `${node.workspaceRoot}#key#${k.name}`;
        item.description = k.problem ? 'unreadable' : `${k.bits}-bit · ${k.shortFingerprint}${k.hasPrivateKey ? '' : ' · public key only on disk'}`;
        item.iconPath = new vscode.ThemeIcon(k.problem ? 'warning' : 'key');
        item.contextValue = 'signingKey';
        item.tooltip = new vscode.MarkdownString(
          k.problem
            ? `**${k.name}**: ${k.problem}`
            : `**${k.name}** (${k.bits}-bit RSA)\n\nSHA-256 fingerprint \`${k.fingerprint}\`\n\n${k.hasPrivateKey ? 'Private key file: mode 0600, git-ignored.' : 'No private key file: it is in SecretStorage, or only the public key was imported.'}`,
        );
        if (k.hasPublicKey) item.command = { command: 'vscode.open', title: 'Open public key', arguments: [vscode.Uri.file(k.publicKeyFile)] };
        return item;
      }
      case 'issue': {
        const item = new vscode.TreeItem(node.issue.message, vscode.TreeItemCollapsibleState.None);
        item.description = `${PROJECT_FILE_NAME}:${node.issue.line}`;
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
        item.tooltip = `${node.issue.jsonPath}: ${node.issue.message}`;
        item.command = {
          command: 'vscode.open',
          title: 'Open',
          arguments: [
            vscode.Uri.file(node.projectFile),
            { selection: new vscode.Range(node.issue.line - 1, node.issue.column - 1, node.issue.line - 1, node.issue.column - 1) },
          ],
        };
        return item;
      }
    }
  }

  dispose(): void {
    this.watcher?.dispose();
    this.keyWatcher?.dispose();
    this.changed.dispose();
  }
}
