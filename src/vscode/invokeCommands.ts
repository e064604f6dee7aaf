// The local authorizer loop in the editor: "Invoke Authorizer Locally…" and "Run Test Event",
// plus the CodeLens and diagnostics that go with them ("New Test Event…" and "New Authorizer…":
// scaffoldCommands.ts, whose handlers this feature registers with its own).
// Every run goes the same way: save what the run reads, invoke (src/local), then add the
// InvocationResult to the RunStore; the output channel, the status bar, the Problems view
// (runPublisher.ts) and the results panel listen to it. Each command takes arguments that skip its prompts, so
// tests and other commands can call it; the QuickPicks and InputBoxes are a thin layer on top.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { PROJECT_FILE_NAME, TEST_EVENT_SUFFIX } from '../core/constants';
import { UserError } from '../core/errors';
import { authorizerForRequest } from '../core/events';
import type { InvocationResult } from '../core/result';
import { loadTestEvent, PROTOCOL_LABELS } from '../core/testEvent';
import { invokeEventFile } from '../local/invokeAuthorizer';
import { AuthorizerCodeLensProvider } from './codeLens';
import { asRecord, authorizerNameOf, firstWorkspaceFolder, nonEmptyString } from './commandArgs';
import { type CommandHandlers } from './commands';
import { AuthorizerDiagnostics } from './diagnostics';
import type { Services } from './features';
import { createWorkspaceSigner } from './keySource';
import { LocalRuntimeHost } from './localRuntimeHost';
import { ScaffoldCommands } from './scaffoldCommands';
import type { AuthorizerInProject } from './workspaceProjects';

/** Sources a run reads from disk, saved first when they have unsaved edits. */
const SOURCE_EXTENSIONS = /\.(py|js|mjs|cjs|ts|mts|cts)$/i;

/**
 * Saves a document, trying again while it stays dirty. VS Code refuses a save when another
 * extension's onWillSaveTextDocument listener does not answer within its time budget (1.75 s,
 * easily missed on a busy machine) and stops calling a listener after it has failed three
 * times, so a refused save usually goes through on a later try.
 */
async function saveDocument(doc: vscode.TextDocument, tries = 4): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await doc.save()) return true;
    if (!doc.isDirty) return true;
  }
  return false;
}

export interface InvokeLocallyArgs {
  /** The authorizer to run; default: the only one, else a QuickPick. */
  readonly authorizer?: string | { readonly name: string };
  /** The test event to send; default: a QuickPick of the authorizer's event files. */
  readonly eventFile?: string | vscode.Uri;
  /** The project the authorizer is in, when the workspace has several. */
  readonly projectFile?: string;
}

/** A Uri, an absolute or workspace-relative path, or anything with `fsPath` / `resourceUri`. */
function filePathOf(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.scheme === 'file' ? arg.fsPath : undefined;
  if (typeof arg === 'string' && arg !== '') return path.resolve(firstWorkspaceFolder() ?? process.cwd(), arg);
  const r = asRecord(arg);
  if (r.resourceUri instanceof vscode.Uri) return filePathOf(r.resourceUri);
  return nonEmptyString(r.fsPath);
}

function isEventFile(file: string): boolean {
  return file.endsWith(TEST_EVENT_SUFFIX);
}

interface EventChoice extends vscode.QuickPickItem {
  readonly file?: string;
  readonly create?: true;
}

export class LocalInvokeFeature implements vscode.Disposable {
  private readonly runtime = new LocalRuntimeHost();
  /** Findings of project files, event files and runs in the Problems view. */
  readonly diagnostics: AuthorizerDiagnostics;
  /** Registered by the activation shell (src/extension.ts), which delegates to it. */
  readonly lenses: AuthorizerCodeLensProvider;
  private readonly scaffold: ScaffoldCommands;

  constructor(private readonly s: Services) {
    this.diagnostics = new AuthorizerDiagnostics(s.projects);
    this.scaffold = new ScaffoldCommands(s, this);
    this.lenses = new AuthorizerCodeLensProvider(s.projects, s.runs, () => this.diagnostics.startProjectChecks());
    s.context.subscriptions.push(this);
  }

  /** The handlers of the "local invoke, events, templates, CodeLens" section of the command table. */
  handlers() {
    return {
      'iotAuthz.invokeLocally': (arg?: unknown) => this.invokeLocally(arg),
      'iotAuthz.runTestEvent': (arg?: unknown, selected?: unknown) => this.invokeEventFiles(arg, selected),
      ...this.scaffold.handlers(),
    } satisfies Partial<CommandHandlers>;
  }

  /** Registers the CodeLens provider and arms the project checks (no I/O until a project file or event opens). */
  register(): void {
    this.diagnostics.startWhenRelevant();
  }

  // --- running -----------------------------------------------------------------------------

  async invokeLocally(arg?: unknown): Promise<InvocationResult | undefined> {
    const rec = asRecord(arg);
    const name = authorizerNameOf(arg);
    const projectFile = nonEmptyString(rec.projectFile) ?? nonEmptyString(asRecord(arg).projectFile);
    const eventFile = filePathOf(rec.eventFile);
    if (eventFile) return this.invokeAndRecord(eventFile, { authorizerName: name, projectFile });
    const target = await this.chooseAuthorizer(name, projectFile);
    if (!target) return undefined;
    const choice = await this.chooseEventFor(target);
    if (!choice) return undefined;
    const file = choice.create ? await this.scaffold.newTestEvent({ authorizer: target.authorizer.name, projectFile: target.project.file }) : choice.file;
    return file ? this.invokeAndRecord(file, { projectFile: target.project.file }) : undefined;
  }

  /** Runs the event file given (Uri or path), the explorer's selection, the active editor's, or one picked. */
  async invokeEventFiles(arg?: unknown, selected?: unknown): Promise<InvocationResult | InvocationResult[] | undefined> {
    const many = Array.isArray(selected) ? selected.map(filePathOf).filter((f): f is string => f !== undefined && isEventFile(f)) : [];
    if (many.length > 1) {
      const results: InvocationResult[] = [];
      for (const file of many) results.push(await this.invokeAndRecord(file));
      return results;
    }
    let file = filePathOf(arg) ?? filePathOf(asRecord(arg).eventFile);
    if (!file) {
      const active = vscode.window.activeTextEditor?.document.uri;
      if (active?.scheme === 'file' && isEventFile(active.fsPath)) file = active.fsPath;
    }
    file ??= (await this.chooseEventFor(undefined))?.file;
    return file ? this.invokeAndRecord(file) : undefined;
  }

  /** Runs one event file and publishes its result. */
  async invokeAndRecord(file: string, options: { authorizerName?: string; projectFile?: string } = {}): Promise<InvocationResult> {
    this.diagnostics.startProjectChecks();
    if (!isEventFile(file)) {
      throw new UserError(`${path.basename(file)} is not a test event: run a file named *${TEST_EVENT_SUFFIX}, or create one with "New Test Event…".`, 'NOT_AN_EVENT_FILE');
    }
    if (!fs.existsSync(file)) throw new UserError(`The test event ${file} does not exist.`, 'EVENT_FILE_NOT_FOUND');
    const projectFile = options.projectFile ?? this.s.projects.projectFileFor(file);
    await this.saveBeforeRun(file, projectFile);
    const runtime = this.runtime.get();
    const result = await invokeEventFile(runtime, {
      eventFile: file,
      ...(projectFile ? { projectFile } : {}),
      ...(options.authorizerName ? { authorizerName: options.authorizerName } : {}),
      sign: createWorkspaceSigner(this.s, path.dirname(projectFile ?? file)),
    });
    // The output channel, status bar, Problems, CodeLens and panel listen to the store (runPublisher.ts).
    await this.s.runs.add(result);
    return result;
  }

  /**
   * The run reads the event, the project file and the handler from disk: unsaved edits to
   * them (and to sources in the project's folder) are saved first, as a task runner would.
   */
  private async saveBeforeRun(eventFile: string, projectFile: string | undefined): Promise<void> {
    const dir = projectFile ? path.dirname(projectFile) + path.sep : undefined;
    const dirty = vscode.workspace.textDocuments.filter((d) => {
      if (!d.isDirty || d.uri.scheme !== 'file') return false;
      const f = d.uri.fsPath;
      return f === eventFile || f === projectFile || (dir !== undefined && f.startsWith(dir) && SOURCE_EXTENSIONS.test(f));
    });
    const saved = await Promise.all(dirty.map((d) => saveDocument(d)));
    // A save can fail (the file changed on disk since it was opened, a read-only file): running
    // would then test the code on disk, not what the user sees, so stop and say so.
    const unsaved = dirty.filter((_, i) => !saved[i]).map((d) => path.basename(d.uri.fsPath));
    if (unsaved.length > 0) {
      throw new UserError(
        `Could not save ${unsaved.join(', ')} before the run, so the run would not use your edits. The file may have changed on disk since it was opened: save it (compare or overwrite) or revert it, then run again.`,
        'SAVE_BEFORE_RUN_FAILED',
      );
    }
  }

  // --- choosing ----------------------------------------------------------------------------

  allAuthorizers(projectFile?: string): AuthorizerInProject[] {
    const all = this.s.projects.authorizers();
    if (projectFile && !all.some((a) => a.project.file === path.resolve(projectFile))) {
      const { project } = this.s.projects.load(projectFile);
      for (const authorizer of project?.authorizers ?? []) if (project) all.push({ authorizer, project });
    }
    return all;
  }

  /** The named authorizer, the only one, or one picked; undefined when the pick is cancelled. */
  async chooseAuthorizer(name: string | undefined, projectFile?: string): Promise<AuthorizerInProject | undefined> {
    const all = this.allAuthorizers(projectFile);
    if (name !== undefined) {
      const found = all.filter((a) => a.authorizer.name === name);
      const inProject = found.find((a) => projectFile !== undefined && a.project.file === path.resolve(projectFile));
      if (inProject ?? found[0]) return inProject ?? found[0];
      throw new UserError(
        `No authorizer named "${name}" in ${PROJECT_FILE_NAME} (known: ${all.map((a) => a.authorizer.name).join(', ') || 'none'}).`,
        'AUTHORIZER_NOT_FOUND',
      );
    }
    if (all.length === 0) {
      throw new UserError(`This workspace has no authorizers: describe one in ${PROJECT_FILE_NAME}, or run "New Authorizer…".`, 'NO_AUTHORIZERS');
    }
    if (all.length === 1) return all[0];
    const root = firstWorkspaceFolder();
    const pick = await vscode.window.showQuickPick(
      all.map((a) => ({
        label: a.authorizer.name,
        description: a.authorizer.runtime,
        detail: `${a.authorizer.handler}${root && vscode.workspace.workspaceFolders!.length > 1 ? ` · ${path.relative(root, a.project.file)}` : ''}`,
        target: a,
      })),
      { title: 'Which authorizer?', placeHolder: 'The authorizer to run on this machine' },
    );
    return pick?.target;
  }

  /**
   * The event files of the workspace that reach `target` (all of them when undefined), the
   * last one run first, then "New Test Event…". Files that do not parse are listed too, so
   * running one shows what is wrong with it.
   */
  private async chooseEventFor(target: AuthorizerInProject | undefined): Promise<EventChoice | undefined> {
    const uris = await vscode.workspace.findFiles(`**/*${TEST_EVENT_SUFFIX}`, '**/node_modules/**');
    const lastRun = this.s.runs.runs().find((r) => r.source.eventFile && (!target || r.request.authorizer === target.authorizer.name))?.source.eventFile;
    const base = target?.project.dir ?? firstWorkspaceFolder() ?? '';
    const items: EventChoice[] = [];
    for (const uri of uris) {
      const file = uri.fsPath;
      if (target && this.s.projects.projectFileFor(file) !== target.project.file) continue;
      const { request, issues } = loadTestEvent(file);
      const label = path.relative(base, file) || path.basename(file);
      if (!request) {
        items.push({ label, description: '$(warning) invalid', detail: issues[0]?.message, file });
        continue;
      }
      if (target && authorizerForRequest(target.project, request).authorizer?.name !== target.authorizer.name) continue;
      items.push({
        label,
        description: `${PROTOCOL_LABELS[request.protocol].label}${file === lastRun ? ' · last run' : ''}`,
        detail: request.description,
        file,
      });
    }
    items.sort((a, b) => (a.file === lastRun ? -1 : b.file === lastRun ? 1 : a.label.localeCompare(b.label)));
    if (target) {
      items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
      items.push({ label: '$(add) New Test Event…', detail: `A starting point for ${target.authorizer.name}, per protocol`, create: true });
    } else if (items.length === 0) {
      throw new UserError(`No test events (*${TEST_EVENT_SUFFIX}) in this workspace: create one with "New Test Event…".`, 'NO_TEST_EVENTS');
    }
    return vscode.window.showQuickPick(items, {
      title: target ? `Invoke ${target.authorizer.name} locally with…` : 'Run which test event?',
      placeHolder: 'A test event file (the request a device sends)',
      matchOnDescription: true,
      matchOnDetail: true,
    });
  }

  dispose(): void {
    this.lenses.dispose();
    this.diagnostics.dispose();
    this.runtime.dispose();
  }
}
