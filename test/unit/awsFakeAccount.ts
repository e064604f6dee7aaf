// An in-memory AWS account for aws-sdk-client-mock: the function, its resource policy, the
// authorizers and the default authorizer answer the SDK commands deploy and test-invoke send.
import {
  CreateAuthorizerCommand,
  DescribeAuthorizerCommand,
  DescribeDefaultAuthorizerCommand,
  IoTClient,
  ResourceNotFoundException as IotNotFound,
  SetDefaultAuthorizerCommand,
  TestInvokeAuthorizerCommand,
  UpdateAuthorizerCommand,
} from '@aws-sdk/client-iot';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  LambdaClient,
  ResourceConflictException,
  ResourceNotFoundException as LambdaNotFound,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { sha256Base64 } from '../../src/aws/packageHandler';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/iot-authz-test`;
export const NOW = new Date('2026-12-02T00:00:00Z');
export const FAST_WAIT = { minDelaySeconds: 0.01, maxWaitSeconds: 20 };

interface FakeFunction {
  FunctionName: string;
  FunctionArn: string;
  Runtime: string;
  Handler: string;
  Role: string;
  CodeSha256: string;
  State: string;
  LastUpdateStatus: string;
}

interface FakeAuthorizer {
  authorizerName: string;
  authorizerArn: string;
  authorizerFunctionArn?: string;
  tokenKeyName?: string;
  tokenSigningPublicKeys?: Record<string, string>;
  status?: string;
  signingDisabled?: boolean;
  enableCachingForHttp?: boolean;
}

/** The account as the mocks see it. */
export class FakeAccount {
  fn?: FakeFunction;
  statements: Array<{ Sid: string; Principal: { Service: string }; Action: string; Condition: { ArnLike: Record<string, string> } }> = [];
  authorizers = new Map<string, FakeAuthorizer>();
  defaultAuthorizer?: string;
  /** GetFunction answers LastUpdateStatus InProgress this many more times. */
  busyPolls = 0;
}

export function mocks() {
  return { iot: mockClient(IoTClient), lambda: mockClient(LambdaClient), sts: mockClient(STSClient) };
}
// Made per suite and restored after it: a client mock replaces send() on every instance.
export type AwsMocks = ReturnType<typeof mocks>;

export function notFound(kind: 'iot' | 'lambda', message: string): Error {
  return kind === 'iot' ? new IotNotFound({ message, $metadata: {} }) : new LambdaNotFound({ message, $metadata: {} });
}

export function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status }, $fault: 'client' });
}

/** Forgets what the mocks were told and seen, and wires them to a new empty account. */
export function freshAccount(m: AwsMocks): FakeAccount {
  m.iot.reset();
  m.lambda.reset();
  m.sts.reset();
  const account = new FakeAccount();
  wire(m, account);
  return account;
}

export function wire(m: AwsMocks, account: FakeAccount): void {
  m.sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/dev` });
  m.lambda.on(GetFunctionCommand).callsFake(() => {
    if (!account.fn) throw notFound('lambda', 'Function not found');
    const busy = account.busyPolls > 0;
    if (busy) account.busyPolls--;
    return { Configuration: { ...account.fn, LastUpdateStatus: busy ? 'InProgress' : account.fn.LastUpdateStatus } };
  });
  m.lambda
    .on(CreateFunctionCommand)
    .callsFake((input: { FunctionName: string; Runtime: string; Handler: string; Role: string; Code: { ZipFile: Uint8Array } }) => {
      account.fn = {
        FunctionName: input.FunctionName,
        FunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${input.FunctionName}`,
        Runtime: input.Runtime,
        Handler: input.Handler,
        Role: input.Role,
        CodeSha256: sha256Base64(input.Code.ZipFile),
        State: 'Active',
        LastUpdateStatus: 'Successful',
      };
      return { FunctionArn: account.fn.FunctionArn, State: 'Pending' };
    });
  m.lambda.on(UpdateFunctionCodeCommand).callsFake((input: { ZipFile: Uint8Array }) => {
    if (!account.fn) throw notFound('lambda', 'Function not found');
    if (account.busyPolls > 0)
      throw new ResourceConflictException({ message: 'The operation cannot be performed at this time. An update is in progress for resource', $metadata: {} });
    account.fn.CodeSha256 = sha256Base64(input.ZipFile);
    return { CodeSha256: account.fn.CodeSha256 };
  });
  m.lambda.on(UpdateFunctionConfigurationCommand).callsFake((input: { Runtime?: string; Handler?: string }) => {
    if (!account.fn) throw notFound('lambda', 'Function not found');
    Object.assign(account.fn, input.Runtime ? { Runtime: input.Runtime } : {}, input.Handler ? { Handler: input.Handler } : {});
    return {};
  });
  m.lambda.on(GetPolicyCommand).callsFake(() => {
    if (account.statements.length === 0) throw notFound('lambda', 'The resource you requested does not exist.');
    return { Policy: JSON.stringify({ Version: '2012-10-17', Statement: account.statements }) };
  });
  m.lambda.on(AddPermissionCommand).callsFake((input: { StatementId: string; Principal: string; Action: string; SourceArn: string }) => {
    if (account.statements.some((s) => s.Sid === input.StatementId)) {
      throw new ResourceConflictException({
        message: `The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
        $metadata: {},
      });
    }
    account.statements.push({
      Sid: input.StatementId,
      Principal: { Service: input.Principal },
      Action: input.Action,
      Condition: { ArnLike: { 'AWS:SourceArn': input.SourceArn } },
    });
    return { Statement: '{}' };
  });
  m.iot.on(DescribeAuthorizerCommand).callsFake((input: { authorizerName: string }) => {
    const a = account.authorizers.get(input.authorizerName);
    if (!a) throw notFound('iot', `Authorizer ${input.authorizerName} not found`);
    return { authorizerDescription: { ...a } };
  });
  m.iot.on(CreateAuthorizerCommand).callsFake((input: FakeAuthorizer & { authorizerName: string }) => {
    const arn = `arn:aws:iot:${REGION}:${ACCOUNT}:authorizer/${input.authorizerName}`;
    account.authorizers.set(input.authorizerName, { ...input, authorizerArn: arn });
    return { authorizerName: input.authorizerName, authorizerArn: arn };
  });
  m.iot.on(UpdateAuthorizerCommand).callsFake((input: FakeAuthorizer) => {
    const a = account.authorizers.get(input.authorizerName);
    if (!a) throw notFound('iot', `Authorizer ${input.authorizerName} not found`);
    account.authorizers.set(input.authorizerName, { ...a, ...input });
    return { authorizerName: a.authorizerName, authorizerArn: a.authorizerArn };
  });
  m.iot.on(DescribeDefaultAuthorizerCommand).callsFake(() => {
    if (!account.defaultAuthorizer) throw notFound('iot', 'No default authorizer');
    return { authorizerDescription: { ...account.authorizers.get(account.defaultAuthorizer) } };
  });
  m.iot.on(SetDefaultAuthorizerCommand).callsFake((input: { authorizerName: string }) => {
    account.defaultAuthorizer = input.authorizerName;
    return {};
  });
  m.iot
    .on(TestInvokeAuthorizerCommand)
    .resolves({ isAuthenticated: false, principalId: 'denied', policyDocuments: [], refreshAfterInSeconds: 300, disconnectAfterInSeconds: 300 });
}
