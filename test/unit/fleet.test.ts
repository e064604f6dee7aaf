// The fleet report (core/fleet.ts): percentiles, measured per-device-hour rates, counter deltas,
// and the monthly figure as the steady state of the pattern (R, D from the endpoint, options or AWS's defaults).
import * as assert from 'assert';
import {
  EndpointCounterSnapshot, FleetLifetime, fleetReport, FleetMeasurement, formatFleetReport, lifetimeOfConnection, lifetimesByFrequency, percentile,
  reconnectsPerDevice, steadyState, SteadyState,
} from '../../src/core/fleet';

const counters = (invocations: number, refreshes: number, refused: Record<string, number> = {}): EndpointCounterSnapshot => ({
  handlerInvocations: invocations, cacheHits: 0, mqttConnects: 0, mqttRefreshes: refreshes, savedBySignatureGate: 0, refusedByStage: refused,
});

const lifetime = (refreshAfterSeconds: number, disconnectAfterSeconds: number): FleetLifetime => ({ refreshAfterSeconds, disconnectAfterSeconds });
const brief = (s: SteadyState) => ({
  L: s.sessionSeconds, by: s.sessionEndedBy, refreshes: s.refreshesPerSession, perSession: s.invocationsPerSession, perHour: s.invocationsPerDeviceHour,
});

const base: FleetMeasurement = {
  mqttUrl: 'mqtt://127.0.0.1:1883', devices: 10, requestedDurationSeconds: 360, measuredSeconds: 360, reconnectsPerDevice: 1, fleetSize: 1000,
  connectAttempts: 20, connectsAccepted: 19, connectsRefused: 1, connectsTimedOut: 0, connectTimeoutSeconds: 30,
  latenciesMs: [5, 1, 3, 2, 4], publishesSent: 0, publishesAcknowledged: 0, serverDisconnects: 0,
};

suite('fleet report', () => {
  test('nearest-rank percentiles; none without samples', () => {
    assert.strictEqual(percentile([1, 2, 3, 4, 5], 50), 3);
    assert.strictEqual(percentile([1, 2, 3, 4, 5], 99), 5);
    assert.strictEqual(percentile([7], 1), 7);
    assert.strictEqual(percentile([], 50), null);
  });

  test('reconnects per device: one per full interval that starts before the end', () => {
    assert.strictEqual(reconnectsPerDevice(3, undefined), 0);
    assert.strictEqual(reconnectsPerDevice(3, 1), 2);
    assert.strictEqual(reconnectsPerDevice(3, 1.5), 1);
    assert.strictEqual(reconnectsPerDevice(3, 5), 0);
  });

  test('steady state: R 300 / D 3600 and R 300 / D 86400 are 12 per device-hour; reconnecting every 60 s is 60 whatever the refresh', () => {
    assert.deepStrictEqual(brief(steadyState(300, 3600)), { L: 3600, by: 'disconnect', refreshes: 11, perSession: 12, perHour: 12 });
    const day = steadyState(300, 86400);
    assert.strictEqual(day.invocationsPerSession, 288);
    assert.strictEqual(day.invocationsPerDeviceHour, 12);
    const minute = steadyState(300, 86400, 60);
    assert.deepStrictEqual(brief(minute), { L: 60, by: 'reconnect', refreshes: 0, perSession: 1, perHour: 60 });
    assert.strictEqual(minute.connectsPerDeviceHour, 60);
  });

  test('steady state edge cases: L an exact multiple of R has no refresh at L; S < R has none; S > D ends at D; L not a multiple', () => {
    // Refreshes at R, 2R, … strictly before L: 900 / 300 → 300 and 600, not 900.
    assert.strictEqual(steadyState(300, 86400, 900).refreshesPerSession, 2);
    assert.strictEqual(steadyState(300, 86400, 900).invocationsPerDeviceHour, 12);
    assert.strictEqual(steadyState(300, 300).refreshesPerSession, 0);
    assert.strictEqual(steadyState(300, 300).invocationsPerDeviceHour, 12);
    assert.strictEqual(steadyState(300, 86400, 299).refreshesPerSession, 0);
    assert.strictEqual(steadyState(300, 86400, 1.5).invocationsPerDeviceHour, 2400);
    const longer = steadyState(300, 3600, 7200);
    assert.strictEqual(longer.sessionSeconds, 3600);
    assert.strictEqual(longer.sessionEndedBy, 'disconnect');
    // 700 s: refreshes at 300 and 600, 3 invocations per 700 s.
    assert.strictEqual(steadyState(300, 86400, 700).invocationsPerSession, 3);
    assert.ok(Math.abs(steadyState(300, 86400, 700).invocationsPerDeviceHour - (3 * 3600) / 700) < 1e-9);
  });

  test('lifetime of a live connection: whole seconds on the endpoint clock; most frequent pair first', () => {
    assert.deepStrictEqual(
      lifetimeOfConnection({ connectedAt: '2026-01-01T00:00:00.000Z', nextRefreshAt: '2026-01-01T00:05:00.001Z', disconnectAt: '2026-01-01T01:00:00.000Z' }),
      { refreshAfterSeconds: 300, disconnectAfterSeconds: 3600 },
    );
    assert.strictEqual(lifetimeOfConnection({ connectedAt: 'soon', nextRefreshAt: '2026-01-01T00:05:00.000Z', disconnectAt: '2026-01-01T01:00:00.000Z' }), undefined);
    const a = { refreshAfterSeconds: 300, disconnectAfterSeconds: 3600 };
    const b = { refreshAfterSeconds: 600, disconnectAfterSeconds: 86400 };
    assert.deepStrictEqual(lifetimesByFrequency([b, a, a]), [{ ...a, devices: 2 }, { ...b, devices: 1 }]);
  });

  test('with the local endpoint: measured figures are counter deltas over real device-hours; monthly is the steady state of R and D read from the endpoint', () => {
    const lifetimesRead = Array<FleetLifetime>(10).fill(lifetime(300, 3600));
    const r = fleetReport({ ...base, before: counters(100, 4, { policy: 2 }), after: counters(125, 9, { policy: 3, signature: 1 }), lifetimesRead });
    assert.strictEqual(r.deviceHours, 1);
    assert.strictEqual(r.handler.invocations, 25);
    assert.strictEqual(r.handler.refreshes, 5);
    assert.strictEqual(r.handler.invocationsPerDeviceHour, 25);
    assert.deepStrictEqual(r.refusedByStage, { policy: 1, signature: 1 });
    assert.deepStrictEqual(r.measured, {
      label: 'measured over this run (first connects included)', from: 'endpoint counters', invocations: 25, connectsPerDeviceHour: 20, refreshesPerDeviceHour: 5, invocationsPerDeviceHour: 25, timesSteadyState: 2.08,
    });
    // base has no --reconnect-every: sessions end at D.
    assert.strictEqual(r.monthly.basis, 'steady state');
    assert.deepStrictEqual(r.monthly.lifetimeFrom, { refreshAfter: 'endpoint', disconnectAfter: 'endpoint' });
    assert.strictEqual(r.monthly.sessionSeconds, 3600);
    assert.strictEqual(r.monthly.connectsPerDeviceHour, 1);
    assert.strictEqual(r.monthly.refreshesPerDeviceHour, 11);
    assert.strictEqual(r.monthly.invocationsPerDeviceHour, 12);
    assert.strictEqual(r.monthly.invocations, 1000 * 730 * 12);
    assert.strictEqual(r.monthly.refreshesUnknown, false);
    assert.strictEqual(r.monthly.formula, 'monthly authorizer invocations = fleet size × 730 h × ceil(L / R) × 3600 / L = 1000 × 730 × ceil(3600 / 300) × 3600 / 3600 = 1000 × 730 × 12 = 8760000 (L = min(reconnect every none, disconnectAfterInSeconds 3600) = 3600 s; R = refreshAfterInSeconds 300 s)');
    assert.strictEqual(r.latencyMs.p50, 3);
    const text = formatFleetReport(r);
    assert.match(text, /monthly at 1000 devices: 8760000 authorizer invocations \(steady state\)\n/);
    assert.match(text, /measured {12}25 invocations per device-hour over this run \(first connects included; not the monthly rate\)/);
    assert.ok(r.notes.some((n) => n.startsWith('Measured over this run (first connects included): 25 invocations per device-hour, 2.08× the steady state\'s 12')), r.notes.join('\n'));
    assert.ok(!r.notes.some((n) => /assumed|clock/.test(n)), r.notes.join('\n'));
  });

  test('the issue\'s run: 5 devices for 10 s, first connects only, is 360 per device-hour measured but 12 in the steady state (87,600,000 at 10,000 devices)', () => {
    const r = fleetReport({
      ...base, devices: 5, measuredSeconds: 10, reconnectsPerDevice: 0, fleetSize: 10000, connectAttempts: 5, connectsAccepted: 5, connectsRefused: 0,
      endpointUrl: 'http://127.0.0.1:4566', before: counters(0, 0), after: counters(5, 0), lifetimesRead: Array(5).fill({ refreshAfterSeconds: 300, disconnectAfterSeconds: 86400 }),
    });
    assert.strictEqual(r.measured.invocationsPerDeviceHour, 360);
    assert.strictEqual(r.monthly.invocations, 87_600_000);
    assert.strictEqual(r.monthly.refreshesPerSession, 287);
    assert.ok(!r.notes.some((n) => /clock advance 5m|to see refreshes/.test(n)), 'no advice to advance the clock to count refreshes');
  });

  test('refreshes during a run shorter than R (the endpoint clock was advanced) are said to inflate the measured figure, not the monthly one', () => {
    const r = fleetReport({
      ...base, devices: 5, measuredSeconds: 10, fleetSize: 10000, connectAttempts: 5, connectsAccepted: 5, connectsRefused: 0,
      before: counters(0, 0), after: counters(10, 5), lifetimesRead: Array(5).fill({ refreshAfterSeconds: 300, disconnectAfterSeconds: 3600 }),
    });
    assert.strictEqual(r.monthly.invocations, 87_600_000);
    assert.ok(r.notes.some((n) => n.startsWith('5 refreshes happened in 10 s of real time, less than refreshAfterInSeconds 300 s: the endpoint clock was moved')), r.notes.join('\n'));
  });

  test('answers that differ between devices: the most frequent pair, said in a note', () => {
    const a = { refreshAfterSeconds: 300, disconnectAfterSeconds: 3600 };
    const b = { refreshAfterSeconds: 600, disconnectAfterSeconds: 86400 };
    const r = fleetReport({ ...base, before: counters(0, 0), after: counters(20, 0), lifetimesRead: [b, a, a, b, b] });
    assert.strictEqual(r.monthly.refreshAfterSeconds, 600);
    assert.strictEqual(r.monthly.disconnectAfterSeconds, 86400);
    assert.strictEqual(r.monthly.invocationsPerDeviceHour, 6);
    assert.ok(r.notes.some((n) => n.startsWith("The handler's answers differed between devices (3 devices refresh 600 s / disconnect 86400 s; 2 devices refresh 300 s / disconnect 3600 s)")), r.notes.join('\n'));
  });

  test('--refresh-after / --disconnect-after override what the endpoint told, and say so', () => {
    const read = { before: counters(0, 0), after: counters(20, 0), lifetimesRead: [lifetime(300, 86400)] };
    const r = fleetReport({ ...base, ...read, refreshAfterOption: 600, disconnectAfterOption: 1800 });
    assert.deepStrictEqual(r.monthly.lifetimeFrom, { refreshAfter: 'option', disconnectAfter: 'option' });
    assert.strictEqual(r.monthly.invocationsPerDeviceHour, 6);
    assert.strictEqual(r.monthly.invocations, 1000 * 730 * 6);
    assert.ok(r.notes.includes('--refresh-after 600 replaces the refreshAfterInSeconds read from the endpoint (300 s).'), r.notes.join('\n'));
    assert.ok(r.notes.includes('--disconnect-after 1800 replaces the disconnectAfterInSeconds read from the endpoint (86400 s).'), r.notes.join('\n'));
    // The same value as read: nothing to say.
    const same = fleetReport({ ...base, ...read, refreshAfterOption: 300 });
    assert.ok(!same.notes.some((n) => n.includes('replaces')), same.notes.join('\n'));
  });

  test('another endpoint: handler figures unknown, R and D assumed from AWS\'s defaults with a note; measured from the connects sent', () => {
    const r = fleetReport({ ...base, reconnectEverySeconds: 180 });
    assert.strictEqual(r.handler.invocations, null);
    assert.strictEqual(r.refusedByStage, null);
    assert.strictEqual(r.measured.from, 'connects sent');
    assert.strictEqual(r.measured.invocationsPerDeviceHour, 20);
    assert.deepStrictEqual(r.monthly.lifetimeFrom, { refreshAfter: 'assumed', disconnectAfter: 'assumed' });
    assert.strictEqual(r.monthly.refreshesUnknown, true);
    // Reconnecting every 180 s with R 300: 20 CONNECTs an hour, no refresh.
    assert.strictEqual(r.monthly.invocations, 1000 * 730 * 20);
    assert.ok(r.notes.some((n) => n.startsWith('refreshAfterInSeconds and disconnectAfterInSeconds are unknown: another broker does not tell what the handler answered') && n.includes('Assumed 300 s and 86400 s, AWS\'s defaults') && n.includes('give --refresh-after S and --disconnect-after S')), r.notes.join('\n'));
    const text = formatFleetReport(r);
    assert.match(text, /handler invocations unknown/);
    assert.match(text, /refreshes unknown/);
    assert.match(text, /refreshAfterInSeconds assumed/);
    // Given for another broker: used, nothing assumed.
    const given = fleetReport({ ...base, refreshAfterOption: 300, disconnectAfterOption: 3600 });
    assert.strictEqual(given.monthly.invocations, 1000 * 730 * 12);
    assert.strictEqual(given.monthly.refreshesUnknown, false);
    assert.ok(!given.notes.some((n) => n.includes('Assumed')), given.notes.join('\n'));
    // Only one given: the other is assumed, and the note names it alone.
    const one = fleetReport({ ...base, refreshAfterOption: 600 });
    assert.strictEqual(one.monthly.disconnectAfterSeconds, 86400);
    assert.ok(one.notes.some((n) => n.startsWith('disconnectAfterInSeconds is unknown') && n.includes('give --disconnect-after S with your handler\'s value.')), one.notes.join('\n'));
  });

  test('the local endpoint but no connection read (all refused): R and D assumed, and why', () => {
    const r = fleetReport({ ...base, endpointUrl: 'http://127.0.0.1:4566', before: counters(0, 0), after: counters(3, 0), lifetimesRead: [] });
    assert.ok(r.notes.some((n) => n.includes("no device was connected when the endpoint's connections were read")), r.notes.join('\n'));
    const failed = fleetReport({ ...base, endpointUrl: 'http://127.0.0.1:4566', before: counters(0, 0), after: counters(3, 0), lifetimesRead: [], lifetimesReadError: 'boom' });
    assert.ok(failed.notes.some((n) => n.includes("reading the endpoint's connections failed: boom")), failed.notes.join('\n'));
  });

  test('connects with no CONNACK within the timeout are counted as timed out, apart from refusals, with a note on queueing', () => {
    const r = fleetReport({ ...base, connectsAccepted: 15, connectsRefused: 1, connectsTimedOut: 4 });
    assert.deepStrictEqual(r.connects, { attempted: 20, accepted: 15, refused: 1, timedOut: 4 });
    assert.ok(r.notes.some((n) => n.startsWith('4 connect(s) got no CONNACK within 30 s and were given up')), r.notes.join('\n'));
    assert.match(formatFleetReport(r), /20 attempted, 15 accepted, 1 refused, 4 timed out/);
    assert.ok(!fleetReport(base).notes.some((n) => n.includes('no CONNACK')));
  });
});
