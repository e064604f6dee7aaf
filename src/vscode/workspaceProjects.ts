// The workspace's iot-authorizer.json files, parsed once and kept until they change, so that
// CodeLens, the invoke commands and diagnostics can ask "which authorizer is this file?" on
// every keystroke without reading the disk. Reads nothing until first asked. The one reader of
// project files in the editor layer: the explorer, the key and AWS commands read through it too.
import * as path from 'path';
import * as vscode from 'vscode';
import { PROJECT_FILE_NAME } from '../core/constants';
import { AuthorizerConfig, AuthorizerProject, findProjectFile, loadProject, parseProject, ProjectParseResult } from '../core/project';

export interface AuthorizerInProject {
  readonly authorizer: AuthorizerConfig;
  readonly project: AuthorizerProject;
}

function samePath(a: string, b: string): boolean {
  return process.platform === 'win32' || process.platform === 'darwin' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

export class WorkspaceProjects implements vscode.Disposable {
  private readonly parsed = new Map<string, ProjectParseResult>();
  private readonly projectFileOfDir = new Map<string, string | undefined>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the project file's path when it was created, changed (on disk or in an editor) or deleted. */
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private watching = false;

  /** Project files at the root of each workspace folder (whether or not they exist). */
  rootProjectFiles(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).map((f) => vscode.Uri.joinPath(f.uri, PROJECT_FILE_NAME).fsPath);
  }

  /** The parse of `file`: the open editor's text when it is open, else the file on disk. */
  load(file: string): ProjectParseResult {
    this.watch();
    const key = path.resolve(file);
    let result = this.parsed.get(key);
    if (!result) {
      const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && samePath(d.uri.fsPath, key));
      result = open ? parseProject(open.getText(), key) : loadProject(key);
      this.parsed.set(key, result);
    }
    return result;
  }

  /**
   * The parse of `file` as saved on disk, read now (not cached, no editor's unsaved text): for what
   * must match the file a device or a deploy sees (the Authorizers view, signed credentials), even
   * right after the file was written and before the watcher has told.
   */
  saved(file: string): ProjectParseResult {
    this.watch();
    return loadProject(path.resolve(file));
  }

  /** Every authorizer of the workspace folders' project files. */
  authorizers(): AuthorizerInProject[] {
    const out: AuthorizerInProject[] = [];
    for (const file of this.rootProjectFiles()) {
      const { project } = this.load(file);
      for (const authorizer of project?.authorizers ?? []) if (project) out.push({ authorizer, project });
    }
    return out;
  }

  /** The authorizers whose handler is `file`. */
  authorizersForHandler(file: string): AuthorizerInProject[] {
    return this.authorizers().filter((a) => samePath(a.authorizer.handlerFile, path.resolve(file)));
  }

  /** The project file that governs `file`: the nearest iot-authorizer.json in its folder or above. */
  projectFileFor(file: string): string | undefined {
    this.watch();
    const dir = path.dirname(path.resolve(file));
    if (!this.projectFileOfDir.has(dir)) this.projectFileOfDir.set(dir, findProjectFile(dir));
    return this.projectFileOfDir.get(dir);
  }

  /** The project that governs `file`, parsed (cached). */
  projectFor(file: string): { file?: string; result?: ProjectParseResult } {
    const projectFile = this.projectFileFor(file);
    return projectFile ? { file: projectFile, result: this.load(projectFile) } : {};
  }

  /** Drops the cached parse of `file` and tells listeners. */
  invalidate(file: string): void {
    const key = path.resolve(file);
    this.parsed.delete(key);
    // A project file that appeared or went away changes which one governs a folder.
    this.projectFileOfDir.clear();
    this.changed.fire(key);
  }

  private watch(): void {
    if (this.watching) return;
    this.watching = true;
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${PROJECT_FILE_NAME}`);
    const onDisk = (uri: vscode.Uri) => this.invalidate(uri.fsPath);
    const isProject = (d: vscode.TextDocument) => d.uri.scheme === 'file' && path.basename(d.uri.fsPath) === PROJECT_FILE_NAME;
    this.subscriptions.push(
      watcher,
      watcher.onDidChange(onDisk),
      watcher.onDidCreate(onDisk),
      watcher.onDidDelete(onDisk),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (isProject(e.document) && e.contentChanges.length > 0) this.invalidate(e.document.uri.fsPath);
      }),
      // An editor closed without saving: the disk's version counts again.
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (isProject(d)) this.invalidate(d.uri.fsPath);
      }),
    );
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}
