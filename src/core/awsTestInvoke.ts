// Turns an AWS TestInvokeAuthorizer answer (or its InvalidRequest/InvalidResponse error) into
// the one InvocationResult, through the same response rules and policy evaluation as a local
// run, so "Compare with previous" can put local and AWS side by side. AWS gives no reason
// beyond its message for a refused request or response: the local checks on the same request
// (signature diagnosis, the handler's answer run locally) are attached to explain it.
// Pure: the aws layer makes the call, the local layer the explanation.
import { randomUUID } from 'crypto';
import type { EventProblem, SignatureCheck } from './events';
import { AuthorizationDecision, defaultRequestsFor, evaluatePolicies, PolicyContext, PolicyDocument, summarizePolicies } from './policy';
import { validateAuthorizerResponse, ResponseValidation } from './response';
import type { InvocationResult, PolicyEvaluationResult, RunOutcome, RunRequestSummary, RunTarget } from './result';
import { UserError } from './errors';

export interface AwsTestInvokeAnswer {
  readonly isAuthenticated?: boolean;
  readonly principalId?: string;
  readonly policyDocuments?: readonly string[];
  readonly refreshAfterInSeconds?: number;
  readonly disconnectAfterInSeconds?: number;
}

export interface AwsTestInvokeError {
  /** AWS's error name, e.g. InvalidRequestException. */
  readonly name: string;
  readonly message: string;
}

/** What the local checks on the same request found, to explain an AWS refusal. */
export interface LocalExplanation {
  /** The token's signature checked against the workspace keys. */
  readonly signature?: SignatureCheck;
  /** The handler run locally on the same event: its result's validation explains InvalidResponseException. */
  readonly localRun?: InvocationResult;
}

export interface AwsTestInvokeInput {
  readonly target: Extract<RunTarget, { kind: 'aws' }>;
  readonly accountId: string;
  readonly request: RunRequestSummary;
  readonly answer?: AwsTestInvokeAnswer;
  readonly error?: AwsTestInvokeError;
  readonly startedAt: string;
  readonly totalMs: number;
  readonly explanation?: LocalExplanation;
  readonly source?: InvocationResult['source'];
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function evaluate(documents: ReadonlyArray<PolicyDocument | string>, ctx: PolicyContext, problems: EventProblem[]): PolicyEvaluationResult {
  const summary = summarizePolicies(documents, ctx);
  const decisions: AuthorizationDecision[] = [];
  for (const r of defaultRequestsFor(ctx, summary)) {
    try {
      decisions.push(evaluatePolicies(documents, r, ctx));
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      problems.push({ severity: 'warning', message: e.message });
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

/** The answer as the response object the rules check (documents as the JSON strings AWS returns). */
export function responseFromTestInvoke(answer: AwsTestInvokeAnswer): Record<string, unknown> {
  return {
    ...(answer.isAuthenticated !== undefined ? { isAuthenticated: answer.isAuthenticated } : {}),
    ...(answer.principalId !== undefined ? { principalId: answer.principalId } : {}),
    policyDocuments: [...(answer.policyDocuments ?? [])],
    ...(answer.refreshAfterInSeconds !== undefined ? { refreshAfterInSeconds: answer.refreshAfterInSeconds } : {}),
    ...(answer.disconnectAfterInSeconds !== undefined ? { disconnectAfterInSeconds: answer.disconnectAfterInSeconds } : {}),
  };
}

const AWS_VERIFIED: SignatureCheck = { status: 'verified', diagnosis: 'AWS verified the signature (test-invoke ran the authorizer).' };
const NOT_SENT: SignatureCheck = { status: 'missing', diagnosis: 'The request carried its token in a context; AWS checked the signature there.' };

/** The test-invoke as an InvocationResult with target `aws`. */
export function awsTestInvokeResult(input: AwsTestInvokeInput): InvocationResult {
  const problems: EventProblem[] = [];
  const local = input.explanation?.localRun;
  let outcome: RunOutcome;
  let headline: string;
  let signature: SignatureCheck = input.request.token !== undefined ? AWS_VERIFIED : NOT_SENT;
  let response: unknown;
  let validation: ResponseValidation | undefined;
  let evaluation: PolicyEvaluationResult | undefined;
  let error: InvocationResult['error'];

  if (input.answer) {
    response = responseFromTestInvoke(input.answer);
    validation = validateAuthorizerResponse(response);
    const n = validation.normalized;
    if (!validation.valid) {
      // AWS accepted what the rules reject: say so rather than hide it.
      outcome = 'invalid-response';
      const first = validation.findings.find((f) => f.severity === 'error');
      headline = `AWS answered, but the toolkit's response rules reject it: ${first?.message ?? ''}`;
    } else if (n?.isAuthenticated) {
      const clientId = input.request.protocol !== 'http' ? input.request.clientId : undefined;
      const ctx: PolicyContext = {
        region: input.target.region,
        accountId: input.accountId,
        ...(clientId ? { clientId } : {}),
        ...(n.principalId ? { principalId: n.principalId } : {}),
      };
      evaluation = evaluate(
        n.policyDocuments.map((d) => d.document ?? d.text),
        ctx,
        problems,
      );
      outcome = 'allowed';
      headline = `AWS: allowed as ${n.principalId} (${plural(n.policyDocuments.length, 'policy', 'policies')})`;
      const connect = evaluation.decisions.find((d) => d.action === 'iot:Connect');
      if (connect && !connect.allowed && clientId) headline += `, but iot:Connect is denied for client "${clientId}"`;
    } else {
      outcome = 'denied';
      headline = 'AWS: denied by the handler (isAuthenticated false)';
    }
  } else {
    const err = input.error ?? { name: 'UnknownError', message: 'No answer from AWS.' };
    error = { code: err.name, message: err.message };
    problems.push({ severity: 'error', message: `AWS ${err.name}: ${err.message}` });
    if (err.name === 'InvalidResponseException') {
      outcome = 'invalid-response';
      headline = `AWS rejected the handler's answer (InvalidResponseException): ${err.message}`;
      if (local?.validation) {
        validation = local.validation;
        const errors = local.validation.findings.filter((f) => f.severity === 'error');
        problems.push({
          severity: 'info',
          message: errors.length
            ? `Run locally on the same request, the handler's answer breaks ${plural(errors.length, 'rule', 'rules')}: ${errors.map((f) => `${f.path || 'response'}: ${f.message}`).join(' ')}`
            : 'Run locally on the same request, the handler answers a valid response: the deployed code differs from the workspace (deploy again), or it depends on something only AWS has.',
        });
      } else if (local?.error) {
        problems.push({ severity: 'info', message: `Run locally on the same request, the handler fails: ${local.error.message}` });
      }
    } else if (err.name === 'InvalidRequestException' && /signature/i.test(err.message)) {
      outcome = 'signature-rejected';
      headline = `AWS refused the token signature: ${err.message}`;
      signature = input.explanation?.signature ?? { status: 'failed', diagnosis: err.message };
      if (input.explanation?.signature?.status === 'verified') {
        problems.push({
          severity: 'info',
          message: `The workspace key "${input.explanation.signature.keyName ?? ''}" verifies this signature locally: the authorizer in AWS holds other public keys. Deploy again to upload the workspace's keys.`,
        });
      } else if (input.explanation?.signature?.diagnosis) {
        problems.push({ severity: 'info', message: `Checked locally: ${input.explanation.signature.diagnosis}` });
      }
    } else {
      outcome = 'request-error';
      headline = `AWS refused the test-invoke (${err.name}): ${err.message}`;
      if (/token and Http\/Mqtt\/Tls context/i.test(err.message)) {
        problems.push({
          severity: 'info',
          message: 'AWS takes either a token and signature, or a request context (HTTP headers, MQTT username) that carries them, never both.',
        });
      } else if (/signing is disabled/i.test(err.message)) {
        problems.push({
          severity: 'info',
          message: 'This authorizer has signing disabled: test-invoke it with a request context (--event) instead of a token.',
        });
      } else if (/queryString|Invalid arguments/i.test(err.message)) {
        problems.push({ severity: 'info', message: 'A queryString in httpContext must start with "?".' });
      }
    }
  }

  const result: InvocationResult = {
    id: randomUUID(),
    startedAt: input.startedAt,
    target: input.target,
    outcome,
    headline,
    request: input.request,
    signature,
    ...(response !== undefined ? { response } : {}),
    ...(validation ? { validation } : {}),
    ...(evaluation ? { evaluation } : {}),
    problems,
    ...(error ? { error } : {}),
    logs: { text: '', truncated: false },
    timings: { totalMs: input.totalMs },
    source: input.source ?? {},
  };
  return JSON.parse(JSON.stringify(result)) as InvocationResult;
}
