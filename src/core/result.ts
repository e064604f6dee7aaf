// The one result object of a run (local invoke, AWS test-invoke, local endpoint connection).
// Plain JSON data: no class instances, no vscode types, no secrets (passwords and private key
// material never enter it). The results panel, the CLI's --json output, the history and the
// tests all read this shape.
import type { AuthorizationDecision } from './policy';
import type { PolicySummary } from './policySummary';
import type { ResponseValidation } from './response';
import type { AuthorizerEvent, EventProblem, ResolvedDeviceRequest, SignatureCheck } from './events';
import type { TestProtocol } from './testEvent';

export type RunTarget =
  | { readonly kind: 'local' }
  | { readonly kind: 'aws'; readonly region: string; readonly accountId?: string; readonly profile?: string }
  | { readonly kind: 'endpoint'; readonly url: string };

/**
 * How the run ended, from the device's point of view:
 * - `allowed`: the handler answered a valid response with isAuthenticated true;
 * - `denied`: a valid response with isAuthenticated false;
 * - `invalid-response`: the handler answered something AWS rejects (InvalidResponseException);
 * - `signature-rejected`: AWS would not invoke the handler (bad or missing signature, inactive authorizer);
 * - `handler-error`: the handler threw, timed out, or could not load;
 * - `request-error`: the request or project could not be turned into an event;
 * - `session-ended`: a local endpoint MQTT session ended (closed at disconnectAfterInSeconds or on
 *   request): nothing was refused.
 */
export type RunOutcome = 'allowed' | 'denied' | 'invalid-response' | 'signature-rejected' | 'handler-error' | 'request-error' | 'session-ended';

export interface RunRequestSummary {
  readonly authorizer?: string;
  readonly protocol: TestProtocol;
  readonly clientId?: string;
  /** The token as sent; shown, since tokens are not secret material in this product. */
  readonly token?: string;
  readonly serverName?: string;
  /** The request as it goes on the wire, with the MQTT password removed. */
  readonly wire?: Omit<ResolvedDeviceRequest, 'mqtt'> & { readonly mqtt?: { readonly username?: string; readonly clientId?: string; readonly hasPassword: boolean } };
  /**
   * Local endpoint runs: the connection as the device made it, worded for people, since the
   * endpoint also listens where AWS does not (plain TCP, ws://); absent for other targets.
   */
  readonly transport?: string;
  /** Local endpoint MQTT runs: the operation decided (CONNECT, PUBLISH, SUBSCRIBE, RECEIVE, REFRESH, DISCONNECT). */
  readonly operation?: string;
}

export interface RunLogs {
  readonly text: string;
  readonly truncated: boolean;
}

export interface RunTimings {
  readonly totalMs: number;
  readonly invokeMs?: number;
  readonly initMs?: number;
  /** Local endpoint: the wait behind earlier invocations of the same handler (one runs at a time). */
  readonly queuedMs?: number;
  readonly cold?: boolean;
}

export interface RunError {
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
}

export interface PolicyEvaluationResult {
  /** Region, account and client id the ARNs were built with. */
  readonly context: { readonly region: string; readonly accountId: string; readonly clientId?: string; readonly principalId?: string };
  readonly decisions: readonly AuthorizationDecision[];
  readonly summary: PolicySummary;
}

/** Files a run came from, so findings can open them. */
export interface RunSource {
  readonly eventFile?: string;
  readonly projectFile?: string;
  readonly handlerFile?: string;
  readonly handlerFunction?: string;
}

export interface InvocationResult {
  /** Unique id of this run. */
  readonly id: string;
  /** ISO 8601 start time. */
  readonly startedAt: string;
  readonly target: RunTarget;
  readonly outcome: RunOutcome;
  /** One line for lists and notifications, e.g. "Allowed as device1 (3 policies)". */
  readonly headline: string;
  readonly request: RunRequestSummary;
  readonly signature: SignatureCheck;
  /** The event the handler received (MQTT password replaced by a placeholder); absent when not invoked. */
  readonly event?: AuthorizerEvent;
  /** The handler's raw answer, as returned. */
  readonly response?: unknown;
  readonly validation?: ResponseValidation;
  readonly evaluation?: PolicyEvaluationResult;
  readonly problems: readonly EventProblem[];
  readonly error?: RunError;
  readonly logs: RunLogs;
  readonly timings: RunTimings;
  /** Files the run came from, so findings can open them. */
  readonly source: RunSource;
}

/** The placeholder that replaces an MQTT password wherever a result is shown or stored. */
export const REDACTED_PASSWORD = '[password hidden]';
