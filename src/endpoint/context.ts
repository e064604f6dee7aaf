// What every part of the endpoint shares: the state, the local runtime, the account and
// default region, the decision log, the published messages, and the counters. Also the two
// things the control and data planes both do: run a function, and check whether its resource
// policy lets AWS IoT invoke it for an authorizer.
import { EventEmitter } from 'events';
import { ACCOUNT_ID_ENV, ENDPOINT_RECENT_MESSAGES, IOT_SERVICE_PRINCIPAL } from '../core/constants';
import { compilePattern, patternMatches, CompiledPattern } from '../core/policyMatch';
import { RingBuffer } from '../core/ringBuffer';
import type { LocalRuntime, RuntimeResult } from '../local/runtime';
import type { EndpointClock } from './clock';
import type { DecisionLog, StageName } from './decisions';
import { handlerOf, runtimeConfigOf } from './functions';
import type { EndpointState, FunctionRecord, PolicyStatementRecord } from './state';

export interface PublishedMessage {
  readonly topic: string;
  readonly qos: number;
  readonly retain: boolean;
  readonly payloadBase64: string;
  readonly receivedAt: string;
  readonly traceId: string;
  readonly authorizer?: string;
  readonly principalId?: string;
  /** `mqtt` for a message an MQTT client published; HTTP publishes have none. */
  readonly via?: 'mqtt';
  /** The MQTT client that published it. */
  readonly clientId?: string;
}

export interface EndpointCounters {
  requests: number;
  published: number;
  handlerInvocations: number;
  /** Requests refused at the signature stage: handler invocations AWS does not bill. */
  savedBySignatureGate: number;
  cacheHits: number;
  malformedHttp: number;
  /** MQTT connections accepted since the start, and open now. */
  mqttConnects: number;
  mqttConnectionsOpen: number;
  /** Handler re-invocations at refreshAfterInSeconds, and connections closed at disconnectAfterInSeconds. */
  mqttRefreshes: number;
  mqttLifetimeDisconnects: number;
  refusedByStage: Partial<Record<StageName, number>>;
}

export interface MessageEvents {
  /** The payload's bytes come along when the publisher has them, so a listener need not decode `payloadBase64`. */
  message: [PublishedMessage, Buffer | undefined];
}

/** Recent messages published through the endpoint; `message` events for subscribers. */
export class MessageStore extends EventEmitter<MessageEvents> {
  private readonly kept = new RingBuffer<PublishedMessage>(ENDPOINT_RECENT_MESSAGES);

  add(m: PublishedMessage, payload?: Buffer): void {
    this.kept.push(m);
    this.emit('message', m, payload);
  }

  /** Oldest first; `topic` filters by exact topic name. */
  recent(options: { topic?: string; limit?: number } = {}): PublishedMessage[] {
    const all = this.kept.toArray();
    const list = options.topic !== undefined ? all.filter((m) => m.topic === options.topic) : all;
    return list.slice(-(options.limit ?? ENDPOINT_RECENT_MESSAGES));
  }
}

export interface EndpointContext {
  readonly state: EndpointState;
  readonly runtime: LocalRuntime;
  readonly accountId: string;
  readonly defaultRegion: string;
  /** Where function code goes when there is no state folder. */
  readonly tempRoot: string;
  readonly log: DecisionLog;
  readonly messages: MessageStore;
  readonly counters: EndpointCounters;
  /** The clock lifetimes and caches run on; `advance` moves it forward. */
  readonly clock: EndpointClock;
  /** The endpoint's first listener, e.g. http://127.0.0.1:4566. */
  url(): string;
}

export function newCounters(): EndpointCounters {
  return {
    requests: 0,
    published: 0,
    handlerInvocations: 0,
    savedBySignatureGate: 0,
    cacheHits: 0,
    malformedHttp: 0,
    mqttConnects: 0,
    mqttConnectionsOpen: 0,
    mqttRefreshes: 0,
    mqttLifetimeDisconnects: 0,
    refusedByStage: {},
  };
}

/** `arn:aws:<service>:<region>:...` → region, else the endpoint's default. */
export function regionOfArn(arn: string, fallback: string): string {
  const parts = arn.split(':');
  return parts.length > 4 && parts[3] ? parts[3] : fallback;
}

export type FunctionRun = { readonly result: RuntimeResult } | { readonly loadError: string };

/** Runs a function's handler with `event`, with Lambda's environment and the given limit. */
export async function runFunction(ctx: EndpointContext, f: FunctionRecord, event: unknown, timeoutMs: number): Promise<FunctionRun> {
  const handler = handlerOf(ctx.state, f);
  if ('error' in handler) return { loadError: handler.error };
  const region = regionOfArn(f.FunctionArn, ctx.defaultRegion);
  ctx.counters.handlerInvocations++;
  const result = await ctx.runtime.invoke(runtimeConfigOf(f, handler, region), event, {
    timeoutMs,
    env: { ...f.Environment, AWS_REGION: region, AWS_DEFAULT_REGION: region, [ACCOUNT_ID_ENV]: ctx.accountId },
  });
  return { result };
}

/** Condition patterns compiled once per text: the permission is checked on every publish. */
const conditionPatterns = new Map<string, CompiledPattern>();
const MAX_CONDITION_PATTERNS = 1000;

function conditionPattern(text: string): CompiledPattern {
  let p = conditionPatterns.get(text);
  if (!p) {
    if (conditionPatterns.size >= MAX_CONDITION_PATTERNS) conditionPatterns.clear();
    conditionPatterns.set(text, (p = compilePattern(text)));
  }
  return p;
}

function conditionAllows(condition: PolicyStatementRecord['Condition'], sourceArn: string, sourceAccount: string): boolean {
  if (!condition) return true;
  for (const [operator, entries] of Object.entries(condition)) {
    for (const [key, value] of Object.entries(entries)) {
      const k = key.toLowerCase();
      const actual = k === 'aws:sourcearn' ? sourceArn : k === 'aws:sourceaccount' ? sourceAccount : undefined;
      if (actual === undefined) return false;
      const like = operator === 'ArnLike' || operator === 'StringLike';
      if (like ? !patternMatches(conditionPattern(value), actual) : value !== actual) return false;
    }
  }
  return true;
}

/** The statement that lets AWS IoT invoke `f` for this authorizer, if any. */
export function iotInvokePermission(f: FunctionRecord, authorizerArn: string, accountId: string): PolicyStatementRecord | undefined {
  return f.policy.find((s) => {
    const principal = 'Service' in s.Principal ? s.Principal.Service : s.Principal.AWS;
    if (principal !== IOT_SERVICE_PRINCIPAL && principal !== '*') return false;
    if (!['lambda:InvokeFunction', 'lambda:*', '*'].includes(s.Action)) return false;
    return conditionAllows(s.Condition, authorizerArn, accountId);
  });
}

/** The function an ARN, partial ARN or name points at. */
export function findFunction(state: EndpointState, nameOrArn: string): FunctionRecord | undefined {
  const m = /^(?:arn:[^:]+:lambda:[^:]*:)?(?:\d{12}:)?(?:function:)?([a-zA-Z0-9_-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/.exec(nameOrArn);
  return m ? state.functions.get(m[1]) : undefined;
}
