// Verdicts checked against AWS's documentation: HTTPS has no client id, undecidable conditions
// read as undecided everywhere, iot:DomainName is the TLS server name, and findings that are
// the tool's reading say so.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { defaultRequestsFor, PolicyStatement, summarizePolicies } from '../../src/core/policy';
import { validateAuthorizerResponse } from '../../src/core/response';
import { parseTestEvent } from '../../src/core/testEvent';
import { invokeEventFile } from '../../src/local/invokeAuthorizer';
import type { LocalRuntime } from '../../src/local/runtime';
import { closeTempRuntime, openTempRuntime } from './tempRuntime';

/** h.js in `dir`: a handler that allows principal p1 with one policy of `statements`. */
function writeHandlerAllowing(dir: string, statements: unknown[]): void {
  const answer = {
    isAuthenticated: true,
    principalId: 'p1',
    refreshAfterInSeconds: 300,
    disconnectAfterInSeconds: 300,
    policyDocuments: [{ Version: '2012-10-17', Statement: statements }],
  };
  fs.writeFileSync(path.join(dir, 'h.js'), `exports.handler = async () => (${JSON.stringify(answer)});`);
}

suite('policy verdicts against AWS', function () {
  this.timeout(30_000);
  let dir: string;
  let runtime: LocalRuntime;
  setup(() => ({ dir, runtime } = openTempRuntime('iot-authz-verdicts-')));
  teardown(() => closeTempRuntime({ dir, runtime }));

  function run(statements: unknown[], event: Record<string, unknown>) {
    fs.writeFileSync(
      path.join(dir, 'iot-authorizer.json'),
      JSON.stringify({ authorizers: [{ name: 'A', handler: 'h.js:handler', runtime: 'nodejs20.x', tokenKeyName: 'tok', signingDisabled: true }] }),
    );
    writeHandlerAllowing(dir, statements);
    fs.writeFileSync(path.join(dir, 'e.authz.json'), JSON.stringify({ authorizer: 'A', ...event }));
    return invokeEventFile(runtime, { eventFile: path.join(dir, 'e.authz.json') });
  }

  test('${iot:ClientId} over HTTPS publish: a warning and the headline say publishes are refused', async () => {
    const r = await run([{ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/${iot:ClientId}/*' }], {
      protocol: 'http',
      credentials: { token: 't' },
    });
    assert.strictEqual(r.outcome, 'allowed');
    assert.match(r.headline, /HTTPS publish has no client id/);
    assert.ok(
      r.problems.some((p) => p.severity === 'warning' && /HTTPS publish has no client id/.test(p.message)),
      JSON.stringify(r.problems),
    );
  });

  test('${iot:ClientId} only in a Connect statement (for MQTT devices) raises nothing over HTTPS publish', async () => {
    const r = await run(
      [
        { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/${iot:ClientId}' },
        { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: 'arn:aws:iot:*:*:topic/devices/d1/*' },
      ],
      { protocol: 'http', credentials: { token: 't' } },
    );
    assert.strictEqual(r.outcome, 'allowed');
    assert.doesNotMatch(r.headline, /client id/);
    assert.ok(!r.problems.some((p) => /HTTPS publish has no client id/.test(p.message)), JSON.stringify(r.problems));
  });

  test('${iot:ClientId} in a statement allowing iot:* is reported over HTTPS publish', async () => {
    const r = await run([{ Effect: 'Allow', Action: 'iot:*', Resource: 'arn:aws:iot:*:*:topic/${iot:ClientId}/*' }], { protocol: 'http', credentials: { token: 't' } });
    assert.match(r.headline, /HTTPS publish has no client id/);
  });

  test('an undecidable Connect condition reads as undecided in the headline, not as "disconnected"', async () => {
    const r = await run([{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }], {
      protocol: 'mqtt',
      mqtt: { clientId: 'c1' },
    });
    const connect = r.evaluation?.decisions.find((d) => d.action === 'iot:Connect');
    assert.strictEqual(connect?.certain, false);
    assert.match(r.headline, /cannot be decided locally/);
    assert.doesNotMatch(r.headline, /disconnected/);
  });

  test("iot:DomainName conditions are evaluated with the event's serverName", async () => {
    const statements = [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { StringEquals: { 'iot:DomainName': 'iot.example.com' } } }];
    const ok = await run(statements, { protocol: 'mqtt', serverName: 'iot.example.com', mqtt: { clientId: 'c1' } });
    const connect = ok.evaluation?.decisions.find((d) => d.action === 'iot:Connect');
    assert.deepStrictEqual([connect?.allowed, connect?.certain], [true, true], JSON.stringify(connect));
    const other = await run(statements, { protocol: 'mqtt', serverName: 'other.example.com', mqtt: { clientId: 'c1' } });
    assert.strictEqual(other.evaluation?.decisions.find((d) => d.action === 'iot:Connect')?.allowed, false);
  });

  test('findings that are the tool\'s reading (lowercase "allow", numeric principalId, iot:ClientId condition key) say so', () => {
    const lower = validateAuthorizerResponse({
      isAuthenticated: true,
      principalId: 'p',
      refreshAfterInSeconds: 300,
      disconnectAfterInSeconds: 300,
      policyDocuments: [{ Version: '2012-10-17', Statement: [{ Effect: 'allow', Action: 'iot:Connect', Resource: '*' }] }],
    });
    assert.match(lower.findings.find((f) => f.code === 'STATEMENT_EFFECT_INVALID')?.hint ?? '', /tool's reading/);
    const numeric = validateAuthorizerResponse({
      isAuthenticated: true,
      principalId: 42,
      refreshAfterInSeconds: 300,
      disconnectAfterInSeconds: 300,
      policyDocuments: [],
    });
    assert.match(numeric.findings.find((f) => f.code === 'PRINCIPAL_ID_NOT_STRING')?.hint ?? '', /tool's reading/);
    const key = validateAuthorizerResponse({
      isAuthenticated: true,
      principalId: 'p',
      refreshAfterInSeconds: 300,
      disconnectAfterInSeconds: 300,
      policyDocuments: [
        {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { StringEquals: { 'iot:ClientId': 'c1' } } }],
        },
      ],
    });
    assert.match(key.findings.find((f) => f.code === 'CONDITION_CLIENT_ID_KEY')?.hint ?? '', /tool's reading/);
  });

  test('the table has rows for actions granted by iot:*, NotAction and NotResource', () => {
    const ctx = { region: 'eu-west-1', accountId: '123456789012', clientId: 'c1' };
    const statements: PolicyStatement[] = [
      { Effect: 'Allow', Action: 'iot:*', Resource: '*' },
      { Effect: 'Allow', NotAction: 'iot:Connect', Resource: '*' },
      { Effect: 'Allow', Action: ['iot:Publish', 'iot:Subscribe', 'iot:Receive', 'iot:RetainPublish'], NotResource: 'arn:aws:iot:*:*:topic/secret/*' },
    ];
    for (const st of statements) {
      const docs = [{ Version: '2012-10-17', Statement: [st] }];
      const actions = defaultRequestsFor(ctx, summarizePolicies(docs, ctx)).map((r) => r.action);
      for (const a of ['iot:Publish', 'iot:Subscribe', 'iot:Receive', 'iot:RetainPublish'])
        assert.ok(actions.includes(a as never), `${JSON.stringify(st)}: no ${a} row in ${actions.join(', ')}`);
    }
  });
});

suite('test events: operations and sourceIp', function () {
  this.timeout(30_000);
  let dir: string;
  let runtime: LocalRuntime;
  setup(() => ({ dir, runtime } = openTempRuntime('iot-authz-ops-')));
  teardown(() => closeTempRuntime({ dir, runtime }));

  test('"operations" are evaluated and shown; "sourceIp" feeds aws:SourceIp; bad entries point at their field', async () => {
    fs.writeFileSync(
      path.join(dir, 'iot-authorizer.json'),
      JSON.stringify({ authorizers: [{ name: 'A', handler: 'h.js:handler', runtime: 'nodejs20.x', signingDisabled: true }] }),
    );
    const statements = [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: { StringEquals: { 'aws:SourceIp': '203.0.113.7' } } },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/dev1/*' },
    ];
    writeHandlerAllowing(dir, statements);
    fs.writeFileSync(
      path.join(dir, 'e.authz.json'),
      JSON.stringify({
        authorizer: 'A',
        protocol: 'mqtt',
        mqtt: { clientId: 'dev1' },
        sourceIp: '203.0.113.7',
        operations: [
          { action: 'iot:Publish', topic: 'dev1/state' },
          { action: 'iot:Publish', topic: 'dev2/state' },
        ],
      }),
    );
    const r = await invokeEventFile(runtime, { eventFile: path.join(dir, 'e.authz.json') });
    const rows = r.evaluation?.decisions.map((d) => `${d.action} ${d.resourceArn.split(':').pop()} ${d.allowed}`) ?? [];
    assert.ok(rows.includes('iot:Publish topic/dev1/state true'), rows.join('\n'));
    assert.ok(rows.includes('iot:Publish topic/dev2/state false'), rows.join('\n'));
    const connect = r.evaluation?.decisions.find((d) => d.action === 'iot:Connect');
    assert.deepStrictEqual([connect?.allowed, connect?.certain], [true, true]);
    const bad = parseTestEvent(JSON.stringify({ protocol: 'mqtt', sourceIp: 'nowhere', operations: [{ action: 'iot:Fly' }, { action: 'iot:Publish' }] }));
    assert.deepStrictEqual(
      bad.issues.map((i) => i.jsonPath),
      ['operations[0].action', 'operations[1].topic', 'sourceIp'],
    );
  });
});
