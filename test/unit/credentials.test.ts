import * as assert from 'assert';
import {
  webSocketPathProblem,
  credentialsToHeaders,
  credentialsToMqttUsername,
  credentialsToQueryString,
  credentialsToWebSocketUrl,
  credentialReader,
  extractCredentials,
  parseMqttUsername,
  parseQueryParams,
  SignedCredentials,
} from '../../src/core/credentials';
import { AUTHORIZER_NAME_PARAM, SIGNATURE_PARAM } from '../../src/core/constants';

const SIG = 'ab+c/d==';
const BASE: SignedCredentials = { authorizerName: 'MyAuth', tokenKeyName: 'X-My-Token', token: 'tok', signature: SIG };

const TRICKY_TOKENS = [
  'MyStringThatNeedsToBeSigned',
  'a+b/c=d',
  'k1=v1&k2=v2',
  'has spaces  and\ttab',
  'unicode: héllo ✓ 日本 🚀',
  '100% sure?#frag',
  'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ',
];

suite('credentials: encoders', () => {
  test('headers carry raw values under the documented names', () => {
    assert.deepStrictEqual(credentialsToHeaders(BASE), {
      [AUTHORIZER_NAME_PARAM]: 'MyAuth',
      'X-My-Token': 'tok',
      [SIGNATURE_PARAM]: SIG,
    });
  });

  test('headers omit the name and signature when not given', () => {
    assert.deepStrictEqual(credentialsToHeaders({ tokenKeyName: 'k', token: 't' }), { k: 't' });
  });

  test('query string: name, token, signature, every value encoded, no leading ?', () => {
    assert.strictEqual(
      credentialsToQueryString({ ...BASE, token: 'a b&c' }),
      'x-amz-customauthorizer-name=MyAuth&X-My-Token=a%20b%26c&x-amz-customauthorizer-signature=ab%2Bc%2Fd%3D%3D',
    );
  });

  test('an already %-encoded signature is not double-encoded (like the device SDKs)', () => {
    const q = credentialsToQueryString({ ...BASE, signature: 'ab%2Bc%2Fd%3D%3D' });
    assert.ok(q.endsWith(`${SIGNATURE_PARAM}=ab%2Bc%2Fd%3D%3D`), q);
    assert.ok(!q.includes('%25'), q);
  });

  test('MQTT username: base, ?, encoded params', () => {
    assert.strictEqual(
      credentialsToMqttUsername(BASE, 'device-1'),
      'device-1?x-amz-customauthorizer-name=MyAuth&X-My-Token=tok&x-amz-customauthorizer-signature=ab%2Bc%2Fd%3D%3D',
    );
    assert.ok(credentialsToMqttUsername(BASE).startsWith('?x-amz-customauthorizer-name='));
  });

  test('MQTT username whose base already has ? appends with &', () => {
    const u = credentialsToMqttUsername(BASE, 'user?SDK=PythonV2');
    assert.ok(u.startsWith('user?SDK=PythonV2&x-amz-customauthorizer-name=MyAuth&'), u);
    assert.strictEqual(extractCredentials({ mqttUsername: u }, 'X-My-Token').signature, SIG);
  });

  test('WebSocket URL: wss://host/mqtt?query, scheme in host tolerated', () => {
    const q = credentialsToQueryString(BASE);
    assert.strictEqual(credentialsToWebSocketUrl('abc-ats.iot.eu-west-1.amazonaws.com', BASE), `wss://abc-ats.iot.eu-west-1.amazonaws.com/mqtt?${q}`);
    assert.strictEqual(credentialsToWebSocketUrl('wss://localhost:8443/', BASE, 'mqtt'), `wss://localhost:8443/mqtt?${q}`);
    const url = new URL(credentialsToWebSocketUrl('h', { ...BASE, token: 'a+b c' }));
    assert.strictEqual(url.searchParams.get('X-My-Token'), 'a+b c');
    assert.strictEqual(url.searchParams.get(SIGNATURE_PARAM), SIG);
  });
});

suite('credentials: parsers', () => {
  test('parseQueryParams accepts a leading ?, keeps order and duplicates', () => {
    assert.deepStrictEqual(parseQueryParams('?a=1&b=2&a=3'), [
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
    ]);
    assert.deepStrictEqual(parseQueryParams('a=1&&flag&e='), [
      ['a', '1'],
      ['flag', ''],
      ['e', ''],
    ]);
    assert.deepStrictEqual(parseQueryParams(''), []);
  });

  test('parseQueryParams: + is a space, %XX decoded once, stray % kept', () => {
    assert.deepStrictEqual(parseQueryParams('s=ab+c%2Bd%252B&p=100%&u=%E2%9C%93'), [
      ['s', 'ab c+d%2B'],
      ['p', '100%'],
      ['u', '✓'],
    ]);
  });

  test('parseMqttUsername splits on the first ?', () => {
    assert.deepStrictEqual(parseMqttUsername('plain'), { base: 'plain', params: [] });
    assert.deepStrictEqual(parseMqttUsername('u?a=b?c'), { base: 'u', params: [['a', 'b?c']] });
    assert.deepStrictEqual(parseMqttUsername('?a=b'), { base: '', params: [['a', 'b']] });
  });
});

suite('credentials: extractCredentials', () => {
  test('round-trips tricky tokens through headers, query, MQTT username and WebSocket URL', () => {
    for (const token of TRICKY_TOKENS) {
      for (const signature of [SIG, 'AAAA', 'x/y+z=']) {
        const c: SignedCredentials = { ...BASE, token, signature };
        const expected = { authorizerName: 'MyAuth', token, signature };
        assert.deepStrictEqual(extractCredentials({ headers: credentialsToHeaders(c) }, c.tokenKeyName), { ...expected, source: 'headers' });
        assert.deepStrictEqual(extractCredentials({ queryString: credentialsToQueryString(c) }, c.tokenKeyName), { ...expected, source: 'query' });
        assert.deepStrictEqual(extractCredentials({ queryString: '?' + credentialsToQueryString(c) }, c.tokenKeyName), { ...expected, source: 'query' });
        assert.deepStrictEqual(extractCredentials({ mqttUsername: credentialsToMqttUsername(c, 'dev') }, c.tokenKeyName), { ...expected, source: 'mqtt-username' });
        const url = new URL(credentialsToWebSocketUrl('host', c));
        assert.deepStrictEqual(extractCredentials({ queryString: url.search }, c.tokenKeyName), { ...expected, source: 'query' });
      }
    }
  });

  test('header names are case-insensitive', () => {
    const got = extractCredentials(
      { headers: { 'X-AMZ-CustomAuthorizer-Name': 'A', 'x-my-token': 'T', 'X-Amz-Customauthorizer-Signature': 'S' } },
      'X-My-Token',
    );
    assert.deepStrictEqual(got, { authorizerName: 'A', token: 'T', signature: 'S', source: 'headers' });
  });

  test('headers win over the query string, field by field', () => {
    const got = extractCredentials(
      { headers: { 'x-my-token': 'fromHeader' }, queryString: `X-My-Token=fromQuery&${SIGNATURE_PARAM}=qs&${AUTHORIZER_NAME_PARAM}=QA` },
      'X-My-Token',
    );
    assert.deepStrictEqual(got, { authorizerName: 'QA', token: 'fromHeader', signature: 'qs', source: 'headers' });
  });

  test('a reader parses the request once and answers like extractCredentials for each token key name', () => {
    const req = { headers: { 'x-my-token': 'fromHeader', 'X-Amz-Customauthorizer-Name': 'HA' }, queryString: `Other=O&${SIGNATURE_PARAM}=qs&${AUTHORIZER_NAME_PARAM}=QA` };
    const read = credentialReader(req);
    for (const key of [undefined, 'X-My-Token', 'Other', 'missing']) assert.deepStrictEqual(read(key), extractCredentials(req, key), `token key ${key}`);
    assert.deepStrictEqual(read(undefined), { authorizerName: 'HA', signature: 'qs', source: 'headers' });
    assert.deepStrictEqual(read('Other'), { authorizerName: 'HA', token: 'O', signature: 'qs', source: 'query' });
  });

  test('query parameter names are case-sensitive; missing token key name finds no token', () => {
    assert.strictEqual(extractCredentials({ queryString: 'x-my-token=T' }, 'X-My-Token').token, undefined);
    const got = extractCredentials({ queryString: `${AUTHORIZER_NAME_PARAM}=A&t=T` }, undefined);
    assert.deepStrictEqual(got, { authorizerName: 'A', source: 'query' });
    assert.deepStrictEqual(extractCredentials({}, 'k'), {});
  });

  test('SDK-style usernames (docs/aws-custom-auth.md: "What real clients send"): any parameter order, extra metrics parameters', () => {
    const encSig = encodeURIComponent(SIG);
    const usernames = [
      // Device SDK v2, MQTT 3.1.1 builders: signature before token, then metrics.
      `device?${AUTHORIZER_NAME_PARAM}=MyAuth&${SIGNATURE_PARAM}=${encSig}&X-My-Token=tok&SDK=PythonV2&Version=1.x`,
      // MQTT 5 JS builder: token before signature; newer metrics parameters.
      `device?${AUTHORIZER_NAME_PARAM}=MyAuth&X-My-Token=tok&${SIGNATURE_PARAM}=${encSig}&SDK=IoTDeviceSDK/JS&Platform=linux`,
      `device?SDK=IoTDeviceSDK/JS&Platform=linux&X-My-Token=tok&${SIGNATURE_PARAM}=${encSig}&${AUTHORIZER_NAME_PARAM}=MyAuth`,
      `device?SDK=NodeJSv2&Version=1.20.0&${SIGNATURE_PARAM}=${encSig}&${AUTHORIZER_NAME_PARAM}=MyAuth&X-My-Token=tok`,
    ];
    for (const u of usernames) {
      assert.deepStrictEqual(extractCredentials({ mqttUsername: u }, 'X-My-Token'), {
        authorizerName: 'MyAuth',
        token: 'tok',
        signature: SIG,
        source: 'mqtt-username',
      });
    }
  });

  test('signature decoded once: an SDK-encoded signature arrives intact, double-encoded stays %2B', () => {
    const once = extractCredentials({ mqttUsername: `u?${SIGNATURE_PARAM}=ab%2Bc%2Fd%3D%3D` }, 'k').signature;
    assert.strictEqual(once, SIG);
    const twice = extractCredentials({ mqttUsername: `u?${SIGNATURE_PARAM}=ab%252Bc%252Fd%253D%253D` }, 'k').signature;
    assert.strictEqual(twice, 'ab%2Bc%2Fd%3D%3D');
  });

  test('an unencoded signature loses its + to spaces (the failure the diagnosis names)', () => {
    assert.strictEqual(extractCredentials({ queryString: `${SIGNATURE_PARAM}=${SIG}` }, 'k').signature, 'ab c/d==');
  });

  test('headers, then query, then MQTT username', () => {
    const got = extractCredentials({ queryString: 'k=q', mqttUsername: `u?k=m&${SIGNATURE_PARAM}=s` }, 'k');
    assert.deepStrictEqual(got, { token: 'q', signature: 's', source: 'query' });
  });
});

suite('credentials: webSocketPathProblem (--ws-path)', () => {
  test('AWS\'s /mqtt and other plain absolute paths serve', () => {
    for (const p of ['/mqtt', '/', '/iot/ws', '/a-b_c.d~e%20f:@!$&\'()*+,;=']) assert.strictEqual(webSocketPathProblem(p), undefined, p);
  });
  test('a relative path, a query, a fragment, a space, an over-long path and the endpoint\'s own API are refused, saying why', () => {
    assert.match(webSocketPathProblem('mqtt') ?? '', /does not start with "\/"/);
    assert.match(webSocketPathProblem('/mqtt?a=1') ?? '', /holds "\?"/);
    assert.match(webSocketPathProblem('/mqtt#x') ?? '', /holds "#"/);
    assert.match(webSocketPathProblem('/my ws') ?? '', /holds " "/);
    assert.match(webSocketPathProblem('/é') ?? '', /holds "é"/);
    assert.match(webSocketPathProblem(`/${'a'.repeat(256)}`) ?? '', /257 characters long: give at most 256/);
    assert.match(webSocketPathProblem('/_iot-authz') ?? '', /inside the endpoint's own API/);
    assert.match(webSocketPathProblem('/_iot-authz/clock') ?? '', /inside the endpoint's own API/);
    assert.strictEqual(webSocketPathProblem('/_iot-authzx'), undefined);
  });
});
