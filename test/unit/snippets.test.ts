// Connection snippets: each shell snippet is run by bash with the program replaced by a
// function that prints its arguments, and each URL / username is parsed back the way AWS IoT
// (and the local runtime) reads it, so quoting and URL-encoding are checked, not eyeballed.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AUTHORIZER_NAME_PARAM, SIGNATURE_PARAM } from '../../src/core/constants';
import { extractCredentials, parseMqttUsername } from '../../src/core/credentials';
import { importPublicKey } from '../../src/core/keys';
import {
  ConnectionSnippet,
  connectionSnippets,
  DEFAULT_SNIPPET_TOPIC,
  inferTokenKeyName,
  localEndpointSnippets,
  shellQuote,
  SnippetKind,
  SnippetRequest,
  snippetRequestFromRun,
  topicUrlPath,
} from '../../src/core/snippets';
import { verifyToken } from '../../src/core/tokens';
import { fixture, fixturePath } from './keyFixtures';
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

/** What a Device SDK v2 snippet asked the SDK for, with the username the SDK builds from it. */
interface SdkUse {
  readonly factory: string;
  readonly calls: ReadonlyMap<string, unknown[]>;
  /** As with_custom_authorizer builds it (before the CRT appends its metrics). */
  readonly username: string;
  readonly published: unknown[];
}

/**
 * Runs a Device SDK v2 snippet (JavaScript, CommonJS or the browser module) against a recording
 * SDK whose with_custom_authorizer builds the username with the SDK's own functions
 * (aws-crt dist/common/aws_iot_shared.js: canonicalizeCustomAuthTokenSignature,
 * populate_username_string_with_custom_authorizer), as both its native and browser builders do.
 */
async function deviceSdkUse(text: string, env: Record<string, string> = {}): Promise<SdkUse> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const shared = require('aws-crt/dist/common/aws_iot_shared') as {
    canonicalizeCustomAuthTokenSignature(s: string): string;
    populate_username_string_with_custom_authorizer(
      current: string, username: string, name: string, sig: string | undefined, builderUsername: string | undefined, key: string, token: string,
    ): string;
  };
  const calls = new Map<string, unknown[]>();
  let factory = '';
  const published: unknown[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const builder: Record<string, (...args: unknown[]) => unknown> = new Proxy({}, {
    get: (_t, name: string) => (...args: unknown[]) => {
      calls.set(name, args);
      return name === 'build' ? { built: true } : builder;
    },
  });
  const sdk = {
    iot: { AwsIotMqttConnectionConfigBuilder: new Proxy({}, { get: (_t, name: string) => () => ((factory = name), builder) }) },
    mqtt: {
      QoS: { AtLeastOnce: 1 },
      MqttClient: class {
        new_connection() {
          return {
            connect: () => Promise.resolve(false),
            publish: (...args: unknown[]) => (published.push(args), Promise.resolve({})),
            disconnect: () => (done(), Promise.resolve()),
          };
        }
      },
    },
  };
  const fakeRequire = (name: string) => {
    assert.strictEqual(name, 'aws-iot-device-sdk-v2');
    return sdk;
  };
  const body = text.replace(/^import \{ iot, mqtt \} from 'aws-iot-device-sdk-v2';.*$/m, "const { iot, mqtt } = require('aws-iot-device-sdk-v2');");
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
  await new AsyncFunction('require', 'process', 'console', body)(fakeRequire, { env, exitCode: 0 }, { log: () => undefined, error: () => undefined });
  await finished;
  const auth = calls.get('with_custom_authorizer') as [string, string, string, string, string, string] | undefined;
  assert.ok(auth, 'the snippet never calls with_custom_authorizer');
  const [username, name, signature, , key, token] = auth;
  const built = shared.populate_username_string_with_custom_authorizer('', username, name, shared.canonicalizeCustomAuthTokenSignature(signature), undefined, key, token);
  return { factory, calls, username: built, published };
}

/** The lines between `<<'EOF'` (or `<<EOF`) and `EOF` of a shell snippet. */
function hereDocument(text: string): string {
  const m = /<<'?EOF'?\n([\s\S]*?)\nEOF/.exec(text);
  assert.ok(m, `no here-document in ${text}`);
  return m[1];
}

/** Python's own parser: the snippet is valid Python (awsiot itself cannot be installed here). */
function assertPythonParses(source: string): void {
  execFileSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: source });
}

suite('connection snippets: AWS IoT Device SDK v2 and the browser', () => {
  const r = request({ usernameBase: 'sensor1', authorizer: 'Example Authorizer', credentials: { authorizerName: 'ExampleTokenAuthorizer', tokenKeyName: KEY, token: TOKEN, signature: SIGNATURE } });

  test('JavaScript: the MQTT 3.1.1 custom-authorizer builder on the endpoint, port 443 (no override), and a username that decodes to the exact token and signature', async () => {
    const s = snippet(r, 'device-sdk-js');
    assert.strictEqual(s.language, 'javascript');
    const use = await deviceSdkUse(s.text);
    assert.strictEqual(use.factory, 'new_default_builder');
    assert.deepStrictEqual(use.calls.get('with_endpoint'), [ENDPOINT]);
    assert.deepStrictEqual(use.calls.get('with_client_id'), ['sensor1']);
    assert.ok(!use.calls.has('with_port') && !use.calls.has('with_certificate_authority_from_path'), 'AWS: with_custom_authorizer\'s port 443 and the system CAs');
    const read = extractCredentials({ mqttUsername: use.username }, KEY);
    assert.deepStrictEqual([read.authorizerName, read.token, read.signature], ['ExampleTokenAuthorizer', TOKEN, SIGNATURE]);
    assert.strictEqual(parseMqttUsername(use.username).base, 'sensor1');
    assert.deepStrictEqual(use.published[0], ['devices/sensor1/up', '{"message": "hello from the IoT Custom Authorizer Toolkit"}', 1]);
  });

  test('JavaScript reads the MQTT password from $MQTT_PASSWORD; without one it passes none', async () => {
    const withPassword = await deviceSdkUse(snippet(request({ hasPassword: true }), 'device-sdk-js').text, { MQTT_PASSWORD: 'from env' });
    assert.strictEqual((withPassword.calls.get('with_custom_authorizer') as unknown[])[3], 'from env');
    const without = await deviceSdkUse(snippet(request(), 'device-sdk-js').text);
    assert.strictEqual((without.calls.get('with_custom_authorizer') as unknown[])[3], undefined);
  });

  test('Python: direct_with_custom_authorizer with the keyword names of awsiot.mqtt_connection_builder, values URL-encoded once, valid Python', () => {
    const s = snippet(request({ hasPassword: true, usernameBase: 'sensor1' }), 'device-sdk-python');
    assert.strictEqual(s.language, 'python');
    assertPythonParses(s.text);
    assert.match(s.text, /^from awsiot import mqtt_connection_builder$/m);
    assert.match(s.text, /^connection = mqtt_connection_builder\.direct_with_custom_authorizer\($/m);
    const kw = Object.fromEntries([...s.text.matchAll(/^ {4}(\w+)=(.*),$/gm)].map((m) => [m[1], m[2]]));
    assert.deepStrictEqual(Object.keys(kw), ['endpoint', 'client_id', 'auth_username', 'auth_authorizer_name', 'auth_authorizer_signature', 'auth_token_key_name', 'auth_token_value', 'auth_password']);
    const str = (k: string) => JSON.parse(kw[k]) as string;
    assert.strictEqual(str('endpoint'), ENDPOINT);
    assert.strictEqual(kw.auth_password, 'os.environ["MQTT_PASSWORD"]');
    // The SDK appends name=value as given (_with_custom_authorizer): one decoding gives the exact values back.
    const username = `${str('auth_username')}?x-amz-customauthorizer-name=${str('auth_authorizer_name')}&x-amz-customauthorizer-signature=${str('auth_authorizer_signature')}&${str('auth_token_key_name')}=${str('auth_token_value')}`;
    const read = extractCredentials({ mqttUsername: username }, KEY);
    assert.deepStrictEqual([read.token, read.signature], [TOKEN, SIGNATURE]);
  });

  test('browser: the SDK\'s WebSocket builder with custom auth on wss://<endpoint>:443/mqtt, credentials only in the username', async () => {
    const s = snippet(r, 'browser-wss');
    const use = await deviceSdkUse(s.text);
    assert.strictEqual(use.factory, 'new_builder_for_websocket');
    assert.deepStrictEqual(use.calls.get('with_port'), [443]);
    assert.deepStrictEqual(use.calls.get('with_endpoint'), [ENDPOINT]);
    const read = extractCredentials({ mqttUsername: use.username }, KEY);
    assert.deepStrictEqual([read.token, read.signature], [TOKEN, SIGNATURE]);
    assert.match(s.text, /never hold the authorizer's private key/);
  });

  test('a request without a token gets no Device SDK or browser snippet', () => {
    const kinds = connectionSnippets(request({ credentials: undefined, mqttUsername: 'plain-user' })).map((x) => x.kind);
    assert.ok(!kinds.some((k) => k === 'device-sdk-js' || k === 'device-sdk-python' || k === 'browser-wss'), kinds.join());
  });
});

suite('local endpoint snippets: AWS IoT Device SDK v2 and the browser', () => {
  const authorizer = { name: 'ExampleTokenAuthorizer', tokenKeyName: KEY, signingDisabled: false, privateKeyFile: fixturePath('rsa2048_private_key.pem') };
  const mqtts = { url: 'mqtts://127.0.0.1:8884', caFile: '/tmp/endpoint/tls/endpoint-cert.pem' };
  const https = { url: 'https://127.0.0.1:8443', caFile: mqtts.caFile };
  const local = (options: { mqtts?: typeof mqtts; https?: typeof https } = { mqtts, https }) =>
    localEndpointSnippets('http://127.0.0.1:4567', [authorizer], { region: 'us-east-1', topic: 'devices/sensor1/temp', ...options });
  const kind = (list: ConnectionSnippet[], k: SnippetKind) => {
    const s = list.find((x) => x.kind === k);
    assert.ok(s, `no ${k} snippet`);
    return s;
  };
  const publicKey = () => importPublicKey(fixture('rsa2048_public_key.pem')).keyObject;

  test('JavaScript: the mqtts port and the printed CA file, localhost (the certificate\'s name), the SDK\'s username from $TOKEN and $SIGNATURE', async () => {
    const s = kind(local(), 'device-sdk-js');
    assert.match(s.text, /^MQTTS_PORT=8884$/m);
    assert.match(s.text, /^CA_FILE='\/tmp\/endpoint\/tls\/endpoint-cert\.pem'$/m);
    const use = await deviceSdkUse(hereDocument(s.text), { TOKEN: TOKEN, SIGNATURE, CLIENT_ID: 'sensor1', MQTTS_PORT: '8884', CA_FILE: mqtts.caFile });
    assert.deepStrictEqual(use.calls.get('with_endpoint'), ['localhost']);
    assert.deepStrictEqual(use.calls.get('with_port'), [8884]);
    assert.deepStrictEqual(use.calls.get('with_certificate_authority_from_path'), [undefined, mqtts.caFile]);
    const read = extractCredentials({ mqttUsername: use.username }, KEY);
    assert.deepStrictEqual([read.authorizerName, read.token, read.signature], ['ExampleTokenAuthorizer', TOKEN, SIGNATURE]);
  });

  test('Python: websockets_with_custom_authorizer on the HTTPS port (direct_with_custom_authorizer always uses 443), valid Python', () => {
    const s = kind(local(), 'device-sdk-python');
    assert.match(s.text, /^HTTPS_PORT=8443$/m);
    const py = hereDocument(s.text);
    assertPythonParses(py);
    assert.match(py, /^connection = mqtt_connection_builder\.websockets_with_custom_authorizer\($/m);
    assert.match(py, /^ {4}port=int\(os\.environ\["HTTPS_PORT"\]\),$/m);
    assert.match(py, /^ {4}auth_authorizer_signature=quote\(os\.environ\["SIGNATURE"\], safe=""\),$/m);
    assert.match(s.text, /direct_with_custom_authorizer always connects to port 443/);
  });

  test('browser: the shell signs the token with openssl and writes a module whose username verifies against the public key', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-browser-snippet-'));
    try {
      const s = kind(local(), 'browser-wss');
      execFileSync('bash', ['-c', s.text.replace("TOKEN='my-token'", "TOKEN='allow-sensor1'")], { cwd: dir });
      const module = fs.readFileSync(path.join(dir, 'browser-connect.js'), 'utf8');
      const use = await deviceSdkUse(module);
      assert.strictEqual(use.factory, 'new_builder_for_websocket');
      assert.deepStrictEqual(use.calls.get('with_port'), [8443]);
      const read = extractCredentials({ mqttUsername: use.username }, KEY);
      assert.strictEqual(read.token, 'allow-sensor1');
      assert.ok(read.signature && verifyToken('allow-sensor1', read.signature, [{ name: 'k', pem: publicKey() }]).valid);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an authorizer with signing disabled: the token goes into the username, no signature, and both snippets still build', async () => {
    const list = localEndpointSnippets('http://127.0.0.1:4567', [{ name: 'Open Authorizer', tokenKeyName: KEY, signingDisabled: true }], { region: 'us-east-1', mqtts, https });
    const js = kind(list, 'device-sdk-js');
    assert.ok(!js.text.includes('openssl'), js.text);
    const use = await deviceSdkUse(hereDocument(js.text), { TOKEN: TOKEN, CLIENT_ID: 'sensor1', MQTTS_PORT: '8884', CA_FILE: mqtts.caFile });
    const read = extractCredentials({ mqttUsername: use.username }, KEY);
    assert.deepStrictEqual([read.authorizerName, read.token, read.signature], ['Open Authorizer', TOKEN, undefined]);
    assertPythonParses(hereDocument(kind(list, 'device-sdk-python').text));
  });

  test('without the listeners each snippet says which flag to add', () => {
    const list = local({});
    assert.match(kind(list, 'device-sdk-js').text, /no MQTT-over-TLS listener: restart it with --mqtts-port 0/);
    assert.match(kind(list, 'device-sdk-python').text, /no HTTPS listener: restart it with --tls/);
    assert.match(kind(list, 'browser-wss').text, /no HTTPS listener: restart it with --tls/);
  });
});
