// The "IoT Authorizer" diagnostics: what the last run of an event file found (response rules,
// the signature gate, problems of the request) on that event file, and the project file's
// issues on iot-authorizer.json as it is edited. Nothing is read before a project-related
// document opens or a project feature is used.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { findNodeAtLocation, findNodeAtOffset, Node as JsonNode, parseTree } from 'jsonc-parser';
import { PROJECT_FILE_NAME, SIGNATURE_PARAM, TEST_EVENT_SUFFIX } from '../core/constants';
import type { EventProblem } from '../core/events';
import type { ProjectIssue } from '../core/project';
import type { InvocationResult } from '../core/result';
import { loadTestEvent } from '../core/testEvent';
import { findHandlerLine } from './handlerLocation';
import { WorkspaceProjects } from './workspaceProjects';

export const DIAGNOSTIC_SOURCE = 'IoT Authorizer';
const PROJECT_CHECK_DELAY_MS = 250;

/** A JSON text with the means to turn offsets and JSON paths into editor ranges. */
class JsonLocator {
  private readonly lineStarts: number[] = [0];
  readonly root: JsonNode | undefined;

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    this.root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  }

  position(offset: number): vscode.Position {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return new vscode.Position(lo, offset - this.lineStarts[lo]);
  }

  /** The first line's text, where findings about the file as a whole go. */
  top(): vscode.Range {
    const end = this.text.indexOf('\n');
    return new vscode.Range(0, 0, 0, Math.max(1, (end < 0 ? this.text.length : end) - (this.text[end - 1] === '\r' ? 1 : 0)));
  }

  /** `node` when it fits on one line; else its property key (an object's value spans lines); else its first character. */
  rangeOf(node: JsonNode): vscode.Range {
    const span = (n: JsonNode) => new vscode.Range(this.position(n.offset), this.position(n.offset + n.length));
    const whole = span(node);
    if (whole.isSingleLine) return whole;
    const key = node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
    if (key && key !== node) return span(key);
    return new vscode.Range(whole.start, whole.start.translate(0, 1));
  }

  /** A property by path, top-level key then a child key matched case-insensitively (header names). */
  find(pathText: string | undefined): JsonNode | undefined {
    if (!this.root || !pathText) return undefined;
    const dot = pathText.indexOf('.');
    const top = dot < 0 ? pathText : pathText.slice(0, dot);
    const parent = findNodeAtLocation(this.root, [top]);
    if (dot < 0 || !parent) return parent;
    const childKey = pathText.slice(dot + 1).toLowerCase();
    const child = parent.children?.find((p) => p.type === 'property' && String(p.children?.[0]?.value).toLowerCase() === childKey);
    return child?.children?.[1] ?? parent;
  }

  /** The JSON value starting at a 0-based line and column, or one character there. */
  rangeAt(line: number, character: number): vscode.Range {
    const offset = (this.lineStarts[line] ?? 0) + character;
    const node = this.root ? findNodeAtOffset(this.root, offset) : undefined;
    if (node && node.offset === offset) return this.rangeOf(node);
    const start = this.position(offset);
    return new vscode.Range(start, new vscode.Position(start.line, start.character + 1));
  }

  rangeFor(...paths: Array<string | undefined>): vscode.Range {
    for (const p of paths) {
      const node = this.find(p);
      if (node) return this.rangeOf(node);
    }
    return this.top();
  }

  /** The header or query parameter that carries the signature, if the file spells it out. */
  signatureField(): string | undefined {
    for (const container of ['headers', 'queryString']) {
      const node = this.root ? findNodeAtLocation(this.root, [container]) : undefined;
      const prop = node?.children?.find((p) => String(p.children?.[0]?.value).toLowerCase() === SIGNATURE_PARAM);
      if (prop) return `${container}.${SIGNATURE_PARAM}`;
    }
    return undefined;
  }
}

const SEVERITY: Record<'error' | 'warning' | 'info', vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

function diagnostic(range: vscode.Range, message: string, severity: vscode.DiagnosticSeverity, code?: string): vscode.Diagnostic {
  const d = new vscode.Diagnostic(range, message, severity);
  d.source = DIAGNOSTIC_SOURCE;
  if (code) d.code = code;
  return d;
}

function readText(file: string): string | undefined {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
  if (open) return open.getText();
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Where the handler function is, for "see also" links from findings about its answer. */
function handlerLocation(result: InvocationResult): vscode.Location | undefined {
  const file = result.source.handlerFile;
  if (!file) return undefined;
  const text = readText(file);
  const line = text !== undefined && result.source.handlerFunction ? findHandlerLine(text, result.source.handlerFunction, file) : 0;
  return new vscode.Location(vscode.Uri.file(file), new vscode.Position(line, 0));
}

/** The diagnostics a run leaves on its event file. */
export function runDiagnostics(result: InvocationResult, text: string): vscode.Diagnostic[] {
  const json = new JsonLocator(text);
  const out: vscode.Diagnostic[] = [];
  const handler = handlerLocation(result);
  const seeHandler = (d: vscode.Diagnostic) => {
    if (handler) d.relatedInformation = [new vscode.DiagnosticRelatedInformation(handler, `handler ${result.source.handlerFunction ?? ''}`.trim())];
    return d;
  };

  if (result.error?.code === 'EVENT_INVALID' && result.source.eventFile) {
    // The parser's own issues carry line and column; the result only has them as text.
    for (const issue of loadTestEvent(result.source.eventFile).issues) out.push(issueDiagnostic(issue, json));
    return out;
  }

  const sig = result.signature;
  if (result.event === undefined && (sig.status === 'failed' || sig.status === 'missing') && sig.diagnosis && result.outcome === 'signature-rejected') {
    const range = sig.diagnosis.startsWith('No token')
      ? json.rangeFor('credentials.token', 'credentials')
      : json.rangeFor('credentials.signature', json.signatureField(), 'credentials');
    out.push(diagnostic(range, `Signature ${sig.status}: ${sig.diagnosis}`, vscode.DiagnosticSeverity.Warning, sig.findings?.[0]?.code ?? `SIGNATURE_${sig.status.toUpperCase()}`));
  }

  for (const p of result.problems) {
    // Notes (runtime version, reloads, header case) stay in the output and the panel: the
    // Problems view is for what needs fixing.
    if (p.severity === 'info') continue;
    out.push(diagnostic(problemRange(p, json), p.message, SEVERITY[p.severity]));
  }

  if (result.error && result.outcome === 'handler-error') {
    out.push(seeHandler(diagnostic(json.top(), `Handler error (${result.error.code}): ${result.error.message}`, vscode.DiagnosticSeverity.Error, result.error.code)));
  }

  for (const f of result.validation?.findings ?? []) {
    if (f.severity === 'info') continue;
    const where = f.path ? `${f.path}: ` : '';
    out.push(seeHandler(diagnostic(json.top(), `Handler response ${where}${f.message} ${f.hint}`.trim(), SEVERITY[f.severity], f.code)));
  }
  return out;
}

function problemRange(p: EventProblem, json: JsonLocator): vscode.Range {
  return json.rangeFor(p.field);
}

/** A parser issue at its line and column, spanning the JSON value found there. */
function issueDiagnostic(issue: ProjectIssue, json: JsonLocator): vscode.Diagnostic {
  return diagnostic(json.rangeAt(issue.line - 1, issue.column - 1), issue.message, SEVERITY[issue.severity]);
}

export class AuthorizerDiagnostics implements vscode.Disposable {
  private collectionInstance: vscode.DiagnosticCollection | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  private checkingProjects = false;
  private eventWatcher: vscode.FileSystemWatcher | undefined;

  constructor(private readonly projects: WorkspaceProjects) {}

  private get collection(): vscode.DiagnosticCollection {
    this.collectionInstance ??= vscode.languages.createDiagnosticCollection(DIAGNOSTIC_SOURCE);
    return this.collectionInstance;
  }

  /** Replaces the event file's diagnostics with what `result` found. */
  showRun(result: InvocationResult): void {
    const file = result.source.eventFile;
    if (!file) return;
    const text = readText(file);
    this.collection.set(vscode.Uri.file(file), text === undefined ? [] : runDiagnostics(result, text));
    if (result.error?.code === 'PROJECT_INVALID') this.startProjectChecks();
    this.forgetDeletedEventFiles();
  }

  /** A deleted event file's findings would otherwise stay in the Problems view. */
  private forgetDeletedEventFiles(): void {
    if (this.eventWatcher) return;
    this.eventWatcher = vscode.workspace.createFileSystemWatcher(`**/*${TEST_EVENT_SUFFIX}`, true, true, false);
    this.subscriptions.push(this.eventWatcher, this.eventWatcher.onDidDelete((uri) => this.collectionInstance?.delete(uri)));
  }

  /** Diagnostics currently shown for `file` (tests). */
  get(file: string): readonly vscode.Diagnostic[] {
    return this.collectionInstance?.get(vscode.Uri.file(file)) ?? [];
  }

  /**
   * Starts checking project files once a project-related document is open (or already is);
   * activation itself stays free of I/O.
   */
  startWhenRelevant(): void {
    const relevant = (d: vscode.TextDocument) =>
      d.uri.scheme === 'file' && (path.basename(d.uri.fsPath) === PROJECT_FILE_NAME || d.uri.fsPath.endsWith(TEST_EVENT_SUFFIX));
    if (vscode.workspace.textDocuments.some(relevant)) {
      // A restored editor: read the project after activation has returned, not during it.
      const timer = setTimeout(() => this.startProjectChecks(), 0);
      this.subscriptions.push({ dispose: () => clearTimeout(timer) });
      return;
    }
    const sub = vscode.workspace.onDidOpenTextDocument((d) => {
      if (!relevant(d)) return;
      sub.dispose();
      this.startProjectChecks();
    });
    this.subscriptions.push(sub);
  }

  /** Checks the workspace's project files now and again whenever one changes. Idempotent. */
  startProjectChecks(): void {
    if (this.checkingProjects) return;
    this.checkingProjects = true;
    this.subscriptions.push(
      this.projects.onDidChange((file) => this.scheduleProjectCheck(file)),
      vscode.workspace.onDidOpenTextDocument((d) => {
        if (d.uri.scheme === 'file' && path.basename(d.uri.fsPath) === PROJECT_FILE_NAME) this.scheduleProjectCheck(d.uri.fsPath);
      }),
    );
    for (const file of this.projects.rootProjectFiles()) this.checkProject(file);
  }

  private scheduleProjectCheck(file: string): void {
    clearTimeout(this.pending.get(file));
    this.pending.set(
      file,
      setTimeout(() => {
        this.pending.delete(file);
        this.checkProject(file);
      }, PROJECT_CHECK_DELAY_MS),
    );
  }

  /** Shows the project file's issues at their line and column (none when it does not exist). */
  checkProject(file: string): void {
    const { issues } = this.projects.load(file);
    const uri = vscode.Uri.file(file);
    if (issues.some((i) => i.message.startsWith('Cannot read'))) {
      this.collectionInstance?.delete(uri);
      return;
    }
    const text = readText(file);
    const json = new JsonLocator(text ?? '');
    this.collection.set(uri, issues.map((i) => issueDiagnostic(i, json)));
  }

  dispose(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    for (const s of this.subscriptions) s.dispose();
    this.collectionInstance?.dispose();
  }
}
