// The local IoT endpoint in the editor: start/stop (a child process, see endpointHost.ts), the
// "Local endpoint" node of the Authorizers view, a status-bar item, the address on the
// clipboard and connection snippets filled with it. Nothing starts until the user asks; the
// child is killed by pid when the extension deactivates (this feature is a subscription).
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ENDPOINT_CONCURRENCY_SETTING, ENDPOINT_LOCAL_PATH_PREFIX, ENDPOINT_MAX_CONCURRENCY, ENDPOINT_PORT_SETTING, LOCAL_DEFAULT_REGION, PROJECT_FILE_NAME } from '../core/constants';
import { parseDurationSeconds } from '../core/duration';
import { UserError } from '../core/errors';
import { storedKeyFiles } from '../core/keyStore';
import type { EndpointDecision } from '../core/decisions';
import type { InvocationResult } from '../core/result';
import { httpPublishFromRun, LocalEndpointAuthorizer, localEndpointSnippets } from '../core/snippets';
import { runIdOf } from './commandArgs';
import { commandId, runCommand, type CommandHandlers } from './commands';
import { EndpointHost, EndpointRunning, EndpointStartOptions, EndpointStatus } from './endpointHost';
import { EndpointChildView, endpointChildren, endpointRootView, endpointStatusBarView } from './endpointView';
import type { Services } from './features';
import { invokeOptionsFromSettings } from './localRuntimeHost';

/** The port from the settings: 0 (a free one) unless the user set a valid port. */
export function endpointPortFromSettings(config: vscode.WorkspaceConfiguration = vscode.workspace.getConfiguration()): number {
  const port = config.get<number>(ENDPOINT_PORT_SETTING);
  return typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535 ? port : 0;
}

/** The concurrency from the settings, when the user set a valid one (else the endpoint's default). */
export function endpointConcurrencyFromSettings(config: vscode.WorkspaceConfiguration = vscode.workspace.getConfiguration()): number | undefined {
  const n = config.get<number>(ENDPOINT_CONCURRENCY_SETTING);
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= ENDPOINT_MAX_CONCURRENCY ? n : undefined;
}

/** What the endpoint starts with besides its folder: the Python path and concurrency from the settings, and `port`. */
function startOptions(port: number): EndpointStartOptions {
  const { pythonPath } = invokeOptionsFromSettings();
  const concurrency = endpointConcurrencyFromSettings();
  return { port, ...(pythonPath ? { pythonPath } : {}), ...(concurrency !== undefined ? { concurrency } : {}) };
}

export type EndpointSnippetsResult = { readonly url: string; readonly text: string };

/** What "Run against endpoint" did: the HTTP status the device got and the decision's run. */
export type EndpointRunResult = { readonly status: number; readonly runId: string };

export class EndpointFeature implements vscode.Disposable {
  readonly host: EndpointHost;
  private statusItem: vscode.StatusBarItem | undefined;
  private lastState: EndpointStatus['state'] = 'stopped';
  private readonly statusListeners = new Set<() => void>();
  /**
   * The running endpoint's iot-authorizer.json and its authorizers as saved when it started (it
   * registers them at start only): a saved change to them offers a restart.
   */
  private registered: { readonly file: string; readonly authorizers: string } | undefined;
  private readonly projectListener: vscode.Disposable;
  private offeringRestart = false;

  constructor(private readonly s: Services) {
    this.host = new EndpointHost(
      path.join(s.context.extensionPath, 'dist', 'cli.js'),
      s.decisions,
      () => this.onChanged(),
      (line) => s.log.info(`[endpoint] ${line}`),
    );
    // The workspace's own watcher (set up at activation), not one created at start: a watcher
    // made when the endpoint starts can miss a write that comes right after.
    this.projectListener = s.projects.onDidChange((file) => this.projectChanged(file));
  }

  get status(): EndpointStatus {
    return this.host.status;
  }

  /** The node's children (tree model in endpointView.ts). */
  children(): EndpointChildView[] {
    return endpointChildren(this.host.status, this.s.decisions.recent(), undefined, this.host.connections);
  }

  private onChanged(): void {
    const status = this.host.status;
    if (status.state === this.lastState && status.state === 'running') {
      // A new decision: only the endpoint's node changes.
      this.s.explorer.refreshEndpoint();
      return;
    }
    if (status.state !== this.lastState) {
      this.lastState = status.state;
      if (status.state === 'running') this.s.log.info(`Local endpoint running at ${status.url} (pid ${status.pid}); registered: ${status.authorizers.join(', ') || 'none'}`);
      if (status.state === 'failed') {
        this.s.log.error(`Local endpoint: ${status.reason} ${status.fix}`);
        void vscode.window.showErrorMessage(`Local endpoint: ${status.reason} ${status.fix}`, 'Show Output').then((a) => a && this.s.log.show());
      }
      if (status.state === 'stopped') this.s.log.info('Local endpoint stopped.');
      if (status.state === 'running') {
        const file = path.resolve(status.workspace, PROJECT_FILE_NAME);
        this.registered = { file, authorizers: this.savedAuthorizers(file) };
      } else this.registered = undefined;
    }
    this.updateStatusBar(status);
    this.s.explorer.refresh();
    for (const l of [...this.statusListeners]) l();
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
    item.command = status.state === 'failed' ? commandId('iotAuthz.endpoint.start') : commandId('iotAuthz.endpoint.actions');
    item.backgroundColor = view.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    item.show();
  }

  /** The status-bar item as shown, for tests (undefined when hidden or never created). */
  get statusBarText(): string | undefined {
    return endpointStatusBarView(this.host.status) ? this.statusItem?.text : undefined;
  }

  /** The authorizers of `file` as saved on disk, as one comparable text. */
  private savedAuthorizers(file: string): string {
    return JSON.stringify(this.s.projects.saved(file).project?.authorizers ?? null);
  }

  private projectChanged(file: string): void {
    const r = this.registered;
    if (!r || path.resolve(file) !== r.file || !this.host.running) return;
    // Unsaved edits and saves that change nothing the endpoint registered offer nothing.
    if (this.savedAuthorizers(file) === r.authorizers) return;
    this.offerRestart().catch((e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      this.s.log.error(`Restarting the local endpoint failed: ${message}`);
      void vscode.window.showErrorMessage(`Restart Local Endpoint: ${message}`);
    });
  }

  /** The endpoint registered iot-authorizer.json when it started: offer a restart (same port) to register a change. */
  private async offerRestart(): Promise<void> {
    const r = this.host.running;
    if (!r || this.offeringRestart) return;
    this.offeringRestart = true;
    try {
      const answer = await vscode.window.showInformationMessage(
        `${PROJECT_FILE_NAME} changed: the local endpoint registered its authorizers when it started. Restart it (same address, ${r.url}) to register the change.`,
        'Restart Endpoint',
      );
      if (answer === 'Restart Endpoint' && this.host.running?.pid === r.pid) await this.restart(r);
    } finally {
      this.offeringRestart = false;
    }
  }

  private async restart(r: EndpointRunning): Promise<EndpointRunning | undefined> {
    await this.host.stop();
    try {
      return await this.host.start(r.workspace, startOptions(r.port));
    } catch (e) {
      if (this.host.status.state === 'failed') return undefined; // shown with its reason and fix
      throw e;
    }
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
    try {
      return await this.host.start(folder, startOptions(endpointPortFromSettings()));
    } catch (e) {
      // A failure (port in use, exit) was already shown by onChanged with its reason and fix.
      if (this.host.status.state === 'failed') return undefined;
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
    const snippets = localEndpointSnippets(r.url, authorizers, {
      region: LOCAL_DEFAULT_REGION,
      ...(r.mqttUrl !== undefined ? { mqttUrl: r.mqttUrl } : {}),
      ...(r.mqtts ? { mqtts: r.mqtts } : {}),
      ...(r.https ? { https: r.https } : {}),
    });
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

  /**
   * "Run against endpoint": sends the run's request as an HTTP publish to the local endpoint
   * (starting it first when it is not running), waits for the endpoint's decision on that
   * request (by its trace id) and opens it in the results panel.
   */
  async runAgainst(arg?: unknown): Promise<EndpointRunResult | undefined> {
    const runId = runIdOf(arg);
    const run: InvocationResult | undefined = runId !== undefined ? (this.s.runs.get(runId) ?? this.s.decisions.runById(runId)) : this.s.runs.latest();
    if (!run) throw new UserError(runId !== undefined ? `Run ${runId} is no longer in the history.` : 'No run yet: run a test event first, then run it against the endpoint.', 'RUN_NOT_FOUND');
    const projectFile = run.source.projectFile;
    const tokenKeyName =
      projectFile && run.request.authorizer !== undefined
        ? this.s.projects.load(projectFile).project?.authorizers.find((a) => a.name === run.request.authorizer)?.tokenKeyName
        : undefined;
    const request = httpPublishFromRun(run, tokenKeyName !== undefined ? { tokenKeyName } : {});
    if ('error' in request) throw new UserError(request.error, 'NO_REQUEST');
    const running = this.host.running ?? (await this.start());
    if (!running) return undefined;
    // Decisions can arrive before the HTTP answer: keep the ones seen while waiting.
    const seen: EndpointDecision[] = [];
    const sub = this.s.decisions.onDecision((d) => seen.push(d));
    let decision: EndpointDecision;
    let status: number;
    try {
      const res = await fetch(`${running.url}${request.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...request.headers },
        body: JSON.stringify({ message: 'Run against endpoint from the IoT Authorizer results panel' }),
      });
      status = res.status;
      const body = (await res.json().catch(() => ({}))) as { traceId?: unknown };
      const traceId = typeof body.traceId === 'string' ? body.traceId : undefined;
      if (traceId === undefined) throw new UserError(`The local endpoint answered ${res.status} without a trace id: see "IoT Authorizer: Show Output".`, 'ENDPOINT_NO_TRACE');
      decision = seen.find((d) => d.connectionId === traceId) ?? (await this.nextDecision(traceId));
    } finally {
      sub.dispose();
    }
    if (!decision.run) throw new UserError(`The endpoint decided (${decision.headline}) without a run to show.`, 'ENDPOINT_NO_RUN');
    await runCommand('iotAuthz.openResults', { runId: decision.run.id });
    return { status, runId: decision.run.id };
  }

  /** The decision with `traceId`, or an error when the endpoint stops before telling it. */
  private nextDecision(traceId: string): Promise<EndpointDecision> {
    return new Promise((resolve, reject) => {
      const done = () => {
        sub.dispose();
        this.statusListeners.delete(onStatus);
      };
      const sub = this.s.decisions.onDecision((d) => {
        if (d.connectionId !== traceId) return;
        done();
        resolve(d);
      });
      const onStatus = () => {
        if (this.host.status.state === 'running') return;
        done();
        reject(new UserError('The local endpoint stopped before it told its decision: start it again and retry.', 'ENDPOINT_STOPPED'));
      };
      this.statusListeners.add(onStatus);
    });
  }

  /** POSTs to the running endpoint's own API; its JSON answer, or a UserError with its message. */
  private async endpointApi(what: string, body?: unknown): Promise<Record<string, unknown>> {
    const r = this.host.running;
    if (!r) throw new UserError('The local endpoint is not running: start it first (Start Local Endpoint).');
    const res = await fetch(`${r.url}${ENDPOINT_LOCAL_PATH_PREFIX}/${what}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) throw new UserError(`The local endpoint refused: ${typeof answer.message === 'string' ? answer.message : `HTTP ${res.status}`}`);
    return answer;
  }

  /** Closes a live MQTT connection (the tree item's Disconnect, or a pick of the live ones). */
  async disconnect(arg?: unknown): Promise<string | undefined> {
    let clientId =
      typeof arg === 'string' ? arg
        : arg && typeof arg === 'object' && 'clientId' in arg ? String((arg as { clientId: unknown }).clientId)
          : arg && typeof arg === 'object' && 'view' in arg ? String((arg as { view: { clientId?: unknown } }).view.clientId)
            : undefined;
    if (clientId === undefined) {
      const live = this.host.connections;
      if (live.length === 0) throw new UserError('The local endpoint has no live MQTT connection to disconnect.');
      const pick = await vscode.window.showQuickPick(live.map((c) => ({ label: c.clientId, description: c.principalId })), { title: 'Disconnect an MQTT client' });
      if (!pick) return undefined;
      clientId = pick.label;
    }
    await this.endpointApi(`connections/${encodeURIComponent(clientId)}/disconnect`);
    this.s.log.info(`Local endpoint: disconnected MQTT client ${clientId}.`);
    return clientId;
  }

  /** Moves the endpoint clock forward (refreshes and disconnects due by then happen now). */
  async advanceClock(duration?: string): Promise<{ readonly now: string; readonly offsetSeconds: number } | undefined> {
    const text = duration ?? (await vscode.window.showInputBox({
      title: 'Advance Local Endpoint Clock',
      prompt: 'How far to move the endpoint clock forward: MQTT refreshes and disconnects due by then happen now, cached HTTP answers expire.',
      placeHolder: '6h',
      validateInput: (v) => (parseDurationSeconds(v) === undefined ? 'Write a duration such as 90s, 5m, 6h, 1d or 1h30m.' : undefined),
    }));
    if (text === undefined) return undefined;
    const seconds = parseDurationSeconds(text);
    if (seconds === undefined) throw new UserError(`"${text}" is not a duration: write 90s, 5m, 6h, 1d or 1h30m.`);
    const answer = await this.endpointApi('clock', { advance: seconds });
    const result = { now: String(answer.now), offsetSeconds: Number(answer.offsetSeconds) };
    const happened = `${Number(answer.mqttRefreshes ?? 0)} MQTT policy refreshes, ${Number(answer.mqttLifetimeDisconnects ?? 0)} connections closed at disconnectAfterInSeconds`;
    this.s.log.info(`Local endpoint clock advanced by ${seconds} s: now ${result.now}; ${happened}.`);
    void vscode.window.showInformationMessage(`Local endpoint clock advanced by ${text}: now ${result.now} (${result.offsetSeconds} s ahead); ${happened}.`);
    return result;
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
            { label: '$(preview) Open Results Panel', run: () => runCommand('iotAuthz.openResults') },
            { label: '$(clock) Advance Local Endpoint Clock…', description: 'refresh, disconnect, cache expiry now', run: () => this.advanceClock() },
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
      'iotAuthz.endpoint.runAgainst': (arg?: unknown) => this.runAgainst(arg),
      'iotAuthz.endpoint.disconnect': (arg?: unknown) => this.disconnect(arg),
      'iotAuthz.endpoint.advanceClock': (duration?: string) => this.advanceClock(duration),
    } satisfies Partial<CommandHandlers>;
  }

  dispose(): void {
    this.projectListener.dispose();
    this.host.dispose();
    this.statusItem?.dispose();
  }
}
