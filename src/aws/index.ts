// The AWS layer's public surface, bundled apart as dist/aws.js and loaded on first AWS use
// (the editor's features and the CLI `require` it lazily). The only importer of @aws-sdk/*.
export { createAwsClientFactory, checkEndpointUrl, checkRegion } from './clients';
export type { AwsClientFactory, AwsClientOptions, AwsTargetSettings } from './clients';
export { resolveTarget } from './account';
export type { AwsTarget } from './account';
export { AwsError, toUserError, ssoLoginCommand } from './errors';
export { listProfiles } from './profiles';
export type { AwsProfileInfo } from './profiles';
export { IotAuthorizers } from './iot';
export type { AuthorizerDetails, AuthorizerSummary } from './iot';
export { LambdaFunctions } from './lambda';
export { packageHandler, deterministicZip, sha256Base64 } from './packageHandler';
export type { HandlerPackage } from './packageHandler';
export { deployAuthorizer, functionNameFor } from './deploy';
export type { DeployInput, DeployReport, DeployOutcome } from './deploy';
export { testInvokeInAws, contextsFor } from './testInvoke';
