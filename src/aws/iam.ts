// The minimal execution role deploy creates on request: lambda.amazonaws.com may assume it, and
// it has AWS's managed AWSLambdaBasicExecutionRole (CloudWatch Logs) and nothing else. The IAM
// client comes from the factory's iam(), whose SDK is evaluated only when a role is wanted.
import { AttachRolePolicyCommand, CreateRoleCommand, GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { AwsErrorContext, isAwsError, toUserError } from './errors';

export const LAMBDA_TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
} as const;

export function basicExecutionPolicyArn(partition: string): string {
  return `arn:${partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`;
}

export class ExecutionRoles {
  constructor(
    private readonly client: IAMClient,
    private readonly profile?: string,
  ) {}

  private ctx(action: string): AwsErrorContext {
    return { action, profile: this.profile };
  }

  /** The role's ARN, or undefined when the account has no role of that name. */
  async roleArn(name: string): Promise<string | undefined> {
    try {
      return (await this.client.send(new GetRoleCommand({ RoleName: name }))).Role?.Arn;
    } catch (e) {
      if (isAwsError(e, 'NoSuchEntityException') || isAwsError(e, 'NoSuchEntity')) return undefined;
      throw toUserError(e, this.ctx(`GetRole ${name}`));
    }
  }

  /** Creates the role with the Lambda trust policy and attaches AWSLambdaBasicExecutionRole; returns its ARN. */
  async createExecutionRole(name: string, partition: string, authorizerName: string): Promise<string> {
    let arn: string | undefined;
    try {
      const r = await this.client.send(
        new CreateRoleCommand({
          RoleName: name,
          AssumeRolePolicyDocument: JSON.stringify(LAMBDA_TRUST_POLICY),
          Description: `Execution role of the IoT custom authorizer ${authorizerName} (created by iot-authz deploy)`,
        }),
      );
      arn = r.Role?.Arn;
    } catch (e) {
      throw toUserError(e, this.ctx(`CreateRole ${name}`));
    }
    try {
      await this.client.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: basicExecutionPolicyArn(partition) }));
    } catch (e) {
      throw toUserError(e, this.ctx(`AttachRolePolicy ${name} AWSLambdaBasicExecutionRole`));
    }
    if (!arn) throw toUserError(new Error(`CreateRole ${name} answered without the role's ARN`), this.ctx(`CreateRole ${name}`));
    return arn;
  }
}
