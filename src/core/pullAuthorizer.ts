// "Pull into iot-authorizer.json": an authorizer in the account written into the project file's
// entry of the same name (a new entry when there is none). Pure: returns the new text, what
// changed, and what could not be pulled; the caller shows the difference and asks first.
import { UserError } from './errors';
import { stripByteOrderMark } from './jsonText';
import { defaultFunctionName } from './deployPlan';

export interface PulledAuthorizer {
  readonly name: string;
  readonly functionArn?: string;
  readonly tokenKeyName?: string;
  readonly status?: string;
  readonly signingDisabled?: boolean;
  readonly enableCachingForHttp?: boolean;
  /** AWS key name → the workspace key with the same fingerprint (absent: no local key). */
  readonly keys: ReadonlyArray<{ readonly awsName: string; readonly workspaceKey?: string }>;
  readonly region: string;
}

export interface PullResult {
  readonly text: string;
  readonly changed: readonly string[];
  /** What the project file cannot hold, e.g. a key with no private key in the workspace. */
  readonly notes: readonly string[];
  readonly created: boolean;
}

type Json = Record<string, unknown>;

/**
 * `projectText` with `a` pulled into its entry. `handler` and `runtime` are needed only for a
 * new entry (AWS has no handler path of the workspace). Fields AWS does not know stay as written.
 */
export function pullAuthorizerIntoProject(projectText: string | undefined, a: PulledAuthorizer, newEntry?: { handler: string; runtime: string }): PullResult {
  let project: Json;
  try {
    project = projectText === undefined ? { authorizers: [] } : (JSON.parse(stripByteOrderMark(projectText)) as Json);
  } catch (e) {
    throw new UserError(`iot-authorizer.json is not valid JSON (${e instanceof Error ? e.message : String(e)}): fix it before pulling into it.`, 'PROJECT_INVALID');
  }
  if (typeof project !== 'object' || project === null || Array.isArray(project)) throw new UserError('iot-authorizer.json must be an object with "authorizers".', 'PROJECT_INVALID');
  if (project.authorizers === undefined) project.authorizers = [];
  if (!Array.isArray(project.authorizers)) throw new UserError('"authorizers" in iot-authorizer.json must be an array.', 'PROJECT_INVALID');
  const list = project.authorizers as Json[];
  let entry = list.find((e) => typeof e === 'object' && e !== null && e.name === a.name);
  const created = entry === undefined;
  if (!entry) {
    if (!newEntry) throw new UserError(`iot-authorizer.json has no authorizer "${a.name}": give the handler (path/to/file:function) and runtime for a new entry.`, 'HANDLER_REQUIRED');
    entry = { name: a.name, handler: newEntry.handler, runtime: newEntry.runtime };
    list.push(entry);
  }
  const changed: string[] = [];
  const notes: string[] = [];
  const set = (key: string, value: unknown, target: Json = entry as Json, label = key) => {
    if (value === undefined) return;
    if (JSON.stringify(target[key]) === JSON.stringify(value)) return;
    changed.push(`${label}: ${target[key] === undefined ? '(unset)' : JSON.stringify(target[key])} → ${JSON.stringify(value)}`);
    target[key] = value;
  };
  set('signingDisabled', a.signingDisabled ?? false);
  if (!a.signingDisabled) {
    set('tokenKeyName', a.tokenKeyName);
    const local = a.keys.filter((k) => k.workspaceKey !== undefined).map((k) => k.workspaceKey as string);
    for (const k of a.keys.filter((k) => k.workspaceKey === undefined))
      notes.push(`AWS key "${k.awsName}" matches no workspace key, so it is not in "signingKeys": import its key pair (Import Key…) to sign with it.`);
    if (local.length > 0) set('signingKeys', local);
  }
  set('enableCachingForHttp', a.enableCachingForHttp);
  if (a.status === 'ACTIVE' || a.status === 'INACTIVE') set('status', a.status);
  const aws = (typeof entry.aws === 'object' && entry.aws !== null ? { ...(entry.aws as Json) } : {}) as Json;
  const fn = a.functionArn ? /:function:([^:]+)/.exec(a.functionArn)?.[1] : undefined;
  if (fn && (aws.functionName !== undefined || fn !== defaultFunctionName(a.name))) set('functionName', fn, aws, 'aws.functionName');
  set('region', a.region, aws, 'aws.region');
  if (Object.keys(aws).length > 0) entry.aws = aws;
  return { text: `${JSON.stringify(project, null, 2)}\n`, changed: created ? [`new authorizer ${a.name}`, ...changed] : changed, notes, created };
}
