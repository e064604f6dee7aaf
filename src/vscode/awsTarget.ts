// The AWS target of this workspace (profile, region, endpoint URL), remembered per workspace
// and always visible in the status bar; the client factory for it; and the one way AWS errors
// reach the user (a lapsed SSO session offers to sign in, in a terminal).
import * as vscode from 'vscode';
import { AWS_ENDPOINT_URL_SETTING } from '../core/constants';
import { UserError } from '../core/errors';
import type { AwsClientFactory, AwsTarget } from '../aws';
import { AwsModule, loadAws } from '../loadAws';
import { commandId } from './commands';

export interface StoredAwsTarget {
  readonly profile?: string;
  readonly region?: string;
}

const STATE_KEY = 'iotAuthz.aws.target';
export const SELECT_TARGET_COMMAND = commandId('iotAuthz.aws.selectTarget');

export class AwsTargetStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private item: vscode.StatusBarItem | undefined;
  private resolved: AwsTarget | undefined;
  private readonly listener: vscode.Disposable;

  constructor(private readonly state: vscode.Memento) {
    this.listener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(AWS_ENDPOINT_URL_SETTING)) this.update({});
    });
  }

  /** Loads the AWS layer (dist/aws.js) on first use. */
  aws(): AwsModule {
    return loadAws();
  }

  get(): StoredAwsTarget {
    return this.state.get<StoredAwsTarget>(STATE_KEY, {});
  }

  endpointUrl(): string | undefined {
    const v = vscode.workspace.getConfiguration().get<string>(AWS_ENDPOINT_URL_SETTING)?.trim();
    return v ? v : undefined;
  }

  async update(target: StoredAwsTarget): Promise<void> {
    if (Object.keys(target).length > 0) await this.state.update(STATE_KEY, target);
    this.resolved = undefined;
    this.showStatus();
    this.changed.fire();
  }

  /** A client factory for the stored target; `fallback` fills what the user has not picked (the authorizer's aws settings). */
  factory(fallback: StoredAwsTarget = {}): AwsClientFactory {
    const t = this.get();
    const profile = t.profile ?? fallback.profile;
    const region = t.region ?? fallback.region;
    const endpointUrl = this.endpointUrl();
    return this.aws().createAwsClientFactory({
      ...(profile ? { profile } : {}),
      ...(region ? { region } : {}),
      ...(endpointUrl ? { endpointUrl } : {}),
    });
  }

  /** The account and region, resolved once per target. */
  async resolve(factory: AwsClientFactory): Promise<AwsTarget> {
    this.resolved = await this.aws().resolveTarget(factory);
    this.showStatus();
    return this.resolved;
  }

  label(): string {
    const t = this.get();
    const endpoint = this.endpointUrl();
    const who = t.profile ? `profile ${t.profile}` : 'default credentials';
    const where = this.resolved ? `${this.resolved.accountId} · ${this.resolved.region}` : t.region ?? 'region from profile';
    return endpoint ? `Local endpoint ${endpoint} · ${where}` : `AWS ${who} · ${where}`;
  }

  /** The status-bar item: what AWS commands act on; click to change. */
  showStatus(): void {
    if (!this.item) {
      this.item = vscode.window.createStatusBarItem('iotAuthz.awsTarget', vscode.StatusBarAlignment.Left, 40);
      this.item.name = 'IoT Authorizer AWS target';
      this.item.command = SELECT_TARGET_COMMAND;
    }
    const endpoint = this.endpointUrl();
    this.item.text = `${endpoint ? '$(server-environment)' : '$(cloud)'} ${this.label()}`;
    this.item.tooltip = `AWS commands (deploy, test-invoke, the AWS node) act on: ${this.label()}. Click to pick a profile and region.${endpoint ? `\nEndpoint URL from the setting ${AWS_ENDPOINT_URL_SETTING}.` : ''}`;
    this.item.show();
  }

  dispose(): void {
    this.item?.dispose();
    this.listener.dispose();
    this.changed.dispose();
  }
}

/** Opens a terminal that runs the sign-in command (the user completes it in the browser). */
export function openSignInTerminal(command: string): void {
  const terminal = vscode.window.createTerminal({ name: 'AWS sign-in' });
  terminal.show();
  terminal.sendText(command);
}

/** An AWS error as one message; an expired or missing sign-in offers "Sign In" in a terminal. */
export function showAwsError(e: unknown, what: string): void {
  const login = (e as { loginCommand?: string }).loginCommand;
  const message = e instanceof Error ? e.message : String(e);
  if (login) {
    // Not awaited: the command ends while the message waits for the user.
    void vscode.window.showErrorMessage(`${what}: ${message}`, 'Sign In').then((pick) => {
      if (pick === 'Sign In') openSignInTerminal(login);
    });
    return;
  }
  if (e instanceof UserError) {
    void vscode.window.showErrorMessage(`${what}: ${message}`);
    return;
  }
  throw e;
}
