// The local IoT endpoint in the editor: start/stop (a child process, see endpointHost.ts), the
// "Local endpoint" node of the Authorizers view, a status-bar item, the address on the
// clipboard and connection snippets filled with it. Nothing starts until the user asks; the
// child is killed by pid when the extension deactivates (this feature is a subscription).
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ENDPOINT_PORT_SETTING, LOCAL_DEFAULT_REGION, PROJECT_FILE_NAME } from '../core/constants';
import { UserError } from '../core/errors';
import { storedKeyFiles } from '../core/keyStore';
import { LocalEndpointAuthorizer, localEndpointSnippets } from '../core/snippets';
import type { CommandHandlers } from './commands';
import { EndpointHost, EndpointRunning, EndpointStatus } from './endpointHost';
import { EndpointChildView, endpointChildren, endpointRootView, endpointStatusBarView } from './endpointView';
import type { Services } from './features';
import { invokeOptionsFromSettings } from './localRuntimeHost';

/** The port from the settings: 0 (a free one) unless the user set a valid port. */
export function endpointPortFromSettings(config: vscode.WorkspaceConfiguration = vscode.workspace.getConfiguration()): number {
  const port = config.get<number>(ENDPOINT_PORT_SETTING);
  return typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535 ? port : 0;
}

export type EndpointSnippetsResult = { readonly url: string; readonly text: string };

export class EndpointFeature implements vscode.Disposable {
  readonly host: EndpointHost;
  private statusItem: vscode.StatusBarItem | undefined;
  private lastState: EndpointStatus['state'] = 'stopped';

  constructor(private readonly s: Services) {
    this.host = new EndpointHost(
      path.join(s.context.extensionPath, 'dist', 'cli.js'),
      s.decisions,
      () => this.onChanged(),
      (line) => s.log.info(`[endpoint] ${line}`),
    );
  }

  get status(): EndpointStatus {
    return this.host.status;
  }

  /** The node's children (tree model in endpointView.ts). */
  children(): EndpointChildView[] {
    return endpointChildren(this.host.status, this.s.decisions.recent());
  }

  private onChanged(): void {
    const status = this.host.status;
    if (status.state !== this.lastState) {
      this.lastState = status.state;
      if (status.state === 'running') this.s.log.info(`Local endpoint running at ${status.url} (pid ${status.pid}); registered: ${status.authorizers.join(', ') || 'none'}`);
      if (status.state === 'failed') {
        this.s.log.error(`Local endpoint: ${status.reason} ${status.fix}`);
        void vscode.window.showErrorMessage(`Local endpoint: ${status.reason} ${status.fix}`, 'Show Output').then((a) => a && this.s.log.show());
      }
      if (status.state === 'stopped') this.s.log.info('Local endpoint stopped.');
    }
    this.updateStatusBar(status);
    this.s.explorer.refresh();
  }

  private updateStatusBar(status: EndpointStatus): void {
    const view = endpointStatusBarView(status);
    if (!view) {
      this.statusItem?.hide();
      return;
    }
    this.statusItem ??= vscode.window.createStatusBarItem('iotAuthz.endpoint', vscode.StatusBarAlignment.Left, 50);
    const item = this.statusItem;
    item.name = 'IoT Authorizer: Local Endpoint';
    item.text = view.text;
    item.tooltip = view.tooltip;
    item.command = status.state === 'failed' ? 'iotAuthz.endpoint.start' : 'iotAuthz.endpoint.actions';
    item.backgroundColor = view.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    item.show();
  }

  /** The status-bar item as shown, for tests (undefined when hidden or never created). */
  get statusBarText(): string | undefined {
    return endpointStatusBarView(this.host.status) ? this.statusItem?.text : undefined;
  }

  /** Workspace folders with an iot-authorizer.json at their root. */
  private projectFolders(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath).filter((dir) => fs.existsSync(path.join(dir, PROJECT_FILE_NAME)));
  }

  private async pickFolder(arg: unknown): Promise<string | undefined> {
    const given = typeof arg === 'object' && arg !== null ? (arg as { workspaceFolder?: unknown }).workspaceFolder : undefined;
    if (typeof given === 'string') {
      if (!fs.existsSync(path.join(given, PROJECT_FILE_NAME))) throw new UserError(`${given} has no ${PROJECT_FILE_NAME}: open a folder with one, or create it with "IoT Authorizer: New Authorizer…".`, 'PROJECT_MISSING');
      return given;
    }
    const folders = this.projectFolders();
    if (folders.length === 0) throw new UserError(`No workspace folder has an ${PROJECT_FILE_NAME}: create one with "IoT Authorizer: New Authorizer…", then start the endpoint.`, 'PROJECT_MISSING');
    if (folders.length === 1) return folders[0];
    const pick = await vscode.window.showQuickPick(
      folders.map((f) => ({ label: path.basename(f), description: f, folder: f })),
      { title: 'Start Local Endpoint', placeHolder: 'Register the authorizers of which folder?' },
    );
    return pick?.folder;
  }

  private requireRunning(): EndpointRunning {
    const r = this.host.running;
    if (!r) throw new UserError('The local endpoint is not running: start it with "IoT Authorizer: Start Local Endpoint" (or the ▶ on the "Local endpoint" node).', 'ENDPOINT_NOT_RUNNING');
    return r;
  }

  async start(arg?: unknown): Promise<EndpointRunning | undefined> {
    const running = this.host.running;
    if (running) return running;
    const folder = await this.pickFolder(arg);
    if (folder === undefined) return undefined;
    const port = endpointPortFromSettings();
    const { pythonPath } = invokeOptionsFromSettings();
    try {
      return await this.host.start(folder, { port, ...(pythonPath ? { pythonPath } : {}) });
    } catch (e) {
      // The status (failed, with reason and fix) was already shown by onChanged.
      throw new UserError(e instanceof Error ? e.message : String(e), 'ENDPOINT_START_FAILED');
    }
  }

  async stop(): Promise<number | undefined> {
    const pid = this.host.pid;
    await this.host.stop();
    return pid;
  }

  async copyUrl(): Promise<string> {
    const { url } = this.requireRunning();
    await vscode.env.clipboard.writeText(url);
    vscode.window.setStatusBarMessage(`$(copy) Copied ${url}`, 5000);
    return url;
  }

  /** Builds the snippets for the running endpoint, opens them in an editor and returns the text. */
  async snippets(options?: unknown): Promise<EndpointSnippetsResult> {
    const r = this.requireRunning();
    const { project } = this.s.projects.load(path.join(r.workspace, PROJECT_FILE_NAME));
    const authorizers: LocalEndpointAuthorizer[] = (project?.authorizers ?? [])
      .filter((a) => r.authorizers.includes(a.name))
      .map((a) => {
        const key = a.signingKeys[0];
        const keyFile = key !== undefined ? path.relative(r.workspace, storedKeyFiles(r.workspace, key).privateKeyFile) : undefined;
        return {
          name: a.name,
          signingDisabled: a.signingDisabled,
          ...(a.tokenKeyName !== undefined ? { tokenKeyName: a.tokenKeyName } : {}),
          ...(keyFile !== undefined ? { privateKeyFile: keyFile.split(path.sep).join('/') } : {}),
        };
      });
    const snippets = localEndpointSnippets(r.url, authorizers, { region: LOCAL_DEFAULT_REGION });
    const text = [
      `# Local IoT endpoint at ${r.url}: run these from ${r.workspace}`,
      ...snippets.map((sn) => `\n# --- ${sn.label} ---\n${sn.text}`),
    ].join('\n');
    const open = !(typeof options === 'object' && options !== null && (options as { open?: unknown }).open === false);
    if (open) {
      const doc = await vscode.workspace.openTextDocument({ language: 'shellscript', content: text + '\n' });
      await vscode.window.showTextDocument(doc, { preview: false });
    }
    return { url: r.url, text };
  }

  /** The status-bar item's click: what can be done with the endpoint in its current state. */
  async actions(): Promise<unknown> {
    const status = this.host.status;
    type Item = vscode.QuickPickItem & { run: () => unknown };
    const items: Item[] =
      status.state === 'running'
        ? [
            { label: '$(copy) Copy Local Endpoint URL', description: status.url, run: () => this.copyUrl() },
            { label: '$(terminal) Connection Snippets', description: 'curl publish, AWS CLI --endpoint-url', run: () => this.snippets() },
            { label: '$(preview) Open Results Panel', run: () => vscode.commands.executeCommand('iotAuthz.openResults') },
            { label: '$(debug-stop) Stop Local Endpoint', run: () => this.stop() },
          ]
        : status.state === 'starting'
          ? [{ label: '$(debug-stop) Stop Local Endpoint', run: () => this.stop() }]
          : [
              { label: '$(play) Start Local Endpoint', run: () => this.start() },
              { label: '$(output) Show Output', run: () => this.s.log.show() },
            ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Local IoT endpoint', placeHolder: endpointRootView(status).description });
    return pick?.run();
  }

  handlers() {
    return {
      'iotAuthz.endpoint.start': (arg?: unknown) => this.start(arg),
      'iotAuthz.endpoint.stop': () => this.stop(),
      'iotAuthz.endpoint.copyUrl': () => this.copyUrl(),
      'iotAuthz.endpoint.snippets': (arg?: unknown) => this.snippets(arg),
      'iotAuthz.endpoint.actions': () => this.actions(),
    } satisfies Partial<CommandHandlers>;
  }

  dispose(): void {
    this.host.dispose();
    this.statusItem?.dispose();
  }
}
