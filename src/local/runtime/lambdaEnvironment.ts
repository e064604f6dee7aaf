// What a handler sees of "being in Lambda": the environment variables the Lambda runtime sets
// and the context object's values. Names and ARNs follow Lambda's formats; the account id and
// region fall back to placeholders when the project names none.
import * as path from 'path';
import { randomUUID } from 'crypto';
import { LAMBDA_DEFAULT_MEMORY_MB, LOCAL_ACCOUNT_ID, LOCAL_DEFAULT_REGION } from '../../core/constants';
import type { AuthorizerConfig } from '../../core/project';
import type { LambdaContextFields } from './protocol';

export interface LambdaIdentity {
  readonly functionName: string;
  readonly region: string;
  readonly functionArn: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
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
  };
}

/** Variables of the worker's environment that belong to the editor, not to the handler. */
const EDITOR_VARIABLE = /^(VSCODE_|ELECTRON_|IOT_AUTHZ_)/;

/**
 * The worker's environment: the caller's (so PATH, HOME and AWS credentials still work) minus
 * the editor's own variables, plus Lambda's, plus the user's overrides.
 */
export function lambdaEnvironment(
  config: AuthorizerConfig,
  identity: LambdaIdentity,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !EDITOR_VARIABLE.test(k)) env[k] = v;
  Object.assign(env, {
    AWS_LAMBDA_FUNCTION_NAME: identity.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(LAMBDA_DEFAULT_MEMORY_MB),
    AWS_LAMBDA_LOG_GROUP_NAME: identity.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: identity.logStreamName,
    AWS_EXECUTION_ENV: `AWS_Lambda_${config.runtime}`,
    AWS_REGION: identity.region,
    AWS_DEFAULT_REGION: identity.region,
    LAMBDA_TASK_ROOT: path.dirname(config.handlerFile),
    LAMBDA_RUNTIME_DIR: path.dirname(config.handlerFile),
    TZ: 'UTC',
  });
  if (config.aws.profile) env.AWS_PROFILE = config.aws.profile;
  return Object.assign(env, overrides);
}

export function lambdaContextFields(identity: LambdaIdentity, timeoutMs: number): LambdaContextFields {
  return {
    awsRequestId: randomUUID(),
    functionName: identity.functionName,
    functionVersion: '$LATEST',
    memoryLimitInMB: LAMBDA_DEFAULT_MEMORY_MB,
    invokedFunctionArn: identity.functionArn,
    logGroupName: identity.logGroupName,
    logStreamName: identity.logStreamName,
    deadlineMs: Date.now() + timeoutMs,
  };
}
