// CodeLens above a handler function named in iot-authorizer.json ("Invoke locally…" and the
// last run's headline) and at the top of each *.authz.json ("Run locally", its last run, and
// "Open results" once the results panel exists). Providing is cheap: the project parse is
// cached (WorkspaceProjects), the handler line is found with regexes, and commands are attached
// in resolveCodeLens.
import * as vscode from 'vscode';
import { CODELENS_SELECTOR } from './ids';
import { commandId, commandRef } from './commands';
import * as path from 'path';
import { PROJECT_FILE_NAME, TEST_EVENT_SUFFIX } from '../core/constants';
import { outcomeIcon } from '../core/outcomes';
import type { InvocationResult } from '../core/result';
import { findHandlerLine } from './handlerLocation';
import { RunStore } from './runStore';
import { WorkspaceProjects } from './workspaceProjects';

/** The results panel's command; the lens that opens it appears only once it is registered. */
export const OPEN_RESULTS_COMMAND = commandId('iotAuthz.openResults');
const HEADLINE_MAX = 90;
const COMMAND_RECHECK_MS = 5000;

function shortHeadline(run: InvocationResult): string {
  return run.headline.length > HEADLINE_MAX ? `${run.headline.slice(0, HEADLINE_MAX - 1)}…` : run.headline;
}

type LensData =
  | { readonly kind: 'invoke'; readonly authorizer: string; readonly projectFile: string; readonly named: boolean }
  | { readonly kind: 'run-event'; readonly file: string }
  | { readonly kind: 'test-invoke-aws'; readonly file: string }
  | { readonly kind: 'deploy-aws'; readonly authorizer: string }
  | { readonly kind: 'last-run'; readonly runId: string }
  | { readonly kind: 'open-results'; readonly runId?: string };

class AuthorizerLens extends vscode.CodeLens {
  constructor(
    range: vscode.Range,
    readonly data: LensData,
  ) {
    super(range);
  }
}

/** "Deploy to AWS…" above each authorizer's `"name"` in iot-authorizer.json (found by regex; the file may not parse yet). */
function projectFileLenses(text: string): AuthorizerLens[] {
  const lenses: AuthorizerLens[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const m = /^\s*"name"\s*:\s*"([^"\\]+)"/.exec(line);
    if (m) lenses.push(new AuthorizerLens(new vscode.Range(i, 0, i, 0), { kind: 'deploy-aws', authorizer: m[1] }));
  });
  return lenses;
}

export class AuthorizerCodeLensProvider implements vscode.CodeLensProvider<AuthorizerLens>, vscode.Disposable {
  static readonly selector: vscode.DocumentSelector = CODELENS_SELECTOR;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];
  private hasResultsPanel = false;
  private resultsPanelCheckedAt = 0;

  constructor(
    private readonly projects: WorkspaceProjects,
    private readonly runs: RunStore,
    /** Called on first use, so project checks start with the first lens asked for. */
    private readonly onFirstUse: () => void = () => undefined,
  ) {
    this.subscriptions = [projects.onDidChange(() => this.changed.fire()), runs.onDidAddRun(() => this.changed.fire())];
  }

  /** Whether the results panel's command exists; a yes is kept, a no is asked again now and then. */
  private async resultsPanelExists(): Promise<boolean> {
    if (this.hasResultsPanel || Date.now() - this.resultsPanelCheckedAt < COMMAND_RECHECK_MS) return this.hasResultsPanel;
    this.resultsPanelCheckedAt = Date.now();
    this.hasResultsPanel = (await vscode.commands.getCommands(true)).includes(OPEN_RESULTS_COMMAND);
    return this.hasResultsPanel;
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<AuthorizerLens[]> {
    this.onFirstUse();
    const file = document.uri.fsPath;
    if (file.endsWith(TEST_EVENT_SUFFIX)) return this.eventFileLenses(file);
    if (path.basename(file) === PROJECT_FILE_NAME) return projectFileLenses(document.getText());
    const owners = this.projects.authorizersForHandler(file);
    if (owners.length === 0) return [];
    const text = document.getText();
    const lenses: AuthorizerLens[] = [];
    for (const { authorizer, project } of owners) {
      const line = findHandlerLine(text, authorizer.handlerFunction, file);
      const range = new vscode.Range(line, 0, line, 0);
      lenses.push(new AuthorizerLens(range, { kind: 'invoke', authorizer: authorizer.name, projectFile: project.file, named: owners.length > 1 }));
      const last = this.runs.runs().find((r) => r.request.authorizer === authorizer.name && r.source.projectFile === project.file);
      if (last) lenses.push(new AuthorizerLens(range, { kind: 'last-run', runId: last.id }));
    }
    return lenses;
  }

  private async eventFileLenses(file: string): Promise<AuthorizerLens[]> {
    const top = new vscode.Range(0, 0, 0, 0);
    const lenses = [new AuthorizerLens(top, { kind: 'run-event', file }), new AuthorizerLens(top, { kind: 'test-invoke-aws', file })];
    const last = this.runs.runs().find((r) => r.source.eventFile === file);
    if (last) lenses.push(new AuthorizerLens(top, { kind: 'last-run', runId: last.id }));
    if (await this.resultsPanelExists()) lenses.push(new AuthorizerLens(top, { kind: 'open-results', runId: last?.id }));
    return lenses;
  }

  async resolveCodeLens(lens: AuthorizerLens): Promise<AuthorizerLens> {
    const d = lens.data;
    switch (d.kind) {
      case 'invoke':
        lens.command = commandRef(
          'iotAuthz.invokeLocally',
          d.named ? `$(play) Invoke ${d.authorizer} locally…` : '$(play) Invoke locally…',
          [{ authorizer: d.authorizer, projectFile: d.projectFile }],
          `Run ${d.authorizer} on this machine with a test event you pick`,
        );
        break;
      case 'run-event':
        lens.command = commandRef('iotAuthz.runTestEvent', '$(play) Run locally', [vscode.Uri.file(d.file)], 'Send this request through the authorizer on this machine');
        break;
      case 'test-invoke-aws':
        lens.command = commandRef(
          'iotAuthz.aws.testInvoke',
          '$(cloud) Test-invoke in AWS',
          [{ eventFile: d.file }],
          'Send this request to the deployed authorizer with TestInvokeAuthorizer (the AWS target in the status bar)',
        );
        break;
      case 'deploy-aws':
        lens.command = commandRef(
          'iotAuthz.aws.deploy',
          '$(cloud-upload) Deploy to AWS…',
          [{ authorizer: d.authorizer }],
          `Deploy ${d.authorizer} to the AWS target in the status bar: shows the plan and asks before changing anything`,
        );
        break;
      case 'last-run': {
        const run = this.runs.get(d.runId);
        const panel = await this.resultsPanelExists();
        const title = run ? `${outcomeIcon(run.outcome)} Last: ${shortHeadline(run)}` : 'Last run: no longer in the history';
        const tooltip = run ? `${run.headline}\n${new Date(run.startedAt).toLocaleString()} · ${Math.round(run.timings.totalMs)} ms` : undefined;
        lens.command = panel ? commandRef(OPEN_RESULTS_COMMAND, title, run ? [run.id] : [], tooltip) : commandRef('iotAuthz.showOutput', title, [], tooltip);
        break;
      }
      case 'open-results':
        lens.command = commandRef(OPEN_RESULTS_COMMAND, '$(preview) Open results', d.runId ? [d.runId] : []);
        break;
    }
    return lens;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}
