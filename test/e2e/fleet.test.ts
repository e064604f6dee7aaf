// `iot-authz fleet` through the built CLI against `iot-authz endpoint --mqtt-port 0 --workspace`
// (the example workspace, its key made with the CLI): the JSON report's counts agree with each
// other and with the endpoint's own counters, and the monthly figure is the steady state of the
// refreshAfterInSeconds / disconnectAfterInSeconds the endpoint gave the devices. Waits on
// process exits and ready lines only.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as mqtt from 'mqtt';
import { credentialsToMqttUsername } from '../../src/core/credentials';
import type { FleetReport } from '../../src/core/fleet';
import { storedKeyFiles } from '../../src/core/keyStore';
import { signToken } from '../../src/core/tokens';
import type { MqttConnectionInfo } from '../../src/endpoint';
import { ACCOUNT, ensureBuilt, exampleWorkspaceToDeploy, iotAuthz, RunningEndpoint, startEndpointProcess, stopEndpointProcess, tempDir, waitForLine } from './endpointFixtures';

interface Counters {
  handlerInvocations: number;
  mqttConnects: number;
  refusedByStage: Record<string, number>;
}

suite('iot-authz fleet against the local endpoint', function () {
  this.timeout(120000);
  let dir: string;
  let ep: RunningEndpoint | undefined;

  const counters = async (): Promise<Counters> => ((await (await fetch(`${ep?.url}/_iot-authz/health`)).json()) as { counters: Counters }).counters;
  const fleet = (args: string[]) => iotAuthz(['fleet', '--endpoint', ep?.url ?? '', '--authorizer', 'ExampleTokenAuthorizer', '--key', 'example', ...args], dir);

  suiteSetup(async () => {
    ensureBuilt();
    dir = tempDir('fleet');
    await exampleWorkspaceToDeploy(dir, ACCOUNT);
    ep = await startEndpointProcess(['--workspace', dir, '--mqtt-port', '0', '--mqtts-port', '0']);
    await waitForLine(ep, (o) => (o.event === 'listening' && o.protocol === 'mqtts' ? true : undefined));
  });

  suiteTeardown(async () => {
    assert.strictEqual(await stopEndpointProcess(ep), 0);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('5 devices for 3 s: connects, latencies and handler invocations agree with the endpoint counters', async () => {
    const before = await counters();
    const run = await fleet(['--devices', '5', '--duration', '3', '--reconnect-every', '1.5', '--publish-every', '1', '--fleet-size', '10000', '--json']);
    assert.strictEqual(run.code, 0, run.stderr + run.stdout);
    const after = await counters();
    const r = JSON.parse(run.stdout) as FleetReport;
    assert.strictEqual(r.reconnectsPerDevice, 1);
    assert.strictEqual(r.connects.attempted, 5 * (1 + r.reconnectsPerDevice));
    assert.strictEqual(r.connects.accepted, r.connects.attempted);
    assert.strictEqual(r.connects.refused, 0);
    assert.strictEqual(r.latencyMs.samples, r.connects.accepted);
    assert.ok(r.latencyMs.p50 !== null && r.latencyMs.p99 !== null && r.latencyMs.p50 <= r.latencyMs.p99, JSON.stringify(r.latencyMs));
    assert.ok(r.measuredSeconds >= 3, `ran ${r.measuredSeconds} s`);
    assert.strictEqual(r.target.countersFrom, 'local endpoint');
    assert.strictEqual(r.handler.invocations, after.handlerInvocations - before.handlerInvocations);
    assert.strictEqual(r.handler.invocations, r.connects.attempted + (r.handler.refreshes ?? 0));
    assert.strictEqual(after.mqttConnects - before.mqttConnects, r.connects.accepted);
    assert.deepStrictEqual(r.refusedByStage, {});
    assert.ok(r.publishes.sent >= 5, `published ${r.publishes.sent}`);
    assert.strictEqual(r.publishes.acknowledged, r.publishes.sent);
    const perDeviceHour = (r.handler.invocations as number) / r.deviceHours;
    assert.ok(Math.abs((r.handler.invocationsPerDeviceHour as number) - perDeviceHour) / perDeviceHour < 0.01, `${r.handler.invocationsPerDeviceHour} vs ${perDeviceHour}`);
    assert.strictEqual(r.measured.invocationsPerDeviceHour, r.handler.invocationsPerDeviceHour);
    // Monthly: the steady state of reconnecting every 1.5 s (no refresh before the next CONNECT):
    // 2400 CONNECTs per device-hour; the example handler's 300 s / 86400 s read from the endpoint.
    assert.strictEqual(r.monthly.fleetSize, 10000);
    assert.deepStrictEqual(r.monthly.lifetimeFrom, { refreshAfter: 'endpoint', disconnectAfter: 'endpoint' });
    assert.deepStrictEqual([r.monthly.refreshAfterSeconds, r.monthly.disconnectAfterSeconds, r.monthly.sessionSeconds, r.monthly.sessionEndedBy], [300, 86400, 1.5, 'reconnect']);
    assert.strictEqual(r.monthly.invocationsPerDeviceHour, 2400);
    assert.strictEqual(r.monthly.invocations, 10000 * 730 * 2400);
    assert.strictEqual(r.monthly.refreshesUnknown, false);
    assert.match(r.monthly.formula, /fleet size × 730 h × ceil\(L \/ R\) × 3600 \/ L = 10000 × 730 × ceil\(1\.5 \/ 300\) × 3600 \/ 1\.5 = 10000 × 730 × 2400 = 17520000000 /);
  });

  test('--tls: the devices connect over the endpoint\'s TLS listener (ALPN mqtt, its certificate trusted), as devices reach AWS on port 443', async () => {
    const before = await counters();
    const run = await fleet(['--devices', '3', '--duration', '1', '--tls', '--json']);
    assert.strictEqual(run.code, 0, run.stderr + run.stdout);
    const r = JSON.parse(run.stdout) as FleetReport;
    assert.match(r.target.mqttUrl, /^mqtts:\/\/127\.0\.0\.1:\d+$/);
    assert.deepStrictEqual([r.connects.attempted, r.connects.accepted], [3, 3]);
    assert.strictEqual((await counters()).mqttConnects - before.mqttConnects, 3);
    const both = await fleet(['--devices', '1', '--duration', '1', '--tls', '--url', 'mqtts://127.0.0.1:1']);
    assert.strictEqual(both.code, 2);
    assert.match(both.stderr, /give --tls or --url, not both/);
  });

  test('1,000 devices at once for 5 s: all accepted, none refused or timed out, one handler invocation each, and all gone afterwards', async () => {
    const e = ep as RunningEndpoint;
    const from = e.lines.length;
    const before = await counters();
    const run = await fleet(['--devices', '1000', '--duration', '5', '--json']);
    assert.strictEqual(run.code, 0, run.stderr + run.stdout.slice(0, 2000));
    const after = await counters();
    const r = JSON.parse(run.stdout) as FleetReport;
    assert.deepStrictEqual(r.connects, { attempted: 1000, accepted: 1000, refused: 0, timedOut: 0 });
    assert.deepStrictEqual(r.refusedByStage, {});
    assert.strictEqual(r.latencyMs.samples, 1000);
    assert.ok(r.latencyMs.p50 !== null && r.latencyMs.p99 !== null && r.latencyMs.p50 <= r.latencyMs.p99, JSON.stringify(r.latencyMs));
    assert.strictEqual(r.handler.invocations, 1000);
    assert.strictEqual(after.mqttConnects - before.mqttConnects, 1000);
    const perDeviceHour = 1000 / r.deviceHours;
    assert.ok(Math.abs((r.handler.invocationsPerDeviceHour as number) - perDeviceHour) / perDeviceHour < 0.01, `${r.handler.invocationsPerDeviceHour} vs ${perDeviceHour}`);
    // The lifetimes were read from the endpoint while the devices connected, at this scale too.
    assert.deepStrictEqual(r.monthly.lifetimeFrom, { refreshAfter: 'endpoint', disconnectAfter: 'endpoint' }, r.notes.join('\n'));
    assert.strictEqual(r.monthly.invocations, 1000 * 730 * 12);
    await waitForLine(e, (o) => (o.event === 'connections' && o.total === 0 ? true : undefined), from);
  });

  test('devices the authorizer refuses: exit 1, refusals by stage from the endpoint match the client count', async () => {
    const before = await counters();
    const run = await fleet(['--devices', '3', '--duration', '1', '--token', 'deny-{n}', '--json']);
    assert.strictEqual(run.code, 1, run.stderr + run.stdout);
    const after = await counters();
    const r = JSON.parse(run.stdout) as FleetReport;
    assert.deepStrictEqual(r.connects, { attempted: 3, accepted: 0, refused: 3, timedOut: 0 });
    assert.strictEqual(r.latencyMs.p50, null);
    const refused = Object.values(r.refusedByStage ?? {}).reduce((a, b) => a + b, 0);
    assert.strictEqual(refused, 3, JSON.stringify(r.refusedByStage));
    assert.strictEqual(r.handler.invocations, after.handlerInvocations - before.handlerInvocations);
    // No device connected, so nothing to read the lifetimes from: AWS's defaults, said so.
    assert.deepStrictEqual(r.monthly.lifetimeFrom, { refreshAfter: 'assumed', disconnectAfter: 'assumed' });
    assert.ok(r.notes.some((n) => n.includes("no device was connected when the endpoint's connections were read")), r.notes.join('\n'));
  });

  test('a live connection is listed (--json "connections" line, GET connections) and closed by POST connections/{clientId}/disconnect', async () => {
    const e = ep as RunningEndpoint;
    const listed = (want: boolean) => waitForLine(e, (o) =>
      o.event === 'connections' && (o.connections as MqttConnectionInfo[]).some((c) => c.clientId === 'dev42') === want ? (o.connections as MqttConnectionInfo[]) : undefined, e.lines.length);
    const mqttUrl = await waitForLine(e, (o) => (o.event === 'listening' && o.protocol === 'mqtt' ? (o.url as string) : undefined));
    const token = 'allow-dev42';
    const signature = signToken(token, fs.readFileSync(storedKeyFiles(dir, 'example').privateKeyFile, 'utf8'));
    const username = credentialsToMqttUsername({ authorizerName: 'ExampleTokenAuthorizer', tokenKeyName: 'X-Example-Token', token, signature }, 'dev');
    const opened = listed(true);
    const c = mqtt.connect(mqttUrl, { clientId: 'dev42', username, password: 'pw', protocolVersion: 4, reconnectPeriod: 0 });
    c.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    try {
      const connections = await opened;
      const mine = connections.find((x) => x.clientId === 'dev42') as MqttConnectionInfo;
      assert.strictEqual(mine.principalId, 'dev42');
      assert.strictEqual(mine.authorizer, 'ExampleTokenAuthorizer');
      assert.ok(Date.parse(mine.nextRefreshAt) - Date.parse(mine.connectedAt) === 300_000, JSON.stringify(mine));
      const get = (await (await fetch(`${e.url}/_iot-authz/connections`)).json()) as { connections: MqttConnectionInfo[] };
      assert.ok(get.connections.some((x) => x.clientId === 'dev42'));
      // A refresh (the clock moved past refreshAfterInSeconds) is told as a connections change: the
      // list shows the new next refresh, 300 s after the refresh.
      const refreshed = waitForLine(e, (o) => {
        const again = o.event === 'connections' ? (o.connections as MqttConnectionInfo[]).find((x) => x.clientId === 'dev42') : undefined;
        return again && again.nextRefreshAt !== mine.nextRefreshAt ? again : undefined;
      }, e.lines.length);
      const advanced = await fetch(`${e.url}/_iot-authz/clock`, { method: 'POST', body: JSON.stringify({ advance: 301 }) });
      assert.strictEqual(advanced.status, 200, await advanced.text());
      const after = await refreshed;
      assert.ok(Date.parse(after.nextRefreshAt) - Date.parse(mine.nextRefreshAt) >= 300_000, JSON.stringify({ mine, after }));
      const refusedBefore = (await counters()).refusedByStage;
      const logged = waitForLine(e, (o) => {
        const d = o.event === 'decision' ? (o.decision as { request: { method: string; clientId?: string }; decidedBy: string; reason: string }) : undefined;
        return d && d.request.method === 'DISCONNECT' && d.request.clientId === 'dev42' ? d : undefined;
      }, e.lines.length);
      const gone = listed(false);
      const res = await fetch(`${e.url}/_iot-authz/connections/dev42/disconnect`, { method: 'POST' });
      assert.strictEqual(res.status, 200);
      await closed;
      await gone;
      // The disconnect is in the decision log, said to be on request, and is not counted as a refusal.
      const d = await logged;
      assert.strictEqual(d.decidedBy, 'transport');
      assert.match(d.reason, /^Disconnected on request/);
      assert.deepStrictEqual((await counters()).refusedByStage, refusedBefore);
      const again = await fetch(`${e.url}/_iot-authz/connections/dev42/disconnect`, { method: 'POST' });
      assert.strictEqual(again.status, 404);
      assert.match(((await again.json()) as { message: string }).message, /No live MQTT connection with client id "dev42"/);
    } finally {
      c.end(true);
    }
  });

  test('bad input exits 2 and says what to fix', async () => {
    const noDevices = await fleet(['--devices', '0', '--duration', '3']);
    assert.strictEqual(noDevices.code, 2);
    assert.match(noDevices.stderr, /--devices 0: give a whole number from 1 to 5000/);
    const badDuration = await fleet(['--devices', '1', '--duration', 'soon']);
    assert.strictEqual(badDuration.code, 2);
    assert.match(badDuration.stderr, /--duration soon: give a duration/);
    const noKey = await iotAuthz(['fleet', '--devices', '1', '--duration', '1', '--endpoint', ep?.url ?? '', '--authorizer', 'ExampleTokenAuthorizer', '--key', 'missing-key'], dir);
    assert.strictEqual(noKey.code, 2);
    assert.match(noKey.stderr, /--key missing-key: neither a file nor a key in/);
    const shortRefresh = await fleet(['--devices', '1', '--duration', '1', '--refresh-after', '200']);
    assert.strictEqual(shortRefresh.code, 2);
    assert.match(shortRefresh.stderr, /--refresh-after 200: give your handler's refreshAfterInSeconds, whole seconds from 300 to 86400 \(AWS's range\)/);
    const longDisconnect = await fleet(['--devices', '1', '--duration', '1', '--disconnect-after', '2d']);
    assert.strictEqual(longDisconnect.code, 2);
    assert.match(longDisconnect.stderr, /--disconnect-after 2d: give your handler's disconnectAfterInSeconds, whole seconds from 300 to 86400/);
  });
});

// A handler answering refreshAfterInSeconds 300 and disconnectAfterInSeconds 3600 (the example
// with a one-hour session): the monthly figure comes from what the endpoint gave the devices.
suite('iot-authz fleet: the monthly figure is the steady state of the answers the endpoint gave', function () {
  this.timeout(120000);
  let dir: string;
  let ep: RunningEndpoint | undefined;
  const fleet = (args: string[]) => iotAuthz(['fleet', '--endpoint', ep?.url ?? '', '--authorizer', 'ExampleTokenAuthorizer', '--key', 'example', ...args], dir);

  suiteSetup(async () => {
    ensureBuilt();
    dir = tempDir('fleet-hour');
    await exampleWorkspaceToDeploy(dir, ACCOUNT);
    const handlerFile = path.join(dir, 'authorizer.js');
    const handler = fs.readFileSync(handlerFile, 'utf8');
    assert.ok(handler.includes('disconnectAfterInSeconds: 86400,'), 'the example handler changed: update this test');
    fs.writeFileSync(handlerFile, handler.replace('disconnectAfterInSeconds: 86400,', 'disconnectAfterInSeconds: 3600,'));
    ep = await startEndpointProcess(['--workspace', dir, '--mqtt-port', '0']);
    await waitForLine(ep, (o) => (o.event === 'listening' && o.protocol === 'mqtt' ? true : undefined));
  });

  suiteTeardown(async () => {
    assert.strictEqual(await stopEndpointProcess(ep), 0);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('5 devices staying connected for 3 s at --fleet-size 10000: 12 invocations per device-hour in the steady state, 87,600,000 a month, R and D read from the endpoint', async () => {
    const run = await fleet(['--devices', '5', '--duration', '3', '--fleet-size', '10000', '--json']);
    assert.strictEqual(run.code, 0, run.stderr + run.stdout);
    const r = JSON.parse(run.stdout) as FleetReport;
    assert.deepStrictEqual(r.connects, { attempted: 5, accepted: 5, refused: 0, timedOut: 0 });
    assert.strictEqual(r.handler.invocations, 5);
    assert.deepStrictEqual(r.monthly.lifetimeFrom, { refreshAfter: 'endpoint', disconnectAfter: 'endpoint' }, r.notes.join('\n'));
    assert.deepStrictEqual([r.monthly.refreshAfterSeconds, r.monthly.disconnectAfterSeconds, r.monthly.sessionSeconds, r.monthly.sessionEndedBy], [300, 3600, 3600, 'disconnect']);
    assert.deepStrictEqual([r.monthly.refreshesPerSession, r.monthly.invocationsPerSession], [11, 12]);
    assert.strictEqual(r.monthly.invocationsPerDeviceHour, 12);
    assert.strictEqual(r.monthly.invocations, 87_600_000);
    assert.strictEqual(r.monthly.formula, 'monthly authorizer invocations = fleet size × 730 h × ceil(L / R) × 3600 / L = 10000 × 730 × ceil(3600 / 300) × 3600 / 3600 = 10000 × 730 × 12 = 87600000 (L = min(reconnect every none, disconnectAfterInSeconds 3600) = 3600 s; R = refreshAfterInSeconds 300 s)');
    // Measured over 3 s, each first CONNECT counts as if it recurred every 3 s: far above 12.
    assert.strictEqual(r.measured.label, 'measured over this run (first connects included)');
    assert.ok(r.measured.invocationsPerDeviceHour > 1000, `${r.measured.invocationsPerDeviceHour}`);
    assert.ok(r.notes.some((n) => /^Measured over this run \(first connects included\): [\d.]+ invocations per device-hour, [\d.]+× the steady state's 12: the first connects of a short run dominate/.test(n)), r.notes.join('\n'));
    assert.ok(!r.notes.some((n) => /assumed|clock advance/i.test(n)), r.notes.join('\n'));
    // The text report says the same.
    const text = await fleet(['--devices', '2', '--duration', '1', '--fleet-size', '10000']);
    assert.strictEqual(text.code, 0, text.stderr + text.stdout);
    assert.match(text.stdout, /steady state {8}12 invocations per device-hour: a session of 3600 s \(disconnectAfterInSeconds, from the endpoint\) = 1 CONNECT \+ 11 refreshes at refreshAfterInSeconds 300 s \(from the endpoint\)/);
    assert.match(text.stdout, /monthly at 10000 devices: 87600000 authorizer invocations \(steady state\)\n/);
  });

  test('--refresh-after overrides what the endpoint gave: 600 s with the endpoint\'s 3600 s session is 6 per device-hour, and the note says so', async () => {
    const run = await fleet(['--devices', '2', '--duration', '1', '--fleet-size', '10000', '--refresh-after', '10m', '--json']);
    assert.strictEqual(run.code, 0, run.stderr + run.stdout);
    const r = JSON.parse(run.stdout) as FleetReport;
    assert.deepStrictEqual(r.monthly.lifetimeFrom, { refreshAfter: 'option', disconnectAfter: 'endpoint' });
    assert.strictEqual(r.monthly.invocationsPerDeviceHour, 6);
    assert.strictEqual(r.monthly.invocations, 10000 * 730 * 6);
    assert.ok(r.notes.includes('--refresh-after 600 replaces the refreshAfterInSeconds read from the endpoint (300 s).'), r.notes.join('\n'));
  });
});
