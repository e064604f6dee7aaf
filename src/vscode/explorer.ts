// The "Authorizers" view: the authorizers of the workspace's iot-authorizer.json. It reads
// the project file only when the view asks for children, never at activation.
import * as vscode from 'vscode';
import { AuthorizerConfig, loadProject, ProjectIssue } from '../core/project';
import { PROJECT_FILE_NAME } from '../core/constants';

export type ExplorerNode =
  | { kind: 'authorizer'; authorizer: AuthorizerConfig; projectFile: string }
  | { kind: 'detail'; label: string; description: string; icon: string; tooltip?: string; open?: { file: string; line?: number } }
  | { kind: 'issue'; issue: ProjectIssue; projectFile: string };

export class AuthorizerExplorer implements vscode.TreeDataProvider<ExplorerNode>, vscode.Disposable {
  static readonly viewId = 'iotAuthz.authorizers';
  private readonly changed = new vscode.EventEmitter<ExplorerNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private watcher: vscode.FileSystemWatcher | undefined;

  refresh(): void {
    this.changed.fire(undefined);
  }

  private watch(): void {
    if (this.watcher) return;
    this.watcher = vscode.workspace.createFileSystemWatcher(`**/${PROJECT_FILE_NAME}`);
    this.watcher.onDidChange(() => this.refresh());
    this.watcher.onDidCreate(() => this.refresh());
    this.watcher.onDidDelete(() => this.refresh());
  }

  /** Project files at the root of each workspace folder. */
  projectFiles(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).map((f) => vscode.Uri.joinPath(f.uri, PROJECT_FILE_NAME).fsPath);
  }

  getChildren(node?: ExplorerNode): ExplorerNode[] {
    this.watch();
    if (!node) {
      const out: ExplorerNode[] = [];
      for (const file of this.projectFiles()) {
        const { project, issues } = loadProject(file);
        if (!project && issues.some((i) => i.message.startsWith('Cannot read'))) continue;
        for (const issue of issues.filter((i) => i.severity === 'error')) out.push({ kind: 'issue', issue, projectFile: file });
        for (const authorizer of project?.authorizers ?? []) out.push({ kind: 'authorizer', authorizer, projectFile: file });
      }
      void vscode.commands.executeCommand('setContext', 'iotAuthz.hasProject', out.length > 0);
      return out;
    }
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
    this.changed.dispose();
  }
}
