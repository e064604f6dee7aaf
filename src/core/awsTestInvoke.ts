// Turns an AWS TestInvokeAuthorizer answer (or its InvalidRequest/InvalidResponse error) into
// the one InvocationResult, through the same assembly (core/runResult.ts: response rules, policy
// evaluation, headline) as a local run, so "Compare with previous" can put local and AWS side by side. AWS gives no reason
// beyond its message for a refused request or response: the local checks on the same request
// (signature diagnosis, the handler's answer run locally) are attached to explain it.
// Pure: the aws layer makes the call, the local layer the explanation.
import { randomUUID } from 'crypto';
import type { EventProblem, SignatureCheck } from './events';
import type { ResponseValidation } from './response';
import type { InvocationResult, RunRequestSummary, RunTarget } from './result';
import { assembleRunResult, RunVerdict } from './runResult';
import { plural } from './text';

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
  /** Whether the request carried a signature next to its token; default: it did when it carried a token (a token test-invoke always does). */
  readonly signatureSent?: boolean;
  /** The authorizer has signing disabled: AWS checks no signature. */
  readonly signingDisabled?: boolean;
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

// AWS verifies a signature before it invokes the authorizer (a bad one is InvalidRequestException,
// docs/aws-custom-auth.md), so an answer means the signature that was sent verified.
const AWS_VERIFIED: SignatureCheck = {
  status: 'verified',
  diagnosis: 'Sent, verified by AWS: AWS checks the signature before it invokes the authorizer, and it invoked it.',
};

/** What the panel says about the signature of a request AWS ran the authorizer for (or refused its answer). */
function sentSignature(input: AwsTestInvokeInput): SignatureCheck {
  if (input.signingDisabled) return { status: 'disabled' };
  if (input.request.token === undefined)
    return { status: 'missing', diagnosis: "No token in the request: it carries nothing under the authorizer's token key name, so there was no signature to check." };
  if (input.signatureSent === false)
    return { status: 'missing', diagnosis: 'No signature next to the token. With signing enabled, AWS refuses a device that connects this way without invoking the authorizer.' };
  return AWS_VERIFIED;
}

/** The test-invoke as an InvocationResult with target `aws`. */
export function awsTestInvokeResult(input: AwsTestInvokeInput): InvocationResult {
  const common = {
    id: randomUUID(),
    startedAt: input.startedAt,
    target: input.target,
    summary: input.request,
    policyContext: { region: input.target.region, accountId: input.accountId },
    timings: { totalMs: input.totalMs },
    source: input.source ?? {},
  };
  if (input.answer) {
    // AWS answered: judged like a local answer, the headline says who answered.
    return assembleRunResult({
      ...common,
      signature: sentSignature(input),
      handler: { kind: 'response', response: responseFromTestInvoke(input.answer) },
      headlinePrefix: 'AWS: ',
      problems: [],
    });
  }
  const refusal = refusalOf(input);
  return assembleRunResult({
    ...common,
    signature: refusal.signature ?? sentSignature(input),
    verdict: refusal.verdict,
    ...(refusal.validation ? { checked: { validation: refusal.validation } } : {}),
    problems: refusal.problems,
  });
}

/** AWS refused the request or the handler's answer: the verdict, and what the local checks say about why. */
function refusalOf(input: AwsTestInvokeInput): { verdict: RunVerdict; problems: EventProblem[]; signature?: SignatureCheck; validation?: ResponseValidation } {
  const local = input.explanation?.localRun;
  const err = input.error ?? { name: 'UnknownError', message: 'No answer from AWS.' };
  const error = { code: err.name, message: err.message };
  const problems: EventProblem[] = [{ severity: 'error', message: `AWS ${err.name}: ${err.message}` }];
  if (err.name === 'InvalidResponseException') {
    const verdict: RunVerdict = { outcome: 'invalid-response', headline: `AWS rejected the handler's answer (InvalidResponseException): ${err.message}`, error };
    if (local?.validation) {
      const errors = local.validation.findings.filter((f) => f.severity === 'error');
      problems.push({
        severity: 'info',
        message: errors.length
          ? `Run locally on the same request, the handler's answer breaks ${plural(errors.length, 'rule', 'rules')}: ${errors.map((f) => `${f.path || 'response'}: ${f.message}`).join(' ')}`
          : 'Run locally on the same request, the handler answers a valid response: the deployed code differs from the workspace (deploy again), or it depends on something only AWS has.',
      });
      return { verdict, problems, validation: local.validation };
    }
    if (local?.error) problems.push({ severity: 'info', message: `Run locally on the same request, the handler fails: ${local.error.message}` });
    return { verdict, problems };
  }
  if (err.name === 'InvalidRequestException' && /signature/i.test(err.message)) {
    const checkedLocally = input.explanation?.signature;
    if (checkedLocally?.status === 'verified') {
      problems.push({
        severity: 'info',
        message: `The workspace key "${checkedLocally.keyName ?? ''}" verifies this signature locally: the authorizer in AWS holds other public keys. Deploy again to upload the workspace's keys.`,
      });
    } else if (checkedLocally?.diagnosis) {
      problems.push({ severity: 'info', message: `Checked locally: ${checkedLocally.diagnosis}` });
    }
    return {
      verdict: { outcome: 'signature-rejected', headline: `AWS refused the token signature: ${err.message}`, error },
      problems,
      signature: checkedLocally ?? { status: 'failed', diagnosis: err.message },
    };
  }
  const hint = REQUEST_HINTS.find((h) => h.when.test(err.message));
  if (hint) problems.push({ severity: 'info', message: hint.message });
  return {
    verdict: { outcome: 'request-error', headline: `AWS refused the test-invoke (${err.name}): ${err.message}`, error },
    problems,
    // AWS refused the request itself: it never got to the signature (nor to the authorizer).
    signature: { status: 'not-checked', diagnosis: 'Not checked: AWS refused the test-invoke request before it checked the signature.' },
  };
}

/** What AWS's InvalidRequestException messages mean, and what it accepts instead. */
const REQUEST_HINTS: readonly { readonly when: RegExp; readonly message: string }[] = [
  {
    when: /token and Http\/Mqtt\/Tls context/i,
    message: 'AWS takes either a token and signature, or a request context (HTTP headers, MQTT username) that carries them, never both.',
  },
  { when: /signing is disabled/i, message: 'This authorizer has signing disabled: test-invoke it with a request context (--event) instead of a token.' },
  { when: /queryString|Invalid arguments/i, message: 'A queryString in httpContext must start with "?".' },
];
