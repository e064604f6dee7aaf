// "Save as test event": the saved file must parse cleanly and, run again, send the same request
// (same headers, query parameters, MQTT username and signature) as the run it came from.
import * as assert from 'assert';
import { extractCredentials, parseQueryParams } from '../../src/core/credentials';
import { EventProblem, resolveDeviceRequest, ResolvedDeviceRequest } from '../../src/core/events';
import type { InvocationResult } from '../../src/core/result';
import { parseTestEvent } from '../../src/core/testEvent';
import { testEventFromRun } from '../../src/core/testEventFromRun';
import { signToken } from '../../src/core/tokens';
import { thrown, fixture } from './keyFixtures';
import { EXAMPLE_REQUESTS, exampleAuthorizer, fixtureRun, fixtureSigner } from './runFixtures';

const KEY = 'X-Example-Token';

/** A wire request in a form that ignores order and the random WebSocket key. */
function comparable(r: { headers?: Readonly<Record<string, string>>; queryString?: string; mqtt?: { username?: string; clientId?: string } }) {
  const headers = Object.entries(r.headers ?? {})
    .filter(([k]) => k.toLowerCase() !== 'sec-websocket-key')
    .map(([k, v]) => `${k.toLowerCase()}: ${v}`)
    .sort();
  const query = parseQueryParams(r.queryString ?? '').map(([k, v]) => `${k}=${v}`).sort();
  const username = r.mqtt?.username;
  return { headers, query, username, clientId: r.mqtt?.clientId };
}

async function rerun(text: string): Promise<ResolvedDeviceRequest> {
  const parsed = parseTestEvent(text);
  assert.deepStrictEqual(parsed.issues, [], text);
  assert.ok(parsed.request);
  const problems: EventProblem[] = [];
  const resolved = await resolveDeviceRequest(parsed.request, exampleAuthorizer(), fixtureSigner, problems);
  assert.deepStrictEqual(problems, []);
  return resolved;
}

suite('save a run as a test event', () => {
  for (const [name, request] of Object.entries(EXAMPLE_REQUESTS)) {
    test(`${name}: the saved event parses without issues and sends the same request again`, async () => {
      const run = await fixtureRun({ request });
      const saved = testEventFromRun(run, { tokenKeyName: KEY });
      const again = await rerun(saved.text);
      assert.deepStrictEqual(comparable(again), comparable(run.request.wire!));
      assert.strictEqual(again.protocol, run.request.protocol);
      assert.strictEqual(again.serverName, run.request.wire!.serverName);
    });
  }

  test('a verified signature is saved as {"sign": key}, credentials in one object like the hand-written examples', async () => {
    const run = await fixtureRun({ request: EXAMPLE_REQUESTS.mqttConnect });
    const event = JSON.parse(testEventFromRun(run).text);
    assert.deepStrictEqual(event.credentials, { token: 'allow-sensor1', signature: { sign: 'example' }, in: 'mqtt-username' });
    assert.deepStrictEqual(event.mqtt, { clientId: 'sensor1', username: 'sensor1' });
    assert.strictEqual(event.authorizer, 'ExampleTokenAuthorizer');
    assert.strictEqual(event.protocol, 'mqtt');
    assert.strictEqual(event.serverName, undefined, 'the placeholder endpoint is not written: the runtime derives it');
    assert.match(event.description, /Allowed as sensor1/);
  });

  test('the WebSocket upgrade headers and host the runtime adds are not written; other headers and the query are kept', async () => {
    const wss = JSON.parse(testEventFromRun(await fixtureRun({ request: EXAMPLE_REQUESTS.wssBrowser })).text);
    assert.strictEqual(wss.headers, undefined);
    assert.strictEqual(wss.queryString, undefined);
    assert.strictEqual(wss.credentials.in, 'query');
    const http = JSON.parse(testEventFromRun(await fixtureRun({ request: EXAMPLE_REQUESTS.httpPublish })).text);
    assert.deepStrictEqual(http.headers, { 'content-type': 'application/json' });
    assert.strictEqual(http.queryString, '?qos=1');
  });

  test('a request that sends no authorizer name stays with the default authorizer', async () => {
    const run = await fixtureRun({ request: { protocol: 'http', headers: { [KEY]: 'allow-sensor1', 'x-amz-customauthorizer-signature': signToken('allow-sensor1', fixture('rsa2048_private_key.pem')) } } });
    const event = JSON.parse(testEventFromRun(run).text);
    assert.strictEqual(event.authorizer, undefined);
    assert.deepStrictEqual(event.credentials, { token: 'allow-sensor1', signature: { sign: 'example' }, in: 'headers' });
  });

  test('a signature that failed is kept as sent (the mistake stays reproducible) with a note', async () => {
    // The classic mistake: a raw base64 signature in the MQTT username, so its "+" arrive as spaces.
    const raw = signToken('allow-sensor1', fixture('rsa2048_private_key.pem'));
    assert.ok(raw.includes('+') || raw.includes('/'));
    const username = `sensor1?x-amz-customauthorizer-name=ExampleTokenAuthorizer&${KEY}=allow-sensor1&x-amz-customauthorizer-signature=${raw}`;
    const run = await fixtureRun({ request: { protocol: 'mqtt', headers: {}, mqtt: { clientId: 'sensor1', username } } });
    const saved = testEventFromRun(run);
    const event = JSON.parse(saved.text);
    assert.strictEqual(typeof event.credentials.signature, 'string');
    assert.ok(saved.notes.some((n) => /did not verify/.test(n)));
    const again = await rerun(saved.text);
    assert.deepStrictEqual(extractCredentials({ mqttUsername: again.mqtt?.username }, KEY), extractCredentials({ mqttUsername: username }, KEY));
  });

  test('a real endpoint and a host that differs from it are kept', async () => {
    const run = await fixtureRun({ request: { ...EXAMPLE_REQUESTS.httpPublish, serverName: 'abc-ats.iot.eu-west-1.amazonaws.com', headers: { host: 'proxy.example.com' } } });
    const event = JSON.parse(testEventFromRun(run).text);
    assert.strictEqual(event.serverName, 'abc-ats.iot.eu-west-1.amazonaws.com');
    assert.deepStrictEqual(event.headers, { host: 'proxy.example.com' });
  });

  test('an MQTT password is never written; the notes say to add it', async () => {
    const run = await fixtureRun({ request: { ...EXAMPLE_REQUESTS.mqttConnect, mqtt: { clientId: 'sensor1', username: 'sensor1', password: 'hunter2', passwordBase64: Buffer.from('hunter2').toString('base64') } } });
    const saved = testEventFromRun(run);
    assert.ok(!saved.text.includes('hunter2') && !saved.text.includes(Buffer.from('hunter2').toString('base64')));
    assert.ok(!/password/i.test(JSON.stringify(JSON.parse(saved.text).mqtt)));
    assert.ok(saved.notes.some((n) => /password/.test(n)));
  });

  test('refuses a run that has no request, saying why and what to do', async () => {
    const run: InvocationResult = { ...(await fixtureRun({ request: EXAMPLE_REQUESTS.mqttConnect })), outcome: 'request-error', headline: 'No authorizer named "X"', request: { protocol: 'mqtt' } };
    const e = thrown(() => testEventFromRun(run));
    assert.strictEqual(e.code, 'RUN_HAS_NO_REQUEST');
    assert.match(e.message, /no request to save.*run it again/);
  });
});
