// The fleet report (core/fleet.ts): percentiles, per-device-hour rates, counter deltas and the monthly formula.
import * as assert from 'assert';
import { EndpointCounterSnapshot, fleetReport, FleetMeasurement, formatFleetReport, percentile, reconnectsPerDevice } from '../../src/core/fleet';

const counters = (invocations: number, refreshes: number, refused: Record<string, number> = {}): EndpointCounterSnapshot => ({
  handlerInvocations: invocations, cacheHits: 0, mqttConnects: 0, mqttRefreshes: refreshes, savedBySignatureGate: 0, refusedByStage: refused,
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

  test('with the local endpoint: invocations, refreshes and refusals are counter deltas; monthly = fleet × 730 × (connects + refreshes) per device-hour', () => {
    const r = fleetReport({ ...base, before: counters(100, 4, { policy: 2 }), after: counters(125, 9, { policy: 3, signature: 1 }) });
    assert.strictEqual(r.deviceHours, 1);
    assert.strictEqual(r.handler.invocations, 25);
    assert.strictEqual(r.handler.refreshes, 5);
    assert.strictEqual(r.handler.invocationsPerDeviceHour, 25);
    assert.deepStrictEqual(r.refusedByStage, { policy: 1, signature: 1 });
    assert.strictEqual(r.monthly.connectsPerDeviceHour, 20);
    assert.strictEqual(r.monthly.refreshesPerDeviceHour, 5);
    assert.strictEqual(r.monthly.invocations, 1000 * 730 * 25);
    assert.strictEqual(r.latencyMs.p50, 3);
    assert.match(formatFleetReport(r), /monthly at 1000 devices: 18250000 authorizer invocations\n/);
  });

  test('another endpoint: handler figures unknown, monthly from the connects sent and says so', () => {
    const r = fleetReport(base);
    assert.strictEqual(r.handler.invocations, null);
    assert.strictEqual(r.refusedByStage, null);
    assert.strictEqual(r.monthly.invocations, 1000 * 730 * 20);
    assert.strictEqual(r.monthly.refreshesUnknown, true);
    const text = formatFleetReport(r);
    assert.match(text, /handler invocations unknown/);
    assert.match(text, /refreshes unknown/);
  });

  test('connects with no CONNACK within the timeout are counted as timed out, apart from refusals, with a note on queueing', () => {
    const r = fleetReport({ ...base, connectsAccepted: 15, connectsRefused: 1, connectsTimedOut: 4 });
    assert.deepStrictEqual(r.connects, { attempted: 20, accepted: 15, refused: 1, timedOut: 4 });
    assert.ok(r.notes.some((n) => n.startsWith('4 connect(s) got no CONNACK within 30 s and were given up')), r.notes.join('\n'));
    assert.match(formatFleetReport(r), /20 attempted, 15 accepted, 1 refused, 4 timed out/);
    assert.ok(!fleetReport(base).notes.some((n) => n.includes('no CONNACK')));
  });
});
