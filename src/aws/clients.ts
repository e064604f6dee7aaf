// The one place AWS SDK clients are made. Every caller (deploy, test-invoke, the tree, the CLI)
// asks an AwsClientFactory, so region, credentials, retries and the endpoint override are set
// once, and tests swap in aws-sdk-client-mock or point the real SDK at a local HTTP server.
import type { IAMClient } from '@aws-sdk/client-iam';
import { IoTClient } from '@aws-sdk/client-iot';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { STSClient } from '@aws-sdk/client-sts';
import { fromIni, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, RetryStrategyV2 } from '@aws-sdk/types';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { AWS_MAX_ATTEMPTS, AWS_REGION_PATTERN } from '../core/constants';
import { UserError } from '../core/errors';

export interface AwsTargetSettings {
  /** A named profile from ~/.aws/config or ~/.aws/credentials; default: the SDK's chain (env, default profile, SSO, process, IMDS). */
  readonly profile?: string;
  readonly region?: string;
  /** Every client talks to this URL instead of AWS (the local endpoint, LocalStack). */
  readonly endpointUrl?: string;
}

export interface AwsClientOptions extends AwsTargetSettings {
  /** Credentials to use instead of the profile/chain (tests, the local endpoint). */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  readonly maxAttempts?: number;
  /** Fixed delay between retries (tests); default the SDK's exponential backoff. */
  readonly retryDelayMs?: number;
}

export interface AwsClientFactory {
  readonly settings: AwsClientOptions;
  /** The region the clients use (given, else the profile's/environment's). */
  region(): Promise<string>;
  iot(): IoTClient;
  lambda(): LambdaClient;
  sts(): STSClient;
  /** IAM, only when deploy creates an execution role: its SDK is evaluated on first call. */
  iam(): Promise<IAMClient>;
  credentials(): AwsCredentialIdentityProvider;
  /** Closes the clients' sockets. */
  destroy(): void;
}

/** Checks an endpoint URL before any client uses it. */
export function checkEndpointUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`Endpoint URL "${url}" is not a URL: give one like http://127.0.0.1:4566.`, 'AWS_ENDPOINT_INVALID');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UserError(`Endpoint URL "${url}" must start with http:// or https://.`, 'AWS_ENDPOINT_INVALID');
  return url;
}

export function checkRegion(region: string): string {
  if (!AWS_REGION_PATTERN.test(region)) throw new UserError(`"${region}" is not an AWS region name such as eu-west-1.`, 'AWS_REGION_INVALID');
  return region;
}

/** Makes the factory; the clients are created on first use and reused. */
export function createAwsClientFactory(options: AwsClientOptions = {}): AwsClientFactory {
  if (options.endpointUrl !== undefined) checkEndpointUrl(options.endpointUrl);
  if (options.region !== undefined) checkRegion(options.region);
  const credentials: AwsCredentialIdentityProvider =
    typeof options.credentials === 'function' ? options.credentials
    : options.credentials ? async () => options.credentials as AwsCredentialIdentity
    : options.profile ? fromIni({ profile: options.profile })
    : fromNodeProviderChain();
  const retryStrategy: RetryStrategyV2 | undefined =
    options.retryDelayMs !== undefined ? new ConfiguredRetryStrategy(options.maxAttempts ?? AWS_MAX_ATTEMPTS, options.retryDelayMs) : undefined;
  const common = {
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(options.endpointUrl !== undefined ? { endpoint: options.endpointUrl } : {}),
    credentials,
    maxAttempts: options.maxAttempts ?? AWS_MAX_ATTEMPTS,
    ...(retryStrategy ? { retryStrategy } : {}),
  };
  let iot: IoTClient | undefined;
  let lambda: LambdaClient | undefined;
  let sts: STSClient | undefined;
  let iam: IAMClient | undefined;
  const factory: AwsClientFactory = {
    settings: options,
    async region() {
      if (options.region) return options.region;
      try {
        const r = await factory.iot().config.region();
        if (r) return r;
      } catch {
        // fall through to the message below
      }
      throw new UserError(`No AWS region is set${options.profile ? ` for profile ${options.profile}` : ''}: pick one (--region, the status-bar target, "aws.region" in iot-authorizer.json) or set "region" in ~/.aws/config.`, 'AWS_NO_REGION');
    },
    iot: () => (iot ??= new IoTClient(common)),
    lambda: () => (lambda ??= new LambdaClient(common)),
    sts: () => (sts ??= new STSClient(common)),
    async iam() {
      const { IAMClient: Client } = await import('@aws-sdk/client-iam');
      return (iam ??= new Client(common));
    },
    credentials: () => credentials,
    destroy() {
      iot?.destroy();
      lambda?.destroy();
      sts?.destroy();
      iam?.destroy();
    },
  };
  return factory;
}
