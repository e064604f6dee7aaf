// Deploy with --create-role as aws-sdk-client-mock plays it: with no aws.roleArn and no function,
// the plan creates the minimal execution role first (Lambda trust, AWSLambdaBasicExecutionRole),
// an existing role of that name is used instead, a new role that Lambda cannot assume yet is
// retried, and IAM refusing is a failed "role" step that changed nothing else.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AttachRolePolicyCommand, CreateRoleCommand, GetRoleCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, InvalidParameterValueException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsClientFactory } from '../../src/aws/clients';
import { deployAuthorizer, DeployReport } from '../../src/aws/deploy';
import { formatPlan } from '../../src/core/deployPlan';
import { writeKeyPair } from '../../src/core/keyStore';
import { loadProject } from '../../src/core/project';
import { fixture } from './keyFixtures';
import { ACCOUNT, awsError, AwsMocks, FakeAccount, mocks, NOW, REGION, wire } from './awsFakeAccount';

const ROLE_NAME = 'iot-authz-TestAuthorizer-role';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE_NAME}`;

suite('aws deploy --create-role (aws-sdk-client-mock)', () => {
  let m: AwsMocks;
  let iam: ReturnType<typeof mockClient>;
  let dir: string;
  let account: FakeAccount;

  suiteSetup(() => {
    m = mocks();
    iam = mockClient(IAMClient);
  });

  suiteTeardown(() => {
    m.iot.restore();
    m.lambda.restore();
    m.sts.restore();
    iam.restore();
  });

  setup(async () => {
    m.iot.reset();
    m.lambda.reset();
    m.sts.reset();
    iam.reset();
    account = new FakeAccount();
    wire(m, account);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-deploy-role-'));
    fs.writeFileSync(path.join(dir, 'authorizer.js'), "exports.handler = async () => ({ isAuthenticated: false, principalId: 'x', policyDocuments: [] });\n");
    fs.writeFileSync(
      path.join(dir, 'iot-authorizer.json'),
      JSON.stringify({ authorizers: [{ name: 'TestAuthorizer', handler: 'authorizer.js:handler', runtime: 'nodejs22.x', tokenKeyName: 'X-Token', signingKeys: ['example'] }] }),
    );
    await writeKeyPair(dir, 'example', { privateKeyPem: fixture('rsa2048_private_key.pem'), publicKeyPem: fixture('rsa2048_public_key.pem') });
  });

  teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function deploy(createRole: boolean, log: string[] = []): Promise<DeployReport> {
    const { project } = loadProject(path.join(dir, 'iot-authorizer.json'));
    assert.ok(project);
    return deployAuthorizer({
      project,
      authorizer: project.authorizers[0],
      factory: createAwsClientFactory({ region: REGION, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' } }),
      confirm: async () => true,
      createRole,
      testInvoke: false,
      wait: { minDelaySeconds: 0.01, maxWaitSeconds: 20 },
      now: NOW,
      log: (l) => log.push(l),
    });
  }

  test('without --create-role a missing role blocks the deploy and names both fixes; nothing is sent to IAM', async () => {
    const report = await deploy(false);
    assert.strictEqual(report.outcome, 'blocked');
    assert.match(report.summary, /needs an execution role: set "aws": \{"roleArn".*or let deploy create a minimal one \(iot-authz deploy --create-role/);
    assert.strictEqual(iam.calls().length, 0);
    assert.strictEqual(m.lambda.commandCalls(CreateFunctionCommand).length, 0);
  });

  test('with --create-role the plan creates the role first; CreateRole trusts lambda.amazonaws.com, AWSLambdaBasicExecutionRole is attached, the function gets the role', async () => {
    iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: `The role with name ${ROLE_NAME} cannot be found.`, $metadata: {} }));
    iam.on(CreateRoleCommand).resolves({ Role: { Arn: ROLE_ARN, RoleName: ROLE_NAME, Path: '/', RoleId: 'AROAEXAMPLE', CreateDate: NOW } });
    iam.on(AttachRolePolicyCommand).resolves({});
    const report = await deploy(true);
    assert.strictEqual(report.outcome, 'done', report.summary);
    assert.deepStrictEqual(report.plan?.steps.map((s) => `${s.kind}:${s.action}`), ['role:create', 'function:create', 'permission:create', 'authorizer:create']);
    assert.match(formatPlan(report.plan!), /create\s+Execution role iot-authz-TestAuthorizer-role\n\s+trust lambda\.amazonaws\.com/);
    const create = iam.commandCalls(CreateRoleCommand)[0].args[0].input as { RoleName: string; AssumeRolePolicyDocument: string };
    assert.strictEqual(create.RoleName, ROLE_NAME);
    assert.deepStrictEqual(JSON.parse(create.AssumeRolePolicyDocument), {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    assert.deepStrictEqual(iam.commandCalls(AttachRolePolicyCommand)[0].args[0].input, {
      RoleName: ROLE_NAME,
      PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    });
    assert.strictEqual(m.lambda.commandCalls(CreateFunctionCommand)[0].args[0].input.Role, ROLE_ARN);
    assert.ok(report.steps.some((s) => s.phase === 'role' && s.status === 'done'));
  });

  test('an existing role of that name is used, not created again', async () => {
    iam.on(GetRoleCommand).resolves({ Role: { Arn: ROLE_ARN, RoleName: ROLE_NAME, Path: '/', RoleId: 'AROAEXAMPLE', CreateDate: NOW } });
    const report = await deploy(true);
    assert.strictEqual(report.outcome, 'done', report.summary);
    assert.deepStrictEqual(report.plan?.steps.map((s) => s.kind), ['function', 'permission', 'authorizer']);
    assert.strictEqual(iam.commandCalls(CreateRoleCommand).length, 0);
    assert.strictEqual(m.lambda.commandCalls(CreateFunctionCommand)[0].args[0].input.Role, ROLE_ARN);
  });

  test('a new role Lambda cannot assume yet (IAM propagation) is retried until CreateFunction takes it', async () => {
    iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: 'not found', $metadata: {} }));
    iam.on(CreateRoleCommand).resolves({ Role: { Arn: ROLE_ARN, RoleName: ROLE_NAME, Path: '/', RoleId: 'AROAEXAMPLE', CreateDate: NOW } });
    iam.on(AttachRolePolicyCommand).resolves({});
    const created = m.lambda.commandCalls(CreateFunctionCommand).length;
    let refusals = 2;
    m.lambda.on(CreateFunctionCommand).callsFake((input: { FunctionName: string; Runtime: string; Handler: string; Role: string }) => {
      if (refusals-- > 0) throw new InvalidParameterValueException({ message: 'The role defined for the function cannot be assumed by Lambda.', $metadata: {} });
      const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${input.FunctionName}`;
      account.fn = { ...input, FunctionArn: arn, CodeSha256: 'x', State: 'Active', LastUpdateStatus: 'Successful' } as unknown as FakeAccount['fn'];
      return { FunctionArn: arn, State: 'Active' };
    });
    const log: string[] = [];
    const report = await deploy(true, log);
    assert.strictEqual(m.lambda.commandCalls(CreateFunctionCommand).length - created, 3);
    assert.strictEqual(log.filter((l) => /not usable by Lambda yet \(IAM propagation\)/.test(l)).length, 2);
    assert.ok(report.steps.some((s) => s.phase === 'function' && s.status === 'done'), JSON.stringify(report.steps));
  });

  test('IAM refusing CreateRole is a failed "role" step; the function, permission and authorizer are left as they were', async () => {
    iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: 'not found', $metadata: {} }));
    iam.on(CreateRoleCommand).rejects(awsError('AccessDenied', `User: arn:aws:iam::${ACCOUNT}:user/dev is not authorized to perform: iam:CreateRole`, 403));
    const report = await deploy(true);
    assert.strictEqual(report.outcome, 'failed');
    assert.strictEqual(report.failure?.phase, 'role');
    assert.match(report.summary, /iam:CreateRole/);
    assert.ok(report.failure?.leftAsItWas.some((l) => /Lambda function iot-authz-TestAuthorizer \(not created\)/.test(l)), report.summary);
    assert.strictEqual(m.lambda.commandCalls(CreateFunctionCommand).length, 0);
  });
});
