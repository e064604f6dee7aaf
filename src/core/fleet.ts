// `iot-authz fleet`: the figures of a simulated fleet run and the monthly authorizer invocation
// count they imply (docs/aws-custom-auth.md: "What a fleet costs in authorizer invocations").
// Pure: the CLI measures, this computes and words the report.
//
// Two figures, kept apart: what the run measured (handler invocations per real device-hour,
// first connects included: a short run divides each device's CONNECT by a few seconds), and the
// monthly projection, which is the steady state of the pattern (a CONNECT per session plus the
// refreshes at refreshAfterInSeconds within it), not an extrapolation of the run.
import { DEFAULT_DISCONNECT_SECONDS, DEFAULT_REFRESH_SECONDS } from './constants';
import { plural } from './text';

/** AWS's billing month: 730 hours (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;

/** refreshAfterInSeconds and disconnectAfterInSeconds of one answer, in seconds. */
export interface FleetLifetime {
  readonly refreshAfterSeconds: number;
  readonly disconnectAfterSeconds: number;
}

/** Where a lifetime figure came from: the endpoint's live connections, an option, or AWS's default. */
export type LifetimeSource = 'endpoint' | 'option' | 'assumed';

/** One steady-state session of a device and what it costs (see `steadyState`). */
export interface SteadyState extends FleetLifetime {
  readonly reconnectEverySeconds: number | null;
  /** L = min(reconnect every, disconnectAfterInSeconds). */
  readonly sessionSeconds: number;
  /** What ends a session: the device's own reconnect, or AWS closing it at disconnectAfterInSeconds. */
  readonly sessionEndedBy: 'reconnect' | 'disconnect';
  /** Refreshes at R, 2R, … strictly before L: ceil(L / R) − 1. */
  readonly refreshesPerSession: number;
  /** 1 CONNECT + the refreshes: ceil(L / R). */
  readonly invocationsPerSession: number;
  readonly connectsPerDeviceHour: number;
  readonly refreshesPerDeviceHour: number;
  /** ceil(L / R) × 3600 / L. */
  readonly invocationsPerDeviceHour: number;
}

/**
 * The steady state of a device that connects, is refreshed every `refreshAfterSeconds` (R) and
 * whose session ends after L = min(`reconnectEverySeconds` ?? ∞, `disconnectAfterSeconds`) (the
 * device reconnects at once): per session 1 CONNECT + ceil(L / R) − 1 refreshes, so
 * ceil(L / R) × 3600 / L authorizer invocations per device-hour.
 */
export function steadyState(refreshAfterSeconds: number, disconnectAfterSeconds: number, reconnectEverySeconds?: number): SteadyState {
  const byReconnect = reconnectEverySeconds !== undefined && reconnectEverySeconds < disconnectAfterSeconds;
  const L = byReconnect ? (reconnectEverySeconds as number) : disconnectAfterSeconds;
  // The tolerance keeps an exact multiple (3600 / 300) from gaining a refresh to float error.
  const invocationsPerSession = Math.max(1, Math.ceil(L / refreshAfterSeconds - 1e-9));
  const sessionsPerHour = 3600 / L;
  return {
    refreshAfterSeconds,
    disconnectAfterSeconds,
    reconnectEverySeconds: reconnectEverySeconds ?? null,
    sessionSeconds: L,
    sessionEndedBy: byReconnect ? 'reconnect' : 'disconnect',
    refreshesPerSession: invocationsPerSession - 1,
    invocationsPerSession,
    connectsPerDeviceHour: sessionsPerHour,
    refreshesPerDeviceHour: (invocationsPerSession - 1) * sessionsPerHour,
    invocationsPerDeviceHour: invocationsPerSession * sessionsPerHour,
  };
}

/** The times of a live connection as GET /_iot-authz/connections lists them (ISO, endpoint clock). */
export interface LiveConnectionTimes {
  readonly connectedAt?: unknown;
  readonly nextRefreshAt?: unknown;
  readonly disconnectAt?: unknown;
}

/**
 * The lifetime a live connection of the local endpoint was given (GET /_iot-authz/connections,
 * times on the endpoint clock): nextRefreshAt − connectedAt and disconnectAt − connectedAt, in
 * whole seconds (AWS's TTLs are integers). Right after a CONNECT these are the answer's
 * refreshAfterInSeconds and disconnectAfterInSeconds. Undefined when a time is missing or unreadable.
 */
export function lifetimeOfConnection(c: LiveConnectionTimes): FleetLifetime | undefined {
  const t = (v: unknown): number => (typeof v === 'string' ? Date.parse(v) : NaN);
  const connected = t(c.connectedAt);
  const refresh = Math.round((t(c.nextRefreshAt) - connected) / 1000);
  const disconnect = Math.round((t(c.disconnectAt) - connected) / 1000);
  return refresh > 0 && disconnect > 0 ? { refreshAfterSeconds: refresh, disconnectAfterSeconds: disconnect } : undefined;
}

/** The distinct lifetimes among `lifetimes` (one per device), most devices first (ties: shorter refresh, then shorter disconnect). */
export function lifetimesByFrequency(lifetimes: readonly FleetLifetime[]): Array<FleetLifetime & { readonly devices: number }> {
  const counts = new Map<string, FleetLifetime & { devices: number }>();
  for (const l of lifetimes) {
    const k = `${l.refreshAfterSeconds}/${l.disconnectAfterSeconds}`;
    const c = counts.get(k);
    if (c) c.devices++;
    else counts.set(k, { refreshAfterSeconds: l.refreshAfterSeconds, disconnectAfterSeconds: l.disconnectAfterSeconds, devices: 1 });
  }
  return [...counts.values()].sort(
    (a, b) => b.devices - a.devices || a.refreshAfterSeconds - b.refreshAfterSeconds || a.disconnectAfterSeconds - b.disconnectAfterSeconds,
  );
}

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
  /**
   * The lifetime each device's connection was given, read from the local endpoint's live
   * connections right after its CONNECT (one per device read); absent when not read (another broker).
   */
  readonly lifetimesRead?: readonly FleetLifetime[];
  /** Why reading the endpoint's connections failed, when it did. */
  readonly lifetimesReadError?: string;
  /** --refresh-after / --disconnect-after: given by the user, they replace what was read. */
  readonly refreshAfterOption?: number;
  readonly disconnectAfterOption?: number;
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
    /** Measured over this run (first connects included), per real device-hour: see `measured`. */
    readonly invocationsPerDeviceHour: number | null;
    readonly savedBySignatureGate: number | null;
    readonly cacheHits: number | null;
    readonly cacheHitRate: number | null;
  };
  readonly refusedByStage: Record<string, number> | null;
  /**
   * Over this run, per real device-hour, first connects included: a short run divides each
   * device's first CONNECT by a few seconds, so this is not the monthly rate (`monthly` is).
   */
  readonly measured: {
    readonly label: string;
    /** 'endpoint counters': handler invocations; 'connects sent': the devices' CONNECTs (another broker, handler unknown). */
    readonly from: 'endpoint counters' | 'connects sent';
    readonly invocations: number;
    readonly connectsPerDeviceHour: number;
    readonly refreshesPerDeviceHour: number | null;
    readonly invocationsPerDeviceHour: number;
    /** Measured ÷ steady-state invocations per device-hour. */
    readonly timesSteadyState: number;
  };
  /** The steady-state projection of the pattern (not an extrapolation of the run): see `steadyState`. */
  readonly monthly: SteadyState & {
    readonly fleetSize: number;
    readonly basis: 'steady state';
    readonly lifetimeFrom: { readonly refreshAfter: LifetimeSource; readonly disconnectAfter: LifetimeSource };
    /** fleet size × 730 × steady-state invocations per device-hour, rounded. */
    readonly invocations: number;
    /** True when refreshAfterInSeconds was neither read from the endpoint nor given: AWS's default was assumed. */
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

interface ResolvedLifetime extends FleetLifetime {
  readonly from: { readonly refreshAfter: LifetimeSource; readonly disconnectAfter: LifetimeSource };
  readonly notes: string[];
}

/** R and D for the steady state: an option, else the most frequent pair read from the endpoint, else AWS's defaults (said in a note). */
export function resolveLifetime(m: Pick<FleetMeasurement, 'endpointUrl' | 'lifetimesRead' | 'lifetimesReadError' | 'refreshAfterOption' | 'disconnectAfterOption'>): ResolvedLifetime {
  const notes: string[] = [];
  const ranked = lifetimesByFrequency(m.lifetimesRead ?? []);
  const top = ranked[0];
  if (ranked.length > 1) {
    notes.push(`The handler's answers differed between devices (${ranked.map((l) => `${plural(l.devices, 'device', 'devices')} refresh ${l.refreshAfterSeconds} s / disconnect ${l.disconnectAfterSeconds} s`).join('; ')}): the steady state uses the most frequent, refresh ${top.refreshAfterSeconds} s / disconnect ${top.disconnectAfterSeconds} s.`);
  }
  type Picked = { value: number; from: LifetimeSource };
  const pick = (option: number | undefined, read: number | undefined, fallback: number, field: string, flag: string): Picked => {
    if (option !== undefined) {
      if (read !== undefined && read !== option) notes.push(`--${flag} ${option} replaces the ${field} read from the endpoint (${read} s).`);
      return { value: option, from: 'option' };
    }
    return read !== undefined ? { value: read, from: 'endpoint' } : { value: fallback, from: 'assumed' };
  };
  const r = pick(m.refreshAfterOption, top?.refreshAfterSeconds, DEFAULT_REFRESH_SECONDS, 'refreshAfterInSeconds', 'refresh-after');
  const d = pick(m.disconnectAfterOption, top?.disconnectAfterSeconds, DEFAULT_DISCONNECT_SECONDS, 'disconnectAfterInSeconds', 'disconnect-after');
  const assumed = [
    ...(r.from === 'assumed' ? [{ field: 'refreshAfterInSeconds', value: r.value, flag: '--refresh-after S' }] : []),
    ...(d.from === 'assumed' ? [{ field: 'disconnectAfterInSeconds', value: d.value, flag: '--disconnect-after S' }] : []),
  ];
  if (assumed.length > 0) {
    const why = m.endpointUrl === undefined
      ? 'another broker does not tell what the handler answered (the local endpoint, --endpoint URL, does)'
      : m.lifetimesReadError !== undefined
        ? `reading the endpoint's connections failed: ${m.lifetimesReadError}`
        : "no device was connected when the endpoint's connections were read";
    const many = assumed.length > 1;
    notes.push(`${assumed.map((a) => a.field).join(' and ')} ${many ? 'are' : 'is'} unknown: ${why}. Assumed ${assumed.map((a) => `${a.value} s`).join(' and ')}, AWS's ${many ? 'defaults' : 'default'} for an answer that omits ${many ? 'them' : 'it'}; give ${assumed.map((a) => a.flag).join(' and ')} with your handler's ${many ? 'values' : 'value'}.`);
  }
  return { refreshAfterSeconds: r.value, disconnectAfterSeconds: d.value, from: { refreshAfter: r.from, disconnectAfter: d.from }, notes };
}

const isWhole = (n: number): boolean => Math.abs(n - Math.round(n)) < 1e-9;

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

  // Measured over the run. Billed connects: those that reached the handler (a refusal at the
  // signature gate is not billed) when the endpoint's counters are known; otherwise every CONNECT sent.
  const measuredInvocations = invocations ?? m.connectAttempts;
  const measuredConnectsPerHour = invocations !== null && refreshes !== null ? perHour(invocations - refreshes) : perHour(m.connectAttempts);
  const measuredPerHour = perHour(measuredInvocations);

  // The steady state of the pattern: the monthly figure.
  const lifetime = resolveLifetime(m);
  const ss = steadyState(lifetime.refreshAfterSeconds, lifetime.disconnectAfterSeconds, m.reconnectEverySeconds);
  const monthlyInvocations = Math.round(m.fleetSize * HOURS_PER_MONTH * ss.invocationsPerDeviceHour);
  const timesSteadyState = round(measuredPerHour / ss.invocationsPerDeviceHour);

  const notes: string[] = [];
  if (!local) notes.push('Handler invocations, refreshes, cache hits and refusals by stage are unknown: they are read from the local endpoint (give --endpoint URL).');
  if (m.connectsTimedOut > 0) {
    notes.push(`${m.connectsTimedOut} connect(s) got no CONNACK within ${m.connectTimeoutSeconds} s and were given up: counted apart from refusals. Against the local endpoint this is queueing, not a refusal: a handler worker runs one CONNECT at a time (as a Lambda execution environment does) and the endpoint runs at most --concurrency of them per function (default 4; AWS scales further), so a burst of N CONNECTs waits about N / concurrency handler calls. Connect fewer devices at once, or start the endpoint with a higher --concurrency.`);
  }
  notes.push(...lifetime.notes);
  if (m.reconnectEverySeconds !== undefined && ss.sessionEndedBy === 'disconnect' && m.reconnectEverySeconds > ss.disconnectAfterSeconds) {
    notes.push(`--reconnect-every ${m.reconnectEverySeconds} s is longer than disconnectAfterInSeconds ${ss.disconnectAfterSeconds} s: AWS closes each connection after ${ss.disconnectAfterSeconds} s, so the steady state has sessions of ${ss.disconnectAfterSeconds} s (the device reconnecting at once).`);
  }
  const what = local ? 'invocations' : 'connects sent';
  const measuredText = `Measured over this run (first connects included): ${round(measuredPerHour)} ${what} per device-hour`;
  if (timesSteadyState > 1.1) {
    notes.push(`${measuredText}, ${timesSteadyState}× the steady state's ${round(ss.invocationsPerDeviceHour)}: the first connects of a short run dominate (each device's CONNECT counts against ${round(m.measuredSeconds, 1)} s of real time), so the monthly figure uses the steady state.`);
  } else if (timesSteadyState < 0.9) {
    notes.push(`${measuredText}, below the steady state's ${round(ss.invocationsPerDeviceHour)}: connects refused before the handler or timed out, and devices offline after a server disconnect, invoke nothing. The monthly figure is the steady state of devices that connect.`);
  } else {
    notes.push(`${measuredText}, close to the steady state's ${round(ss.invocationsPerDeviceHour)}.`);
  }
  if (refreshes !== null && refreshes > 0 && m.measuredSeconds < ss.refreshAfterSeconds) {
    notes.push(`${plural(refreshes, 'refresh', 'refreshes')} happened in ${round(m.measuredSeconds, 1)} s of real time, less than refreshAfterInSeconds ${ss.refreshAfterSeconds} s: the endpoint clock was moved during the run. The measured figure divides them by real time and overstates; the steady state needs no clock advance.`);
  }

  const L = round(ss.sessionSeconds, 3);
  const R = ss.refreshAfterSeconds;
  const formula = `monthly authorizer invocations = fleet size × ${HOURS_PER_MONTH} h × ceil(L / R) × 3600 / L = ${m.fleetSize} × ${HOURS_PER_MONTH} × ceil(${L} / ${R}) × 3600 / ${L} = ${m.fleetSize} × ${HOURS_PER_MONTH} × ${round(ss.invocationsPerDeviceHour)} ${isWhole(ss.invocationsPerDeviceHour) ? '=' : '≈'} ${monthlyInvocations} (L = min(reconnect every ${m.reconnectEverySeconds ?? 'none'}, disconnectAfterInSeconds ${ss.disconnectAfterSeconds}) = ${L} s; R = refreshAfterInSeconds ${R} s)`;
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
    measured: {
      label: 'measured over this run (first connects included)',
      from: local ? 'endpoint counters' : 'connects sent',
      invocations: measuredInvocations,
      connectsPerDeviceHour: round(measuredConnectsPerHour),
      refreshesPerDeviceHour: refreshes === null ? null : round(perHour(refreshes)),
      invocationsPerDeviceHour: round(measuredPerHour),
      timesSteadyState,
    },
    monthly: {
      fleetSize: m.fleetSize,
      basis: 'steady state',
      refreshAfterSeconds: ss.refreshAfterSeconds,
      disconnectAfterSeconds: ss.disconnectAfterSeconds,
      reconnectEverySeconds: ss.reconnectEverySeconds,
      lifetimeFrom: lifetime.from,
      sessionSeconds: L,
      sessionEndedBy: ss.sessionEndedBy,
      refreshesPerSession: ss.refreshesPerSession,
      invocationsPerSession: ss.invocationsPerSession,
      connectsPerDeviceHour: round(ss.connectsPerDeviceHour),
      refreshesPerDeviceHour: round(ss.refreshesPerDeviceHour),
      invocationsPerDeviceHour: round(ss.invocationsPerDeviceHour),
      invocations: monthlyInvocations,
      refreshesUnknown: lifetime.from.refreshAfter === 'assumed',
      formula,
    },
    notes,
  };
}

function nullableRound(n: number | null): number | null {
  return n === null ? null : round(n);
}

const orUnknown = (n: number | null, unit = ''): string => (n === null ? 'unknown' : `${n}${unit}`);

const SOURCE_TEXT: Readonly<Record<LifetimeSource, string>> = { endpoint: 'from the endpoint', option: 'given', assumed: "assumed: AWS's default" };

/** The report as terminal text. */
export function formatFleetReport(r: FleetReport): string {
  const stages = r.refusedByStage === null ? 'unknown' : Object.entries(r.refusedByStage).map(([s, n]) => `${s} ${n}`).join(', ') || 'none';
  const mo = r.monthly;
  const ended = mo.sessionEndedBy === 'reconnect' ? `--reconnect-every ${mo.reconnectEverySeconds} s` : `disconnectAfterInSeconds, ${SOURCE_TEXT[mo.lifetimeFrom.disconnectAfter]}`;
  const lines = [
    `iot-authz fleet: ${r.devices} devices for ${r.measuredSeconds} s (asked ${r.requestedDurationSeconds} s) against ${r.target.mqttUrl}`,
    `  connects            ${r.connects.attempted} attempted, ${r.connects.accepted} accepted, ${r.connects.refused} refused, ${r.connects.timedOut} timed out (${r.reconnectsPerDevice} reconnects per device${r.reconnectEverySeconds !== null ? `, every ${r.reconnectEverySeconds} s` : ''})`,
    `  publishes           ${r.publishes.sent} sent, ${r.publishes.acknowledged} acknowledged${r.publishEverySeconds !== null ? ` (every ${r.publishEverySeconds} s per device)` : ''}`,
    `  server disconnects  ${r.serverDisconnects}`,
    `  auth latency        p50 ${orUnknown(r.latencyMs.p50, ' ms')}, p99 ${orUnknown(r.latencyMs.p99, ' ms')} (CONNECT → CONNACK, ${r.latencyMs.samples} samples)`,
    `  handler invocations ${orUnknown(r.handler.invocations)} (refreshes ${orUnknown(r.handler.refreshes)}; saved by the signature gate ${orUnknown(r.handler.savedBySignatureGate)})`,
    `  cache hit rate      ${r.handler.cacheHitRate === null ? 'unknown' : `${round(r.handler.cacheHitRate * 100, 1)}%`} (AWS caches HTTP answers; every MQTT CONNECT invokes the authorizer)`,
    `  refused by stage    ${stages}`,
    `  measured            ${r.measured.invocationsPerDeviceHour} ${r.measured.from === 'endpoint counters' ? 'invocations' : 'connects sent'} per device-hour over this run (first connects included; not the monthly rate)`,
    `  steady state        ${mo.invocationsPerDeviceHour} invocations per device-hour: a session of ${mo.sessionSeconds} s (${ended}) = 1 CONNECT + ${mo.refreshesPerSession} refreshes at refreshAfterInSeconds ${mo.refreshAfterSeconds} s (${SOURCE_TEXT[mo.lifetimeFrom.refreshAfter]})`,
    `  monthly at ${r.fleetSize} devices: ${mo.invocations} authorizer invocations (steady state${mo.refreshesUnknown ? ', refreshAfterInSeconds assumed' : ''})`,
    `    ${mo.formula}`,
    ...r.notes.map((n) => `  note: ${n}`),
  ];
  return lines.join('\n') + '\n';
}
