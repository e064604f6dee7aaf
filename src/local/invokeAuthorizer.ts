// One local run from request to InvocationResult (core/result.ts): build the event and pass
// AWS's signature gate (runTestEvent), run the handler, check its answer against the response
// rules, and evaluate the returned policies for the connection. What "Invoke Locally",
// `iot-authz invoke` and the tests call; the panel and the CLI only read the result.
//
// Choices made here:
// - Policies are evaluated whenever the answer holds readable policy documents and says
//   isAuthenticated true, even when the response is invalid (the panel shows why each one
//   allows or denies). A refused device gets no policies, so a denial is not evaluated.
// - A handler that returns nothing gets outcome invalid-response (AWS rejects the answer);
//   throwing, timing out, or an answer Lambda cannot return is a handler-error.
// - The handler runs with AWS_REGION and ACCOUNT_ID_ENV set to the region and account the
//   policies are evaluated with, so ARNs the handler builds from them match the evaluation.
import * as path from 'path';
import { performance } from 'perf_hooks';
import { randomUUID } from 'crypto';
import { ACCOUNT_ID_ENV, AWS_ACCOUNT_ID_PATTERN, LOCAL_ACCOUNT_ID, LOCAL_DEFAULT_REGION, MAX_POLICY_DOCUMENTS } from '../core/constants';
import { UserError } from '../core/errors';
import { authorizerForRequest, AuthorizerEvent, EventProblem, ResolvedDeviceRequest, SignatureCheck, TokenSigner } from '../core/events';
import { AuthorizationDecision, AuthorizationRequest, defaultRequestsFor, evaluatePolicies, PolicyContext, PolicyDocument, summarizePolicies } from '../core/policy';
import { tooManyDocumentsToEvaluate } from '../core/policyLimits';
import { AuthorizerConfig, AuthorizerProject, findProjectFile, loadProject, ProjectIssue } from '../core/project';
import { redactSecrets } from '../core/redact';
import { replaceSecret } from '../core/scrub';
import { clientIdOverHttpsProblem } from '../core/httpClientId';
import { validateAuthorizerResponse, ResponseValidation } from '../core/response';
import { InvocationResult, PolicyEvaluationResult, REDACTED_PASSWORD, RunError, RunLogs, RunOutcome, RunRequestSummary, RunTimings } from '../core/result';
import { DeviceRequest, loadTestEvent } from '../core/testEvent';
import type { NamedPublicKey } from '../core/tokens';
import type { InvokeOptions, LocalRuntime, RuntimeError, RuntimeResult } from './runtime';
import { runTestEvent, TestEventRun } from './runTestEvent';

export interface PolicyContextInput {
  readonly region?: string;
  readonly accountId?: string;
}

export interface InvokeAuthorizerInput {
  readonly project: AuthorizerProject;
  readonly request: DeviceRequest;
  /** The test event file the request came from, recorded in `source`. */
  readonly eventFile?: string;
  /** The folder holding .iot-authz/keys; default the project file's folder. */
  readonly workspaceRoot?: string;
  readonly sign?: TokenSigner;
  readonly publicKeys?: readonly NamedPublicKey[];
  readonly invoke?: InvokeOptions;
  /** Region and account for policy ARNs; default the authorizer's aws settings, else placeholders. */
  readonly policyContext?: PolicyContextInput;
  /** Extra requests to evaluate the returned policies against (the panel's "what if" rows). */
  readonly whatIf?: readonly AuthorizationRequest[];
  /** Fixed connection id, for reproducible events. */
  readonly connectionId?: string;
}

export interface InvokeEventFileInput extends Omit<InvokeAuthorizerInput, 'project' | 'request' | 'eventFile'> {
  readonly eventFile: string;
  /** Default: iot-authorizer.json in the event file's folder or the nearest one above. */
  readonly projectFile?: string;
  /** Overrides the authorizer the event names. */
  readonly authorizerName?: string;
}

/** Codes of `error` for outcome request-error. */
export type RequestErrorCode = 'EVENT_INVALID' | 'PROJECT_NOT_FOUND' | 'PROJECT_INVALID' | 'AUTHORIZER_NOT_FOUND' | 'REQUEST_INVALID';

const ROLE_ARN_ACCOUNT = /^arn:[^:]+:iam::(\d{12}):/;

/** Region and account the policies are evaluated with: given, else the authorizer's aws settings, else placeholders. */
export function policyRegionAndAccount(config: AuthorizerConfig | undefined, given: PolicyContextInput = {}): { region: string; accountId: string } {
  const fromRole = config?.aws.roleArn ? ROLE_ARN_ACCOUNT.exec(config.aws.roleArn)?.[1] : undefined;
  const fromEnv = process.env[ACCOUNT_ID_ENV];
  return {
    region: given.region ?? config?.aws.region ?? LOCAL_DEFAULT_REGION,
    accountId: given.accountId ?? fromRole ?? (fromEnv && AWS_ACCOUNT_ID_PATTERN.test(fromEnv) ? fromEnv : LOCAL_ACCOUNT_ID),
  };
}

/** Replaces every occurrence of a secret in a string, or in every string of a JSON value. */
function scrub<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') {
    let text: string = redactSecrets(value);
    for (const s of secrets) text = replaceSecret(text, s, REDACTED_PASSWORD);
    return text as T;
  }
  if (Array.isArray(value)) return value.map((v: unknown) => scrub(v, secrets)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, secrets)])) as T;
  }
  return value;
}

/** The MQTT password in every form it may show up in, whatever its length. */
function passwordForms(request: DeviceRequest): string[] {
  const forms = [request.mqtt?.password, request.mqtt?.passwordBase64];
  if (request.mqtt?.passwordBase64) forms.push(Buffer.from(request.mqtt.passwordBase64, 'base64').toString('utf8'));
  return [...new Set(forms.filter((f): f is string => f !== undefined && f.length > 0))].sort((a, b) => b.length - a.length);
}

function redactEvent(event: AuthorizerEvent): AuthorizerEvent {
  const mqtt = event.protocolData.mqtt;
  if (mqtt?.password === undefined) return event;
  return { ...event, protocolData: { ...event.protocolData, mqtt: { ...mqtt, password: REDACTED_PASSWORD } } };
}

function wireOf(r: ResolvedDeviceRequest): RunRequestSummary['wire'] {
  const { mqtt, headers, queryString, ...always } = r;
  // Only the parts the protocol has, so the result stays the same after a JSON round trip.
  const rest = { ...always, ...(headers !== undefined ? { headers } : {}), ...(queryString !== undefined ? { queryString } : {}) };
  if (!mqtt) return rest;
  return {
    ...rest,
    mqtt: {
      ...(mqtt.username !== undefined ? { username: mqtt.username } : {}),
      ...(mqtt.clientId !== undefined ? { clientId: mqtt.clientId } : {}),
      hasPassword: mqtt.passwordBase64 !== undefined,
    },
  };
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function runtimeErrorDetail(e: RuntimeError): string | undefined {
  const d = e.detail;
  if (!d) return undefined;
  if (d.stack) return d.stack;
  if (d.file) return `${d.file}${d.line !== undefined ? `:${d.line}${d.column !== undefined ? `:${d.column}` : ''}` : ''}`;
  if (d.availableFunctions) return `Functions found: ${d.availableFunctions.join(', ') || 'none'}`;
  if (d.missingModule) return `Missing module: ${d.missingModule}`;
  return undefined;
}

/** Evaluates the returned policies for the connection: Connect, each topic and filter they name, then `whatIf`. */
function evaluate(
  documents: ReadonlyArray<PolicyDocument | string>,
  ctx: PolicyContext,
  whatIf: readonly AuthorizationRequest[],
  problems: EventProblem[],
): PolicyEvaluationResult {
  const summary = summarizePolicies(documents, ctx);
  const rows = defaultRequestsFor(ctx, summary);
  const key = (r: AuthorizationRequest) => `${r.action} ${r.clientId ?? ctx.clientId ?? ''} ${r.topic ?? ''} ${r.topicFilter ?? ''}`;
  const seen = new Set(rows.map(key));
  for (const r of whatIf) {
    if (seen.has(key(r))) continue;
    seen.add(key(r));
    rows.push(r);
  }
  const decisions: AuthorizationDecision[] = [];
  for (const r of rows) {
    try {
      decisions.push(evaluatePolicies(documents, r, ctx));
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      problems.push({ severity: 'warning', field: 'whatIf', message: e.message });
    }
  }
  const context = { region: ctx.region, accountId: ctx.accountId, ...(ctx.clientId !== undefined ? { clientId: ctx.clientId } : {}), ...(ctx.principalId !== undefined ? { principalId: ctx.principalId } : {}) };
  return { context, decisions, summary };
}

interface Judged {
  outcome: RunOutcome;
  headline: string;
  error?: RunError;
}

function judge(run: TestEventRun, config: AuthorizerConfig | undefined, validation: ResponseValidation | undefined, evaluation: PolicyEvaluationResult | undefined): Judged {
  const firstError = run.problems.find((p) => p.severity === 'error');
  if (!config || !run.build) {
    const message = firstError?.message ?? 'The request names no authorizer this project defines.';
    return { outcome: 'request-error', headline: `Not run: ${message}`, error: { code: 'AUTHORIZER_NOT_FOUND', message } };
  }
  const signature = run.build.gate.signature;
  if (!run.result) {
    if (config.status === 'INACTIVE') {
      return { outcome: 'signature-rejected', headline: `Not invoked: authorizer "${config.name}" is INACTIVE` };
    }
    // A {"sign"} that could not be computed is a problem of the event, not of the signature.
    const buildError = run.build.gate.problems.find((p) => p.severity === 'error' && p.field !== undefined);
    if (buildError) {
      return { outcome: 'request-error', headline: `Not run: ${buildError.message}`, error: { code: 'REQUEST_INVALID', message: `${buildError.field}: ${buildError.message}` } };
    }
    return { outcome: 'signature-rejected', headline: `Not invoked: signature ${signature.status}; AWS refuses the request before the authorizer runs` };
  }
  const r: RuntimeResult = run.result;
  if (!r.ok && r.error.code !== 'NO_RESPONSE') {
    const detail = runtimeErrorDetail(r.error);
    return {
      outcome: 'handler-error',
      headline: `Handler error (${r.error.code}): ${r.error.message}`,
      error: { code: r.error.code, message: r.error.message, ...(detail !== undefined ? { detail } : {}) },
    };
  }
  if (!validation?.valid) {
    const errors = validation?.findings.filter((f) => f.severity === 'error') ?? [];
    return { outcome: 'invalid-response', headline: `Invalid response (${plural(errors.length, 'error', 'errors')}): ${errors[0]?.message ?? 'AWS rejects it.'}` };
  }
  const n = validation.normalized;
  if (!n?.isAuthenticated) return { outcome: 'denied', headline: 'Denied by the handler (isAuthenticated false)' };
  let headline = `Allowed as ${n.principalId} (${plural(n.policyDocuments.length, 'policy', 'policies')})`;
  const connect = evaluation?.decisions.find((d) => d.action === 'iot:Connect');
  if (connect && !connect.allowed && !connect.certain) headline += `, but whether iot:Connect is allowed for client "${evaluation?.context.clientId}" cannot be decided locally (a condition or variable is not evaluated): see the policy table`;
  else if (connect && !connect.allowed) headline += `, but iot:Connect is denied for client "${evaluation?.context.clientId}": MQTT clients are disconnected`;
  else if (run.build.request.protocol !== 'http' && evaluation?.summary.warnings.some((w) => w.code === 'NO_CONNECT' || w.code === 'NO_ALLOW')) {
    headline += ', but nothing allows iot:Connect: MQTT clients are disconnected';
  } else if (evaluation && clientIdOverHttpsProblem(n.policyDocuments.map((d) => d.document ?? d.text), run.build.request.protocol)) {
    headline += ', but HTTPS publish has no client id: statements using ${iot:ClientId} grant nothing';
  }
  return { outcome: 'allowed', headline };
}

function requestSummary(request: DeviceRequest, run: TestEventRun | undefined): RunRequestSummary {
  const wire = run?.build?.request;
  const clientId = wire ? wire.mqtt?.clientId : request.protocol !== 'http' ? request.mqtt?.clientId : undefined;
  const token = run?.build?.event.token ?? request.credentials?.token;
  const serverName = wire?.serverName ?? request.serverName;
  const authorizer = run?.authorizer ?? request.authorizer;
  return {
    ...(authorizer !== undefined ? { authorizer } : {}),
    protocol: request.protocol,
    ...(clientId !== undefined ? { clientId } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(serverName !== undefined ? { serverName } : {}),
    ...(wire ? { wire: wireOf(wire) } : {}),
  };
}

const NOT_CHECKED: SignatureCheck = { status: 'missing', diagnosis: 'Not checked: the request could not be turned into an event.' };

/**
 * Runs `request` against the project's authorizer in the local runtime and returns the one result
 * object. Never throws for what a user can get wrong: that becomes outcome request-error or
 * handler-error with `error` saying what to fix.
 */
export async function invokeAuthorizer(runtime: LocalRuntime, input: InvokeAuthorizerInput): Promise<InvocationResult> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const id = randomUUID();
  const secrets = passwordForms(input.request);
  const chosen = authorizerForRequest(input.project, input.request).authorizer;
  const { region, accountId } = policyRegionAndAccount(chosen, input.policyContext);
  const invoke: InvokeOptions = {
    ...input.invoke,
    env: { AWS_REGION: region, AWS_DEFAULT_REGION: region, [ACCOUNT_ID_ENV]: accountId, ...input.invoke?.env },
  };

  let run: TestEventRun;
  try {
    run = await runTestEvent(runtime, { ...input, invoke });
  } catch (e) {
    // Setup the user can fix, e.g. the runtime files were not built.
    if (!(e instanceof UserError)) throw e;
    const message = scrub(e.message, secrets);
    return plainData({
      id, startedAt, target: { kind: 'local' }, outcome: 'handler-error', headline: `Handler not run: ${message}`,
      request: requestSummary(input.request, undefined), signature: NOT_CHECKED, problems: [],
      error: { code: e.code, message }, logs: { text: '', truncated: false }, timings: { totalMs: performance.now() - t0 },
      source: { eventFile: input.eventFile, projectFile: input.project.file },
    });
  }
  const config = run.authorizer !== undefined ? input.project.authorizers.find((a) => a.name === run.authorizer) : undefined;
  const problems: EventProblem[] = [...run.problems];
  const r = run.result;
  if (r) {
    for (const w of r.warnings) problems.push({ severity: 'info', message: w });
    for (const w of r.limitFindings ?? []) problems.push({ severity: 'warning', message: w });
    if (r.reloadedBecause) problems.push({ severity: 'info', message: `Reloaded the handler: ${path.basename(r.reloadedBecause)} changed.` });
  }

  let response: unknown;
  let validation: ResponseValidation | undefined;
  if (r?.ok) {
    response = r.response;
    validation = validateAuthorizerResponse(r.response);
  } else if (r && r.error.code === 'NO_RESPONSE') {
    validation = validateAuthorizerResponse(undefined);
  }

  let evaluation: PolicyEvaluationResult | undefined;
  const normalized = validation?.normalized;
  if (normalized?.isAuthenticated && run.build) {
    const clientId = run.build.request.protocol !== 'http' ? run.build.request.mqtt?.clientId : undefined;
    const ctx: PolicyContext = {
      region,
      accountId,
      ...(clientId !== undefined && clientId !== '' ? { clientId } : {}),
      ...(normalized.principalId ? { principalId: normalized.principalId } : {}),
      // iot:DomainName is the TLS server name the device connected with.
      ...(run.build.request.serverName !== undefined ? { domainName: run.build.request.serverName } : {}),
      ...(input.request.sourceIp !== undefined ? { sourceIp: input.request.sourceIp } : {}),
    };
    const documents = normalized.policyDocuments.map((d) => d.document ?? d.text);
    // AWS rejects such an answer outright: evaluating thousands of documents would say nothing more.
    if (documents.length > MAX_POLICY_DOCUMENTS) problems.push(tooManyDocumentsToEvaluate(documents.length));
    else evaluation = evaluate(documents, ctx, [...(input.request.operations ?? []), ...(input.whatIf ?? [])], problems);
    const noClientId = clientIdOverHttpsProblem(documents, run.build.request.protocol);
    if (noClientId) problems.push(noClientId);
  }

  const verdict = judge(run, config, validation, evaluation);
  const logs: RunLogs = r ? { text: scrub(r.logs.text, secrets), truncated: r.logs.truncated } : { text: '', truncated: false };
  const timings: RunTimings = {
    totalMs: performance.now() - t0,
    ...(r?.timings.invokeMs !== undefined ? { invokeMs: r.timings.invokeMs } : {}),
    ...(r?.timings.initMs !== undefined ? { initMs: r.timings.initMs } : {}),
    ...(r ? { cold: r.timings.cold } : {}),
  };
  const result: InvocationResult = {
    id,
    startedAt,
    target: { kind: 'local' },
    outcome: verdict.outcome,
    headline: scrub(verdict.headline, secrets),
    request: requestSummary(input.request, run),
    signature: run.build?.gate.signature ?? NOT_CHECKED,
    ...(run.build && r ? { event: redactEvent(run.build.event) } : {}),
    ...(r?.ok ? { response: scrub(response, secrets) } : {}),
    ...(validation ? { validation: scrub(validation, secrets) } : {}),
    ...(evaluation ? { evaluation } : {}),
    problems: scrub(problems, secrets),
    ...(verdict.error ? { error: scrub(verdict.error, secrets) } : {}),
    logs,
    timings,
    source: {
      ...(input.eventFile !== undefined ? { eventFile: input.eventFile } : {}),
      projectFile: input.project.file,
      ...(config ? { handlerFile: config.handlerFile, handlerFunction: config.handlerFunction } : {}),
    },
  };
  // Every part, the evaluation included: a policy or principal can echo the password too.
  return plainData(scrub(result, secrets));
}

/** The result as it reads back from JSON (no undefined fields): what the history, the panel and --json hold. */
function plainData(result: InvocationResult): InvocationResult {
  return JSON.parse(JSON.stringify(result)) as InvocationResult;
}

function issueText(file: string, issues: readonly ProjectIssue[]): string {
  return issues.map((i) => `${file}:${i.line}:${i.column}: ${i.jsonPath ? `${i.jsonPath}: ` : ''}${i.message}`).join('\n');
}

function requestError(code: RequestErrorCode, message: string, input: InvokeEventFileInput, extra: { projectFile?: string; problems?: EventProblem[]; protocol?: DeviceRequest['protocol'] } = {}): InvocationResult {
  const first = message.split('\n')[0];
  return plainData({
    id: randomUUID(),
    startedAt: new Date().toISOString(),
    target: { kind: 'local' },
    outcome: 'request-error',
    headline: `Not run: ${first}`,
    request: { protocol: extra.protocol ?? 'http', ...(input.authorizerName !== undefined ? { authorizer: input.authorizerName } : {}) },
    signature: NOT_CHECKED,
    problems: extra.problems ?? [],
    error: { code, message },
    logs: { text: '', truncated: false },
    timings: { totalMs: 0 },
    source: { eventFile: input.eventFile, ...(extra.projectFile !== undefined ? { projectFile: extra.projectFile } : {}) },
  });
}

function warningsOf(issues: readonly ProjectIssue[], file: string): EventProblem[] {
  return issues.filter((i) => i.severity === 'warning').map((i) => ({ severity: 'warning', ...(i.jsonPath ? { field: i.jsonPath } : {}), message: `${path.basename(file)}:${i.line}: ${i.message}` }));
}

/**
 * Loads a test event file and its project (found from the event's folder upward unless given)
 * and runs it with invokeAuthorizer. Problems in either file become a request-error result whose
 * message names file:line:column.
 */
export async function invokeEventFile(runtime: LocalRuntime, input: InvokeEventFileInput): Promise<InvocationResult> {
  const eventFile = path.resolve(input.eventFile);
  const parsed = loadTestEvent(eventFile);
  const eventErrors = parsed.issues.filter((i) => i.severity === 'error');
  const projectFile = input.projectFile ? path.resolve(input.projectFile) : findProjectFile(path.dirname(eventFile));
  if (!parsed.request || eventErrors.length > 0) {
    return requestError('EVENT_INVALID', issueText(eventFile, eventErrors), { ...input, eventFile }, { projectFile });
  }
  const problems = warningsOf(parsed.issues, eventFile);
  if (!projectFile) {
    return requestError('PROJECT_NOT_FOUND', `No iot-authorizer.json in ${path.dirname(eventFile)} or any folder above it. Create one, or name the project file.`, { ...input, eventFile }, { problems, protocol: parsed.request.protocol });
  }
  const loaded = loadProject(projectFile);
  const projectErrors = loaded.issues.filter((i) => i.severity === 'error');
  if (!loaded.project || projectErrors.length > 0) {
    return requestError('PROJECT_INVALID', issueText(projectFile, projectErrors), { ...input, eventFile }, { projectFile, problems, protocol: parsed.request.protocol });
  }
  let request = parsed.request;
  if (input.authorizerName !== undefined) {
    if (!loaded.project.authorizers.some((a) => a.name === input.authorizerName)) {
      const known = loaded.project.authorizers.map((a) => a.name).join(', ') || 'none';
      return requestError('AUTHORIZER_NOT_FOUND', `No authorizer named "${input.authorizerName}" in ${projectFile} (known: ${known}).`, { ...input, eventFile }, { projectFile, problems, protocol: request.protocol });
    }
    request = withAuthorizer(request, input.authorizerName);
  }
  const result = await invokeAuthorizer(runtime, { ...input, project: loaded.project, request, eventFile });
  return problems.length > 0 ? { ...result, problems: [...problems, ...result.problems] } : result;
}

/** The request sent to another authorizer: its name replaces the event's wherever the event put it. */
function withAuthorizer(request: DeviceRequest, name: string): DeviceRequest {
  const credentials = request.credentials && (request.credentials.authorizerName === undefined || request.credentials.authorizerName === request.authorizer)
    ? { ...request.credentials, authorizerName: name }
    : request.credentials;
  return { ...request, authorizer: name, ...(credentials ? { credentials } : {}) };
}
