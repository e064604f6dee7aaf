// The local authorizer loop in the editor: "Invoke Authorizer Locally…", "Run Test Event",
// "New Test Event…" and "New Authorizer…", plus the CodeLens and diagnostics that go with them.
// Every run goes the same way: save what the run reads, invoke (src/local), then publish the
// InvocationResult to the output channel, the status bar, the Problems view and the RunStore
// (which the results panel listens to). Each command takes arguments that skip its prompts, so
// tests and other commands can call it; the QuickPicks and InputBoxes are a thin layer on top.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { PROJECT_FILE_NAME, TEST_EVENT_SUFFIX } from '../core/constants';
import { UserError } from '../core/errors';
import { authorizerForRequest } from '../core/events';
import { formatInvocationResult } from '../core/format';
import type { InvocationResult } from '../core/result';
import { loadTestEvent, newTestEventText, TEST_PROTOCOLS, TestProtocol } from '../core/testEvent';
import { invokeEventFile } from '../local/invokeAuthorizer';
import { AuthorizerCodeLensProvider, OPEN_RESULTS_COMMAND, outcomeIcon } from './codeLens';
import type { CommandId } from './commandTable';
import type { CommandHandler } from './commands';
import { AuthorizerDiagnostics } from './diagnostics';
import type { Services } from './features';
import { createWorkspaceSigner } from './keySource';
import { LocalRuntimeHost } from './localRuntimeHost';
import { AuthorizerInProject, WorkspaceProjects } from './workspaceProjects';

const STATUS_MESSAGE_MS = 15000;
/** Test event names: what a file name can hold on every platform, without the suffix. */
const EVENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Sources a run reads from disk, saved first when they have unsaved edits. */
const SOURCE_EXTENSIONS = /\.(py|js|mjs|cjs|ts|mts|cts)$/i;

export const PROTOCOL_LABELS: Readonly<Record<TestProtocol, { label: string; detail: string; baseName: string }>> = {
  http: { label: 'HTTPS publish', detail: 'POST /topics/<topic> on port 443; token and signature in headers', baseName: 'http-publish' },
  mqtt: { label: 'MQTT over TLS', detail: 'Port 443 with ALPN mqtt; token and signature in the MQTT username', baseName: 'mqtt-connect' },
  'mqtt-wss': { label: 'MQTT over WebSocket', detail: 'wss://<endpoint>/mqtt; token and signature on the URL (browsers cannot set headers)', baseName: 'mqtt-wss-connect' },
};

export interface InvokeLocallyArgs {
  /** The authorizer to run; default: the only one, else a QuickPick. */
  readonly authorizer?: string | { readonly name: string };
  /** The test event to send; default: a QuickPick of the authorizer's event files. */
  readonly eventFile?: string | vscode.Uri;
  /** The project the authorizer is in, when the workspace has several. */
  readonly projectFile?: string;
}

export interface NewTestEventArgs {
  readonly authorizer?: string;
  readonly protocol?: TestProtocol;
  /** File name without `.authz.json`; taken as a base when the file exists (`name-2`, ...). */
  readonly name?: string;
  /** Open the new file (default true). */
  readonly open?: boolean;
  readonly projectFile?: string;
}

type Rec = Readonly<Record<string, unknown>>;

function asRecord(arg: unknown): Rec {
  return typeof arg === 'object' && arg !== null && !(arg instanceof vscode.Uri) && !Array.isArray(arg) ? (arg as Rec) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `"Name"`, `{authorizer: "Name"}`, `{authorizer: {name}}` (an explorer node) or nothing. */
function authorizerNameOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return str(arg);
  const a = asRecord(arg).authorizer;
  return str(a) ?? str(asRecord(a).name);
}

function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** A Uri, an absolute or workspace-relative path, or anything with `fsPath` / `resourceUri`. */
function filePathOf(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.scheme === 'file' ? arg.fsPath : undefined;
  if (typeof arg === 'string' && arg !== '') return path.resolve(workspaceRoot() ?? process.cwd(), arg);
  const r = asRecord(arg);
  if (r.resourceUri instanceof vscode.Uri) return filePathOf(r.resourceUri);
  return str(r.fsPath);
}

function isEventFile(file: string): boolean {
  return file.endsWith(TEST_EVENT_SUFFIX);
}

/** `name`, else `name-2`, `name-3`, ...: the first that names no file in `dir`. */
export function freshEventName(dir: string, name: string): string {
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? name : `${name}-${i}`;
    if (!fs.existsSync(path.join(dir, candidate + TEST_EVENT_SUFFIX))) return candidate;
  }
}

interface EventChoice extends vscode.QuickPickItem {
  readonly file?: string;
  readonly create?: true;
}

export class LocalInvokeFeature implements vscode.Disposable {
  private readonly runtime = new LocalRuntimeHost();
  private readonly projects = new WorkspaceProjects();
  private readonly diagnostics = new AuthorizerDiagnostics(this.projects);
  private readonly lenses: AuthorizerCodeLensProvider;

  constructor(private readonly s: Services) {
    this.lenses = new AuthorizerCodeLensProvider(this.projects, s.runs, () => this.diagnostics.startProjectChecks());
    s.context.subscriptions.push(this);
  }

  /** The handlers of the "local invoke, events, templates, CodeLens" section of the command table. */
  handlers() {
    return {
      'iotAuthz.invokeLocally': (arg?: unknown) => this.invokeLocally(arg),
      'iotAuthz.runTestEvent': (arg?: unknown, selected?: unknown) => this.runTestEvent(arg, selected),
      'iotAuthz.newTestEvent': (arg?: unknown) => this.newTestEvent(arg),
      'iotAuthz.newAuthorizer': (arg?: unknown) => this.newAuthorizer(arg),
    } satisfies Partial<Record<CommandId, CommandHandler>>;
  }

  /** Registers the CodeLens provider and arms the project checks (no I/O until a project file or event opens). */
  register(): void {
    this.s.context.subscriptions.push(vscode.languages.registerCodeLensProvider(AuthorizerCodeLensProvider.selector, this.lenses));
    this.diagnostics.startWhenRelevant();
  }

  // --- running -----------------------------------------------------------------------------

  async invokeLocally(arg?: unknown): Promise<InvocationResult | undefined> {
    const rec = asRecord(arg);
    const name = authorizerNameOf(arg);
    const projectFile = str(rec.projectFile) ?? str(asRecord(arg).projectFile);
    const eventFile = filePathOf(rec.eventFile);
    if (eventFile) return this.runEventFile(eventFile, { authorizerName: name, projectFile });
    const target = await this.chooseAuthorizer(name, projectFile);
    if (!target) return undefined;
    const choice = await this.chooseEventFor(target);
    if (!choice) return undefined;
    const file = choice.create ? await this.newTestEvent({ authorizer: target.authorizer.name, projectFile: target.project.file }) : choice.file;
    return file ? this.runEventFile(file, { projectFile: target.project.file }) : undefined;
  }

  /** Runs the event file given (Uri or path), the explorer's selection, the active editor's, or one picked. */
  async runTestEvent(arg?: unknown, selected?: unknown): Promise<InvocationResult | InvocationResult[] | undefined> {
    const many = Array.isArray(selected) ? selected.map(filePathOf).filter((f): f is string => f !== undefined && isEventFile(f)) : [];
    if (many.length > 1) {
      const results: InvocationResult[] = [];
      for (const file of many) results.push(await this.runEventFile(file));
      return results;
    }
    let file = filePathOf(arg) ?? filePathOf(asRecord(arg).eventFile);
    if (!file) {
      const active = vscode.window.activeTextEditor?.document.uri;
      if (active?.scheme === 'file' && isEventFile(active.fsPath)) file = active.fsPath;
    }
    file ??= (await this.chooseEventFor(undefined))?.file;
    return file ? this.runEventFile(file) : undefined;
  }

  /** Runs one event file and publishes its result. */
  async runEventFile(file: string, options: { authorizerName?: string; projectFile?: string } = {}): Promise<InvocationResult> {
    this.diagnostics.startProjectChecks();
    if (!isEventFile(file)) {
      throw new UserError(`${path.basename(file)} is not a test event: run a file named *${TEST_EVENT_SUFFIX}, or create one with "New Test Event…".`, 'NOT_AN_EVENT_FILE');
    }
    if (!fs.existsSync(file)) throw new UserError(`The test event ${file} does not exist.`, 'EVENT_FILE_NOT_FOUND');
    const projectFile = options.projectFile ?? this.projects.projectFileFor(file);
    await this.saveBeforeRun(file, projectFile);
    const runtime = this.runtime.get();
    const result = await invokeEventFile(runtime, {
      eventFile: file,
      ...(projectFile ? { projectFile } : {}),
      ...(options.authorizerName ? { authorizerName: options.authorizerName } : {}),
      sign: createWorkspaceSigner(this.s, path.dirname(projectFile ?? file)),
    });
    await this.publish(result);
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
    await Promise.all(dirty.map((d) => d.save()));
  }

  private async publish(result: InvocationResult): Promise<void> {
    this.s.log.append(`\n${formatInvocationResult(result)}`);
    vscode.window.setStatusBarMessage(`${outcomeIcon(result.outcome)} ${result.headline}`, STATUS_MESSAGE_MS);
    this.diagnostics.showRun(result);
    await this.s.runs.add(result);
    // Until the results panel exists, the output channel is where a run's answer shows.
    if (!(await vscode.commands.getCommands(true)).includes(OPEN_RESULTS_COMMAND)) this.s.log.show();
  }

  // --- choosing ----------------------------------------------------------------------------

  private allAuthorizers(projectFile?: string): AuthorizerInProject[] {
    const all = this.projects.authorizers();
    if (projectFile && !all.some((a) => a.project.file === path.resolve(projectFile))) {
      const { project } = this.projects.load(projectFile);
      for (const authorizer of project?.authorizers ?? []) if (project) all.push({ authorizer, project });
    }
    return all;
  }

  /** The named authorizer, the only one, or one picked; undefined when the pick is cancelled. */
  private async chooseAuthorizer(name: string | undefined, projectFile?: string): Promise<AuthorizerInProject | undefined> {
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
    const root = workspaceRoot();
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
    const base = target?.project.dir ?? workspaceRoot() ?? '';
    const items: EventChoice[] = [];
    for (const uri of uris) {
      const file = uri.fsPath;
      if (target && this.projects.projectFileFor(file) !== target.project.file) continue;
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

  // --- creating ----------------------------------------------------------------------------

  /** Writes events/<name>.authz.json for an authorizer and protocol; never replaces a file. Returns its path. */
  async newTestEvent(arg?: unknown): Promise<string | undefined> {
    const rec = asRecord(arg);
    const name = authorizerNameOf(arg);
    const projectFile = str(rec.projectFile);
    const all = this.allAuthorizers(projectFile);
    const target = name !== undefined || all.length > 0 ? await this.chooseAuthorizer(name, projectFile) : undefined;
    if (!target && all.length > 0) return undefined;
    const folder = target?.project.dir ?? workspaceRoot();
    if (!folder) throw new UserError('Open a folder first: test events are written to its events/ folder.', 'NO_WORKSPACE');

    let protocol = rec.protocol as TestProtocol | undefined;
    if (protocol !== undefined && !TEST_PROTOCOLS.includes(protocol)) {
      throw new UserError(`Unknown protocol "${String(protocol)}": use ${TEST_PROTOCOLS.map((p) => `"${p}"`).join(', ')}.`, 'UNKNOWN_PROTOCOL');
    }
    protocol ??= (
      await vscode.window.showQuickPick(
        TEST_PROTOCOLS.map((p) => ({ label: PROTOCOL_LABELS[p].label, description: p, detail: PROTOCOL_LABELS[p].detail, protocol: p })),
        { title: `New test event${target ? ` for ${target.authorizer.name}` : ''}`, placeHolder: 'How does the device connect?' },
      )
    )?.protocol;
    if (!protocol) return undefined;

    const dir = path.join(folder, 'events');
    const several = all.length > 1 && target;
    const baseName = several ? `${target.authorizer.name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-')}-${PROTOCOL_LABELS[protocol].baseName}` : PROTOCOL_LABELS[protocol].baseName;
    let fileName: string | undefined;
    const requested = str(rec.name)?.replace(new RegExp(`${TEST_EVENT_SUFFIX.replace(/\./g, '\\.')}$`), '');
    if (requested !== undefined) {
      if (!EVENT_NAME_PATTERN.test(requested)) throw new UserError(`"${requested}" cannot be a test event name: use letters, digits, ".", "_" and "-".`, 'INVALID_EVENT_NAME');
      fileName = freshEventName(dir, requested);
    } else {
      fileName = await vscode.window.showInputBox({
        title: 'Name of the new test event',
        prompt: `Written to ${path.relative(workspaceRoot() ?? folder, dir) || 'events'}/<name>${TEST_EVENT_SUFFIX}`,
        value: freshEventName(dir, baseName),
        validateInput: (v) => {
          const n = v.trim().replace(new RegExp(`${TEST_EVENT_SUFFIX.replace(/\./g, '\\.')}$`), '');
          if (!EVENT_NAME_PATTERN.test(n)) return 'Use letters, digits, ".", "_" and "-" (start with a letter or digit).';
          if (fs.existsSync(path.join(dir, n + TEST_EVENT_SUFFIX))) return `events/${n}${TEST_EVENT_SUFFIX} exists: pick another name (nothing is overwritten).`;
          return undefined;
        },
      });
      fileName = fileName?.trim().replace(new RegExp(`${TEST_EVENT_SUFFIX.replace(/\./g, '\\.')}$`), '');
      if (!fileName) return undefined;
    }

    const config = target?.authorizer;
    const text = newTestEventText({
      protocol,
      ...(config ? { authorizer: config.name } : {}),
      ...(config && !config.signingDisabled && config.signingKeys[0] ? { signingKey: config.signingKeys[0] } : {}),
    });
    fs.mkdirSync(dir, { recursive: true });
    let file = path.join(dir, fileName + TEST_EVENT_SUFFIX);
    for (;;) {
      try {
        // 'wx' fails when the file appeared since the name was chosen: never replace it.
        fs.writeFileSync(file, text, { flag: 'wx' });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        file = path.join(dir, freshEventName(dir, fileName) + TEST_EVENT_SUFFIX);
      }
    }
    this.s.log.info(`New test event: ${file}`);
    if (rec.open !== false) await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
    return file;
  }

  async newAuthorizer(_arg?: unknown): Promise<unknown> {
    throw new UserError('New Authorizer is not available yet.', 'NOT_AVAILABLE');
  }

  dispose(): void {
    this.lenses.dispose();
    this.diagnostics.dispose();
    this.projects.dispose();
    this.runtime.dispose();
  }
}
