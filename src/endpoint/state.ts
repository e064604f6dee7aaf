// What the local endpoint holds: authorizers, the default authorizer, Lambda functions with
// their resource policies. With a state folder, everything created through the API is written
// to `state.json` after each change, atomically (a temp file, fsync, then rename over the old
// one), so a kill -9 at any moment leaves either the old or the new file, never a torn one.
// Records registered from a workspace (`origin: 'workspace'`) are rebuilt at each start and
// never written.
import * as fs from 'fs';
import * as path from 'path';

export type RecordOrigin = 'api' | 'workspace';

export interface AuthorizerRecord {
  authorizerName: string;
  authorizerArn: string;
  authorizerFunctionArn: string;
  tokenKeyName?: string;
  tokenSigningPublicKeys: Record<string, string>;
  status: 'ACTIVE' | 'INACTIVE';
  signingDisabled: boolean;
  enableCachingForHttp: boolean;
  /** Epoch milliseconds. */
  creationDate: number;
  lastModifiedDate: number;
  origin: RecordOrigin;
}

export interface PolicyStatementRecord {
  Sid: string;
  Effect: 'Allow';
  Principal: { Service: string } | { AWS: string };
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

export type FunctionState = 'Pending' | 'Active' | 'Failed';
export type LastUpdateStatus = 'InProgress' | 'Successful' | 'Failed';

export interface FunctionRecord {
  FunctionName: string;
  FunctionArn: string;
  Runtime: string;
  /** As Lambda takes it: `index.handler`, `pkg/mod.fn`. */
  Handler: string;
  Role: string;
  Description: string;
  Timeout: number;
  MemorySize: number;
  Environment: Record<string, string>;
  CodeSha256: string;
  CodeSize: number;
  LastModified: string;
  RevisionId: string;
  State: FunctionState;
  LastUpdateStatus: LastUpdateStatus;
  /** Folder holding the unpacked code: relative to the state folder when there is one. */
  codeDir?: string;
  /** A workspace handler run in place (functions registered with --workspace). */
  workspaceHandler?: { file: string; function: string; language: 'python' | 'javascript' | 'typescript' };
  policy: PolicyStatementRecord[];
  origin: RecordOrigin;
}

export interface EndpointStateData {
  version: 1;
  authorizers: AuthorizerRecord[];
  defaultAuthorizer?: string;
  functions: FunctionRecord[];
}

export const STATE_FILE = 'state.json';

export class EndpointState {
  readonly authorizers = new Map<string, AuthorizerRecord>();
  readonly functions = new Map<string, FunctionRecord>();
  defaultAuthorizer: string | undefined;
  private tempCounter = 0;

  /** `dir`: the --state folder; without one nothing is written. */
  constructor(readonly dir?: string) {}

  /** Reads state.json when there is one; a leftover temp file from a killed write is removed. */
  load(): void {
    if (!this.dir) return;
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    for (const f of fs.readdirSync(this.dir)) if (f.startsWith(`${STATE_FILE}.tmp-`)) fs.rmSync(path.join(this.dir, f), { force: true });
    const file = path.join(this.dir, STATE_FILE);
    if (!fs.existsSync(file)) return;
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as EndpointStateData;
    for (const a of data.authorizers) this.authorizers.set(a.authorizerName, a);
    // A function caught between Pending and Active by a stop is ready now: its code is on disk.
    for (const f of data.functions) this.functions.set(f.FunctionName, { ...f, State: 'Active', LastUpdateStatus: 'Successful' });
    this.defaultAuthorizer = data.defaultAuthorizer;
  }

  /** Writes what the API created (not the workspace's records), atomically. */
  save(): void {
    if (!this.dir) return;
    const data: EndpointStateData = {
      version: 1,
      authorizers: [...this.authorizers.values()].filter((a) => a.origin === 'api'),
      ...(this.defaultAuthorizer !== undefined && this.authorizers.get(this.defaultAuthorizer)?.origin === 'api' ? { defaultAuthorizer: this.defaultAuthorizer } : {}),
      functions: [...this.functions.values()].filter((f) => f.origin === 'api'),
    };
    const file = path.join(this.dir, STATE_FILE);
    const temp = `${file}.tmp-${process.pid}-${this.tempCounter++}`;
    const fd = fs.openSync(temp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(data, null, 1));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  }

  /** Absolute folder of a function's unpacked code. */
  codeDirOf(f: FunctionRecord): string | undefined {
    if (!f.codeDir) return undefined;
    return this.dir && !path.isAbsolute(f.codeDir) ? path.join(this.dir, f.codeDir) : f.codeDir;
  }
}
