// Thin typed wrappers over the Lambda calls deploy makes: the function, its code, the waiters
// until it is Active and its last update Successful, and the invoke permission for IoT Core.
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  LambdaClient,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { AUTHORIZER_FUNCTION_MEMORY_MB, AUTHORIZER_FUNCTION_TIMEOUT_SECONDS, IOT_SERVICE_PRINCIPAL, LAMBDA_WAIT_SECONDS } from '../core/constants';
import type { ObservedFunction, ObservedPermission } from '../core/deployPlan';
import { AwsError, AwsErrorContext, isAwsError, toUserError } from './errors';

export interface FunctionSettings {
  readonly runtime: string;
  readonly handler: string;
  readonly roleArn?: string;
}

export interface FunctionState extends ObservedFunction {
  readonly state?: string;
  readonly lastUpdateStatus?: string;
  readonly stateReason?: string;
}

export interface WaitOptions {
  /** Seconds; default LAMBDA_WAIT_SECONDS. */
  readonly maxWaitSeconds?: number;
  /** Seconds between polls at first (the SDK backs off from there); default the SDK's. */
  readonly minDelaySeconds?: number;
  readonly abortSignal?: AbortSignal;
}

async function call<T>(ctx: AwsErrorContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw toUserError(e, ctx);
  }
}

interface PolicyStatementJson {
  Sid?: string;
  Principal?: string | { Service?: string | string[] };
  Action?: string | string[];
  Condition?: { ArnLike?: Record<string, string>; ArnEquals?: Record<string, string> };
}

/** The statements of a function's resource policy (GetPolicy's JSON text). */
export function parsePolicyStatements(policyText: string | undefined): ObservedPermission[] {
  if (!policyText) return [];
  let doc: { Statement?: PolicyStatementJson[] | PolicyStatementJson };
  try {
    doc = JSON.parse(policyText) as typeof doc;
  } catch {
    return [];
  }
  const list = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  return list.map((s) => {
    const service = typeof s.Principal === 'string' ? s.Principal : Array.isArray(s.Principal?.Service) ? s.Principal?.Service[0] : s.Principal?.Service;
    const action = Array.isArray(s.Action) ? s.Action[0] : s.Action;
    const sourceArn = s.Condition?.ArnLike?.['AWS:SourceArn'] ?? s.Condition?.ArnEquals?.['AWS:SourceArn'];
    return { sid: s.Sid ?? '', ...(service !== undefined ? { principal: service } : {}), ...(action !== undefined ? { action } : {}), ...(sourceArn !== undefined ? { sourceArn } : {}) };
  });
}

export class LambdaFunctions {
  constructor(private readonly client: LambdaClient, private readonly profile?: string) {}

  private ctx(action: string): AwsErrorContext {
    return { action, profile: this.profile };
  }

  /** The function, or undefined when there is none of that name. */
  async getFunction(name: string): Promise<FunctionState | undefined> {
    try {
      const r = await this.client.send(new GetFunctionCommand({ FunctionName: name }));
      const c = r.Configuration ?? {};
      return {
        arn: c.FunctionArn ?? '',
        ...(c.Runtime !== undefined ? { runtime: c.Runtime } : {}),
        ...(c.Handler !== undefined ? { handler: c.Handler } : {}),
        ...(c.Role !== undefined ? { role: c.Role } : {}),
        ...(c.CodeSha256 !== undefined ? { codeSha256: c.CodeSha256 } : {}),
        ...(c.State !== undefined ? { state: c.State } : {}),
        ...(c.LastUpdateStatus !== undefined ? { lastUpdateStatus: c.LastUpdateStatus } : {}),
        ...(c.StateReason !== undefined ? { stateReason: c.StateReason } : {}),
      };
    } catch (e) {
      if (isAwsError(e, 'ResourceNotFoundException')) return undefined;
      throw toUserError(e, this.ctx(`GetFunction ${name}`));
    }
  }

  async createFunction(name: string, s: FunctionSettings & { roleArn: string }, zip: Uint8Array): Promise<{ arn: string }> {
    const r = await call(this.ctx(`CreateFunction ${name}`), () => this.client.send(new CreateFunctionCommand({
      FunctionName: name,
      Runtime: s.runtime as never,
      Handler: s.handler,
      Role: s.roleArn,
      Code: { ZipFile: zip },
      Timeout: AUTHORIZER_FUNCTION_TIMEOUT_SECONDS,
      MemorySize: AUTHORIZER_FUNCTION_MEMORY_MB,
      PackageType: 'Zip',
      Description: 'AWS IoT custom authorizer (deployed by IoT Custom Authorizer Toolkit)',
    })));
    return { arn: r.FunctionArn ?? '' };
  }

  async updateCode(name: string, zip: Uint8Array): Promise<{ codeSha256?: string }> {
    const r = await call(this.ctx(`UpdateFunctionCode ${name}`), () => this.client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip })));
    return { ...(r.CodeSha256 !== undefined ? { codeSha256: r.CodeSha256 } : {}) };
  }

  async updateConfiguration(name: string, s: FunctionSettings): Promise<void> {
    await call(this.ctx(`UpdateFunctionConfiguration ${name}`), () => this.client.send(new UpdateFunctionConfigurationCommand({
      FunctionName: name,
      Runtime: s.runtime as never,
      Handler: s.handler,
      ...(s.roleArn ? { Role: s.roleArn } : {}),
    })));
  }

  /** Waits until the function's State is Active (after CreateFunction). */
  async waitUntilActive(name: string, o: WaitOptions = {}): Promise<void> {
    await this.wait(name, 'Active', () => waitUntilFunctionActiveV2(this.waiterConfig(o), { FunctionName: name }));
  }

  /** Waits until LastUpdateStatus is Successful (after an update, and before the next one). */
  async waitUntilUpdated(name: string, o: WaitOptions = {}): Promise<void> {
    await this.wait(name, 'updated', () => waitUntilFunctionUpdatedV2(this.waiterConfig(o), { FunctionName: name }));
  }

  private waiterConfig(o: WaitOptions) {
    return {
      client: this.client,
      maxWaitTime: o.maxWaitSeconds ?? LAMBDA_WAIT_SECONDS,
      ...(o.minDelaySeconds !== undefined ? { minDelay: o.minDelaySeconds, maxDelay: Math.max(o.minDelaySeconds, 1) } : {}),
      ...(o.abortSignal ? { abortSignal: o.abortSignal } : {}),
    };
  }

  private async wait(name: string, what: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (e) {
      const n = (e as Error).name;
      if (n === 'TimeoutError' || n === 'AbortError' || /waiter/i.test((e as Error).message ?? '')) {
        const state = await this.getFunction(name).catch(() => undefined);
        const detail = state ? ` (State ${state.state ?? '?'}, LastUpdateStatus ${state.lastUpdateStatus ?? '?'}${state.stateReason ? `: ${state.stateReason}` : ''})` : '';
        if (n === 'AbortError') throw new AwsError(`Stopped waiting for function ${name} to be ${what}${detail}.`, 'AWS_ERROR', 'AbortError');
        throw new AwsError(`Function ${name} did not become ${what}${detail}. Look at it in the Lambda console, then deploy again.`, 'AWS_ERROR', 'WaiterFailed');
      }
      throw toUserError(e, this.ctx(`waiting for ${name} to be ${what}`));
    }
  }

  /** The statements of the function's resource policy; none when it has no policy yet. */
  async getPolicyStatements(name: string): Promise<ObservedPermission[]> {
    try {
      const r = await this.client.send(new GetPolicyCommand({ FunctionName: name }));
      return parsePolicyStatements(r.Policy);
    } catch (e) {
      if (isAwsError(e, 'ResourceNotFoundException')) return [];
      throw toUserError(e, this.ctx(`GetPolicy ${name}`));
    }
  }

  /**
   * Grants IoT Core lambda:InvokeFunction from `sourceArn`. A statement with the same id
   * (ResourceConflictException) means a concurrent deploy added it: not an error.
   */
  async addInvokePermission(name: string, statementId: string, sourceArn: string): Promise<'added' | 'present'> {
    try {
      await this.client.send(new AddPermissionCommand({
        FunctionName: name,
        StatementId: statementId,
        Action: 'lambda:InvokeFunction',
        Principal: IOT_SERVICE_PRINCIPAL,
        SourceArn: sourceArn,
      }));
      return 'added';
    } catch (e) {
      // Lambda also answers ResourceConflictException while an update is in progress: only "already exists" means present.
      if (isAwsError(e, 'ResourceConflictException') && /already exists/i.test((e as Error).message ?? '')) return 'present';
      throw toUserError(e, this.ctx(`AddPermission ${name}`));
    }
  }
}
