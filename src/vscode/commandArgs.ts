// The one reader of command arguments in the editor layer. A command gets nothing (a person ran
// it from the palette), a string, an options object (tests, CodeLens, other commands), a Uri
// (explorer menus) or a tree node; each command says which it takes, and reads them here.
// A value of the wrong type is a UserError that names the argument and what it must be.
import * as path from 'path';
import * as vscode from 'vscode';
import { UserError } from '../core/errors';

export type ArgRecord = Readonly<Record<string, unknown>>;

/** The options object given, else {}: a string, a Uri, a list or nothing carry no options. */
export function asRecord(arg: unknown): ArgRecord {
  return typeof arg === 'object' && arg !== null && !(arg instanceof vscode.Uri) && !Array.isArray(arg) ? (arg as ArgRecord) : {};
}

/** The value when it is a non-empty string. */
export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `"<run id>"` or `{ runId }`. */
export function runIdOf(arg: unknown): string | undefined {
  return nonEmptyString(arg) ?? nonEmptyString(asRecord(arg).runId);
}

/** `"Name"`, `{ authorizer: "Name" }`, `{ authorizer: { name } }` (an explorer node) or nothing. */
export function authorizerNameOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return nonEmptyString(arg);
  const a = asRecord(arg).authorizer;
  return nonEmptyString(a) ?? nonEmptyString(asRecord(a).name);
}

export interface ArgsOptions<Node> {
  /** Ask the optional questions; default: when no option was given. */
  readonly interactive?: boolean;
  /** The tree node the command was run on. */
  readonly node?: Node;
  /** The folder the node stands for, before `workspaceFolder`. */
  readonly folder?: string;
}

/** An options object read strictly: an absent option is undefined, one of the wrong type an error. */
export class Args<Node = never> {
  /** No options: a person ran the command (palette or menu), so optional questions are asked. */
  readonly interactive: boolean;
  readonly node?: Node;
  private readonly values: ArgRecord;
  private readonly nodeFolder?: string;

  constructor(arg: unknown, options: ArgsOptions<Node> = {}) {
    this.values = asRecord(arg);
    this.interactive = options.interactive ?? Object.keys(this.values).length === 0;
    if (options.node !== undefined) this.node = options.node;
    if (options.folder !== undefined) this.nodeFolder = options.folder;
  }

  string(name: string): string | undefined {
    return this.typed(name, (v): v is string => typeof v === 'string', 'a string');
  }

  number(name: string): number | undefined {
    return this.typed(name, (v): v is number => typeof v === 'number', 'a number');
  }

  boolean(name: string): boolean | undefined {
    return this.typed(name, (v): v is boolean => typeof v === 'boolean', 'true or false');
  }

  strings(name: string): string[] | undefined {
    return this.typed(name, (v): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string'), 'a list of strings');
  }

  /** The node's folder, else `workspaceFolder`: a folder path, a file: URI string, a Uri or a WorkspaceFolder. */
  folder(): string | undefined {
    if (this.nodeFolder !== undefined) return this.nodeFolder;
    const v = this.values.workspaceFolder;
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v.startsWith('file:') ? vscode.Uri.parse(v).fsPath : path.resolve(v);
    if (v instanceof vscode.Uri) return v.fsPath;
    const uri = (v as { uri?: unknown }).uri;
    if (uri instanceof vscode.Uri) return uri.fsPath;
    throw new UserError('Argument "workspaceFolder" must be a folder path, a URI or a workspace folder.', 'BAD_ARGUMENT');
  }

  private typed<T>(name: string, is: (v: unknown) => v is T, what: string): T | undefined {
    const v = this.values[name];
    if (v === undefined) return undefined;
    if (!is(v)) throw new UserError(`Argument "${name}" must be ${what}.`, 'BAD_ARGUMENT');
    return v;
  }
}

/** The first workspace folder: where relative paths given to a command start, and where new events go by default. */
export function firstWorkspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}
