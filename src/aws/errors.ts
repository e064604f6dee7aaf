// Turns what the SDK throws into one UserError a person can act on: lapsed SSO sessions, missing
// profiles and credentials, denied actions, throttling. Anything else keeps AWS's own name and
// message (AWS's wording is what people search for).
import { UserError } from '../core/errors';

export interface AwsErrorContext {
  readonly profile?: string;
  /** What was being done, e.g. "CreateAuthorizer ExampleAuthorizer". */
  readonly action?: string;
}

/** Error codes of the UserErrors this module makes. */
export type AwsUserErrorCode =
  | 'AWS_CREDENTIALS_EXPIRED'
  | 'AWS_NO_CREDENTIALS'
  | 'AWS_PROFILE_NOT_FOUND'
  | 'AWS_ACCESS_DENIED'
  | 'AWS_THROTTLED'
  | 'AWS_ENDPOINT_UNREACHABLE'
  | 'AWS_ERROR';

/** An AWS failure: a UserError that keeps AWS's error name for callers that branch on it. */
export class AwsError extends UserError {
  constructor(message: string, code: AwsUserErrorCode, readonly awsName: string, readonly loginCommand?: string) {
    super(message, code);
    this.name = 'AwsError';
  }
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

export function awsErrorName(e: unknown): string {
  const err = e as SdkErrorShape;
  return err?.name ?? err?.code ?? 'Error';
}

export function isAwsError(e: unknown, ...names: string[]): boolean {
  const n = awsErrorName(e);
  return names.includes(n) || (e instanceof AwsError && names.includes(e.awsName));
}

/** The shell command that renews an SSO session for `profile`. */
export function ssoLoginCommand(profile: string | undefined): string {
  return profile ? `aws sso login --profile ${profile}` : 'aws sso login';
}

const EXPIRED = /(sso session .*(expired|invalid)|token .*expired|expiredtoken|the security token included in the request is expired|refresh.*sso|sso.*refresh)/i;
const NO_PROFILE = /(profile .*(could not be found|not found)|could not resolve credentials using profile|profile .* does not exist)/i;
const NO_CREDS = /(could not load credentials from any providers|credentials? .*(not|could not be) (found|loaded)|unable to load credentials|missing credentials)/i;

/** Maps an SDK or credential-provider error to one UserError with the fix. */
export function toUserError(e: unknown, ctx: AwsErrorContext = {}): Error {
  if (e instanceof UserError) return e;
  const err = e as SdkErrorShape;
  const name = awsErrorName(e);
  const message = err?.message ?? String(e);
  const who = ctx.profile ? `profile ${ctx.profile}` : 'the default credentials';
  const doing = ctx.action ? ` (${ctx.action})` : '';
  if (name === 'ExpiredTokenException' || name === 'ExpiredToken' || name === 'TokenRefreshRequired' || EXPIRED.test(message)) {
    const login = ssoLoginCommand(ctx.profile);
    return new AwsError(`The AWS credentials of ${who} have expired${doing}. Sign in again: ${login} (or refresh the keys in your environment), then retry.`, 'AWS_CREDENTIALS_EXPIRED', name, login);
  }
  if (NO_PROFILE.test(message)) {
    return new AwsError(`There is no AWS profile "${ctx.profile ?? ''}" in ~/.aws/config or ~/.aws/credentials. Create it (aws configure --profile ${ctx.profile ?? 'NAME'}, or aws configure sso) or pick another profile.`, 'AWS_PROFILE_NOT_FOUND', name);
  }
  if (name === 'CredentialsProviderError' || NO_CREDS.test(message)) {
    return new AwsError(`No AWS credentials found for ${who}${doing}. Set up a profile (aws configure, or aws configure sso then ${ssoLoginCommand(ctx.profile)}), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then retry.`, 'AWS_NO_CREDENTIALS', name, ssoLoginCommand(ctx.profile));
  }
  if (name === 'UnrecognizedClientException' || name === 'InvalidClientTokenId' || name === 'InvalidSignatureException' || name === 'SignatureDoesNotMatch') {
    return new AwsError(`AWS does not accept the credentials of ${who}${doing}: ${message} Check the keys or sign in again (${ssoLoginCommand(ctx.profile)}).`, 'AWS_CREDENTIALS_EXPIRED', name, ssoLoginCommand(ctx.profile));
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation' || err?.$metadata?.httpStatusCode === 403) {
    return new AwsError(`AWS denied ${ctx.action ?? 'the request'} to ${who}: ${message} Ask for the IAM permission it names, or use a profile that has it.`, 'AWS_ACCESS_DENIED', name);
  }
  if (name === 'ThrottlingException' || name === 'TooManyRequestsException' || name === 'Throttling' || name === 'LimitExceededException' && /rate/i.test(message)) {
    return new AwsError(`AWS throttled ${ctx.action ?? 'the request'} and retries ran out: ${message} Wait a minute and retry.`, 'AWS_THROTTLED', name);
  }
  if (name === 'TimeoutError' || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|socket hang up/.test(message)) {
    return new AwsError(`Cannot reach AWS${doing}: ${message}. Check the network, or the endpoint URL if one is set.`, 'AWS_ENDPOINT_UNREACHABLE', name);
  }
  return new AwsError(`${ctx.action ? `${ctx.action}: ` : ''}${name}: ${message}`, 'AWS_ERROR', name);
}
