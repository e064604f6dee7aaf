// The decision log: every data-plane request with its stages in AWS's order and the one stage
// that decided. A refused device gets only what AWS says ("Forbidden"); the log holds the
// reason and the fix for the developer. Read it as JSON lines (--log FILE), from the
// in-process API (`on('decision')`, `decisions()` async iterator, `recent()`), or over HTTP
// (`GET /_iot-authz/decisions`). Each decision converts to an InvocationResult (decisionResult.ts).
import { EventEmitter } from 'events';
import * as fs from 'fs';
import { ENDPOINT_RECENT_DECISIONS } from '../core/constants';
import { RingBuffer } from '../core/ringBuffer';
import type { AuthorizerEvent, SignatureCheck } from '../core/events';
import type { PolicyEvaluationResult, RunLogs } from '../core/result';
import type { ResponseValidation } from '../core/response';
import type { RuntimeError } from '../local/runtime';

/** AWS's order of checks for a device request. */
export type StageName = 'transport' | 'authorizer' | 'signature' | 'permission' | 'handler' | 'answer' | 'policy';
export const STAGE_ORDER: readonly StageName[] = ['transport', 'authorizer', 'signature', 'permission', 'handler', 'answer', 'policy'];

export interface StageRecord {
  readonly stage: StageName;
  readonly status: 'passed' | 'failed' | 'skipped';
  /** What was checked and found, one sentence. */
  readonly detail: string;
}

export interface EndpointDecision {
  readonly id: string;
  /** The traceId the device received. */
  readonly traceId: string;
  readonly at: string;
  readonly request: {
    /** `mqtt-ws`: MQTT over WebSocket on the HTTP port. */
    readonly protocol: 'http' | 'mqtt' | 'mqtt-ws';
    /** HTTP method, or the MQTT operation: CONNECT, PUBLISH, SUBSCRIBE, RECEIVE, REFRESH, DISCONNECT (at disconnectAfterInSeconds or on request). */
    readonly method: string;
    readonly path: string;
    readonly topic?: string;
    readonly qos?: number;
    readonly retain?: boolean;
    readonly tls: boolean;
    readonly remoteAddress?: string;
    /** Where the credentials came from. */
    readonly credentialsIn?: 'headers' | 'query' | 'sigv4' | 'mqtt-username';
    /** MQTT: the client id of the connection. */
    readonly clientId?: string;
    /** MQTT SUBSCRIBE: the topic filter. */
    readonly topicFilter?: string;
    /** MQTT: the CONNECT's username, as sent (the password is never logged). */
    readonly username?: string;
    readonly protocolVersion?: number;
    readonly token?: string;
    readonly headers?: Readonly<Record<string, string>>;
    readonly queryString?: string;
    readonly serverName?: string;
  };
  readonly authorizer?: string;
  readonly authorizerArn?: string;
  readonly functionArn?: string;
  readonly allowed: boolean;
  /** HTTP status the device got; MQTT: 200 allowed, 403 refused (see `answer`). */
  readonly status: number;
  /** MQTT: what the client saw, e.g. "CONNACK 0", "connection closed without CONNACK", "SUBACK 0x80". */
  readonly answer?: string;
  readonly decidedBy: StageName;
  /** Why, for the developer. */
  readonly reason: string;
  /** What to change, when the request was refused. */
  readonly fix?: string;
  readonly stages: readonly StageRecord[];
  readonly signature?: SignatureCheck;
  readonly event?: AuthorizerEvent;
  readonly response?: unknown;
  readonly handlerError?: RuntimeError;
  readonly validation?: ResponseValidation;
  readonly evaluation?: PolicyEvaluationResult;
  readonly principalId?: string;
  /** The handler was not invoked: HTTP, an answer cached with enableCachingForHttp; MQTT, the connection's answer. */
  readonly cached: boolean;
  readonly logs?: RunLogs;
  /**
   * `handlerMs` is the invocation itself (a cold start included); `queuedMs` the wait for a free
   * worker of the function (each serves one invocation at a time, as a Lambda execution environment
   * does, and the endpoint runs at most `--concurrency` of them), which does not count against the 5 s limit.
   */
  readonly timings: { readonly totalMs: number; readonly handlerMs?: number; readonly queuedMs?: number; readonly cold?: boolean };
  /** The endpoint's URL, for the result's target. */
  readonly endpointUrl: string;
}

export interface DecisionLogEvents {
  decision: [EndpointDecision];
  close: [];
}

/** Keeps recent decisions, appends them to a JSON-lines file, and tells listeners. */
export class DecisionLog extends EventEmitter<DecisionLogEvents> {
  private readonly kept = new RingBuffer<EndpointDecision>(ENDPOINT_RECENT_DECISIONS);
  /** Written synchronously, so a line is in the file before the device gets its answer. */
  private fd: number | undefined;

  constructor(logFile?: string) {
    super();
    if (logFile) this.fd = fs.openSync(logFile, 'a', 0o600);
  }

  add(decision: EndpointDecision): void {
    this.kept.push(decision);
    if (this.fd !== undefined) fs.writeSync(this.fd, JSON.stringify(decision) + '\n');
    this.emit('decision', decision);
  }

  /** The most recent decisions, oldest first. */
  recent(limit = ENDPOINT_RECENT_DECISIONS): EndpointDecision[] {
    return this.kept.toArray().slice(-limit);
  }

  /** Every decision from now on, until `signal` aborts or the log is closed. */
  async *decisions(signal?: AbortSignal): AsyncGenerator<EndpointDecision> {
    const queue: EndpointDecision[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const onDecision = (d: EndpointDecision) => {
      queue.push(d);
      wake?.();
    };
    const onEnd = () => {
      done = true;
      wake?.();
    };
    this.on('decision', onDecision);
    this.once('close', onEnd);
    signal?.addEventListener('abort', onEnd, { once: true });
    try {
      while (!done || queue.length > 0) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.off('decision', onDecision);
      this.off('close', onEnd);
      signal?.removeEventListener('abort', onEnd);
    }
  }

  /** Ends iterators and closes the file. */
  async close(): Promise<void> {
    this.emit('close');
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    await Promise.resolve();
  }
}
