// The pure parts of going to AWS: the runtime table, the plan, a test-invoke answer as an
// InvocationResult (AWS's refusals explained by the local checks), and the deployment zip
// (deterministic, no keys or test events inside, TypeScript bundled).
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { unzipSync } from 'fflate';
import { deterministicZip, packageHandler, sha256Base64 } from '../../src/aws/packageHandler';
import type { AwsTarget } from '../../src/aws/account';
import type { IotAuthorizers } from '../../src/aws/iot';
import { testInvokeInAws } from '../../src/aws/testInvoke';
import { awsTestInvokeResult } from '../../src/core/awsTestInvoke';
import type { ResolvedDeviceRequest } from '../../src/core/events';
import { DesiredState, formatPlan, planDeploy, planIsNoop } from '../../src/core/deployPlan';
import { checkLambdaRuntime, LAMBDA_RUNTIMES } from '../../src/core/lambdaRuntimes';
import { loadProject } from '../../src/core/project';
import type { InvocationResult } from '../../src/core/result';
import { validateAuthorizerResponse } from '../../src/core/response';
import { runViewOf } from '../../src/vscode/panel/runView';

const TARGET = { kind: 'aws' as const, region: 'eu-west-1', accountId: '123456789012' };

suite('Lambda runtime table', () => {
  test('supported, deprecated (warned), create-blocked and update-blocked on given days', () => {
    assert.strictEqual(checkLambdaRuntime('nodejs22.x', new Date('2026-12-02')).standing, 'supported');
    const deprecated = checkLambdaRuntime('nodejs20.x', new Date('2026-05-15'));
    assert.strictEqual(deprecated.standing, 'deprecated');
    assert.match(deprecated.message ?? '', /deprecated since 2026-04-30.*"runtime": "nodejs24\.x"/);
    // AWS moved the blocks of deprecated runtimes to 2027-02-01 (create) and 2027-03-03 (update).
    assert.strictEqual(checkLambdaRuntime('nodejs20.x', new Date('2026-12-02')).standing, 'deprecated', 'still accepted until 2027-02-01');
    assert.strictEqual(checkLambdaRuntime('nodejs20.x', new Date('2027-02-01')).standing, 'create-blocked');
    assert.strictEqual(checkLambdaRuntime('nodejs20.x', new Date('2027-02-01'), false).standing, 'deprecated', 'an existing function can still be updated');
    assert.strictEqual(checkLambdaRuntime('python3.9', new Date('2027-03-03'), false).standing, 'update-blocked');
    assert.strictEqual(checkLambdaRuntime('python3.10', new Date('2026-10-30')).standing, 'supported', 'python3.10 is deprecated from 2026-10-31');
    assert.strictEqual(checkLambdaRuntime('nodejs99.x').standing, 'unknown');
  });

  test('the table is ordered newest first per language and its dates are in order', () => {
    for (const r of LAMBDA_RUNTIMES) assert.ok(r.deprecation <= r.blockCreate && r.blockCreate <= r.blockUpdate, r.id);
  });

  test('the example workspace uses a runtime AWS accepts today', () => {
    const { project } = loadProject(path.resolve(__dirname, '../../../examples/workspace/iot-authorizer.json'));
    for (const a of project?.authorizers ?? []) assert.strictEqual(checkLambdaRuntime(a.runtime).standing, 'supported', a.runtime);
    assert.ok((project?.authorizers.length ?? 0) > 0);
  });
});

suite('deploy plan', () => {
  const desired: DesiredState = {
    function: { name: 'fn', runtime: 'nodejs22.x', handler: 'authorizer.handler', roleArn: 'arn:aws:iam::123456789012:role/r', codeSha256: 'abc', codeSize: 10 },
    authorizer: { name: 'A', tokenKeyName: 'X-Token', publicKeys: { k1: 'PEM1' }, status: 'ACTIVE', signingDisabled: false, enableCachingForHttp: false },
    setDefault: false,
  };
  const observedAll = {
    accountId: '123456789012', region: 'eu-west-1',
    function: { arn: 'arn:aws:lambda:eu-west-1:123456789012:function:fn', runtime: 'nodejs22.x', handler: 'authorizer.handler', role: 'arn:aws:iam::123456789012:role/r', codeSha256: 'abc' },
    permissions: [{ sid: 'x', principal: 'iot.amazonaws.com', action: 'lambda:InvokeFunction', sourceArn: 'arn:aws:iot:eu-west-1:123456789012:authorizer/A' }],
    authorizer: { arn: 'arn:aws:iot:eu-west-1:123456789012:authorizer/A', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fn', tokenKeyName: 'X-Token', publicKeys: { k1: 'PEM1\n' }, status: 'ACTIVE', signingDisabled: false, enableCachingForHttp: false },
  };

  test('everything in place: a no-op, and PEMs compare without trailing whitespace', () => {
    const plan = planDeploy(desired, observedAll, new Date('2026-12-02'));
    assert.ok(planIsNoop(plan));
    assert.match(formatPlan(plan), /Nothing to change/);
  });

  test('status, caching and token key changes are listed one per line', () => {
    const plan = planDeploy({ ...desired, authorizer: { ...desired.authorizer, status: 'INACTIVE', enableCachingForHttp: true, tokenKeyName: 'Other' } }, observedAll, new Date('2026-12-02'));
    assert.deepStrictEqual(plan.steps.find((s) => s.kind === 'authorizer')?.changes, ['token key name: X-Token → Other', 'status: ACTIVE → INACTIVE', 'HTTP caching: off → on']);
  });

  test('a statement id taken by something else blocks with the command to remove it', () => {
    const plan = planDeploy(desired, { ...observedAll, permissions: [{ sid: 'iot-authz-A', principal: 'events.amazonaws.com', action: 'lambda:InvokeFunction' }] }, new Date('2026-12-02'));
    assert.match(plan.blockers.join(' '), /aws lambda remove-permission --function-name fn --statement-id iot-authz-A/);
  });
});

function localRun(response: unknown): InvocationResult {
  return { id: 'l', startedAt: '', target: { kind: 'local' }, outcome: 'invalid-response', headline: '', request: { protocol: 'http' }, signature: { status: 'verified' }, response, validation: validateAuthorizerResponse(response), problems: [], logs: { text: '', truncated: false }, timings: { totalMs: 1 }, source: {} };
}

suite('test-invoke answer as InvocationResult', () => {
  test('InvalidResponseException is explained by the local run of the same request', () => {
    const r = awsTestInvokeResult({
      target: TARGET, accountId: '123456789012', request: { protocol: 'http', token: 't' }, startedAt: 'now', totalMs: 5,
      error: { name: 'InvalidResponseException', message: 'null at principalId failed to satisfy constraint: Member must satisfy ([a-zA-Z0-9]){1,128}' },
      explanation: { localRun: localRun({ isAuthenticated: false }) },
    });
    assert.strictEqual(r.outcome, 'invalid-response');
    assert.strictEqual(r.target.kind, 'aws');
    assert.ok(r.validation && !r.validation.valid);
    assert.ok(r.problems.some((p) => /Run locally on the same request, the handler's answer breaks .*principalId/.test(p.message)), JSON.stringify(r.problems));
  });

  test('InvalidResponseException while the local answer is valid points at a stale deployment', () => {
    const r = awsTestInvokeResult({
      target: TARGET, accountId: '123456789012', request: { protocol: 'http', token: 't' }, startedAt: 'now', totalMs: 5,
      error: { name: 'InvalidResponseException', message: 'Lambda invocation result is in invalid format' },
      explanation: { localRun: localRun({ isAuthenticated: true, principalId: 'dev1', policyDocuments: [] }) },
    });
    assert.ok(r.problems.some((p) => /deployed code differs from the workspace/.test(p.message)));
  });

  test('a signature the workspace key verifies but AWS refuses: the keys in AWS differ', () => {
    const r = awsTestInvokeResult({
      target: TARGET, accountId: '123456789012', request: { protocol: 'http', token: 't' }, startedAt: 'now', totalMs: 5,
      error: { name: 'InvalidRequestException', message: 'Token signature mismatch for authorizer A' },
      explanation: { signature: { status: 'verified', keyName: 'example' } },
    });
    assert.strictEqual(r.outcome, 'signature-rejected');
    assert.ok(r.problems.some((p) => /workspace key "example" verifies this signature locally.*Deploy again/.test(p.message)));
  });

  test('token with a context is a request error that says what AWS accepts', () => {
    const r = awsTestInvokeResult({ target: TARGET, accountId: '123456789012', request: { protocol: 'http' }, startedAt: 'now', totalMs: 1, error: { name: 'InvalidRequestException', message: 'Request cannot have token and Http/Mqtt/Tls context.' } });
    assert.strictEqual(r.outcome, 'request-error');
    assert.ok(r.problems.some((p) => /either a token and signature, or a request context/.test(p.message)));
    // AWS refused the request itself: it checked no signature (it used to say "verified by AWS").
    assert.deepStrictEqual(r.signature, { status: 'not-checked', diagnosis: 'Not checked: AWS refused the test-invoke request before it checked the signature.' });
  });

  test('an allowed answer is judged by the same assembly as a local run: prefixed headline, Connect evaluated for the client', () => {
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:eu-west-1:123456789012:client/other' }] });
    const r = awsTestInvokeResult({
      target: TARGET, accountId: '123456789012', request: { protocol: 'mqtt', clientId: 'sensor1', token: 't' }, startedAt: 'now', totalMs: 1,
      answer: { isAuthenticated: true, principalId: 'sensor1', policyDocuments: [policy], refreshAfterInSeconds: 300, disconnectAfterInSeconds: 3600 },
    });
    assert.strictEqual(r.outcome, 'allowed');
    assert.match(r.headline, /^AWS: allowed as sensor1 \(1 policy\), but iot:Connect is denied for client "sensor1"/);
    assert.strictEqual(r.evaluation?.context.clientId, 'sensor1');
    assert.strictEqual(r.evaluation?.decisions.find((d) => d.action === 'iot:Connect')?.allowed, false);
    assert.strictEqual(r.signature.status, 'verified');
  });

  test('a denial keeps the answer and its validation', () => {
    const r = awsTestInvokeResult({ target: TARGET, accountId: '123456789012', request: { protocol: 'http', token: 't' }, startedAt: 'now', totalMs: 1, answer: { isAuthenticated: false, principalId: 'x', policyDocuments: [] } });
    assert.strictEqual(r.outcome, 'denied');
    assert.strictEqual(r.validation?.valid, true);
    assert.deepStrictEqual(r.response, { isAuthenticated: false, principalId: 'x', policyDocuments: [] });
  });
});

suite('deployment zip', () => {
  let dir: string;
  setup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-zip-'));
  });
  teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  function project(handler: string, runtime: string) {
    fs.writeFileSync(path.join(dir, 'iot-authorizer.json'), JSON.stringify({ authorizers: [{ name: 'Z', handler, runtime, signingDisabled: true }] }));
    const { project: p, issues } = loadProject(path.join(dir, 'iot-authorizer.json'));
    assert.ok(p?.authorizers[0], JSON.stringify(issues));
    return p.authorizers[0];
  }

  test('the same sources give the same bytes and CodeSha256; sha256 is base64 as Lambda reports it', async () => {
    fs.writeFileSync(path.join(dir, 'app.py'), 'def handler(event, context):\n    return {}\n');
    fs.writeFileSync(path.join(dir, 'util.py'), 'X = 1\n');
    const config = project('app.py:handler', 'python3.13');
    const a = await packageHandler(config);
    // A later mtime must not change the zip.
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(dir, 'util.py'), later, later);
    const b = await packageHandler(config);
    assert.strictEqual(a.sha256, b.sha256);
    assert.deepStrictEqual(Buffer.from(a.zip), Buffer.from(b.zip));
    assert.strictEqual(a.sha256, crypto.createHash('sha256').update(a.zip).digest('base64'));
    assert.strictEqual(a.handler, 'app.handler');
    fs.writeFileSync(path.join(dir, 'util.py'), 'X = 2\n');
    assert.notStrictEqual((await packageHandler(config)).sha256, a.sha256);
  });

  test('keys, test events, hidden folders and the project file stay out of the zip', async () => {
    fs.writeFileSync(path.join(dir, 'authorizer.js'), 'exports.handler = async () => ({});\n');
    fs.mkdirSync(path.join(dir, '.iot-authz/keys/k'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.iot-authz/keys/k/private_key.pem'), 'secret');
    fs.mkdirSync(path.join(dir, 'events'));
    fs.writeFileSync(path.join(dir, 'events/a.authz.json'), '{}');
    fs.writeFileSync(path.join(dir, 'x.authz.json'), '{}');
    fs.writeFileSync(path.join(dir, 'stray.pem'), 'secret');
    fs.mkdirSync(path.join(dir, 'lib'));
    fs.writeFileSync(path.join(dir, 'lib/helper.js'), 'module.exports = 1;\n');
    const pkg = await packageHandler(project('authorizer.js:handler', 'nodejs22.x'));
    assert.deepStrictEqual(pkg.files, ['authorizer.js', 'lib/helper.js']);
    assert.deepStrictEqual(Object.keys(unzipSync(pkg.zip)).sort(), ['authorizer.js', 'lib/helper.js']);
  });

  test('a TypeScript handler is bundled to index.js (CommonJS) with esbuild', async () => {
    fs.writeFileSync(path.join(dir, 'auth.ts'), "import { helper } from './helper';\nexport const handler = async (): Promise<{ principalId: string }> => ({ principalId: helper() });\n");
    fs.writeFileSync(path.join(dir, 'helper.ts'), "export function helper(): string { return 'fromHelper'; }\n");
    const pkg = await packageHandler(project('auth.ts:handler', 'nodejs22.x'));
    assert.deepStrictEqual(pkg.files, ['index.js']);
    assert.strictEqual(pkg.handler, 'index.handler');
    assert.match(pkg.bundler ?? '', /^esbuild \d/);
    const code = Buffer.from(unzipSync(pkg.zip)['index.js']).toString('utf8');
    const m = { exports: {} as { handler?: () => Promise<{ principalId: string }> } };
    new Function('module', 'exports', 'require', code)(m, m.exports, require);
    assert.deepStrictEqual(await m.exports.handler?.(), { principalId: 'fromHelper' });
  });

  test('deterministicZip sorts entries whatever order they come in', () => {
    const x = new Uint8Array([1, 2, 3]);
    const y = new Uint8Array([4]);
    assert.strictEqual(sha256Base64(deterministicZip(new Map([['b', y], ['a', x]]))), sha256Base64(deterministicZip(new Map([['a', x], ['b', y]]))));
  });
});

suite('AWS keys matched with workspace keys', () => {
  test('by fingerprint, whatever the name in AWS', async () => {
    const { matchAwsKeys, describeKeyMatch } = await import('../../src/core/keyMatch');
    const { importPublicKey } = await import('../../src/core/keys');
    const { fixture } = await import('./keyFixtures');
    const mine = importPublicKey(fixture('rsa2048_public_key.pem'));
    const matched = matchAwsKeys({ renamed: fixture('rsa2048_public_key.pem'), other: fixture('other_rsa2048_public_key.pem'), broken: 'nope' }, [{ name: 'example', fingerprint: mine.fingerprint }]);
    assert.deepStrictEqual(matched.map((m) => [m.name, m.workspaceKey ?? '-', m.problem ? 'problem' : 'ok']), [['broken', '-', 'problem'], ['other', '-', 'ok'], ['renamed', 'example', 'ok']]);
    assert.match(describeKeyMatch(matched[2]), /matches key example$/);
    assert.match(describeKeyMatch(matched[1]), /no local key$/);
  });
});

suite('test-invoke of an event file: what the panel shows about its token and signature', () => {
  const target = { accountId: '123456789012', region: 'eu-west-1', partition: 'aws' } as AwsTarget;
  const answered = { testInvoke: async () => ({ answer: { isAuthenticated: true, principalId: 'sensor1', policyDocuments: [] } }) } as unknown as IotAuthorizers;
  const mqttRequest: ResolvedDeviceRequest = {
    protocol: 'mqtt',
    serverName: 'example-ats.iot.eu-west-1.amazonaws.com',
    mqtt: { clientId: 'sensor1', username: 'sensor1?x-amz-customauthorizer-name=A&X-Token=allow-sensor1&x-amz-customauthorizer-signature=c2ln' },
  };

  test('the token from the MQTT username and the signature as sent, verified by AWS', async () => {
    const run = await testInvokeInAws({ iot: answered, target, authorizerName: 'A', input: { kind: 'context', request: mqttRequest }, tokenKeyName: 'X-Token' });
    const view = runViewOf(run);
    assert.strictEqual(view.request.token, 'allow-sensor1');
    assert.strictEqual(view.signature.status, 'verified');
    assert.match(view.signature.diagnosis ?? '', /^Sent, verified by AWS/);
  });

  test('the token from the headers; a request without a signature says so, one with signing disabled says that', async () => {
    const http: ResolvedDeviceRequest = { protocol: 'http', serverName: 's', headers: { 'X-Token': 'allow-sensor1' } };
    const unsigned = runViewOf(await testInvokeInAws({ iot: answered, target, authorizerName: 'A', input: { kind: 'context', request: http }, tokenKeyName: 'X-Token' }));
    assert.strictEqual(unsigned.request.token, 'allow-sensor1');
    assert.strictEqual(unsigned.signature.status, 'missing');
    assert.match(unsigned.signature.diagnosis ?? '', /No signature next to the token/);
    const disabled = runViewOf(
      await testInvokeInAws({ iot: answered, target, authorizerName: 'A', input: { kind: 'context', request: http }, tokenKeyName: 'X-Token', signingDisabled: true }),
    );
    assert.strictEqual(disabled.signature.status, 'disabled');
  });

  test('a token test-invoke AWS answered: the token, and the signature sent, verified by AWS', async () => {
    const view = runViewOf(await testInvokeInAws({ iot: answered, target, authorizerName: 'A', input: { kind: 'token', token: 'allow-sensor1', signature: 'c2ln' } }));
    assert.strictEqual(view.request.token, 'allow-sensor1');
    assert.strictEqual(view.signature.status, 'verified');
    assert.match(view.signature.diagnosis ?? '', /^Sent, verified by AWS/);
  });
});
