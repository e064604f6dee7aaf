// What the "Local endpoint" node of the Authorizers view and the endpoint's status-bar item
// show, built from the endpoint host's status and the decision stream. Pure (no vscode), so
// the tree's content is unit-tested; explorer.ts and endpointCommands.ts turn it into items.
import type { EndpointDecision } from '../core/decisions';
import type { MqttConnectionInfo } from '../endpoint/mqtt';
import type { EndpointStatus } from './endpointHost';

/** How many decisions the node lists, newest first. */
export const ENDPOINT_TREE_DECISIONS = 20;

export interface EndpointRootView {
  readonly label: string;
  readonly description: string;
  readonly tooltip: string;
  /** A codicon id. */
  readonly icon: string;
  /** `endpoint.stopped` | `endpoint.starting` | `endpoint.running` | `endpoint.failed`: the menus' `viewItem`. */
  readonly contextValue: string;
  readonly expandable: boolean;
}

export type EndpointChildView =
  | { readonly kind: 'address'; readonly label: string; readonly description: string; readonly url: string }
  | { readonly kind: 'registered'; readonly label: string; readonly description: string }
  | { readonly kind: 'decisions'; readonly label: string; readonly description: string; readonly decisions: readonly EndpointDecisionView[] }
  | { readonly kind: 'connections'; readonly label: string; readonly description: string; readonly connections: readonly EndpointConnectionView[] }
  | { readonly kind: 'message'; readonly label: string; readonly description: string };

export interface EndpointDecisionView {
  /** `allow · policy · devices/sensor1/temp`; without a topic, `allow · policy · connect sensor7`. */
  readonly label: string;
  /** The time of the decision (HH:MM:SS, UTC). */
  readonly description: string;
  readonly tooltip: string;
  readonly allowed: boolean;
  /** A session that ended (disconnect), shown neither allowed nor refused. */
  readonly ended: boolean;
  /** The run the results panel opens (target endpoint); absent when the decision has none. */
  readonly runId?: string;
}

/** A live MQTT connection; its Disconnect action takes `clientId`. */
export interface EndpointConnectionView {
  readonly clientId: string;
  readonly label: string;
  /** `dev1 · since 10:00:00 · refresh 10:05:00`. */
  readonly description: string;
  readonly tooltip: string;
}

export function endpointRootView(status: EndpointStatus): EndpointRootView {
  switch (status.state) {
    case 'stopped':
      return { label: 'Local endpoint', description: 'stopped', tooltip: 'The local IoT endpoint is stopped. Start it to publish to your workspace authorizers over HTTP and use the AWS CLI against them.', icon: 'circle-outline', contextValue: 'endpoint.stopped', expandable: false };
    case 'starting':
      return { label: 'Local endpoint', description: 'starting…', tooltip: `Starting the local IoT endpoint for ${status.workspace}`, icon: 'loading~spin', contextValue: 'endpoint.starting', expandable: false };
    case 'running':
      return { label: 'Local endpoint', description: `running at ${status.url}`, tooltip: `Local IoT endpoint running at ${status.url} (pid ${status.pid})`, icon: 'radio-tower', contextValue: 'endpoint.running', expandable: true };
    case 'failed':
      return { label: 'Local endpoint', description: `failed: ${status.reason}`, tooltip: `${status.reason}\n\n${status.fix}`, icon: 'error', contextValue: 'endpoint.failed', expandable: false };
  }
}

function clock(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : t.toISOString().slice(11, 19);
}

export function decisionView(d: EndpointDecision): EndpointDecisionView {
  // A decision without a topic is about a connection (connect, refresh, disconnect): name its client.
  const subject = d.topic ?? (d.clientId !== undefined ? `${d.kind} ${d.clientId}` : '(no topic)');
  // A disconnect (at disconnectAfterInSeconds or on request) ends a session: it refuses nothing.
  const ended = d.kind === 'disconnect';
  const parts = [ended ? 'ended' : d.allowed ? 'allow' : 'deny', d.stage ?? d.kind, subject];
  return {
    label: parts.join(' · '),
    ended,
    description: clock(d.at),
    tooltip: d.run ? `${d.headline}\n\n${d.run.headline}` : d.headline,
    allowed: d.allowed,
    ...(d.run ? { runId: d.run.id } : {}),
  };
}

/** Endpoint-clock time to the second, as ISO without milliseconds. */
function stamp(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : `${t.toISOString().slice(0, 19)}Z`;
}

export function connectionView(c: MqttConnectionInfo): EndpointConnectionView {
  return {
    clientId: c.clientId,
    label: c.clientId,
    description: `${c.principalId} · since ${clock(c.connectedAt)} · refresh ${clock(c.nextRefreshAt)}`,
    tooltip: [
      `Client id: ${c.clientId} (${c.protocol === 'mqtt-ws' ? 'MQTT over WebSocket' : 'MQTT'})`,
      `Principal: ${c.principalId} (authorizer ${c.authorizer})`,
      `Connected since: ${stamp(c.connectedAt)}`,
      `Next refresh: ${stamp(c.nextRefreshAt)}`,
      `Disconnect at: ${stamp(c.disconnectAt)}`,
      'Times are on the endpoint clock (Advance Local Endpoint Clock… moves it).',
    ].join('\n'),
  };
}

/** The decisions of the running endpoint (its URL), newest first, at most `limit`. */
export function endpointDecisions(status: EndpointStatus, recent: readonly EndpointDecision[], limit = ENDPOINT_TREE_DECISIONS): EndpointDecision[] {
  if (status.state !== 'running') return [];
  const out: EndpointDecision[] = [];
  for (const d of recent) {
    if (out.length >= limit) break;
    const target = d.run?.target;
    if (target?.kind === 'endpoint' && target.url === status.url) out.push(d);
  }
  return out;
}

/** The node's children: only while the endpoint runs. */
export function endpointChildren(
  status: EndpointStatus,
  recent: readonly EndpointDecision[],
  limit = ENDPOINT_TREE_DECISIONS,
  connections: readonly MqttConnectionInfo[] = [],
): EndpointChildView[] {
  if (status.state !== 'running') return [];
  const decisions = endpointDecisions(status, recent, limit).map(decisionView);
  const live = [...connections].sort((a, b) => a.clientId.localeCompare(b.clientId)).map(connectionView);
  return [
    { kind: 'address', label: 'Address', description: status.url, url: status.url },
    ...(status.authorizers.length > 0
      ? status.authorizers.map((name) => ({ kind: 'registered' as const, label: name, description: 'registered from iot-authorizer.json' }))
      : [{ kind: 'message' as const, label: 'No authorizers registered', description: 'iot-authorizer.json lists none' }]),
    {
      kind: 'decisions',
      label: 'Recent decisions',
      description: decisions.length === 0 ? 'none yet: publish to the address' : `${decisions.length} newest`,
      decisions,
    },
    ...(status.mqttUrl !== undefined
      ? [{
          kind: 'connections' as const,
          label: 'MQTT connections',
          description: live.length === 0 ? `none: connect to ${status.mqttUrl}` : `${live.length} live at ${status.mqttUrl}`,
          connections: live,
        }]
      : []),
  ];
}

/** The status-bar item: hidden (undefined) while stopped. */
export function endpointStatusBarView(status: EndpointStatus): { readonly text: string; readonly tooltip: string; readonly error: boolean } | undefined {
  switch (status.state) {
    case 'stopped':
      return undefined;
    case 'starting':
      return { text: '$(loading~spin) Endpoint: starting', tooltip: 'The local IoT endpoint is starting', error: false };
    case 'running':
      return { text: `$(radio-tower) Endpoint :${status.port}`, tooltip: `Local IoT endpoint at ${status.url}: click for its actions`, error: false };
    case 'failed':
      return { text: '$(error) Endpoint: failed', tooltip: `${status.reason} ${status.fix}`, error: true };
  }
}
