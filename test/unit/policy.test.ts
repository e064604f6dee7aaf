import * as assert from 'assert';
import { UserError } from '../../src/core/errors';
import { evaluateMatrix, evaluatePolicies, PolicyDocument, resourceArnFor } from '../../src/core/policy';
import { defaultRequestsFor, summarizePolicies } from '../../src/core/policySummary';
import { ACCOUNT, allow, ARN, connect, deny, doc, EVALUATION_CASES, HTTP, MQTT, publish, REGION, subscribe } from './policy.cases';

suite('policy evaluation table', () => {
  for (const c of EVALUATION_CASES) {
    test(c.name, () => {
      const d = evaluatePolicies(c.documents, c.request, c.ctx ?? MQTT);
      const detail = JSON.stringify(d, null, 1);
      assert.strictEqual(d.allowed, c.allowed, detail);
      assert.strictEqual(d.reason, c.reason, detail);
      assert.strictEqual(d.action, c.request.action);
      if (c.reason === 'implicit-deny') assert.strictEqual(d.decidingStatement, undefined, detail);
      else {
        assert.ok(d.decidingStatement, detail);
        assert.strictEqual(d.decidingStatement.effect, c.reason === 'allowed' ? 'Allow' : 'Deny');
      }
      if (c.decidedBy) {
        assert.deepStrictEqual([d.decidingStatement?.documentIndex, d.decidingStatement?.statementIndex], c.decidedBy, detail);
      }
      if (c.matchedResource !== undefined) assert.strictEqual(d.decidingStatement?.matchedResource, c.matchedResource, detail);
      if (c.unsupported !== undefined) assert.deepStrictEqual(d.unsupported.map((u) => u.code), c.unsupported, detail);
      if (c.certain !== undefined) assert.strictEqual(d.certain, c.certain, detail);
    });
  }
});

suite('policy evaluation details', () => {
  test('builds client, topic and topicfilter ARNs from the context', () => {
    assert.strictEqual(resourceArnFor(connect('device1'), MQTT), `${ARN}client/device1`);
    assert.strictEqual(resourceArnFor(publish('a/b'), MQTT), `${ARN}topic/a/b`);
    assert.strictEqual(resourceArnFor({ action: 'iot:RetainPublish', topic: 's' }, MQTT), `${ARN}topic/s`);
    assert.strictEqual(resourceArnFor(subscribe('a/#'), MQTT), `${ARN}topicfilter/a/#`);
    assert.strictEqual(resourceArnFor({ action: 'iot:Subscribe', topic: 'a/b' }, MQTT), `${ARN}topicfilter/a/b`);
    assert.strictEqual(resourceArnFor(connect(), MQTT), `${ARN}client/device1`, 'connect defaults to the context client id');
    assert.strictEqual(resourceArnFor(publish('x'), { ...MQTT, partition: 'aws-cn' }), `arn:aws-cn:iot:${REGION}:${ACCOUNT}:topic/x`);
  });

  test('a request that names no resource is a UserError', () => {
    assert.throws(() => resourceArnFor(connect(), HTTP), (e: unknown) => e instanceof UserError && e.code === 'REQUEST_INCOMPLETE' && /clientId/.test(e.message));
    assert.throws(() => resourceArnFor({ action: 'iot:Publish' }, MQTT), (e: unknown) => e instanceof UserError && /"topic"/.test(e.message));
  });

  test('findings carry the JSON path of the statement element', () => {
    const d = evaluatePolicies([doc(allow('iot:Connect', '*')), doc(allow('iot:Publish', `${ARN}topic/\${iot:Nope}`))], publish('x'), MQTT);
    assert.strictEqual(d.unsupported.length, 1);
    assert.strictEqual(d.unsupported[0].path, 'policyDocuments[1].Statement[0].Resource');
    assert.strictEqual(d.unsupported[0].documentIndex, 1);
    assert.strictEqual(d.unsupported[0].statementIndex, 0);
    assert.match(d.unsupported[0].message, /\$\{iot:Nope\}/);
  });

  test('an unsupported condition message says which way it was decided', () => {
    const cond = { Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } };
    const onAllow = evaluatePolicies([doc(allow('iot:Publish', '*', cond))], publish('x'), MQTT);
    assert.match(onAllow.unsupported[0].message, /grants nothing/);
    const onDeny = evaluatePolicies([doc(allow('iot:Publish', '*'), deny('iot:Publish', '*', cond))], publish('x'), MQTT);
    assert.match(onDeny.unsupported[0].message, /assumed to apply/);
  });

  test('the deciding statement carries its Sid and the action entry that matched', () => {
    const d = evaluatePolicies([doc(allow(['iot:Connect', 'iot:Pub*'], '*', { Sid: 'PublishAnything' }))], publish('x'), MQTT);
    assert.strictEqual(d.decidingStatement?.sid, 'PublishAnything');
    assert.strictEqual(d.decidingStatement?.matchedAction, 'iot:Pub*');
    assert.strictEqual(d.resourceArn, `${ARN}topic/x`);
  });

  test('HTTPS publish works without iot:Connect while MQTT cannot even connect', () => {
    const docs = [doc(allow('iot:Publish', `${ARN}topic/data/*`))];
    assert.strictEqual(evaluatePolicies(docs, publish('data/1'), HTTP).allowed, true);
    assert.strictEqual(evaluatePolicies(docs, connect('device1'), MQTT).allowed, false);
    assert.ok(summarizePolicies(docs, MQTT).warnings.some((w) => w.code === 'NO_CONNECT'));
  });

  test('evaluateMatrix answers each row in order', () => {
    const docs = [doc(allow('iot:Connect', `${ARN}client/device1`), allow('iot:Publish', `${ARN}topic/a`))];
    const rows = evaluateMatrix(docs, MQTT, [connect('device1'), publish('a'), publish('b')]);
    assert.deepStrictEqual(rows.map((r) => [r.action, r.allowed]), [['iot:Connect', true], ['iot:Publish', true], ['iot:Publish', false]]);
  });
});

suite('policy summary', () => {
  const codes = (docs: Array<PolicyDocument | string>, ctx = MQTT) => summarizePolicies(docs, ctx).warnings.map((w) => w.code);

  test('lists allowed and denied patterns per action with variables substituted', () => {
    const s = summarizePolicies([doc(
      allow(['iot:Connect'], `${ARN}client/\${iot:ClientId}`),
      allow('iot:Pub*', `${ARN}topic/t/\${iot:ClientId}/*`),
      deny('iot:Publish', `${ARN}topic/t/device1/admin`),
    )], MQTT);
    const byAction = Object.fromEntries(s.actions.map((a) => [a.action, a]));
    assert.deepStrictEqual(byAction['iot:Connect'].allowed.map((v) => v.resolved), [`${ARN}client/device1`]);
    assert.deepStrictEqual(byAction['iot:Publish'].allowed.map((v) => v.resolved), [`${ARN}topic/t/device1/*`]);
    assert.deepStrictEqual(byAction['iot:Publish'].denied.map((v) => v.pattern), [`${ARN}topic/t/device1/admin`]);
    assert.deepStrictEqual(byAction['iot:Subscribe'].allowed, []);
    assert.deepStrictEqual(byAction['iot:RetainPublish'].allowed, [], 'iot:Pub* does not cover RetainPublish');
  });

  test('marks NotResource entries as exceptions and conditional ones as conditional', () => {
    const s = summarizePolicies([doc(
      { Effect: 'Allow', Action: 'iot:Publish', NotResource: `${ARN}topic/admin/*` },
      allow('iot:Connect', '*', { Condition: { StringEquals: { 'iot:ClientId': 'device1' } } }),
    )], MQTT);
    const publishAllowed = s.actions.find((a) => a.action === 'iot:Publish')!.allowed;
    assert.strictEqual(publishAllowed[0].except, true);
    assert.strictEqual(s.actions.find((a) => a.action === 'iot:Connect')!.allowed[0].conditional, true);
  });

  test('reports unresolved variables on the entry', () => {
    const s = summarizePolicies([doc(allow('iot:Publish', `${ARN}topic/\${iot:ClientId}`))], HTTP);
    assert.deepStrictEqual(s.actions.find((a) => a.action === 'iot:Publish')!.allowed[0].unresolvedVariables, ['iot:ClientId']);
  });

  test('NO_CONNECT when nothing allows iot:Connect', () => {
    assert.ok(codes([doc(allow('iot:Publish', '*'))]).includes('NO_CONNECT'));
  });

  test('no NO_CONNECT once iot:Connect is allowed for the client', () => {
    const c = codes([doc(allow('iot:Connect', `${ARN}client/\${iot:ClientId}`), allow('iot:Publish', '*'))]);
    assert.ok(!c.includes('NO_CONNECT'), c.join());
    assert.ok(!c.includes('CONNECT_DENIED_FOR_CLIENT'), c.join());
  });

  test('no NO_CONNECT for client/${iot:ClientId} when the context has no client id yet', () => {
    assert.ok(!codes([doc(allow('iot:Connect', `${ARN}client/\${iot:ClientId}`), allow('iot:Publish', '*'))], HTTP).includes('NO_CONNECT'));
  });

  test('iot:Connect on a topic/ ARN still counts as NO_CONNECT', () => {
    assert.ok(codes([doc(allow(['iot:Connect', 'iot:Publish'], `${ARN}topic/x`))]).includes('NO_CONNECT'));
  });

  test('CONNECT_DENIED_FOR_CLIENT when Connect is allowed only for other client ids', () => {
    const s = summarizePolicies([doc(allow('iot:Connect', `${ARN}client/sensor-*`))], MQTT);
    const w = s.warnings.find((x) => x.code === 'CONNECT_DENIED_FOR_CLIENT');
    assert.ok(w, JSON.stringify(s.warnings));
    assert.match(w.message, /"device1"/);
  });

  test('NO_ALLOW when every statement denies', () => {
    const c = codes([doc(deny('iot:*', '*'))]);
    assert.deepStrictEqual(c, ['NO_ALLOW']);
  });

  test('SUBSCRIBE_WITHOUT_RECEIVE when subscriptions can never deliver', () => {
    const c = codes([doc(allow('iot:Connect', '*'), allow('iot:Subscribe', `${ARN}topicfilter/a/*`))]);
    assert.ok(c.includes('SUBSCRIBE_WITHOUT_RECEIVE'), c.join());
    assert.ok(!codes([doc(allow('iot:Connect', '*'), allow(['iot:Subscribe', 'iot:Receive'], [`${ARN}topicfilter/a/*`, `${ARN}topic/a/*`]))]).includes('SUBSCRIBE_WITHOUT_RECEIVE'));
  });

  test('RECEIVE_WITHOUT_SUBSCRIBE when Subscribe names a topic/ ARN by mistake', () => {
    const s = summarizePolicies([doc(allow('iot:Connect', '*'), allow(['iot:Subscribe', 'iot:Receive'], `${ARN}topic/a`))], MQTT);
    const w = s.warnings.find((x) => x.code === 'RECEIVE_WITHOUT_SUBSCRIBE');
    assert.ok(w);
    assert.strictEqual(w.severity, 'info');
  });

  test('RETAIN_WITHOUT_PUBLISH', () => {
    assert.ok(codes([doc(allow('iot:Connect', '*'), allow('iot:RetainPublish', `${ARN}topic/s`))]).includes('RETAIN_WITHOUT_PUBLISH'));
  });

  test('ALLOW_EVERYTHING for iot:* on * but not for a scoped statement', () => {
    assert.ok(codes([doc(allow('iot:*', '*'))]).includes('ALLOW_EVERYTHING'));
    assert.ok(codes([doc(allow('*', 'arn:aws:iot:*:*:*'))]).includes('ALLOW_EVERYTHING'));
    assert.ok(!codes([doc(allow('iot:*', `${ARN}topic/x`), allow('iot:Connect', '*'))]).includes('ALLOW_EVERYTHING'));
  });

  test('CLIENT_ID_VARIABLE_IN_TOPIC_FILTER when any client id may connect (AWS "+" client id advice)', () => {
    const filter = allow('iot:Subscribe', `${ARN}topicfilter/my/\${iot:ClientId}/topic`);
    assert.ok(codes([doc(allow('iot:Connect', `${ARN}client/*`), filter, allow('iot:Receive', '*'))]).includes('CLIENT_ID_VARIABLE_IN_TOPIC_FILTER'));
    assert.ok(codes([doc(allow('iot:Connect', `${ARN}client/\${iot:ClientId}`), filter, allow('iot:Receive', '*'))]).includes('CLIENT_ID_VARIABLE_IN_TOPIC_FILTER'), 'client/${iot:ClientId} admits "+" too');
    assert.ok(!codes([doc(allow('iot:Connect', `${ARN}client/device1`), filter, allow('iot:Receive', '*'))]).includes('CLIENT_ID_VARIABLE_IN_TOPIC_FILTER'));
  });

  test('unreadable documents, unknown variables and unsubstituted variables are reported', () => {
    const s = summarizePolicies([
      'nope',
      doc(allow('iot:Publish', [`${ARN}topic/\${iot:Topic}`, `${ARN}topic/\${iot:ClientId}`])),
      { Version: '2008-10-17', Statement: [allow('iot:Connect', `${ARN}client/\${iot:ClientId}`)] },
    ], HTTP);
    assert.deepStrictEqual(s.unsupported.map((u) => [u.code, u.path]), [
      ['DOCUMENT_UNREADABLE', 'policyDocuments[0]'],
      ['VARIABLE_UNKNOWN', 'policyDocuments[1].Statement[0].Resource'],
      ['VARIABLE_NOT_SUBSTITUTED', 'policyDocuments[2].Statement[0].Resource'],
    ]);
  });
});

suite('default requests', () => {
  test('connect as the client, then each named topic and filter with variables and wildcards filled in', () => {
    const docs = [doc(
      allow('iot:Connect', `${ARN}client/\${iot:ClientId}`),
      allow('iot:Publish', [`${ARN}topic/telemetry/\${iot:ClientId}`, `${ARN}topic/events/*`]),
      allow('iot:Subscribe', [`${ARN}topicfilter/cmd/\${iot:ClientId}`, `${ARN}topicfilter/broadcast/#`]),
      deny('iot:Publish', `${ARN}topic/telemetry/secret`),
    )];
    const rows = defaultRequestsFor(MQTT, summarizePolicies(docs, MQTT));
    assert.deepStrictEqual(rows, [
      { action: 'iot:Connect', clientId: 'device1' },
      { action: 'iot:Publish', topic: 'telemetry/device1' },
      { action: 'iot:Publish', topic: 'events/example' },
      { action: 'iot:Publish', topic: 'telemetry/secret' },
      { action: 'iot:Subscribe', topicFilter: 'cmd/device1' },
      { action: 'iot:Subscribe', topicFilter: 'broadcast/#' },
      { action: 'iot:Receive', topic: 'cmd/device1' },
    ]);
    const decisions = evaluateMatrix(docs, MQTT, rows);
    assert.deepStrictEqual(decisions.map((d) => d.allowed), [true, true, true, false, true, true, false]);
  });

  test('no connect row without a client id, and iot:* expands to every action', () => {
    const docs = [doc(allow('iot:*', `${ARN}topic/a`))];
    const rows = defaultRequestsFor(HTTP, summarizePolicies(docs, HTTP));
    assert.deepStrictEqual(rows, [
      { action: 'iot:Publish', topic: 'a' },
      { action: 'iot:RetainPublish', topic: 'a' },
      { action: 'iot:Receive', topic: 'a' },
    ]);
  });

  test('the domain doc example gives a publish row the HTTP context allows', () => {
    const docs = [{ Version: '2012-10-17', Statement: [{ Action: 'iot:Publish', Effect: 'Allow' as const, Resource: 'arn:aws:iot:*:*:topic/customAuthTestTopic' }] }];
    const rows = defaultRequestsFor(MQTT, summarizePolicies(docs, MQTT));
    const decisions = evaluateMatrix(docs, MQTT, rows);
    assert.deepStrictEqual(decisions.map((d) => [d.action, d.resourceArn, d.allowed]), [
      ['iot:Connect', `${ARN}client/device1`, false],
      ['iot:Publish', `${ARN}topic/customAuthTestTopic`, true],
    ]);
  });
});
