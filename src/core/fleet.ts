// `iot-authz fleet`: the figures of a simulated fleet run and the monthly authorizer invocation
// count they imply (docs/aws-custom-auth.md: "What a fleet costs in authorizer invocations").
// Pure: the CLI measures, this computes and words the report.

/** AWS's billing month: 730 hours (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;

/** Counters read from the local endpoint (GET /_iot-authz/health) before and after a run. */
export interface EndpointCounterSnapshot {
  readonly handlerInvocations: number;
  readonly cacheHits: number;
  readonly mqttConnects: number;
  readonly mqttRefreshes: number;
  readonly savedBySignatureGate: number;
  readonly refusedByStage: Readonly<Record<string, number>>;
}

export interface FleetMeasurement {
  readonly mqttUrl: string;
  /** The local endpoint's HTTP URL when its counters were read. */
  readonly endpointUrl?: string;
  readonly devices: number;
  readonly requestedDurationSeconds: number;
  /** Wall time from the first CONNECT to the last device done. */
  readonly measuredSeconds: number;
  readonly reconnectEverySeconds?: number;
  readonly publishEverySeconds?: number;
  readonly reconnectsPerDevice: number;
  readonly fleetSize: number;
  readonly connectAttempts: number;
  /** CONNACK with return code 0. */
  readonly connectsAccepted: number;
  /** Closed without CONNACK, or a CONNACK refusing (what a device sees). */
  readonly connectsRefused: number;
  /** No CONNACK within `connectTimeoutSeconds`: the device gave up (nothing refused it). */
  readonly connectsTimedOut: number;
  readonly connectTimeoutSeconds: number;
  /** CONNECT sent → CONNACK received, accepted connects only, in ms. */
  readonly latenciesMs: readonly number[];
  readonly publishesSent: number;
  readonly publishesAcknowledged: number;
  /** Connections the server closed while the device wanted to stay connected. */
  readonly serverDisconnects: number;
  readonly before?: EndpointCounterSnapshot;
  readonly after?: EndpointCounterSnapshot;
}

export interface FleetReport {
  readonly target: { readonly mqttUrl: string; readonly endpointUrl: string | null; readonly countersFrom: 'local endpoint' | 'unknown' };
  readonly devices: number;
  readonly fleetSize: number;
  readonly requestedDurationSeconds: number;
  readonly measuredSeconds: number;
  readonly deviceHours: number;
  readonly reconnectEverySeconds: number | null;
  readonly publishEverySeconds: number | null;
  readonly reconnectsPerDevice: number;
  readonly connects: { readonly attempted: number; readonly accepted: number; readonly refused: number; readonly timedOut: number };
  readonly publishes: { readonly sent: number; readonly acknowledged: number };
  readonly serverDisconnects: number;
  readonly latencyMs: {
    readonly samples: number;
    readonly p50: number | null;
    readonly p99: number | null;
    readonly min: number | null;
    readonly max: number | null;
  };
  /** From the endpoint's counters (deltas over the run); null when not the local endpoint. */
  readonly handler: {
    readonly invocations: number | null;
    readonly refreshes: number | null;
    readonly invocationsPerDeviceHour: number | null;
    readonly savedBySignatureGate: number | null;
    readonly cacheHits: number | null;
    readonly cacheHitRate: number | null;
  };
  readonly refusedByStage: Record<string, number> | null;
  readonly monthly: {
    readonly fleetSize: number;
    readonly connectsPerDeviceHour: number;
    readonly refreshesPerDeviceHour: number | null;
    readonly invocations: number;
    /** True when refreshes could not be measured (not the local endpoint): the count is the connects the devices sent. */
    readonly refreshesUnknown: boolean;
    readonly formula: string;
  };
  readonly notes: readonly string[];
}

/** Nearest-rank percentile of ascending `sorted`; null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

function stageDelta(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [stage, n] of Object.entries(after)) {
    const d = n - (before[stage] ?? 0);
    if (d > 0) out[stage] = d;
  }
  return out;
}

/** How many reconnects each device makes in a run: one per full `every` that starts before the end. */
export function reconnectsPerDevice(durationSeconds: number, everySeconds: number | undefined): number {
  if (everySeconds === undefined || everySeconds <= 0) return 0;
  return Math.max(0, Math.ceil(durationSeconds / everySeconds) - 1);
}

export function fleetReport(m: FleetMeasurement): FleetReport {
  const sorted = [...m.latenciesMs].sort((a, b) => a - b);
  const deviceHours = (m.devices * m.measuredSeconds) / 3600;
  const local = m.before !== undefined && m.after !== undefined;
  const delta = (k: 'handlerInvocations' | 'cacheHits' | 'mqttRefreshes' | 'savedBySignatureGate'): number | null =>
    local ? (m.after as EndpointCounterSnapshot)[k] - (m.before as EndpointCounterSnapshot)[k] : null;
  const invocations = delta('handlerInvocations');
  const refreshes = delta('mqttRefreshes');
  const cacheHits = delta('cacheHits');
  const perHour = (n: number): number => (deviceHours > 0 ? n / deviceHours : 0);
  // Billed connects: those that reached the handler (a refusal at the signature gate is not
  // billed) when the endpoint's counters are known; otherwise every CONNECT the devices sent.
  const connectsPerDeviceHour = invocations !== null && refreshes !== null ? perHour(invocations - refreshes) : perHour(m.connectAttempts);
  const refreshesPerDeviceHour = refreshes === null ? null : perHour(refreshes);
  const monthlyInvocations = Math.round(m.fleetSize * HOURS_PER_MONTH * (connectsPerDeviceHour + (refreshesPerDeviceHour ?? 0)));
  const notes: string[] = [];
  if (!local) notes.push('Handler invocations, refreshes, cache hits and refusals by stage are unknown: they are read from the local endpoint (give --endpoint URL).');
  if (m.connectsTimedOut > 0) {
    notes.push(`${m.connectsTimedOut} connect(s) got no CONNACK within ${m.connectTimeoutSeconds} s and were given up: counted apart from refusals. Against the local endpoint this is queueing, not a refusal: a handler worker runs one CONNECT at a time (as a Lambda execution environment does) and the endpoint runs at most --concurrency of them per function (default 4; AWS scales further), so a burst of N CONNECTs waits about N / concurrency handler calls. Connect fewer devices at once, or start the endpoint with a higher --concurrency.`);
  }
  if (local && refreshes === 0) {
    notes.push(`No refresh happened in ${round(m.measuredSeconds, 1)} s: a run shorter than the answer's refreshAfterInSeconds measures connects only. Run longer, or advance the endpoint clock (iot-authz endpoint clock advance 5m --url URL) during a run, to see refreshes.`);
  }
  return {
    target: { mqttUrl: m.mqttUrl, endpointUrl: m.endpointUrl ?? null, countersFrom: local ? 'local endpoint' : 'unknown' },
    devices: m.devices,
    fleetSize: m.fleetSize,
    requestedDurationSeconds: m.requestedDurationSeconds,
    measuredSeconds: round(m.measuredSeconds, 3),
    deviceHours: round(deviceHours, 6),
    reconnectEverySeconds: m.reconnectEverySeconds ?? null,
    publishEverySeconds: m.publishEverySeconds ?? null,
    reconnectsPerDevice: m.reconnectsPerDevice,
    connects: { attempted: m.connectAttempts, accepted: m.connectsAccepted, refused: m.connectsRefused, timedOut: m.connectsTimedOut },
    publishes: { sent: m.publishesSent, acknowledged: m.publishesAcknowledged },
    serverDisconnects: m.serverDisconnects,
    latencyMs: {
      samples: sorted.length,
      p50: nullableRound(percentile(sorted, 50)),
      p99: nullableRound(percentile(sorted, 99)),
      min: nullableRound(sorted[0] ?? null),
      max: nullableRound(sorted[sorted.length - 1] ?? null),
    },
    handler: {
      invocations,
      refreshes,
      invocationsPerDeviceHour: invocations === null ? null : round(perHour(invocations)),
      savedBySignatureGate: delta('savedBySignatureGate'),
      cacheHits,
      cacheHitRate: cacheHits === null || invocations === null ? null : cacheHits + invocations === 0 ? 0 : round(cacheHits / (cacheHits + invocations), 4),
    },
    refusedByStage: local ? stageDelta((m.before as EndpointCounterSnapshot).refusedByStage, (m.after as EndpointCounterSnapshot).refusedByStage) : null,
    monthly: {
      fleetSize: m.fleetSize,
      connectsPerDeviceHour: round(connectsPerDeviceHour),
      refreshesPerDeviceHour: refreshesPerDeviceHour === null ? null : round(refreshesPerDeviceHour),
      invocations: monthlyInvocations,
      refreshesUnknown: refreshes === null,
      formula: `monthly authorizer invocations = fleet size × ${HOURS_PER_MONTH} h × (connects + refreshes) per device-hour = ${m.fleetSize} × ${HOURS_PER_MONTH} × (${round(connectsPerDeviceHour)} + ${refreshesPerDeviceHour === null ? 'unknown' : round(refreshesPerDeviceHour)}) ≈ ${monthlyInvocations}${refreshes === null ? ' (connects only: refreshes unknown)' : ''}`,
    },
    notes,
  };
}

function nullableRound(n: number | null): number | null {
  return n === null ? null : round(n);
}

const orUnknown = (n: number | null, unit = ''): string => (n === null ? 'unknown' : `${n}${unit}`);

/** The report as terminal text. */
export function formatFleetReport(r: FleetReport): string {
  const stages = r.refusedByStage === null ? 'unknown' : Object.entries(r.refusedByStage).map(([s, n]) => `${s} ${n}`).join(', ') || 'none';
  const lines = [
    `iot-authz fleet: ${r.devices} devices for ${r.measuredSeconds} s (asked ${r.requestedDurationSeconds} s) against ${r.target.mqttUrl}`,
    `  connects            ${r.connects.attempted} attempted, ${r.connects.accepted} accepted, ${r.connects.refused} refused, ${r.connects.timedOut} timed out (${r.reconnectsPerDevice} reconnects per device${r.reconnectEverySeconds !== null ? `, every ${r.reconnectEverySeconds} s` : ''})`,
    `  publishes           ${r.publishes.sent} sent, ${r.publishes.acknowledged} acknowledged${r.publishEverySeconds !== null ? ` (every ${r.publishEverySeconds} s per device)` : ''}`,
    `  server disconnects  ${r.serverDisconnects}`,
    `  auth latency        p50 ${orUnknown(r.latencyMs.p50, ' ms')}, p99 ${orUnknown(r.latencyMs.p99, ' ms')} (CONNECT → CONNACK, ${r.latencyMs.samples} samples)`,
    `  handler invocations ${orUnknown(r.handler.invocations)} (${orUnknown(r.handler.invocationsPerDeviceHour)} per device-hour; refreshes ${orUnknown(r.handler.refreshes)}; saved by the signature gate ${orUnknown(r.handler.savedBySignatureGate)})`,
    `  cache hit rate      ${r.handler.cacheHitRate === null ? 'unknown' : `${round(r.handler.cacheHitRate * 100, 1)}%`} (AWS caches HTTP answers; every MQTT CONNECT invokes the authorizer)`,
    `  refused by stage    ${stages}`,
    `  monthly at ${r.fleetSize} devices: ${r.monthly.invocations} authorizer invocations${r.monthly.refreshesUnknown ? ' (connects only, refreshes unknown)' : ''}`,
    `    ${r.monthly.formula}`,
    ...r.notes.map((n) => `  note: ${n}`),
  ];
  return lines.join('\n') + '\n';
}
