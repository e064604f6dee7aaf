// The AWS IoT control-plane operations for custom authorizers, as the AWS CLI v2 and SDK v3
// call them (REST-JSON): create / describe / list / update / delete, the default authorizer,
// test-invoke with AWS's InvalidRequestException and InvalidResponseException wording, and
// DescribeEndpoint answering with this endpoint's own address.
import { randomUUID } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import {
  AUTHORIZER_NAME_MAX_LENGTH,
  AUTHORIZER_NAME_PATTERN,
  CONTROL_PLANE_MAX_BODY_BYTES,
  LAMBDA_TIMEOUT_MS,
  LIST_AUTHORIZERS_MAX_PAGE_SIZE,
  DEFAULT_DISCONNECT_SECONDS,
  MAX_SIGNATURE_LENGTH,
  MAX_SIGNING_KEYS_PER_AUTHORIZER,
  MAX_TOKEN_LENGTH,
  DEFAULT_REFRESH_SECONDS,
  PUBLIC_KEY_PEM_MAX_LENGTH,
  SIGNING_KEY_NAME_PATTERN,
  TOKEN_KEY_NAME_MAX_LENGTH,
  TOKEN_KEY_NAME_PATTERN,
} from '../core/constants';
import { extractCredentials } from '../core/credentials';
import type { AuthorizerEvent } from '../core/events';
import { importPublicKey } from '../core/keys';
import { validateAuthorizerResponse } from '../core/response';
import { verifyToken } from '../core/tokens';
import { handlerErrorMessage, invalidResponseMessage, publicKeysOf } from './authorizers';
import { EndpointContext, findFunction, runFunction } from './context';
import type { AuthorizerRecord } from './state';
import { AwsApiError, booleanField, invalidRequest, notFound, parseJsonObject, readBody, recordField, sendJson, stringField, validationMessage } from './wire';

export interface IotRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  readonly region: string;
  /** Host and port the client reached, for DescribeEndpoint. */
  readonly host: string;
}

const ENDPOINT_TYPES = new Set(['iot:Data', 'iot:Data-ATS', 'iot:CredentialProvider', 'iot:Jobs']);

function epochSeconds(ms: number): number {
  return ms / 1000;
}

export function authorizerDescription(a: AuthorizerRecord): Record<string, unknown> {
  return {
    authorizerName: a.authorizerName,
    authorizerArn: a.authorizerArn,
    authorizerFunctionArn: a.authorizerFunctionArn,
    ...(a.tokenKeyName !== undefined ? { tokenKeyName: a.tokenKeyName } : {}),
    tokenSigningPublicKeys: a.tokenSigningPublicKeys,
    status: a.status,
    creationDate: epochSeconds(a.creationDate),
    lastModifiedDate: epochSeconds(a.lastModifiedDate),
    signingDisabled: a.signingDisabled,
    enableCachingForHttp: a.enableCachingForHttp,
  };
}

function checkName(name: string): void {
  if (name.length < 1 || name.length > AUTHORIZER_NAME_MAX_LENGTH || !AUTHORIZER_NAME_PATTERN.test(name)) {
    throw invalidRequest(validationMessage('authorizerName', name, `Member must satisfy regular expression pattern: [\\w=,@-]+ and have length less than or equal to ${AUTHORIZER_NAME_MAX_LENGTH}`));
  }
}

function checkTokenKeyName(v: string | undefined): string | undefined {
  if (v !== undefined && (v.length < 1 || v.length > TOKEN_KEY_NAME_MAX_LENGTH || !TOKEN_KEY_NAME_PATTERN.test(v))) {
    throw invalidRequest(validationMessage('tokenKeyName', v, `Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+ and have length less than or equal to ${TOKEN_KEY_NAME_MAX_LENGTH}`));
  }
  return v;
}

function checkKeys(body: Record<string, unknown>): Record<string, string> | undefined {
  const keys = recordField(body, 'tokenSigningPublicKeys', 'iot');
  if (!keys) return undefined;
  const entries = Object.entries(keys);
  if (entries.length > MAX_SIGNING_KEYS_PER_AUTHORIZER) {
    throw invalidRequest(`An authorizer can have at most ${MAX_SIGNING_KEYS_PER_AUTHORIZER} token signing public keys; ${entries.length} were given.`);
  }
  const out: Record<string, string> = {};
  for (const [name, pem] of entries) {
    if (!SIGNING_KEY_NAME_PATTERN.test(name) || name.length > 128) {
      throw invalidRequest(validationMessage('tokenSigningPublicKeys', name, 'Map keys must satisfy regular expression pattern: [a-zA-Z0-9:_-]+'));
    }
    if (typeof pem !== 'string' || pem.length > PUBLIC_KEY_PEM_MAX_LENGTH) {
      throw invalidRequest(validationMessage(`tokenSigningPublicKeys.${name}`, typeof pem === 'string' ? `${pem.length} characters` : pem, `Member must have length less than or equal to ${PUBLIC_KEY_PEM_MAX_LENGTH}`));
    }
    try {
      importPublicKey(pem, { what: `Key "${name}"` });
    } catch (e) {
      throw invalidRequest(`Invalid public key ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
    out[name] = pem;
  }
  return out;
}

function checkStatus(v: string | undefined): 'ACTIVE' | 'INACTIVE' | undefined {
  if (v !== undefined && v !== 'ACTIVE' && v !== 'INACTIVE') throw invalidRequest(validationMessage('status', v, 'Member must satisfy enum value set: [ACTIVE, INACTIVE]'));
  return v;
}

function checkFunctionArn(v: string | undefined): string | undefined {
  if (v !== undefined && (v.length > 2048 || !/^arn:[^:]+:lambda:/.test(v))) throw invalidRequest(validationMessage('authorizerFunctionArn', v, 'Member must be a Lambda function ARN'));
  return v;
}

export class IotApi {
  constructor(private readonly ctx: EndpointContext) {}

  async handle(r: IotRequest): Promise<void> {
    const method = r.req.method ?? 'GET';
    const [first, name, sub, ...rest] = r.segments;
    if (first === 'authorizer' && name !== undefined && name !== '' && rest.length === 0) {
      if (sub === undefined) {
        if (method === 'POST') return this.create(r, name);
        if (method === 'GET') return this.describe(r, name);
        if (method === 'PUT') return this.update(r, name);
        if (method === 'DELETE') return this.delete(r, name);
      } else if (sub === 'test' && method === 'POST') return this.testInvoke(r, name);
    }
    if (first === 'authorizers' && (name === undefined || name === '') && method === 'GET') return this.list(r);
    if (first === 'default-authorizer' && name === undefined) {
      if (method === 'POST') return this.setDefault(r);
      if (method === 'GET') return this.describeDefault(r);
      if (method === 'DELETE') return this.clearDefault(r);
    }
    if (first === 'endpoint' && name === undefined && method === 'GET') return this.describeEndpoint(r);
    throw new AwsApiError(404, 'UnknownOperationException', `Unknown operation ${method} ${r.req.url ?? ''}: the local endpoint serves IoT custom-authorizer operations, DescribeEndpoint, Lambda and HTTP publish.`);
  }

  private async body(r: IotRequest): Promise<Record<string, unknown>> {
    return parseJsonObject(await readBody(r.req, CONTROL_PLANE_MAX_BODY_BYTES), 'iot');
  }

  private find(name: string): AuthorizerRecord {
    const a = this.ctx.state.authorizers.get(name);
    if (!a) throw notFound(`Authorizer ${name} not found`);
    return a;
  }

  private async create(r: IotRequest, name: string): Promise<void> {
    checkName(name);
    const body = await this.body(r);
    const functionArn = checkFunctionArn(stringField(body, 'authorizerFunctionArn', 'iot'));
    if (functionArn === undefined) throw invalidRequest(validationMessage('authorizerFunctionArn', null, 'Member must not be null'));
    const tokenKeyName = checkTokenKeyName(stringField(body, 'tokenKeyName', 'iot'));
    const keys = checkKeys(body);
    const status = checkStatus(stringField(body, 'status', 'iot')) ?? 'ACTIVE';
    const signingDisabled = booleanField(body, 'signingDisabled', 'iot') ?? false;
    const caching = booleanField(body, 'enableCachingForHttp', 'iot') ?? false;
    if (!signingDisabled && (tokenKeyName === undefined || keys === undefined || Object.keys(keys).length === 0)) {
      throw invalidRequest('tokenKeyName and tokenSigningPublicKeys are required when signing is enabled (signingDisabled is false).');
    }
    if (this.ctx.state.authorizers.has(name)) throw new AwsApiError(409, 'ResourceAlreadyExistsException', `Authorizer ${name} already exists`);
    const now = Date.now();
    const a: AuthorizerRecord = {
      authorizerName: name,
      authorizerArn: `arn:aws:iot:${r.region}:${this.ctx.accountId}:authorizer/${name}`,
      authorizerFunctionArn: functionArn,
      ...(tokenKeyName !== undefined ? { tokenKeyName } : {}),
      tokenSigningPublicKeys: keys ?? {},
      status,
      signingDisabled,
      enableCachingForHttp: caching,
      creationDate: now,
      lastModifiedDate: now,
      origin: 'api',
    };
    this.ctx.state.authorizers.set(name, a);
    this.ctx.state.save();
    sendJson(r.res, 200, { authorizerName: name, authorizerArn: a.authorizerArn });
  }

  private describe(r: IotRequest, name: string): void {
    sendJson(r.res, 200, { authorizerDescription: authorizerDescription(this.find(name)) });
  }

  private list(r: IotRequest): void {
    const sizeText = r.query.get('pageSize');
    const pageSize = sizeText === null ? LIST_AUTHORIZERS_MAX_PAGE_SIZE : Number(sizeText);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > LIST_AUTHORIZERS_MAX_PAGE_SIZE) {
      throw invalidRequest(validationMessage('pageSize', sizeText, `Member must have value less than or equal to ${LIST_AUTHORIZERS_MAX_PAGE_SIZE}`));
    }
    const status = checkStatus(r.query.get('status') ?? undefined);
    const ascending = r.query.get('isAscendingOrder') !== 'false';
    let all = [...this.ctx.state.authorizers.values()].filter((a) => status === undefined || a.status === status);
    all.sort((a, b) => a.authorizerName.localeCompare(b.authorizerName));
    if (!ascending) all = all.reverse();
    const marker = r.query.get('marker');
    const start = marker ? Number(Buffer.from(marker, 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) throw invalidRequest('The marker is not one this endpoint returned.');
    const page = all.slice(start, start + pageSize);
    const next = start + pageSize < all.length ? Buffer.from(String(start + pageSize)).toString('base64') : undefined;
    const authorizers = page.map((a) => ({ authorizerName: a.authorizerName, authorizerArn: a.authorizerArn }));
    sendJson(r.res, 200, { authorizers, ...(next ? { nextMarker: next } : {}) });
  }

  private async update(r: IotRequest, name: string): Promise<void> {
    const body = await this.body(r);
    const a = this.find(name);
    if (body.signingDisabled !== undefined) throw invalidRequest('signingDisabled cannot be changed after the authorizer is created: create a new authorizer.');
    const functionArn = checkFunctionArn(stringField(body, 'authorizerFunctionArn', 'iot'));
    const tokenKeyName = checkTokenKeyName(stringField(body, 'tokenKeyName', 'iot'));
    const keys = checkKeys(body);
    const status = checkStatus(stringField(body, 'status', 'iot'));
    const caching = booleanField(body, 'enableCachingForHttp', 'iot');
    if (functionArn !== undefined) a.authorizerFunctionArn = functionArn;
    if (tokenKeyName !== undefined) a.tokenKeyName = tokenKeyName;
    if (keys !== undefined) a.tokenSigningPublicKeys = keys;
    if (status !== undefined) a.status = status;
    if (caching !== undefined) a.enableCachingForHttp = caching;
    a.lastModifiedDate = Date.now();
    this.ctx.state.save();
    sendJson(r.res, 200, { authorizerName: name, authorizerArn: a.authorizerArn });
  }

  private delete(r: IotRequest, name: string): void {
    const a = this.find(name);
    if (a.status === 'ACTIVE') throw new AwsApiError(409, 'DeleteConflictException', `Authorizer ${name} is ACTIVE and cannot be deleted. Set its status to INACTIVE first (update-authorizer --status INACTIVE).`);
    this.ctx.state.authorizers.delete(name);
    if (this.ctx.state.defaultAuthorizer === name) this.ctx.state.defaultAuthorizer = undefined;
    this.ctx.state.save();
    sendJson(r.res, 200, {});
  }

  private async setDefault(r: IotRequest): Promise<void> {
    const body = await this.body(r);
    const name = stringField(body, 'authorizerName', 'iot');
    if (name === undefined) throw invalidRequest(validationMessage('authorizerName', null, 'Member must not be null'));
    const a = this.find(name);
    const current = this.ctx.state.defaultAuthorizer;
    if (current !== undefined && current !== name && this.ctx.state.authorizers.has(current)) {
      throw new AwsApiError(409, 'ResourceAlreadyExistsException', `Default authorizer is already set to ${current}. Clear it first (clear-default-authorizer).`);
    }
    this.ctx.state.defaultAuthorizer = name;
    this.ctx.state.save();
    sendJson(r.res, 200, { authorizerName: name, authorizerArn: a.authorizerArn });
  }

  private describeDefault(r: IotRequest): void {
    const name = this.ctx.state.defaultAuthorizer;
    const a = name !== undefined ? this.ctx.state.authorizers.get(name) : undefined;
    if (!a) throw notFound('No default authorizer is set.');
    sendJson(r.res, 200, { authorizerDescription: authorizerDescription(a) });
  }

  private clearDefault(r: IotRequest): void {
    this.ctx.state.defaultAuthorizer = undefined;
    this.ctx.state.save();
    sendJson(r.res, 200, {});
  }

  private describeEndpoint(r: IotRequest): void {
    const type = r.query.get('endpointType');
    if (type !== null && !ENDPOINT_TYPES.has(type)) throw invalidRequest(`Invalid endpoint type: ${type}`);
    sendJson(r.res, 200, { endpointAddress: r.host });
  }

  private async testInvoke(r: IotRequest, name: string): Promise<void> {
    const body = await this.body(r);
    const a = this.find(name);
    const token = stringField(body, 'token', 'iot');
    const signature = stringField(body, 'tokenSignature', 'iot');
    const http = recordField(body, 'httpContext', 'iot');
    const mqtt = recordField(body, 'mqttContext', 'iot');
    const tls = recordField(body, 'tlsContext', 'iot');
    const hasContext = http !== undefined || mqtt !== undefined || tls !== undefined;
    if (token !== undefined && token.length > MAX_TOKEN_LENGTH) throw invalidRequest(validationMessage('token', `${token.length} characters`, `Member must have length less than or equal to ${MAX_TOKEN_LENGTH}`));
    if (signature !== undefined && signature.length > MAX_SIGNATURE_LENGTH) throw invalidRequest(validationMessage('tokenSignature', `${signature.length} characters`, `Member must have length less than or equal to ${MAX_SIGNATURE_LENGTH}`));
    if ((token === undefined) !== (signature === undefined)) throw invalidRequest('Request must provide both token and tokenSignature together.');
    if (token !== undefined && hasContext) throw invalidRequest('Request cannot have token and Http/Mqtt/Tls context.');
    if (token === undefined && !hasContext) throw invalidRequest('Request must have Http/Mqtt/Tls context.');
    if (token !== undefined && a.signingDisabled) throw invalidRequest('Token and token signature provided but signing is disabled for the authorizer.');

    let event: AuthorizerEvent;
    if (token !== undefined && signature !== undefined) {
      if (!verifyToken(token, signature, publicKeysOf(a)).valid) throw invalidRequest(`Token signature mismatch for authorizer ${name}`);
      event = { token, signatureVerified: true, protocols: [], protocolData: {}, connectionMetadata: { id: randomUUID() } };
      // Measured: with a token the event holds exactly token, signatureVerified and connectionMetadata.
      delete (event as Partial<AuthorizerEvent>).protocols;
      delete (event as Partial<AuthorizerEvent>).protocolData;
    } else {
      event = this.contextEvent(a, http, mqtt, tls);
    }

    const fn = findFunction(this.ctx.state, a.authorizerFunctionArn);
    if (!fn) throw new AwsApiError(400, 'InvalidResponseException', `Lambda function ${a.authorizerFunctionArn} not found`);
    const run = await runFunction(this.ctx, fn, event, Math.min(LAMBDA_TIMEOUT_MS, fn.Timeout * 1000));
    if ('loadError' in run) throw new AwsApiError(400, 'InvalidResponseException', `Lambda function encountered error in execution: ${run.loadError}: Runtime.ImportModuleError`);
    const result = run.result;
    if (!result.ok && result.error.code !== 'NO_RESPONSE') throw new AwsApiError(400, 'InvalidResponseException', handlerErrorMessage(result.error));
    const response = result.ok ? result.response : undefined;
    const validation = validateAuthorizerResponse(response);
    if (!validation.valid || !validation.normalized) throw new AwsApiError(400, 'InvalidResponseException', invalidResponseMessage(validation, response));
    const n = validation.normalized;
    sendJson(r.res, 200, {
      isAuthenticated: n.isAuthenticated,
      principalId: n.principalId,
      policyDocuments: n.policyDocuments.map((d) => (d.form === 'object' ? JSON.stringify(d.document) : d.text)),
      refreshAfterInSeconds: n.refreshAfterInSeconds ?? DEFAULT_REFRESH_SECONDS,
      disconnectAfterInSeconds: n.disconnectAfterInSeconds ?? DEFAULT_DISCONNECT_SECONDS,
    });
  }

  /** The event for a test-invoke with contexts: what each context holds, as given. */
  private contextEvent(a: AuthorizerRecord, http?: Record<string, unknown>, mqtt?: Record<string, unknown>, tls?: Record<string, unknown>): AuthorizerEvent {
    const protocolData: AuthorizerEvent['protocolData'] = {};
    const protocols: AuthorizerEvent['protocols'] = [];
    let headers: Record<string, string> = {};
    let queryString: string | undefined;
    if (tls) {
      protocols.push('tls');
      protocolData.tls = { serverName: typeof tls.serverName === 'string' ? tls.serverName : '' };
    }
    if (http) {
      protocols.push('http');
      const h = http.headers;
      if (h !== undefined && (typeof h !== 'object' || h === null || Array.isArray(h) || Object.values(h).some((v) => typeof v !== 'string'))) throw invalidRequest('Invalid arguments in the call');
      headers = (h as Record<string, string> | undefined) ?? {};
      if (http.queryString !== undefined) {
        if (typeof http.queryString !== 'string' || !http.queryString.startsWith('?')) throw invalidRequest('Invalid arguments in the call');
        queryString = http.queryString;
      }
      protocolData.http = { headers, ...(queryString !== undefined ? { queryString } : {}) };
    }
    let username: string | undefined;
    if (mqtt) {
      protocols.push('mqtt');
      const m: NonNullable<AuthorizerEvent['protocolData']['mqtt']> = {};
      if (typeof mqtt.username === 'string') m.username = username = mqtt.username;
      if (typeof mqtt.password === 'string') m.password = mqtt.password;
      if (typeof mqtt.clientId === 'string') m.clientId = mqtt.clientId;
      protocolData.mqtt = m;
    }
    let token: string | undefined;
    let verified = false;
    if (!a.signingDisabled) {
      const found = extractCredentials({ headers, queryString, mqttUsername: username }, a.tokenKeyName);
      if (found.token === undefined || found.signature === undefined) throw invalidRequest(`Token or token signature missing in the contexts for authorizer ${a.authorizerName}`);
      if (!verifyToken(found.token, found.signature, publicKeysOf(a)).valid) throw invalidRequest(`Token signature mismatch for authorizer ${a.authorizerName}`);
      token = found.token;
      verified = true;
    }
    return { ...(token !== undefined ? { token } : {}), signatureVerified: verified, protocols, protocolData, connectionMetadata: { id: randomUUID() } };
  }
}
