// The local authorizer loop in the editor: "Invoke Authorizer Locally…", "Run Test Event",
// "New Test Event…" and "New Authorizer…", plus the CodeLens and diagnostics that go with them.
// Every run goes the same way: save what the run reads, invoke (src/local), then add the
// InvocationResult to the RunStore; the output channel, the status bar, the Problems view
// (runPublisher.ts) and the results panel listen to it. Each command takes arguments that skip its prompts, so
// tests and other commands can call it; the QuickPicks and InputBoxes are a thin layer on top.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { AUTHORIZER_NAME_MAX_LENGTH, AUTHORIZER_NAME_PATTERN, DEFAULT_KEYGEN_BITS, KEY_STORE_DIR, PROJECT_FILE_NAME, TEST_EVENT_SUFFIX } from '../core/constants';
import { UserError } from '../core/errors';
import { authorizerForRequest } from '../core/events';
import { storedKeyFiles } from '../core/keyStore';
import type { HandlerLanguage } from '../core/project';
import type { InvocationResult } from '../core/result';
import {
  createAuthorizer,
  Scaffold,
  scaffoldAuthorizer,
  ScaffoldConflictError,
  TEMPLATE_DESCRIPTIONS,
  TEMPLATE_KINDS,
  TEMPLATE_LANGUAGES,
  TEMPLATE_RUNTIMES,
  TemplateKind,
  writeScaffold,
  WrittenScaffold,
} from '../core/templates';
import { loadTestEvent, newTestEventText, PROTOCOL_LABELS, TEST_PROTOCOLS, TestProtocol } from '../core/testEvent';
import { invokeEventFile } from '../local/invokeAuthorizer';
import { AuthorizerCodeLensProvider } from './codeLens';
import { asRecord, authorizerNameOf, nonEmptyString } from './commandArgs';
import { commandId, runCommand, type CommandHandlers } from './commands';
import { AuthorizerDiagnostics } from './diagnostics';
import type { Services } from './features';
import { createWorkspaceSigner } from './keySource';
import { LocalRuntimeHost } from './localRuntimeHost';
import type { AuthorizerInProject } from './workspaceProjects';

/** Test event names: what a file name can hold on every platform, without the suffix. */
const EVENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
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

export interface NewTestEventArgs {
  readonly authorizer?: string;
  readonly protocol?: TestProtocol;
  /** File name without `.authz.json`; taken as a base when the file exists (`name-2`, ...). */
  readonly name?: string;
  /** Open the new file (default true). */
  readonly open?: boolean;
  readonly projectFile?: string;
}

export interface NewAuthorizerArgs {
  readonly kind?: TemplateKind;
  readonly language?: HandlerLanguage;
  readonly name?: string;
  /** On a conflict: true replaces, false aborts; absent asks (modal). */
  readonly overwrite?: boolean;
  /** Signed token: true generates the signing key, false skips; absent offers it. */
  readonly generateKey?: boolean;
  /** Open the handler (default true). */
  readonly open?: boolean;
  /** The folder to write into; default the first workspace folder. */
  readonly folder?: string;
}

export interface NewAuthorizerResult {
  readonly name: string;
  readonly kind: TemplateKind;
  readonly language: HandlerLanguage;
  readonly handlerFile: string;
  /** Every file written (handler first, then the test events). */
  readonly files: readonly string[];
  /** The test events written, with the outcome each is written to produce. */
  readonly events: ReadonlyArray<{ readonly file: string; readonly expect?: 'allowed' | 'denied' }>;
  readonly projectFile: string;
  readonly signingKey?: string;
  /** Whether the signing key exists once the command returns. */
  readonly signingKeyReady?: boolean;
  /** Keys the template itself created (the JWT issuer key). */
  readonly generatedKeys: readonly string[];
}

const GENERATE_KEY_COMMAND = commandId('iotAuthz.generateKeyPair');

const KIND_LABELS: Readonly<Record<TemplateKind, string>> = {
  'signed-token': 'Signed token',
  'mqtt-username-password': 'MQTT username and password',
  'jwt-bearer': 'Bearer token (JWT)',
};

const LANGUAGE_LABELS: Readonly<Record<HandlerLanguage, string>> = { python: 'Python', typescript: 'TypeScript', javascript: 'JavaScript' };

/** Why `name` cannot be an authorizer name in AWS, or undefined. */
export function authorizerNameProblem(name: string): string | undefined {
  if (name === '') return 'Enter a name, e.g. "MyDeviceAuthorizer".';
  if (name.length > AUTHORIZER_NAME_MAX_LENGTH) return `At most ${AUTHORIZER_NAME_MAX_LENGTH} characters (this one has ${name.length}).`;
  if (!AUTHORIZER_NAME_PATTERN.test(name)) return 'Use letters, digits and _ = , @ - only (AWS IoT authorizer names).';
  return undefined;
}

function freshAuthorizerName(existing: ReadonlySet<string>, kind: TemplateKind): string {
  const base = { 'signed-token': 'SignedTokenAuthorizer', 'mqtt-username-password': 'PasswordAuthorizer', 'jwt-bearer': 'JwtAuthorizer' }[kind];
  for (let i = 1; ; i++) if (!existing.has(i === 1 ? base : `${base}${i}`)) return i === 1 ? base : `${base}${i}`;
}

/** The first workspace folder: where relative paths given to a command start, and where new events go by default. */
function firstWorkspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
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
  /** Findings of project files, event files and runs in the Problems view. */
  readonly diagnostics: AuthorizerDiagnostics;
  /** Registered by the activation shell (src/extension.ts), which delegates to it. */
  readonly lenses: AuthorizerCodeLensProvider;

  constructor(private readonly s: Services) {
    this.diagnostics = new AuthorizerDiagnostics(s.projects);
    this.lenses = new AuthorizerCodeLensProvider(s.projects, s.runs, () => this.diagnostics.startProjectChecks());
    s.context.subscriptions.push(this);
  }

  /** The handlers of the "local invoke, events, templates, CodeLens" section of the command table. */
  handlers() {
    return {
      'iotAuthz.invokeLocally': (arg?: unknown) => this.invokeLocally(arg),
      'iotAuthz.runTestEvent': (arg?: unknown, selected?: unknown) => this.invokeEventFiles(arg, selected),
      'iotAuthz.newTestEvent': (arg?: unknown) => this.newTestEvent(arg),
      'iotAuthz.newAuthorizer': (arg?: unknown) => this.newAuthorizer(arg),
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
    const file = choice.create ? await this.newTestEvent({ authorizer: target.authorizer.name, projectFile: target.project.file }) : choice.file;
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

  private allAuthorizers(projectFile?: string): AuthorizerInProject[] {
    const all = this.s.projects.authorizers();
    if (projectFile && !all.some((a) => a.project.file === path.resolve(projectFile))) {
      const { project } = this.s.projects.load(projectFile);
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

  // --- creating ----------------------------------------------------------------------------

  /** Writes events/<name>.authz.json for an authorizer and protocol; never replaces a file. Returns its path. */
  async newTestEvent(arg?: unknown): Promise<string | undefined> {
    const rec = asRecord(arg);
    const name = authorizerNameOf(arg);
    const projectFile = nonEmptyString(rec.projectFile);
    const all = this.allAuthorizers(projectFile);
    const target = name !== undefined || all.length > 0 ? await this.chooseAuthorizer(name, projectFile) : undefined;
    if (!target && all.length > 0) return undefined;
    const folder = target?.project.dir ?? firstWorkspaceFolder();
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
    const requested = nonEmptyString(rec.name)?.replace(new RegExp(`${TEST_EVENT_SUFFIX.replace(/\./g, '\\.')}$`), '');
    if (requested !== undefined) {
      if (!EVENT_NAME_PATTERN.test(requested)) throw new UserError(`"${requested}" cannot be a test event name: use letters, digits, ".", "_" and "-".`, 'INVALID_EVENT_NAME');
      fileName = freshEventName(dir, requested);
    } else {
      fileName = await vscode.window.showInputBox({
        title: 'Name of the new test event',
        prompt: `Written to ${path.relative(firstWorkspaceFolder() ?? folder, dir) || 'events'}/<name>${TEST_EVENT_SUFFIX}`,
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

  /**
   * Scaffolds a handler, its test events and its iot-authorizer.json entry (core/templates.ts).
   * Asks before replacing anything (modal), opens the handler, refreshes the explorer, and for a
   * signed token offers to generate the signing key with "Generate Signing Key Pair".
   */
  async newAuthorizer(arg?: unknown): Promise<NewAuthorizerResult | undefined> {
    const rec = asRecord(arg);
    const root = nonEmptyString(rec.folder) ? path.resolve(nonEmptyString(rec.folder)!) : firstWorkspaceFolder();
    if (!root) throw new UserError('Open a folder first: the new authorizer is written into it, next to iot-authorizer.json.', 'NO_WORKSPACE');
    const existing = new Set((this.s.projects.load(path.join(root, PROJECT_FILE_NAME)).project?.authorizers ?? []).map((a) => a.name));

    let kind = rec.kind as TemplateKind | undefined;
    if (kind !== undefined && !TEMPLATE_KINDS.includes(kind)) {
      throw new UserError(`Unknown authorizer kind "${String(kind)}": use ${TEMPLATE_KINDS.map((k) => `"${k}"`).join(', ')}.`, 'UNKNOWN_TEMPLATE');
    }
    kind ??= (
      await vscode.window.showQuickPick(
        TEMPLATE_KINDS.map((k) => ({ label: KIND_LABELS[k], description: k, detail: TEMPLATE_DESCRIPTIONS[k], template: k })),
        { title: 'New Authorizer (1/3): what does the device send?', placeHolder: 'The credentials your authorizer checks' },
      )
    )?.template;
    if (!kind) return undefined;

    let language = rec.language as HandlerLanguage | undefined;
    if (language !== undefined && !TEMPLATE_LANGUAGES.includes(language)) {
      throw new UserError(`Unknown language "${String(language)}": use ${TEMPLATE_LANGUAGES.map((l) => `"${l}"`).join(', ')}.`, 'UNKNOWN_LANGUAGE');
    }
    language ??= (
      await vscode.window.showQuickPick(
        TEMPLATE_LANGUAGES.map((l) => ({ label: LANGUAGE_LABELS[l], description: TEMPLATE_RUNTIMES[l], language: l })),
        { title: 'New Authorizer (2/3): handler language', placeHolder: 'The Lambda runtime the handler is written for' },
      )
    )?.language;
    if (!language) return undefined;

    let name = nonEmptyString(rec.name);
    if (name !== undefined) {
      const problem = authorizerNameProblem(name);
      if (problem) throw new UserError(problem, 'INVALID_AUTHORIZER_NAME');
    } else {
      name = (
        await vscode.window.showInputBox({
          title: 'New Authorizer (3/3): authorizer name',
          prompt: 'The name in AWS IoT Core, sent by devices as x-amz-customauthorizer-name',
          value: freshAuthorizerName(existing, kind),
          validateInput: (v) => {
            const problem = authorizerNameProblem(v.trim());
            if (problem) return problem;
            if (existing.has(v.trim())) {
              return { message: `${PROJECT_FILE_NAME} already has "${v.trim()}": continuing asks before replacing it.`, severity: vscode.InputBoxValidationSeverity.Warning };
            }
            return undefined;
          },
        })
      )?.trim();
      if (!name) return undefined;
    }

    const written = await this.writeAuthorizer(root, { kind, language, name }, rec.overwrite as boolean | undefined);
    if (!written) return undefined;
    this.s.projects.invalidate(written.projectFile);
    this.s.explorer.refresh();
    const handlerFile = written.files[written.scaffold.files.findIndex((f) => f.role === 'handler')];
    this.s.log.info(`New authorizer "${name}" (${kind}, ${language}): ${written.files.map((f) => path.relative(root, f)).join(', ')}; ${path.relative(root, written.projectFile)} ${written.projectCreated ? 'created' : 'updated'}.`);
    if (rec.open !== false) await vscode.window.showTextDocument(vscode.Uri.file(handlerFile), { preview: false });
    const signingKey = written.scaffold.keys.signing;
    let keyReady = signingKey === undefined || fs.existsSync(storedKeyFiles(root, signingKey).publicKeyFile);
    if (!keyReady && signingKey !== undefined) keyReady = await this.offerSigningKey(root, name, signingKey, rec.generateKey as boolean | undefined);
    return {
      name,
      kind,
      language,
      handlerFile,
      files: written.files,
      events: written.scaffold.files.flatMap((f, i) => (f.role === 'event' ? [{ file: written.files[i], ...(f.expect ? { expect: f.expect } : {}) }] : [])),
      projectFile: written.projectFile,
      ...(signingKey !== undefined ? { signingKey, signingKeyReady: keyReady } : {}),
      generatedKeys: written.generatedKeys,
    };
  }

  /** Writes the scaffold; on a conflict asks (modal) before overwriting, or aborts when `overwrite` is false. */
  private async writeAuthorizer(
    root: string,
    options: { kind: TemplateKind; language: HandlerLanguage; name: string },
    overwrite: boolean | undefined,
  ): Promise<(WrittenScaffold & { scaffold: Scaffold; generatedKeys: readonly string[] }) | undefined> {
    const write = async (replace: boolean) => {
      // The JWT template needs its issuer key to exist before the handler is written (it embeds
      // the public key); createAuthorizer makes or reuses it. The signing key is offered after.
      if (options.kind === 'jwt-bearer') return createAuthorizer(root, { ...options, overwrite: replace });
      const scaffold = scaffoldAuthorizer({ ...options, dir: root });
      return { ...(await writeScaffold(root, scaffold, { overwrite: replace })), scaffold, generatedKeys: [] as string[] };
    };
    try {
      return await write(overwrite === true);
    } catch (e) {
      if (!(e instanceof ScaffoldConflictError) || e.code === 'PROJECT_INVALID' || overwrite !== undefined) throw e;
      const what = e.code === 'AUTHORIZER_EXISTS'
        ? `${PROJECT_FILE_NAME} already has an authorizer named "${options.name}".`
        : `These files exist: ${e.conflicts.map((f) => path.relative(root, f)).join(', ')}.`;
      const answer = await vscode.window.showWarningMessage(
        `${what} Replace them with the new "${options.name}" authorizer?`,
        { modal: true, detail: 'Replaced files and the entry are lost. Cancel leaves everything as it is.' },
        'Overwrite',
      );
      if (answer !== 'Overwrite') {
        this.s.log.info(`New Authorizer: nothing written; ${what}`);
        return undefined;
      }
      return write(true);
    }
  }

  /** Generates the signed-token template's key with "Generate Signing Key Pair" when asked or accepted. */
  private async offerSigningKey(root: string, name: string, keyName: string, generate: boolean | undefined): Promise<boolean> {
    const hasCommand = (await vscode.commands.getCommands(true)).includes(GENERATE_KEY_COMMAND);
    const generateNow = () => runCommand(GENERATE_KEY_COMMAND, { keyName, bits: DEFAULT_KEYGEN_BITS, workspaceFolder: root });
    if (!hasCommand || generate === false) {
      this.s.log.info(`"${name}" signs its test events with key "${keyName}", which does not exist yet: create it in ${KEY_STORE_DIR}/${keyName}/.`);
      return false;
    }
    if (generate === true) {
      await generateNow();
      return fs.existsSync(storedKeyFiles(root, keyName).publicKeyFile);
    }
    // Not awaited: the command returns while the offer waits for the user.
    void vscode.window
      .showInformationMessage(`"${name}" verifies tokens signed with key "${keyName}", which does not exist yet. Generate it now?`, 'Generate Key Pair')
      .then((answer) => (answer ? generateNow() : undefined))
      .then(undefined, (e: unknown) => this.s.log.error(`Generate Signing Key Pair failed: ${e instanceof Error ? e.message : String(e)}`));
    return false;
  }

  dispose(): void {
    this.lenses.dispose();
    this.diagnostics.dispose();
    this.runtime.dispose();
  }
}
