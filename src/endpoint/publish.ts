// HTTP publish (`POST /topics/{topic}?qos=0|1`) enforced in AWS's order: find the authorizer
// (named, else the default), refuse when missing or INACTIVE, verify the token signature before
// anything runs, check that the function's resource policy lets iot.amazonaws.com invoke it for
// this authorizer's ARN, invoke with the 5 s limit (or reuse the answer with
// enableCachingForHttp), validate the answer, evaluate iot:Publish on the topic. The device gets
// AWS's bodies only; the decision log gets every stage.
//
// Choices where AWS is silent:
// - The HTTP cache is kept per connection (keep-alive socket) and per credentials (authorizer,
//   token, signature), for refreshAfterInSeconds; a new connection asks the handler again.
// - A request signed with SigV4 (service iotdata) is an IAM caller: the endpoint does not check
//   IAM and lets it publish, with a decision that says so.
import { randomUUID } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import type { Socket } from 'net';
import { performance } from 'perf_hooks';
import { AUTHORIZER_NAME_PARAM, IOT_MAX_PAYLOAD_BYTES, IOT_SERVICE_PRINCIPAL, LAMBDA_TIMEOUT_MS, MAX_SIGNATURE_LENGTH, MAX_TOKEN_LENGTH, DEFAULT_REFRESH_SECONDS, SIGNATURE_PARAM } from '../core/constants';
import { credentialReader, ExtractedCredentials } from '../core/credentials';
import { buildAuthorizerEvent, AuthorizerEvent, SignatureCheck } from '../core/events';
import { evaluatePolicies, PolicyContext, PolicyDocument, AuthorizationDecision } from '../core/policy';
import { summarizePolicies, PolicySummary } from '../core/policySummary';
import { validateAuthorizerResponse, ResponseValidation } from '../core/response';
import type { PolicyEvaluationResult, RunLogs } from '../core/result';
import type { RuntimeError } from '../local/runtime';
import { eventConfigOf, publicKeysOf } from './authorizers';
import { EndpointContext, findFunction, iotInvokePermission, regionOfArn, runFunction } from './context';
import type { EndpointDecision, StageName, StageRecord } from './decisions';
import type { AuthorizerRecord, FunctionRecord } from './state';
import { readBody, AwsApiError, SigV4Scope } from './wire';
import { plural } from '../core/text';

export interface CachedAnswer {
  readonly expiresAt: number;
  readonly response: unknown;
  readonly validation: ResponseValidation;
  readonly documents: ReadonlyArray<PolicyDocument | string>;
  readonly summary: PolicySummary;
  readonly principalId: string;
  /** The check and event of the request that was answered: same connection, same credentials. */
  readonly signature: SignatureCheck;
  readonly event: AuthorizerEvent | undefined;
  /** Policy decisions already made with this answer, by action and topic. */
  readonly decided: Map<string, AuthorizationDecision>;
}

const cacheBySocket = new WeakMap<Socket, Map<string, CachedAnswer>>();

/**
 * Policy summaries by documents, region and account. Answers often repeat the same documents
 * (policies written with ${iot:ClientId}), and every MQTT CONNECT invokes the handler: the
 * summary, the costliest step of an answer, is then made once. Shared summaries are never changed.
 */
const summaries = new Map<string, PolicySummary>();
const MAX_SUMMARIES = 1000;

function summaryOf(documents: ReadonlyArray<PolicyDocument | string>, region: string, accountId: string): PolicySummary {
  const key = `${region}\u0000${accountId}\u0000${JSON.stringify(documents)}`;
  let summary = summaries.get(key);
  if (!summary) {
    if (summaries.size >= MAX_SUMMARIES) summaries.clear();
    summaries.set(key, (summary = summarizePolicies(documents, { region, accountId })));
  }
  return summary;
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  const h = req.headers;
  for (const k in h) {
    const v = h[k];
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function send(res: ServerResponse, status: number, body: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Collects the stages of one request and turns the first failure into the device's answer. */
export class Trace {
  readonly stages: StageRecord[] = [];
  readonly t0 = performance.now();
  pass(stage: StageName, detail: string): void {
    this.stages.push({ stage, status: 'passed', detail });
  }
  skip(stage: StageName, detail: string): void {
    this.stages.push({ stage, status: 'skipped', detail });
  }
  fail(stage: StageName, detail: string): void {
    this.stages.push({ stage, status: 'failed', detail });
  }
}

export interface PublishInput {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Still percent-encoded, as it arrived after /topics/. */
  readonly rawTopic: string;
  readonly query: URLSearchParams;
  readonly rawQuery: string;
  readonly tls: boolean;
  readonly sigv4?: SigV4Scope;
}

/** What the stages learn about the request, gathered into the decision. */
export interface Facts {
  topic?: string;
  qos?: number;
  retain?: boolean;
  payload?: Buffer;
  credentialsIn?: 'headers' | 'query' | 'sigv4' | 'mqtt-username';
  token?: string;
  signatureValue?: string;
  authorizer?: AuthorizerRecord;
  signature?: SignatureCheck;
  event?: AuthorizerEvent;
  response?: unknown;
  handlerError?: RuntimeError;
  validation?: ResponseValidation;
  evaluation?: PolicyEvaluationResult;
  principalId?: string;
  cached: boolean;
  logs?: RunLogs;
  handlerMs?: number;
  queuedMs?: number;
  cold?: boolean;
}

export interface Refusal {
  stage: StageName;
  status: number;
  reason: string;
  fix?: string;
}

export async function handlePublish(ctx: EndpointContext, input: PublishInput): Promise<void> {
  const { req, res } = input;
  const trace = new Trace();
  const traceId = randomUUID();
  const headers = flatHeaders(req);
  const serverName = (req.socket as Socket & { servername?: string }).servername || (headers.host ?? '').replace(/:\d+$/, '');
  const partial: Facts = { cached: false };

  const finish = (refusal: Refusal | undefined) => {
    const status = refusal?.status ?? 200;
    ctx.counters.requests++;
    if (refusal === undefined) ctx.counters.published++;
    else if (refusal) {
      ctx.counters.refusedByStage[refusal.stage] = (ctx.counters.refusedByStage[refusal.stage] ?? 0) + 1;
      if (refusal.stage === 'signature') ctx.counters.savedBySignatureGate++;
    }
    // Logged before the answer leaves, so a client that reads the log next finds it.
    ctx.log.add(buildDecision(ctx, input, trace, partial, refusal, traceId, headers, serverName));
    if (status === 200) send(res, 200, { message: 'OK', traceId });
    else if (status === 403) send(res, 403, { message: 'Forbidden', traceId });
    else send(res, status, { message: refusal?.reason ?? 'Bad Request', traceId });
  };

  const refusal = await decide(ctx, input, trace, partial, headers, serverName).catch((e: unknown): Refusal => {
    if (e instanceof AwsApiError) {
      trace.fail('transport', e.message);
      return { stage: 'transport', status: e.status, reason: e.message };
    }
    throw e;
  });
  if (refusal === undefined) {
    ctx.messages.add({
      topic: partial.topic ?? '',
      qos: partial.qos ?? 0,
      retain: partial.retain ?? false,
      payloadBase64: partial.payload?.toString('base64') ?? '',
      receivedAt: new Date().toISOString(),
      traceId,
      ...(partial.authorizer ? { authorizer: partial.authorizer.authorizerName } : {}),
      ...(partial.principalId !== undefined ? { principalId: partial.principalId } : {}),
    }, partial.payload);
  }
  finish(refusal);
}

/** The decision log's record of one publish; plain assignments in the log's key order. */
function buildDecision(
  ctx: EndpointContext,
  input: PublishInput,
  trace: Trace,
  partial: Facts,
  refusal: Refusal | undefined,
  traceId: string,
  headers: Record<string, string>,
  serverName: string,
): EndpointDecision {
  const { req } = input;
  // Built field by field (no spreads) in the order the log has always written; every required
  // field is set below, unconditionally.
  const request: Building<EndpointDecision['request']> = { protocol: 'http', method: req.method ?? 'POST', path: (req.url ?? '').split('?')[0] };
  if (partial.topic !== undefined) request.topic = partial.topic;
  if (partial.qos !== undefined) request.qos = partial.qos;
  if (partial.retain !== undefined) request.retain = partial.retain;
  request.tls = input.tls;
  if (req.socket.remoteAddress) request.remoteAddress = req.socket.remoteAddress;
  if (partial.credentialsIn) request.credentialsIn = partial.credentialsIn;
  if (partial.token !== undefined) request.token = partial.token;
  request.headers = headers;
  if (input.rawQuery) request.queryString = input.rawQuery;
  request.serverName = serverName;
  const elapsed = performance.now() - trace.t0;
  const d: Building<EndpointDecision> = { id: randomUUID(), traceId, at: new Date(Date.now() - elapsed).toISOString(), request: request as EndpointDecision['request'] };
  const a = partial.authorizer;
  if (a) {
    d.authorizer = a.authorizerName;
    d.authorizerArn = a.authorizerArn;
    d.functionArn = a.authorizerFunctionArn;
  }
  d.allowed = refusal === undefined;
  d.status = refusal?.status ?? 200;
  d.decidedBy = refusal?.stage ?? 'policy';
  d.reason = refusal?.reason ?? `iot:Publish on ${partial.topic ?? ''} allowed${partial.principalId ? ` for ${partial.principalId}` : ''}${partial.cached ? ' (cached answer)' : ''}.`;
  if (refusal?.fix) d.fix = refusal.fix;
  d.stages = trace.stages;
  if (partial.signature) d.signature = partial.signature;
  if (partial.event) d.event = partial.event;
  if (partial.response !== undefined) d.response = partial.response;
  if (partial.handlerError) d.handlerError = partial.handlerError;
  if (partial.validation) d.validation = partial.validation;
  if (partial.evaluation) d.evaluation = partial.evaluation;
  if (partial.principalId !== undefined) d.principalId = partial.principalId;
  d.cached = partial.cached;
  if (partial.logs) d.logs = partial.logs;
  d.timings = decisionTimings(trace.t0, partial);
  d.endpointUrl = ctx.url();
  return d as EndpointDecision;
}

/** A decision's timings, from `t0` to now, with the handler's time, its wait and cold start when it ran (HTTP and MQTT). */
export function decisionTimings(t0: number, f: Pick<Facts, 'handlerMs' | 'queuedMs' | 'cold'>): EndpointDecision['timings'] {
  return {
    totalMs: performance.now() - t0,
    ...(f.handlerMs !== undefined ? { handlerMs: f.handlerMs } : {}),
    ...(f.queuedMs !== undefined ? { queuedMs: f.queuedMs } : {}),
    ...(f.cold !== undefined ? { cold: f.cold } : {}),
  };
}

/** An object being filled in, field by field. */
type Building<T> = { -readonly [K in keyof T]?: T[K] };

async function decide(
  ctx: EndpointContext,
  input: PublishInput,
  trace: Trace,
  partial: Facts,
  headers: Record<string, string>,
  serverName: string,
): Promise<Refusal | undefined> {
  // transport
  let topic: string;
  try {
    topic = decodeURIComponent(input.rawTopic);
  } catch {
    trace.fail('transport', `The topic "${input.rawTopic}" is not valid percent-encoding.`);
    return { stage: 'transport', status: 400, reason: 'Invalid topic name', fix: 'Percent-encode the topic once (a / may be sent as %2F).' };
  }
  partial.topic = topic;
  const qosText = input.query.get('qos') ?? '0';
  if (qosText !== '0' && qosText !== '1') {
    trace.fail('transport', `qos=${qosText}: AWS IoT takes 0 or 1 over HTTP.`);
    return { stage: 'transport', status: 400, reason: `Invalid qos: ${qosText}`, fix: 'Send ?qos=0 or ?qos=1.' };
  }
  partial.qos = Number(qosText);
  partial.retain = input.query.get('retain') === 'true';
  if (topic === '' || topic.includes('+') || topic.includes('#') || topic.startsWith('$aws/') === false && topic.startsWith('$')) {
    trace.fail('transport', `"${topic}" is not a topic a client may publish to (empty, a wildcard, or a reserved $ topic).`);
    return { stage: 'transport', status: 400, reason: 'Invalid topic name', fix: 'Publish to a topic name without + or # wildcards.' };
  }
  partial.payload = await readBody(input.req, IOT_MAX_PAYLOAD_BYTES);
  trace.pass('transport', `POST over ${input.tls ? 'HTTPS' : 'HTTP'} to topic "${topic}", qos ${partial.qos}, ${partial.payload.length} bytes.`);

  if (input.sigv4) {
    partial.credentialsIn = 'sigv4';
    trace.pass('authorizer', `Signed with SigV4 (${input.sigv4.service}, access key ${input.sigv4.accessKeyId}): an IAM caller, not custom authentication. The local endpoint does not check IAM.`);
    return undefined;
  }

  // authorizer: named, else the default
  // Parsed once: the name now, the token once the authorizer (and its tokenKeyName) is known.
  const read = credentialReader({ headers, queryString: input.rawQuery });
  const named = read(undefined);
  const name = named.authorizerName ?? ctx.state.defaultAuthorizer;
  const a = name !== undefined ? ctx.state.authorizers.get(name) : undefined;
  if (!a) {
    const reason = name === undefined
      ? `No ${AUTHORIZER_NAME_PARAM} header or query parameter, and no default authorizer is set.`
      : `No authorizer named "${name}"${named.authorizerName === undefined ? ' (the default authorizer)' : ''}.`;
    trace.fail('authorizer', reason);
    return { stage: 'authorizer', status: 403, reason, fix: name === undefined ? `Send ${AUTHORIZER_NAME_PARAM}, or set a default: aws iot set-default-authorizer --authorizer-name NAME.` : `Create it (aws iot create-authorizer --authorizer-name ${name} ...) or fix the name (names are case-sensitive). Known: ${[...ctx.state.authorizers.keys()].join(', ') || 'none'}.` };
  }
  partial.authorizer = a;
  if (a.status === 'INACTIVE') {
    trace.fail('authorizer', `Authorizer "${a.authorizerName}" is INACTIVE: AWS does not use it for devices (test-invoke still works).`);
    return { stage: 'authorizer', status: 403, reason: `Authorizer "${a.authorizerName}" is INACTIVE.`, fix: `aws iot update-authorizer --authorizer-name ${a.authorizerName} --status ACTIVE` };
  }
  trace.pass('authorizer', `${named.authorizerName !== undefined ? 'Named' : 'Default'} authorizer "${a.authorizerName}" (ACTIVE).`);

  // signature, before anything runs
  const found = read(a.tokenKeyName);
  partial.token = found.token;
  partial.signatureValue = found.signature;
  if (found.source === 'headers' || found.source === 'query') partial.credentialsIn = found.source;
  const cacheKey = cacheKeyOf(a, partial);
  // The same token and signature already verified on this connection (its answer is cached):
  // decided without a promise, as most publishes on a busy connection are.
  const verified = a.enableCachingForHttp ? cacheBySocket.get(input.req.socket)?.get(cacheKey) : undefined;
  if (verified && verified.expiresAt > ctx.clock.now() && verified.signature.status === 'verified') {
    partial.signature = verified.signature;
    partial.event = verified.event;
    trace.pass('signature', `Same token and signature as verified earlier on this connection with key "${verified.signature.keyName ?? '?'}".`);
  } else {
    const sig = await decideSignature(a, partial, found, headers, input.rawQuery, serverName, trace);
    if (sig) return sig;
  }

  // permission
  const fn = checkPermission(ctx, a, trace);
  if ('stage' in fn) return fn;

  // handler (or the HTTP cache)
  const socketCache = a.enableCachingForHttp ? cacheBySocket.get(input.req.socket) : undefined;
  const hit = socketCache?.get(cacheKey);
  let answer: CachedAnswer;
  if (hit && hit.expiresAt > ctx.clock.now()) {
    ctx.counters.cacheHits++;
    partial.cached = true;
    trace.skip('handler', `Not invoked: answer cached on this connection (enableCachingForHttp) for ${Math.round((hit.expiresAt - ctx.clock.now()) / 1000)} s more.`);
    trace.pass('answer', 'Cached answer, valid when received.');
    answer = hit;
    partial.response = hit.response;
    partial.validation = hit.validation;
  } else {
    const invoked = await invokeForAnswer(ctx, a, fn, trace, partial);
    if ('stage' in invoked) return invoked;
    answer = invoked;
    const n = invoked.validation.normalized;
    if (a.enableCachingForHttp && n?.isAuthenticated) {
      let m = cacheBySocket.get(input.req.socket);
      if (!m) cacheBySocket.set(input.req.socket, (m = new Map()));
      m.set(cacheKey, answer);
    }
  }
  const n = answer.validation.normalized;
  partial.principalId = answer.principalId;
  if (!n?.isAuthenticated) {
    trace.fail('answer', `The handler answered isAuthenticated false (principal ${answer.principalId}).`);
    return { stage: 'answer', status: 403, reason: `Denied by the handler: isAuthenticated false for principal ${answer.principalId}.` };
  }
  if (!partial.cached) trace.pass('answer', `Valid: isAuthenticated true, principal ${answer.principalId}, ${plural(n.policyDocuments.length, 'policy document', 'policy documents')}.`);

  // policy
  const region = regionOfArn(a.authorizerArn, ctx.defaultRegion);
  const pctx: PolicyContext = { region, accountId: ctx.accountId, principalId: answer.principalId };
  const decideAction = (action: 'iot:Publish' | 'iot:RetainPublish'): AuthorizationDecision => {
    const key = `${action} ${partial.topic ?? ''}`;
    let d = answer.decided.get(key);
    if (!d) {
      d = evaluatePolicies(answer.documents, { action, topic: partial.topic }, pctx);
      if (answer.decided.size < 1000) answer.decided.set(key, d);
    }
    return d;
  };
  const decisions: AuthorizationDecision[] = [decideAction('iot:Publish')];
  if (partial.retain) decisions.push(decideAction('iot:RetainPublish'));
  partial.evaluation = { context: { region, accountId: ctx.accountId, principalId: answer.principalId }, decisions, summary: answer.summary };
  const denied = decisions.find((d) => !d.allowed);
  if (denied) return policyRefusal(trace, denied);
  trace.pass('policy', decisions.map((d) => `${d.action} on ${d.resourceArn} allowed`).join('; ') + '.');
  return undefined;
}

function cacheKeyOf(a: AuthorizerRecord, f: Facts): string {
  return `${a.authorizerName}\u0000${a.lastModifiedDate}\u0000${f.token ?? ''}\u0000${f.signatureValue ?? ''}`;
}

/** The signature stage for credentials not already verified on this connection. */
async function decideSignature(
  a: AuthorizerRecord,
  partial: Facts,
  found: ExtractedCredentials,
  headers: Record<string, string>,
  rawQuery: string,
  serverName: string,
  trace: Trace,
): Promise<Refusal | undefined> {
  if (found.token !== undefined && found.token.length > MAX_TOKEN_LENGTH) {
    trace.fail('signature', `The token is ${found.token.length} characters; AWS accepts at most ${MAX_TOKEN_LENGTH}.`);
    return { stage: 'signature', status: 403, reason: `Token longer than ${MAX_TOKEN_LENGTH} characters.` };
  }
  if (found.signature !== undefined && found.signature.length > MAX_SIGNATURE_LENGTH) {
    trace.fail('signature', `The signature is ${found.signature.length} characters; AWS accepts at most ${MAX_SIGNATURE_LENGTH}.`);
    return { stage: 'signature', status: 403, reason: `Signature longer than ${MAX_SIGNATURE_LENGTH} characters.` };
  }
  const build = await buildAuthorizerEvent({
    request: { protocol: 'http', serverName, headers, ...(rawQuery ? { queryString: rawQuery } : {}) },
    authorizer: eventConfigOf(a),
    publicKeys: a.signingDisabled ? [] : publicKeysOf(a),
  });
  partial.signature = build.gate.signature;
  partial.event = build.event;
  const s = build.gate.signature;
  if (s.status === 'disabled') {
    trace.skip('signature', `Signing is disabled for "${a.authorizerName}": the handler is invoked for every request and must check everything itself.`);
    return undefined;
  }
  if (s.status !== 'verified') {
    trace.fail('signature', s.diagnosis ?? `Signature ${s.status}.`);
    return { stage: 'signature', status: 403, reason: `Signature ${s.status}: AWS refuses the request without invoking the authorizer.`, fix: s.diagnosis ?? `Sign the token with the private key of one of: ${Object.keys(a.tokenSigningPublicKeys).join(', ')}; send it as ${SIGNATURE_PARAM}.` };
  }
  trace.pass('signature', `Token signature verified with key "${s.keyName ?? '?'}".`);
  return undefined;
}

/** A request the returned policies deny: the failed policy stage, and the refusal naming the statement (or its absence) and the fix. */
export function policyRefusal(trace: Trace, d: AuthorizationDecision): Refusal {
  const why = d.reason === 'explicit-deny' ? `an explicit Deny (document ${d.decidingStatement?.documentIndex}, statement ${d.decidingStatement?.statementIndex})` : 'no statement allows it';
  trace.fail('policy', `${d.action} on ${d.resourceArn} is denied: ${why}.`);
  return { stage: 'policy', status: 403, reason: `${d.action} on ${d.resourceArn} is denied by the returned policies (${why}).`, fix: `Return a policy with {"Effect": "Allow", "Action": "${d.action}", "Resource": "${d.resourceArn}"} (or a wildcard covering it).` };
}

/** The function of the authorizer, when its resource policy lets AWS IoT invoke it for this authorizer. */
export function checkPermission(ctx: EndpointContext, a: AuthorizerRecord, trace: Trace): FunctionRecord | Refusal {
  const fn = findFunction(ctx.state, a.authorizerFunctionArn);
  if (!fn) {
    const reason = `The authorizer's function ${a.authorizerFunctionArn} does not exist.`;
    trace.fail('permission', reason);
    return { stage: 'permission', status: 403, reason, fix: 'Create the function (aws lambda create-function ...) or point the authorizer at one (update-authorizer --authorizer-function-arn).' };
  }
  const grant = iotInvokePermission(fn, a.authorizerArn, ctx.accountId);
  if (!grant) {
    const reason = `The resource policy of ${fn.FunctionName} does not let ${IOT_SERVICE_PRINCIPAL} invoke it for ${a.authorizerArn}: AWS never calls the authorizer.`;
    trace.fail('permission', reason);
    return { stage: 'permission', status: 403, reason, fix: `aws lambda add-permission --function-name ${fn.FunctionName} --principal ${IOT_SERVICE_PRINCIPAL} --source-arn ${a.authorizerArn} --statement-id iot-invoke --action lambda:InvokeFunction` };
  }
  trace.pass('permission', `Statement "${grant.Sid}" lets ${IOT_SERVICE_PRINCIPAL} invoke ${fn.FunctionName}.`);
  return fn;
}

/** Invokes the handler with `partial.event` (the 5 s limit) and validates its answer against AWS's rules. */
export async function invokeForAnswer(
  ctx: EndpointContext,
  a: AuthorizerRecord,
  fn: FunctionRecord,
  trace: Trace,
  partial: Facts,
): Promise<CachedAnswer | Refusal> {
  const t = performance.now();
  const limitMs = Math.min(LAMBDA_TIMEOUT_MS, fn.Timeout * 1000);
  const run = await runFunction(ctx, fn, partial.event, limitMs);
  const waitedMs = performance.now() - t;
  if ('loadError' in run) {
    partial.handlerMs = waitedMs;
    trace.fail('handler', run.loadError);
    return { stage: 'handler', status: 403, reason: `The handler could not be loaded: ${run.loadError}`, fix: 'Fix the Handler setting or the package (aws lambda update-function-configuration --handler / update-function-code).' };
  }
  const r = run.result;
  // The runtime's limit starts when the handler is called, not while the call waits its turn.
  partial.handlerMs = r.timings.totalMs;
  partial.queuedMs = Math.max(0, waitedMs - r.timings.totalMs);
  partial.logs = { text: r.logs.text, truncated: r.logs.truncated };
  partial.cold = r.timings.cold;
  if (!r.ok && r.error.code !== 'NO_RESPONSE') {
    partial.handlerError = r.error;
    trace.fail('handler', `${r.error.code}: ${r.error.message}`);
    return { stage: 'handler', status: 403, reason: r.error.code === 'TIMEOUT' ? `The handler did not answer within ${limitMs} ms.` : `The handler failed: ${r.error.message}`, fix: r.error.code === 'TIMEOUT' ? 'AWS gives the authorizer 5 s: answer sooner (no slow network calls on the connect path).' : undefined };
  }
  const queued = partial.queuedMs >= 1 ? `, after waiting ${partial.queuedMs.toFixed(0)} ms behind earlier invocations of this handler` : '';
  trace.pass('handler', `Answered in ${(r.timings.invokeMs ?? r.timings.totalMs).toFixed(1)} ms${r.timings.cold ? ' (cold start)' : ''}${queued}.`);
  const response = r.ok ? r.response : undefined;
  partial.response = response;
  const validation = validateAuthorizerResponse(response);
  partial.validation = validation;
  if (!validation.valid || !validation.normalized) {
    const first = validation.findings.find((f) => f.severity === 'error');
    trace.fail('answer', first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : 'The answer breaks AWS\'s response rules.');
    return { stage: 'answer', status: 403, reason: `AWS rejects the handler's answer: ${first?.message ?? 'invalid response'}`, fix: first?.hint };
  }
  const n = validation.normalized;
  const documents = n.policyDocuments.map((d) => d.document ?? d.text);
  const region = regionOfArn(a.authorizerArn, ctx.defaultRegion);
  return {
    expiresAt: ctx.clock.now() + (n.refreshAfterInSeconds ?? DEFAULT_REFRESH_SECONDS) * 1000,
    response,
    validation,
    documents,
    summary: summaryOf(documents, region, ctx.accountId),
    principalId: n.principalId,
    signature: partial.signature ?? { status: 'disabled' },
    event: partial.event,
    decided: new Map(),
  };
}
