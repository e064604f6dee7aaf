// Test event files and the AWS event built from them, with real signatures made and verified
// with the TEST-ONLY keys of test/fixtures/keys.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KEY_STORE_DIR, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from '../../src/core/constants';
import {
  AuthorizerEventBuild,
  authorizerForRequest,
  buildAuthorizerEvent,
  EVENT_PROTOCOLS,
  TokenSigner,
  workspacePublicKeys,
  workspaceSigner,
} from '../../src/core/events';
import type { AuthorizerConfig, AuthorizerProject } from '../../src/core/project';
import { DeviceRequest, findTestEventFiles, newTestEventText, parseTestEvent } from '../../src/core/testEvent';
import { importPublicKey } from '../../src/core/keys';
import { signToken } from '../../src/core/tokens';
import { fixture } from './keyFixtures';
import { exampleAuthorizer } from './runFixtures';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const KEYS = { example: fixture('rsa2048_private_key.pem'), other: fixture('other_rsa2048_private_key.pem') };
const PUBLIC = [{ name: 'example', pem: importPublicKey(fixture('rsa2048_public_key.pem')).keyObject }];
const sign: TokenSigner = (keyName, token) => {
  const pem = KEYS[keyName as keyof typeof KEYS];
  if (!pem) throw new Error(`no key "${keyName}"`);
  return signToken(token, pem);
};

const AUTHORIZER: AuthorizerConfig = { ...exampleAuthorizer('/ws'), aws: { region: 'eu-west-1' } };

function parse(event: object): DeviceRequest {
  const { request, issues } = parseTestEvent(JSON.stringify(event, null, 2));
  assert.deepStrictEqual(issues.filter((i) => i.severity === 'error'), []);
  assert.ok(request);
  return request;
}

async function build(event: object, config: AuthorizerConfig = AUTHORIZER): Promise<AuthorizerEventBuild> {
  return buildAuthorizerEvent({ request: parse(event), authorizer: config, publicKeys: PUBLIC, sign });
}

/** A token whose signature (with the example key) holds a `+`, to exercise URL encoding. */
function tokenWithPlusInSignature(): string {
  for (let i = 0; ; i++) {
    const token = `allow-dev${i}`;
    if (signToken(token, KEYS.example).includes('+')) return token;
  }
}

suite('test event files', () => {
  test('parse structured credentials: defaults by protocol, password to base64, authorizer name carried', () => {
    const r = parse({
      description: 'a device',
      authorizer: 'ExampleTokenAuthorizer',
      protocol: 'mqtt',
      mqtt: { clientId: 'dev1', password: 'pässword' },
      credentials: { token: 'allow-dev1', signature: { sign: 'example' } },
    });
    assert.strictEqual(r.protocol, 'mqtt');
    assert.strictEqual(r.description, 'a device');
    assert.strictEqual(r.mqtt?.passwordBase64, Buffer.from('pässword', 'utf8').toString('base64'));
    assert.deepStrictEqual(r.credentials, { token: 'allow-dev1', signature: { sign: 'example' }, in: 'mqtt-username', authorizerName: 'ExampleTokenAuthorizer' });
    assert.strictEqual(parse({ protocol: 'http', credentials: { token: 't' } }).credentials?.in, 'headers');
    assert.strictEqual(parse({ protocol: 'mqtt-wss', credentials: { token: 't' } }).credentials?.in, 'query');
  });

  test('syntax errors and bad fields point at their line and JSON path', () => {
    const syntax = parseTestEvent('{\n  "protocol": "http",\n  "headers": { "a": }\n}');
    assert.strictEqual(syntax.request, undefined);
    assert.match(syntax.issues[0].message, /JSON syntax error/);
    assert.strictEqual(syntax.issues[0].line, 3);

    const text = '{\n  "protocol": "mqtts",\n  "headers": {\n    "X-Sig": { "sign": "bad key!" }\n  }\n}';
    const { request, issues } = parseTestEvent(text);
    assert.strictEqual(request, undefined);
    const proto = issues.find((i) => i.jsonPath === 'protocol');
    assert.ok(proto && proto.line === 2 && /"http".*"mqtt".*"mqtt-wss"/.test(proto.message), JSON.stringify(issues));
    const sig = issues.find((i) => i.jsonPath === 'headers.X-Sig');
    assert.ok(sig && sig.line === 4 && /\{"sign": "<keyName>"\}/.test(sig.message), JSON.stringify(issues));
    assert.ok(parseTestEvent('{}').issues.some((i) => i.jsonPath === 'protocol' && /Missing "protocol"/.test(i.message)));
  });

  test('refuses what a device cannot send; warns about parts the protocol ignores and unknown fields', () => {
    const wrongPlace = parseTestEvent(JSON.stringify({ protocol: 'mqtt', credentials: { token: 't', in: 'headers' } }));
    assert.ok(wrongPlace.issues.some((i) => i.severity === 'error' && i.jsonPath === 'credentials.in' && /"mqtt-username"/.test(i.message)));
    const dup = parseTestEvent('{"protocol": "http", "headers": {"X-A": "1", "x-a": "2"}}');
    assert.ok(dup.issues.some((i) => i.severity === 'error' && /case-insensitive/.test(i.message)));
    const both = parseTestEvent(JSON.stringify({ protocol: 'mqtt', mqtt: { password: 'a', passwordBase64: 'YQ==' } }));
    assert.ok(both.issues.some((i) => i.jsonPath === 'mqtt.passwordBase64' && i.severity === 'error'));
    const notB64 = parseTestEvent(JSON.stringify({ protocol: 'mqtt', mqtt: { passwordBase64: 'not base64!' } }));
    assert.ok(notB64.issues.some((i) => i.jsonPath === 'mqtt.passwordBase64'));
    const ignored = parseTestEvent(JSON.stringify({ protocol: 'mqtt', headers: { a: 'b' }, colour: 'red' }));
    assert.ok(ignored.request, 'warnings do not stop the event');
    assert.ok(ignored.issues.some((i) => i.severity === 'warning' && i.jsonPath === 'headers' && /no HTTP request/.test(i.message)));
    assert.ok(ignored.issues.some((i) => i.severity === 'warning' && /colour/.test(i.message)));
    assert.ok(parseTestEvent(JSON.stringify({ protocol: 'http', mqtt: { clientId: 'x' } })).issues.some((i) => i.jsonPath === 'mqtt' && i.severity === 'warning'));
  });

  test('comments and trailing commas are allowed, like in the project file', () => {
    const { request, issues } = parseTestEvent('{\n  // a comment\n  "protocol": "http",\n}');
    assert.deepStrictEqual(issues, []);
    assert.strictEqual(request?.protocol, 'http');
  });

  test('a new event from the template parses and finds its way by suffix', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-events-'));
    try {
      for (const protocol of ['http', 'mqtt', 'mqtt-wss'] as const) {
        const text = newTestEventText({ protocol, authorizer: 'A', signingKey: 'example' });
        const { request, issues } = parseTestEvent(text);
        assert.deepStrictEqual(issues, []);
        assert.deepStrictEqual(request?.credentials?.signature, { sign: 'example' });
        fs.mkdirSync(path.join(dir, 'events'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'events', `${protocol}.authz.json`), text);
      }
      fs.mkdirSync(path.join(dir, 'node_modules'));
      fs.writeFileSync(path.join(dir, 'node_modules', 'x.authz.json'), '{}');
      fs.writeFileSync(path.join(dir, 'other.json'), '{}');
      assert.deepStrictEqual(findTestEventFiles(dir).map((f) => path.relative(dir, f)), ['events/http.authz.json', 'events/mqtt-wss.authz.json', 'events/mqtt.authz.json'].map((p) => p.split('/').join(path.sep)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

suite('AWS event builder', () => {
  test('protocols per connection type: the one documented table', () => {
    assert.deepStrictEqual(EVENT_PROTOCOLS, { http: ['tls', 'http'], mqtt: ['tls', 'mqtt'], 'mqtt-wss': ['tls', 'http', 'mqtt'] });
  });

  test('HTTPS with signed header credentials: tls + http, lower-case headers, verified signature', async () => {
    const { event, gate, request } = await build({ protocol: 'http', serverName: 'abc-ats.iot.eu-west-1.amazonaws.com', credentials: { token: 'allow-dev1', signature: { sign: 'example' } } });
    assert.deepStrictEqual(event.protocols, ['tls', 'http']);
    assert.strictEqual(event.token, 'allow-dev1');
    assert.strictEqual(event.signatureVerified, true);
    assert.deepStrictEqual(event.protocolData.tls, { serverName: 'abc-ats.iot.eu-west-1.amazonaws.com' });
    assert.strictEqual(event.protocolData.mqtt, undefined);
    const headers = event.protocolData.http?.headers ?? {};
    assert.strictEqual(headers['x-example-token'], 'allow-dev1');
    assert.strictEqual(headers['x-amz-customauthorizer-signature'], signToken('allow-dev1', KEYS.example));
    assert.strictEqual(headers.host, 'abc-ats.iot.eu-west-1.amazonaws.com');
    assert.ok(Object.keys(headers).every((k) => k === k.toLowerCase()));
    assert.strictEqual(event.protocolData.http?.queryString, undefined, 'no query string, no field');
    assert.match(event.connectionMetadata.id, UUID);
    assert.deepStrictEqual(gate.signature, { status: 'verified', keyName: 'example' });
    assert.strictEqual(gate.invoke, true);
    assert.ok(gate.problems.some((p) => p.severity === 'info' && /lower-cased/.test(p.message)));
    assert.strictEqual(request.headers?.['X-Example-Token'], 'allow-dev1', 'the resolved request keeps names as sent');
  });

  test('each build gets a fresh connection id unless one is given', async () => {
    const a = await build({ protocol: 'http', credentials: { token: 'allow-x', signature: { sign: 'example' } } });
    const b = await build({ protocol: 'http', credentials: { token: 'allow-x', signature: { sign: 'example' } } });
    assert.notStrictEqual(a.event.connectionMetadata.id, b.event.connectionMetadata.id);
    const fixed = await buildAuthorizerEvent({ request: parse({ protocol: 'http' }), authorizer: { ...AUTHORIZER, signingDisabled: true }, publicKeys: [], connectionId: 'c-1' });
    assert.strictEqual(fixed.event.connectionMetadata.id, 'c-1');
  });

  test('HTTPS with query credentials: "?"-prefixed query string, signature URL-encoded, token decoded', async () => {
    const token = tokenWithPlusInSignature();
    const { event, gate } = await build({ protocol: 'http', authorizer: 'ExampleTokenAuthorizer', queryString: '?qos=1', credentials: { token, signature: { sign: 'example' }, in: 'query' } });
    const q = event.protocolData.http?.queryString ?? '';
    assert.ok(q.startsWith('?qos=1&x-amz-customauthorizer-name=ExampleTokenAuthorizer'), q);
    assert.ok(q.includes('%2B') && !q.includes('+'), q);
    assert.strictEqual(event.token, token);
    assert.strictEqual(gate.signature.status, 'verified');
  });

  test('MQTT over TLS: SDK-style username, base64 password, client id; no http', async () => {
    const { event, gate } = await build({
      protocol: 'mqtt',
      authorizer: 'ExampleTokenAuthorizer',
      mqtt: { clientId: 'dev1', username: 'dev1', password: 'secret' },
      credentials: { token: 'allow-dev1', signature: { sign: 'example' } },
    });
    assert.deepStrictEqual(event.protocols, ['tls', 'mqtt']);
    assert.strictEqual(event.protocolData.http, undefined);
    const mqtt = event.protocolData.mqtt ?? {};
    assert.ok(mqtt.username?.startsWith('dev1?x-amz-customauthorizer-name=ExampleTokenAuthorizer&X-Example-Token=allow-dev1&x-amz-customauthorizer-signature='), mqtt.username);
    assert.strictEqual(mqtt.password, Buffer.from('secret').toString('base64'));
    assert.strictEqual(mqtt.clientId, 'dev1');
    assert.strictEqual(event.token, 'allow-dev1');
    assert.strictEqual(gate.invoke, true);
    assert.match(event.protocolData.tls?.serverName ?? '', /-ats\.iot\.eu-west-1\.amazonaws\.com$/);
  });

  test('MQTT fields the device did not send are absent (no clientId, no password)', async () => {
    const { event } = await build({ protocol: 'mqtt', credentials: { token: 'allow-dev1', signature: { sign: 'example' } } });
    assert.deepStrictEqual(Object.keys(event.protocolData.mqtt ?? {}), ['username']);
  });

  test('MQTT over WebSocket: tls + http + mqtt, upgrade headers, credentials on the URL', async () => {
    const { event, gate } = await build({
      protocol: 'mqtt-wss',
      mqtt: { clientId: 'dev1' },
      credentials: { token: 'allow-dev1', signature: { sign: 'example' } },
    });
    assert.deepStrictEqual(event.protocols, ['tls', 'http', 'mqtt']);
    const headers = event.protocolData.http?.headers ?? {};
    assert.strictEqual(headers.upgrade, 'websocket');
    assert.strictEqual(headers['sec-websocket-version'], '13');
    assert.strictEqual(headers['sec-websocket-protocol'], 'mqtt');
    assert.match(headers['sec-websocket-key'] ?? '', /^[A-Za-z0-9+/]{22}==$/);
    // A real WebSocket connection, as measured against AWS: no leading "?".
    assert.match(event.protocolData.http?.queryString ?? '', /^X-Example-Token=allow-dev1&x-amz-customauthorizer-signature=[A-Za-z0-9%]+$/);
    assert.deepStrictEqual(event.protocolData.mqtt, { clientId: 'dev1' });
    assert.strictEqual(gate.signature.status, 'verified');
  });

  test('raw requests: {"sign"} in a header or query value signs the token found under tokenKeyName', async () => {
    const h = await build({ protocol: 'http', headers: { 'X-Example-Token': 'allow-h', 'x-amz-customauthorizer-signature': { sign: 'example' } } });
    assert.strictEqual(h.event.protocolData.http?.headers['x-amz-customauthorizer-signature'], signToken('allow-h', KEYS.example));
    assert.strictEqual(h.gate.signature.status, 'verified');
    const q = await build({ protocol: 'mqtt-wss', queryString: { 'X-Example-Token': 'allow q', 'x-amz-customauthorizer-signature': { sign: 'example' } } });
    assert.match(q.event.protocolData.http?.queryString ?? '', /^X-Example-Token=allow%20q&x-amz-customauthorizer-signature=/);
    assert.strictEqual(q.event.token, 'allow q');
    assert.strictEqual(q.gate.signature.status, 'verified');
  });

  test('a raw SDK username with extra metrics parameters reaches the handler unchanged', async () => {
    const token = 'allow-dev7';
    const sig = encodeURIComponent(signToken(token, KEYS.example));
    const username = `dev7?x-amz-customauthorizer-name=ExampleTokenAuthorizer&x-amz-customauthorizer-signature=${sig}&X-Example-Token=${token}&SDK=IoTDeviceSDK/JS&Platform=linux`;
    const { event, gate } = await build({ protocol: 'mqtt', mqtt: { username, clientId: 'dev7' } });
    assert.strictEqual(event.protocolData.mqtt?.username, username);
    assert.strictEqual(event.token, token);
    assert.strictEqual(gate.signature.status, 'verified');
  });

  test('the gate: a signature from another key is not invoked, and the diagnosis says so', async () => {
    const { event, gate } = await build({ protocol: 'http', credentials: { token: 'allow-dev1', signature: { sign: 'other' } } });
    assert.strictEqual(gate.invoke, false);
    assert.strictEqual(gate.signature.status, 'failed');
    assert.strictEqual(event.signatureVerified, false);
    assert.ok(gate.signature.findings?.some((f) => f.code === 'DIFFERENT_KEY'), JSON.stringify(gate.signature));
    assert.ok(gate.signature.diagnosis && gate.signature.diagnosis.length > 20);
  });

  test('the gate: an unencoded + in a query signature arrives as a space and is named', async () => {
    const token = tokenWithPlusInSignature();
    const raw = signToken(token, KEYS.example);
    const { gate } = await build({ protocol: 'http', queryString: `X-Example-Token=${token}&x-amz-customauthorizer-signature=${raw}` });
    assert.strictEqual(gate.invoke, false);
    assert.ok(gate.signature.findings?.some((f) => f.code === 'SIGNATURE_PLUS_AS_SPACE'), JSON.stringify(gate.signature));
  });

  test('the gate: missing signature, missing token (with a case near-miss) and a bad static signature', async () => {
    const noSig = await build({ protocol: 'http', headers: { 'X-Example-Token': 'allow-dev1' } });
    assert.strictEqual(noSig.gate.signature.status, 'missing');
    assert.strictEqual(noSig.gate.invoke, false);
    assert.match(noSig.gate.signature.diagnosis ?? '', /x-amz-customauthorizer-signature/);
    assert.strictEqual(noSig.event.token, 'allow-dev1');

    const noToken = await build({ protocol: 'mqtt', mqtt: { username: 'u?x-example-token=allow-dev1&x-amz-customauthorizer-signature=abc' } });
    assert.strictEqual(noToken.gate.signature.status, 'missing');
    assert.match(noToken.gate.signature.diagnosis ?? '', /"x-example-token".*case-sensitive/);
    assert.strictEqual(noToken.event.token, undefined);
    assert.ok(!('token' in noToken.event), 'no token, no field');

    const bad = await build({ protocol: 'http', headers: { 'X-Example-Token': 'allow-dev1', 'x-amz-customauthorizer-signature': 'bm90IGEgc2lnbmF0dXJl' } });
    assert.strictEqual(bad.gate.signature.status, 'failed');
    assert.strictEqual(bad.gate.invoke, false);
  });

  test('signing disabled: always invoked, signatureVerified false, token still passed when sent', async () => {
    const config = { ...AUTHORIZER, signingDisabled: true, signingKeys: [] };
    const { event, gate } = await build({ protocol: 'mqtt', mqtt: { username: 'u?X-Example-Token=abc', password: 'pw', clientId: 'c' } }, config);
    assert.deepStrictEqual(gate.signature, { status: 'disabled' });
    assert.strictEqual(gate.invoke, true);
    assert.strictEqual(event.signatureVerified, false);
    assert.strictEqual(event.token, 'abc');
    const plain = await build({ protocol: 'mqtt', mqtt: { username: 'user', password: 'pw' } }, { ...config, tokenKeyName: undefined });
    assert.strictEqual(plain.gate.invoke, true);
    assert.strictEqual(plain.event.token, undefined);
  });

  test('an INACTIVE authorizer is not invoked', async () => {
    const { gate } = await build({ protocol: 'http', credentials: { token: 'allow-dev1', signature: { sign: 'example' } } }, { ...AUTHORIZER, status: 'INACTIVE' });
    assert.strictEqual(gate.signature.status, 'verified');
    assert.strictEqual(gate.invoke, false);
    assert.ok(gate.problems.some((p) => p.severity === 'error' && /INACTIVE/.test(p.message)));
  });

  test('a key that cannot sign is a problem on the field, and the signature is missing', async () => {
    const { gate, event } = await build({ protocol: 'http', credentials: { token: 'allow-dev1', signature: { sign: 'nokey' } } });
    assert.ok(gate.problems.some((p) => p.field === 'credentials.signature' && /nokey/.test(p.message)));
    assert.strictEqual(gate.signature.status, 'missing');
    assert.strictEqual(event.protocolData.http?.headers['x-amz-customauthorizer-signature'], undefined);
  });

  test('no public keys: the signature cannot be verified and the diagnosis names the keys', async () => {
    const r = await buildAuthorizerEvent({ request: parse({ protocol: 'http', credentials: { token: 'allow-dev1', signature: { sign: 'example' } } }), authorizer: AUTHORIZER, publicKeys: [], sign });
    assert.strictEqual(r.gate.signature.status, 'failed');
    assert.match(r.gate.signature.diagnosis ?? '', /"example"/);
  });
});

suite('choosing the authorizer and using the workspace key store', () => {
  const project: AuthorizerProject = {
    file: '/ws/iot-authorizer.json',
    dir: '/ws',
    authorizers: [AUTHORIZER, { ...AUTHORIZER, name: 'Second' }],
    defaultAuthorizer: 'ExampleTokenAuthorizer',
  };

  test('the name the request sends wins, then "authorizer", then the default', () => {
    assert.strictEqual(authorizerForRequest(project, parse({ protocol: 'http' })).authorizer?.name, 'ExampleTokenAuthorizer');
    const structured = authorizerForRequest(project, parse({ protocol: 'http', authorizer: 'Second', credentials: { token: 't' } }));
    assert.strictEqual(structured.authorizer?.name, 'Second');
    assert.deepStrictEqual(structured.problems, []);
    const raw = authorizerForRequest(project, parse({ protocol: 'http', authorizer: 'ExampleTokenAuthorizer', headers: { 'x-amz-customauthorizer-name': 'Second' } }));
    assert.strictEqual(raw.authorizer?.name, 'Second');
    assert.ok(raw.problems.some((p) => p.severity === 'warning' && /AWS uses "Second"/.test(p.message)));
    const unnamed = authorizerForRequest(project, parse({ protocol: 'mqtt', authorizer: 'Second', mqtt: { username: 'u' } }));
    assert.ok(unnamed.problems.some((p) => /default authorizer/.test(p.message)));
    const unknown = authorizerForRequest(project, parse({ protocol: 'http', authorizer: 'Nope', credentials: { token: 't' } }));
    assert.strictEqual(unknown.authorizer, undefined);
    assert.ok(unknown.problems.some((p) => p.severity === 'error' && /No authorizer named "Nope"/.test(p.message)));
  });

  test('signs with and verifies against the keys in .iot-authz/keys', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-ws-'));
    try {
      const dir = path.join(root, KEY_STORE_DIR, 'example');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, PRIVATE_KEY_FILE), KEYS.example, { mode: 0o600 });
      fs.writeFileSync(path.join(dir, PUBLIC_KEY_FILE), fixture('rsa2048_public_key.pem'));
      const { keys, problems } = await workspacePublicKeys(root, { ...AUTHORIZER, signingKeys: ['example', 'missing'] });
      assert.deepStrictEqual(keys.map((k) => k.name), ['example']);
      assert.ok(problems.some((p) => /missing/.test(p.message)));
      const r = await buildAuthorizerEvent({
        request: parse({ protocol: 'mqtt', credentials: { token: 'allow-dev1', signature: { sign: 'example' } } }),
        authorizer: AUTHORIZER,
        publicKeys: keys,
        sign: workspaceSigner(root),
      });
      assert.strictEqual(r.gate.signature.status, 'verified');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
