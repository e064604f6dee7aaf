// Connection snippets: each shell snippet is run by bash with the program replaced by a
// function that prints its arguments, and each URL / username is parsed back the way AWS IoT
// (and the local runtime) reads it, so quoting and URL-encoding are checked, not eyeballed.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import { AUTHORIZER_NAME_PARAM, SIGNATURE_PARAM } from '../../src/core/constants';
import { extractCredentials, parseMqttUsername } from '../../src/core/credentials';
import { importPublicKey } from '../../src/core/keys';
import {
  ConnectionSnippet,
  connectionSnippets,
  DEFAULT_SNIPPET_TOPIC,
  inferTokenKeyName,
  shellQuote,
  SnippetKind,
  SnippetRequest,
  snippetRequestFromRun,
  topicUrlPath,
} from '../../src/core/snippets';
import { verifyToken } from '../../src/core/tokens';
import { fixture } from './keyFixtures';
import { EXAMPLE_REQUESTS, fixtureRun } from './runFixtures';

const SIGNATURE = 'ab+c/d+/ef==';
const TOKEN = 'allow sensor 1 & more=yes';
const KEY = 'X-Example-Token';
const ENDPOINT = 'abc123-ats.iot.eu-west-1.amazonaws.com';

function request(over: Partial<SnippetRequest> = {}): SnippetRequest {
  return {
    endpoint: ENDPOINT,
    credentials: { authorizerName: 'ExampleTokenAuthorizer', tokenKeyName: KEY, token: TOKEN, signature: SIGNATURE },
    credentialsIn: 'headers',
    authorizer: 'ExampleTokenAuthorizer',
    clientId: 'sensor1',
    hasPassword: false,
    topic: 'devices/sensor1/up',
    protocol: 'mqtt',
    ...over,
  };
}

function snippet(r: SnippetRequest, kind: SnippetKind): ConnectionSnippet {
  const s = connectionSnippets(r).find((x) => x.kind === kind);
  assert.ok(s, `no ${kind} snippet`);
  return s;
}

/** The argv bash passes to `program` when it runs the snippet (program replaced by a printer). */
function argvOf(text: string, program: string, env: Record<string, string> = {}): string[] {
  const script = `${program}() { printf '%s\\0' "$@"; }\n${text}\n`;
  const out = execFileSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', ...env } });
  return out.split('\0').slice(0, -1);
}

function after(argv: string[], flag: string): string {
  const i = argv.indexOf(flag);
  assert.ok(i >= 0 && i + 1 < argv.length, `${flag} missing in ${JSON.stringify(argv)}`);
  return argv[i + 1];
}

/** mqtt.js snippet run with a fake `mqtt` module: returns what it passes to connect(). */
function mqttConnectCall(text: string, env: Record<string, string> = {}): { url: string; options: Record<string, unknown> } {
  let call: { url: string; options: Record<string, unknown> } | undefined;
  const fakeClient = { on: () => fakeClient, publish: () => undefined, end: () => undefined };
  const fakeRequire = (name: string) => {
    assert.strictEqual(name, 'mqtt');
    return { connect: (url: string, options: Record<string, unknown>) => ((call = { url, options }), fakeClient) };
  };
  new Function('require', 'process', 'console', text)(fakeRequire, { env }, console);
  assert.ok(call, 'the snippet never calls mqtt.connect');
  return call;
}

suite('connection snippets', () => {
  test('shellQuote survives quotes, spaces, $, backticks, backslashes and newlines in bash', () => {
    const nasty = `it's $HOME \`id\` a\\b "q" \n& | ; *`;
    assert.deepStrictEqual(argvOf(`show ${shellQuote(nasty)} ${shellQuote('')}`, 'show'), [nasty, '']);
  });

  test('topics go into the /topics/ path level by level, "/" kept', () => {
    assert.strictEqual(topicUrlPath('devices/sensor 1/a+b#'), 'devices/sensor%201/a%2Bb%23');
  });

  test('curl: credentials as raw headers, the signature with + / = and the token with spaces reach curl unchanged', () => {
    const argv = argvOf(snippet(request({ protocol: 'http' }), 'curl').text, 'curl');
    const headers = argv.filter((_, i) => argv[i - 1] === '-H');
    assert.ok(headers.includes(`${SIGNATURE_PARAM}: ${SIGNATURE}`), headers.join('\n'));
    assert.ok(headers.includes(`${KEY}: ${TOKEN}`), headers.join('\n'));
    assert.ok(headers.includes(`${AUTHORIZER_NAME_PARAM}: ExampleTokenAuthorizer`));
    assert.strictEqual(after(argv, '-X'), 'POST');
    assert.strictEqual(argv[argv.indexOf('POST') + 1], `https://${ENDPOINT}/topics/devices/sensor1/up?qos=1`);
    assert.ok(JSON.parse(after(argv, '--data')).message);
  });

  test('curl: credentials in the query string are URL-encoded so a server decodes the exact signature and token', () => {
    const argv = argvOf(snippet(request({ protocol: 'http', credentialsIn: 'query' }), 'curl').text, 'curl');
    const url = new URL(argv[argv.indexOf('POST') + 1]);
    assert.match(url.search, /%2B/);
    assert.match(url.search, /%2F/);
    assert.match(url.search, /%3D%3D/);
    assert.ok(!url.search.includes(' '));
    // Both readers: AWS-style form decoding (credentials.ts) and the WHATWG URL parser.
    const read = extractCredentials({ queryString: url.search }, KEY);
    assert.deepStrictEqual([read.token, read.signature, read.authorizerName], [TOKEN, SIGNATURE, 'ExampleTokenAuthorizer']);
    assert.strictEqual(url.searchParams.get(SIGNATURE_PARAM), SIGNATURE);
    assert.strictEqual(url.searchParams.get(KEY), TOKEN);
    assert.strictEqual(url.searchParams.get('qos'), '1');
  });

  test('mosquitto_pub: port 443 with ALPN mqtt, the username carries encoded credentials that decode exactly', () => {
    const argv = argvOf(snippet(request({ usernameBase: 'sensor1' }), 'mosquitto_pub').text, 'mosquitto_pub');
    assert.strictEqual(after(argv, '-p'), '443');
    assert.strictEqual(after(argv, '--tls-alpn'), 'mqtt');
    assert.strictEqual(after(argv, '-h'), ENDPOINT);
    assert.strictEqual(after(argv, '-i'), 'sensor1');
    assert.strictEqual(after(argv, '-t'), 'devices/sensor1/up');
    const username = after(argv, '-u');
    assert.ok(!username.includes('+') && !username.includes(' '), username);
    const { base, params } = parseMqttUsername(username);
    assert.strictEqual(base, 'sensor1');
    const read = extractCredentials({ mqttUsername: username }, KEY);
    assert.deepStrictEqual([read.token, read.signature, read.authorizerName], [TOKEN, SIGNATURE, 'ExampleTokenAuthorizer']);
    assert.deepStrictEqual(params.map(([k]) => k), [AUTHORIZER_NAME_PARAM, KEY, SIGNATURE_PARAM]);
    assert.ok(!argv.includes('-P'), 'no password flag when the run sent none');
  });

  test('mosquitto_pub and mqtt.js read the MQTT password from $MQTT_PASSWORD; no snippet holds a password', () => {
    const r = request({ hasPassword: true });
    const mosquitto = snippet(r, 'mosquitto_pub').text;
    assert.strictEqual(after(argvOf(mosquitto, 'mosquitto_pub', { MQTT_PASSWORD: 'from env' }), '-P'), 'from env');
    const call = mqttConnectCall(snippet(r, 'mqtt.js').text, { MQTT_PASSWORD: 'from env' });
    assert.strictEqual(call.options.password, 'from env');
    assert.match(snippet(r, 'aws-cli').text, /password is not kept/);
  });

  test('mqtt.js over TLS: mqtts on 443 with ALPN mqtt and the same decodable username', () => {
    const call = mqttConnectCall(snippet(request(), 'mqtt.js').text);
    assert.strictEqual(call.url, `mqtts://${ENDPOINT}:443`);
    assert.deepStrictEqual(call.options.ALPNProtocols, ['mqtt']);
    assert.strictEqual(call.options.clientId, 'sensor1');
    const read = extractCredentials({ mqttUsername: call.options.username as string }, KEY);
    assert.deepStrictEqual([read.token, read.signature], [TOKEN, SIGNATURE]);
  });

  test('mqtt.js for a WebSocket run with query credentials connects to wss://<endpoint>/mqtt?<encoded credentials>', () => {
    const call = mqttConnectCall(snippet(request({ protocol: 'mqtt-wss', credentialsIn: 'query' }), 'mqtt.js').text);
    const url = new URL(call.url);
    assert.strictEqual(`${url.protocol}//${url.host}${url.pathname}`, `wss://${ENDPOINT}/mqtt`);
    assert.strictEqual(url.searchParams.get(SIGNATURE_PARAM), SIGNATURE);
    assert.strictEqual(url.searchParams.get(KEY), TOKEN);
    assert.strictEqual(call.options.ALPNProtocols, undefined);
  });

  test('browser WebSocket URL: a browser (URLSearchParams) and AWS (form decoding) both read the exact values', () => {
    const text = snippet(request(), 'websocket-url').text;
    const url = new URL(text);
    assert.strictEqual(url.protocol, 'wss:');
    assert.strictEqual(url.pathname, '/mqtt');
    assert.strictEqual(url.searchParams.get(SIGNATURE_PARAM), SIGNATURE);
    assert.strictEqual(url.searchParams.get(KEY), TOKEN);
    const read = extractCredentials({ queryString: url.search }, KEY);
    assert.deepStrictEqual([read.token, read.signature], [TOKEN, SIGNATURE]);
  });

  test('AWS CLI: token and signature as plain arguments (never URL-encoded), contexts as JSON', () => {
    const argv = argvOf(snippet(request({ mqttUsername: 'sensor1?x=1' }), 'aws-cli').text, 'aws');
    assert.deepStrictEqual(argv.slice(0, 2), ['iot', 'test-invoke-authorizer']);
    assert.strictEqual(after(argv, '--authorizer-name'), 'ExampleTokenAuthorizer');
    assert.strictEqual(after(argv, '--token'), TOKEN);
    assert.strictEqual(after(argv, '--token-signature'), SIGNATURE);
    assert.deepStrictEqual(JSON.parse(after(argv, '--mqtt-context')), { username: 'sensor1?x=1', clientId: 'sensor1' });
    assert.deepStrictEqual(JSON.parse(after(argv, '--tls-context')), { serverName: ENDPOINT });
  });

  test('a request without a token still gets curl, mosquitto_pub and the CLI, but no WebSocket URL', () => {
    const kinds = connectionSnippets(request({ credentials: undefined, mqttUsername: 'plain-user' })).map((s) => s.kind);
    assert.deepStrictEqual(kinds, ['curl', 'mosquitto_pub', 'mqtt.js', 'aws-cli']);
    const argv = argvOf(snippet(request({ credentials: undefined, mqttUsername: 'plain-user' }), 'mosquitto_pub').text, 'mosquitto_pub');
    assert.strictEqual(after(argv, '-u'), 'plain-user');
  });

  suite('from a run', () => {
    const publicKey = importPublicKey(fixture('rsa2048_public_key.pem')).keyObject;

    test('an MQTT run: credentials read back from its username verify, and the topic is one the policy allows', async () => {
      const run = await fixtureRun({ request: EXAMPLE_REQUESTS.mqttConnect });
      const r = snippetRequestFromRun(run, { tokenKeyName: KEY });
      assert.ok(r?.credentials?.signature);
      assert.strictEqual(r.credentials.token, 'allow-sensor1');
      assert.strictEqual(r.usernameBase, 'sensor1');
      assert.strictEqual(r.topic, 'devices/sensor1/example');
      assert.strictEqual(r.endpoint, run.request.wire?.serverName);
      const argv = argvOf(snippet(r, 'mosquitto_pub').text, 'mosquitto_pub');
      const read = extractCredentials({ mqttUsername: after(argv, '-u') }, KEY);
      assert.ok(read.token && read.signature);
      assert.ok(verifyToken(read.token, read.signature, [{ name: 'example', pem: publicKey }]).valid);
      const curlArgv = argvOf(snippet(r, 'curl').text, 'curl');
      const sig = curlArgv.find((a) => a.startsWith(`${SIGNATURE_PARAM}: `))?.slice(SIGNATURE_PARAM.length + 2);
      assert.ok(sig && verifyToken('allow-sensor1', sig, [{ name: 'example', pem: publicKey }]).valid);
    });

    test('the token key name is inferred from where the token travelled when the project is not read', async () => {
      for (const request of [EXAMPLE_REQUESTS.httpPublish, EXAMPLE_REQUESTS.wssBrowser, EXAMPLE_REQUESTS.mqttConnect]) {
        const run = await fixtureRun({ request });
        assert.strictEqual(inferTokenKeyName(run.request.wire!, run.request.token), KEY);
        assert.strictEqual(snippetRequestFromRun(run)?.credentials?.tokenKeyName, KEY);
      }
    });

    test('a WebSocket run keeps its query placement; a denied run falls back to the default topic', async () => {
      const wss = snippetRequestFromRun(await fixtureRun({ request: EXAMPLE_REQUESTS.wssBrowser }));
      assert.strictEqual(wss?.credentialsIn, 'query');
      assert.strictEqual(wss?.protocol, 'mqtt-wss');
      const denied = snippetRequestFromRun(await fixtureRun({ request: EXAMPLE_REQUESTS.mqttWrongClient }));
      assert.strictEqual(denied?.topic, DEFAULT_SNIPPET_TOPIC);
      assert.strictEqual(denied?.clientId, 'sensor2');
    });

    test('a run without a wire request has no snippets', async () => {
      const run = await fixtureRun({ request: EXAMPLE_REQUESTS.mqttConnect });
      assert.strictEqual(snippetRequestFromRun({ ...run, request: { protocol: 'mqtt' } }), undefined);
    });
  });
});
