// From a device's request (a test event, core/testEvent.ts) to the event AWS IoT hands the
// authorizer Lambda (docs/aws-custom-auth.md: "The event"), and the check AWS makes before invoking it: with signing
// enabled, a missing or bad token signature means the Lambda is never called.
//
// Where AWS's documentation is silent, these are the readings this module takes:
// - protocols: see EVENT_PROTOCOLS.
// - Header names reach the handler lower-cased. The developer guide shows `"#{name}"` only.
//   HTTP names are case-insensitive (RFC 9110) and HTTP/2 clients and many proxies send them
//   lower-case, so a handler must not depend on their case: reading `headers['X-Token']` fails
//   here, before it fails in AWS with a client that lower-cases.
// - `host` (and for WebSocket the upgrade headers) are added when the file does not set them:
//   every client sends them, so AWS receives them.
// - `queryString`: over MQTT over WebSocket as measured against AWS (docs/aws-custom-auth.md,
//   "The event"): without the leading `?`, and `""` when the URL had none. Over HTTPS publish
//   (not measured) it keeps the leading `?` of AWS's example and is left out when the request
//   has none. Header and query values are passed exactly as sent (query values still URL-encoded).
// - `tls.serverName` is always present: custom authentication requires SNI (docs/aws-custom-auth.md: "What failures look like").
// - `mqtt` is present (possibly empty) for both MQTT protocols; its fields only when sent.
import { randomUUID } from 'crypto';
import {
  AUTHORIZER_NAME_PARAM,
  LOCAL_DEFAULT_REGION,
  MAX_TOKEN_LENGTH,
  MQTT_WEBSOCKET_SUBPROTOCOL,
  PLACEHOLDER_ENDPOINT_ID,
  SIGNATURE_PARAM,
  WEBSOCKET_VERSION,
} from './constants';
import {
  credentialsToHeaders,
  credentialsToMqttUsername,
  credentialsToQueryString,
  CredentialRequest,
  extractCredentials,
  parseMqttUsername,
  parseQueryParams,
} from './credentials';
import { readPrivateKey, readPublicKey } from './keyStore';
import type { AuthorizerConfig, AuthorizerProject } from './project';
import { DeviceRequest, SignableValue, TestProtocol } from './testEvent';
import type { SignatureFinding } from './signatureDiagnosis';
import { NamedPublicKey, signToken, verifyToken } from './tokens';

export type IotProtocolName = 'tls' | 'http' | 'mqtt';

/**
 * `protocols` per connection type. HTTPS publish and MQTT over TLS are documented (docs/aws-custom-auth.md: "The event").
 * MQTT over WebSocket is not spelled out: its connection starts with an HTTP upgrade request and
 * then sends an MQTT CONNECT, and AWS's own example event lists all three, so the event carries
 * tls, http (the upgrade request) and mqtt (the CONNECT) together. This table is the one place
 * that choice is made.
 */
export const EVENT_PROTOCOLS: Readonly<Record<TestProtocol, readonly IotProtocolName[]>> = {
  http: ['tls', 'http'],
  mqtt: ['tls', 'mqtt'],
  'mqtt-wss': ['tls', 'http', 'mqtt'],
};

/** The event AWS IoT Core passes to the authorizer Lambda (docs/aws-custom-auth.md: "The event"). */
export interface AuthorizerEvent {
  token?: string;
  signatureVerified: boolean;
  protocols: IotProtocolName[];
  protocolData: {
    tls?: { serverName: string };
    http?: { headers: Record<string, string>; queryString?: string };
    mqtt?: { username?: string; password?: string; clientId?: string };
  };
  connectionMetadata: { id: string };
}

/** `not-checked`: this run made no signature check (refused before it, or an MQTT operation on a connection whose CONNECT checked it). */
export type SignatureStatus = 'verified' | 'failed' | 'missing' | 'disabled' | 'not-checked';

export interface SignatureCheck {
  readonly status: SignatureStatus;
  /** The key that verified the signature. */
  readonly keyName?: string;
  /** Why the signature is missing or failed, in a sentence or two, with the fix. */
  readonly diagnosis?: string;
  /** tokens.ts findings behind the diagnosis, most likely cause first. */
  readonly findings?: readonly SignatureFinding[];
}

export interface EventProblem {
  readonly severity: 'error' | 'warning' | 'info';
  /** The event file field concerned, e.g. `credentials.signature`. */
  readonly field?: string;
  readonly message: string;
}

export interface AuthorizerGate {
  /** False when AWS would not invoke the Lambda: the runtime must not call the handler. */
  readonly invoke: boolean;
  readonly signature: SignatureCheck;
  readonly problems: readonly EventProblem[];
}

/** The request with credentials placed and signatures computed: what goes on the wire. */
export interface ResolvedDeviceRequest {
  readonly protocol: TestProtocol;
  readonly serverName: string;
  /** Headers as the device sends them (names as written, client-added ones included); HTTP protocols only. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Without the leading `?`, values URL-encoded; absent when the request has none. */
  readonly queryString?: string;
  readonly mqtt?: { readonly username?: string; readonly passwordBase64?: string; readonly clientId?: string };
}

export interface AuthorizerEventBuild {
  readonly event: AuthorizerEvent;
  readonly gate: AuthorizerGate;
  readonly request: ResolvedDeviceRequest;
}

/** Computes a signature for `{"sign": keyName}`: the token signed with that workspace key. */
export type TokenSigner = (keyName: string, token: string) => string | Promise<string>;

export interface BuildEventInput {
  readonly request: DeviceRequest;
  readonly authorizer: AuthorizerConfig;
  /** The authorizer's token signing public keys (see workspacePublicKeys). */
  readonly publicKeys: readonly NamedPublicKey[];
  /** Needed when the request holds `{"sign": ...}` placeholders (see workspaceSigner). */
  readonly sign?: TokenSigner;
  /** Fixed connection id for reproducible output; default a fresh UUID. */
  readonly connectionId?: string;
}

/** `<id>-ats.iot.<region>.amazonaws.com`, the SNI used when the event names none. */
export function placeholderServerName(config: AuthorizerConfig): string {
  return `${PLACEHOLDER_ENDPOINT_ID}-ats.iot.${config.aws.region ?? LOCAL_DEFAULT_REGION}.amazonaws.com`;
}

function usesHttp(protocol: TestProtocol): boolean {
  return EVENT_PROTOCOLS[protocol].includes('http');
}

function usesMqtt(protocol: TestProtocol): boolean {
  return EVENT_PROTOCOLS[protocol].includes('mqtt');
}

function hasHeader(headers: Readonly<Record<string, unknown>>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name.toLowerCase());
}

/** The request's credential fields with every `{"sign"}` left out: what the token is read from. */
function plainValues(values: Readonly<Record<string, SignableValue>>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function unsignedParts(
  protocol: TestProtocol,
  headers: Readonly<Record<string, SignableValue>>,
  query: string | undefined,
  username: string | undefined,
): CredentialRequest {
  return {
    headers: usesHttp(protocol) ? plainValues(headers) : undefined,
    queryString: usesHttp(protocol) ? query : undefined,
    mqttUsername: usesMqtt(protocol) ? username : undefined,
  };
}

function encodeQuery(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

function joinQuery(a: string | undefined, b: string | undefined): string | undefined {
  const parts = [a, b].map((q) => (q ?? '').replace(/^\?/, '')).filter((q) => q !== '');
  return parts.length ? parts.join('&') : undefined;
}

/**
 * Places structured credentials with the encoders of credentials.ts and computes every
 * `{"sign": key}`. A signature that cannot be computed is left out, with a problem saying why.
 */
export async function resolveDeviceRequest(
  request: DeviceRequest,
  config: AuthorizerConfig,
  sign: TokenSigner | undefined,
  problems: EventProblem[] = [],
): Promise<ResolvedDeviceRequest> {
  const cache = new Map<string, Promise<string | undefined>>();
  const signature = (value: SignableValue | undefined, token: string | undefined, field: string): Promise<string | undefined> => {
    if (value === undefined || typeof value === 'string') return Promise.resolve(value);
    if (token === undefined) {
      problems.push({ severity: 'error', field, message: `Cannot compute {"sign": "${value.sign}"}: the request carries no token${config.tokenKeyName ? ` ("${config.tokenKeyName}")` : ''} to sign.` });
      return Promise.resolve(undefined);
    }
    if (!sign) {
      problems.push({ severity: 'error', field, message: `Cannot compute {"sign": "${value.sign}"}: no signer was given.` });
      return Promise.resolve(undefined);
    }
    const key = `${value.sign}\u0000${token}`;
    if (!cache.has(key)) {
      cache.set(
        key,
        Promise.resolve()
          .then(() => sign(value.sign, token))
          .catch((e: unknown) => {
            problems.push({ severity: 'error', field, message: `Cannot sign with key "${value.sign}": ${e instanceof Error ? e.message : String(e)}` });
            return undefined;
          }),
      );
    }
    return cache.get(key) as Promise<string | undefined>;
  };

  const protocol = request.protocol;
  const headers: Record<string, SignableValue> = { ...request.headers };
  let rawQuery = typeof request.queryString === 'string' ? request.queryString.replace(/^\?/, '') : undefined;
  const queryParams: Record<string, SignableValue> = typeof request.queryString === 'object' ? { ...request.queryString } : {};
  let username = request.mqtt?.username;

  const c = request.credentials;
  if (c) {
    if (!config.tokenKeyName) {
      problems.push({ severity: 'error', field: 'credentials', message: `Authorizer "${config.name}" has no tokenKeyName, so "credentials" cannot say where the token goes. Set tokenKeyName in iot-authorizer.json or write the headers / username by hand.` });
    } else {
      const sig = await signature(c.signature, c.token, 'credentials.signature');
      const placed = { authorizerName: c.authorizerName, tokenKeyName: config.tokenKeyName, token: c.token, signature: sig };
      if (c.in === 'headers') {
        for (const [name, value] of Object.entries(credentialsToHeaders(placed))) {
          if (hasHeader(headers, name)) problems.push({ severity: 'error', field: `headers.${name}`, message: `Header "${name}" is set both in "headers" and by "credentials"; remove one.` });
          else headers[name] = value;
        }
      } else if (c.in === 'query') {
        rawQuery = joinQuery(rawQuery, credentialsToQueryString(placed));
      } else {
        username = credentialsToMqttUsername(placed, username ?? '');
      }
    }
  }

  // The token that `{"sign"}` placeholders sign: found where AWS would look for it.
  const queryForToken = joinQuery(rawQuery, encodeQuery(plainValues(queryParams)));
  const token = config.tokenKeyName ? extractCredentials(unsignedParts(protocol, headers, queryForToken, username), config.tokenKeyName).token : undefined;

  const resolvedHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const v = await signature(value, token, `headers.${name}`);
    if (v !== undefined) resolvedHeaders[name] = v;
  }
  const resolvedParams: Record<string, string> = {};
  for (const [name, value] of Object.entries(queryParams)) {
    const v = await signature(value, token, `queryString.${name}`);
    if (v !== undefined) resolvedParams[name] = v;
  }
  const queryString = joinQuery(rawQuery, encodeQuery(resolvedParams));
  const serverName = request.serverName ?? placeholderServerName(config);

  if (usesHttp(protocol)) {
    // What every client sends whether or not the test event lists it.
    const implicit: Record<string, string> = { host: serverName };
    if (protocol === 'mqtt-wss') {
      Object.assign(implicit, {
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-version': WEBSOCKET_VERSION,
        'sec-websocket-key': Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64'),
        'sec-websocket-protocol': MQTT_WEBSOCKET_SUBPROTOCOL,
      });
    }
    for (const [name, value] of Object.entries(implicit)) if (!hasHeader(resolvedHeaders, name)) resolvedHeaders[name] = value;
  }
  const mqtt = usesMqtt(protocol)
    ? { username, passwordBase64: request.mqtt?.passwordBase64, clientId: request.mqtt?.clientId }
    : undefined;
  return {
    protocol,
    serverName,
    headers: usesHttp(protocol) ? resolvedHeaders : undefined,
    queryString: usesHttp(protocol) ? queryString : undefined,
    mqtt,
  };
}

function credentialParts(r: ResolvedDeviceRequest): CredentialRequest {
  return { headers: r.headers, queryString: r.queryString, mqttUsername: r.mqtt?.username };
}

function whereTokensGo(protocol: TestProtocol, tokenKeyName: string): string {
  if (protocol === 'http') return `a "${tokenKeyName}" header or query parameter`;
  if (protocol === 'mqtt') return `a "${tokenKeyName}=..." parameter in the MQTT username (username?${tokenKeyName}=...)`;
  return `a "${tokenKeyName}" header, query parameter on the /mqtt URL, or MQTT username parameter`;
}

/** Names that differ only in case: query and username parameter names are case-sensitive. */
function nearMiss(r: ResolvedDeviceRequest, name: string): string | undefined {
  const names = [
    ...(r.queryString ? parseQueryParams(r.queryString).map(([k]) => k) : []),
    ...(r.mqtt?.username ? parseMqttUsername(r.mqtt.username).params.map(([k]) => k) : []),
  ];
  return names.find((k) => k !== name && k.toLowerCase() === name.toLowerCase());
}

function checkSignature(
  config: AuthorizerConfig,
  r: ResolvedDeviceRequest,
  token: string | undefined,
  signature: string | undefined,
  publicKeys: readonly NamedPublicKey[],
): SignatureCheck {
  if (config.signingDisabled) return { status: 'disabled' };
  if (!config.tokenKeyName) {
    return { status: 'missing', diagnosis: `Signing is enabled for "${config.name}" but it has no tokenKeyName, so AWS cannot find a token. Set tokenKeyName in iot-authorizer.json.` };
  }
  if (token === undefined) {
    const miss = nearMiss(r, config.tokenKeyName);
    return {
      status: 'missing',
      diagnosis: `No token: the request has no ${whereTokensGo(r.protocol, config.tokenKeyName)}.${miss ? ` It has "${miss}": query and username parameter names are case-sensitive.` : ''} With signing enabled AWS refuses the request without invoking the authorizer.`,
    };
  }
  if (signature === undefined) {
    const miss = nearMiss(r, SIGNATURE_PARAM);
    return {
      status: 'missing',
      diagnosis: `No signature: the request has no ${SIGNATURE_PARAM} next to its token.${miss ? ` It has "${miss}": parameter names are case-sensitive.` : ''} Add one, e.g. {"sign": "${config.signingKeys[0] ?? 'keyName'}"} in the test event, or set signingDisabled if the authorizer does not use signed tokens.`,
    };
  }
  if (publicKeys.length === 0) {
    return {
      status: 'failed',
      diagnosis: `No public key to verify with: "${config.name}" names ${config.signingKeys.length ? config.signingKeys.map((k) => `"${k}"`).join(', ') : 'no signingKeys'} but none was found in the key store. Generate or import the key pair.`,
    };
  }
  const result = verifyToken(token, signature, publicKeys);
  if (result.valid) return { status: 'verified', keyName: result.keyName };
  const first = result.findings[0];
  return {
    status: 'failed',
    keyName: result.keyName,
    diagnosis: first ? `${first.message} ${first.fix}` : 'The signature does not verify with any of the authorizer\'s public keys.',
    findings: result.findings,
  };
}

/**
 * Builds the event AWS would pass the authorizer for `request`, and whether AWS would invoke
 * it at all. Signatures are really verified with the authorizer's public keys.
 */
export async function buildAuthorizerEvent(input: BuildEventInput): Promise<AuthorizerEventBuild> {
  const { authorizer: config, publicKeys } = input;
  const problems: EventProblem[] = [];
  const r = await resolveDeviceRequest(input.request, config, input.sign, problems);
  const found = extractCredentials(credentialParts(r), config.tokenKeyName);

  if (found.authorizerName !== undefined && found.authorizerName !== config.name) {
    problems.push({ severity: 'warning', message: `The request names authorizer "${found.authorizerName}" (${AUTHORIZER_NAME_PARAM}) but the event was built for "${config.name}"; AWS would invoke "${found.authorizerName}".` });
  }
  if (r.headers && Object.keys(r.headers).some((k) => k !== k.toLowerCase())) {
    problems.push({ severity: 'info', field: 'headers', message: 'Header names reach the authorizer lower-cased here (AWS does not document their case): read them case-insensitively in the handler.' });
  }
  if (found.token !== undefined && found.token.length > MAX_TOKEN_LENGTH && config.signingDisabled) {
    problems.push({ severity: 'warning', message: `The token is ${found.token.length} characters; AWS accepts at most ${MAX_TOKEN_LENGTH}.` });
  }

  const signature = checkSignature(config, r, found.token, found.signature, publicKeys);
  let invoke = signature.status === 'verified' || signature.status === 'disabled';
  if (config.status === 'INACTIVE') {
    invoke = false;
    problems.push({ severity: 'error', message: `Authorizer "${config.name}" is INACTIVE: AWS does not invoke it. Set "status": "ACTIVE".` });
  }

  const protocolData: AuthorizerEvent['protocolData'] = { tls: { serverName: r.serverName } };
  if (r.headers) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(r.headers)) headers[name.toLowerCase()] = value;
    protocolData.http = r.protocol === 'mqtt-wss'
      ? { headers, queryString: r.queryString ?? '' }
      : r.queryString ? { headers, queryString: `?${r.queryString}` } : { headers };
  }
  if (r.mqtt) {
    const mqtt: NonNullable<AuthorizerEvent['protocolData']['mqtt']> = {};
    if (r.mqtt.username !== undefined) mqtt.username = r.mqtt.username;
    if (r.mqtt.passwordBase64 !== undefined) mqtt.password = r.mqtt.passwordBase64;
    if (r.mqtt.clientId !== undefined) mqtt.clientId = r.mqtt.clientId;
    protocolData.mqtt = mqtt;
  }
  const event: AuthorizerEvent = {
    ...(found.token !== undefined ? { token: found.token } : {}),
    signatureVerified: signature.status === 'verified',
    protocols: [...EVENT_PROTOCOLS[r.protocol]],
    protocolData,
    connectionMetadata: { id: input.connectionId ?? randomUUID() },
  };
  return { event, gate: { invoke, signature, problems }, request: r };
}

/** The authorizer a request goes to, as AWS picks it: the name it sends, else the default. */
export function authorizerForRequest(project: AuthorizerProject, request: DeviceRequest): { authorizer?: AuthorizerConfig; problems: EventProblem[] } {
  const problems: EventProblem[] = [];
  const query = typeof request.queryString === 'string' ? request.queryString : encodeQuery(plainValues(request.queryString ?? {}));
  const sent =
    request.credentials?.authorizerName ??
    extractCredentials(unsignedParts(request.protocol, request.headers, query, request.mqtt?.username), undefined).authorizerName;
  if (sent !== undefined && request.authorizer !== undefined && sent !== request.authorizer) {
    problems.push({ severity: 'warning', field: 'authorizer', message: `"authorizer" says "${request.authorizer}" but the request sends ${AUTHORIZER_NAME_PARAM}=${sent}; AWS uses "${sent}".` });
  }
  if (sent === undefined && request.authorizer !== undefined && request.authorizer !== project.defaultAuthorizer) {
    problems.push({
      severity: 'warning',
      field: 'authorizer',
      message: `The request sends no ${AUTHORIZER_NAME_PARAM}, so AWS would use the default authorizer${project.defaultAuthorizer ? ` ("${project.defaultAuthorizer}")` : ''}, not "${request.authorizer}". Send the name (e.g. with "credentials").`,
    });
  }
  const name = sent ?? request.authorizer ?? project.defaultAuthorizer;
  if (name === undefined) {
    problems.push({ severity: 'error', field: 'authorizer', message: `The request names no authorizer and the project has no default: set "authorizer" in the event or "defaultAuthorizer" in iot-authorizer.json.` });
    return { problems };
  }
  const authorizer = project.authorizers.find((a) => a.name === name);
  if (!authorizer) {
    problems.push({ severity: 'error', field: 'authorizer', message: `No authorizer named "${name}" in iot-authorizer.json (known: ${project.authorizers.map((a) => a.name).join(', ') || 'none'}).` });
  }
  return { authorizer, problems };
}

/** The authorizer's public keys from the workspace key store; a missing one is a problem, not an error. */
export async function workspacePublicKeys(workspaceRoot: string, config: AuthorizerConfig): Promise<{ keys: NamedPublicKey[]; problems: EventProblem[] }> {
  const keys: NamedPublicKey[] = [];
  const problems: EventProblem[] = [];
  for (const name of config.signingKeys) {
    try {
      keys.push({ name, pem: (await readPublicKey(workspaceRoot, name)).keyObject });
    } catch (e) {
      problems.push({ severity: 'warning', message: e instanceof Error ? e.message : String(e) });
    }
  }
  return { keys, problems };
}

/** Signs with the private keys of the workspace key store (`.iot-authz/keys/<name>/private_key.pem`). */
export function workspaceSigner(workspaceRoot: string, options: { passphrase?: (keyName: string) => string | undefined } = {}): TokenSigner {
  return async (keyName, token) => {
    const key = await readPrivateKey(workspaceRoot, keyName, { passphrase: options.passphrase?.(keyName) });
    return signToken(token, key.keyObject);
  };
}
