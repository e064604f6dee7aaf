// What a handler sees of "being in Lambda": the environment variables the Lambda runtime sets
// and the context object's values. Names and ARNs follow Lambda's formats; the account id and
// region fall back to placeholders when the project names none.
import * as path from 'path';
import { randomUUID } from 'crypto';
import { LAMBDA_DEFAULT_MEMORY_MB, LAMBDA_LANG, LOCAL_ACCOUNT_ID, LOCAL_DEFAULT_REGION } from '../../core/constants';
import { hostVariablesForHandler, lambdaHandlerSetting } from './lambdaEnv';
import type { AuthorizerConfig } from '../../core/project';
import type { LambdaContextFields } from './protocol';

export interface LambdaIdentity {
  readonly functionName: string;
  readonly region: string;
  readonly functionArn: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** The configured memory size (MB), as the context and AWS_LAMBDA_FUNCTION_MEMORY_SIZE report it. */
  readonly memoryMb: number;
}

export function lambdaIdentity(config: AuthorizerConfig): LambdaIdentity {
  const functionName = config.aws.functionName ?? config.name;
  const region = config.aws.region ?? LOCAL_DEFAULT_REGION;
  return {
    functionName,
    region,
    functionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    memoryMb: config.memorySize ?? LAMBDA_DEFAULT_MEMORY_MB,
  };
}

/**
 * The worker's environment: what Lambda sets, the variables the project file declares for the
 * function, then the caller's overrides. Of this machine's environment only PATH (and what the
 * named AWS profile needs) passes: see lambdaEnv.ts.
 */
export function lambdaEnvironment(
  config: AuthorizerConfig,
  identity: LambdaIdentity,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = hostVariablesForHandler(process.env, config);
  Object.assign(env, {
    _HANDLER: lambdaHandlerSetting(config),
    AWS_LAMBDA_FUNCTION_NAME: identity.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(identity.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: identity.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: identity.logStreamName,
    AWS_EXECUTION_ENV: `AWS_Lambda_${config.runtime}`,
    AWS_REGION: identity.region,
    AWS_DEFAULT_REGION: identity.region,
    LAMBDA_TASK_ROOT: path.dirname(config.handlerFile),
    LAMBDA_RUNTIME_DIR: path.dirname(config.handlerFile),
    LANG: LAMBDA_LANG,
    TZ: 'UTC',
  });
  if (config.aws.profile) env.AWS_PROFILE = config.aws.profile;
  Object.assign(env, config.environment ?? {});
  return Object.assign(env, overrides);
}

export function lambdaContextFields(identity: LambdaIdentity, timeoutMs: number): LambdaContextFields {
  return {
    awsRequestId: randomUUID(),
    functionName: identity.functionName,
    functionVersion: '$LATEST',
    memoryLimitInMB: identity.memoryMb,
    invokedFunctionArn: identity.functionArn,
    logGroupName: identity.logGroupName,
    logStreamName: identity.logStreamName,
    deadlineMs: Date.now() + timeoutMs,
  };
}
