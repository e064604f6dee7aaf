// Test event files, `*.authz.json`: one request as the device sends it (HTTPS publish, MQTT over
// TLS, or MQTT over WebSocket), not the event AWS builds from it (core/events.ts does that).
// A signature can be written as `{"sign": "<keyName>"}` and is computed at run time with the
// workspace key, so event files never go stale when keys rotate. Errors point at the line,
// column and JSON path of the field at fault, like the project file's.
import { readOperations, readSourceIp } from './eventOperations';
import type { AuthorizationRequest } from './policy';
import * as fs from 'fs';
import * as path from 'path';
import { findNodeAtLocation, Node as JsonNode } from 'jsonc-parser';
import { readEditedFile } from './jsonFile';
import { parseJsonText } from './jsonText';
import { AUTHORIZER_NAME_PATTERN, SIGNING_KEY_NAME_PATTERN, TEST_EVENT_SUFFIX } from './constants';
import type { CredentialSource } from './credentials';
import type { JsonIssue } from './jsonText';

export type TestProtocol = 'http' | 'mqtt' | 'mqtt-wss';
export const TEST_PROTOCOLS: readonly TestProtocol[] = ['http', 'mqtt', 'mqtt-wss'];

/** How each protocol is named to people: in pickers (`label`, `detail`), in the panel and generated events (`long`), in event file names (`baseName`). */
export const PROTOCOL_LABELS: Readonly<Record<TestProtocol, { label: string; long: string; detail: string; baseName: string }>> = {
  http: { label: 'HTTPS publish', long: 'HTTPS publish', detail: 'POST /topics/<topic> on port 443; token and signature in headers', baseName: 'http-publish' },
  mqtt: {
    label: 'MQTT over TLS',
    long: 'MQTT over TLS (port 443, ALPN mqtt)',
    detail: 'Port 443 with ALPN mqtt; token and signature in the MQTT username',
    baseName: 'mqtt-connect',
  },
  'mqtt-wss': {
    label: 'MQTT over WebSocket',
    long: 'MQTT over WebSocket',
    detail: 'wss://<endpoint>/mqtt; token and signature on the URL (browsers cannot set headers)',
    baseName: 'mqtt-wss-connect',
  },
};

/** Where structured credentials may go, per protocol: MQTT over TLS has no HTTP request. */
export const CREDENTIAL_PLACES: Readonly<Record<TestProtocol, readonly CredentialSource[]>> = {
  http: ['headers', 'query'],
  mqtt: ['mqtt-username'],
  'mqtt-wss': ['headers', 'query', 'mqtt-username'],
};

/** Where `credentials` go when the file does not say: what devices usually do. */
const DEFAULT_CREDENTIAL_PLACE: Readonly<Record<TestProtocol, CredentialSource>> = {
  http: 'headers',
  mqtt: 'mqtt-username',
  // Browsers cannot set WebSocket headers, so browser clients use the URL's query string.
  'mqtt-wss': 'query',
};

/** A signature to compute when the event runs: the token signed with this workspace key. */
export interface SignPlaceholder {
  readonly sign: string;
}

export type SignableValue = string | SignPlaceholder;

export function isSignPlaceholder(value: unknown): value is SignPlaceholder {
  return typeof value === 'object' && value !== null && typeof (value as SignPlaceholder).sign === 'string';
}

/** `credentials`: the token (and signature) the device sends, placed by the encoders of credentials.ts. */
export interface DeviceCredentials {
  readonly token: string;
  readonly signature?: SignableValue;
  readonly in: CredentialSource;
  /** Sent as x-amz-customauthorizer-name; defaults to the event's `authorizer`. */
  readonly authorizerName?: string;
}

export interface MqttConnectData {
  /** The CONNECT user name as sent, `?key=value` parameters included. */
  readonly username?: string;
  /** The password as plain text, when it was given that way. */
  readonly password?: string;
  /** The password's bytes, base64: what the Lambda receives. Set whenever a password is. */
  readonly passwordBase64?: string;
  readonly clientId?: string;
}

/** A test event file's content: the request as the device sends it. */
export interface DeviceRequest {
  readonly description?: string;
  /** The authorizer this request is for; absent means the account's default authorizer. */
  readonly authorizer?: string;
  readonly protocol: TestProtocol;
  /** TLS SNI, the endpoint the device connects to. */
  readonly serverName?: string;
  /** HTTPS request or WebSocket upgrade headers, names as written. */
  readonly headers: Readonly<Record<string, SignableValue>>;
  /** Raw (`?a=b&c=d`, as sent, values URL-encoded) or an object of decoded values to encode. */
  readonly queryString?: string | Readonly<Record<string, SignableValue>>;
  readonly mqtt?: MqttConnectData;
  readonly credentials?: DeviceCredentials;
  /** Operations to check against the returned policies, shown like what-if rows. */
  readonly operations?: readonly AuthorizationRequest[];
  /** The device's address, for aws:SourceIp. */
  readonly sourceIp?: string;
}

export type TestEventIssue = JsonIssue;

export interface TestEventParseResult {
  readonly request?: DeviceRequest;
  readonly issues: readonly TestEventIssue[];
}

/** The fields of a test event file, and of its `mqtt` and `credentials` objects. */
export const TEST_EVENT_FIELDS = [
  '$schema',
  'description',
  'authorizer',
  'protocol',
  'serverName',
  'headers',
  'queryString',
  'mqtt',
  'credentials',
  'operations',
  'sourceIp',
] as const;
export const MQTT_FIELDS = ['username', 'password', 'passwordBase64', 'clientId'] as const;
export const CREDENTIAL_FIELDS = ['token', 'signature', 'in', 'authorizerName'] as const;
/** RFC 9110 token characters: what an HTTP header name may hold. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function keyOf(prop: JsonNode): string {
  return prop.children?.[0]?.value as string;
}

/** Parses and checks a test event's text. `file` is only used in messages. */
export function parseTestEvent(text: string, file = 'event.authz.json'): TestEventParseResult {
  const { root, issues, report: at } = parseJsonText(text);
  if (!root) return { issues };
  if (root.type !== 'object') {
    at(root, '', `${path.basename(file)} must hold a JSON object like {"protocol": "mqtt", "credentials": {...}}.`);
    return { issues };
  }
  const warnUnknown = (node: JsonNode, prefix: string, known: readonly string[]) => {
    for (const prop of node.children ?? []) {
      const key = keyOf(prop);
      if (!known.includes(key)) at(prop, `${prefix}${key}`, `Unknown field "${key}"; known fields: ${known.join(', ')}.`, 'warning');
    }
  };
  const str = (parent: JsonNode, key: string, jsonPath: string): string | undefined => {
    const n = findNodeAtLocation(parent, [key]);
    if (n === undefined) return undefined;
    if (n.type !== 'string') {
      at(n, jsonPath, `"${key}" must be a string.`);
      return undefined;
    }
    return n.value as string;
  };
  const signable = (n: JsonNode, jsonPath: string): SignableValue | undefined => {
    if (n.type === 'string') return n.value as string;
    if (n.type === 'object') {
      const keyNode = findNodeAtLocation(n, ['sign']);
      const extra = (n.children ?? []).map(keyOf).filter((k) => k !== 'sign');
      if (keyNode?.type === 'string' && SIGNING_KEY_NAME_PATTERN.test(keyNode.value as string) && extra.length === 0) {
        return { sign: keyNode.value as string };
      }
      at(n, jsonPath, 'A computed signature is written {"sign": "<keyName>"}, with the name of a key in .iot-authz/keys/ (letters, digits, :, _ or -).');
      return undefined;
    }
    at(n, jsonPath, 'Expected a string, or {"sign": "<keyName>"} for a signature computed when the event runs.');
    return undefined;
  };
  warnUnknown(root, '', TEST_EVENT_FIELDS);
  const before = issues.filter((i) => i.severity === 'error').length;

  const protocolNode = findNodeAtLocation(root, ['protocol']);
  const protocol = str(root, 'protocol', 'protocol');
  if (protocolNode === undefined) at(root, 'protocol', `Missing "protocol": one of ${TEST_PROTOCOLS.map((p) => `"${p}"`).join(', ')}.`);
  else if (protocol !== undefined && !TEST_PROTOCOLS.includes(protocol as TestProtocol)) {
    at(
      protocolNode,
      'protocol',
      `Unknown protocol "${protocol}": use "http" (HTTPS publish), "mqtt" (MQTT over TLS, port 443 with ALPN mqtt) or "mqtt-wss" (MQTT over WebSocket).`,
    );
  }
  const proto = TEST_PROTOCOLS.includes(protocol as TestProtocol) ? (protocol as TestProtocol) : undefined;

  const description = str(root, 'description', 'description');
  const authorizer = str(root, 'authorizer', 'authorizer');
  if (authorizer !== undefined && !AUTHORIZER_NAME_PATTERN.test(authorizer)) {
    at(findNodeAtLocation(root, ['authorizer']), 'authorizer', `"${authorizer}" is not a valid authorizer name (letters, digits, _ = , @ -).`);
  }
  const serverName = str(root, 'serverName', 'serverName');

  const headers: Record<string, SignableValue> = {};
  const headersNode = findNodeAtLocation(root, ['headers']);
  if (headersNode !== undefined) {
    if (headersNode.type !== 'object') at(headersNode, 'headers', '"headers" must be an object of header name to value.');
    else {
      const seen = new Map<string, string>();
      for (const prop of headersNode.children ?? []) {
        const name = keyOf(prop);
        const p = `headers.${name}`;
        if (!HEADER_NAME.test(name)) at(prop, p, `"${name}" is not a valid HTTP header name.`);
        const lower = name.toLowerCase();
        if (seen.has(lower)) at(prop, p, `Header "${name}" is given twice ("${seen.get(lower)}"): header names are case-insensitive.`);
        seen.set(lower, name);
        const value = prop.children?.[1] ? signable(prop.children[1], p) : undefined;
        if (value !== undefined) headers[name] = value;
      }
      if (proto === 'mqtt' && seen.size > 0) {
        at(headersNode, 'headers', 'MQTT over TLS has no HTTP request, so "headers" are not sent. Use "mqtt-wss" for MQTT over WebSocket.', 'warning');
      }
    }
  }

  let queryString: string | Record<string, SignableValue> | undefined;
  const queryNode = findNodeAtLocation(root, ['queryString']);
  if (queryNode !== undefined) {
    if (queryNode.type === 'string') queryString = queryNode.value as string;
    else if (queryNode.type === 'object') {
      const params: Record<string, SignableValue> = {};
      for (const prop of queryNode.children ?? []) {
        const value = prop.children?.[1] ? signable(prop.children[1], `queryString.${keyOf(prop)}`) : undefined;
        if (value !== undefined) params[keyOf(prop)] = value;
      }
      queryString = params;
    } else at(queryNode, 'queryString', '"queryString" is the raw query as sent ("?a=b&c=d") or an object of parameter values to URL-encode.');
    if (proto === 'mqtt')
      at(queryNode, 'queryString', 'MQTT over TLS has no URL, so "queryString" is not sent. Use "mqtt-wss" for MQTT over WebSocket.', 'warning');
  }

  let mqtt: MqttConnectData | undefined;
  const mqttNode = findNodeAtLocation(root, ['mqtt']);
  if (mqttNode !== undefined) {
    if (mqttNode.type !== 'object') at(mqttNode, 'mqtt', '"mqtt" must be an object: {"clientId", "username", "password"}.');
    else {
      warnUnknown(mqttNode, 'mqtt.', MQTT_FIELDS);
      const username = str(mqttNode, 'username', 'mqtt.username');
      const password = str(mqttNode, 'password', 'mqtt.password');
      let passwordBase64 = str(mqttNode, 'passwordBase64', 'mqtt.passwordBase64');
      const clientId = str(mqttNode, 'clientId', 'mqtt.clientId');
      if (password !== undefined && passwordBase64 !== undefined) {
        at(findNodeAtLocation(mqttNode, ['passwordBase64']), 'mqtt.passwordBase64', 'Give "password" (plain text) or "passwordBase64" (binary), not both.');
      } else if (passwordBase64 !== undefined && !STRICT_BASE64.test(passwordBase64)) {
        at(
          findNodeAtLocation(mqttNode, ['passwordBase64']),
          'mqtt.passwordBase64',
          '"passwordBase64" must be standard base64 (A-Z a-z 0-9 + /, padded with =).',
        );
      }
      if (password !== undefined) passwordBase64 = Buffer.from(password, 'utf8').toString('base64');
      mqtt = { username, password, passwordBase64, clientId };
      if (proto === 'http') at(mqttNode, 'mqtt', 'An HTTPS publish has no MQTT CONNECT, so "mqtt" is not sent. Use "mqtt" or "mqtt-wss".', 'warning');
    }
  }

  let credentials: DeviceCredentials | undefined;
  const credNode = findNodeAtLocation(root, ['credentials']);
  if (credNode !== undefined) {
    if (credNode.type !== 'object') at(credNode, 'credentials', '"credentials" must be an object: {"token", "signature", "in"}.');
    else {
      warnUnknown(credNode, 'credentials.', CREDENTIAL_FIELDS);
      const token = str(credNode, 'token', 'credentials.token');
      if (findNodeAtLocation(credNode, ['token']) === undefined)
        at(credNode, 'credentials.token', 'Missing "token": the token the device sends under the authorizer\'s tokenKeyName.');
      const sigNode = findNodeAtLocation(credNode, ['signature']);
      const signature = sigNode ? signable(sigNode, 'credentials.signature') : undefined;
      const inNode = findNodeAtLocation(credNode, ['in']);
      const place = str(credNode, 'in', 'credentials.in');
      const allowed = proto ? CREDENTIAL_PLACES[proto] : (['headers', 'query', 'mqtt-username'] as const);
      if (place !== undefined && !allowed.includes(place as CredentialSource)) {
        at(inNode, 'credentials.in', `"in" must be ${allowed.map((p) => `"${p}"`).join(' or ')} for protocol "${proto ?? protocol}".`);
      }
      const authorizerName = str(credNode, 'authorizerName', 'credentials.authorizerName');
      if (token !== undefined && proto) {
        credentials = {
          token,
          signature,
          in: (place as CredentialSource | undefined) ?? DEFAULT_CREDENTIAL_PLACE[proto],
          authorizerName: authorizerName ?? authorizer,
        };
      }
    }
  }

  const operations = readOperations(root, at);
  const sourceIp = readSourceIp(root, at);
  const failed = issues.filter((i) => i.severity === 'error').length > before;
  if (failed || !proto) return { issues };
  return {
    request: {
      description,
      authorizer,
      protocol: proto,
      serverName,
      headers,
      queryString,
      mqtt,
      credentials,
      ...(operations ? { operations } : {}),
      ...(sourceIp !== undefined ? { sourceIp } : {}),
    },
    issues,
  };
}

/** Reads and parses a test event file. */
export function loadTestEvent(file: string): TestEventParseResult {
  const read = readEditedFile(file);
  return 'text' in read ? parseTestEvent(read.text, file) : { issues: [read.issue] };
}

/** Every `*.authz.json` under `dir` (dot folders and node_modules skipped), sorted. */
export function findTestEventFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith(TEST_EVENT_SUFFIX)) found.push(full);
    }
  };
  walk(dir);
  return found.sort();
}

/**
 * The text of a new test event for an authorizer: signed credentials in the usual place for
 * the protocol, plus the MQTT fields a device sends. What "New Test Event" writes.
 */
export function newTestEventText(options: { protocol: TestProtocol; authorizer?: string; signingKey?: string; token?: string; clientId?: string }): string {
  const { protocol, authorizer, signingKey } = options;
  const token = options.token ?? 'my-device-token';
  const event: Record<string, unknown> = {
    description: `${protocol === 'http' ? 'HTTPS publish' : protocol === 'mqtt' ? 'MQTT over TLS' : 'MQTT over WebSocket'} with a signed token`,
  };
  if (authorizer) event.authorizer = authorizer;
  event.protocol = protocol;
  event.credentials = { token, ...(signingKey ? { signature: { sign: signingKey } } : {}), in: DEFAULT_CREDENTIAL_PLACE[protocol] };
  if (protocol !== 'http') event.mqtt = { clientId: options.clientId ?? 'device1' };
  return JSON.stringify(event, null, 2) + '\n';
}
