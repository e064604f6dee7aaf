// The AWS node of the Authorizers view: the target's account/region, its authorizers (paged)
// with status, default, signing, token key, function, and public keys matched by fingerprint
// against the workspace's keys. Nothing is read until the node is expanded; errors show in the
// tree as a node (an expired sign-in offers "Sign In").
import * as vscode from 'vscode';
import { describeKeyMatch, matchAwsKeys, MatchedAwsKey } from '../core/keyMatch';
import { listKeys } from '../core/keyStore';
import type { AuthorizerDetails, AwsTarget } from '../aws';
import { AwsTargetStore, SELECT_TARGET_COMMAND } from './awsTarget';
import { commandRef } from './commands';

export interface AwsAuthorizerNode {
  readonly kind: 'awsAuthorizer';
  readonly details: AuthorizerDetails;
  readonly isDefault: boolean;
  readonly target: AwsTarget;
}

export type AwsTreeNode =
  | { readonly kind: 'awsRoot' }
  | AwsAuthorizerNode
  | { readonly kind: 'awsDetail'; readonly label: string; readonly description: string; readonly icon: string; readonly tooltip?: string }
  | { readonly kind: 'awsKey'; readonly key: MatchedAwsKey; readonly authorizer: AwsAuthorizerNode }
  | { readonly kind: 'awsMessage'; readonly message: string; readonly error: boolean; readonly signIn?: string };

export function isAwsNode(node: { kind: string }): node is AwsTreeNode {
  return node.kind.startsWith('aws');
}

interface Loaded {
  readonly target: AwsTarget;
  readonly authorizers: readonly AuthorizerDetails[];
  readonly defaultName?: string;
}

export class AwsTree {
  private loaded: Promise<Loaded> | undefined;

  constructor(
    private readonly targets: AwsTargetStore,
    /** Workspace roots whose key stores the AWS keys are matched against. */
    private readonly workspaceRoots: () => string[],
    private readonly refreshView: () => void,
  ) {}

  refresh(): void {
    this.loaded = undefined;
    this.refreshView();
  }

  /** The authorizers as last loaded (commands pick from them). */
  async authorizers(): Promise<Loaded> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  private async load(): Promise<Loaded> {
    const factory = this.targets.factory();
    try {
      const target = await this.targets.resolve(factory);
      const iot = new (this.targets.aws().IotAuthorizers)(factory.iot(), factory.settings.profile);
      const [list, defaultName] = await Promise.all([iot.listAuthorizers(), iot.defaultAuthorizerName()]);
      const authorizers: AuthorizerDetails[] = [];
      for (const a of list) {
        const d = await iot.describeAuthorizer(a.name);
        if (d) authorizers.push(d);
      }
      return { target, authorizers, ...(defaultName ? { defaultName } : {}) };
    } finally {
      factory.destroy();
    }
  }

  async getChildren(node: AwsTreeNode): Promise<AwsTreeNode[]> {
    if (node.kind === 'awsRoot') {
      let loaded: Loaded;
      try {
        loaded = await this.authorizers();
      } catch (e) {
        this.loaded = undefined;
        const signIn = (e as { loginCommand?: string }).loginCommand;
        return [{ kind: 'awsMessage', message: e instanceof Error ? e.message : String(e), error: true, ...(signIn ? { signIn } : {}) }];
      }
      if (loaded.authorizers.length === 0)
        return [
          {
            kind: 'awsMessage',
            message: `No authorizers in ${loaded.target.accountId} · ${loaded.target.region}. Deploy one from iot-authorizer.json.`,
            error: false,
          },
        ];
      return loaded.authorizers.map((details) => ({ kind: 'awsAuthorizer', details, isDefault: details.name === loaded.defaultName, target: loaded.target }));
    }
    if (node.kind !== 'awsAuthorizer') return [];
    const d = node.details;
    const workspaceKeys = (await Promise.all(this.workspaceRoots().map((r) => listKeys(r))))
      .flat()
      .map((k) => ({ name: k.name, ...(k.fingerprint ? { fingerprint: k.fingerprint } : {}) }));
    const keys = matchAwsKeys(d.publicKeys, workspaceKeys).map((key): AwsTreeNode => ({ kind: 'awsKey', key, authorizer: node }));
    return [
      { kind: 'awsDetail', label: 'Function', description: d.functionArn?.split(':').pop() ?? '(none)', icon: 'symbol-function', tooltip: d.functionArn },
      { kind: 'awsDetail', label: 'Token key', description: d.signingDisabled ? '(signing disabled)' : (d.tokenKeyName ?? '(none)'), icon: 'symbol-key' },
      { kind: 'awsDetail', label: 'HTTP caching', description: d.enableCachingForHttp ? 'on' : 'off', icon: 'history' },
      ...keys,
    ];
  }

  getTreeItem(node: AwsTreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'awsRoot': {
        const item = new vscode.TreeItem('AWS', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = 'aws#root';
        item.description = this.targets.label();
        item.iconPath = new vscode.ThemeIcon('cloud');
        item.contextValue = 'awsRoot';
        item.tooltip = `The authorizers in ${this.targets.label()}. Change the target from the status bar or with "Select AWS Profile and Region…".`;
        return item;
      }
      case 'awsAuthorizer': {
        const d = node.details;
        const item = new vscode.TreeItem(d.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `aws#${node.target.accountId}#${node.target.region}#${d.name}`;
        item.description = [d.status ?? '?', node.isDefault ? 'default' : undefined, d.signingDisabled ? 'signing off' : 'signing on']
          .filter(Boolean)
          .join(' · ');
        item.iconPath = new vscode.ThemeIcon(d.status === 'ACTIVE' ? 'shield' : 'circle-slash');
        item.contextValue = `awsAuthorizer.${d.status ?? 'UNKNOWN'}`;
        item.tooltip = new vscode.MarkdownString(
          `**${d.name}** (${d.status ?? '?'})${node.isDefault ? ", the account's default authorizer" : ''}\n\n\`${d.arn}\``,
        );
        return item;
      }
      case 'awsDetail': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.description = node.description;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.tooltip = node.tooltip ?? `${node.label}: ${node.description}`;
        return item;
      }
      case 'awsKey': {
        const k = node.key;
        const item = new vscode.TreeItem(k.name, vscode.TreeItemCollapsibleState.None);
        item.description = describeKeyMatch(k);
        item.iconPath = new vscode.ThemeIcon(k.problem ? 'warning' : k.workspaceKey ? 'key' : 'question');
        item.tooltip =
          k.problem ??
          `SHA-256 fingerprint ${k.fingerprint}${k.workspaceKey ? `\nThe workspace key "${k.workspaceKey}" has this fingerprint.` : '\nNo key in the workspace has this fingerprint.'}`;
        item.contextValue = 'awsKey';
        return item;
      }
      case 'awsMessage': {
        const item = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.error ? 'error' : 'info');
        item.tooltip = node.message;
        item.contextValue = 'awsMessage';
        item.command = node.signIn
          ? commandRef('iotAuthz.aws.signIn', 'Sign In', [node.signIn])
          : node.error
            ? commandRef(SELECT_TARGET_COMMAND, 'Select AWS Profile and Region…', [])
            : undefined;
        return item;
      }
    }
  }
}
