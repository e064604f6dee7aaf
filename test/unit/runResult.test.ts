// core/runResult.ts as its three producers call it: a local run, an AWS test-invoke and a local
// endpoint decision hand over the gate, the handler's answer and the policy context; the core
// judges and assembles the one InvocationResult. Events are built and signed for real with the
// TEST-ONLY keys.
import * as assert from 'assert';
import { buildAuthorizerEvent } from '../../src/core/events';
import { importPublicKey } from '../../src/core/keys';
import { REDACTED_PASSWORD, RunTarget } from '../../src/core/result';
import { assembleRunResult, HandlerOutcome, runNotStartedResult, RunAssemblyInput } from '../../src/core/runResult';
import type { DeviceRequest } from '../../src/core/testEvent';
import { fixture } from './keyFixtures';
import { EXAMPLE_REQUESTS, exampleAuthorizer, FIXTURE_ACCOUNT, FIXTURE_REGION, fixtureSigner } from './runFixtures';

const POLICY = (clientId: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: `arn:aws:iot:${FIXTURE_REGION}:${FIXTURE_ACCOUNT}:client/${clientId}` }],
});

const DENY = { isAuthenticated: false, principalId: 'p', refreshAfterInSeconds: 300, disconnectAfterInSeconds: 3600, policyDocuments: [] };

async function input(request: DeviceRequest, handler: HandlerOutcome | undefined, target: RunTarget = { kind: 'local' }): Promise<RunAssemblyInput> {
  const authorizer = exampleAuthorizer();
  const publicKeys = [{ name: 'example', pem: importPublicKey(fixture('rsa2048_public_key.pem')).keyObject }];
  const build = await buildAuthorizerEvent({ request, authorizer, publicKeys, sign: fixtureSigner, connectionId: 'c-1' });
  return {
    id: 'run-1',
    startedAt: '2026-01-01T00:00:00.000Z',
    target,
    request,
    authorizer,
    build,
    ...(build.gate.invoke && handler ? { handler } : {}),
    policyContext: { region: FIXTURE_REGION, accountId: FIXTURE_ACCOUNT },
    problems: build.gate.problems,
    timings: { totalMs: 5 },
    source: { projectFile: '/w/iot-authorizer.json' },
  };
}

suite('core/runResult: one judge for every producer', () => {
  test('allowed: the headline counts the policies, Connect is evaluated for the client, the handler file is named', async () => {
    const r = assembleRunResult(await input(EXAMPLE_REQUESTS.mqttConnect, { kind: 'response', response: { isAuthenticated: true, principalId: 'sensor1', refreshAfterInSeconds: 300, disconnectAfterInSeconds: 3600, policyDocuments: [POLICY('sensor1')] } }));
    assert.strictEqual(r.outcome, 'allowed');
    assert.strictEqual(r.headline, 'Allowed as sensor1 (1 policy)');
    assert.deepStrictEqual(r.evaluation?.decisions.map((d) => [d.action, d.allowed]), [['iot:Connect', true]]);
    assert.strictEqual(r.source.handlerFile, exampleAuthorizer().handlerFile);
    assert.strictEqual(r.event?.token, 'allow-sensor1');
  });

  test('allowed, but Connect denied for this client: the headline says MQTT clients are disconnected', async () => {
    const r = assembleRunResult(await input(EXAMPLE_REQUESTS.mqttConnect, { kind: 'response', response: { isAuthenticated: true, principalId: 'p', refreshAfterInSeconds: 300, disconnectAfterInSeconds: 3600, policyDocuments: [POLICY('other')] } }));
    assert.strictEqual(r.outcome, 'allowed');
    assert.match(r.headline, /but iot:Connect is denied for client "sensor1": MQTT clients are disconnected$/);
  });

  test('denied, invalid, no answer and a handler error each get their outcome and headline', async () => {
    const denied = assembleRunResult(await input(EXAMPLE_REQUESTS.mqttConnect, { kind: 'response', response: DENY }));
    assert.deepStrictEqual([denied.outcome, denied.headline, denied.evaluation], ['denied', 'Denied by the handler (isAuthenticated false)', undefined]);
    const invalid = assembleRunResult(await input(EXAMPLE_REQUESTS.mqttConnect, { kind: 'response', response: { isAuthenticated: 'yes' } }));
    assert.strictEqual(invalid.outcome, 'invalid-response');
    assert.match(invalid.headline, /^Invalid response \(\d+ errors?\): /);
    const none = assembleRunResult(await input(EXAMPLE_REQUESTS.mqttConnect, { kind: 'no-response' }));
    assert.strictEqual(none.outcome, 'invalid-response');
    assert.strictEqual(none.response, undefined);
    const threw = assembleRunResult(await input(EXAMPLE_REQUESTS.mqttConnect, { kind: 'error', error: { code: 'HANDLER_EXCEPTION', message: 'boom' } }));
    assert.deepStrictEqual([threw.outcome, threw.headline, threw.error], ['handler-error', 'Handler error (HANDLER_EXCEPTION): boom', { code: 'HANDLER_EXCEPTION', message: 'boom' }]);
  });

  test('the gate refuses an unsigned request: not invoked, no event, no response', async () => {
    const r = assembleRunResult(await input(EXAMPLE_REQUESTS.httpUnsigned, { kind: 'response', response: { isAuthenticated: true } }));
    assert.strictEqual(r.outcome, 'signature-rejected');
    assert.match(r.headline, /^Not invoked: signature missing; AWS refuses the request before the authorizer runs$/);
    assert.strictEqual(r.event, undefined);
  });

  test('no authorizer chosen: a request-error naming the first problem', async () => {
    const base = await input(EXAMPLE_REQUESTS.mqttConnect, undefined);
    const { authorizer: _a, build: _b, ...rest } = base;
    const r = assembleRunResult({ ...rest, problems: [{ severity: 'error', message: 'No authorizer named "X".' }] });
    assert.deepStrictEqual([r.outcome, r.headline, r.error?.code, r.signature.status], ['request-error', 'Not run: No authorizer named "X".', 'AUTHORIZER_NOT_FOUND', 'not-checked']);
  });

  test('an AWS test-invoke and an endpoint decision keep their target; the result is plain JSON', async () => {
    const aws: RunTarget = { kind: 'aws', region: 'eu-west-1', accountId: FIXTURE_ACCOUNT };
    const r = assembleRunResult(await input(EXAMPLE_REQUESTS.mqttConnect, { kind: 'response', response: DENY }, aws));
    assert.deepStrictEqual(r.target, aws);
    const e = assembleRunResult(await input(EXAMPLE_REQUESTS.mqttConnect, { kind: 'response', response: DENY }, { kind: 'endpoint', url: 'mqtts://127.0.0.1:8883' }));
    assert.strictEqual(e.target.kind, 'endpoint');
    assert.deepStrictEqual(JSON.parse(JSON.stringify(e)), e);
  });

  test('the MQTT password never reaches the result: event, response, logs, headline', async () => {
    const password = 'pw-not-in-results';
    const request: DeviceRequest = { ...EXAMPLE_REQUESTS.mqttConnect, mqtt: { clientId: 'sensor1', username: 'sensor1', password, passwordBase64: Buffer.from(password).toString('base64') } };
    const base = await input(request, { kind: 'error', error: { code: 'HANDLER_EXCEPTION', message: `bad password ${password}` } });
    const r = assembleRunResult({ ...base, logs: { text: `got ${Buffer.from(password).toString('base64')}`, truncated: false } });
    const text = JSON.stringify(r);
    assert.ok(!text.includes(password) && !text.includes(Buffer.from(password).toString('base64')), text);
    assert.strictEqual(r.event?.protocolData.mqtt?.password, REDACTED_PASSWORD);
    assert.strictEqual(r.headline, `Handler error (HANDLER_EXCEPTION): bad password ${REDACTED_PASSWORD}`);
  });

  test('a run that never started: the headline given, no event, the password scrubbed from the message', () => {
    const r = runNotStartedResult({
      id: 'x', startedAt: '2026-01-01T00:00:00.000Z', target: { kind: 'local' }, outcome: 'handler-error', headline: 'Handler not run: build first',
      error: { code: 'RUNTIME_MISSING', message: 'build first' }, request: { protocol: 'http' }, timings: { totalMs: 0 }, source: { eventFile: undefined },
    });
    assert.deepStrictEqual([r.outcome, r.headline, r.signature.status, r.logs.text, 'eventFile' in r.source], ['handler-error', 'Handler not run: build first', 'not-checked', '', false]);
  });
});
