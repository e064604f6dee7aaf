// The results panel: one webview panel that shows a run from the RunStore, its history, and a
// comparison with the previous run of the same event. It speaks only the typed messages of
// webview/protocol.ts, sends view models (runView.ts) rather than raw results, and restores
// after a window reload through its serializer (the webview's state holds the run id only).
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { TEST_EVENT_SUFFIX } from '../../core/constants';
import { UserError } from '../../core/errors';
import type { InvocationResult } from '../../core/result';
import { testEventFromRun } from '../../core/testEventFromRun';
import { FromWebview, parseFromWebview, parsePanelState, RunActionReasons, SourceLocation, ToWebview } from '../../webview/protocol';
import { runCommand, type ArgsOf } from '../commands';
import type { CommandId } from '../commandTable';
import type { Services } from '../features';
import { findHandlerLine } from '../handlerLocation';
import { compareRuns } from './runDiff';
import { historyEntryOf, responseJson, runViewOf, unavailableActions } from './runView';
import { jsonPathPosition } from './sourceLocations';

export { RESULTS_VIEW_TYPE } from '../ids';
import { RESULTS_VIEW_TYPE } from '../ids';
export const RESULTS_TITLE = 'Authorizer Results';
/** Opens the panel when a run finishes (on by default). */
export const OPEN_ON_RUN_SETTING = 'iotAuthz.resultsPanel.openOnRun';

/** The page: a strict CSP with a per-load nonce, and only our bundle and stylesheets. */
export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, nonce: string): string {
  const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', file)).toString();
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${webview.cspSource} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('codicon.css')}">
<link rel="stylesheet" href="${asset('panel.css')}">
<title>${RESULTS_TITLE}</title>
</head>
<body>
<div id="app" class="app"><p class="loading">Loading…</p></div>
<script nonce="${nonce}" src="${asset('panel.js')}"></script>
</body>
</html>`;
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/** A command and its arguments, typed by the command table. */
export type CommandCall = { [K in CommandId]: { readonly id: K; readonly args: ArgsOf<K> } }[CommandId];

/** The command that runs `run` locally: the same event file, else the same authorizer. */
export function localRunCommandOf(run: InvocationResult): CommandCall {
  if (run.source.eventFile) return { id: 'iotAuthz.runTestEvent', args: [vscode.Uri.file(run.source.eventFile)] };
  if (run.request.authorizer !== undefined) {
    return { id: 'iotAuthz.invokeLocally', args: [{ authorizer: run.request.authorizer, ...(run.source.projectFile ? { projectFile: run.source.projectFile } : {}) }] };
  }
  throw new UserError('This run names no event file or authorizer to run again.', 'NOTHING_TO_RERUN');
}

/** The command that test-invokes `run`'s event file (or authorizer) in AWS, on the selected target. */
export function awsTestInvokeCommandOf(run: InvocationResult): CommandCall {
  return {
    id: 'iotAuthz.aws.testInvoke',
    args: [{
      ...(run.source.eventFile ? { eventFile: run.source.eventFile } : {}),
      ...(run.request.authorizer !== undefined ? { authorizer: run.request.authorizer } : {}),
    }],
  };
}

/**
 * The command that runs `run` again on its own target: the same event file, else the same
 * authorizer. Each target's producer has its case here.
 */
export function rerunCommandOf(run: InvocationResult): CommandCall {
  switch (run.target.kind) {
    case 'local':
      return localRunCommandOf(run);
    case 'aws':
      return awsTestInvokeCommandOf(run);
    case 'endpoint':
      throw new UserError(`${unavailableActions(run).rerun}.`, 'CANNOT_RERUN_TARGET');
  }
}

export class ResultsPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelDisposables: vscode.Disposable[] = [];
  /** True between the page's `ready` and it being hidden (hidden webviews are unloaded). */
  private ready = false;
  private selectedId: string | undefined;
  private readonly posted = new vscode.EventEmitter<ToWebview>();
  private readonly received = new vscode.EventEmitter<FromWebview>();
  /** Every message sent to the page (tests check what the page receives). */
  readonly onDidPostMessage = this.posted.event;
  /** Every well-formed message from the page, after it was handled. */
  readonly onDidReceiveMessage = this.received.event;

  constructor(private readonly s: Services) {}

  register(): void {
    this.s.context.subscriptions.push(
      this,
      this.s.runs.onDidAddRun((run) => this.onRunAdded(run)),
    );
  }

  get webviewPanel(): vscode.WebviewPanel | undefined {
    return this.panel;
  }

  /** The run the panel shows (or will show once the page is ready). */
  get shownRunId(): string | undefined {
    return this.selectedId ?? this.s.runs.latest()?.id;
  }

  /** Opens or reveals the panel on `runId` (default: the run shown, else the latest). */
  open(runId?: string, options: { preserveFocus?: boolean } = {}): vscode.WebviewPanel {
    if (runId !== undefined) {
      if (!this.runById(runId)) throw new UserError(`No run ${runId} in this workspace's history (it keeps the last runs only).`, 'RUN_NOT_FOUND');
      this.selectedId = runId;
    }
    if (this.panel) {
      this.panel.reveal(undefined, options.preserveFocus);
      this.sendShown();
      return this.panel;
    }
    const panel = vscode.window.createWebviewPanel(
      RESULTS_VIEW_TYPE,
      RESULTS_TITLE,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: options.preserveFocus ?? false },
      { ...webviewOptions(this.s.context.extensionUri), enableFindWidget: true },
    );
    this.adopt(panel);
    return panel;
  }

  /** Shows the current selection again (after the history changed). */
  refresh(): void {
    if (this.selectedId !== undefined && !this.runById(this.selectedId)) this.selectedId = undefined;
    this.sendShown();
  }

  /** The serializer's job after a window reload: take over `panel` and show the run its state names. */
  restorePanel(panel: vscode.WebviewPanel, state: unknown): void {
    const { runId } = parsePanelState(state);
    if (runId !== undefined && this.runById(runId)) this.selectedId = runId;
    this.panel?.dispose();
    this.adopt(panel);
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    const extensionUri = this.s.context.extensionUri;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'activity.svg');
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = panelHtml(panel.webview, extensionUri, randomUUID().replace(/-/g, ''));
    this.panelDisposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => this.handleMessage(raw)),
      panel.onDidChangeViewState((e) => {
        // Without retainContextWhenHidden the page is unloaded when hidden and says `ready` again.
        if (!e.webviewPanel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => {
        if (this.panel !== panel) return;
        this.panel = undefined;
        this.ready = false;
        for (const d of this.panelDisposables.splice(0)) d.dispose();
      }),
    );
  }

  private onRunAdded(run: InvocationResult): void {
    this.selectedId = run.id;
    if (this.panel) {
      if (!this.panel.visible) this.panel.reveal(undefined, true);
      this.sendShown();
    } else if (vscode.workspace.getConfiguration().get<boolean>(OPEN_ON_RUN_SETTING, true)) {
      this.open(undefined, { preserveFocus: true });
    }
  }

  private post(message: ToWebview): void {
    if (!this.panel || !this.ready) return;
    void this.panel.webview.postMessage(message);
    this.posted.fire(message);
  }

  private sendShown(): void {
    const run = this.shownRunId !== undefined ? this.runById(this.shownRunId) : undefined;
    if (!run) {
      this.post({ type: 'empty' });
      return;
    }
    const previousId = this.s.runs.previousOf(run)?.id;
    this.post({
      type: 'showRun',
      run: runViewOf(run, { tokenKeyName: this.tokenKeyNameOf(run), ...(previousId !== undefined ? { previousId } : {}) }),
      history: this.s.runs.runs().map(historyEntryOf),
    });
  }

  /** Handles one message from the page (untrusted: checked against the protocol first). */
  async handleMessage(raw: unknown): Promise<void> {
    const message = parseFromWebview(raw);
    if (!message) {
      this.s.log.warn(`Results panel: ignored a malformed message ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    try {
      await this.handle(message);
    } catch (e) {
      const text = e instanceof Error ? e.message : String(e);
      this.s.log.error(`Results panel: ${message.type} failed: ${text}`);
      void vscode.window.showErrorMessage(text);
    }
    this.received.fire(message);
  }

  private async handle(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.selectedId === undefined && m.runId !== undefined && this.runById(m.runId)) this.selectedId = m.runId;
        this.sendShown();
        return;
      case 'rendered':
        if (m.ms > 1000) this.s.log.warn(`Results panel: rendering run ${m.runId} took ${Math.round(m.ms)} ms.`);
        return;
      case 'selectRun':
        this.selectedId = this.runOrThrow(m.runId).id;
        this.sendShown();
        return;
      case 'rerun':
        await this.rerun(m.runId);
        return;
      case 'switchTarget':
        await this.switchTarget(m.runId);
        return;
      case 'runOnEndpoint':
        await this.execute({ id: 'iotAuthz.endpoint.runAgainst', args: [{ runId: this.actionable(m.runId, 'runOnEndpoint').id }] });
        return;
      case 'compare': {
        const run = this.runOrThrow(m.runId);
        this.post({ type: 'compare', comparison: compareRuns(run, this.s.runs.previousOf(run)) });
        return;
      }
      case 'saveAsTestEvent':
        await this.saveAsTestEvent(m.runId);
        return;
      case 'copy':
        await this.copy(m.runId, m.what === 'snippet' ? m.snippet : 'response');
        return;
      case 'openLocation':
        await this.openLocation(m);
        return;
    }
  }

  /** A run of the history, or the run behind a decision of the local endpoint (those open as runs too). */
  private runById(id: string): InvocationResult | undefined {
    return this.s.runs.get(id) ?? this.s.decisions.runById(id);
  }

  private runOrThrow(id: string): InvocationResult {
    const run = this.runById(id);
    if (!run) throw new UserError(`Run ${id} is no longer in the history (it keeps the last runs only).`, 'RUN_NOT_FOUND');
    return run;
  }

  private tokenKeyNameOf(run: InvocationResult): string | undefined {
    const file = run.source.projectFile;
    if (!file || run.request.authorizer === undefined) return undefined;
    return this.s.projects.load(file).project?.authorizers.find((a) => a.name === run.request.authorizer)?.tokenKeyName;
  }

  /**
   * Runs the same event file again, or the same authorizer when the run had no event file, on
   * the run's own target.
   */
  async rerun(runId: string): Promise<unknown> {
    return this.execute(rerunCommandOf(this.actionable(runId, 'rerun')));
  }

  /** The run, if `action` applies to it; else the reason the panel's button gives, as an error. */
  private actionable(runId: string, action: keyof RunActionReasons): InvocationResult {
    const run = this.runOrThrow(runId);
    const reason = unavailableActions(run)[action];
    if (reason !== undefined) throw new UserError(`${reason}.`, 'ACTION_NOT_APPLICABLE');
    return run;
  }

  /** "Run against AWS" on a local run, "Run locally" on an AWS run. */
  async switchTarget(runId: string): Promise<unknown> {
    const run = this.actionable(runId, 'switchTarget');
    return this.execute(run.target.kind === 'aws' ? localRunCommandOf(run) : awsTestInvokeCommandOf(run));
  }

  private execute(call: CommandCall): Thenable<unknown> {
    // CommandCall already ties the arguments to the id (runCommand cannot see that through a union).
    return runCommand(call.id, ...(call.args as ArgsOf<typeof call.id>));
  }

  /** Copies the response JSON or a connection snippet; returns the text copied. */
  async copy(runId: string, what: 'response' | RunSnippetKind): Promise<string> {
    const run = this.runOrThrow(runId);
    let text: string | undefined;
    let label: string;
    if (what === 'response') {
      text = responseJson(run);
      label = 'Response JSON';
      if (text === undefined) throw new UserError('This run has no response to copy: the handler did not answer.', 'NO_RESPONSE');
    } else {
      const snippet = runViewOf(run, { tokenKeyName: this.tokenKeyNameOf(run) }).snippets.find((s) => s.kind === what);
      if (!snippet) throw new UserError(`No ${what} snippet for this run: it has no request to repeat.`, 'NO_SNIPPET');
      text = snippet.text;
      label = snippet.label;
    }
    await vscode.env.clipboard.writeText(text);
    this.post({ type: 'notice', text: `${label} copied to the clipboard.` });
    return text;
  }

  /**
   * Saves the run as a test event. With `file`, writes there (refusing an existing file);
   * without, asks where with the save dialog (which asks before replacing a file).
   */
  async saveAsTestEvent(runId: string, file?: string): Promise<string | undefined> {
    const run = this.actionable(runId, 'save');
    const saved = testEventFromRun(run, { tokenKeyName: this.tokenKeyNameOf(run) });
    let target = file;
    if (target === undefined) {
      const dir = path.dirname(run.source.eventFile ?? run.source.projectFile ?? path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '.', 'x'));
      const base = run.source.eventFile ? path.basename(run.source.eventFile, TEST_EVENT_SUFFIX) : `${run.request.authorizer ?? 'run'}-${run.request.protocol}`;
      const uri = await vscode.window.showSaveDialog({
        title: 'Save the run as a test event',
        defaultUri: vscode.Uri.file(path.join(dir, `${base}-saved${TEST_EVENT_SUFFIX}`)),
        filters: { 'Test events': ['json'] },
      });
      if (!uri) return undefined;
      target = uri.fsPath;
      if (!target.endsWith(TEST_EVENT_SUFFIX)) {
        throw new UserError(`Name the file *${TEST_EVENT_SUFFIX} so Run Test Event and the CodeLens find it (got ${path.basename(target)}).`, 'NOT_AN_EVENT_FILE');
      }
    } else if (fs.existsSync(target)) {
      throw new UserError(`${target} already exists; choose another name (test events are never overwritten without asking).`, 'FILE_EXISTS');
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, saved.text);
    this.s.log.info(`Saved run ${run.id} as ${target}`);
    this.post({ type: 'notice', text: `Saved as ${path.basename(target)}.${saved.notes.length ? ` ${saved.notes.join(' ')}` : ''}` });
    if (file === undefined) {
      await vscode.window.showTextDocument(vscode.Uri.file(target), { viewColumn: vscode.ViewColumn.One });
      if (saved.notes.length) void vscode.window.showInformationMessage(saved.notes.join(' '));
    }
    return target;
  }

  /** The files runs in the history came from: the only ones the page may ask to open. */
  private knownFiles(): Map<string, InvocationResult> {
    const files = new Map<string, InvocationResult>();
    for (const run of this.s.runs.runs()) {
      for (const f of [run.source.eventFile, run.source.handlerFile, run.source.projectFile]) if (f && !files.has(f)) files.set(f, run);
    }
    return files;
  }

  /** Opens a run's event file, project file or handler where a finding points. */
  async openLocation(location: SourceLocation): Promise<vscode.TextEditor> {
    const run = this.knownFiles().get(location.file);
    if (!run) throw new UserError(`${location.file} is not a file of a run in the history.`, 'UNKNOWN_FILE');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(location.file));
    let line = location.line !== undefined ? location.line - 1 : 0;
    let column = 0;
    if (location.jsonPath !== undefined && /\.json$/i.test(location.file)) {
      const at = jsonPathPosition(doc.getText(), location.jsonPath);
      if (at) {
        line = at.line - 1;
        column = at.column - 1;
      }
    } else if (location.line === undefined && location.file === run.source.handlerFile && run.source.handlerFunction) {
      line = findHandlerLine(doc.getText(), run.source.handlerFunction, location.file);
    }
    const position = new vscode.Position(line, column);
    const beside = this.panel?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Beside : vscode.ViewColumn.One;
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: beside, selection: new vscode.Range(position, position) });
    editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return editor;
  }

  dispose(): void {
    this.panel?.dispose();
    this.posted.dispose();
    this.received.dispose();
  }
}

type RunSnippetKind = Extract<FromWebview, { type: 'copy'; what: 'snippet' }>['snippet'];
