// The Lambda REST API (`/2015-03-31/functions...`) as the AWS CLI v2 and SDK v3 call it:
// create from a zip, update code and configuration, get, list, delete, invoke, and the
// resource policy (add-permission / get-policy / remove-permission). A new or updated function
// is Pending / InProgress for a moment, then Active / Successful, so the SDK's waiters work.
import * as fs from 'fs';
import { randomUUID } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import {
  ENDPOINT_RUNTIME_PATTERN,
  LAMBDA_ACTION_PATTERN,
  LAMBDA_CODE_REQUEST_MAX_BYTES,
  LAMBDA_DEFAULT_MEMORY_MB,
  LAMBDA_DEFAULT_TIMEOUT_SECONDS,
  LAMBDA_FUNCTION_NAME_PATTERN,
  LAMBDA_MAX_RESPONSE_BYTES,
  LAMBDA_MAX_TIMEOUT_SECONDS,
  LAMBDA_ROLE_PATTERN,
  LAMBDA_STATEMENT_ID_PATTERN,
  CONTROL_PLANE_MAX_BODY_BYTES,
  FUNCTION_ACTIVATION_DELAY_MS,
} from '../core/constants';
import { EndpointContext, findFunction, runFunction } from './context';
import { lambdaTimestamp, newCodeDir, unpackZip } from './functions';
import type { FunctionRecord, PolicyStatementRecord } from './state';
import {
  AwsApiError,
  integerField,
  lambdaInvalidParameter,
  notFound,
  parseJsonObject,
  readBody,
  recordField,
  sendJson,
  stringField,
  validationMessage,
} from './wire';

const LOG_TAIL_BYTES = 4096;

export interface LambdaRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  readonly region: string;
}

const validation = (field: string, value: unknown, constraint: string) => new AwsApiError(400, 'ValidationException', validationMessage(field, value, constraint));
const conflict = (message: string) => new AwsApiError(409, 'ResourceConflictException', message);

function functionArn(ctx: EndpointContext, region: string, name: string): string {
  return `arn:aws:lambda:${region}:${ctx.accountId}:function:${name}`;
}

/** FunctionConfiguration as Lambda returns it. */
export function functionConfiguration(f: FunctionRecord): Record<string, unknown> {
  const creating = f.State === 'Pending';
  const updating = !creating && f.LastUpdateStatus === 'InProgress';
  return {
    FunctionName: f.FunctionName,
    FunctionArn: f.FunctionArn,
    Runtime: f.Runtime,
    Role: f.Role,
    Handler: f.Handler,
    CodeSize: f.CodeSize,
    Description: f.Description,
    Timeout: f.Timeout,
    MemorySize: f.MemorySize,
    LastModified: f.LastModified,
    CodeSha256: f.CodeSha256,
    Version: '$LATEST',
    ...(Object.keys(f.Environment).length > 0 ? { Environment: { Variables: f.Environment } } : {}),
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: f.RevisionId,
    State: f.State,
    ...(creating ? { StateReason: 'The function is being created.', StateReasonCode: 'Creating' } : {}),
    LastUpdateStatus: f.LastUpdateStatus,
    ...(updating ? { LastUpdateStatusReason: 'The function is being updated.', LastUpdateStatusReasonCode: 'Updating' } : {}),
    PackageType: 'Zip',
    Architectures: ['x86_64'],
    EphemeralStorage: { Size: 512 },
  };
}

function getFunction(ctx: EndpointContext, nameOrArn: string, region: string): FunctionRecord {
  const f = findFunction(ctx.state, nameOrArn);
  if (!f) {
    const name = nameOrArn.includes(':') ? nameOrArn : functionArn(ctx, region, nameOrArn);
    throw notFound(`Function not found: ${name}`);
  }
  return f;
}

function checkName(name: string | undefined): string {
  if (name === undefined) throw lambdaInvalidParameter('FunctionName is required.');
  if (!LAMBDA_FUNCTION_NAME_PATTERN.test(name)) throw validation('functionName', name, 'Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ and have length less than or equal to 64');
  return name;
}

function checkRuntime(runtime: string | undefined): string {
  if (runtime === undefined) throw lambdaInvalidParameter('Runtime is required for a .zip deployment package.');
  if (!ENDPOINT_RUNTIME_PATTERN.test(runtime)) {
    throw lambdaInvalidParameter(`The runtime parameter of ${runtime} is not supported by the local endpoint: use a python3.x or nodejs*.x runtime.`);
  }
  return runtime;
}

function checkTimeout(t: number | undefined): number | undefined {
  if (t !== undefined && (t < 1 || t > LAMBDA_MAX_TIMEOUT_SECONDS)) throw validation('timeout', t, `Member must have value less than or equal to ${LAMBDA_MAX_TIMEOUT_SECONDS}`);
  return t;
}

function checkMemory(m: number | undefined): number | undefined {
  if (m !== undefined && (m < 128 || m > 10240)) throw validation('memorySize', m, 'Member must have value less than or equal to 10240');
  return m;
}

function checkRole(role: string | undefined): string | undefined {
  if (role !== undefined && !LAMBDA_ROLE_PATTERN.test(role)) throw validation('role', role, 'Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+');
  return role;
}

function checkHandler(handler: string | undefined): string | undefined {
  if (handler !== undefined && (!/^[^\s]+$/.test(handler) || handler.length > 128)) throw validation('handler', handler, 'Member must satisfy regular expression pattern: [^\\s]+');
  return handler;
}

function environmentOf(body: Record<string, unknown>): Record<string, string> | undefined {
  const env = recordField(body, 'Environment', 'lambda');
  if (!env) return undefined;
  const vars = env.Variables ?? {};
  if (typeof vars !== 'object' || vars === null || Array.isArray(vars) || Object.values(vars).some((v) => typeof v !== 'string')) {
    throw new AwsApiError(400, 'InvalidRequestContentException', 'Environment.Variables must map names to strings.');
  }
  return vars as Record<string, string>;
}

function zipOf(body: Record<string, unknown>, field: string): Buffer {
  const code = field === 'Code' ? recordField(body, 'Code', 'lambda') : body;
  if (!code) throw lambdaInvalidParameter('Code is required: give the deployment package as Code.ZipFile (aws lambda create-function --zip-file fileb://function.zip).');
  const zip = code.ZipFile;
  if (typeof zip !== 'string' || zip === '') {
    if (code.S3Bucket !== undefined || code.ImageUri !== undefined) {
      throw lambdaInvalidParameter('The local endpoint takes the deployment package inline only: use ZipFile (--zip-file fileb://function.zip), not S3 or an image.');
    }
    throw lambdaInvalidParameter('Code.ZipFile is required (--zip-file fileb://function.zip).');
  }
  return Buffer.from(zip, 'base64');
}

/** Marks the function ready after a short while, as Lambda does once the package is in place. */
function settleLater(ctx: EndpointContext, f: FunctionRecord, timers: Set<NodeJS.Timeout>): void {
  const t = setTimeout(() => {
    timers.delete(t);
    if (ctx.state.functions.get(f.FunctionName) !== f) return;
    f.State = 'Active';
    f.LastUpdateStatus = 'Successful';
    ctx.state.save();
  }, FUNCTION_ACTIVATION_DELAY_MS);
  timers.add(t);
}

function removeCode(ctx: EndpointContext, f: FunctionRecord | undefined): void {
  const dir = f ? ctx.state.codeDirOf(f) : undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

function policyDocument(f: FunctionRecord): string {
  return JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: f.policy });
}

function principalOf(principal: string, accountId: string): PolicyStatementRecord['Principal'] {
  if (principal.endsWith('.amazonaws.com')) return { Service: principal };
  if (/^\d{12}$/.test(principal)) return { AWS: `arn:aws:iam::${principal}:root` };
  return { AWS: principal === '*' ? '*' : principal.replace(/^(\d{12})$/, `arn:aws:iam::${accountId}:root`) };
}

function logTail(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.subarray(Math.max(0, bytes.length - LOG_TAIL_BYTES)).toString('base64');
}

export class LambdaApi {
  /** Timers that move functions from Pending/InProgress to Active/Successful. */
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly ctx: EndpointContext) {}

  /** Settles every function at once (on stop), so the saved state says Active. */
  settleAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    let changed = false;
    for (const f of this.ctx.state.functions.values()) {
      if (f.State !== 'Active' || f.LastUpdateStatus !== 'Successful') {
        f.State = 'Active';
        f.LastUpdateStatus = 'Successful';
        changed = true;
      }
    }
    if (changed) this.ctx.state.save();
  }

  /** Handles a request under /2015-03-31; `segments` are the decoded path parts after it. */
  async handle(r: LambdaRequest): Promise<void> {
    const { req, segments } = r;
    const method = req.method ?? 'GET';
    if (segments[0] !== 'functions') throw new AwsApiError(404, 'UnknownOperationException', `Unknown operation ${method} ${req.url ?? ''}`);
    const name = segments[1];
    const sub = segments.slice(2);
    if (name === undefined || name === '') {
      if (method === 'POST') return this.createFunction(r);
      if (method === 'GET') return this.listFunctions(r);
    } else if (sub.length === 0) {
      if (method === 'GET') return this.getFunction(r, name);
      if (method === 'DELETE') return this.deleteFunction(r, name);
    } else if (sub.length === 1) {
      if (sub[0] === 'configuration' && method === 'GET') return sendJson(r.res, 200, functionConfiguration(getFunction(this.ctx, name, r.region)));
      if (sub[0] === 'configuration' && method === 'PUT') return this.updateConfiguration(r, name);
      if (sub[0] === 'code' && method === 'PUT') return this.updateCode(r, name);
      if (sub[0] === 'invocations' && method === 'POST') return this.invoke(r, name);
      if (sub[0] === 'policy' && method === 'POST') return this.addPermission(r, name);
      if (sub[0] === 'policy' && method === 'GET') return this.getPolicy(r, name);
    } else if (sub.length === 2 && sub[0] === 'policy' && method === 'DELETE') {
      return this.removePermission(r, name, sub[1]);
    }
    throw new AwsApiError(404, 'UnknownOperationException', `Unknown operation ${method} ${req.url ?? ''}`);
  }

  private async body(r: LambdaRequest, limit = CONTROL_PLANE_MAX_BODY_BYTES): Promise<Record<string, unknown>> {
    return parseJsonObject(await readBody(r.req, limit), 'lambda');
  }

  private async createFunction(r: LambdaRequest): Promise<void> {
    const body = await this.body(r, LAMBDA_CODE_REQUEST_MAX_BYTES);
    const name = checkName(stringField(body, 'FunctionName', 'lambda'));
    const runtime = checkRuntime(stringField(body, 'Runtime', 'lambda'));
    const role = checkRole(stringField(body, 'Role', 'lambda'));
    if (role === undefined) throw lambdaInvalidParameter('Role is required.');
    const handler = checkHandler(stringField(body, 'Handler', 'lambda'));
    if (handler === undefined) throw lambdaInvalidParameter('Handler is required for a .zip deployment package.');
    const timeout = checkTimeout(integerField(body, 'Timeout', 'lambda')) ?? LAMBDA_DEFAULT_TIMEOUT_SECONDS;
    const memory = checkMemory(integerField(body, 'MemorySize', 'lambda')) ?? LAMBDA_DEFAULT_MEMORY_MB;
    const env = environmentOf(body) ?? {};
    const zip = zipOf(body, 'Code');
    if (this.ctx.state.functions.has(name)) throw conflict(`Function already exist: ${name}`);
    const { dir, code } = this.unpackCode(name, zip);
    const f: FunctionRecord = {
      FunctionName: name,
      FunctionArn: functionArn(this.ctx, r.region, name),
      Runtime: runtime,
      Handler: handler,
      Role: role,
      Description: stringField(body, 'Description', 'lambda') ?? '',
      Timeout: timeout,
      MemorySize: memory,
      Environment: env,
      CodeSha256: code.sha256,
      CodeSize: code.size,
      LastModified: lambdaTimestamp(),
      RevisionId: randomUUID(),
      State: 'Pending',
      LastUpdateStatus: 'InProgress',
      codeDir: dir.stored,
      policy: [],
      origin: 'api',
    };
    this.ctx.state.functions.set(name, f);
    this.ctx.state.save();
    sendJson(r.res, 201, functionConfiguration(f));
    settleLater(this.ctx, f, this.timers);
  }

  private listFunctions(r: LambdaRequest): void {
    const all = [...this.ctx.state.functions.values()].sort((a, b) => a.FunctionName.localeCompare(b.FunctionName));
    const max = Number(r.query.get('MaxItems') ?? '50');
    if (!Number.isInteger(max) || max < 1 || max > 10000) throw validation('maxItems', r.query.get('MaxItems'), 'Member must have value less than or equal to 10000');
    const marker = r.query.get('Marker');
    const start = marker ? all.findIndex((f) => f.FunctionName > marker) : 0;
    const page = start < 0 ? [] : all.slice(start, start + max);
    const more = start >= 0 && start + max < all.length;
    sendJson(r.res, 200, { Functions: page.map(functionConfiguration), ...(more ? { NextMarker: page[page.length - 1].FunctionName } : {}) });
  }

  private getFunction(r: LambdaRequest, name: string): void {
    const f = getFunction(this.ctx, name, r.region);
    sendJson(r.res, 200, { Configuration: functionConfiguration(f), Code: { RepositoryType: 'S3', Location: `${this.ctx.url()}/_iot-authz/functions/${f.FunctionName}/code` } });
  }

  private deleteFunction(r: LambdaRequest, name: string): void {
    const f = getFunction(this.ctx, name, r.region);
    this.ctx.state.functions.delete(f.FunctionName);
    this.ctx.state.save();
    removeCode(this.ctx, f);
    sendJson(r.res, 204, undefined);
  }

  /** Unpacks a deployment zip into a new code folder; a zip that fails leaves no folder behind. */
  private unpackCode(functionName: string, zip: Buffer): { dir: { stored: string; absolute: string }; code: { sha256: string; size: number } } {
    const dir = newCodeDir(this.ctx.state.dir, this.ctx.tempRoot, functionName);
    try {
      return { dir, code: unpackZip(zip, dir.absolute) };
    } catch (e) {
      fs.rmSync(dir.absolute, { recursive: true, force: true });
      throw e;
    }
  }

  private checkUpdatable(f: FunctionRecord): void {
    if (f.State === 'Pending' || f.LastUpdateStatus === 'InProgress') {
      throw conflict(`The operation cannot be performed at this time. An update is in progress for resource: ${f.FunctionArn}`);
    }
  }

  private async updateConfiguration(r: LambdaRequest, name: string): Promise<void> {
    const body = await this.body(r);
    const f = getFunction(this.ctx, name, r.region);
    this.checkUpdatable(f);
    const runtime = stringField(body, 'Runtime', 'lambda');
    if (runtime !== undefined) f.Runtime = checkRuntime(runtime);
    const handler = checkHandler(stringField(body, 'Handler', 'lambda'));
    if (handler !== undefined) f.Handler = handler;
    const role = checkRole(stringField(body, 'Role', 'lambda'));
    if (role !== undefined) f.Role = role;
    const timeout = checkTimeout(integerField(body, 'Timeout', 'lambda'));
    if (timeout !== undefined) f.Timeout = timeout;
    const memory = checkMemory(integerField(body, 'MemorySize', 'lambda'));
    if (memory !== undefined) f.MemorySize = memory;
    const description = stringField(body, 'Description', 'lambda');
    if (description !== undefined) f.Description = description;
    const env = environmentOf(body);
    if (env !== undefined) f.Environment = env;
    this.markUpdated(f);
    sendJson(r.res, 200, functionConfiguration(f));
  }

  private markUpdated(f: FunctionRecord): void {
    f.LastModified = lambdaTimestamp();
    f.RevisionId = randomUUID();
    f.LastUpdateStatus = 'InProgress';
    this.ctx.state.save();
    settleLater(this.ctx, f, this.timers);
  }

  private async updateCode(r: LambdaRequest, name: string): Promise<void> {
    const body = await this.body(r, LAMBDA_CODE_REQUEST_MAX_BYTES);
    const f = getFunction(this.ctx, name, r.region);
    this.checkUpdatable(f);
    if (f.workspaceHandler) throw lambdaInvalidParameter(`Function ${f.FunctionName} runs the workspace's handler in place; edit its file instead.`);
    const zip = zipOf(body, 'ZipFile');
    const { dir, code } = this.unpackCode(f.FunctionName, zip);
    const old = { ...f };
    f.codeDir = dir.stored;
    f.CodeSha256 = code.sha256;
    f.CodeSize = code.size;
    this.markUpdated(f);
    removeCode(this.ctx, old);
    sendJson(r.res, 200, functionConfiguration(f));
  }

  private async invoke(r: LambdaRequest, name: string): Promise<void> {
    const raw = await readBody(r.req, LAMBDA_MAX_RESPONSE_BYTES);
    const f = getFunction(this.ctx, name, r.region);
    if (f.State !== 'Active') {
      throw conflict(`The operation cannot be performed at this time. The function is currently in the following state: ${f.State}`);
    }
    const text = raw.toString('utf8');
    let event: unknown = {};
    if (text.trim() !== '') {
      try {
        event = JSON.parse(text);
      } catch (e) {
        throw new AwsApiError(400, 'InvalidRequestContentException', `Could not parse request body into json: Could not parse payload into json: ${(e as Error).message}`);
      }
    }
    const type = header(r.req, 'x-amz-invocation-type') ?? 'RequestResponse';
    if (type === 'DryRun') return sendJson(r.res, 204, undefined);
    if (type === 'Event') {
      void runFunction(this.ctx, f, event, f.Timeout * 1000);
      return sendJson(r.res, 202, undefined);
    }
    if (type !== 'RequestResponse') throw validation('invocationType', type, 'Member must satisfy enum value set: [Event, RequestResponse, DryRun]');
    const run = await runFunction(this.ctx, f, event, f.Timeout * 1000);
    const headers: Record<string, string> = { 'x-amz-executed-version': '$LATEST' };
    const tail = header(r.req, 'x-amz-log-type') === 'Tail';
    if ('loadError' in run) {
      const errorType = run.loadError.startsWith('Bad handler') ? 'Runtime.HandlerNotFound' : 'Runtime.ImportModuleError';
      return sendJson(r.res, 200, { errorMessage: run.loadError, errorType, stackTrace: [] }, { ...headers, 'x-amz-function-error': 'Unhandled' });
    }
    const result = run.result;
    if (tail) headers['x-amz-log-result'] = logTail(result.logs.text);
    if (result.ok) {
      const payload = JSON.stringify(result.response ?? null);
      r.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers });
      r.res.end(payload);
      return;
    }
    if (result.error.code === 'NO_RESPONSE') return sendJson(r.res, 200, null, headers);
    const e = result.error;
    const payload =
      e.code === 'TIMEOUT'
        ? { errorMessage: `${new Date().toISOString()} ${result.requestId} Task timed out after ${f.Timeout.toFixed(2)} seconds`, errorType: 'Sandbox.Timedout' }
        : { errorMessage: e.message, errorType: e.detail?.errorType ?? e.code, stackTrace: e.detail?.stack ? e.detail.stack.split('\n') : [] };
    sendJson(r.res, 200, payload, { ...headers, 'x-amz-function-error': 'Unhandled' });
  }

  private async addPermission(r: LambdaRequest, name: string): Promise<void> {
    const body = await this.body(r);
    const f = getFunction(this.ctx, name, r.region);
    const sid = stringField(body, 'StatementId', 'lambda');
    if (sid === undefined || !LAMBDA_STATEMENT_ID_PATTERN.test(sid)) throw validation('statementId', sid ?? null, 'Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)');
    const action = stringField(body, 'Action', 'lambda');
    if (action === undefined || !LAMBDA_ACTION_PATTERN.test(action)) throw validation('action', action ?? null, 'Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])');
    const principal = stringField(body, 'Principal', 'lambda');
    if (principal === undefined || !/^[^\s]+$/.test(principal)) throw validation('principal', principal ?? null, 'Member must satisfy regular expression pattern: [^\\s]+');
    const revision = stringField(body, 'RevisionId', 'lambda');
    if (revision !== undefined && revision !== f.RevisionId) throw new AwsApiError(412, 'PreconditionFailedException', 'The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id');
    if (f.policy.some((s) => s.Sid === sid)) {
      throw conflict(`The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
    }
    const sourceArn = stringField(body, 'SourceArn', 'lambda');
    const sourceAccount = stringField(body, 'SourceAccount', 'lambda');
    const condition: Record<string, Record<string, string>> = {};
    if (sourceAccount !== undefined) condition.StringEquals = { 'AWS:SourceAccount': sourceAccount };
    if (sourceArn !== undefined) condition.ArnLike = { 'AWS:SourceArn': sourceArn };
    const statement: PolicyStatementRecord = {
      Sid: sid,
      Effect: 'Allow',
      Principal: principalOf(principal, this.ctx.accountId),
      Action: action,
      Resource: f.FunctionArn,
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    };
    f.policy.push(statement);
    f.RevisionId = randomUUID();
    this.ctx.state.save();
    sendJson(r.res, 201, { Statement: JSON.stringify(statement) });
  }

  private getPolicy(r: LambdaRequest, name: string): void {
    const f = getFunction(this.ctx, name, r.region);
    if (f.policy.length === 0) throw notFound('The resource you requested does not exist.');
    sendJson(r.res, 200, { Policy: policyDocument(f), RevisionId: f.RevisionId });
  }

  private removePermission(r: LambdaRequest, name: string, sid: string): void {
    const f = getFunction(this.ctx, name, r.region);
    const i = f.policy.findIndex((s) => s.Sid === sid);
    if (i < 0) throw notFound(`Statement ${sid} is not found in resource policy.`);
    f.policy.splice(i, 1);
    f.RevisionId = randomUUID();
    this.ctx.state.save();
    sendJson(r.res, 204, undefined);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
