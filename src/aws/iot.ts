// Thin typed wrappers over the IoT control-plane calls the toolkit makes, named after what they
// do. Each maps SDK errors through toUserError, except "not found", which is an answer.
import {
  AuthorizerDescription,
  CreateAuthorizerCommand,
  DeleteAuthorizerCommand,
  DescribeAuthorizerCommand,
  DescribeDefaultAuthorizerCommand,
  DescribeEndpointCommand,
  IoTClient,
  ListAuthorizersCommand,
  SetDefaultAuthorizerCommand,
  TestInvokeAuthorizerCommand,
  TestInvokeAuthorizerCommandInput,
  UpdateAuthorizerCommand,
} from '@aws-sdk/client-iot';
import { AUTHORIZERS_PAGE_SIZE, IOT_DATA_ENDPOINT_TYPE } from '../core/constants';
import type { ObservedAuthorizer } from '../core/deployPlan';
import { AwsErrorContext, isAwsError, toUserError } from './errors';

export interface AuthorizerSummary {
  readonly name: string;
  readonly arn: string;
}

export interface AuthorizerDetails extends ObservedAuthorizer {
  readonly name: string;
  readonly creationDate?: string;
  readonly lastModifiedDate?: string;
}

export interface AuthorizerSettings {
  readonly functionArn: string;
  readonly tokenKeyName?: string;
  readonly publicKeys?: Readonly<Record<string, string>>;
  readonly status: 'ACTIVE' | 'INACTIVE';
  readonly signingDisabled?: boolean;
  readonly enableCachingForHttp?: boolean;
}

export interface TestInvokeAnswer {
  readonly isAuthenticated?: boolean;
  readonly principalId?: string;
  readonly policyDocuments?: string[];
  readonly refreshAfterInSeconds?: number;
  readonly disconnectAfterInSeconds?: number;
}

export type TestInvokeRequest = TestInvokeAuthorizerCommandInput;

async function call<T>(ctx: AwsErrorContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw toUserError(e, ctx);
  }
}

export function toAuthorizerDetails(d: AuthorizerDescription): AuthorizerDetails {
  return {
    name: d.authorizerName ?? '',
    arn: d.authorizerArn ?? '',
    ...(d.authorizerFunctionArn !== undefined ? { functionArn: d.authorizerFunctionArn } : {}),
    ...(d.tokenKeyName !== undefined ? { tokenKeyName: d.tokenKeyName } : {}),
    publicKeys: { ...(d.tokenSigningPublicKeys ?? {}) },
    ...(d.status !== undefined ? { status: d.status } : {}),
    signingDisabled: d.signingDisabled ?? false,
    enableCachingForHttp: d.enableCachingForHttp ?? false,
    ...(d.creationDate ? { creationDate: d.creationDate.toISOString() } : {}),
    ...(d.lastModifiedDate ? { lastModifiedDate: d.lastModifiedDate.toISOString() } : {}),
  };
}

export class IotAuthorizers {
  constructor(
    private readonly client: IoTClient,
    private readonly profile?: string,
  ) {}

  private ctx(action: string): AwsErrorContext {
    return { action, profile: this.profile };
  }

  /** Every authorizer of the account and region, following the pages. */
  async listAuthorizers(options: { pageSize?: number; status?: 'ACTIVE' | 'INACTIVE' } = {}): Promise<AuthorizerSummary[]> {
    const out: AuthorizerSummary[] = [];
    let marker: string | undefined;
    do {
      const page = await call(this.ctx('ListAuthorizers'), () =>
        this.client.send(
          new ListAuthorizersCommand({
            pageSize: options.pageSize ?? AUTHORIZERS_PAGE_SIZE,
            marker,
            ascendingOrder: true,
            ...(options.status ? { status: options.status } : {}),
          }),
        ),
      );
      for (const a of page.authorizers ?? []) out.push({ name: a.authorizerName ?? '', arn: a.authorizerArn ?? '' });
      marker = page.nextMarker || undefined;
    } while (marker);
    return out;
  }

  /** The authorizer, or undefined when the account has none of that name. */
  async describeAuthorizer(name: string): Promise<AuthorizerDetails | undefined> {
    try {
      const r = await this.client.send(new DescribeAuthorizerCommand({ authorizerName: name }));
      return r.authorizerDescription ? toAuthorizerDetails(r.authorizerDescription) : undefined;
    } catch (e) {
      if (isAwsError(e, 'ResourceNotFoundException')) return undefined;
      throw toUserError(e, this.ctx(`DescribeAuthorizer ${name}`));
    }
  }

  async createAuthorizer(name: string, s: AuthorizerSettings): Promise<{ arn: string }> {
    const r = await call(this.ctx(`CreateAuthorizer ${name}`), () =>
      this.client.send(
        new CreateAuthorizerCommand({
          authorizerName: name,
          authorizerFunctionArn: s.functionArn,
          status: s.status,
          signingDisabled: s.signingDisabled ?? false,
          enableCachingForHttp: s.enableCachingForHttp ?? false,
          ...(s.signingDisabled ? {} : { tokenKeyName: s.tokenKeyName, tokenSigningPublicKeys: { ...(s.publicKeys ?? {}) } }),
        }),
      ),
    );
    return { arn: r.authorizerArn ?? '' };
  }

  /** signingDisabled cannot change after creation, so it is not sent. */
  async updateAuthorizer(name: string, s: AuthorizerSettings): Promise<void> {
    await call(this.ctx(`UpdateAuthorizer ${name}`), () =>
      this.client.send(
        new UpdateAuthorizerCommand({
          authorizerName: name,
          authorizerFunctionArn: s.functionArn,
          status: s.status,
          enableCachingForHttp: s.enableCachingForHttp ?? false,
          ...(s.signingDisabled ? {} : { tokenKeyName: s.tokenKeyName, tokenSigningPublicKeys: { ...(s.publicKeys ?? {}) } }),
        }),
      ),
    );
  }

  async setStatus(name: string, status: 'ACTIVE' | 'INACTIVE'): Promise<void> {
    await call(this.ctx(`UpdateAuthorizer ${name} status ${status}`), () => this.client.send(new UpdateAuthorizerCommand({ authorizerName: name, status })));
  }

  /** Replaces the authorizer's tokenSigningPublicKeys (key rotation), leaving everything else as it is. */
  async setPublicKeys(name: string, publicKeys: Readonly<Record<string, string>>): Promise<void> {
    await call(this.ctx(`UpdateAuthorizer ${name} keys ${Object.keys(publicKeys).join(', ')}`), () =>
      this.client.send(new UpdateAuthorizerCommand({ authorizerName: name, tokenSigningPublicKeys: { ...publicKeys } })),
    );
  }

  /** An ACTIVE authorizer cannot be deleted: the DeleteConflictException says to deactivate it first. */
  async deleteAuthorizer(name: string): Promise<void> {
    await call(this.ctx(`DeleteAuthorizer ${name}`), () => this.client.send(new DeleteAuthorizerCommand({ authorizerName: name })));
  }

  async setDefaultAuthorizer(name: string): Promise<void> {
    await call(this.ctx(`SetDefaultAuthorizer ${name}`), () => this.client.send(new SetDefaultAuthorizerCommand({ authorizerName: name })));
  }

  /** The default authorizer's name, or undefined when the account has none. */
  async defaultAuthorizerName(): Promise<string | undefined> {
    try {
      const r = await this.client.send(new DescribeDefaultAuthorizerCommand({}));
      return r.authorizerDescription?.authorizerName;
    } catch (e) {
      if (isAwsError(e, 'ResourceNotFoundException')) return undefined;
      throw toUserError(e, this.ctx('DescribeDefaultAuthorizer'));
    }
  }

  /**
   * Test-invokes the authorizer. InvalidRequestException / InvalidResponseException /
   * ResourceNotFoundException are returned as `error` (they are answers about the authorizer);
   * credential and access problems throw.
   */
  async testInvoke(input: TestInvokeRequest): Promise<{ answer?: TestInvokeAnswer; error?: { name: string; message: string } }> {
    try {
      const r = await this.client.send(new TestInvokeAuthorizerCommand(input));
      return {
        answer: {
          isAuthenticated: r.isAuthenticated,
          principalId: r.principalId,
          policyDocuments: r.policyDocuments,
          refreshAfterInSeconds: r.refreshAfterInSeconds,
          disconnectAfterInSeconds: r.disconnectAfterInSeconds,
        },
      };
    } catch (e) {
      if (isAwsError(e, 'InvalidRequestException', 'InvalidResponseException', 'ResourceNotFoundException')) {
        return { error: { name: (e as Error).name, message: (e as Error).message } };
      }
      throw toUserError(e, this.ctx(`TestInvokeAuthorizer ${input.authorizerName}`));
    }
  }

  /** The account's data-plane endpoint devices connect to (`<id>-ats.iot.<region>.amazonaws.com`). */
  async describeDataEndpoint(): Promise<string> {
    // An emulator without DescribeEndpoint answers nothing; callers treat '' as unknown.
    const r = await call(this.ctx('DescribeEndpoint'), () => this.client.send(new DescribeEndpointCommand({ endpointType: IOT_DATA_ENDPOINT_TYPE })));
    return r?.endpointAddress ?? '';
  }
}
