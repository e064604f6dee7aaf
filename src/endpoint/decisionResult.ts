// The one place an endpoint decision becomes the product's result object (target `endpoint`),
// so the results panel, the history and --json read a device request like a local run. The
// endpoint decided at one stage and already checked the answer: it hands its verdict, validation
// and evaluation to the same assembly as a local run and an AWS test-invoke (core/runResult.ts).
import type { InvocationResult, RunOutcome, RunError } from '../core/result';
import type { SignatureCheck } from '../core/events';
import { assembleRunResult, HandlerOutcome } from '../core/runResult';
import type { EndpointDecision } from './decisions';

const REFUSED_BEFORE: SignatureCheck = { status: 'not-checked', diagnosis: 'Not checked: the endpoint refused the request before the signature stage.' };
const CHECKED_AT_CONNECT: SignatureCheck = {
  status: 'not-checked',
  diagnosis: 'Checked once, at the CONNECT that opened the connection: publishes, subscriptions, deliveries, refreshes and disconnects are decided on the connection\'s policies.',
};

/** The signature check of the decision's run: its own, else why it made none. */
function signatureOf(d: EndpointDecision): SignatureCheck {
  if (d.signature) return d.signature;
  return d.request.protocol !== 'http' && d.request.method !== 'CONNECT' ? CHECKED_AT_CONNECT : REFUSED_BEFORE;
}

/**
 * How the device reached the endpoint, for the run's Protocol line: the endpoint also serves
 * plain TCP and ws://, which AWS does not (it takes TLS on port 443 only).
 */
export function transportOf(r: Pick<EndpointDecision['request'], 'protocol' | 'tls'>): string {
  switch (r.protocol) {
    case 'mqtt':
      return r.tls ? 'MQTT over TLS, ALPN mqtt (local endpoint)' : 'MQTT over TCP without TLS (local endpoint; AWS takes MQTT over TLS on port 443, ALPN mqtt)';
    case 'mqtt-ws':
      return r.tls ? 'MQTT over WebSocket, wss:// (local endpoint)' : 'MQTT over WebSocket, ws:// without TLS (local endpoint; AWS takes wss:// on port 443)';
    case 'http':
      return r.tls ? 'HTTPS publish (local endpoint)' : 'HTTP publish without TLS (local endpoint; AWS takes HTTPS on port 443)';
  }
}

/** An MQTT session's end (disconnectAfterInSeconds, or a disconnect on request): it refuses nothing. */
export const endsSession = (d: EndpointDecision): boolean => d.request.protocol !== 'http' && d.request.method === 'DISCONNECT';

function outcomeOf(d: EndpointDecision): { outcome: RunOutcome; error?: RunError } {
  if (d.allowed) return { outcome: 'allowed' };
  if (endsSession(d)) return { outcome: 'session-ended' };
  switch (d.decidedBy) {
    case 'transport':
      return { outcome: 'request-error', error: { code: 'REQUEST_INVALID', message: d.reason } };
    case 'authorizer':
      return d.authorizerArn
        ? { outcome: 'signature-rejected', error: { code: 'AUTHORIZER_INACTIVE', message: d.reason } }
        : { outcome: 'request-error', error: { code: 'AUTHORIZER_NOT_FOUND', message: d.reason } };
    case 'signature':
      return { outcome: 'signature-rejected' };
    case 'permission':
      return { outcome: 'signature-rejected', error: { code: 'PERMISSION_MISSING', message: d.reason } };
    case 'handler':
      return { outcome: 'handler-error', error: { code: d.handlerError?.code ?? 'HANDLER_EXCEPTION', message: d.handlerError?.message ?? d.reason } };
    case 'answer':
      return { outcome: d.validation?.valid ? 'denied' : 'invalid-response' };
    case 'policy':
      return { outcome: 'denied', error: { code: 'POLICY_DENIED', message: d.reason } };
  }
}

function handlerOf(d: EndpointDecision): HandlerOutcome | undefined {
  if (d.handlerError) return { kind: 'error', error: { code: d.handlerError.code, message: d.handlerError.message } };
  if (d.response !== undefined) return { kind: 'response', response: d.response };
  return undefined;
}

/** The decision as an InvocationResult; plain JSON data, no secrets (HTTP publish carries no password). */
export function decisionToInvocationResult(d: EndpointDecision): InvocationResult {
  const { outcome, error } = outcomeOf(d);
  const verdict = endsSession(d) ? `Session of ${d.request.clientId ?? '?'} ended`
    : d.request.protocol !== 'http' ? `${d.request.method} ${d.allowed ? 'allowed' : `refused at ${d.decidedBy}`}`
      : d.allowed ? `Published to ${d.request.topic ?? '?'}` : `Refused (${d.status}) at ${d.decidedBy}`;
  const handler = handlerOf(d);
  return assembleRunResult({
    id: d.id,
    startedAt: d.at,
    target: { kind: 'endpoint', url: d.endpointUrl },
    summary: {
      ...(d.authorizer !== undefined ? { authorizer: d.authorizer } : {}),
      protocol: d.request.protocol === 'mqtt' ? 'mqtt' : d.request.protocol === 'mqtt-ws' ? 'mqtt-wss' : 'http',
      ...(d.request.clientId !== undefined ? { clientId: d.request.clientId } : {}),
      ...(d.request.token !== undefined ? { token: d.request.token } : {}),
      ...(d.request.serverName !== undefined ? { serverName: d.request.serverName } : {}),
      transport: transportOf(d.request),
      ...(d.request.protocol !== 'http' ? { operation: d.request.method } : {}),
      wire: {
        protocol: d.request.protocol === 'mqtt' ? 'mqtt' : d.request.protocol === 'mqtt-ws' ? 'mqtt-wss' : 'http',
        ...(d.request.protocol !== 'http' ? { mqtt: { ...(d.request.username !== undefined ? { username: d.request.username } : {}), ...(d.request.clientId !== undefined ? { clientId: d.request.clientId } : {}), hasPassword: d.event?.protocolData.mqtt?.password !== undefined } } : {}),
        serverName: d.request.serverName ?? '',
        ...(d.request.headers ? { headers: d.request.headers } : {}),
        ...(d.request.queryString ? { queryString: d.request.queryString } : {}),
      },
    },
    signature: signatureOf(d),
    ...(d.event ? { event: d.event } : {}),
    ...(handler ? { handler } : {}),
    verdict: { outcome, headline: `${verdict}: ${d.reason}`, ...(error ? { error } : {}) },
    checked: { ...(d.validation ? { validation: d.validation } : {}), ...(d.evaluation ? { evaluation: d.evaluation } : {}) },
    // Not used: the endpoint evaluated the publish with its own context (checked.evaluation).
    policyContext: { region: d.evaluation?.context.region ?? '', accountId: d.evaluation?.context.accountId ?? '' },
    problems: d.stages.filter((s) => s.status === 'failed').map((s) => ({ severity: endsSession(d) ? 'info' as const : 'error' as const, field: s.stage, message: `${s.detail}${d.fix ? ` ${d.fix}` : ''}` })),
    ...(d.logs ? { logs: d.logs } : {}),
    timings: {
      totalMs: d.timings.totalMs,
      ...(d.timings.handlerMs !== undefined ? { invokeMs: d.timings.handlerMs } : {}),
      ...(d.timings.queuedMs !== undefined ? { queuedMs: d.timings.queuedMs } : {}),
      ...(d.timings.cold !== undefined ? { cold: d.timings.cold } : {}),
    },
    source: {},
  });
}
