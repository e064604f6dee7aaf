// One local run from request to InvocationResult (core/result.ts): build the event and pass
// AWS's signature gate (invokeBehindGate), run the handler in the local runtime, and hand what
// happened to core/runResult.ts, which judges it the same way for every target.
//
// The verb is "invoke": `invokeEventFile` is the one entry point that the editor's two commands
// ("Run Test Event", "Invoke Authorizer Locally…") and `iot-authz invoke` call; it loads the
// files and calls `invokeAuthorizer` with the request. The panel and the CLI only read the result.
//
// The handler runs with AWS_REGION and ACCOUNT_ID_ENV set to the region and account the policies
// are evaluated with, so ARNs the handler builds from them match the evaluation.
import * as path from 'path';
import { performance } from 'perf_hooks';
import { randomUUID } from 'crypto';
import { ACCOUNT_ID_ENV, AWS_ACCOUNT_ID_PATTERN, LOCAL_ACCOUNT_ID, LOCAL_DEFAULT_REGION } from '../core/constants';
import { UserError } from '../core/errors';
import { authorizerForRequest, EventProblem, TokenSigner } from '../core/events';
import type { AuthorizationRequest } from '../core/policy';
import { AuthorizerConfig, AuthorizerProject, findProjectFile, loadProject, ProjectIssue } from '../core/project';
import type { InvocationResult, RunTarget } from '../core/result';
import { assembleRunResult, HandlerOutcome, requestSummary, runNotStartedResult } from '../core/runResult';
import { DeviceRequest, loadTestEvent } from '../core/testEvent';
import type { NamedPublicKey } from '../core/tokens';
import type { InvokeOptions, LocalRuntime, RuntimeError, RuntimeResult } from './runtime';
import { invokeBehindGate, GatedInvocation } from './invokeBehindGate';

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

const LOCAL: RunTarget = { kind: 'local' };

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

function runtimeErrorDetail(e: RuntimeError): string | undefined {
  const d = e.detail;
  if (!d) return undefined;
  if (d.stack) return d.stack;
  if (d.file) return `${d.file}${d.line !== undefined ? `:${d.line}${d.column !== undefined ? `:${d.column}` : ''}` : ''}`;
  if (d.availableFunctions) return `Functions found: ${d.availableFunctions.join(', ') || 'none'}`;
  if (d.missingModule) return `Missing module: ${d.missingModule}`;
  return undefined;
}

/** The local runtime's answer in the terms every producer of a run uses (core/runResult.ts). */
export function handlerOutcomeOf(r: RuntimeResult): HandlerOutcome {
  if (r.ok) return { kind: 'response', response: r.response };
  if (r.error.code === 'NO_RESPONSE') return { kind: 'no-response' };
  const detail = runtimeErrorDetail(r.error);
  return { kind: 'error', error: { code: r.error.code, message: r.error.message, ...(detail !== undefined ? { detail } : {}) } };
}

/**
 * Runs `request` against the project's authorizer in the local runtime and returns the one result
 * object. Never throws for what a user can get wrong: that becomes outcome request-error or
 * handler-error with `error` saying what to fix.
 */
export async function invokeAuthorizer(runtime: LocalRuntime, input: InvokeAuthorizerInput): Promise<InvocationResult> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const id = randomUUID();
  const chosen = authorizerForRequest(input.project, input.request).authorizer;
  const { region, accountId } = policyRegionAndAccount(chosen, input.policyContext);
  const invoke: InvokeOptions = {
    ...input.invoke,
    env: { AWS_REGION: region, AWS_DEFAULT_REGION: region, [ACCOUNT_ID_ENV]: accountId, ...input.invoke?.env },
  };

  let run: GatedInvocation;
  try {
    run = await invokeBehindGate(runtime, { ...input, invoke });
  } catch (e) {
    // Setup the user can fix, e.g. the runtime files were not built.
    if (!(e instanceof UserError)) throw e;
    return runNotStartedResult({
      id, startedAt, target: LOCAL, outcome: 'handler-error', headline: `Handler not run: ${e.message}`,
      error: { code: e.code, message: e.message }, request: requestSummary(input.request), deviceRequest: input.request,
      timings: { totalMs: performance.now() - t0 }, source: { eventFile: input.eventFile, projectFile: input.project.file },
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
  const assembled = assembleRunResult({
    id,
    startedAt,
    target: LOCAL,
    request: input.request,
    ...(config ? { authorizer: config } : {}),
    ...(run.build ? { build: run.build } : {}),
    ...(r ? { handler: handlerOutcomeOf(r), logs: r.logs } : {}),
    policyContext: { region, accountId },
    ...(input.whatIf ? { whatIf: input.whatIf } : {}),
    problems,
    timings: {
      totalMs: 0,
      ...(r?.timings.invokeMs !== undefined ? { invokeMs: r.timings.invokeMs } : {}),
      ...(r?.timings.initMs !== undefined ? { initMs: r.timings.initMs } : {}),
      ...(r ? { cold: r.timings.cold } : {}),
    },
    source: { ...(input.eventFile !== undefined ? { eventFile: input.eventFile } : {}), projectFile: input.project.file },
  });
  // The total includes judging and evaluating, as the user waited for them.
  return { ...assembled, timings: { ...assembled.timings, totalMs: performance.now() - t0 } };
}

function issueText(file: string, issues: readonly ProjectIssue[]): string {
  return issues.map((i) => `${file}:${i.line}:${i.column}: ${i.jsonPath ? `${i.jsonPath}: ` : ''}${i.message}`).join('\n');
}

function requestError(code: RequestErrorCode, message: string, input: InvokeEventFileInput, extra: { projectFile?: string; problems?: EventProblem[]; protocol?: DeviceRequest['protocol'] } = {}): InvocationResult {
  return runNotStartedResult({
    id: randomUUID(),
    startedAt: new Date().toISOString(),
    target: LOCAL,
    outcome: 'request-error',
    headline: `Not run: ${message.split('\n')[0]}`,
    request: { protocol: extra.protocol ?? 'http', ...(input.authorizerName !== undefined ? { authorizer: input.authorizerName } : {}) },
    ...(extra.problems ? { problems: extra.problems } : {}),
    error: { code, message },
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
