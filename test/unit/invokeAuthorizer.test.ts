// invokeAuthorizer / invokeEventFile with the real local runtime on the project in
// test/fixtures/projects/invoke (copied to a temp folder, where its signing key is generated).
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ACCOUNT_ID_ENV, LOCAL_ACCOUNT_ID, LOCAL_DEFAULT_REGION } from '../../src/core/constants';
import { generateKeyPair } from '../../src/core/keys';
import { writeKeyPair } from '../../src/core/keyStore';
import { AuthorizerProject, loadProject } from '../../src/core/project';
import { REDACTED_PASSWORD } from '../../src/core/result';
import { DeviceRequest, parseTestEvent } from '../../src/core/testEvent';
import { invokeAuthorizer, invokeEventFile, policyRegionAndAccount } from '../../src/local/invokeAuthorizer';
import { LocalRuntime } from '../../src/local/runtime';

const FIXTURE = path.resolve(__dirname, '../../../test/fixtures/projects/invoke');
const PASSWORD = 'fixture-secret-pw';

function request(fields: Record<string, unknown>): DeviceRequest {
  const parsed = parseTestEvent(JSON.stringify(fields));
  assert.ok(parsed.request, JSON.stringify(parsed.issues));
  return parsed.request;
}

suite('invokeAuthorizer', function () {
  this.timeout(30_000);
  let dir: string;
  let project: AuthorizerProject;
  let runtime: LocalRuntime;

  suiteSetup(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-invoke-'));
    fs.cpSync(FIXTURE, dir, { recursive: true });
    await writeKeyPair(dir, 'testkey', await generateKeyPair(2048));
    const loaded = loadProject(path.join(dir, 'iot-authorizer.json'));
    assert.ok(loaded.project, JSON.stringify(loaded.issues));
    project = loaded.project;
    runtime = new LocalRuntime();
  });
  suiteTeardown(async () => {
    await runtime.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (fields: Record<string, unknown>, extra: Partial<Parameters<typeof invokeAuthorizer>[1]> = {}) =>
    invokeAuthorizer(runtime, { project, request: request({ authorizer: 'Main', ...fields }), ...extra });

  test('allowed over MQTT: decision, Connect row first, context, timings, source', async () => {
    const r = await run({ protocol: 'mqtt', mqtt: { clientId: 'd1' }, credentials: { token: 'allow' } });
    assert.strictEqual(r.outcome, 'allowed', r.headline);
    assert.strictEqual(r.headline, 'Allowed as d1 (1 policy)');
    assert.strictEqual(r.target.kind, 'local');
    assert.match(r.id, /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(r.startedAt)));
    assert.strictEqual(r.validation?.valid, true);
    assert.deepStrictEqual(r.evaluation?.context, { region: LOCAL_DEFAULT_REGION, accountId: LOCAL_ACCOUNT_ID, clientId: 'd1', principalId: 'd1' });
    const first = r.evaluation?.decisions[0];
    assert.strictEqual(first?.action, 'iot:Connect');
    assert.strictEqual(first?.allowed, true);
    assert.strictEqual(first?.resourceArn, `arn:aws:iot:${LOCAL_DEFAULT_REGION}:${LOCAL_ACCOUNT_ID}:client/d1`);
    assert.ok(r.evaluation?.decisions.some((d) => d.action === 'iot:Publish' && d.allowed));
    assert.deepStrictEqual(r.evaluation?.summary.warnings, []);
    assert.strictEqual(r.request.clientId, 'd1');
    assert.strictEqual(r.request.token, 'allow');
    assert.strictEqual(r.signature.status, 'disabled');
    assert.ok(r.timings.totalMs > 0 && r.timings.invokeMs !== undefined);
    assert.strictEqual(r.source.projectFile, project.file);
    assert.strictEqual(r.source.handlerFunction, 'handler');
    assert.strictEqual(r.source.handlerFile, path.join(dir, 'handler.js'));
    assert.deepStrictEqual(JSON.parse(JSON.stringify(r)), r, 'plain JSON data');
  });

  test('HTTPS publish: no client id, so no Connect row', async () => {
    const r = await run({ protocol: 'http', credentials: { token: 'allow' } });
    assert.strictEqual(r.outcome, 'allowed');
    assert.strictEqual(r.evaluation?.context.clientId, undefined);
    assert.ok(!r.evaluation?.decisions.some((d) => d.action === 'iot:Connect'));
  });

  test('denied with a valid response: outcome denied, policies not evaluated', async () => {
    const r = await run({ protocol: 'http', credentials: { token: 'deny' } });
    assert.strictEqual(r.outcome, 'denied');
    assert.strictEqual(r.validation?.valid, true);
    assert.strictEqual(r.evaluation, undefined);
  });

  test('invalid response: findings, and the returned policies are still evaluated', async () => {
    const r = await run({ protocol: 'mqtt', mqtt: { clientId: 'd1' }, credentials: { token: 'invalid' } });
    assert.strictEqual(r.outcome, 'invalid-response');
    assert.ok(r.validation?.findings.some((f) => f.code.startsWith('PRINCIPAL_ID') && f.severity === 'error'), JSON.stringify(r.validation?.findings));
    assert.match(r.headline, /^Invalid response \(1 error\): /);
    assert.strictEqual(r.evaluation?.decisions[0].allowed, true);
  });

  test('the MQTT trap: allowed without iot:Connect says so in the headline and the summary', async () => {
    const r = await run({ protocol: 'mqtt-wss', mqtt: { clientId: 'd1' }, credentials: { token: 'no-connect', in: 'query' } });
    assert.strictEqual(r.outcome, 'allowed');
    assert.match(r.headline, /iot:Connect is denied for client "d1"/);
    assert.ok(r.evaluation?.summary.warnings.some((w) => w.code === 'NO_CONNECT'));
  });

  test('handler throws: handler-error with the exception and its stack', async () => {
    const r = await run({ protocol: 'http', credentials: { token: 'throw' } });
    assert.strictEqual(r.outcome, 'handler-error');
    assert.strictEqual(r.error?.code, 'HANDLER_EXCEPTION');
    assert.match(r.error?.message ?? '', /boom from the test handler/);
    assert.match(r.error?.detail ?? '', /handler\.js/);
    assert.strictEqual(r.validation, undefined);
  });

  test('handler returns nothing: invalid-response (AWS rejects an empty answer)', async () => {
    const r = await run({ protocol: 'http', credentials: { token: 'nothing' } });
    assert.strictEqual(r.outcome, 'invalid-response');
    assert.ok(r.validation?.findings.some((f) => f.code === 'RESPONSE_EMPTY'));
  });

  test('timeout: handler-error TIMEOUT', async () => {
    const r = await run({ protocol: 'http', credentials: { token: 'sleep' } }, { invoke: { timeoutMs: 300 } });
    assert.strictEqual(r.outcome, 'handler-error');
    assert.strictEqual(r.error?.code, 'TIMEOUT');
  });

  test('signature missing with signing enabled: signature-rejected, handler not invoked', async () => {
    const r = await run({ authorizer: 'Signed', protocol: 'http', credentials: { token: 'allow' } });
    assert.strictEqual(r.outcome, 'signature-rejected');
    assert.strictEqual(r.signature.status, 'missing');
    assert.strictEqual(r.event, undefined);
    assert.strictEqual(r.response, undefined);
    assert.strictEqual(r.timings.invokeMs, undefined);
  });

  test('signed with the workspace key: verified and allowed', async () => {
    const r = await run({ authorizer: 'Signed', protocol: 'mqtt', mqtt: { clientId: 'd1' }, credentials: { token: 'allow', signature: { sign: 'testkey' } } });
    assert.strictEqual(r.outcome, 'allowed', r.headline);
    assert.strictEqual(r.signature.status, 'verified');
    assert.strictEqual(r.event?.signatureVerified, true);
  });

  test('a {"sign"} key that is not in the key store: request-error naming the field', async () => {
    const r = await run({ authorizer: 'Signed', protocol: 'http', credentials: { token: 'allow', signature: { sign: 'nokey' } } });
    assert.strictEqual(r.outcome, 'request-error');
    assert.strictEqual(r.error?.code, 'REQUEST_INVALID');
    assert.match(r.error?.message ?? '', /credentials\.signature/);
  });

  test('INACTIVE authorizer: signature-rejected, not invoked', async () => {
    const r = await run({ authorizer: 'Off', protocol: 'http', credentials: { token: 'allow' } });
    assert.strictEqual(r.outcome, 'signature-rejected');
    assert.match(r.headline, /INACTIVE/);
  });

  test('unknown authorizer: request-error, never throws', async () => {
    const r = await run({ authorizer: 'Nobody', protocol: 'http', credentials: { token: 'allow' } });
    assert.strictEqual(r.outcome, 'request-error');
    assert.strictEqual(r.error?.code, 'AUTHORIZER_NOT_FOUND');
    assert.match(r.error?.message ?? '', /Nobody/);
  });

  test('the MQTT password is replaced in the event, wire, logs and response', async () => {
    const r = await run({ protocol: 'mqtt', mqtt: { clientId: 'd1', username: 'd1', password: PASSWORD }, credentials: { token: 'log-password' } });
    assert.strictEqual(r.outcome, 'allowed', r.headline);
    assert.strictEqual(r.event?.protocolData.mqtt?.password, REDACTED_PASSWORD);
    assert.strictEqual(r.request.wire?.mqtt?.hasPassword, true);
    assert.match(r.logs.text, /plain: \[password hidden\]/);
    const text = JSON.stringify(r);
    assert.ok(!text.includes(PASSWORD), 'plain password leaked');
    assert.ok(!text.includes(Buffer.from(PASSWORD).toString('base64')), 'base64 password leaked');
  });

  test('region and account: given ones reach the handler (AWS_REGION, AWS_ACCOUNT_ID) and the ARNs', async () => {
    const r = await run({ protocol: 'mqtt', mqtt: { clientId: 'd1' }, credentials: { token: 'allow' } }, { policyContext: { region: 'ap-south-1', accountId: '111122223333' } });
    assert.deepStrictEqual([r.evaluation?.context.region, r.evaluation?.context.accountId], ['ap-south-1', '111122223333']);
    assert.strictEqual(r.evaluation?.decisions[0].resourceArn, 'arn:aws:iot:ap-south-1:111122223333:client/d1');
    assert.strictEqual(r.evaluation?.decisions[0].allowed, true, 'the handler built its ARNs with the same region and account');
  });

  test("region and account default to the authorizer's aws settings (region, roleArn account)", async () => {
    const r = await run({ authorizer: 'Deployed', protocol: 'mqtt', mqtt: { clientId: 'd1' }, credentials: { token: 'allow' } });
    assert.deepStrictEqual([r.evaluation?.context.region, r.evaluation?.context.accountId], ['eu-west-1', '210987654321']);
    assert.strictEqual(r.evaluation?.decisions[0].allowed, true);
    const deployed = project.authorizers.find((a) => a.name === 'Deployed');
    assert.deepStrictEqual(policyRegionAndAccount(deployed, { region: 'us-west-2' }), { region: 'us-west-2', accountId: '210987654321' });
  });

  test(`the account falls back to ${ACCOUNT_ID_ENV} when it is 12 digits`, () => {
    const before = process.env[ACCOUNT_ID_ENV];
    try {
      process.env[ACCOUNT_ID_ENV] = '999988887777';
      assert.strictEqual(policyRegionAndAccount(undefined).accountId, '999988887777');
      process.env[ACCOUNT_ID_ENV] = '<your account>';
      assert.strictEqual(policyRegionAndAccount(undefined).accountId, LOCAL_ACCOUNT_ID);
    } finally {
      if (before === undefined) delete process.env[ACCOUNT_ID_ENV];
      else process.env[ACCOUNT_ID_ENV] = before;
    }
  });

  test('whatIf rows are evaluated after the default ones; incomplete ones become a warning', async () => {
    const r = await run(
      { protocol: 'mqtt', mqtt: { clientId: 'd1' }, credentials: { token: 'allow' } },
      { whatIf: [{ action: 'iot:Publish', topic: 'devices/d2/x' }, { action: 'iot:Connect', clientId: 'd1' }, { action: 'iot:Subscribe' }] },
    );
    const last = r.evaluation?.decisions.at(-1);
    assert.strictEqual(last?.resourceArn, `arn:aws:iot:${LOCAL_DEFAULT_REGION}:${LOCAL_ACCOUNT_ID}:topic/devices/d2/x`);
    assert.strictEqual(last?.allowed, false);
    assert.strictEqual(r.evaluation?.decisions.filter((d) => d.action === 'iot:Connect').length, 1, 'duplicate row dropped');
    assert.ok(r.problems.some((p) => p.field === 'whatIf' && /topicFilter/.test(p.message)));
  });
});

suite('invokeEventFile', function () {
  this.timeout(30_000);
  let dir: string;
  let runtime: LocalRuntime;

  suiteSetup(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-invoke-file-'));
    fs.cpSync(FIXTURE, dir, { recursive: true });
    runtime = new LocalRuntime();
  });
  suiteTeardown(async () => {
    await runtime.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('finds the project from the event file folder upward', async () => {
    const r = await invokeEventFile(runtime, { eventFile: path.join(dir, 'events/allow-mqtt.authz.json') });
    assert.strictEqual(r.outcome, 'allowed', r.headline);
    assert.strictEqual(r.source.eventFile, path.join(dir, 'events/allow-mqtt.authz.json'));
    assert.strictEqual(r.source.projectFile, path.join(dir, 'iot-authorizer.json'));
    assert.ok(!JSON.stringify(r).includes(PASSWORD));
  });

  test('event file errors: request-error naming file:line:column', async () => {
    const file = path.join(dir, 'events/broken.authz.json');
    const r = await invokeEventFile(runtime, { eventFile: file });
    assert.strictEqual(r.outcome, 'request-error');
    assert.strictEqual(r.error?.code, 'EVENT_INVALID');
    assert.match(r.error?.message ?? '', new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: protocol: Unknown protocol "smtp"`));
  });

  test('a missing event file is a request-error, not a throw', async () => {
    const r = await invokeEventFile(runtime, { eventFile: path.join(dir, 'events/none.authz.json') });
    assert.strictEqual(r.error?.code, 'EVENT_INVALID');
    assert.match(r.error?.message ?? '', /ENOENT/);
  });

  test('no project file above the event: PROJECT_NOT_FOUND', async () => {
    const lone = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-lone-'));
    try {
      fs.copyFileSync(path.join(dir, 'events/deny.authz.json'), path.join(lone, 'deny.authz.json'));
      const r = await invokeEventFile(runtime, { eventFile: path.join(lone, 'deny.authz.json') });
      assert.strictEqual(r.outcome, 'request-error');
      assert.strictEqual(r.error?.code, 'PROJECT_NOT_FOUND');
    } finally {
      fs.rmSync(lone, { recursive: true, force: true });
    }
  });

  test('an invalid project file: PROJECT_INVALID naming file:line', async () => {
    const bad = path.join(dir, 'bad-project.json');
    fs.writeFileSync(bad, '{\n  "authorizers": [ { "name": "x y", "handler": "h.js:handler", "runtime": "nodejs20.x", "signingDisabled": true } ]\n}\n');
    const r = await invokeEventFile(runtime, { eventFile: path.join(dir, 'events/deny.authz.json'), projectFile: bad });
    assert.strictEqual(r.error?.code, 'PROJECT_INVALID');
    assert.match(r.error?.message ?? '', /bad-project\.json:2:\d+: authorizers\[0\]\.name/);
  });

  test('authorizerName overrides the event, also in the name the request sends', async () => {
    const r = await invokeEventFile(runtime, { eventFile: path.join(dir, 'events/allow-mqtt.authz.json'), authorizerName: 'Deployed' });
    assert.strictEqual(r.request.authorizer, 'Deployed');
    assert.match(r.request.wire?.mqtt?.username ?? '', /x-amz-customauthorizer-name=Deployed/);
    assert.strictEqual(r.evaluation?.context.accountId, '210987654321');
    const unknown = await invokeEventFile(runtime, { eventFile: path.join(dir, 'events/allow-mqtt.authz.json'), authorizerName: 'Nobody' });
    assert.strictEqual(unknown.error?.code, 'AUTHORIZER_NOT_FOUND');
    assert.match(unknown.error?.message ?? '', /known: Main, Signed, Off, Deployed/);
  });
});
