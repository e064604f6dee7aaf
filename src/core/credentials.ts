// Where a device puts its custom-auth credentials (docs/aws-custom-auth.md: "Credentials on the wire", "What real clients send") and how they are read back.
// The encoders build what a device sends; `extractCredentials` is the one parser the local
// runtime and the local endpoint use, so the two must round-trip.
//
// Decoding choice, applied to query strings and MQTT usernames alike: a value is decoded the
// application/x-www-form-urlencoded way, `+` becomes a space and then %XX is decoded, once.
// That is why an unencoded signature's `+` arrives as a space: the failure `diagnoseSignature`
// names. A malformed %-sequence is kept as written rather than rejected.
import { AUTHORIZER_NAME_PARAM, ENDPOINT_LOCAL_PATH_PREFIX, SIGNATURE_PARAM } from './constants';
import { UserError } from './errors';

export interface SignedCredentials {
  /** Omitted: AWS uses the account's default authorizer. */
  readonly authorizerName?: string;
  /** The authorizer's `tokenKeyName`: the header or parameter carrying the token. */
  readonly tokenKeyName: string;
  readonly token: string;
  /** Standard base64; omitted when the authorizer has signing disabled. */
  readonly signature?: string;
}

export type CredentialSource = 'headers' | 'query' | 'mqtt-username';

export interface ExtractedCredentials {
  authorizerName?: string;
  token?: string;
  signature?: string;
  /** Where the token was found (or the first field found, when there is no token). */
  source?: CredentialSource;
}

export interface CredentialRequest {
  readonly headers?: Readonly<Record<string, string>>;
  /** With or without the leading `?`. */
  readonly queryString?: string;
  readonly mqttUsername?: string;
}

/** The WebSocket path AWS IoT serves MQTT on (docs/aws-custom-auth.md: "Credentials on the wire"). */
export const MQTT_WEBSOCKET_PATH = '/mqtt';

/**
 * What is wrong with a path given for the local endpoint's MQTT over WebSocket listener
 * (`--ws-path`), or undefined when it can serve: an absolute URL path of plain path characters,
 * outside the endpoint's own API (ENDPOINT_LOCAL_PATH_PREFIX).
 */
export function webSocketPathProblem(p: string): string | undefined {
  if (!p.startsWith('/')) return `"${p}" does not start with "/": give a URL path such as ${MQTT_WEBSOCKET_PATH}.`;
  if (p.length > 256) return `the path is ${p.length} characters long: give at most 256.`;
  const bad = /[^A-Za-z0-9\-._~/%!$&'()*+,;=:@]/.exec(p);
  if (bad) return `"${p}" holds ${JSON.stringify(bad[0])}, which a URL path cannot carry as is (no query string, fragment or spaces): give a path such as ${MQTT_WEBSOCKET_PATH}.`;
  if (p === ENDPOINT_LOCAL_PATH_PREFIX || p.startsWith(`${ENDPOINT_LOCAL_PATH_PREFIX}/`)) {
    return `"${p}" is inside the endpoint's own API (${ENDPOINT_LOCAL_PATH_PREFIX}/): give another path such as ${MQTT_WEBSOCKET_PATH}.`;
  }
  return undefined;
}

function orderedParams(c: SignedCredentials): Array<[string, string]> {
  const params: Array<[string, string]> = [];
  if (c.authorizerName !== undefined) params.push([AUTHORIZER_NAME_PARAM, c.authorizerName]);
  params.push([c.tokenKeyName, c.token]);
  if (c.signature !== undefined) params.push([SIGNATURE_PARAM, c.signature]);
  return params;
}

/**
 * A signature that already holds `%` was URL-encoded by its author; like the device SDKs
 * (docs/aws-custom-auth.md: "What real clients send") we pass it unchanged instead of double-encoding it to `%25…`.
 */
function encodeSignature(signature: string): string {
  return signature.includes('%') ? signature : encodeURIComponent(signature);
}

function encodeParams(c: SignedCredentials): string {
  return orderedParams(c)
    .map(([k, v]) => `${encodeURIComponent(k)}=${k === SIGNATURE_PARAM ? encodeSignature(v) : encodeURIComponent(v)}`)
    .join('&');
}

/** HTTPS / WebSocket upgrade headers. Values are raw: headers are not URL-decoded. */
export function credentialsToHeaders(c: SignedCredentials): Record<string, string> {
  return Object.fromEntries(orderedParams(c));
}

/** `x-amz-customauthorizer-name=N&<key>=T&x-amz-customauthorizer-signature=S`, values encoded, no `?`. */
export function credentialsToQueryString(c: SignedCredentials): string {
  return encodeParams(c);
}

/**
 * `<base>?x-amz-customauthorizer-name=N&<key>=T&x-amz-customauthorizer-signature=S`. Every
 * value is URL-encoded (the SDKs leave the token raw, which breaks tokens holding `&`, `+` or
 * `%`). A base that already holds `?` gets the parameters appended with `&`, as the SDKs do.
 */
export function credentialsToMqttUsername(c: SignedCredentials, baseUsername = ''): string {
  return `${baseUsername}${baseUsername.includes('?') ? '&' : '?'}${encodeParams(c)}`;
}

/** `wss://<host><path>?<query string>`; `host` may carry a port, not a scheme. */
export function credentialsToWebSocketUrl(host: string, c: SignedCredentials, path: string = MQTT_WEBSOCKET_PATH): string {
  const bareHost = host.replace(/^wss?:\/\//i, '').replace(/\/+$/, '');
  const absolutePath = path.startsWith('/') ? path : `/${path}`;
  return `wss://${bareHost}${absolutePath}?${credentialsToQueryString(c)}`;
}

function decodeFormComponent(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  // Decode each run of %XX on its own, so a stray `%` (e.g. `100%`) stays literal instead of
  // failing the whole parse: the diagnosis can then show the user what arrived.
  return spaced.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/**
 * Splits a query string into decoded [name, value] pairs, in order, duplicates kept.
 * Accepts a leading `?`; `a` without `=` gives `['a', '']`; empty segments are skipped.
 */
export function parseQueryParams(query: string): Array<[string, string]> {
  const body = query.startsWith('?') ? query.slice(1) : query;
  const pairs: Array<[string, string]> = [];
  for (const segment of body.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    const name = eq < 0 ? segment : segment.slice(0, eq);
    const value = eq < 0 ? '' : segment.slice(eq + 1);
    pairs.push([decodeFormComponent(name), decodeFormComponent(value)]);
  }
  return pairs;
}

/** `user?a=b&c=d` → base `user`, params [[a,b],[c,d]]; the base is everything before the first `?`. */
export function parseMqttUsername(username: string): { base: string; params: Array<[string, string]> } {
  const q = username.indexOf('?');
  if (q < 0) return { base: username, params: [] };
  return { base: username.slice(0, q), params: parseQueryParams(username.slice(q + 1)) };
}

/** First value of `name`; a repeated parameter keeps its first occurrence. */
function firstParam(params: ReadonlyArray<[string, string]>, name: string): string | undefined {
  return params.find(([k]) => k === name)?.[1];
}

interface Lookup {
  readonly source: CredentialSource;
  readonly get: (name: string) => string | undefined;
}

/**
 * Reads the authorizer name, token and signature from a request, field by field: headers
 * first (names case-insensitive), then the query string, then the MQTT username's parameters
 * (names case-sensitive, values decoded once). Without `tokenKeyName` no token is found.
 */
export function extractCredentials(req: CredentialRequest, tokenKeyName: string | undefined): ExtractedCredentials {
  return credentialReader(req)(tokenKeyName);
}

/**
 * `extractCredentials` with the request parsed once: the endpoint reads the authorizer name
 * first and the token after, once it knows the authorizer's `tokenKeyName`.
 */
export function credentialReader(req: CredentialRequest): (tokenKeyName: string | undefined) => ExtractedCredentials {
  const lookups: Lookup[] = [];
  if (req.headers) {
    const lower = new Map(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
    lookups.push({ source: 'headers', get: (name) => lower.get(name.toLowerCase()) });
  }
  if (req.queryString) {
    const params = parseQueryParams(req.queryString);
    lookups.push({ source: 'query', get: (name) => firstParam(params, name) });
  }
  if (req.mqttUsername) {
    const { params } = parseMqttUsername(req.mqttUsername);
    lookups.push({ source: 'mqtt-username', get: (name) => firstParam(params, name) });
  }
  const find = (name: string | undefined): { value: string; source: CredentialSource } | undefined => {
    if (name === undefined) return undefined;
    for (const l of lookups) {
      const value = l.get(name);
      if (value !== undefined) return { value, source: l.source };
    }
    return undefined;
  };
  const name = find(AUTHORIZER_NAME_PARAM);
  const signature = find(SIGNATURE_PARAM);
  return (tokenKeyName) => {
    const token = find(tokenKeyName);
    const result: ExtractedCredentials = {};
    if (name) result.authorizerName = name.value;
    if (token) result.token = token.value;
    if (signature) result.signature = signature.value;
    const source = (token ?? name ?? signature)?.source;
    if (source) result.source = source;
    return result;
  };
}

/** The forms signed credentials are copied or printed in (the editor's "Copy Signed Credentials As…", `iot-authz sign --format`). */
export type CredentialFormat = 'headers' | 'query' | 'mqtt-username' | 'websocket-url';
export const CREDENTIAL_FORMATS: readonly CredentialFormat[] = ['headers', 'query', 'mqtt-username', 'websocket-url'];

/** The credentials as text in `format`: header lines, a query string, an MQTT username or a wss:// URL. */
export function formatCredentials(c: SignedCredentials, format: CredentialFormat, options: { host: string; username?: string }): string {
  switch (format) {
    case 'headers':
      if (/[\r\n]/.test(c.token)) throw new UserError('The token holds a line break, which cannot travel in an HTTP header; use the query string or MQTT username, or remove it.', 'TOKEN_LINE_BREAK');
      return Object.entries(credentialsToHeaders(c))
        .map(([name, value]) => `${name}: ${value}`)
        .join('\n');
    case 'query':
      return credentialsToQueryString(c);
    case 'mqtt-username':
      return credentialsToMqttUsername(c, options.username ?? '');
    case 'websocket-url':
      return credentialsToWebSocketUrl(options.host, c);
  }
}
