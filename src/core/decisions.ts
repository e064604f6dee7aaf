// The local endpoint's decisions: a stream, not a run. A device that connects, publishes,
// subscribes, receives and is refreshed produces many decisions over one connection; they are
// told as they happen and the last DECISION_STREAM_SIZE are kept in memory (never persisted, unlike
// the 50-run history). A decision that ran the authorizer (a connection or a refresh) carries
// that run's InvocationResult (core/runResult.ts), so it opens in the results panel as a run.
// Pure: no vscode, no timers; the editor adapts `onDecision` to its own events.
import type { AuthorizationDecision } from './policy';
import type { InvocationResult } from './result';

export const DECISION_STREAM_SIZE = 500;

/** What the device did that needed a decision. */
export type DecisionKind = 'connect' | 'refresh' | 'publish' | 'subscribe' | 'receive' | 'disconnect';

export interface EndpointDecision {
  /** Unique id of this decision. */
  readonly id: string;
  /** ISO 8601 time of the decision. */
  readonly at: string;
  readonly kind: DecisionKind;
  /** The endpoint's id for the device's connection; every decision of one connection shares it. */
  readonly connectionId: string;
  readonly clientId?: string;
  readonly allowed: boolean;
  /** One line for lists, e.g. "Publish to sensors/1/temp: allowed by document 1, statement 2". */
  readonly headline: string;
  /** The stage that decided, e.g. `signature`, `handler`, `policy` (endpoint decisions). */
  readonly stage?: string;
  /** The topic published, subscribed or received, when there is one. */
  readonly topic?: string;
  /** `connect` and `refresh`: the authorizer run behind the decision. */
  readonly run?: InvocationResult;
  /** `publish`, `subscribe`, `receive`: the policy decision, from the policies of the connection's last run. */
  readonly policyDecision?: AuthorizationDecision;
}

export type DecisionListener = (decision: EndpointDecision) => void;

export interface DecisionSubscription {
  dispose(): void;
}

/** A typed stream of endpoint decisions with a bounded memory of the recent ones. */
export class DecisionStream {
  private readonly listeners = new Set<DecisionListener>();
  private readonly kept: EndpointDecision[] = [];

  constructor(private readonly size: number = DECISION_STREAM_SIZE) {}

  /** Tells every listener, in the order they subscribed; a throwing listener does not stop the others. */
  push(decision: EndpointDecision): void {
    this.kept.unshift(decision);
    if (this.kept.length > this.size) this.kept.length = this.size;
    const errors: unknown[] = [];
    for (const l of [...this.listeners]) {
      try {
        l(decision);
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw errors[0];
  }

  onDecision(listener: DecisionListener): DecisionSubscription {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Newest first. */
  recent(): readonly EndpointDecision[] {
    return this.kept;
  }

  /** Decisions of one connection, newest first. */
  ofConnection(connectionId: string): readonly EndpointDecision[] {
    return this.kept.filter((d) => d.connectionId === connectionId);
  }

  /** The run behind a kept decision, found by the run's id: how the results panel opens a decision. */
  runById(runId: string): InvocationResult | undefined {
    return this.kept.find((d) => d.run?.id === runId)?.run;
  }

  clear(): void {
    this.kept.length = 0;
  }
}
