// MQTT against `iot-authz endpoint --mqtt-port`, with real clients: mqtt.js and Debian's
// mosquitto_pub / mosquitto_sub. Set up with the unchanged AWS CLI (function from a zip,
// authorizer with an openssl key, add-permission), then every operation checked for what the
// client sees and what the decision log says. Waits on client events and log lines only.
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import * as mqtt from 'mqtt';
import type { EndpointDecision } from '../../src/endpoint';
import { decisionToInvocationResult } from '../../src/endpoint/decisionResult';
import {
  ACCOUNT, aws, countLines, curl, ensureBuilt, iotAuthz, opensslKeyPair, opensslSign, REGION, RunningEndpoint,
  startEndpointProcess, stopEndpointProcess, tempDir, waitForLine, zipOf,
} from './endpointFixtures';

const AUTHORIZER = 'MqttAuthorizer';
const FUNCTION = 'mqtt-authorizer';
const TOKEN_KEY = 'X-Token';

/**
 * Answers by token: `deny` → isAuthenticated false; otherwise Publish/Receive on topic/*,
 * Subscribe on topicfilter/* except forbidden/*, Receive denied on secret/*, no RetainPublish;
 * tokens starting with `connect` also get iot:Connect on client/${iot:ClientId}; `connect-life`
 * loses iot:Publish on devices/life once $ANSWER_FILE exists. Each event is appended to $EVENT_FILE.
 */
const MQTT_HANDLER = `const fs = require('fs');
exports.handler = async (event) => {
  if (process.env.EVENT_FILE) fs.appendFileSync(process.env.EVENT_FILE, JSON.stringify(event) + '\\n');
  const t = event.token || '';
  const arn = (r) => 'arn:aws:iot:' + process.env.AWS_REGION + ':' + process.env.AWS_ACCOUNT_ID + ':' + r;
  if (t === 'deny') return { isAuthenticated: false, principalId: 'dev1', policyDocuments: [] };
  const Statement = [
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: arn('topic/*') },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/*') },
    { Effect: 'Deny', Action: 'iot:Subscribe', Resource: arn('topicfilter/forbidden/*') },
    { Effect: 'Deny', Action: 'iot:Receive', Resource: arn('topic/secret/*') },
  ];
  if (t === 'connect-life' && fs.existsSync(process.env.ANSWER_FILE)) Statement.push({ Effect: 'Deny', Action: 'iot:Publish', Resource: arn('topic/devices/life') });
  if (t.startsWith('connect')) Statement.push({ Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client/\${iot:ClientId}') });
  return { isAuthenticated: true, principalId: 'dev1', refreshAfterInSeconds: 300, disconnectAfterInSeconds: 3600,
    policyDocuments: [{ Version: '2012-10-17', Statement }] };
};
`;

suite('endpoint: MQTT with mqtt.js and mosquitto clients', function () {
  this.timeout(300000);
  let dir: string;
  let keys: ReturnType<typeof opensslKeyPair>;
  let ep: RunningEndpoint | undefined;
  let url: string;
  let mqttPort: number;
  let mqtts: { port: number; caFile: string };
  let eventFile: string;
  let answerFile: string;
  const clients: mqtt.MqttClient[] = [];

  const sign = (token: string) => opensslSign(token, keys.privateKey);
  const username = (token: string, signature = encodeURIComponent(sign(token))) =>
    `device?x-amz-customauthorizer-name=${AUTHORIZER}&${TOKEN_KEY}=${token}&x-amz-customauthorizer-signature=${signature}`;
  /** The next decision logged from now on that `match` accepts. */
  const nextDecision = (match: (d: EndpointDecision) => boolean): Promise<EndpointDecision> => {
    const from = ep?.lines.length ?? 0;
    return waitForLine(ep as RunningEndpoint, (o) => (o.event === 'decision' && match(o.decision as EndpointDecision) ? (o.decision as EndpointDecision) : undefined), from);
  };
  const client = (clientId: string, user: string, extra: mqtt.IClientOptions = {}): mqtt.MqttClient => {
    const c = mqtt.connect({ host: '127.0.0.1', port: mqttPort, protocolVersion: 4, clientId, username: user, password: 'pw', reconnectPeriod: 0, connectTimeout: 20000, ...extra });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  /** Resolves 'connected' on CONNACK, 'closed' when the connection ends first. */
  const outcome = (c: mqtt.MqttClient): Promise<'connected' | 'closed'> =>
    new Promise((resolve) => {
      c.once('connect', () => resolve('connected'));
      c.once('close', () => resolve('closed'));
    });
  const connected = async (clientId: string, token = 'connect'): Promise<mqtt.MqttClient> => {
    const c = client(clientId, username(token));
    assert.strictEqual(await outcome(c), 'connected');
    return c;
  };
  const nextMessage = (c: mqtt.MqttClient): Promise<{ topic: string; payload: string }> =>
    new Promise((resolve) => c.once('message', (topic, payload) => resolve({ topic, payload: payload.toString('utf8') })));

  suiteSetup(async function () {
    ensureBuilt();
    if (spawnSync('mosquitto_pub', ['--help']).error) throw new Error('mosquitto_pub is missing: run scripts/test-env.sh (or apt-get install -y mosquitto-clients).');
    dir = tempDir('mqtt');
    keys = opensslKeyPair(dir);
    eventFile = path.join(dir, 'events.jsonl');
    answerFile = path.join(dir, 'answer-changed');
    fs.writeFileSync(path.join(dir, 'function.zip'), zipOf({ 'index.js': MQTT_HANDLER }));
    ep = await startEndpointProcess(['--region', REGION, '--mqtt-port', '0', '--mqtts-port', '0']);
    url = ep.url;
    mqttPort = await waitForLine(ep, (o) => (o.event === 'listening' && o.protocol === 'mqtt' ? (o.port as number) : undefined));
    mqtts = await waitForLine(ep, (o) => (o.event === 'listening' && o.protocol === 'mqtts' ? { port: o.port as number, caFile: o.caFile as string } : undefined));
    register(url);
  });

  /** The function, the authorizer with the openssl key, and IoT's permission to invoke, on the endpoint at `at`, with the unchanged AWS CLI. */
  function register(at: string): void {
    const ok = (r: { code: number; stderr: string }) => assert.strictEqual(r.code, 0, r.stderr);
    ok(aws(at, ['lambda', 'create-function', '--function-name', FUNCTION, '--runtime', 'nodejs20.x', '--handler', 'index.handler',
      '--role', `arn:aws:iam::${ACCOUNT}:role/authorizer`, '--zip-file', 'fileb://function.zip', '--environment', `Variables={EVENT_FILE=${eventFile},ANSWER_FILE=${answerFile}}`], dir));
    ok(aws(at, ['lambda', 'wait', 'function-active-v2', '--function-name', FUNCTION]));
    ok(aws(at, ['iot', 'create-authorizer', '--authorizer-name', AUTHORIZER, '--authorizer-function-arn', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION}`,
      '--token-key-name', TOKEN_KEY, '--token-signing-public-keys', `key1=${keys.publicPem}`, '--status', 'ACTIVE']));
    ok(aws(at, ['lambda', 'add-permission', '--function-name', FUNCTION, '--principal', 'iot.amazonaws.com', '--statement-id', 'iot-invoke',
      '--action', 'lambda:InvokeFunction', '--source-arn', `arn:aws:iot:${REGION}:${ACCOUNT}:authorizer/${AUTHORIZER}`]));
  }

  teardown(() => {
    for (const c of clients.splice(0)) c.end(true);
  });

  suiteTeardown(async () => {
    assert.strictEqual(await stopEndpointProcess(ep), 0);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('without iot:Connect the CONNECT is closed without CONNACK, while HTTP publish with the same answer works', async () => {
    const logged = nextDecision((d) => d.request.method === 'CONNECT' && d.request.clientId === 'no-connect');
    const c = client('no-connect', username('noconnect'));
    assert.strictEqual(await outcome(c), 'closed');
    const d = await logged;
    assert.strictEqual(d.allowed, false);
    assert.strictEqual(d.decidedBy, 'policy');
    assert.strictEqual(d.answer, 'connection closed without CONNACK');
    assert.match(d.reason, new RegExp(`iot:Connect on arn:aws:iot:${REGION}:${ACCOUNT}:client/no-connect is denied`));

    const token = 'noconnect';
    const r = curl(['-X', 'POST', `${url}/topics/devices%2Fhttp?qos=1`, '-H', `x-amz-customauthorizer-name: ${AUTHORIZER}`, '-H', `${TOKEN_KEY}: ${token}`, '-H', `x-amz-customauthorizer-signature: ${sign(token)}`, '--data-binary', 'x']);
    assert.strictEqual(r.status, 200, r.body);
  });

  test('with iot:Connect the client connects; the handler gets username, base64 password and client id as AWS builds them', async () => {
    const logged = nextDecision((d) => d.request.method === 'CONNECT' && d.request.clientId === 'dev-ok');
    await connected('dev-ok');
    const d = await logged;
    assert.strictEqual(d.allowed, true);
    assert.strictEqual(d.answer, 'CONNACK 0 (accepted)');
    assert.strictEqual(d.signature?.status, 'verified');
    assert.match(String(d.event?.protocolData.mqtt?.password), /^<redacted: 2 bytes>$/, 'the log never holds the password');
    const events = fs.readFileSync(eventFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { protocols: string[]; protocolData: { mqtt: Record<string, string> } });
    const last = events[events.length - 1];
    assert.deepStrictEqual(last.protocols, ['tls', 'mqtt']);
    assert.deepStrictEqual(last.protocolData.mqtt, { username: username('connect'), password: Buffer.from('pw').toString('base64'), clientId: 'dev-ok' });
  });

  test('a subscriber receives a publish from another MQTT client (mosquitto_pub) and from HTTP; the MQTT publish is in the HTTP GET', async () => {
    const sub = await connected('sub-1');
    await sub.subscribeAsync('devices/#', { qos: 1 });
    const first = nextMessage(sub);
    const token = 'connect-pub';
    const pub = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-V', 'mqttv311', '-i', 'mosq-pub', '-u', username(token), '-P', 'pw', '-t', 'devices/from-mqtt', '-m', 'hello-mqtt', '-q', '1'], { encoding: 'utf8', timeout: 60000 });
    assert.strictEqual(pub.status, 0, pub.stderr);
    assert.deepStrictEqual(await first, { topic: 'devices/from-mqtt', payload: 'hello-mqtt' });

    const second = nextMessage(sub);
    const r = curl(['-X', 'POST', `${url}/topics/devices%2Ffrom-http?qos=1`, '-H', `x-amz-customauthorizer-name: ${AUTHORIZER}`, '-H', `${TOKEN_KEY}: ${token}`, '-H', `x-amz-customauthorizer-signature: ${sign(token)}`, '--data-binary', 'hello-http']);
    assert.strictEqual(r.status, 200, r.body);
    assert.deepStrictEqual(await second, { topic: 'devices/from-http', payload: 'hello-http' });

    const got = curl([`${url}/_iot-authz/messages?topic=devices%2Ffrom-mqtt`]);
    const messages = (JSON.parse(got.body) as { messages: Array<{ payloadBase64: string; via?: string; clientId?: string }> }).messages;
    assert.deepStrictEqual(messages.map((m) => [Buffer.from(m.payloadBase64, 'base64').toString(), m.via, m.clientId]), [['hello-mqtt', 'mqtt', 'mosq-pub']]);
  });

  test('mosquitto_sub receives what mqtt.js publishes', async () => {
    const subscribed = nextDecision((d) => d.request.method === 'SUBSCRIBE' && d.request.clientId === 'mosq-sub');
    const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-V', 'mqttv311', '-i', 'mosq-sub', '-u', username('connect-sub'), '-t', 'devices/mosq', '-C', '1', '-q', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    sub.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => sub.once('exit', resolve));
    assert.strictEqual((await subscribed).allowed, true);
    const pub = await connected('js-pub');
    await pub.publishAsync('devices/mosq', 'to-mosquitto', { qos: 1 });
    assert.strictEqual(await exited, 0);
    assert.strictEqual(out.trim(), 'to-mosquitto');
  });

  test('iot:Receive denied for one topic: that message is not delivered, the next one is, and the log says why', async () => {
    const sub = await connected('sub-secret');
    await sub.subscribeAsync(['secret/#', 'devices/#'], { qos: 1 });
    const refused = nextDecision((d) => d.request.method === 'RECEIVE' && d.request.clientId === 'sub-secret' && !d.allowed);
    const received = nextMessage(sub);
    const pub = await connected('pub-secret');
    await pub.publishAsync('secret/plans', 'hidden', { qos: 1 });
    await pub.publishAsync('devices/after', 'visible', { qos: 1 });
    assert.deepStrictEqual(await received, { topic: 'devices/after', payload: 'visible' }, 'the secret message never arrives before the next one');
    const d = await refused;
    assert.strictEqual(d.request.topic, 'secret/plans');
    assert.strictEqual(d.answer, 'not delivered');
    assert.match(d.reason, /iot:Receive on .*topic\/secret\/plans is denied .*explicit Deny/);
  });

  test('a subscribe to a denied filter gets SUBACK 0x80 and the connection stays', async () => {
    const c = await connected('sub-forbidden');
    // mqtt.js reports a SUBACK holding 0x80 as an error that carries the packet.
    const codes = await new Promise<number[]>((resolve) =>
      c.subscribe(['forbidden/#', 'devices/ok'], { qos: 1 }, (err) => resolve(((err as (Error & { packet?: { granted?: number[] } }) | null)?.packet?.granted ?? []).map(Number))),
    );
    assert.deepStrictEqual(codes, [0x80, 1]);
    assert.strictEqual(c.connected, true);
  });

  test('a retained publish without iot:RetainPublish disconnects the client', async () => {
    const c = await connected('retainer');
    const logged = nextDecision((d) => d.request.method === 'PUBLISH' && d.request.clientId === 'retainer');
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish('devices/retained', 'r', { qos: 1, retain: true });
    await closed;
    const d = await logged;
    assert.strictEqual(d.allowed, false);
    assert.match(d.reason, /iot:RetainPublish on .*topic\/devices\/retained is denied/);
    assert.match(String(d.answer), /^disconnected/);
  });

  test('a username as the AWS IoT Device SDK v2 (Python) builds it, with SDK metrics appended, connects', async () => {
    // awsiot/mqtt5_client_builder.py: the authorizer name and signature are appended to the
    // caller's username with & (or ?), then "SDK=PythonV2&Version=<version>".
    const token = 'connect-sdk';
    const sdkUsername = `device?${TOKEN_KEY}=${token}&x-amz-customauthorizer-name=${AUTHORIZER}&x-amz-customauthorizer-signature=${encodeURIComponent(sign(token))}&SDK=PythonV2&Version=1.21.0`;
    const c = client('sdk-device', sdkUsername);
    assert.strictEqual(await outcome(c), 'connected');
    const events = fs.readFileSync(eventFile, 'utf8').trim().split('\n');
    assert.strictEqual((JSON.parse(events[events.length - 1]) as { protocolData: { mqtt: { username: string } } }).protocolData.mqtt.username, sdkUsername);
  });

  test('a signature not URL-encoded connects when it holds no "+", and is refused with the diagnosis when it does', async () => {
    // "/" and "=" survive a query string unencoded; "+" turns into a space. Tokens are tried until
    // one signature has no "+" and one has (about 1 in 200 RSA-2048 signatures has none).
    let plain: string | undefined;
    let withPlus: string | undefined;
    for (let i = 0; (plain === undefined || withPlus === undefined) && i < 5000; i++) {
      const token = `connect-raw-${i}`;
      if (sign(token).includes('+')) withPlus ??= token;
      else plain ??= token;
    }
    assert.ok(plain !== undefined && withPlus !== undefined, 'no token found with a "+"-free signature in 5,000 tries');
    const c = client('raw-ok', username(plain, sign(plain)));
    assert.strictEqual(await outcome(c), 'connected');

    const refused = nextDecision((d) => d.request.method === 'CONNECT' && d.request.clientId === 'raw-plus');
    const bad = client('raw-plus', username(withPlus, sign(withPlus)));
    assert.strictEqual(await outcome(bad), 'closed');
    const d = await refused;
    assert.strictEqual(d.decidedBy, 'signature');
    assert.match(`${d.reason} ${d.fix ?? ''}`, /URL-encode the signature/);
  });

  test('a double URL-encoded signature is refused at the signature stage, the handler not invoked, with the diagnosis', async () => {
    const token = 'connect-double';
    const before = fs.readFileSync(eventFile, 'utf8').split('\n').length;
    const logged = nextDecision((d) => d.request.method === 'CONNECT' && d.request.clientId === 'double');
    const signature = sign(token);
    assert.match(signature, /[+/=]/, 'the signature must hold a character that encoding changes');
    const c = client('double', username(token, encodeURIComponent(encodeURIComponent(signature))));
    assert.strictEqual(await outcome(c), 'closed');
    const d = await logged;
    assert.strictEqual(d.decidedBy, 'signature');
    // The username's value is decoded once (as AWS does), so the signature still holds %2B: the
    // signing feature's finding, named for the username as encoded twice.
    assert.ok(d.signature?.findings?.some((f) => f.code === 'SIGNATURE_URL_ENCODED'), JSON.stringify(d.signature));
    assert.match(d.reason, /URL-encoded twice/);
    assert.match(String(d.fix), /URL-encode the signature once/);
    assert.strictEqual(fs.readFileSync(eventFile, 'utf8').split('\n').length, before);
  });

  test('an MQTT 5 CONNECT (mosquitto_pub -V 5) is refused with CONNACK 0x84 and a log line saying why', async () => {
    const logged = nextDecision((d) => d.request.method === 'CONNECT' && d.request.protocolVersion === 5);
    const r = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-V', '5', '-i', 'v5', '-u', username('connect'), '-t', 'devices/v5', '-m', 'x'], { encoding: 'utf8', timeout: 60000 });
    assert.notStrictEqual(r.status, 0);
    const d = await logged;
    assert.strictEqual(d.decidedBy, 'transport');
    assert.match(d.reason, /MQTT 5 is not supported/);
    assert.match(r.stderr, /protocol version|Unsupported/i);
  });

  test('MQTT over WebSocket at /mqtt on the HTTP port: credentials in the query string or in headers', async () => {
    const token = 'connect-ws';
    const query = `x-amz-customauthorizer-name=${AUTHORIZER}&${TOKEN_KEY}=${token}&x-amz-customauthorizer-signature=${encodeURIComponent(sign(token))}`;
    const wsUrl = url.replace(/^http/, 'ws');
    const logged = nextDecision((d) => d.request.method === 'CONNECT' && d.request.clientId === 'ws-query');
    const byQuery = mqtt.connect(`${wsUrl}/mqtt?${query}`, { protocolVersion: 4, clientId: 'ws-query', reconnectPeriod: 0 });
    byQuery.on('error', () => undefined);
    clients.push(byQuery);
    assert.strictEqual(await outcome(byQuery), 'connected');
    const d = await logged;
    assert.strictEqual(d.request.protocol, 'mqtt-ws');
    assert.strictEqual(d.request.credentialsIn, 'query');
    assert.strictEqual(d.request.path, '/mqtt');
    assert.deepStrictEqual(d.event?.protocols, ['tls', 'http', 'mqtt']);

    const byHeaders = mqtt.connect(`${wsUrl}/mqtt`, {
      protocolVersion: 4, clientId: 'ws-headers', reconnectPeriod: 0,
      wsOptions: { headers: { 'x-amz-customauthorizer-name': AUTHORIZER, [TOKEN_KEY]: token, 'x-amz-customauthorizer-signature': sign(token) } },
    });
    byHeaders.on('error', () => undefined);
    clients.push(byHeaders);
    assert.strictEqual(await outcome(byHeaders), 'connected');
    await byHeaders.subscribeAsync('devices/ws', { qos: 1 });
    const got = nextMessage(byHeaders);
    await byQuery.publishAsync('devices/ws', 'over-ws', { qos: 1 });
    assert.deepStrictEqual(await got, { topic: 'devices/ws', payload: 'over-ws' });

    const noConnect = mqtt.connect(`${wsUrl}/mqtt?${query.replace(`=${token}&`, '=noconnect&').replace(encodeURIComponent(sign(token)), encodeURIComponent(sign('noconnect')))}`, { protocolVersion: 4, clientId: 'ws-no', reconnectPeriod: 0 });
    noConnect.on('error', () => undefined);
    clients.push(noConnect);
    assert.strictEqual(await outcome(noConnect), 'closed');
  });

  test('--ws-path serves MQTT over WebSocket on another path; an upgrade elsewhere is a 404 naming it; a bad path is a usage error', async () => {
    const other = await startEndpointProcess(['--region', REGION, '--ws-path', '/iot/ws']);
    try {
      const listening = await waitForLine(other, (o) => (o.event === 'listening' && o.protocol === 'http' ? o : undefined));
      assert.strictEqual(listening.wsPath, '/iot/ws');
      register(other.url);
      const token = 'connect-ws-path';
      const query = `x-amz-customauthorizer-name=${AUTHORIZER}&${TOKEN_KEY}=${token}&x-amz-customauthorizer-signature=${encodeURIComponent(sign(token))}`;
      const wsUrl = other.url.replace(/^http/, 'ws');
      const logged = waitForLine(other, (o) => (o.event === 'decision' && (o.decision as EndpointDecision).request.clientId === 'ws-path' ? (o.decision as EndpointDecision) : undefined));
      const c = mqtt.connect(`${wsUrl}/iot/ws?${query}`, { protocolVersion: 4, clientId: 'ws-path', reconnectPeriod: 0 });
      c.on('error', () => undefined);
      clients.push(c);
      assert.strictEqual(await outcome(c), 'connected');
      const d = await logged;
      assert.strictEqual(d.allowed, true);
      assert.strictEqual(d.request.protocol, 'mqtt-ws');
      assert.strictEqual(d.request.path, '/iot/ws');

      // An upgrade at AWS's /mqtt, which this endpoint does not serve now: 404 saying where it is.
      const { port } = new URL(other.url);
      const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: `/mqtt?${query}`, headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'mqtt' } });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (b: Buffer) => (body += b.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('upgrade', () => reject(new Error('the upgrade at /mqtt was accepted')));
        req.on('error', reject);
        req.end();
      });
      assert.strictEqual(refused.status, 404);
      assert.strictEqual((JSON.parse(refused.body) as { message: string }).message, 'MQTT over WebSocket is served at /iot/ws, not /mqtt.');
    } finally {
      assert.strictEqual(await stopEndpointProcess(other), 0);
    }
    for (const [bad, says] of [
      ['mqtt', '"mqtt" does not start with "/"'],
      ['/my ws', '"/my ws" holds " ", which a URL path cannot carry as is'],
      ['/mqtt?x=1', '"/mqtt?x=1" holds "?"'],
      ['/_iot-authz/ws', '"/_iot-authz/ws" is inside the endpoint\'s own API (/_iot-authz/)'],
    ]) {
      const r = await iotAuthz(['endpoint', '--ws-path', bad], dir);
      assert.strictEqual(r.code, 2, `${bad}: ${r.stderr}`);
      assert.ok(r.stderr.includes(`--ws-path ${bad}: ${says}`), r.stderr);
    }
  });

  test('endpoint clock: advancing past refreshAfterInSeconds re-invokes the handler and its new answer applies; disconnectAfterInSeconds closes', async () => {
    const c = await connected('life', 'connect-life');
    const allowed = nextDecision((d) => d.request.method === 'PUBLISH' && d.request.clientId === 'life');
    await c.publishAsync('devices/life', 'before', { qos: 1 });
    assert.strictEqual((await allowed).allowed, true);

    fs.writeFileSync(answerFile, 'changed');
    const refreshed = nextDecision((d) => d.request.method === 'REFRESH' && d.request.clientId === 'life');
    const advanced = await iotAuthz(['endpoint', 'clock', 'advance', '5m', '--url', url], dir);
    assert.strictEqual(advanced.code, 0, advanced.stderr);
    assert.match(advanced.stdout, /advanced by 300 s/);
    const r = await refreshed;
    assert.strictEqual(r.allowed, true, r.reason);
    assert.match(r.reason, /new answer applies from now on/);

    const refused = nextDecision((d) => d.request.method === 'PUBLISH' && d.request.clientId === 'life');
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish('devices/life', 'after', { qos: 1 });
    const d = await refused;
    assert.strictEqual(d.allowed, false);
    assert.match(d.reason, /iot:Publish on .*topic\/devices\/life is denied .*explicit Deny/);
    await closed;

    const long = await connected('long-lived');
    const refusedBefore = (JSON.parse(curl([`${url}/_iot-authz/health`]).body) as { counters: { refusedByStage: Record<string, number> } }).counters.refusedByStage;
    const longClosed = new Promise<void>((resolve) => long.once('close', () => resolve()));
    const from = (ep as RunningEndpoint).lines.length;
    const disconnected = nextDecision((d) => d.request.method === 'DISCONNECT' && d.request.clientId === 'long-lived');
    const later = await iotAuthz(['endpoint', 'clock', 'advance', '1h', '--url', url], dir);
    assert.strictEqual(later.code, 0, later.stderr);
    assert.match((await disconnected).reason, /disconnectAfterInSeconds \(3600 s\) reached/);
    await longClosed;
    // The hour skipped is replayed as AWS would have lived it: a refresh every 300 s (300 to
    // 3300 s: 11), each at its own time on the endpoint clock, then the disconnect at 3600 s.
    const logged = (ep as RunningEndpoint).lines.slice(from).map((l) => JSON.parse(l) as { event: string; decision?: EndpointDecision })
      // (Its CONNECT decision may arrive on stdout after the CONNACK reached the client: not counted.)
      .flatMap((o) => (o.event === 'decision' && o.decision?.request.clientId === 'long-lived' && o.decision.request.method !== 'CONNECT' ? [o.decision] : []));
    assert.deepStrictEqual(logged.map((d) => d.request.method), [...Array<string>(11).fill('REFRESH'), 'DISCONNECT']);
    const times = logged.map((d) => Date.parse(d.at));
    for (let i = 1; i < times.length; i++) assert.ok(Math.abs(times[i] - times[i - 1] - 300_000) < 2000, `decision ${i} at ${logged[i].at}, the one before at ${logged[i - 1].at}`);
    assert.match(later.stdout, /in that time \d+ MQTT policy refreshes \(handler invoked\), \d+ connections? closed at disconnectAfterInSeconds/);
    // Opened in the results panel, a refresh is a run that allowed, the disconnect a session that ended (not a refusal).
    const refreshRun = decisionToInvocationResult(logged[0]);
    assert.strictEqual(refreshRun.outcome, 'allowed');
    const endRun = decisionToInvocationResult(logged[logged.length - 1]);
    assert.strictEqual(endRun.outcome, 'session-ended');
    assert.match(endRun.headline, /^Session of long-lived ended: disconnectAfterInSeconds \(3600 s\) reached/);
    assert.ok(endRun.problems.every((p) => p.severity === 'info'), JSON.stringify(endRun.problems));
    assert.strictEqual(endRun.request.clientId, 'long-lived');
    assert.strictEqual(endRun.signature.status, 'not-checked');
    assert.match(endRun.signature.diagnosis ?? '', /Checked once, at the CONNECT that opened the connection/);
    const health = JSON.parse(curl([`${url}/_iot-authz/health`]).body) as { counters: Record<string, number> & { refusedByStage: Record<string, number> } };
    assert.ok(health.counters.mqttRefreshes >= 1 && health.counters.mqttLifetimeDisconnects >= 1, JSON.stringify(health.counters));
    // A session that ends at disconnectAfterInSeconds was not refused: refusals by stage unchanged.
    assert.deepStrictEqual(health.counters.refusedByStage, refusedBefore);
  });

  test('endpoint clock: the HTTP answer cache (enableCachingForHttp) expires when the clock passes refreshAfterInSeconds', async () => {
    const ok = (r: { code: number; stderr: string }) => assert.strictEqual(r.code, 0, r.stderr);
    ok(aws(url, ['iot', 'create-authorizer', '--authorizer-name', 'CachedAuthorizer', '--authorizer-function-arn', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION}`,
      '--token-key-name', TOKEN_KEY, '--token-signing-public-keys', `key1=${keys.publicPem}`, '--status', 'ACTIVE', '--enable-caching-for-http']));
    ok(aws(url, ['lambda', 'add-permission', '--function-name', FUNCTION, '--principal', 'iot.amazonaws.com', '--statement-id', 'iot-cached',
      '--action', 'lambda:InvokeFunction', '--source-arn', `arn:aws:iot:${REGION}:${ACCOUNT}:authorizer/CachedAuthorizer`]));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const token = 'cache';
    const publish = async (): Promise<EndpointDecision> => {
      const logged = nextDecision((d) => d.request.protocol === 'http' && d.authorizer === 'CachedAuthorizer');
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(`${url}/topics/devices%2Fcached?qos=1`, {
          method: 'POST', agent, headers: { 'x-amz-customauthorizer-name': 'CachedAuthorizer', [TOKEN_KEY]: token, 'x-amz-customauthorizer-signature': sign(token) },
        }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end('x');
      });
      assert.strictEqual(status, 200);
      return logged;
    };
    try {
      assert.strictEqual((await publish()).cached, false);
      assert.strictEqual((await publish()).cached, true);
      const advanced = await iotAuthz(['endpoint', 'clock', 'advance', '301s', '--url', url], dir);
      assert.strictEqual(advanced.code, 0, advanced.stderr);
      const after = await publish();
      assert.strictEqual(after.cached, false, 'the same keep-alive connection asks the handler again once the answer expired');
    } finally {
      agent.destroy();
    }
  });

  test('endpoint clock without --url finds the one endpoint running; none or several is a usage error naming them', async () => {
    const env = { IOT_AUTHZ_RUNTIME_DIR: path.join(dir, 'runtime') };
    const none = await iotAuthz(['endpoint', 'clock', 'advance', '1m'], dir, env);
    assert.strictEqual(none.code, 2, none.stderr);
    assert.match(none.stderr, /No running endpoint found: start one with "iot-authz endpoint".*or give --url URL/);
    const first = await startEndpointProcess(['--region', REGION], 15000, env);
    try {
      const one = await iotAuthz(['endpoint', 'clock', 'advance', '1m'], dir, env);
      assert.strictEqual(one.code, 0, one.stderr);
      assert.ok(one.stderr.includes(`the running endpoint at ${first.url} (pid ${first.child.pid})`), one.stderr);
      assert.match(one.stdout, /advanced by 60 s/);
      const second = await startEndpointProcess(['--region', REGION], 15000, env);
      try {
        const two = await iotAuthz(['endpoint', 'clock', 'advance', '1m'], dir, env);
        assert.strictEqual(two.code, 2, two.stderr);
        assert.ok(two.stderr.includes('2 endpoints are running; say which with --url') && two.stderr.includes(first.url) && two.stderr.includes(second.url), two.stderr);
      } finally {
        assert.strictEqual(await stopEndpointProcess(second), 0);
      }
    } finally {
      assert.strictEqual(await stopEndpointProcess(first), 0);
    }
    // Stopped endpoints leave no record behind.
    assert.deepStrictEqual(fs.readdirSync(env.IOT_AUTHZ_RUNTIME_DIR), []);
  });

  test('endpoint clock: a bad duration is a usage error saying what to write', async () => {
    const r = await iotAuthz(['endpoint', 'clock', 'advance', 'soon', '--url', url], dir);
    assert.notStrictEqual(r.code, 0);
    assert.match(r.stderr, /"soon" is not a duration: write 90s, 5m, 6h, 1d or 1h30m/);
  });

  test('MQTT over TLS with ALPN mqtt (--mqtts-port): the certificate is trusted by its printed path, SNI reaches the event', async () => {
    const logged = nextDecision((d) => d.request.method === 'CONNECT' && d.request.clientId === 'tls-dev');
    const c = client('tls-dev', username('connect-tls'), {
      protocol: 'mqtts', port: mqtts.port, ca: fs.readFileSync(mqtts.caFile), servername: 'localhost', ALPNProtocols: ['mqtt'], rejectUnauthorized: true,
    });
    assert.strictEqual(await outcome(c), 'connected');
    const d = await logged;
    assert.strictEqual(d.request.tls, true);
    assert.strictEqual(d.event?.protocolData.tls?.serverName, 'localhost');
  });

  test('MQTT over TLS without ALPN mqtt is closed before any CONNECT, and the log says to set it (AWS never invokes the authorizer then)', async () => {
    const invoked = countLines(eventFile);
    const logged = nextDecision((d) => d.request.method === 'CONNECT' && d.decidedBy === 'transport' && /ALPN/.test(d.reason));
    const c = client('tls-no-alpn', username('connect-tls'), {
      protocol: 'mqtts', port: mqtts.port, ca: fs.readFileSync(mqtts.caFile), servername: 'localhost', rejectUnauthorized: true,
    });
    assert.strictEqual(await outcome(c), 'closed');
    const d = await logged;
    assert.strictEqual(d.allowed, false);
    assert.strictEqual(d.request.tls, true);
    assert.match(d.reason, /without the ALPN protocol "mqtt".*the authorizer is never invoked/);
    assert.match(d.fix ?? '', /--tls-alpn mqtt/);
    assert.strictEqual(countLines(eventFile), invoked, 'the handler ran');
  });

  test('a CONNECT with an empty client id is refused at the transport stage before the handler, and the endpoint keeps serving', async () => {
    const invoked = countLines(eventFile);
    const logged = nextDecision((d) => d.request.method === 'CONNECT' && d.request.clientId === '');
    const c = client('', username('connect'), { clean: true });
    assert.strictEqual(await outcome(c), 'closed');
    const d = await logged;
    assert.strictEqual(d.allowed, false);
    assert.strictEqual(d.decidedBy, 'transport');
    assert.match(d.reason, /empty client id/);
    assert.match(d.fix ?? '', /Give the device a client id/);
    assert.strictEqual(countLines(eventFile), invoked, 'the handler ran');
    await connected('after-empty-id');
  });

  test('a token key name in the wrong case is refused at the signature stage, and the log names the near miss', async () => {
    const token = 'connect-case';
    const logged = nextDecision((d) => d.request.method === 'CONNECT' && d.request.clientId === 'case');
    const wrongCase = `device?x-amz-customauthorizer-name=${AUTHORIZER}&x-token=${token}&x-amz-customauthorizer-signature=${encodeURIComponent(sign(token))}`;
    const c = client('case', wrongCase);
    assert.strictEqual(await outcome(c), 'closed');
    const d = await logged;
    assert.strictEqual(d.decidedBy, 'signature');
    assert.strictEqual(d.signature?.status, 'missing');
    assert.match(String(d.fix), /It has "x-token": query and username parameter names are case-sensitive/);
  });

  test('1,000 concurrent connections that vanish mid-handshake are all closed, and the endpoint keeps serving', async () => {
    type Health = { counters: Record<string, number>; connections: Array<{ clientId: string }>; openSockets: number };
    const health = (): Health => JSON.parse(curl([`${url}/_iot-authz/health`]).body) as Health;
    const before = health().openSockets;
    // Half a CONNECT (fixed header and the start of the protocol name), then the client is gone.
    const partial = Buffer.from([0x10, 0x20, 0x00, 0x04, 0x4d, 0x51]);
    await Promise.all(
      Array.from({ length: 1000 }, () =>
        new Promise<void>((resolve) => {
          const s = net.connect(mqttPort, '127.0.0.1', () => {
            s.write(partial);
            s.destroy();
          });
          s.on('error', () => undefined);
          s.once('close', () => resolve());
        }),
      ),
    );
    await connected('after-vanish');
    assert.ok(health().connections.some((c) => c.clientId === 'after-vanish'));
    // The endpoint's side of each vanished connection is closed too: its open sockets come back to
    // what they were, plus the one device now connected (polled: the closes arrive as events).
    let open = health().openSockets;
    for (let i = 0; i < 300 && open > before + 1; i++) {
      await new Promise((r) => setTimeout(r, 100));
      open = health().openSockets;
    }
    assert.ok(open <= before + 1, `${open} sockets still open on the endpoint, ${before} before the 1,000 vanished`);
  });

  test('a malformed CONNECT and a CONNECT with a 64 KB username (the MQTT maximum) are closed, and the endpoint keeps serving', async () => {
    const closedAfter = (bytes: Buffer): Promise<void> =>
      new Promise((resolve) => {
        const s = net.connect(mqttPort, '127.0.0.1', () => s.write(bytes));
        s.on('error', () => undefined);
        s.resume();
        s.once('close', () => resolve());
      });
    await closedAfter(Buffer.from([0x10, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff]));
    const big = mqtt.connect({ host: '127.0.0.1', port: mqttPort, protocolVersion: 4, clientId: 'big', username: `${'u'.repeat(65531)}?x=1`, reconnectPeriod: 0 });
    big.on('error', () => undefined);
    clients.push(big);
    const bigLogged = nextDecision((d) => d.request.method === 'CONNECT' && d.request.clientId === 'big');
    assert.strictEqual(await outcome(big), 'closed');
    assert.strictEqual((await bigLogged).decidedBy, 'authorizer');
    await connected('after-garbage');
  });
});
