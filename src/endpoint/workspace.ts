// `--workspace DIR`: registers the authorizers of DIR/iot-authorizer.json so a user can curl
// at once. Each gets a function running the workspace handler in place (edits apply on the
// next request), the public keys of its signingKeys from the workspace key store, and the
// invoke permission for iot.amazonaws.com. These records are rebuilt at every start and never
// written to --state.
import * as path from 'path';
import { IOT_SERVICE_PRINCIPAL, LAMBDA_DEFAULT_TIMEOUT_SECONDS, LAMBDA_DEFAULT_MEMORY_MB, PROJECT_FILE_NAME } from '../core/constants';
import { UserError } from '../core/errors';
import { readPublicKey } from '../core/keyStore';
import { loadProject } from '../core/project';
import type { EndpointContext } from './context';
import { lambdaTimestamp } from './functions';

export interface WorkspaceRegistration {
  readonly projectFile: string;
  readonly authorizers: ReadonlyArray<{ readonly name: string; readonly arn: string; readonly functionName: string }>;
  /** Keys that could not be read, and other things the user should know. */
  readonly warnings: readonly string[];
}

export async function registerWorkspace(ctx: EndpointContext, dir: string): Promise<WorkspaceRegistration> {
  const projectFile = path.join(dir, PROJECT_FILE_NAME);
  const loaded = loadProject(projectFile);
  const errors = loaded.issues.filter((i) => i.severity === 'error');
  if (!loaded.project || errors.length > 0) {
    const detail = errors.map((i) => `${projectFile}:${i.line}:${i.column}: ${i.message}`).join('\n') || `${projectFile} could not be read.`;
    throw new UserError(`--workspace ${dir}: ${detail}`, 'PROJECT_INVALID');
  }
  const region = ctx.defaultRegion;
  const warnings: string[] = [];
  const registered: Array<{ name: string; arn: string; functionName: string }> = [];
  const now = Date.now();
  for (const a of loaded.project.authorizers) {
    const functionName = a.aws.functionName ?? a.name.replace(/[^a-zA-Z0-9_-]/g, '-').slice(0, 64);
    const functionArn = `arn:aws:lambda:${region}:${ctx.accountId}:function:${functionName}`;
    const authorizerArn = `arn:aws:iot:${region}:${ctx.accountId}:authorizer/${a.name}`;
    const keys: Record<string, string> = {};
    for (const keyName of a.signingKeys) {
      try {
        keys[keyName] = (await readPublicKey(dir, keyName)).publicKeyPem;
      } catch (e) {
        warnings.push(`${a.name}: signing key "${keyName}" not registered: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    ctx.state.functions.set(functionName, {
      FunctionName: functionName,
      FunctionArn: functionArn,
      Runtime: a.runtime,
      Handler: a.handler,
      Role: `arn:aws:iam::${ctx.accountId}:role/iot-authz-local`,
      Description: `Workspace handler ${path.relative(dir, a.handlerFile)} (${a.handlerFunction})`,
      Timeout: LAMBDA_DEFAULT_TIMEOUT_SECONDS,
      MemorySize: LAMBDA_DEFAULT_MEMORY_MB,
      Environment: {},
      CodeSha256: '',
      CodeSize: 0,
      LastModified: lambdaTimestamp(),
      RevisionId: `workspace-${now}`,
      State: 'Active',
      LastUpdateStatus: 'Successful',
      workspaceHandler: { file: a.handlerFile, function: a.handlerFunction, language: a.language },
      policy: [{
        Sid: 'iot-authz-workspace',
        Effect: 'Allow',
        Principal: { Service: IOT_SERVICE_PRINCIPAL },
        Action: 'lambda:InvokeFunction',
        Resource: functionArn,
        Condition: { ArnLike: { 'AWS:SourceArn': authorizerArn } },
      }],
      origin: 'workspace',
    });
    ctx.state.authorizers.set(a.name, {
      authorizerName: a.name,
      authorizerArn,
      authorizerFunctionArn: functionArn,
      ...(a.tokenKeyName !== undefined ? { tokenKeyName: a.tokenKeyName } : {}),
      tokenSigningPublicKeys: keys,
      status: a.status,
      signingDisabled: a.signingDisabled,
      enableCachingForHttp: a.enableCachingForHttp,
      creationDate: now,
      lastModifiedDate: now,
      origin: 'workspace',
    });
    registered.push({ name: a.name, arn: authorizerArn, functionName });
  }
  if (loaded.project.defaultAuthorizer !== undefined && ctx.state.defaultAuthorizer === undefined) {
    ctx.state.defaultAuthorizer = loaded.project.defaultAuthorizer;
  }
  return { projectFile, authorizers: registered, warnings };
}
