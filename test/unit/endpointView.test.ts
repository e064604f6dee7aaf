// The "Local endpoint" node and status-bar item as built from the host's status and the
// decision stream (pure model), the failure messages, and the local-endpoint snippets: the
// curl snippet run by bash with the real curl and openssl against an in-process endpoint on the
// example workspace, the AWS CLI lines read back as argv.
import * as assert from 'assert';
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { AUTHORIZER_NAME_PARAM, SIGNATURE_PARAM } from '../../src/core/constants';
import type { EndpointDecision } from '../../src/core/decisions';
import { httpPublishFromRun, localEndpointSnippets, topicUrlPath } from '../../src/core/snippets';
import { parseQueryParams } from '../../src/core/credentials';
import { EXAMPLE_REQUESTS, fixtureRun } from './runFixtures';
import type { InvocationResult } from '../../src/core/result';
import { LocalEndpoint } from '../../src/endpoint';
import { EndpointStatus, explainEndpointFailure } from '../../src/vscode/endpointHost';
import { decisionView, ENDPOINT_TREE_DECISIONS, endpointChildren, endpointRootView, endpointStatusBarView } from '../../src/vscode/endpointView';

const root = path.resolve(__dirname, '../../..');
const URL_A = 'http://127.0.0.1:4501';
const running: EndpointStatus = { state: 'running', pid: 42, url: URL_A, port: 4501, authorizers: ['ExampleTokenAuthorizer'], workspace: '/ws' };

function decision(i: number, over: Partial<EndpointDecision> = {}, url = URL_A): EndpointDecision {
  const id = `d${i}`;
  return {
    id,
    at: new Date(Date.UTC(2026, 0, 1, 10, 0, i)).toISOString(),
    kind: 'publish',
    connectionId: `t${i}`,
    allowed: i % 2 === 0,
    headline: `headline ${i}`,
    stage: i % 2 === 0 ? 'policy' : 'signature',
    topic: `devices/s${i}/temp`,
    run: { id, target: { kind: 'endpoint', url }, headline: `run ${i}` } as unknown as InvocationResult,
    ...over,
  };
}

suite('local endpoint: tree model and status bar', () => {
  test('the root node says the state, with the context value the Start/Stop menus match', () => {
    assert.deepStrictEqual(
      (['stopped', 'starting', 'running', 'failed'] as const).map((state) => {
        const status: EndpointStatus =
          state === 'running' ? running : state === 'failed' ? { state, reason: 'Port 4501 on 127.0.0.1 is already in use.', fix: 'Set it to 0.' } : state === 'starting' ? { state, workspace: '/ws' } : { state };
        const v = endpointRootView(status);
        return [v.contextValue, v.description, v.expandable];
      }),
      [
        ['endpoint.stopped', 'stopped', false],
        ['endpoint.starting', 'starting…', false],
        ['endpoint.running', `running at ${URL_A}`, true],
        ['endpoint.failed', 'failed: Port 4501 on 127.0.0.1 is already in use.', false],
      ],
    );
    assert.match(endpointRootView({ state: 'failed', reason: 'r', fix: 'Set it to 0.' }).tooltip, /Set it to 0\./);
  });

  test('children only while running: address, registered authorizers, this endpoint\'s decisions newest first, at most 20', () => {
    assert.deepStrictEqual(endpointChildren({ state: 'stopped' }, [decision(1)]), []);
    const recent = [decision(30, {}, 'http://127.0.0.1:9999'), ...Array.from({ length: 25 }, (_, i) => decision(25 - i))];
    const children = endpointChildren(running, recent);
    assert.deepStrictEqual(children.slice(0, 2), [
      { kind: 'address', label: 'Address', description: URL_A, url: URL_A },
      { kind: 'registered', label: 'ExampleTokenAuthorizer', description: 'registered from iot-authorizer.json' },
    ]);
    const group = children[2];
    assert.ok(group.kind === 'decisions');
    assert.strictEqual(group.decisions.length, ENDPOINT_TREE_DECISIONS);
    assert.deepStrictEqual(group.decisions.map((d) => d.runId), Array.from({ length: 20 }, (_, i) => `d${25 - i}`), 'another endpoint\'s decision is left out');
    assert.strictEqual(group.decisions[0].label, 'deny · signature · devices/s25/temp');
    assert.strictEqual(group.decisions[1].label, 'allow · policy · devices/s24/temp');
    assert.strictEqual(group.decisions[0].description, '10:00:25');
  });

  test('no registered authorizer and no decision yet are said as such', () => {
    const children = endpointChildren({ ...running, authorizers: [] }, []);
    assert.deepStrictEqual(children.map((c) => [c.kind, c.label, c.description]), [
      ['address', 'Address', URL_A],
      ['message', 'No authorizers registered', 'iot-authorizer.json lists none'],
      ['decisions', 'Recent decisions', 'none yet: publish to the address'],
    ]);
  });

  test('with an MQTT listener: the live connections, sorted by client id, with principal, since, next refresh and disconnect at', () => {
    const mqttRunning: EndpointStatus = { ...running, mqttUrl: 'mqtt://127.0.0.1:1883' };
    const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 10, m, 0)).toISOString();
    const conn = (clientId: string, principalId: string) => ({
      clientId, principalId, authorizer: 'ExampleTokenAuthorizer', protocol: 'mqtt' as const, connectedAt: at(0), nextRefreshAt: at(5), disconnectAt: new Date(Date.UTC(2026, 0, 2, 10, 0, 0)).toISOString(),
    });
    const none = endpointChildren(mqttRunning, [], undefined, []);
    assert.deepStrictEqual(none.map((c) => [c.kind, c.description]).slice(-1), [['connections', 'none: connect to mqtt://127.0.0.1:1883']]);
    const children = endpointChildren(mqttRunning, [], undefined, [conn('sensor2', 'p2'), conn('sensor1', 'p1')]);
    const group = children[children.length - 1];
    assert.ok(group.kind === 'connections');
    assert.strictEqual(group.description, '2 live at mqtt://127.0.0.1:1883');
    assert.deepStrictEqual(group.connections.map((c) => [c.clientId, c.label, c.description]), [
      ['sensor1', 'sensor1', 'p1 · since 10:00:00 · refresh 10:05:00'],
      ['sensor2', 'sensor2', 'p2 · since 10:00:00 · refresh 10:05:00'],
    ]);
    assert.match(group.connections[0].tooltip, /Connected since: 2026-01-01T10:00:00Z\nNext refresh: 2026-01-01T10:05:00Z\nDisconnect at: 2026-01-02T10:00:00Z/);
    assert.match(group.connections[0].tooltip, /Principal: p1 \(authorizer ExampleTokenAuthorizer\)/);
    assert.ok(!endpointChildren(running, [], undefined, [conn('x', 'y')]).some((c) => c.kind === 'connections'), 'no MQTT listener, no connections node');
  });

  test('a decision without a topic or a run still gets a label, and no click target', () => {
    const v = decisionView(decision(3, { topic: undefined, stage: undefined, run: undefined }));
    assert.strictEqual(v.label, 'deny · publish · (no topic)');
    assert.strictEqual(v.runId, undefined);
  });

  test('a connection decision (no topic) names its operation and client', () => {
    assert.strictEqual(decisionView(decision(4, { kind: 'connect', topic: undefined, clientId: 'sensor7' })).label, 'allow · policy · connect sensor7');
    assert.strictEqual(decisionView(decision(5, { kind: 'disconnect', topic: undefined, clientId: 'sensor7', stage: 'transport' })).label, 'ended · transport · disconnect sensor7');
    assert.strictEqual(decisionView(decision(6, { kind: 'disconnect', topic: undefined, clientId: 'sensor7' })).ended, true);
    assert.strictEqual(decisionView(decision(7, { kind: 'refresh', topic: undefined, clientId: 'sensor7' })).ended, false, 'a refused refresh is a refusal');
  });

  test('the status bar is hidden while stopped and names the port while running', () => {
    assert.strictEqual(endpointStatusBarView({ state: 'stopped' }), undefined);
    assert.strictEqual(endpointStatusBarView(running)?.text, '$(radio-tower) Endpoint :4501');
    assert.strictEqual(endpointStatusBarView({ state: 'failed', reason: 'r', fix: 'f' })?.error, true);
  });

  test('a port in use and a crash are explained with what to do', () => {
    const inUse = explainEndpointFailure('iot-authz: error: listen EADDRINUSE: address already in use 127.0.0.1:4501\n', 1, null, 4501);
    assert.strictEqual(inUse.reason, 'Port 4501 on 127.0.0.1 is already in use.');
    assert.match(inUse.fix, /iotAuthz\.endpoint\.port" to 0/);
    const crash = explainEndpointFailure('', null, 'SIGKILL', 0);
    assert.match(crash.reason, /signal SIGKILL/);
    assert.match(crash.fix, /Show Output/);
  });
});

suite('local endpoint: connection snippets', () => {
  const authorizer = { name: 'ExampleTokenAuthorizer', tokenKeyName: 'X-Example-Token', signingDisabled: false, privateKeyFile: '.iot-authz/keys/example/private_key.pem' };

  test('the AWS CLI lines point every call at the local address with throwaway credentials', () => {
    const cli = localEndpointSnippets(URL_A, [authorizer], { region: 'us-east-1' }).find((s) => s.kind === 'aws-cli');
    assert.ok(cli);
    const script = `aws() { printf '%s\\0' "$@"; printf '\\n'; }\nTOKEN=t; SIGNATURE='a+b/c='\n${cli.text}\necho "$AWS_ACCESS_KEY_ID $AWS_REGION"`;
    const out = execFileSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } }).trim().split('\n');
    const calls = out.slice(0, -1).map((l) => l.split('\0').slice(0, -1));
    assert.deepStrictEqual(calls.map((c) => c.slice(0, 4)), [
      ['--endpoint-url', URL_A, 'iot', 'list-authorizers'],
      ['--endpoint-url', URL_A, 'lambda', 'list-functions'],
      ['--endpoint-url', URL_A, 'iot', 'describe-authorizer'],
      ['--endpoint-url', URL_A, 'iot', 'test-invoke-authorizer'],
    ]);
    assert.deepStrictEqual(calls[3].slice(4), ['--authorizer-name', 'ExampleTokenAuthorizer', '--token', 't', '--token-signature', 'a+b/c=']);
    assert.strictEqual(out[out.length - 1], 'local us-east-1');
  });

  test('curl: the snippet, with its token edited, publishes through the real endpoint (signed with openssl) and is refused with a token the handler refuses', async function () {
    this.timeout(30000);
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-endpoint-snippet-'));
    fs.cpSync(path.join(root, 'examples/workspace'), ws, { recursive: true });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require(path.join(root, 'scripts/ensure-example-key.js')) as { ensureExampleKey: (dir: string) => boolean }).ensureExampleKey(ws);
    const endpoint = await LocalEndpoint.start({ port: 0, workspace: ws });
    try {
      const url = endpoint.listeners[0].url;
      const [curl] = localEndpointSnippets(url, [authorizer], { region: 'us-east-1', topic: 'devices/sensor1/temp' });
      assert.strictEqual(curl.kind, 'curl');
      assert.ok(curl.text.includes(AUTHORIZER_NAME_PARAM) && curl.text.includes(SIGNATURE_PARAM));
      const run = async (token: string) =>
        (await promisify(execFile)('bash', ['-c', `${curl.text.replace("TOKEN='my-token'", `TOKEN='${token}'`)} -w ' %{http_code}'`], { cwd: ws })).stdout;
      assert.match(await run('allow-sensor1'), /"message":"OK".* 200$/);
      assert.match(await run('my-token'), /"message":"Forbidden".* 403$/);
    } finally {
      await endpoint.stop();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});

suite('local endpoint: MQTT snippets', () => {
  const authorizer = { name: 'ExampleTokenAuthorizer', tokenKeyName: 'X-Example-Token', signingDisabled: false, privateKeyFile: '.iot-authz/keys/example/private_key.pem' };

  test('mosquitto_pub and mqtt.js snippets, with token and client id edited, publish through the real endpoint\'s MQTT listener; a refused token fails', async function () {
    this.timeout(60000);
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-endpoint-mqtt-snippet-'));
    fs.cpSync(path.join(root, 'examples/workspace'), ws, { recursive: true });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require(path.join(root, 'scripts/ensure-example-key.js')) as { ensureExampleKey: (dir: string) => boolean }).ensureExampleKey(ws);
    const endpoint = await LocalEndpoint.start({ port: 0, mqttPort: 0, workspace: ws });
    try {
      const mqttUrl = endpoint.listeners.find((l) => l.protocol === 'mqtt')?.url as string;
      assert.ok(!localEndpointSnippets(endpoint.url, [authorizer], { region: 'us-east-1' }).some((sn) => sn.kind === 'mosquitto_pub'), 'no MQTT port, no MQTT snippet');
      const snippets = localEndpointSnippets(endpoint.url, [authorizer], { region: 'us-east-1', topic: 'devices/sensor1/temp', mqttUrl });
      const mosquitto = snippets.find((sn) => sn.kind === 'mosquitto_pub');
      const js = snippets.find((sn) => sn.kind === 'mqtt.js');
      assert.ok(mosquitto && js);
      assert.ok(mosquitto.text.includes(`-p ${mqttUrl.split(':').pop()}`), mosquitto.text);
      const run = (text: string, token: string, clientId: string) =>
        promisify(execFile)('bash', ['-c', text.replace("TOKEN='my-token'", `TOKEN='${token}'`).replace("CLIENT_ID='my-device'", `CLIENT_ID='${clientId}'`)], {
          cwd: ws,
          env: { ...process.env, NODE_PATH: path.join(root, 'node_modules') },
        }).then((r) => ({ code: 0, out: r.stdout + r.stderr }), (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }));
      const published = () => endpoint.context.messages.recent({ topic: 'devices/sensor1/temp' }).filter((m) => m.via === 'mqtt').length;
      assert.strictEqual((await run(mosquitto.text, 'allow-sensor1', 'sensor1')).code, 0);
      assert.strictEqual(published(), 1);
      const ok = await run(js.text, 'allow-sensor1', 'sensor1');
      assert.strictEqual(ok.code, 0, ok.out);
      assert.match(ok.out, /published/);
      assert.strictEqual(published(), 2);
      assert.notStrictEqual((await run(mosquitto.text, 'my-token', 'sensor1')).code, 0);
      const refused = await run(js.text, 'my-token', 'sensor1');
      assert.strictEqual(refused.code, 1, refused.out);
      assert.match(refused.out, /closed without publishing: refused/);
      assert.strictEqual(published(), 2);
    } finally {
      await endpoint.stop();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});

suite('local endpoint: a run as an HTTP publish ("Run against endpoint")', () => {
  const KEY = 'X-Example-Token';
  const lower = (h: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

  test('an HTTP run keeps its headers and query string; an MQTT run\'s credentials move to headers; a WebSocket run\'s stay in the query', async () => {
    const http = await fixtureRun({ request: EXAMPLE_REQUESTS.httpPublish });
    const h = httpPublishFromRun(http, { tokenKeyName: KEY });
    assert.ok(!('error' in h));
    assert.strictEqual(h.path, `/topics/${topicUrlPath(h.topic)}?qos=1`);
    const hh = lower(h.headers);
    assert.strictEqual(hh[KEY.toLowerCase()], 'allow-sensor1');
    assert.strictEqual(hh[AUTHORIZER_NAME_PARAM], 'ExampleTokenAuthorizer');
    assert.strictEqual(hh['content-type'], 'application/json');
    assert.strictEqual(hh[SIGNATURE_PARAM], http.request.wire?.headers?.[SIGNATURE_PARAM] ?? lower(http.request.wire?.headers ?? {})[SIGNATURE_PARAM]);

    const mqtt = httpPublishFromRun(await fixtureRun({ request: EXAMPLE_REQUESTS.mqttConnect }), { tokenKeyName: KEY });
    assert.ok(!('error' in mqtt));
    assert.strictEqual(mqtt.path, '/topics/devices/sensor1/example?qos=1');
    assert.deepStrictEqual(Object.keys(lower(mqtt.headers)).sort(), [AUTHORIZER_NAME_PARAM, KEY.toLowerCase(), SIGNATURE_PARAM].sort());

    const wss = httpPublishFromRun(await fixtureRun({ request: EXAMPLE_REQUESTS.wssBrowser }), { tokenKeyName: KEY });
    assert.ok(!('error' in wss));
    const query = parseQueryParams(wss.path.slice(wss.path.indexOf('?') + 1));
    assert.deepStrictEqual(query.map(([k]) => k), ['qos', AUTHORIZER_NAME_PARAM, KEY, SIGNATURE_PARAM]);
    assert.strictEqual(query.find(([k]) => k === KEY)?.[1], 'allow-sensor1');
    assert.deepStrictEqual(wss.headers, {});
  });

  test('the authorizer name is added when the request does not carry it; a run without a request says why it cannot be sent', async () => {
    const run = await fixtureRun({ request: EXAMPLE_REQUESTS.mqttConnect });
    const unnamed = { ...run, request: { ...run.request, wire: { ...run.request.wire!, mqtt: { ...run.request.wire!.mqtt!, username: 'sensor1' } } } };
    const r = httpPublishFromRun(unnamed, { tokenKeyName: KEY });
    assert.ok(!('error' in r));
    assert.deepStrictEqual(r.headers, { [AUTHORIZER_NAME_PARAM]: 'ExampleTokenAuthorizer' });
    const none = httpPublishFromRun({ ...run, request: { protocol: 'mqtt' } });
    assert.ok('error' in none && /no request to send/.test(none.error));
  });
});
