// The AWS IoT Device SDK v2 for JavaScript (aws-iot-device-sdk-v2, native aws-crt) and its browser
// build against `iot-authz endpoint --mqtts-port 0 --tls`, set up with the unchanged AWS CLI as in
// endpoint.mqtt.test.ts. Each client is the SDK's own code with its custom-authorizer builder; the
// test asserts what the SDK sends (the username the handler receives) and what it reports (events,
// error codes). Every client is disconnected and its native resources released at teardown.
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as mqttJs from 'mqtt';
import WebSocket from 'ws';
import { iot, mqtt, mqtt5 } from 'aws-iot-device-sdk-v2';
import type { EndpointDecision } from '../../src/endpoint';
import { localEndpointSnippets } from '../../src/core/snippets';
import {
  ACCOUNT, aws, ensureBuilt, opensslKeyPair, opensslSign, REGION, REPO_ROOT, RunningEndpoint,
  startEndpointProcess, stopEndpointProcess, tempDir, waitForLine, zipOf,
} from './endpointFixtures';

const AUTHORIZER = 'SdkAuthorizer';
const FUNCTION = 'sdk-authorizer';
const TOKEN_KEY = 'X-Token';
/** The certificate's name (src/endpoint/tls.ts): the CRT checks the host name it connects to. */
const HOST = 'localhost';

/** Tokens starting with `connect` get iot:Connect; every token gets Publish/Receive/Subscribe on devices/*. Events go to $EVENT_FILE. */
const SDK_HANDLER = `const fs = require('fs');
exports.handler = async (event) => {
  fs.appendFileSync(process.env.EVENT_FILE, JSON.stringify(event) + '\\n');
  const arn = (r) => 'arn:aws:iot:' + process.env.AWS_REGION + ':' + process.env.AWS_ACCOUNT_ID + ':' + r;
  const Statement = [
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: arn('topic/devices/*') },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/devices/*') },
  ];
  if ((event.token || '').startsWith('connect')) Statement.push({ Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client/\${iot:ClientId}') });
  return { isAuthenticated: true, principalId: 'sdk1', refreshAfterInSeconds: 300, disconnectAfterInSeconds: 3600,
    policyDocuments: [{ Version: '2012-10-17', Statement }] };
};
`;

/**
 * The SDK's metrics suffix for a native MQTT 3.1.1 connection, as this SDK/CRT pair builds it:
 * aws-crt dist/native/aws_iot.js AwsIotMqttConnectionConfigBuilder.build() attaches
 * aws-iot-device-sdk-v2 dist/iot_sdk_metrics.js build_sdk_metrics() (IoTSDKVersion = the SDK's
 * package version, IoTSDKMetricsVersion 1); aws-crt dist/common/aws_iot_metrics.js create_metrics()
 * adds CRTVersion and IoTSDKFeature (F = protocol version, 3 for MQTT 3.1.1; G = socket
 * implementation, A for POSIX) with libraryName SDK_NAME "IoTDeviceSDK/JS"
 * (dist/common/mqtt_shared.js); the CRT's C side (aws-c-mqtt source/mqtt_iot_metrics.c,
 * aws_mqtt_append_sdk_metrics_to_username) appends `SDK=<libraryName>&Platform=<build OS>` and
 * the metadata as `Metadata=(k=v;...)` to the username's query.
 */
function nativeMetricsSuffix(): string {
  const version = (pkg: string) => (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  return `&SDK=IoTDeviceSDK/JS&Platform=Unix&Metadata=(CRTVersion=${version('aws-crt')};IoTSDKVersion=${version('aws-iot-device-sdk-v2')};IoTSDKFeature=F/3,G/A;IoTSDKMetricsVersion=1)`;
}

/**
 * The SDK's browser build (what a bundler picks through the package's "browser" field), run by
 * Node in a child process: the page's `window` is the global object. It connects with
 * new_builder_for_websocket().with_custom_authorizer(...), trusting the endpoint's CA, publishes
 * once and prints one JSON line: {"connected":true} or {"refused":"..."}.
 */
const BROWSER_CLIENT = `globalThis.window = globalThis;
const { iot, mqtt } = require('aws-iot-device-sdk-v2/dist/browser.js');
const [host, port, caFile, clientId, token, signature] = process.argv.slice(1);
const config = iot.AwsIotMqttConnectionConfigBuilder.new_builder_for_websocket()
  .with_custom_authorizer('browser', '${AUTHORIZER}', signature, 'pw', '${TOKEN_KEY}', token)
  .with_endpoint(host).with_port(Number(port)).with_client_id(clientId).build();
config.websocket.ca = require('fs').readFileSync(caFile);
const connection = new mqtt.MqttClient().new_connection(config);
connection.connect()
  .then(() => connection.publish('devices/browser', 'from-browser', mqtt.QoS.AtLeastOnce))
  .then(() => { console.log(JSON.stringify({ connected: true, protocol: config.websocket.protocol })); return connection.disconnect(); })
  .catch((e) => { console.log(JSON.stringify({ refused: String(e && e.message ? e.message : e) })); process.exit(0); });
`;

suite('endpoint: AWS IoT Device SDK v2 for JavaScript and its browser build', function () {
  this.timeout(300000);
  let dir: string;
  let keys: ReturnType<typeof opensslKeyPair>;
  let ep: RunningEndpoint | undefined;
  let url: string;
  let mqtts: { port: number; caFile: string };
  let httpsPort: number;
  let eventFile: string;
  const cleanups: Array<() => Promise<unknown> | void> = [];

  const sign = (token: string) => opensslSign(token, keys.privateKey);
  const nextDecision = (match: (d: EndpointDecision) => boolean): Promise<EndpointDecision> => {
    const from = ep?.lines.length ?? 0;
    return waitForLine(ep as RunningEndpoint, (o) => (o.event === 'decision' && match(o.decision as EndpointDecision) ? (o.decision as EndpointDecision) : undefined), from);
  };
  const lastEvent = () => {
    const lines = fs.readFileSync(eventFile, 'utf8').trim().split('\n');
    type Mqtt = { username: string; password: string; clientId: string };
    type Data = { mqtt: Mqtt; http?: { headers: Record<string, string> } };
    return JSON.parse(lines[lines.length - 1]) as { token: string; protocols: string[]; protocolData: Data };
  };
  /** An MQTT 3.1.1 connection built by the SDK's custom-authorizer builder, released at teardown. */
  const sdkConnection = (builder: iot.AwsIotMqttConnectionConfigBuilder, clientId: string, token: string, port: number): mqtt.MqttClientConnection => {
    builder
      .with_custom_authorizer('device', AUTHORIZER, sign(token), 'pw', TOKEN_KEY, token)
      .with_endpoint(HOST)
      .with_port(port)
      .with_certificate_authority_from_path(undefined, mqtts.caFile)
      .with_client_id(clientId)
      .with_reconnect_min_sec(60)
      .with_reconnect_max_sec(60);
    const connection = new mqtt.MqttClient().new_connection(builder.build());
    connection.on('error', () => undefined);
    cleanups.push(() => connection.disconnect().catch(() => undefined));
    return connection;
  };

  suiteSetup(async function () {
    ensureBuilt();
    dir = tempDir('devsdk');
    keys = opensslKeyPair(dir);
    eventFile = path.join(dir, 'events.jsonl');
    fs.writeFileSync(path.join(dir, 'function.zip'), zipOf({ 'index.js': SDK_HANDLER }));
    ep = await startEndpointProcess(['--region', REGION, '--mqtts-port', '0', '--tls']);
    url = ep.url;
    mqtts = await waitForLine(ep, (o) => (o.event === 'listening' && o.protocol === 'mqtts' ? { port: o.port as number, caFile: o.caFile as string } : undefined));
    httpsPort = await waitForLine(ep, (o) => (o.event === 'listening' && o.protocol === 'https' ? (o.port as number) : undefined));
    const ok = (r: { code: number; stderr: string }) => assert.strictEqual(r.code, 0, r.stderr);
    ok(aws(url, ['lambda', 'create-function', '--function-name', FUNCTION, '--runtime', 'nodejs20.x', '--handler', 'index.handler',
      '--role', `arn:aws:iam::${ACCOUNT}:role/authorizer`, '--zip-file', 'fileb://function.zip', '--environment', `Variables={EVENT_FILE=${eventFile}}`], dir));
    ok(aws(url, ['lambda', 'wait', 'function-active-v2', '--function-name', FUNCTION]));
    ok(aws(url, ['iot', 'create-authorizer', '--authorizer-name', AUTHORIZER, '--authorizer-function-arn', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION}`,
      '--token-key-name', TOKEN_KEY, '--token-signing-public-keys', `key1=${keys.publicPem}`, '--status', 'ACTIVE']));
    ok(aws(url, ['lambda', 'add-permission', '--function-name', FUNCTION, '--principal', 'iot.amazonaws.com', '--statement-id', 'iot-invoke',
      '--action', 'lambda:InvokeFunction', '--source-arn', `arn:aws:iot:${REGION}:${ACCOUNT}:authorizer/${AUTHORIZER}`]));
  });

  teardown(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  suiteTeardown(async () => {
    assert.strictEqual(await stopEndpointProcess(ep), 0);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('MQTT 3.1.1 with_custom_authorizer over TLS (ALPN mqtt, the printed CA): connect, subscribe, publish, receive; the handler gets the SDK\'s username byte for byte', async () => {
    const token = 'connect-sdk';
    const logged = nextDecision((d) => d.request.method === 'CONNECT' && d.request.clientId === 'sdk-dev');
    const connection = sdkConnection(iot.AwsIotMqttConnectionConfigBuilder.new_default_builder(), 'sdk-dev', token, mqtts.port);
    await connection.connect();
    const d = await logged;
    assert.strictEqual(d.allowed, true, d.reason);
    assert.strictEqual(d.request.tls, true);
    assert.strictEqual(d.event?.protocolData.tls?.serverName, HOST);

    // aws-crt dist/common/aws_iot_shared.js populate_username_string_with_custom_authorizer: the
    // name, then the signature URL-encoded once (canonicalizeCustomAuthTokenSignature), then the token.
    const expected = `device?x-amz-customauthorizer-name=${AUTHORIZER}&x-amz-customauthorizer-signature=${encodeURIComponent(sign(token))}&${TOKEN_KEY}=${token}${nativeMetricsSuffix()}`;
    const event = lastEvent();
    assert.strictEqual(event.token, token);
    assert.deepStrictEqual(event.protocols, ['tls', 'mqtt']);
    assert.deepStrictEqual(event.protocolData.mqtt, { username: expected, password: Buffer.from('pw').toString('base64'), clientId: 'sdk-dev' });

    const received = new Promise<{ topic: string; payload: string }>((resolve, reject) => {
      connection.subscribe('devices/sdk', mqtt.QoS.AtLeastOnce, (topic, payload) => resolve({ topic, payload: Buffer.from(payload).toString('utf8') })).catch(reject);
    });
    const subscribed = nextDecision((d) => d.request.method === 'SUBSCRIBE' && d.request.clientId === 'sdk-dev');
    assert.strictEqual((await subscribed).allowed, true);
    await connection.publish('devices/sdk', 'hello-sdk', mqtt.QoS.AtLeastOnce);
    assert.deepStrictEqual(await received, { topic: 'devices/sdk', payload: 'hello-sdk' });
  });

  test('without iot:Connect the SDK\'s connect() is rejected: no CONNACK, the connection is closed (as AWS does for MQTT 3.1.1)', async () => {
    const logged = nextDecision((d) => d.request.method === 'CONNECT' && d.request.clientId === 'sdk-no-connect');
    const connection = sdkConnection(iot.AwsIotMqttConnectionConfigBuilder.new_default_builder(), 'sdk-no-connect', 'noconnect', mqtts.port);
    const failure = new Promise<string>((resolve) => connection.once('connection_failure', (e) => resolve(String(e.error))));
    const rejected = await connection.connect().then(() => 'connected', (e: unknown) => String(e));
    // What the user sees: the socket closed before any CONNACK.
    assert.match(rejected, /Failed to connect: aws-c-io: AWS_IO_SOCKET_CLOSED/);
    assert.match(await failure, /AWS_IO_SOCKET_CLOSED/);
    const d = await logged;
    assert.strictEqual(d.allowed, false);
    assert.strictEqual(d.answer, 'connection closed without CONNACK');
    assert.match(d.reason, /iot:Connect on .*client\/sdk-no-connect is denied/);
  });

  test('MQTT over WebSocket: the native SDK\'s WebSocket builder with custom auth, pointed at the HTTPS listener (--tls) and its CA', async () => {
    const token = 'connect-ws';
    const logged = nextDecision((d) => d.request.method === 'CONNECT' && d.request.clientId === 'sdk-ws');
    // new_with_websockets() without signing options sets no SigV4 handshake transform: a plain wss:// upgrade to /mqtt.
    const connection = sdkConnection(iot.AwsIotMqttConnectionConfigBuilder.new_with_websockets(), 'sdk-ws', token, httpsPort);
    await connection.connect();
    const d = await logged;
    assert.strictEqual(d.allowed, true, d.reason);
    assert.strictEqual(d.request.protocol, 'mqtt-ws');
    const event = lastEvent();
    assert.deepStrictEqual(event.protocols, ['tls', 'http', 'mqtt']);
    assert.strictEqual(event.protocolData.mqtt.username, `device?x-amz-customauthorizer-name=${AUTHORIZER}&x-amz-customauthorizer-signature=${encodeURIComponent(sign(token))}&${TOKEN_KEY}=${token}${nativeMetricsSuffix()}`);
    assert.strictEqual(event.protocolData.http?.headers['sec-websocket-protocol'], 'mqtt');
    await connection.publish('devices/ws', 'over-wss', mqtt.QoS.AtLeastOnce);
  });

  test('MQTT 5 (newDirectMqttBuilderWithCustomAuth): the endpoint refuses with CONNACK 0x84 and the SDK reports AWS_ERROR_MQTT5_CONNACK_CONNECTION_REFUSED with that reason code', async () => {
    const token = 'connect-v5';
    const logged = nextDecision((d) => d.request.method === 'CONNECT' && d.request.protocolVersion === 5);
    const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithCustomAuth(HOST, {
      authorizerName: AUTHORIZER, username: 'device', password: Buffer.from('pw'), tokenKeyName: TOKEN_KEY, tokenValue: token, tokenSignature: sign(token),
    });
    builder.withPort(mqtts.port).withCertificateAuthorityFromPath(undefined, mqtts.caFile).withConnectProperties({ clientId: 'sdk-v5', keepAliveIntervalSeconds: 60 });
    const client = new mqtt5.Mqtt5Client(builder.build());
    const stopped = new Promise<void>((resolve) => client.once('stopped', () => resolve()));
    cleanups.push(async () => {
      client.stop();
      await stopped;
      client.close();
    });
    const failure = new Promise<mqtt5.ConnectionFailureEvent>((resolve) => client.once('connectionFailure', resolve));
    client.start();
    const f = await failure;
    assert.match(String(f.error), /AWS_ERROR_MQTT5_CONNACK_CONNECTION_REFUSED/);
    assert.strictEqual(f.connack?.reasonCode, 0x84);
    const d = await logged;
    assert.strictEqual(d.decidedBy, 'transport');
    assert.strictEqual(d.answer, 'CONNACK 0x84 (unsupported protocol version)');
    assert.match(d.reason, /MQTT 5 is not supported/);
  });

  test('the local endpoint\'s Device SDK for JavaScript snippet runs as written: published with an allowed token, exit 1 "refused" without iot:Connect', async () => {
    const snippet = localEndpointSnippets(url, [{ name: AUTHORIZER, tokenKeyName: TOKEN_KEY, signingDisabled: false, privateKeyFile: keys.privateKey }], {
      region: REGION, topic: 'devices/snippet', mqtts: { url: `mqtts://127.0.0.1:${mqtts.port}`, caFile: mqtts.caFile },
    }).find((s) => s.kind === 'device-sdk-js');
    assert.ok(snippet);
    const run = (token: string, clientId: string) =>
      spawnSync('bash', ['-c', snippet.text.replace("TOKEN='my-token'", `TOKEN='${token}'`).replace("CLIENT_ID='my-device'", `CLIENT_ID='${clientId}'`)], {
        cwd: REPO_ROOT, encoding: 'utf8', timeout: 60000,
      });
    const published = nextDecision((d) => d.request.method === 'PUBLISH' && d.request.clientId === 'snippet-dev');
    const ok = run('connect-snippet', 'snippet-dev');
    assert.strictEqual(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^published$/m);
    assert.strictEqual((await published).allowed, true);
    assert.match(lastEvent().protocolData.mqtt.username, /&SDK=IoTDeviceSDK\/JS&Platform=/);

    const refused = run('noconnect', 'snippet-refused');
    assert.strictEqual(refused.status, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /refused: .*see the endpoint's decisions/);
  });

  test('the browser build: wss://HOST:PORT/mqtt with no credentials in the URL or headers, sub-protocol mqttv3.1, credentials in the username; refused without iot:Connect', async () => {
    const runBrowser = (clientId: string, token: string): Promise<Record<string, unknown>> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['-e', BROWSER_CLIENT, HOST, String(httpsPort), mqtts.caFile, clientId, token, sign(token)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
        child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
        child.once('exit', (code) => {
          const line = out.trim().split('\n').pop() ?? '';
          try {
            resolve(JSON.parse(line) as Record<string, unknown>);
          } catch {
            reject(new Error(`browser client exited ${code}: ${out}${err}`));
          }
        });
      });
    const token = 'connect-browser';
    const logged = nextDecision((d) => d.request.method === 'CONNECT' && d.request.clientId === 'browser-dev');
    const published = nextDecision((d) => d.request.method === 'PUBLISH' && d.request.clientId === 'browser-dev');
    // aws-crt dist.browser/browser/aws_iot.js with_custom_authorizer sets websocket.protocol to
    // "wss-custom-auth": a URL-factory choice (ws.js create_websocket_url: wss://host:port/mqtt, no
    // SigV4 query), not a WebSocket sub-protocol; create_websocket_stream offers ['mqttv3.1'].
    assert.deepStrictEqual(await runBrowser('browser-dev', token), { connected: true, protocol: 'wss-custom-auth' });
    const d = await logged;
    assert.strictEqual(d.allowed, true, d.reason);
    assert.strictEqual(d.request.credentialsIn, 'mqtt-username');
    assert.strictEqual(d.request.queryString, undefined);
    assert.strictEqual((await published).allowed, true);
    const event = lastEvent();
    assert.strictEqual(event.protocolData.http?.headers['sec-websocket-protocol'], 'mqttv3.1');
    assert.ok(!Object.keys(event.protocolData.http?.headers ?? {}).some((h) => h.startsWith('x-amz-customauthorizer')), 'no credentials in headers');
    // The browser build's metrics (dist.browser/browser/aws_iot_metrics.js): Platform=Browser.
    assert.ok(event.protocolData.mqtt.username.startsWith(`browser?x-amz-customauthorizer-name=${AUTHORIZER}&x-amz-customauthorizer-signature=${encodeURIComponent(sign(token))}&${TOKEN_KEY}=${token}&SDK=IoTDeviceSDK/JS&Platform=Browser&Metadata=(`), event.protocolData.mqtt.username);

    const refusedLogged = nextDecision((d) => d.request.method === 'CONNECT' && d.request.clientId === 'browser-no');
    const refused = await runBrowser('browser-no', 'noconnect');
    assert.ok(typeof refused.refused === 'string', JSON.stringify(refused));
    assert.strictEqual((await refusedLogged).allowed, false);
  });

  test('a WebSocket client that offers the sub-protocol "wss-custom-auth" gets it, and connects with credentials only in the CONNECT username', async () => {
    const token = 'connect-subprotocol';
    let socket: WebSocket | undefined;
    const client = mqttJs.connect(`${url.replace(/^http/, 'ws')}/mqtt`, {
      protocolVersion: 4, clientId: 'ws-sub', reconnectPeriod: 0, password: 'pw',
      username: `device?x-amz-customauthorizer-name=${AUTHORIZER}&${TOKEN_KEY}=${token}&x-amz-customauthorizer-signature=${encodeURIComponent(sign(token))}`,
      createWebsocket: (wsUrl: string) => (socket = new WebSocket(wsUrl, ['wss-custom-auth'])),
    });
    client.on('error', () => undefined);
    cleanups.push(() => void client.end(true));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('close', () => reject(new Error('closed before CONNACK')));
    });
    assert.strictEqual(socket?.protocol, 'wss-custom-auth');
    const published = nextDecision((d) => d.request.method === 'PUBLISH' && d.request.clientId === 'ws-sub');
    await client.publishAsync('devices/sub', 'x', { qos: 1 });
    assert.strictEqual((await published).allowed, true);

    const refused = mqttJs.connect(`${url.replace(/^http/, 'ws')}/mqtt`, {
      protocolVersion: 4, clientId: 'ws-sub-no', reconnectPeriod: 0,
      username: `device?x-amz-customauthorizer-name=${AUTHORIZER}&${TOKEN_KEY}=noconnect&x-amz-customauthorizer-signature=${encodeURIComponent(sign('noconnect'))}`,
      createWebsocket: (wsUrl: string) => new WebSocket(wsUrl, ['wss-custom-auth']),
    });
    refused.on('error', () => undefined);
    cleanups.push(() => void refused.end(true));
    assert.strictEqual(await new Promise((resolve) => (refused.once('connect', () => resolve('connected')), refused.once('close', () => resolve('closed')))), 'closed');
  });
});
