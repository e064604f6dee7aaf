// Who and where: the account id and region a factory's clients act in.
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { AWS_ACCOUNT_ID_PATTERN, LOCAL_ACCOUNT_ID } from '../core/constants';
import type { AwsClientFactory } from './clients';
import { toUserError } from './errors';

export interface AwsTarget {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  readonly profile?: string;
  readonly endpointUrl?: string;
}

function partitionOf(arn: string | undefined): string {
  return arn?.split(':')[1] || 'aws';
}

/**
 * The account id from the credentials when they carry one (SSO, AWS_ACCOUNT_ID), else STS
 * GetCallerIdentity. With an endpoint override that has no STS (the local endpoint, some
 * emulators), the emulators' conventional account 123456789012 is used.
 */
export async function resolveTarget(factory: AwsClientFactory): Promise<AwsTarget> {
  const region = await factory.region();
  const base = {
    region,
    ...(factory.settings.profile !== undefined ? { profile: factory.settings.profile } : {}),
    ...(factory.settings.endpointUrl !== undefined ? { endpointUrl: factory.settings.endpointUrl } : {}),
  };
  let fromCredentials: string | undefined;
  try {
    const creds = await factory.credentials()();
    fromCredentials = creds.accountId;
  } catch (e) {
    throw toUserError(e, { profile: factory.settings.profile, action: 'loading credentials' });
  }
  if (fromCredentials && AWS_ACCOUNT_ID_PATTERN.test(fromCredentials)) return { ...base, accountId: fromCredentials, partition: 'aws' };
  try {
    const who = await factory.sts().send(new GetCallerIdentityCommand({}));
    if (who.Account && AWS_ACCOUNT_ID_PATTERN.test(who.Account)) return { ...base, accountId: who.Account, partition: partitionOf(who.Arn) };
  } catch (e) {
    if (!factory.settings.endpointUrl) throw toUserError(e, { profile: factory.settings.profile, action: 'sts:GetCallerIdentity' });
  }
  return { ...base, accountId: LOCAL_ACCOUNT_ID, partition: 'aws' };
}
