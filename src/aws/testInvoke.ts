// Test-invokes an authorizer in AWS, with a token and signature or with a test event's request
// as httpContext / mqttContext / tlsContext, and returns the result as an InvocationResult
// (target aws) through core/awsTestInvoke.ts. When AWS refuses the request or the handler's
// answer, the local checks on the same request explain why.
import { performance } from 'perf_hooks';
import { AUTHORIZER_NAME_PARAM, SIGNATURE_PARAM } from '../core/constants';
import { extractCredentials } from '../core/credentials';
import { awsTestInvokeResult, LocalExplanation } from '../core/awsTestInvoke';
import type { ResolvedDeviceRequest, SignatureCheck } from '../core/events';
import type { InvocationResult, RunRequestSummary } from '../core/result';
import { isPlaceholderServerName } from '../core/snippets';
import type { DeviceRequest } from '../core/testEvent';
import { NamedPublicKey, verifyToken } from '../core/tokens';
import type { AwsTarget } from './account';
import type { IotAuthorizers, TestInvokeRequest } from './iot';

export interface TokenTestInvoke {
  readonly kind: 'token';
  readonly token: string;
  readonly signature: string;
}

export interface ContextTestInvoke {
  readonly kind: 'context';
  /** The test event's request with credentials placed and signatures computed. */
  readonly request: ResolvedDeviceRequest;
}

export interface AwsTestInvokeOptions {
  readonly iot: IotAuthorizers;
  readonly target: AwsTarget;
  readonly authorizerName: string;
  readonly input: TokenTestInvoke | ContextTestInvoke;
  /** The workspace's public keys for the authorizer, to explain a signature AWS refuses. */
  readonly publicKeys?: readonly NamedPublicKey[];
  /** Runs the same request locally (the handler and the response rules), to explain InvalidResponseException. */
  readonly runLocally?: (request: DeviceRequest) => Promise<InvocationResult | undefined>;
  /** The authorizer's token key name: the header carrying the token of a token request run locally, and where a context request's token is read from. */
  readonly tokenKeyName?: string;
  /** The authorizer has signing disabled (from the project file), so the panel says no signature was checked. */
  readonly signingDisabled?: boolean;
  readonly source?: InvocationResult['source'];
  /** The account's data endpoint (DescribeEndpoint iot:Data-ATS), recorded as the request's server so snippets name it. */
  readonly dataEndpoint?: string;
}

/** The SDK input for a test event's request: no token, the request in its contexts. */
export function contextsFor(authorizerName: string, r: ResolvedDeviceRequest): TestInvokeRequest {
  const http = r.protocol === 'http' || r.protocol === 'mqtt-wss';
  const mqtt = r.protocol !== 'http' && r.mqtt !== undefined;
  return {
    authorizerName,
    ...(http ? { httpContext: { headers: { ...(r.headers ?? {}) }, ...(r.queryString ? { queryString: `?${r.queryString}` } : {}) } } : {}),
    ...(mqtt
      ? {
          mqttContext: {
            ...(r.mqtt?.username !== undefined ? { username: r.mqtt.username } : {}),
            ...(r.mqtt?.passwordBase64 !== undefined ? { password: Buffer.from(r.mqtt.passwordBase64, 'base64') } : {}),
            ...(r.mqtt?.clientId !== undefined ? { clientId: r.mqtt.clientId } : {}),
          },
        }
      : {}),
    tlsContext: { serverName: r.serverName },
  };
}

/** The token and signature a context request carries, read where AWS reads them (headers, query string, MQTT username). */
function sentCredentials(r: ResolvedDeviceRequest, tokenKeyName: string | undefined): { token?: string; signature?: string } {
  const found = extractCredentials({ headers: r.headers, queryString: r.queryString, mqttUsername: r.mqtt?.username }, tokenKeyName);
  return { ...(found.token !== undefined ? { token: found.token } : {}), ...(found.signature !== undefined ? { signature: found.signature } : {}) };
}

function summaryFor(authorizerName: string, input: TokenTestInvoke | ContextTestInvoke, dataEndpoint?: string, tokenKeyName?: string): RunRequestSummary {
  if (input.kind === 'token')
    return { authorizer: authorizerName, protocol: 'http', token: input.token, ...(dataEndpoint ? { serverName: dataEndpoint } : {}) };
  const r = input.request;
  const { mqtt, headers, queryString, ...always } = r;
  const { token } = sentCredentials(r, tokenKeyName);
  return {
    authorizer: authorizerName,
    protocol: r.protocol,
    ...(mqtt?.clientId !== undefined ? { clientId: mqtt.clientId } : {}),
    ...(token !== undefined ? { token } : {}),
    serverName: dataEndpoint && isPlaceholderServerName(r.serverName) ? dataEndpoint : r.serverName,
    wire: {
      ...always,
      ...(headers !== undefined ? { headers } : {}),
      ...(queryString !== undefined ? { queryString } : {}),
      ...(mqtt
        ? {
            mqtt: {
              ...(mqtt.username !== undefined ? { username: mqtt.username } : {}),
              ...(mqtt.clientId !== undefined ? { clientId: mqtt.clientId } : {}),
              hasPassword: mqtt.passwordBase64 !== undefined,
            },
          }
        : {}),
    },
  };
}

function localSignature(token: string, signature: string, keys: readonly NamedPublicKey[]): SignatureCheck {
  const v = verifyToken(token, signature, keys);
  if (v.valid)
    return { status: 'verified', ...(v.keyName ? { keyName: v.keyName } : {}), diagnosis: `The workspace key "${v.keyName ?? ''}" verifies the signature.` };
  const first = v.findings[0];
  return { status: 'failed', diagnosis: first ? `${first.message} ${first.fix}` : 'No workspace key verifies the signature.', findings: v.findings };
}

/** The request a token test-invoke stands for, to run locally: the token and signature in headers. */
function tokenRequest(authorizerName: string, tokenKeyName: string, t: TokenTestInvoke): DeviceRequest {
  return {
    authorizer: authorizerName,
    protocol: 'http',
    headers: { [AUTHORIZER_NAME_PARAM]: authorizerName, [tokenKeyName]: t.token, [SIGNATURE_PARAM]: t.signature },
  };
}

export async function testInvokeInAws(o: AwsTestInvokeOptions): Promise<InvocationResult> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const sdkInput: TestInvokeRequest =
    o.input.kind === 'token'
      ? { authorizerName: o.authorizerName, token: o.input.token, tokenSignature: o.input.signature }
      : contextsFor(o.authorizerName, o.input.request);
  const { answer, error } = await o.iot.testInvoke(sdkInput);
  const totalMs = performance.now() - t0;
  let explanation: LocalExplanation | undefined;
  if (error && (error.name === 'InvalidRequestException' || error.name === 'InvalidResponseException')) {
    const signature = o.input.kind === 'token' && o.publicKeys?.length ? localSignature(o.input.token, o.input.signature, o.publicKeys) : undefined;
    let localRun: InvocationResult | undefined;
    if (error.name === 'InvalidResponseException' && o.runLocally) {
      const request: DeviceRequest | undefined =
        o.input.kind === 'token'
          ? o.tokenKeyName
            ? tokenRequest(o.authorizerName, o.tokenKeyName, o.input)
            : undefined
          : {
              authorizer: o.authorizerName,
              protocol: o.input.request.protocol,
              serverName: o.input.request.serverName,
              headers: { ...(o.input.request.headers ?? {}) },
              ...(o.input.request.queryString ? { queryString: `?${o.input.request.queryString}` } : {}),
              ...(o.input.request.mqtt ? { mqtt: o.input.request.mqtt } : {}),
            };
      localRun = request ? await o.runLocally(request) : undefined;
    }
    explanation = {
      ...(signature ? { signature: localRun?.signature ?? signature } : localRun ? { signature: localRun.signature } : {}),
      ...(localRun ? { localRun } : {}),
    };
  }
  return awsTestInvokeResult({
    target: { kind: 'aws', region: o.target.region, accountId: o.target.accountId, ...(o.target.profile ? { profile: o.target.profile } : {}) },
    accountId: o.target.accountId,
    request: summaryFor(o.authorizerName, o.input, o.dataEndpoint, o.tokenKeyName),
    signatureSent: o.input.kind === 'token' || sentCredentials(o.input.request, o.tokenKeyName).signature !== undefined,
    ...(o.signingDisabled ? { signingDisabled: true } : {}),
    ...(answer ? { answer } : {}),
    ...(error ? { error } : {}),
    startedAt,
    totalMs,
    ...(explanation ? { explanation } : {}),
    ...(o.source ? { source: o.source } : {}),
  });
}
