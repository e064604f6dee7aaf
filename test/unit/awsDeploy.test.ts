// Deploy against AWS as aws-sdk-client-mock plays it: a small in-memory account (function,
// resource policy, authorizers, default) answers the SDK commands, so each test asserts what
// was sent and what the report says. Every error path of a deploy has a test here.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  GetPolicyCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { CreateAuthorizerCommand, TestInvokeAuthorizerCommand, UpdateAuthorizerCommand } from '@aws-sdk/client-iot';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { createAwsClientFactory } from '../../src/aws/clients';
import { deployAuthorizer, DeployReport, functionNameFor } from '../../src/aws/deploy';
import type { RunLocally } from '../../src/aws/deployTestInvoke';
import type { InvocationResult } from '../../src/core/result';
import { verifyToken } from '../../src/core/tokens';
import { readPublicKey } from '../../src/core/keyStore';
import { writeKeyPair } from '../../src/core/keyStore';
import { loadProject } from '../../src/core/project';
import { fixture } from './keyFixtures';

import { ACCOUNT, AwsMocks, awsError, FakeAccount, FAST_WAIT, freshAccount, mocks, notFound, NOW, REGION, ROLE } from './awsFakeAccount';

let m: AwsMocks;

interface Workspace {
  dir: string;
  write(authorizer: Record<string, unknown>): void;
}

const HANDLER = "exports.handler = async () => ({ isAuthenticated: false, principalId: 'denied', policyDocuments: [] });\n";

function workspace(): Workspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-deploy-'));
  fs.writeFileSync(path.join(dir, 'authorizer.js'), HANDLER);
  const ws: Workspace = {
    dir,
    write(authorizer) {
      fs.writeFileSync(
        path.join(dir, 'iot-authorizer.json'),
        JSON.stringify(
          {
            authorizers: [
              {
                name: 'TestAuthorizer',
                handler: 'authorizer.js:handler',
                runtime: 'nodejs22.x',
                tokenKeyName: 'X-Token',
                signingKeys: ['example'],
                aws: { roleArn: ROLE },
                ...authorizer,
              },
            ],
          },
          null,
          2,
        ),
      );
    },
  };
  ws.write({});
  return ws;
}

function writeEvent(ws: Workspace, name: string, event: Record<string, unknown>): void {
  fs.mkdirSync(path.join(ws.dir, 'events'), { recursive: true });
  fs.writeFileSync(path.join(ws.dir, 'events', name), JSON.stringify(event, null, 2));
}

function factory() {
  return createAwsClientFactory({ region: REGION, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' } });
}

async function deploy(
  ws: Workspace,
  options: { confirm?: boolean; setDefault?: boolean; signal?: AbortSignal; log?: (l: string) => void; runLocally?: RunLocally; now?: Date } = {},
): Promise<DeployReport> {
  const { project, issues } = loadProject(path.join(ws.dir, 'iot-authorizer.json'));
  assert.ok(project, JSON.stringify(issues));
  return deployAuthorizer({
    project,
    authorizer: project.authorizers[0],
    factory: factory(),
    confirm: async () => options.confirm ?? true,
    wait: FAST_WAIT,
    now: options.now ?? NOW,
    ...(options.setDefault ? { setDefault: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.runLocally ? { runLocally: options.runLocally } : {}),
  });
}

function actions(report: DeployReport): string[] {
  return (report.plan?.steps ?? []).map((s) => `${s.kind}:${s.action}`);
}

suite('aws deploy (aws-sdk-client-mock)', () => {
  let ws: Workspace;
  let account: FakeAccount;

  suiteSetup(() => {
    m = mocks();
  });

  suiteTeardown(() => {
    m.iot.restore();
    m.lambda.restore();
    m.sts.restore();
  });

  setup(async () => {
    account = freshAccount(m);
    ws = workspace();
    await writeKeyPair(ws.dir, 'example', { privateKeyPem: fixture('rsa2048_private_key.pem'), publicKeyPem: fixture('rsa2048_public_key.pem') });
    await writeKeyPair(ws.dir, 'next', { privateKeyPem: fixture('other_rsa2048_private_key.pem'), publicKeyPem: fixture('other_rsa2048_public_key.pem') });
  });

  teardown(() => fs.rmSync(ws.dir, { recursive: true, force: true }));

  test('first deploy creates the function, the permission and the authorizer; with no test event it test-invokes a made-up signed token and says so', async () => {
    const report = await deploy(ws, { setDefault: true });
    assert.strictEqual(report.outcome, 'done', report.summary);
    assert.deepStrictEqual(actions(report), ['function:create', 'permission:create', 'authorizer:create', 'default:update']);
    const create = m.lambda.commandCalls(CreateFunctionCommand)[0].args[0].input;
    assert.strictEqual(create.FunctionName, 'iot-authz-TestAuthorizer');
    assert.strictEqual(create.Runtime, 'nodejs22.x');
    assert.strictEqual(create.Handler, 'authorizer.handler');
    assert.strictEqual(create.Role, ROLE);
    const perm = m.lambda.commandCalls(AddPermissionCommand)[0].args[0].input;
    assert.strictEqual(perm.Principal, 'iot.amazonaws.com');
    assert.strictEqual(perm.SourceArn, `arn:aws:iot:${REGION}:${ACCOUNT}:authorizer/TestAuthorizer`);
    assert.strictEqual(perm.Action, 'lambda:InvokeFunction');
    const auth = m.iot.commandCalls(CreateAuthorizerCommand)[0].args[0].input;
    assert.strictEqual(auth.authorizerFunctionArn, account.fn?.FunctionArn);
    assert.strictEqual(auth.tokenKeyName, 'X-Token');
    assert.deepStrictEqual(Object.keys(auth.tokenSigningPublicKeys ?? {}), ['example']);
    assert.match(auth.tokenSigningPublicKeys?.example ?? '', /BEGIN PUBLIC KEY/);
    assert.strictEqual(auth.status, 'ACTIVE');
    assert.strictEqual(auth.signingDisabled, false);
    assert.strictEqual(account.defaultAuthorizer, 'TestAuthorizer');
    const ti = m.iot.commandCalls(TestInvokeAuthorizerCommand)[0].args[0].input;
    assert.match(ti.token ?? '', /^iot-authz-deploy-check-/);
    assert.ok(ti.tokenSignature && ti.tokenSignature.length > 300);
    assert.strictEqual(report.testInvoke?.target.kind, 'aws');
    assert.strictEqual(report.testInvoke?.outcome, 'denied');
    assert.match(report.testInvoke?.headline ?? '', /no test event: test-invoked with a made-up token; your handler denied it — expected if it checks tokens/);
    assert.match(report.summary, /no test event: test-invoked with a made-up token; your handler denied it/);
    assert.ok(report.testInvoke?.problems.some((p) => /Add an event file \(\*\.authz\.json/.test(p.message)));
  });

  test('with test events, the deploy test-invokes the first one the local run allows, as contexts with its token signed by the workspace key', async () => {
    writeEvent(ws, 'a-denied.authz.json', { protocol: 'http', credentials: { token: 'deny-me', signature: { sign: 'example' } } });
    writeEvent(ws, 'b-other-authorizer.authz.json', { authorizer: 'Other', protocol: 'http', credentials: { token: 'allow-x', signature: { sign: 'example' } } });
    writeEvent(ws, 'c-allowed.authz.json', { protocol: 'mqtt', mqtt: { clientId: 'dev1' }, credentials: { token: 'allow-dev1', signature: { sign: 'example' } } });
    writeEvent(ws, 'd-allowed-too.authz.json', { protocol: 'http', credentials: { token: 'allow-dev2', signature: { sign: 'example' } } });
    const ranLocally: string[] = [];
    const runLocally: RunLocally = async (request, policyContext) => {
      const token = request.credentials?.token ?? '';
      ranLocally.push(token);
      assert.deepStrictEqual(policyContext, { region: REGION, accountId: ACCOUNT });
      return { outcome: token.startsWith('allow-') ? 'allowed' : 'denied' } as InvocationResult;
    };
    const report = await deploy(ws, { runLocally });
    assert.strictEqual(report.outcome, 'done', report.summary);
    assert.deepStrictEqual(ranLocally, ['deny-me', 'allow-dev1'], 'the event for another authorizer is not run; the search stops at the first allowed one');
    const calls = m.iot.commandCalls(TestInvokeAuthorizerCommand);
    assert.strictEqual(calls.length, 1);
    const ti = calls[0].args[0].input;
    assert.strictEqual(ti.token, undefined, 'no made-up token');
    assert.strictEqual(ti.tokenSignature, undefined);
    assert.strictEqual(ti.httpContext, undefined);
    assert.strictEqual(ti.mqttContext?.clientId, 'dev1');
    const params = new URLSearchParams((ti.mqttContext?.username ?? '').split('?')[1] ?? '');
    assert.strictEqual(params.get('X-Token'), 'allow-dev1');
    const signature = params.get('x-amz-customauthorizer-signature') ?? '';
    const pub = await readPublicKey(ws.dir, 'example');
    assert.ok(verifyToken('allow-dev1', signature, [{ name: 'example', pem: pub.keyObject }]).valid, 'signed with the workspace key');
    assert.strictEqual(report.testInvoke?.source.eventFile, path.join(ws.dir, 'events', 'c-allowed.authz.json'));
    assert.strictEqual(report.testInvoke?.request.token, 'allow-dev1');
    assert.strictEqual(report.testInvoke?.signature.status, 'verified');
    assert.doesNotMatch(report.testInvoke?.headline ?? '', /made-up token/);
    assert.match(report.summary, /Test-invoke with c-allowed\.authz\.json: AWS: denied/);
    assert.ok(report.steps.some((st) => st.phase === 'test-invoke' && /Test-invoke with events[\\/]c-allowed\.authz\.json/.test(st.message)));
  });

  test('when the local run allows no event (or cannot run), the first usable event of the authorizer is sent', async () => {
    writeEvent(ws, 'a-broken.authz.json', { protocol: 'http', credentials: { token: 'x', signature: { sign: 'no-such-key' } } });
    writeEvent(ws, 'b-first.authz.json', { protocol: 'http', queryString: '?qos=1', credentials: { token: 'deny-1', signature: { sign: 'example' } } });
    writeEvent(ws, 'c-second.authz.json', { protocol: 'http', credentials: { token: 'deny-2', signature: { sign: 'example' } } });
    const report = await deploy(ws, {
      runLocally: async (request) => {
        if (request.credentials?.token === 'deny-2') throw new Error('python3 not found');
        return { outcome: 'denied' } as InvocationResult;
      },
    });
    assert.strictEqual(report.outcome, 'done', report.summary);
    const ti = m.iot.commandCalls(TestInvokeAuthorizerCommand)[0].args[0].input;
    assert.strictEqual(ti.httpContext?.headers?.['X-Token'], 'deny-1');
    assert.strictEqual(ti.httpContext?.queryString, '?qos=1');
    assert.strictEqual(report.testInvoke?.source.eventFile, path.join(ws.dir, 'events', 'b-first.authz.json'));
    assert.doesNotMatch(report.summary, /made-up token/);
  });

  test('signing disabled: the event is still sent (contexts need no signature) and the panel says signing is disabled', async () => {
    ws.write({ signingDisabled: true, signingKeys: [] });
    writeEvent(ws, 'plain.authz.json', { protocol: 'http', credentials: { token: 'allow-dev1' } });
    const report = await deploy(ws);
    assert.strictEqual(report.outcome, 'done', report.summary);
    const ti = m.iot.commandCalls(TestInvokeAuthorizerCommand)[0].args[0].input;
    assert.strictEqual(ti.httpContext?.headers?.['X-Token'], 'allow-dev1');
    assert.strictEqual(report.testInvoke?.signature.status, 'disabled');
  });

  test('re-deploy with nothing changed changes nothing and says so', async () => {
    assert.strictEqual((await deploy(ws)).outcome, 'done');
    const before = { create: m.lambda.commandCalls(CreateFunctionCommand).length, perm: m.lambda.commandCalls(AddPermissionCommand).length };
    let asked = false;
    const { project } = loadProject(path.join(ws.dir, 'iot-authorizer.json'));
    assert.ok(project);
    const report = await deployAuthorizer({
      project,
      authorizer: project.authorizers[0],
      factory: factory(),
      confirm: async () => (asked = true),
      wait: FAST_WAIT,
      now: NOW,
    });
    assert.strictEqual(report.outcome, 'nothing-to-do');
    assert.match(report.summary, /already matches/);
    assert.strictEqual(asked, false, 'nothing to change: no question');
    assert.deepStrictEqual(actions(report), ['function:none', 'permission:none', 'authorizer:none']);
    assert.strictEqual(m.lambda.commandCalls(CreateFunctionCommand).length, before.create);
    assert.strictEqual(m.lambda.commandCalls(UpdateFunctionCodeCommand).length, 0);
    assert.strictEqual(m.lambda.commandCalls(UpdateFunctionConfigurationCommand).length, 0);
    assert.strictEqual(m.lambda.commandCalls(AddPermissionCommand).length, before.perm);
    assert.strictEqual(m.iot.commandCalls(UpdateAuthorizerCommand).length, 0);
  });

  test('a code change updates only the code and waits until the update is done', async () => {
    await deploy(ws);
    const firstSha = account.fn?.CodeSha256;
    fs.writeFileSync(path.join(ws.dir, 'authorizer.js'), HANDLER.replace("'denied'", "'nobody'"));
    const report = await deploy(ws);
    assert.strictEqual(report.outcome, 'done', report.summary);
    assert.deepStrictEqual(actions(report), ['function:update', 'permission:none', 'authorizer:none']);
    assert.strictEqual(m.lambda.commandCalls(UpdateFunctionCodeCommand).length, 1);
    assert.strictEqual(m.lambda.commandCalls(UpdateFunctionConfigurationCommand).length, 0);
    assert.strictEqual(m.iot.commandCalls(UpdateAuthorizerCommand).length, 0);
    assert.notStrictEqual(account.fn?.CodeSha256, firstSha);
    assert.match(report.plan?.steps[0].changes[0] ?? '', /^code: sha256/);
  });

  test('key rotation: add the new key next to the old one, later remove the old one', async () => {
    await deploy(ws);
    ws.write({ signingKeys: ['example', 'next'] });
    const add = await deploy(ws);
    assert.strictEqual(add.outcome, 'done', add.summary);
    assert.deepStrictEqual(add.plan?.steps.find((s) => s.kind === 'authorizer')?.changes, ['public key next: added']);
    assert.deepStrictEqual(Object.keys(m.iot.commandCalls(UpdateAuthorizerCommand)[0].args[0].input.tokenSigningPublicKeys ?? {}).sort(), ['example', 'next']);
    ws.write({ signingKeys: ['next'] });
    const remove = await deploy(ws);
    assert.deepStrictEqual(remove.plan?.steps.find((s) => s.kind === 'authorizer')?.changes, ['public key example: removed']);
    assert.deepStrictEqual(Object.keys(account.authorizers.get('TestAuthorizer')?.tokenSigningPublicKeys ?? {}), ['next']);
  });

  test('an invoke permission already present (under any statement id) is not added again', async () => {
    account.fn = {
      FunctionName: 'iot-authz-TestAuthorizer',
      FunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:iot-authz-TestAuthorizer`,
      Runtime: 'nodejs22.x',
      Handler: 'authorizer.handler',
      Role: ROLE,
      CodeSha256: 'old',
      State: 'Active',
      LastUpdateStatus: 'Successful',
    };
    account.statements.push({
      Sid: 'made-by-hand',
      Principal: { Service: 'iot.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Condition: { ArnLike: { 'AWS:SourceArn': `arn:aws:iot:${REGION}:${ACCOUNT}:authorizer/TestAuthorizer` } },
    });
    const report = await deploy(ws);
    assert.strictEqual(report.outcome, 'done', report.summary);
    assert.deepStrictEqual(actions(report), ['function:update', 'permission:none', 'authorizer:create']);
    assert.strictEqual(m.lambda.commandCalls(AddPermissionCommand).length, 0);
    assert.strictEqual(m.lambda.commandCalls(GetPolicyCommand).length, 1, 'the policy is read first');
  });

  test('a statement added by someone else between read and write (ResourceConflictException "already exists") is not an error', async () => {
    m.lambda.on(GetPolicyCommand).rejects(notFound('lambda', 'no policy'));
    account.statements.push({
      Sid: 'iot-authz-TestAuthorizer',
      Principal: { Service: 'iot.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Condition: { ArnLike: { 'AWS:SourceArn': 'x' } },
    });
    const report = await deploy(ws);
    assert.strictEqual(report.outcome, 'done', report.summary);
    assert.ok(report.steps.some((s) => s.phase === 'permission' && /already present/.test(s.message)));
  });

  test('a function still updating: deploy waits (waiter) before updating its code', async () => {
    await deploy(ws);
    fs.writeFileSync(path.join(ws.dir, 'authorizer.js'), HANDLER.replace("'denied'", "'later'"));
    account.busyPolls = 3;
    const lines: string[] = [];
    const report = await deploy(ws, { log: (l) => lines.push(l) });
    assert.strictEqual(report.outcome, 'done', report.summary);
    assert.strictEqual(account.busyPolls, 0);
    assert.ok(
      lines.some((l) => /still updating; waiting/.test(l)),
      lines.join('\n'),
    );
    assert.strictEqual(m.lambda.commandCalls(UpdateFunctionCodeCommand).length, 1, 'no update attempted while busy');
  });

  test('AccessDenied on CreateFunction: the step, the reason and what was left are named', async () => {
    m.lambda
      .on(CreateFunctionCommand)
      .rejects(awsError('AccessDeniedException', 'User: arn:aws:iam::111122223333:user/dev is not authorized to perform: lambda:CreateFunction', 403));
    const report = await deploy(ws);
    assert.strictEqual(report.outcome, 'failed');
    assert.strictEqual(report.failure?.phase, 'function');
    assert.match(report.failure?.message ?? '', /AWS denied CreateFunction iot-authz-TestAuthorizer .*lambda:CreateFunction.*IAM permission/);
    assert.ok(
      report.failure?.leftAsItWas.some((l) => /Authorizer TestAuthorizer \(not created\)/.test(l)),
      JSON.stringify(report.failure),
    );
    assert.match(report.summary, /failed at "function"/);
    assert.strictEqual(m.iot.commandCalls(CreateAuthorizerCommand).length, 0);
  });

  test('expired credentials: one message with the sign-in command, nothing changed', async () => {
    m.sts.on(GetCallerIdentityCommand).rejects(awsError('ExpiredTokenException', 'The security token included in the request is expired'));
    const { project } = loadProject(path.join(ws.dir, 'iot-authorizer.json'));
    assert.ok(project);
    const report = await deployAuthorizer({
      project,
      authorizer: project.authorizers[0],
      confirm: async () => true,
      wait: FAST_WAIT,
      now: NOW,
      factory: createAwsClientFactory({ region: REGION, profile: 'dev', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' } }),
    });
    assert.strictEqual(report.outcome, 'failed');
    assert.strictEqual(report.failure?.phase, 'read');
    assert.match(report.failure?.message ?? '', /expired.*aws sso login --profile dev/);
    assert.doesNotMatch(report.failure?.message ?? '', /\n\s+at /, 'no stack trace');
    assert.strictEqual(m.lambda.commandCalls(CreateFunctionCommand).length, 0);
  });

  test('cancelled deploy: the steps after the cancel are not run and are listed as left alone', async () => {
    const controller = new AbortController();
    const report = await deploy(ws, {
      signal: controller.signal,
      log: (l) => {
        if (/Lambda function .* created/.test(l)) controller.abort();
      },
    });
    assert.strictEqual(report.outcome, 'cancelled');
    assert.ok(account.fn, 'the function step finished');
    assert.strictEqual(m.lambda.commandCalls(AddPermissionCommand).length, 0);
    assert.strictEqual(m.iot.commandCalls(CreateAuthorizerCommand).length, 0);
    assert.match(report.summary, /Invoke permission .*not created.*Authorizer TestAuthorizer \(not created\)/);
  });

  test('declined plan: nothing changes', async () => {
    const report = await deploy(ws, { confirm: false });
    assert.strictEqual(report.outcome, 'declined');
    assert.strictEqual(m.lambda.commandCalls(CreateFunctionCommand).length, 0);
    assert.strictEqual(m.iot.commandCalls(CreateAuthorizerCommand).length, 0);
  });

  test('a runtime AWS no longer accepts is named before AWS refuses it', async () => {
    ws.write({ runtime: 'nodejs20.x' });
    const report = await deploy(ws, { now: new Date('2027-02-01T00:00:00Z') });
    assert.strictEqual(report.outcome, 'blocked');
    assert.match(report.summary, /no longer creates functions with runtime nodejs20\.x \(blocked since 2027-02-01.*"runtime": "nodejs24\.x"/);
    assert.strictEqual(m.lambda.commandCalls(CreateFunctionCommand).length, 0);
  });

  test('a deprecated runtime AWS still accepts deploys, with a warning naming the block dates', async () => {
    ws.write({ runtime: 'nodejs18.x' });
    const report = await deploy(ws);
    assert.strictEqual(report.outcome, 'done', report.summary);
    assert.strictEqual(report.plan?.runtime.standing, 'deprecated');
    assert.match(report.plan?.runtime.message ?? '', /nodejs18\.x is deprecated since 2025-09-01: AWS blocks creating functions with it from 2027-02-01 and updating them from 2027-03-03/);
    assert.strictEqual(m.lambda.commandCalls(CreateFunctionCommand).length, 1);
  });

  test('signingDisabled cannot change: the plan explains and changes nothing', async () => {
    await deploy(ws);
    ws.write({ signingDisabled: true, signingKeys: [] });
    const report = await deploy(ws);
    assert.strictEqual(report.outcome, 'blocked');
    assert.match(report.summary, /cannot change signingDisabled after creation/);
    assert.strictEqual(m.iot.commandCalls(UpdateAuthorizerCommand).length, 0);
  });

  test('a first deploy without a role says where to put one', async () => {
    ws.write({ aws: {} });
    const report = await deploy(ws);
    assert.strictEqual(report.outcome, 'blocked');
    assert.match(report.summary, /needs an execution role: set "aws": \{"roleArn"/);
  });

  test('function names come from aws.functionName or the authorizer name', () => {
    const { project } = loadProject(path.join(ws.dir, 'iot-authorizer.json'));
    assert.ok(project);
    assert.strictEqual(functionNameFor(project.authorizers[0]), 'iot-authz-TestAuthorizer');
    assert.strictEqual(functionNameFor({ ...project.authorizers[0], aws: { functionName: 'mine' } }), 'mine');
  });
});
