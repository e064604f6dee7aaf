// Judging a run and assembling its InvocationResult (core/result.ts), whoever produced it. Three
// producers feed this one function: a local run (src/local/invokeAuthorizer.ts), an AWS
// test-invoke (core/awsTestInvoke.ts) and a local endpoint decision (src/endpoint/decisionResult.ts).
// Each does its own part (build the event, pass the signature gate, call a handler, ask AWS) and
// hands over what happened; this module decides the outcome and headline, checks the answer
// against the response rules, evaluates the returned policies for the connection, and removes
// the MQTT password wherever it could show up. A producer that decided itself (AWS refused the
// request, the endpoint stopped at a stage) hands over its `verdict`; one that already checked
// the answer hands over `checked`.
//
// Choices made here (see docs/aws-custom-auth.md, "The authorizer's response" and "Policy
// evaluation"):
// - Policies are evaluated whenever the answer holds readable policy documents and says
//   isAuthenticated true, even when the response is invalid (the panel shows why each one
//   allows or denies). A refused device gets no policies, so a denial is not evaluated.
// - A handler that returns nothing gets outcome invalid-response (AWS rejects the answer);
//   throwing, timing out, or an answer Lambda cannot return is a handler-error.
import { MAX_POLICY_DOCUMENTS } from './constants';
import { clientIdOverHttpsProblem } from './httpClientId';
import { tooManyDocumentsToEvaluate } from './policyLimits';
import { connectAttributesOf } from './eventOperations';
import { replaceSecret } from './scrub';
import { UserError } from './errors';
import type { AuthorizerEvent, AuthorizerEventBuild, EventProblem, ResolvedDeviceRequest, SignatureCheck } from './events';
import { plural } from './text';
import { AuthorizationDecision, AuthorizationRequest, evaluatePolicies, PolicyContext, PolicyDocument } from './policy';
import { defaultRequestsFor, summarizePolicies } from './policySummary';
import type { AuthorizerConfig } from './project';
import { redactSecrets } from './redact';
import { ResponseValidation, validateAuthorizerResponse } from './response';
import {
  InvocationResult,
  PolicyEvaluationResult,
  REDACTED_PASSWORD,
  RunError,
  RunLogs,
  RunOutcome,
  RunRequestSummary,
  RunSource,
  RunTarget,
  RunTimings,
} from './result';
import type { DeviceRequest } from './testEvent';

/**
 * What the handler did with the event. Each producer maps its own runtime onto this:
 * - `response`: it answered (the raw value, before validation);
 * - `no-response`: it returned nothing (None, undefined, null), which AWS rejects;
 * - `error`: it threw, timed out, could not load, or answered something Lambda cannot return.
 */
export type HandlerOutcome =
  | { readonly kind: 'response'; readonly response: unknown }
  | { readonly kind: 'no-response' }
  | { readonly kind: 'error'; readonly error: RunError };

/** Region and account the returned policies are evaluated with (ARNs are built from them). */
export interface PolicyRegionAndAccount {
  readonly region: string;
  readonly accountId: string;
}

/** Everything a producer knows about one run, handed to `assembleRunResult`. */
export interface RunAssemblyInput {
  readonly id: string;
  /** ISO 8601 start time. */
  readonly startedAt: string;
  readonly target: RunTarget;
  /**
   * The device's request as given (test event, endpoint connection...): the source of the passwords
   * to hide. Absent when the producer only has `summary` (an AWS test-invoke, an endpoint decision).
   */
  readonly request?: DeviceRequest;
  /** The request as the producer recorded it, used as is; default: built from `request` and `build`. */
  readonly summary?: RunRequestSummary;
  /** The authorizer AWS would use for the request; absent when none could be chosen (outcome request-error). */
  readonly authorizer?: AuthorizerConfig;
  /**
   * The event, the request as it went on the wire, and the signature gate's outcome
   * (core/events.ts `buildAuthorizerEvent`); absent when no authorizer could be chosen.
   */
  readonly build?: AuthorizerEventBuild;
  /** The signature check when there is no `build` (AWS checked it, the endpoint's gate); default: the gate's, else not checked. */
  readonly signature?: SignatureCheck;
  /** The event the handler got when there is no `build` (the endpoint's). */
  readonly event?: AuthorizerEvent;
  /** Absent when the handler was not invoked (the gate refused, or there was nothing to invoke). */
  readonly handler?: HandlerOutcome;
  /** The producer's own verdict (AWS refused the request, the endpoint decided at a stage): used as is, nothing is judged. */
  readonly verdict?: RunVerdict;
  /** The answer's validation and policy evaluation, when the producer already did them: not done again. */
  readonly checked?: { readonly validation?: ResponseValidation; readonly evaluation?: PolicyEvaluationResult };
  /** Put before a judged headline, whose first letter is then lower-cased: 'AWS: ' gives "AWS: allowed as ...". */
  readonly headlinePrefix?: string;
  readonly policyContext: PolicyRegionAndAccount;
  /** Extra requests to evaluate the returned policies against (the panel's "what if" rows). */
  readonly whatIf?: readonly AuthorizationRequest[];
  /** Every problem met on the way (choosing the authorizer, reading keys, the gate, the runtime), in order. */
  readonly problems: readonly EventProblem[];
  /** The handler's output; default none. */
  readonly logs?: RunLogs;
  readonly timings: RunTimings;
  /** Files the run came from. The handler file and function are filled in from `authorizer`. */
  readonly source: RunSource;
}

/** What `assembleRunResult` concluded, before secrets are removed. */
export interface RunVerdict {
  readonly outcome: RunOutcome;
  readonly headline: string;
  readonly error?: RunError;
}

/** The signature field of a run that never got as far as an event. */
export const NOT_CHECKED: SignatureCheck = { status: 'not-checked', diagnosis: 'Not checked: the request could not be turned into an event.' };

/**
 * Judges one run and returns its InvocationResult as plain JSON data (no undefined fields, no
 * MQTT password anywhere, PEM private keys scrubbed from text). Pure: the same input gives the
 * same result. Throws only for bugs, never for what a handler or a user got wrong.
 */
export function assembleRunResult(input: RunAssemblyInput): InvocationResult {
  const secrets = input.request ? passwordForms(input.request) : [];
  const problems: EventProblem[] = [...input.problems];
  const handler = input.handler;
  const summary = input.summary ?? (input.request ? requestSummary(input.request, input.build, input.authorizer?.name) : undefined);
  if (!summary) throw new Error('assembleRunResult: give the request or its summary');

  let validation = input.checked?.validation;
  if (!input.checked) {
    if (handler?.kind === 'response') validation = validateAuthorizerResponse(handler.response);
    else if (handler?.kind === 'no-response') validation = validateAuthorizerResponse(undefined);
  }

  let evaluation = input.checked?.evaluation;
  const normalized = validation?.normalized;
  if (!input.checked && handler && normalized?.isAuthenticated && (input.build || input.summary)) {
    const wire = connectionOf(input, summary);
    // HTTPS publish sends no CONNECT, so it has no CONNECT flags.
    const connectAttributes = wire.protocol === 'http' ? undefined : connectAttributesOf(input.request?.mqtt);
    const ctx: PolicyContext = {
      region: input.policyContext.region,
      accountId: input.policyContext.accountId,
      ...(wire.clientId !== undefined && wire.clientId !== '' ? { clientId: wire.clientId } : {}),
      ...(normalized.principalId ? { principalId: normalized.principalId } : {}),
      // iot:DomainName is the TLS server name the device connected with.
      ...(wire.serverName !== undefined ? { domainName: wire.serverName } : {}),
      ...(input.request?.sourceIp !== undefined ? { sourceIp: input.request.sourceIp } : {}),
      ...(connectAttributes !== undefined ? { connectAttributes } : {}),
    };
    const documents = normalized.policyDocuments.map((d) => d.document ?? d.text);
    // AWS rejects such an answer outright: evaluating thousands of documents would say nothing more.
    if (documents.length > MAX_POLICY_DOCUMENTS) problems.push(tooManyDocumentsToEvaluate(documents.length));
    else evaluation = evaluateForConnection(documents, ctx, [...(input.request?.operations ?? []), ...(input.whatIf ?? [])], problems);
    const noClientId = clientIdOverHttpsProblem(documents, wire.protocol);
    if (noClientId) problems.push(noClientId);
  }

  const verdict = input.verdict ?? prefixed(judgeRun(input, validation, evaluation), input.headlinePrefix);
  const config = input.authorizer;
  const event = input.build && handler ? input.build.event : input.event;
  const result: InvocationResult = {
    id: input.id,
    startedAt: input.startedAt,
    target: input.target,
    outcome: verdict.outcome,
    headline: scrub(verdict.headline, secrets),
    request: summary,
    signature: input.build?.gate.signature ?? input.signature ?? NOT_CHECKED,
    ...(event ? { event: redactEvent(event) } : {}),
    ...(handler?.kind === 'response' ? { response: scrub(handler.response, secrets) } : {}),
    ...(validation ? { validation: scrub(validation, secrets) } : {}),
    ...(evaluation ? { evaluation } : {}),
    problems: scrub(problems, secrets),
    ...(verdict.error ? { error: scrub(verdict.error, secrets) } : {}),
    logs: input.logs ? { text: scrub(input.logs.text, secrets), truncated: input.logs.truncated } : { text: '', truncated: false },
    timings: input.timings,
    source: {
      ...input.source,
      ...(config ? { handlerFile: config.handlerFile, handlerFunction: config.handlerFunction } : {}),
    },
  };
  // Every part, the evaluation included: a policy or principal can echo the password too.
  return plainData(scrub(result, secrets));
}

/** Protocol, client id and server name of the connection: from the wire when there is an event, else from the summary. */
function connectionOf(input: RunAssemblyInput, summary: RunRequestSummary): { protocol: string; clientId?: string; serverName?: string } {
  const wire = input.build?.request;
  const protocol = wire?.protocol ?? summary.protocol;
  const clientId = protocol === 'http' ? undefined : wire ? wire.mqtt?.clientId : summary.clientId;
  const serverName = wire ? wire.serverName : summary.serverName;
  return { protocol, ...(clientId !== undefined ? { clientId } : {}), ...(serverName !== undefined ? { serverName } : {}) };
}

function prefixed(verdict: RunVerdict, prefix: string | undefined): RunVerdict {
  if (!prefix) return verdict;
  return { ...verdict, headline: `${prefix}${verdict.headline.charAt(0).toLowerCase()}${verdict.headline.slice(1)}` };
}

/** A run that stopped before any event existed: the request, project or runtime set-up was wrong. */
export interface RunNotStartedInput {
  readonly id: string;
  readonly startedAt: string;
  readonly target: RunTarget;
  readonly outcome: 'request-error' | 'handler-error';
  /** One line, e.g. "Not run: <what is wrong>". */
  readonly headline: string;
  readonly error: RunError;
  readonly request: RunRequestSummary;
  readonly problems?: readonly EventProblem[];
  /** The device request, when there is one: its passwords are removed from the message. */
  readonly deviceRequest?: DeviceRequest;
  readonly timings: RunTimings;
  readonly source: RunSource;
}

/** The InvocationResult of a run that never reached the signature gate. */
export function runNotStartedResult(input: RunNotStartedInput): InvocationResult {
  const secrets = input.deviceRequest ? passwordForms(input.deviceRequest) : [];
  const error = scrub(input.error, secrets);
  return plainData({
    id: input.id,
    startedAt: input.startedAt,
    target: input.target,
    outcome: input.outcome,
    headline: scrub(input.headline, secrets),
    request: input.request,
    signature: NOT_CHECKED,
    problems: scrub(input.problems ?? [], secrets),
    error,
    logs: { text: '', truncated: false },
    timings: input.timings,
    source: input.source,
  });
}

/** Outcome, headline and error of a run, in AWS's order: authorizer, gate, handler, response rules, policies. */
export function judgeRun(input: RunAssemblyInput, validation: ResponseValidation | undefined, evaluation: PolicyEvaluationResult | undefined): RunVerdict {
  const config = input.authorizer;
  const build = input.build;
  const handler = input.handler;
  const firstError = input.problems.find((p) => p.severity === 'error');
  // A producer with no event of its own (AWS test-invoke) hands over the handler's answer and its summary alone.
  const answeredElsewhere = handler !== undefined && input.summary !== undefined;
  if ((!config || !build) && !answeredElsewhere) {
    const message = firstError?.message ?? 'The request names no authorizer this project defines.';
    return { outcome: 'request-error', headline: `Not run: ${message}`, error: { code: 'AUTHORIZER_NOT_FOUND', message } };
  }
  if (!handler) {
    if (!config || !build) throw new Error('judgeRun: no handler outcome and no authorizer');
    if (config.status === 'INACTIVE') {
      return { outcome: 'signature-rejected', headline: `Not invoked: authorizer "${config.name}" is INACTIVE` };
    }
    // A {"sign"} that could not be computed is a problem of the event, not of the signature.
    const buildError = build.gate.problems.find((p) => p.severity === 'error' && p.field !== undefined);
    if (buildError) {
      return { outcome: 'request-error', headline: `Not run: ${buildError.message}`, error: { code: 'REQUEST_INVALID', message: `${buildError.field}: ${buildError.message}` } };
    }
    return { outcome: 'signature-rejected', headline: `Not invoked: signature ${build.gate.signature.status}; AWS refuses the request before the authorizer runs` };
  }
  if (handler.kind === 'error') {
    return { outcome: 'handler-error', headline: `Handler error (${handler.error.code}): ${handler.error.message}`, error: handler.error };
  }
  if (!validation?.valid) {
    const errors = validation?.findings.filter((f) => f.severity === 'error') ?? [];
    return { outcome: 'invalid-response', headline: `Invalid response (${plural(errors.length, 'error', 'errors')}): ${errors[0]?.message ?? 'AWS rejects it.'}` };
  }
  const n = validation.normalized;
  if (!n?.isAuthenticated) return { outcome: 'denied', headline: 'Denied by the handler (isAuthenticated false)' };
  let headline = `Allowed as ${n.principalId} (${plural(n.policyDocuments.length, 'policy', 'policies')})`;
  const connect = evaluation?.decisions.find((d) => d.action === 'iot:Connect');
  if (connect && !connect.allowed && !connect.certain) {
    headline += `, but whether iot:Connect is allowed for client "${evaluation?.context.clientId}" cannot be decided locally (a condition or variable is not evaluated): see the policy table`;
  } else if (connect && !connect.allowed) headline += `, but iot:Connect is denied for client "${evaluation?.context.clientId}": MQTT clients are disconnected`;
  else if ((build?.request.protocol ?? input.summary?.protocol) !== 'http' && evaluation?.summary.warnings.some((w) => w.code === 'NO_CONNECT' || w.code === 'NO_ALLOW')) {
    headline += ', but nothing allows iot:Connect: MQTT clients are disconnected';
  } else if (evaluation && clientIdOverHttpsProblem(n.policyDocuments.map((d) => d.document ?? d.text), build?.request.protocol ?? input.summary?.protocol ?? 'http')) {
    headline += ', but HTTPS publish has no client id: statements using ${iot:ClientId} grant nothing';
  }
  return { outcome: 'allowed', headline };
}

/** Evaluates the returned policies for the connection: Connect, each topic and filter they name, then `whatIf`. */
export function evaluateForConnection(
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
  const context = {
    region: ctx.region,
    accountId: ctx.accountId,
    ...(ctx.clientId !== undefined ? { clientId: ctx.clientId } : {}),
    ...(ctx.principalId !== undefined ? { principalId: ctx.principalId } : {}),
  };
  return { context, decisions, summary };
}

/** What the result says about the request: the authorizer, the protocol, the client id, the token, the wire. */
export function requestSummary(request: DeviceRequest, build?: AuthorizerEventBuild, authorizerName?: string): RunRequestSummary {
  const wire = build?.request;
  const clientId = wire ? wire.mqtt?.clientId : request.protocol !== 'http' ? request.mqtt?.clientId : undefined;
  const token = build?.event.token ?? request.credentials?.token;
  const serverName = wire?.serverName ?? request.serverName;
  const authorizer = authorizerName ?? request.authorizer;
  return {
    ...(authorizer !== undefined ? { authorizer } : {}),
    protocol: request.protocol,
    ...(clientId !== undefined ? { clientId } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(serverName !== undefined ? { serverName } : {}),
    ...(wire ? { wire: wireOf(wire) } : {}),
  };
}

/** The MQTT password in every form it may show up in, whatever its length, longest first. */
export function passwordForms(request: DeviceRequest): string[] {
  const forms = [request.mqtt?.password, request.mqtt?.passwordBase64];
  if (request.mqtt?.passwordBase64) forms.push(Buffer.from(request.mqtt.passwordBase64, 'base64').toString('utf8'));
  return [...new Set(forms.filter((f): f is string => f !== undefined && f.length > 0))].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of a secret in a string, or in every string of a JSON value; scrubs PEM private keys. */
export function scrub<T>(value: T, secrets: readonly string[]): T {
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

/** The event with its MQTT password replaced by the placeholder. */
export function redactEvent(event: AuthorizerEvent): AuthorizerEvent {
  const mqtt = event.protocolData.mqtt;
  if (mqtt?.password === undefined) return event;
  return { ...event, protocolData: { ...event.protocolData, mqtt: { ...mqtt, password: REDACTED_PASSWORD } } };
}

/** The result as it reads back from JSON (no undefined fields): what the history, the panel and --json hold. */
export function plainData(result: InvocationResult): InvocationResult {
  return JSON.parse(JSON.stringify(result)) as InvocationResult;
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
