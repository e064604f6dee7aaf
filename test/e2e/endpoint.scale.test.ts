// 1,000 authenticated MQTT connections at once against `iot-authz endpoint --mqtt-port 0
// --workspace`: every CONNECT goes through the signature gate, the handler in its worker and
// iot:Connect. All must end connected (CONNACK 0), the endpoint's counters must say so, an HTTP
// publish must reach every one of them, and after they all leave the counters must return to 0
// with the endpoint still serving. Also: CONNECTs queued behind a slow handler for longer than
// AWS's 5 s limit all connect (the limit runs from the handler's start), the endpoint runs
// ENDPOINT_DEFAULT_CONCURRENCY invocations at once, and devices that leave while they are being
// authorized leave no session behind. Waits on client events and the endpoint's JSON lines only.
import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as mqtt from 'mqtt';
import { ENDPOINT_DEFAULT_CONCURRENCY, ENDPOINT_MAX_CONCURRENCY, SIGNATURE_PARAM } from '../../src/core/constants';
import { credentialsToMqttUsername } from '../../src/core/credentials';
import { storedKeyFiles } from '../../src/core/keyStore';
import { signToken } from '../../src/core/tokens';
import type { EndpointDecision } from '../../src/endpoint';
import { decisionToInvocationResult } from '../../src/endpoint/decisionResult';
import { durationOf } from '../../src/vscode/panel/runView';
import { ensureBuilt, iotAuthz, RunningEndpoint, startEndpointProcess, stopEndpointProcess, tempDir, waitForLine } from './endpointFixtures';

const DEVICES = 1000;
const AUTHORIZER = 'ScaleAuthorizer';
const TOKEN_KEY = 'X-Scale-Token';
const TOPIC = 'scale/all';

/**
 * Queued CONNECTs of the slow-handler test: served ENDPOINT_DEFAULT_CONCURRENCY at a time, the
 * last ones wait longer than AWS's 5 s limit (40 rounds of SLOW_HANDLER_MS).
 */
const SLOW_DEVICES = 40 * ENDPOINT_DEFAULT_CONCURRENCY;
const SLOW_HANDLER_MS = 150;

/**
 * Signed tokens may connect as themselves, subscribe to and receive scale/all; `http` may publish
 * there; `slow-<n>` answers after SLOW_HANDLER_MS; `together-<n>` answers only once
 * ENDPOINT_DEFAULT_CONCURRENCY of them are in the handler at the same time (each leaves a file
 * in ./arrived), which invocations run one after another never reach.
 */
const HANDLER = `const fs = require('fs');
const path = require('path');
exports.handler = async (event, context) => {
  const t = event.token || '';
  if (t.startsWith('slow-')) await new Promise((r) => setTimeout(r, ${SLOW_HANDLER_MS}));
  if (t.startsWith('together-')) {
    const arrived = path.join(__dirname, 'arrived');
    fs.mkdirSync(arrived, { recursive: true });
    fs.writeFileSync(path.join(arrived, context.awsRequestId), '');
    while (fs.readdirSync(arrived).length < ${ENDPOINT_DEFAULT_CONCURRENCY}) await new Promise((r) => setTimeout(r, 5));
  }
  const arn = (r) => 'arn:aws:iot:' + process.env.AWS_REGION + ':' + process.env.AWS_ACCOUNT_ID + ':' + r;
  if (!event.signatureVerified) return { isAuthenticated: false, principalId: 'unsigned', policyDocuments: [] };
  const Statement = t === 'http'
    ? [{ Effect: 'Allow', Action: 'iot:Publish', Resource: arn('topic/${TOPIC}') }]
    : [{ Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client/\${iot:ClientId}') },
       { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/${TOPIC}') },
       { Effect: 'Allow', Action: 'iot:Receive', Resource: arn('topic/${TOPIC}') }];
  return { isAuthenticated: true, principalId: t.replace(/[^A-Za-z0-9]/g, '') || 'none', refreshAfterInSeconds: 3600, disconnectAfterInSeconds: 3600,
    policyDocuments: [{ Version: '2012-10-17', Statement }] };
};
`;

/** An MQTT 3.1.1 CONNECT packet: clean session, keep-alive 60 s, a client id and a username. */
function connectPacket(clientId: string, username: string): Buffer {
  const utf8 = (text: string) => {
    const b = Buffer.from(text, 'utf8');
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const body = Buffer.concat([utf8('MQTT'), Buffer.from([4, 0x82, 0, 60]), utf8(clientId), utf8(username)]);
  const length: number[] = [];
  for (let n = body.length; ; ) {
    const byte = n % 128;
    n = Math.floor(n / 128);
    length.push(n > 0 ? byte | 0x80 : byte);
    if (n === 0) break;
  }
  return Buffer.concat([Buffer.from([0x10, ...length]), body]);
}

interface Health {
  concurrency: number;
  counters: { mqttConnectionsOpen: number; mqttConnects: number; handlerInvocations: number; refusedByStage: Record<string, number> };
  connections: Array<{ clientId: string }>;
}

suite('endpoint: 1,000 authenticated MQTT connections at once', function () {
  this.timeout(180000);
  let dir: string;
  let ep: RunningEndpoint | undefined;
  let mqttUrl: string;
  let privateKey: string;
  const clients: mqtt.MqttClient[] = [];

  const health = async (): Promise<Health> => (await (await fetch(`${ep?.url}/_iot-authz/health`)).json()) as Health;
  const usernameFor = (token: string) => credentialsToMqttUsername({ authorizerName: AUTHORIZER, tokenKeyName: TOKEN_KEY, token, signature: signToken(token, privateKey) }, 'scale');
  /** The next `connections` line (printed at most every 100 ms) whose total is `total`. */
  const connectionsTotal = (total: number, from: number, timeoutMs = 120000) =>
    waitForLine(ep as RunningEndpoint, (o) => (o.event === 'connections' && o.total === total ? true : undefined), from, timeoutMs);
  /** The first `n` CONNECT decisions logged from line `from` on for client ids starting with `prefix`. */
  const connectDecisions = (prefix: string, n: number, from: number): Promise<EndpointDecision[]> => {
    const found: EndpointDecision[] = [];
    return waitForLine(ep as RunningEndpoint, (o) => {
      const d = o.decision as EndpointDecision | undefined;
      if (o.event === 'decision' && d?.request.method === 'CONNECT' && d.request.clientId?.startsWith(prefix)) found.push(d);
      return found.length === n ? found : undefined;
    }, from, 120000);
  };
  /** Resolves 'connected' on CONNACK 0, else 'closed: <error>' when the connection ends first. */
  const outcome = (c: mqtt.MqttClient): Promise<string> =>
    new Promise((resolve) => {
      let error = '';
      c.on('error', (e) => (error ||= e.message));
      c.once('connect', () => resolve('connected'));
      c.once('close', () => resolve(`closed${error ? `: ${error}` : ''}`));
    });

  suiteSetup(async () => {
    ensureBuilt();
    dir = tempDir('scale');
    fs.writeFileSync(path.join(dir, 'authorizer.js'), HANDLER);
    fs.writeFileSync(path.join(dir, 'iot-authorizer.json'), JSON.stringify({
      authorizers: [{ name: AUTHORIZER, handler: 'authorizer.js:handler', runtime: 'nodejs20.x', tokenKeyName: TOKEN_KEY, signingKeys: ['scale'] }],
    }));
    const keygen = await iotAuthz(['keygen', '--out', path.join(dir, '.iot-authz', 'keys', 'scale')], dir);
    assert.strictEqual(keygen.code, 0, keygen.stderr);
    privateKey = fs.readFileSync(storedKeyFiles(dir, 'scale').privateKeyFile, 'utf8');
    ep = await startEndpointProcess(['--workspace', dir, '--mqtt-port', '0']);
    mqttUrl = await waitForLine(ep, (o) => (o.event === 'listening' && o.protocol === 'mqtt' ? (o.url as string) : undefined));
  });

  suiteTeardown(async () => {
    for (const c of clients.splice(0)) c.end(true);
    assert.strictEqual(await stopEndpointProcess(ep), 0);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('all connect (CONNACK 0), the counters show them, an HTTP publish reaches every one, all leave, counters return to 0, the endpoint keeps serving', async () => {
    const e = ep as RunningEndpoint;
    const before = await health();
    const usernames = Array.from({ length: DEVICES }, (_, i) => usernameFor(`dev-${i + 1}`));

    // All CONNECTs at once: each through signature, handler and iot:Connect.
    const allListed = connectionsTotal(DEVICES, e.lines.length);
    for (let i = 0; i < DEVICES; i++) {
      clients.push(mqtt.connect(mqttUrl, { clientId: `dev${i + 1}`, username: usernames[i], password: 'pw', protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 120000 }));
    }
    const outcomes = await Promise.all(clients.map(outcome));
    const failed = outcomes.map((o, i) => ({ o, clientId: `dev${i + 1}` })).filter((x) => x.o !== 'connected');
    if (failed.length > 0) {
      const decisions = ((await (await fetch(`${e.url}/_iot-authz/decisions?limit=2000`)).json()) as { decisions: EndpointDecision[] }).decisions;
      const refused = decisions.filter((d) => d.request.method === 'CONNECT' && !d.allowed).slice(0, 5).map((d) => `${d.request.clientId}: ${d.decidedBy}: ${d.reason}`);
      assert.fail(`${failed.length} of ${DEVICES} did not connect, e.g. ${failed.slice(0, 5).map((x) => `${x.clientId} ${x.o}`).join('; ')}; refusals logged: ${refused.join(' | ') || 'none'}`);
    }
    await allListed;
    const open = await health();
    assert.strictEqual(open.counters.mqttConnectionsOpen, DEVICES);
    assert.strictEqual(open.connections.length, DEVICES);
    assert.strictEqual(open.counters.mqttConnects - before.counters.mqttConnects, DEVICES);
    assert.strictEqual(open.counters.handlerInvocations - before.counters.handlerInvocations, DEVICES, 'one handler invocation per CONNECT (AWS caches no MQTT answer)');
    assert.deepStrictEqual(open.counters.refusedByStage, before.counters.refusedByStage);

    // One HTTP publish reaches every subscriber (iot:Receive checked per delivery).
    const granted = await Promise.all(clients.map((c) => c.subscribeAsync(TOPIC, { qos: 1 })));
    assert.ok(granted.every((g) => g[0]?.qos === 1), 'every SUBACK grants QoS 1');
    const received = Promise.all(clients.map((c) => new Promise<string>((resolve) => c.once('message', (_t, payload) => resolve(payload.toString('utf8'))))));
    const res = await fetch(`${e.url}/topics/${encodeURIComponent(TOPIC)}?qos=1`, {
      method: 'POST',
      headers: { 'x-amz-customauthorizer-name': AUTHORIZER, [TOKEN_KEY]: 'http', [SIGNATURE_PARAM]: signToken('http', privateKey) },
      body: 'to-all',
    });
    assert.strictEqual(res.status, 200, await res.text());
    assert.ok((await received).every((p) => p === 'to-all'));

    // All leave; the counters return to 0.
    const allGone = connectionsTotal(0, e.lines.length);
    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
    await allGone;
    const after = await health();
    assert.strictEqual(after.counters.mqttConnectionsOpen, 0);
    assert.strictEqual(after.connections.length, 0);

    // And the endpoint keeps serving.
    const again = mqtt.connect(mqttUrl, { clientId: 'dev1', username: usernames[0], password: 'pw', protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(again);
    assert.strictEqual(await outcome(again), 'connected');
  });

  test(`CONNECTs queued behind a slow handler for longer than AWS's 5 s limit all connect: the limit runs from the handler's start`, async () => {
    const e = ep as RunningEndpoint;
    const logged = connectDecisions('slow', SLOW_DEVICES, e.lines.length);
    const slow = Array.from({ length: SLOW_DEVICES }, (_, i) =>
      mqtt.connect(mqttUrl, { clientId: `slow${i + 1}`, username: usernameFor(`slow-${i + 1}`), password: 'pw', protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 120000 }));
    clients.push(...slow);
    const outcomes = await Promise.all(slow.map(outcome));
    assert.deepStrictEqual(outcomes.filter((o) => o !== 'connected'), []);
    const decisions = await logged;
    assert.ok(decisions.every((d) => d.allowed && (d.timings.handlerMs ?? Infinity) < 5000), 'each handler call took far less than 5 s');
    const longestWait = Math.max(...decisions.map((d) => d.timings.queuedMs ?? 0));
    assert.ok(longestWait > 5000, `the last CONNECT waited ${longestWait} ms for its turn: longer than the limit, and not counted against it`);
    // The run the results panel opens for that decision says how long it waited.
    const waited = decisions.find((d) => d.timings.queuedMs === longestWait) as EndpointDecision;
    assert.strictEqual(decisionToInvocationResult(waited).timings.queuedMs, longestWait);
    assert.match(durationOf(decisionToInvocationResult(waited)).detail ?? '', /queued \d+ ms behind earlier invocations/);
    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
  });

  test(`${ENDPOINT_DEFAULT_CONCURRENCY} CONNECTs are in the handler at the same time (the default --concurrency)`, async () => {
    const e = ep as RunningEndpoint;
    assert.strictEqual((await health()).concurrency, ENDPOINT_DEFAULT_CONCURRENCY);
    const logged = connectDecisions('together', ENDPOINT_DEFAULT_CONCURRENCY, e.lines.length);
    const together = Array.from({ length: ENDPOINT_DEFAULT_CONCURRENCY }, (_, i) =>
      mqtt.connect(mqttUrl, { clientId: `together${i + 1}`, username: usernameFor(`together-${i + 1}`), password: 'pw', protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 120000 }));
    clients.push(...together);
    // One after another, the first would wait in the handler for the others until AWS's 5 s limit refused it.
    assert.deepStrictEqual(await Promise.all(together.map(outcome)), together.map(() => 'connected'));
    const decisions = await logged;
    assert.ok(decisions.every((d) => d.allowed), JSON.stringify(decisions.map((d) => d.reason)));
    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
  });

  test('--concurrency outside 1 to the maximum is a usage error saying what to give', async () => {
    for (const bad of ['0', 'many', String(ENDPOINT_MAX_CONCURRENCY + 1)]) {
      const r = await iotAuthz(['endpoint', '--concurrency', bad], dir);
      assert.strictEqual(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`--concurrency ${bad}: give how many invocations of one function may run at once, a whole number from 1 to ${ENDPOINT_MAX_CONCURRENCY}`));
    }
  });

  test('1,000 devices that send a signed CONNECT and leave before the answer leave no session behind; the endpoint keeps serving', async () => {
    const e = ep as RunningEndpoint;
    const from = e.lines.length;
    const logged = connectDecisions('gone', DEVICES, from);
    const usernames = Array.from({ length: DEVICES }, (_, i) => usernameFor(`gone-${i + 1}`));
    for (let i = 0; i < DEVICES; i++) {
      const s = net.connect(Number(new URL(mqttUrl).port), '127.0.0.1', () => s.end(connectPacket(`gone${i + 1}`, usernames[i])));
      s.on('error', () => undefined);
      s.resume();
    }
    const decisions = await logged;
    assert.ok(decisions.every((d) => d.allowed), 'each was authorized; the device had left before or after its answer');
    // A session registered before its close was handled is forgotten on that close.
    if ((await health()).counters.mqttConnectionsOpen !== 0) await connectionsTotal(0, from, 30000);
    const after = await health();
    assert.strictEqual(after.counters.mqttConnectionsOpen, 0);
    assert.deepStrictEqual(after.connections.filter((c) => c.clientId.startsWith('gone')), []);
    const again = mqtt.connect(mqttUrl, { clientId: 'dev2', username: usernameFor('dev-2'), password: 'pw', protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(again);
    assert.strictEqual(await outcome(again), 'connected');
  });
});
