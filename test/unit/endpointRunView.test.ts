// A local endpoint decision as the results panel shows it: the Protocol line names the
// connection the device made (the endpoint also listens on plain TCP and ws://, where AWS does
// not), and the header actions that cannot apply to a device's request say why.
import * as assert from 'assert';
import type { EndpointDecision } from '../../src/endpoint/decisions';
import { decisionToInvocationResult, transportOf } from '../../src/endpoint/decisionResult';
import { runViewOf, unavailableActions } from '../../src/vscode/panel/runView';

function decision(request: Partial<EndpointDecision['request']>, more: Partial<EndpointDecision> = {}): EndpointDecision {
  return {
    id: 'd1',
    traceId: 't1',
    at: '2026-12-03T10:00:00.000Z',
    request: { protocol: 'mqtt', method: 'CONNECT', path: '', tls: false, clientId: 'sensor1', username: '?x-amz-customauthorizer-name=A&token=t', token: 't', ...request },
    authorizer: 'A',
    allowed: true,
    status: 200,
    decidedBy: 'policy',
    reason: 'iot:Connect allowed for client sensor1.',
    stages: [],
    cached: false,
    timings: { totalMs: 3 },
    endpointUrl: 'http://127.0.0.1:9',
    ...more,
  };
}

suite('endpoint runs in the results panel', () => {
  test('the Protocol line names the listener the device used, and what AWS takes instead when it differs', () => {
    assert.strictEqual(runViewOf(decisionToInvocationResult(decision({ tls: false }))).request.protocolLabel,
      'MQTT over TCP without TLS (local endpoint; AWS takes MQTT over TLS on port 443, ALPN mqtt)');
    assert.strictEqual(runViewOf(decisionToInvocationResult(decision({ tls: true }))).request.protocolLabel, 'MQTT over TLS, ALPN mqtt (local endpoint)');
    assert.strictEqual(transportOf({ protocol: 'mqtt-ws', tls: false }), 'MQTT over WebSocket, ws:// without TLS (local endpoint; AWS takes wss:// on port 443)');
    assert.strictEqual(transportOf({ protocol: 'mqtt-ws', tls: true }), 'MQTT over WebSocket, wss:// (local endpoint)');
    assert.strictEqual(transportOf({ protocol: 'http', tls: false }), 'HTTP publish without TLS (local endpoint; AWS takes HTTPS on port 443)');
    assert.strictEqual(transportOf({ protocol: 'http', tls: true }), 'HTTPS publish (local endpoint)');
  });

  test('a CONNECT can be saved and sent to the endpoint as a publish; re-run and the AWS switch say the device repeats it', () => {
    const run = decisionToInvocationResult(decision({}));
    assert.strictEqual(run.request.operation, 'CONNECT');
    const u = unavailableActions(run);
    assert.match(u.rerun ?? '', /send it again from the device, or save it as a test event/);
    assert.strictEqual(u.switchTarget, u.rerun);
    assert.strictEqual(u.save, undefined);
    assert.strictEqual(u.runOnEndpoint, undefined);
  });

  test('an operation after the CONNECT has no request of its own: every action says to open the CONNECT run', () => {
    for (const method of ['PUBLISH', 'SUBSCRIBE', 'RECEIVE', 'REFRESH', 'DISCONNECT']) {
      const run = decisionToInvocationResult(decision({ method, topic: 'devices/sensor1/x' }));
      const u = unavailableActions(run);
      assert.match(u.save ?? '', new RegExp(`^A ${method} on a connection.*Open the connection's CONNECT run`), method);
      assert.deepStrictEqual([u.rerun, u.switchTarget, u.runOnEndpoint], [u.save, u.save, u.save], method);
    }
  });

  test('an HTTP publish names no MQTT operation; runs of other targets keep every action', () => {
    const run = decisionToInvocationResult(decision({ protocol: 'http', method: 'POST', path: '/topics/x' }));
    assert.strictEqual(run.request.operation, undefined);
    assert.strictEqual(unavailableActions(run).save, undefined);
    const local = { ...run, target: { kind: 'local' as const }, source: { eventFile: '/w/e.authz.json' } };
    assert.deepStrictEqual(unavailableActions(local), {});
    const bare = { ...local, source: {}, request: { protocol: 'http' as const } };
    assert.deepStrictEqual(unavailableActions(bare), {
      rerun: 'This run names no event file or authorizer to run again',
      switchTarget: 'This run names no event file or authorizer to run again',
      runOnEndpoint: 'This run has no request to send',
      save: 'This run has no request to save',
    });
  });
});
