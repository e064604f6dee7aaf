// Conditions a test event can now decide: IpAddress/NotIpAddress on aws:SourceIp (IPv4 and IPv6
// CIDR blocks) and iot:ConnectAttributes from the CONNECT flags the event states. When the event
// does not state what a condition reads, the verdict stays undecided.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { cidrContains, parseCidr, parseIp } from '../../src/core/cidr';
import { connectAttributesOf } from '../../src/core/eventOperations';
import { AuthorizationDecision, evaluatePolicies, PolicyContext, PolicyStatement } from '../../src/core/policy';
import { parseTestEvent } from '../../src/core/testEvent';
import { invokeEventFile } from '../../src/local/invokeAuthorizer';
import type { LocalRuntime } from '../../src/local/runtime';
import { closeTempRuntime, openTempRuntime } from './tempRuntime';

const BASE: PolicyContext = { region: 'eu-west-1', accountId: '123456789012', clientId: 'dev1' };

function connect(statements: PolicyStatement[], ctx: Partial<PolicyContext>): AuthorizationDecision {
  return evaluatePolicies([{ Version: '2012-10-17', Statement: statements }], { action: 'iot:Connect' }, { ...BASE, ...ctx });
}

function verdict(d: AuthorizationDecision): string {
  return `${d.allowed ? 'allowed' : 'denied'}${d.certain ? '' : ' (uncertain)'}`;
}

const ALLOW_CONNECT: PolicyStatement = { Effect: 'Allow', Action: 'iot:Connect', Resource: '*' };

suite('CIDR blocks', () => {
  test('IPv4 and IPv6 addresses and blocks parse; malformed ones do not', () => {
    for (const good of ['10.0.0.0/8', '203.0.113.7', '0.0.0.0/0', '2001:db8::/32', '::1', '::ffff:192.0.2.1/128', 'fe80::1:2:3:4', '1:2:3:4:5:6:7:8/64']) {
      assert.ok(parseCidr(good), good);
    }
    for (const bad of ['10.0.0.0/33', '10.0.0/8', '256.1.1.1', '10.0.0.01', 'abc', '', '10.0.0.0/', '10.0.0.0/-1', '2001:db8::/129', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::']) {
      assert.strictEqual(parseCidr(bad), undefined, bad);
    }
  });

  test('containment by prefix; IPv4 never lies in an IPv6 block', () => {
    const inside = (block: string, ip: string) => cidrContains(parseCidr(block)!, parseIp(ip)!);
    assert.strictEqual(inside('10.0.0.0/8', '10.255.3.4'), true);
    assert.strictEqual(inside('10.0.0.0/8', '11.0.0.1'), false);
    assert.strictEqual(inside('203.0.113.0/25', '203.0.113.127'), true);
    assert.strictEqual(inside('203.0.113.0/25', '203.0.113.128'), false);
    assert.strictEqual(inside('0.0.0.0/0', '198.51.100.1'), true);
    assert.strictEqual(inside('2001:db8::/32', '2001:0db8:ffff::1'), true);
    assert.strictEqual(inside('2001:db8::/32', '2001:db9::1'), false);
    assert.strictEqual(inside('::/0', '10.0.0.1'), false);
    assert.strictEqual(inside('::ffff:0:0/96', '::ffff:192.0.2.1'), true);
  });
});

suite('IpAddress / NotIpAddress on aws:SourceIp', () => {
  const inTen: PolicyStatement = { ...ALLOW_CONNECT, Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] } } };

  test('IpAddress allows an address inside a block and denies one outside, IPv4 and IPv6', () => {
    assert.strictEqual(verdict(connect([inTen], { sourceIp: '10.1.2.3' })), 'allowed');
    assert.strictEqual(verdict(connect([inTen], { sourceIp: '2001:db8::7' })), 'allowed');
    assert.strictEqual(verdict(connect([inTen], { sourceIp: '192.0.2.1' })), 'denied');
    assert.strictEqual(verdict(connect([inTen], { sourceIp: '2001:db9::7' })), 'denied');
  });

  test('NotIpAddress is the complement', () => {
    const st: PolicyStatement = { ...ALLOW_CONNECT, Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } };
    assert.strictEqual(verdict(connect([st], { sourceIp: '10.1.2.3' })), 'denied');
    assert.strictEqual(verdict(connect([st], { sourceIp: '192.0.2.1' })), 'allowed');
  });

  test('without a source IP the verdict is undecided, with a finding saying what is missing', () => {
    const d = connect([inTen], {});
    assert.strictEqual(verdict(d), 'denied (uncertain)');
    assert.ok(d.unsupported.some((f) => f.code === 'CONDITION_KEY_NO_VALUE' && /aws:SourceIp/.test(f.message)), JSON.stringify(d.unsupported));
  });

  test('a malformed CIDR is named in a finding; it matches nothing, so the verdict is undecided unless another block decides', () => {
    const st: PolicyStatement = { ...ALLOW_CONNECT, Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/33', '192.0.2.0/24'] } } };
    const outside = connect([st], { sourceIp: '198.51.100.1' });
    assert.strictEqual(verdict(outside), 'denied (uncertain)');
    const finding = outside.unsupported.find((f) => f.code === 'CONDITION_VALUE_MALFORMED');
    assert.ok(finding, JSON.stringify(outside.unsupported));
    assert.match(finding.message, /"10\.0\.0\.0\/33"/);
    assert.strictEqual(finding.path, 'policyDocuments[0].Statement[0].Condition');
    assert.strictEqual(verdict(connect([st], { sourceIp: '192.0.2.9' })), 'allowed');
  });

  test('explicit Deny with IpAddress wins over an Allow for addresses inside, not outside', () => {
    const deny: PolicyStatement = { Effect: 'Deny', Action: 'iot:Connect', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } };
    const inside = connect([ALLOW_CONNECT, deny], { sourceIp: '203.0.113.50' });
    assert.deepStrictEqual([verdict(inside), inside.reason], ['denied', 'explicit-deny']);
    assert.strictEqual(verdict(connect([ALLOW_CONNECT, deny], { sourceIp: '198.51.100.1' })), 'allowed');
    // Without the address the Deny is assumed to apply, and the verdict says it is not certain.
    const unknown = connect([ALLOW_CONNECT, deny], {});
    assert.strictEqual(verdict(unknown), 'denied (uncertain)');
  });

  test('IpAddress on another key is reported, not guessed', () => {
    const st: PolicyStatement = { ...ALLOW_CONNECT, Condition: { IpAddress: { 'iot:ClientId': '10.0.0.0/8' } } };
    const d = connect([st], { sourceIp: '10.0.0.1' });
    assert.strictEqual(verdict(d), 'denied (uncertain)');
    assert.ok(d.unsupported.some((f) => /only on aws:SourceIp/.test(f.message)));
  });
});

suite('iot:ConnectAttributes', () => {
  const persistentOnly: PolicyStatement = { ...ALLOW_CONNECT, Condition: { 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': ['PersistentConnect'] } } };
  const anyWill: PolicyStatement = { ...ALLOW_CONNECT, Condition: { 'ForAnyValue:StringEquals': { 'iot:ConnectAttributes': ['LastWill'] } } };

  test('the CONNECT flags give the attributes; without cleanSession they are unknown', () => {
    assert.deepStrictEqual(connectAttributesOf({ cleanSession: false, will: { topic: 'w' } }), ['PersistentConnect', 'LastWill']);
    assert.deepStrictEqual(connectAttributesOf({ cleanSession: true }), []);
    assert.strictEqual(connectAttributesOf({ will: { topic: 'w' } }), undefined);
    assert.strictEqual(connectAttributesOf(undefined), undefined);
  });

  test('ForAllValues: every attribute must be listed; no attributes passes', () => {
    assert.strictEqual(verdict(connect([persistentOnly], { connectAttributes: ['PersistentConnect'] })), 'allowed');
    assert.strictEqual(verdict(connect([persistentOnly], { connectAttributes: ['PersistentConnect', 'LastWill'] })), 'denied');
    assert.strictEqual(verdict(connect([persistentOnly], { connectAttributes: [] })), 'allowed');
  });

  test('ForAnyValue: one listed attribute is enough; no attributes fails', () => {
    assert.strictEqual(verdict(connect([anyWill], { connectAttributes: ['PersistentConnect', 'LastWill'] })), 'allowed');
    assert.strictEqual(verdict(connect([anyWill], { connectAttributes: ['PersistentConnect'] })), 'denied');
    assert.strictEqual(verdict(connect([anyWill], { connectAttributes: [] })), 'denied');
  });

  test('when the event does not state the flags, the verdict is undecided and the finding says what to add', () => {
    const d = connect([persistentOnly], {});
    assert.strictEqual(verdict(d), 'denied (uncertain)');
    const f = d.unsupported.find((u) => u.code === 'CONDITION_KEY_NO_VALUE');
    assert.ok(f, JSON.stringify(d.unsupported));
    assert.match(f.message, /cleanSession/);
  });

  test('explicit Deny of persistent sessions wins when the device asks for one', () => {
    const deny: PolicyStatement = {
      Effect: 'Deny',
      Action: 'iot:Connect',
      Resource: '*',
      Condition: { 'ForAnyValue:StringEquals': { 'iot:ConnectAttributes': 'PersistentConnect' } },
    };
    const persistent = connect([ALLOW_CONNECT, deny], { connectAttributes: ['PersistentConnect'] });
    assert.deepStrictEqual([verdict(persistent), persistent.reason], ['denied', 'explicit-deny']);
    assert.strictEqual(verdict(connect([ALLOW_CONNECT, deny], { connectAttributes: ['LastWill'] })), 'allowed');
    assert.strictEqual(verdict(connect([ALLOW_CONNECT, deny], {})), 'denied (uncertain)');
  });

  test('a plain operator on the set-valued key is reported, not guessed', () => {
    const st: PolicyStatement = { ...ALLOW_CONNECT, Condition: { StringEquals: { 'iot:ConnectAttributes': 'PersistentConnect' } } };
    const d = connect([st], { connectAttributes: ['PersistentConnect'] });
    assert.strictEqual(verdict(d), 'denied (uncertain)');
    assert.ok(d.unsupported.some((f) => /ForAllValues:StringEquals or ForAnyValue:StringEquals/.test(f.message)), JSON.stringify(d.unsupported));
  });
});

suite('test events: CONNECT flags', function () {
  this.timeout(30_000);
  let dir: string;
  let runtime: LocalRuntime;
  setup(() => ({ dir, runtime } = openTempRuntime('iot-authz-conditions-')));
  teardown(() => closeTempRuntime({ dir, runtime }));

  test('"mqtt.cleanSession" and "mqtt.will" parse; bad values point at their field', () => {
    const ok = parseTestEvent(JSON.stringify({ protocol: 'mqtt', mqtt: { clientId: 'd', cleanSession: false, will: { topic: 'd/lost', qos: 1, retain: false } } }));
    assert.deepStrictEqual(ok.issues, []);
    assert.deepStrictEqual([ok.request?.mqtt?.cleanSession, ok.request?.mqtt?.will], [false, { topic: 'd/lost', qos: 1, retain: false }]);
    const bad = parseTestEvent(JSON.stringify({ protocol: 'mqtt', mqtt: { cleanSession: 'no', will: { qos: 2, extra: 1 } } }));
    assert.deepStrictEqual(
      bad.issues.map((i) => `${i.severity} ${i.jsonPath}`).sort(),
      ['error mqtt.cleanSession', 'error mqtt.will.qos', 'error mqtt.will.topic', 'warning mqtt.will.extra'],
    );
  });

  test('a run evaluates iot:ConnectAttributes from the event; an HTTPS publish has no CONNECT flags', async () => {
    fs.writeFileSync(
      path.join(dir, 'iot-authorizer.json'),
      JSON.stringify({ authorizers: [{ name: 'A', handler: 'h.js:handler', runtime: 'nodejs20.x', signingDisabled: true }] }),
    );
    const answer = {
      isAuthenticated: true,
      principalId: 'p1',
      refreshAfterInSeconds: 300,
      disconnectAfterInSeconds: 300,
      policyDocuments: [{ Version: '2012-10-17', Statement: [{ ...ALLOW_CONNECT, Condition: { 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': ['LastWill'] } } }] }],
    };
    fs.writeFileSync(path.join(dir, 'h.js'), `exports.handler = async () => (${JSON.stringify(answer)});`);
    const runWith = async (mqtt: Record<string, unknown>) => {
      fs.writeFileSync(path.join(dir, 'e.authz.json'), JSON.stringify({ authorizer: 'A', protocol: 'mqtt', mqtt: { clientId: 'dev1', ...mqtt } }));
      const r = await invokeEventFile(runtime, { eventFile: path.join(dir, 'e.authz.json') });
      const d = r.evaluation?.decisions.find((x) => x.action === 'iot:Connect');
      return d ? verdict(d) : 'no row';
    };
    assert.strictEqual(await runWith({ cleanSession: true, will: { topic: 'dev1/lost' } }), 'allowed');
    assert.strictEqual(await runWith({ cleanSession: false, will: { topic: 'dev1/lost' } }), 'denied');
    assert.strictEqual(await runWith({}), 'denied (uncertain)');
  });
});
