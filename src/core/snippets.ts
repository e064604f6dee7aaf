// Connection snippets for a run: the same request as curl (HTTPS publish), mosquitto_pub and
// mqtt.js (MQTT over TLS on 443 with ALPN "mqtt", or MQTT over WebSocket), the AWS IoT Device
// SDK v2 for JavaScript and Python, a browser page over WSS, a browser WebSocket URL, and
// `aws iot test-invoke-authorizer`. How each SDK builds the username: docs/aws-custom-auth.md. Credentials are placed by the encoders of
// credentials.ts, so URL-encoding is exactly what the local runtime parses back; shell values
// are single-quoted so `+ / = & ?` and spaces reach the program unchanged. Pure: no I/O.
// The MQTT password is never known here (results never keep it): snippets read it from the
// MQTT_PASSWORD environment variable instead.
import { AUTHORIZER_NAME_PARAM, PLACEHOLDER_ENDPOINT_ID, SIGNATURE_PARAM } from './constants';
import {
  CredentialSource,
  SignedCredentials,
  credentialsToHeaders,
  credentialsToMqttUsername,
  credentialsToQueryString,
  credentialsToWebSocketUrl,
  extractCredentials,
  parseMqttUsername,
  parseQueryParams,
} from './credentials';
import type { InvocationResult } from './result';
import type { TestProtocol } from './testEvent';

export type SnippetKind = 'curl' | 'mosquitto_pub' | 'mqtt.js' | 'device-sdk-js' | 'device-sdk-python' | 'browser-wss' | 'websocket-url' | 'aws-cli';
export const SNIPPET_KINDS: readonly SnippetKind[] = ['curl', 'mosquitto_pub', 'mqtt.js', 'device-sdk-js', 'device-sdk-python', 'browser-wss', 'websocket-url', 'aws-cli'];

export interface ConnectionSnippet {
  readonly kind: SnippetKind;
  /** What a menu shows, e.g. "curl (HTTPS publish)". */
  readonly label: string;
  readonly language: 'shell' | 'javascript' | 'python' | 'text';
  readonly text: string;
}

/** What every snippet is built from: a device's connection, credentials decoded (raw). */
export interface SnippetRequest {
  /** Host name of the IoT data endpoint (the TLS server name), no scheme. */
  readonly endpoint: string;
  /** Absent when the request carries no token (e.g. signing disabled, username/password only). */
  readonly credentials?: SignedCredentials;
  /** Where the run carried the credentials; curl and mqtt.js follow it where they can. */
  readonly credentialsIn?: CredentialSource;
  /** The authorizer for `aws iot test-invoke-authorizer` when the request sends no name. */
  readonly authorizer?: string;
  readonly clientId?: string;
  /** The MQTT username's own part, before `?`. */
  readonly usernameBase?: string;
  readonly hasPassword: boolean;
  /** The topic to publish to. */
  readonly topic: string;
  readonly protocol: TestProtocol;
  /** Headers and query string as the run sent them, for the test-invoke contexts. */
  readonly httpContext?: { readonly headers: Readonly<Record<string, string>>; readonly queryString?: string };
  readonly mqttUsername?: string;
}

/** Used when a run names no topic the policies allow publishing to. */
export const DEFAULT_SNIPPET_TOPIC = 'test/topic';
/** Used when a run has no client id (HTTPS publish): MQTT clients must send one. */
export const DEFAULT_SNIPPET_CLIENT_ID = 'my-device';
const PASSWORD_VARIABLE = 'MQTT_PASSWORD';
const MESSAGE = '{"message": "hello from the IoT Custom Authorizer Toolkit"}';
const CA_NOTE = '# AmazonRootCA1.pem: https://www.amazontrust.com/repository/AmazonRootCA1.pem';

/** `'value'` for POSIX shells: nothing inside single quotes is special except `'` itself. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function shellCommand(comment: readonly string[], program: string, args: ReadonlyArray<readonly string[]>): string {
  const lines = args.map((a) => `  ${a.join(' ')}`);
  return [...comment, [program, ...lines].join(' \\\n')].join('\n');
}

/** A topic in the `/topics/<topic>` URL path: each level percent-encoded, `/` kept. */
export function topicUrlPath(topic: string): string {
  return topic.split('/').map(encodeURIComponent).join('/');
}

function usernameFor(r: SnippetRequest): string | undefined {
  if (r.credentials) return credentialsToMqttUsername(r.credentials, r.usernameBase ?? '');
  return r.mqttUsername;
}

function curlSnippet(r: SnippetRequest): ConnectionSnippet {
  const query = ['qos=1'];
  const headerArgs: string[][] = [];
  if (r.credentials) {
    if (r.credentialsIn === 'query') query.push(credentialsToQueryString(r.credentials));
    else for (const [name, value] of Object.entries(credentialsToHeaders(r.credentials))) headerArgs.push(['-H', shellQuote(`${name}: ${value}`)]);
  }
  const url = `https://${r.endpoint}/topics/${topicUrlPath(r.topic)}?${query.join('&')}`;
  return {
    kind: 'curl',
    label: 'curl (HTTPS publish)',
    language: 'shell',
    text: shellCommand([], 'curl', [
      ['--fail-with-body', '-X', 'POST', shellQuote(url)],
      ...headerArgs,
      ['-H', shellQuote('content-type: application/json')],
      ['--data', shellQuote(MESSAGE)],
    ]),
  };
}

function mosquittoSnippet(r: SnippetRequest): ConnectionSnippet {
  const username = usernameFor(r);
  const args: string[][] = [
    ['-h', shellQuote(r.endpoint), '-p', '443', '--tls-alpn', 'mqtt', '--cafile', 'AmazonRootCA1.pem'],
    ['-i', shellQuote(r.clientId ?? DEFAULT_SNIPPET_CLIENT_ID)],
  ];
  if (username !== undefined) args.push(['-u', shellQuote(username)]);
  if (r.hasPassword) args.push(['-P', `"$${PASSWORD_VARIABLE}"`]);
  args.push(['-t', shellQuote(r.topic), '-m', shellQuote(MESSAGE)]);
  const comment = [CA_NOTE, ...(r.hasPassword ? [`# The MQTT password is not kept: export ${PASSWORD_VARIABLE}=... first.`] : [])];
  return { kind: 'mosquitto_pub', label: 'mosquitto_pub (MQTT over TLS, port 443)', language: 'shell', text: shellCommand(comment, 'mosquitto_pub', args) };
}

function mqttJsSnippet(r: SnippetRequest): ConnectionSnippet {
  const overWebSocket = r.protocol === 'mqtt-wss' && r.credentials !== undefined && r.credentialsIn !== 'mqtt-username';
  const options: string[] = [`  clientId: ${JSON.stringify(r.clientId ?? DEFAULT_SNIPPET_CLIENT_ID)},`];
  const username = overWebSocket ? r.mqttUsername : usernameFor(r);
  if (username !== undefined) options.push(`  username: ${JSON.stringify(username)},`);
  if (r.hasPassword) options.push(`  password: process.env.${PASSWORD_VARIABLE}, // not kept by the toolkit`);
  if (!overWebSocket) options.push(`  ALPNProtocols: ['mqtt'],`);
  const url = overWebSocket ? credentialsToWebSocketUrl(r.endpoint, r.credentials as SignedCredentials) : `mqtts://${r.endpoint}:443`;
  const text = [
    '// npm install mqtt',
    "const mqtt = require('mqtt');",
    `const client = mqtt.connect(${JSON.stringify(url)}, {`,
    ...options,
    '});',
    `client.on('connect', () => client.publish(${JSON.stringify(r.topic)}, ${JSON.stringify(MESSAGE)}, () => client.end()));`,
    "client.on('error', (e) => { console.error(e.message); client.end(); });",
  ].join('\n');
  return { kind: 'mqtt.js', label: overWebSocket ? 'mqtt.js (MQTT over WebSocket)' : 'mqtt.js (MQTT over TLS, port 443)', language: 'javascript', text };
}

function webSocketUrlSnippet(r: SnippetRequest): ConnectionSnippet | undefined {
  if (!r.credentials) return undefined;
  return { kind: 'websocket-url', label: 'Browser WebSocket URL', language: 'text', text: credentialsToWebSocketUrl(r.endpoint, r.credentials) };
}

/** JS expressions for the device SDK builders' custom-auth arguments (docs/aws-custom-auth.md, "What real clients send"). */
interface SdkCustomAuthArgs {
  readonly username: string;
  readonly authorizerName: string;
  /** Raw base64: the JavaScript SDK URL-encodes it once itself. */
  readonly signature: string;
  readonly password: string;
  readonly tokenKeyName: string;
  /** As it must appear in the username (URL-encoded): the SDKs append it unchanged. */
  readonly token: string;
}

/** Where the device SDK for JavaScript connects; `port` and `caFile` only when not AWS's 443 / Amazon's CA. */
interface SdkTarget {
  readonly host: string;
  readonly port?: string;
  readonly caFile?: string;
  readonly clientId: string;
  readonly topic: string;
}

/** The builder call both JavaScript SDK builds share (Node over TLS or WSS, browser over WSS). */
function withCustomAuthorizer(a: SdkCustomAuthArgs): string {
  return `  .with_custom_authorizer(${[a.username, a.authorizerName, a.signature, a.password, a.tokenKeyName, a.token].join(', ')})`;
}

/** A run's credentials as `with_custom_authorizer` arguments (JavaScript literals), the password as given. */
function jsCustomAuthArgs(r: SnippetRequest, c: SignedCredentials, password: string): SdkCustomAuthArgs {
  return {
    username: JSON.stringify(r.usernameBase ?? ''),
    authorizerName: JSON.stringify(c.authorizerName !== undefined ? encodeURIComponent(c.authorizerName) : ''),
    signature: JSON.stringify(c.signature ?? ''),
    password,
    tokenKeyName: JSON.stringify(encodeURIComponent(c.tokenKeyName)),
    token: JSON.stringify(encodeURIComponent(c.token)),
  };
}

/** AWS's endpoint on 443 with Amazon's CA: the run's host, client id and topic. */
function jsAwsTarget(r: SnippetRequest): SdkTarget {
  return { host: JSON.stringify(r.endpoint), clientId: JSON.stringify(r.clientId ?? DEFAULT_SNIPPET_CLIENT_ID), topic: JSON.stringify(r.topic) };
}

/**
 * The AWS IoT Device SDK v2 for JavaScript (Node): MQTT 3.1.1 over TLS with ALPN "mqtt" through
 * `AwsIotMqttConnectionConfigBuilder.with_custom_authorizer`, publish at QoS 1, exit code 1 when refused.
 */
function deviceSdkJsScript(a: SdkCustomAuthArgs, t: SdkTarget): string[] {
  return [
    "const { iot, mqtt } = require('aws-iot-device-sdk-v2');",
    'const config = iot.AwsIotMqttConnectionConfigBuilder.new_default_builder()',
    withCustomAuthorizer(a),
    `  .with_endpoint(${t.host})`,
    // with_custom_authorizer sets port 443; a port set after it wins.
    ...(t.port !== undefined ? [`  .with_port(${t.port})`] : []),
    ...(t.caFile !== undefined ? [`  .with_certificate_authority_from_path(undefined, ${t.caFile})`] : []),
    `  .with_client_id(${t.clientId})`,
    '  .build();',
    'const connection = new mqtt.MqttClient().new_connection(config);',
    'connection.connect()',
    `  .then(() => connection.publish(${t.topic}, ${JSON.stringify(MESSAGE)}, mqtt.QoS.AtLeastOnce))`,
    "  .then(() => { console.log('published'); return connection.disconnect(); })",
    '  .catch((e) => {',
    "    console.error(`refused: ${e && e.message ? e.message : e} (see the endpoint's decisions)`);",
    '    process.exitCode = 1;',
    '    return connection.disconnect();',
    '  });',
  ];
}

function deviceSdkJsSnippet(r: SnippetRequest): ConnectionSnippet | undefined {
  const c = r.credentials;
  if (!c) return undefined;
  const lines = [
    '// npm install aws-iot-device-sdk-v2',
    '// MQTT 3.1.1 over TLS on port 443 with ALPN "mqtt"; the SDK URL-encodes the signature and',
    '// appends its metrics (SDK=...&Platform=...) to the username. The CA is the system trust store.',
    ...deviceSdkJsScript(jsCustomAuthArgs(r, c, r.hasPassword ? `process.env.${PASSWORD_VARIABLE}` : 'undefined'), jsAwsTarget(r)),
  ];
  return { kind: 'device-sdk-js', label: 'AWS IoT Device SDK v2 for JavaScript (MQTT over TLS, port 443)', language: 'javascript', text: lines.join('\n') };
}

/** Python keyword arguments of `mqtt_connection_builder.*_with_custom_authorizer` (awsiot), one per line. */
function pythonKwargs(args: ReadonlyArray<readonly [string, string]>): string[] {
  return args.map(([k, v]) => `    ${k}=${v},`);
}

function deviceSdkPythonSnippet(r: SnippetRequest): ConnectionSnippet | undefined {
  const c = r.credentials;
  if (!c) return undefined;
  const kwargs: Array<[string, string]> = [
    ['endpoint', JSON.stringify(r.endpoint)],
    ['client_id', JSON.stringify(r.clientId ?? DEFAULT_SNIPPET_CLIENT_ID)],
    ['auth_username', JSON.stringify(r.usernameBase ?? '')],
    ...(c.authorizerName !== undefined ? [['auth_authorizer_name', JSON.stringify(encodeURIComponent(c.authorizerName))] as [string, string]] : []),
    ...(c.signature !== undefined ? [['auth_authorizer_signature', JSON.stringify(encodeURIComponent(c.signature))] as [string, string]] : []),
    ['auth_token_key_name', JSON.stringify(encodeURIComponent(c.tokenKeyName))],
    ['auth_token_value', JSON.stringify(encodeURIComponent(c.token))],
    ...(r.hasPassword ? [['auth_password', `os.environ["${PASSWORD_VARIABLE}"]`] as [string, string]] : []),
  ];
  const text = [
    '# pip install awsiotsdk',
    '# MQTT 3.1.1 over TLS on port 443 with ALPN "mqtt". The SDK puts the values into the username',
    '# as given: the signature and token are URL-encoded once here.',
    ...(r.hasPassword ? ['import os'] : []),
    'from awscrt import mqtt',
    'from awsiot import mqtt_connection_builder',
    '',
    'connection = mqtt_connection_builder.direct_with_custom_authorizer(',
    ...pythonKwargs(kwargs),
    ')',
    'connection.connect().result()',
    `published, _ = connection.publish(topic=${JSON.stringify(r.topic)}, payload=${JSON.stringify(MESSAGE)}, qos=mqtt.QoS.AT_LEAST_ONCE)`,
    'published.result()',
    'connection.disconnect().result()',
  ].join('\n');
  return { kind: 'device-sdk-python', label: 'AWS IoT Device SDK v2 for Python (MQTT over TLS, port 443)', language: 'python', text };
}

/**
 * A web page with the Device SDK v2's browser build: `with_custom_authorizer` on a WebSocket
 * builder opens `wss://HOST:PORT/mqtt` with no credentials in the URL or headers; they travel
 * in the MQTT username and password only (docs/aws-custom-auth.md).
 */
function browserWssLines(a: SdkCustomAuthArgs, t: SdkTarget): string[] {
  return [
    "import { iot, mqtt } from 'aws-iot-device-sdk-v2'; // a bundler picks the SDK's browser build",
    'const config = iot.AwsIotMqttConnectionConfigBuilder.new_builder_for_websocket()',
    withCustomAuthorizer(a),
    `  .with_endpoint(${t.host})`,
    `  .with_port(${t.port ?? '443'})`,
    `  .with_client_id(${t.clientId})`,
    '  .build();',
    'const connection = new mqtt.MqttClient().new_connection(config);',
    'await connection.connect();',
    `await connection.publish(${t.topic}, ${JSON.stringify(MESSAGE)}, mqtt.QoS.AtLeastOnce);`,
    'await connection.disconnect();',
  ];
}

function browserWssSnippet(r: SnippetRequest): ConnectionSnippet | undefined {
  const c = r.credentials;
  if (!c) return undefined;
  const text = [
    '// npm install aws-iot-device-sdk-v2, then bundle this module for the page (esbuild, webpack...).',
    '// Sign tokens on your server: a page must never hold the authorizer\'s private key.',
    ...browserWssLines(jsCustomAuthArgs(r, c, r.hasPassword ? "'<the MQTT password>'" : 'undefined'), jsAwsTarget(r)),
  ].join('\n');
  return { kind: 'browser-wss', label: 'Browser page (Device SDK v2, MQTT over WSS)', language: 'javascript', text };
}

function awsCliSnippet(r: SnippetRequest): ConnectionSnippet | undefined {
  const name = r.credentials?.authorizerName ?? r.authorizer;
  if (name === undefined) return undefined;
  const args: string[][] = [['--authorizer-name', shellQuote(name)]];
  const comment: string[] = [];
  if (r.credentials) {
    args.push(['--token', shellQuote(r.credentials.token)]);
    // test-invoke takes the signature as plain base64: never URL-encoded.
    if (r.credentials.signature !== undefined) args.push(['--token-signature', shellQuote(r.credentials.signature)]);
  }
  if (r.httpContext) {
    const ctx: Record<string, unknown> = { headers: r.httpContext.headers };
    if (r.httpContext.queryString) ctx.queryString = `?${r.httpContext.queryString.replace(/^\?/, '')}`;
    args.push(['--http-context', shellQuote(JSON.stringify(ctx))]);
  }
  if (r.protocol !== 'http') {
    const ctx: Record<string, string> = {};
    if (r.mqttUsername !== undefined) ctx.username = r.mqttUsername;
    if (r.clientId !== undefined) ctx.clientId = r.clientId;
    if (r.hasPassword) comment.push('# The MQTT password is not kept: add "password": "<base64 of the password>" to --mqtt-context.');
    args.push(['--mqtt-context', shellQuote(JSON.stringify(ctx))]);
  }
  args.push(['--tls-context', shellQuote(JSON.stringify({ serverName: r.endpoint }))]);
  return { kind: 'aws-cli', label: 'AWS CLI test-invoke-authorizer', language: 'shell', text: shellCommand(comment, 'aws iot test-invoke-authorizer', args) };
}

/** Every snippet that applies to the request, in SNIPPET_KINDS order. */
export function connectionSnippets(r: SnippetRequest): ConnectionSnippet[] {
  const all = [curlSnippet(r), mosquittoSnippet(r), mqttJsSnippet(r), deviceSdkJsSnippet(r), deviceSdkPythonSnippet(r), browserWssSnippet(r)];
  return [...all, webSocketUrlSnippet(r), awsCliSnippet(r)].filter(
    (s): s is ConnectionSnippet => s !== undefined,
  );
}

type RunWire = NonNullable<InvocationResult['request']['wire']>;

/** Every credential-carrying parameter name in the wire request, with its decoded value. */
function namedValues(wire: RunWire): Array<[string, string]> {
  return [
    ...Object.entries(wire.headers ?? {}),
    ...(wire.queryString ? parseQueryParams(wire.queryString) : []),
    ...(wire.mqtt?.username ? parseMqttUsername(wire.mqtt.username).params : []),
  ];
}

/**
 * The authorizer's tokenKeyName as the run used it: the parameter whose value is the run's
 * token. For callers that cannot read the project file; a given name always wins.
 */
export function inferTokenKeyName(wire: RunWire, token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const standard = [AUTHORIZER_NAME_PARAM, SIGNATURE_PARAM, 'host'];
  return namedValues(wire).find(([name, value]) => value === token && !standard.includes(name.toLowerCase()))?.[0];
}

/** True for the server name used when a test event names none (not a real endpoint). */
export function isPlaceholderServerName(serverName: string): boolean {
  return serverName.startsWith(`${PLACEHOLDER_ENDPOINT_ID}-ats.iot.`);
}

/** The topic for publish snippets: the first one the run's evaluation allowed publishing to. */
function allowedPublishTopic(run: InvocationResult): string | undefined {
  const d = run.evaluation?.decisions.find((x) => x.action === 'iot:Publish' && x.allowed);
  const m = d ? /:topic\/(.+)$/.exec(d.resourceArn) : null;
  return m?.[1];
}

/**
 * The snippet request of a run, or undefined when the run has no wire request (it failed
 * before a request could be built). `tokenKeyName` comes from the project when known.
 */
export function snippetRequestFromRun(run: InvocationResult, options: { tokenKeyName?: string; topic?: string } = {}): SnippetRequest | undefined {
  const wire = run.request.wire;
  if (!wire) return undefined;
  const tokenKeyName = options.tokenKeyName ?? inferTokenKeyName(wire, run.request.token);
  const found = extractCredentials({ headers: wire.headers, queryString: wire.queryString, mqttUsername: wire.mqtt?.username }, tokenKeyName);
  const credentials: SignedCredentials | undefined =
    tokenKeyName !== undefined && found.token !== undefined
      ? { authorizerName: found.authorizerName, tokenKeyName, token: found.token, ...(found.signature !== undefined ? { signature: found.signature } : {}) }
      : undefined;
  const implicit = new Set(['host', 'upgrade', 'connection', 'sec-websocket-version', 'sec-websocket-key', 'sec-websocket-protocol']);
  const headers = Object.fromEntries(Object.entries(wire.headers ?? {}).filter(([k]) => !implicit.has(k.toLowerCase())));
  const clientId = wire.mqtt?.clientId ?? run.request.clientId;
  return {
    endpoint: wire.serverName,
    credentials,
    credentialsIn: found.source,
    authorizer: run.request.authorizer,
    clientId,
    usernameBase: wire.mqtt?.username !== undefined ? parseMqttUsername(wire.mqtt.username).base : undefined,
    hasPassword: wire.mqtt?.hasPassword ?? false,
    topic: options.topic ?? allowedPublishTopic(run) ?? DEFAULT_SNIPPET_TOPIC,
    protocol: wire.protocol,
    httpContext: wire.headers ? { headers, queryString: wire.queryString } : undefined,
    mqttUsername: wire.mqtt?.username,
  };
}

/** One authorizer registered on the local endpoint, as the local snippets need it. */
export interface LocalEndpointAuthorizer {
  readonly name: string;
  readonly tokenKeyName?: string;
  readonly signingDisabled: boolean;
  /** The private key file to sign the token with, relative to the workspace (signing enabled). */
  readonly privateKeyFile?: string;
}

/**
 * Snippets for the local endpoint at `url` (e.g. `http://127.0.0.1:4567`): an HTTP publish
 * per authorizer with curl, MQTT clients when it has MQTT listeners (mosquitto_pub and mqtt.js on
 * `mqttUrl`; the Device SDK v2 on `mqtts` and, for Python and a browser, WSS on `https`), and the
 * AWS CLI pointed at it with `--endpoint-url`. The token is
 * read from $TOKEN and signed with openssl from the workspace key file, so no secret is written.
 */
export function localEndpointSnippets(
  url: string,
  authorizers: readonly LocalEndpointAuthorizer[],
  options: { region: string; topic?: string; mqttUrl?: string; mqtts?: LocalTlsListener; https?: LocalTlsListener },
): ConnectionSnippet[] {
  const base = url.replace(/\/+$/, '');
  const topic = options.topic ?? DEFAULT_SNIPPET_TOPIC;
  const out: ConnectionSnippet[] = [];
  for (const a of authorizers) {
    const comment = [`# Publish to ${topic} through ${a.name} (any credentials the handler accepts in $TOKEN).`, `TOKEN=${shellQuote('my-token')}`];
    const headerArgs: string[][] = [['-H', shellQuote(`${AUTHORIZER_NAME_PARAM}: ${a.name}`)]];
    if (a.tokenKeyName !== undefined) headerArgs.push(['-H', `"${a.tokenKeyName}: $TOKEN"`]);
    if (!a.signingDisabled) {
      const keyFile = a.privateKeyFile ?? '<private_key.pem>';
      comment.push(`SIGNATURE=$(printf %s "$TOKEN" | openssl dgst -sha256 -sign ${shellQuote(keyFile)} | openssl base64 -A)`);
      headerArgs.push(['-H', `"${SIGNATURE_PARAM}: $SIGNATURE"`]);
    }
    out.push({
      kind: 'curl',
      label: `curl (HTTP publish through ${a.name})`,
      language: 'shell',
      text: shellCommand(comment, 'curl', [
        ['-sS', '-X', 'POST', shellQuote(`${base}/topics/${topicUrlPath(topic)}?qos=1`)],
        ...headerArgs,
        ['-H', shellQuote('content-type: application/json')],
        ['--data', shellQuote(MESSAGE)],
      ]),
    });
  }
  if (options.mqttUrl !== undefined) {
    for (const a of authorizers) out.push(...localMqttSnippets(options.mqttUrl, a, topic));
  }
  for (const a of authorizers) out.push(...localDeviceSdkSnippets(a, topic, options.mqtts, options.https));
  const ep = `--endpoint-url ${shellQuote(base)}`;
  const lines = [
    '# The local endpoint accepts any credentials; the AWS CLI only needs some to sign with.',
    `export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=${shellQuote(options.region)}`,
    `aws ${ep} iot list-authorizers`,
    `aws ${ep} lambda list-functions`,
  ];
  for (const a of authorizers) {
    lines.push(`aws ${ep} iot describe-authorizer --authorizer-name ${shellQuote(a.name)}`);
    lines.push(
      `aws ${ep} iot test-invoke-authorizer --authorizer-name ${shellQuote(a.name)} --token "$TOKEN"${a.signingDisabled ? '' : ' --token-signature "$SIGNATURE"'}`,
    );
  }
  out.push({ kind: 'aws-cli', label: 'AWS CLI (--endpoint-url)', language: 'shell', text: lines.join('\n') });
  return out;
}

/**
 * mosquitto_pub and mqtt.js against the local endpoint's MQTT listener (`mqtt://HOST:PORT`):
 * the credentials in the username, the signature URL-encoded once (base64's `+ / =`), as AWS
 * expects. Both are shell; mqtt.js runs as `node` with the script on standard input.
 */
function localMqttSnippets(mqttUrl: string, a: LocalEndpointAuthorizer, topic: string): ConnectionSnippet[] {
  if (a.tokenKeyName === undefined) return [];
  const m = /^mqtts?:\/\/([^:/]+):(\d+)/.exec(mqttUrl);
  if (!m) return [];
  const [, host, port] = m;
  const keyFile = a.privateKeyFile ?? '<private_key.pem>';
  const namePart = `${AUTHORIZER_NAME_PARAM}=${encodeURIComponent(a.name)}&${encodeURIComponent(a.tokenKeyName)}=`;
  const head = [
    `# Publish over MQTT 3.1.1 to ${topic} through ${a.name}: edit TOKEN and CLIENT_ID to what the handler accepts.`,
    `TOKEN=${shellQuote('my-token')}`,
    `CLIENT_ID=${shellQuote(DEFAULT_SNIPPET_CLIENT_ID)}`,
  ];
  const sign = a.signingDisabled ? [] : [`SIGNATURE=$(printf %s "$TOKEN" | openssl dgst -sha256 -sign ${shellQuote(keyFile)} | openssl base64 -A)`];
  const mosquitto = shellCommand(
    [
      ...head,
      ...sign,
      ...(a.signingDisabled ? [] : ["# The username carries the signature URL-encoded once (+ / = as %2B %2F %3D); a token holding & + % or spaces must be URL-encoded too."]),
      ...(a.signingDisabled ? [] : ["SIG_URL=$(printf %s \"$SIGNATURE\" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')"]),
    ],
    'mosquitto_pub',
    [
      ['-h', host, '-p', port, '-V', 'mqttv311', '-q', '1'],
      ['-i', '"$CLIENT_ID"'],
      ['-u', `"device?${namePart}$TOKEN${a.signingDisabled ? '' : `&${SIGNATURE_PARAM}=$SIG_URL`}"`],
      ['-P', 'unused', '-t', shellQuote(topic), '-m', shellQuote(MESSAGE)],
    ],
  );
  const js = [
    ...head,
    ...sign,
    `export TOKEN CLIENT_ID${a.signingDisabled ? '' : ' SIGNATURE'}`,
    "# npm install mqtt; the script reads TOKEN, CLIENT_ID and SIGNATURE from the environment.",
    "node - <<'EOF'",
    "const mqtt = require('mqtt');",
    `const username = ${JSON.stringify(`device?${namePart}`)} + encodeURIComponent(process.env.TOKEN)${a.signingDisabled ? '' : ` + ${JSON.stringify(`&${SIGNATURE_PARAM}=`)} + encodeURIComponent(process.env.SIGNATURE)`};`,
    `const client = mqtt.connect(${JSON.stringify(`mqtt://${host}:${port}`)}, { clientId: process.env.CLIENT_ID, username, password: 'unused', protocolVersion: 4, reconnectPeriod: 0 });`,
    'let published = false;',
    `client.on('connect', () => client.publish(${JSON.stringify(topic)}, ${JSON.stringify(MESSAGE)}, { qos: 1 }, (e) => {`,
    "  published = !e;",
    "  console.log(e ? `refused: ${e.message}` : 'published');",
    '  client.end();',
    '}));',
    "client.on('error', (e) => console.error(e.message));",
    "client.on('close', () => { if (!published) { console.error('closed without publishing: refused (see the endpoint\\'s decisions)'); process.exitCode = 1; } });",
    'EOF',
  ].join('\n');
  return [
    { kind: 'mosquitto_pub', label: `mosquitto_pub (MQTT publish through ${a.name})`, language: 'shell', text: mosquitto },
    { kind: 'mqtt.js', label: `mqtt.js (MQTT publish through ${a.name})`, language: 'shell', text: js },
  ];
}

/** A TLS listener of the local endpoint and the CA file that trusts its self-signed certificate. */
export interface LocalTlsListener {
  readonly url: string;
  readonly caFile: string;
}

/**
 * The AWS IoT Device SDK v2 (JavaScript, Python) and a browser page against the local endpoint:
 * the SDK for JavaScript over `--mqtts-port` (TLS, ALPN "mqtt"), Python and the browser over
 * WSS on the HTTPS listener (`--tls`). A missing listener is named with the flag that starts it.
 */
function localDeviceSdkSnippets(
  a: LocalEndpointAuthorizer,
  topic: string,
  mqtts: LocalTlsListener | undefined,
  https: LocalTlsListener | undefined,
): ConnectionSnippet[] {
  const tokenKeyName = a.tokenKeyName;
  if (tokenKeyName === undefined) return [];
  const keyFile = a.privateKeyFile ?? '<private_key.pem>';
  const portOf = (l: LocalTlsListener | undefined) => /:(\d+)\/?$/.exec(l?.url ?? '')?.[1];
  const hostOf = (l: LocalTlsListener | undefined) => {
    const h = /^\w+:\/\/([^:/]+)/.exec(l?.url ?? '')?.[1] ?? 'localhost';
    // The certificate names localhost; the SDKs check the name they connect to.
    return h === '127.0.0.1' ? 'localhost' : h;
  };
  const head = (what: string, missing: string | undefined) => [
    `# Publish with ${what} to ${topic} through ${a.name}: edit TOKEN and CLIENT_ID to what the handler accepts.`,
    ...(missing !== undefined ? [`# This endpoint has no ${missing}.`] : []),
    `TOKEN=${shellQuote('my-token')}`,
    `CLIENT_ID=${shellQuote(DEFAULT_SNIPPET_CLIENT_ID)}`,
    ...(a.signingDisabled ? [] : [`SIGNATURE=$(printf %s "$TOKEN" | openssl dgst -sha256 -sign ${shellQuote(keyFile)} | openssl base64 -A)`]),
  ];
  const listenerLines = (portVar: string, l: LocalTlsListener | undefined) => [
    `${portVar}=${portOf(l) ?? shellQuote('<port>')}`,
    `CA_FILE=${shellQuote(l?.caFile ?? '<CA file printed by the endpoint>')}`,
  ];
  const exported = (portVar: string) => `export TOKEN CLIENT_ID${a.signingDisabled ? '' : ' SIGNATURE'} ${portVar} CA_FILE`;
  const name = JSON.stringify(encodeURIComponent(a.name));
  const key = JSON.stringify(encodeURIComponent(tokenKeyName));
  // Signing disabled: the SDKs take a token only with a signature, so the token goes into the username.
  const jsArgs = (signature: string, token: string): SdkCustomAuthArgs =>
    a.signingDisabled
      ? { username: `${JSON.stringify(`device?${encodeURIComponent(tokenKeyName)}=`)} + encodeURIComponent(${token})`, authorizerName: name, signature: "''", password: "'unused'", tokenKeyName: "''", token: "''" }
      : { username: "'device'", authorizerName: name, signature, password: "'unused'", tokenKeyName: key, token: `encodeURIComponent(${token})` };

  const js = [
    ...head('the AWS IoT Device SDK v2 for JavaScript (MQTT 3.1.1 over TLS, ALPN "mqtt")', mqtts ? undefined : 'MQTT-over-TLS listener: restart it with --mqtts-port 0 and fill in MQTTS_PORT and CA_FILE from its "listening" line'),
    ...listenerLines('MQTTS_PORT', mqtts),
    exported('MQTTS_PORT'),
    '# npm install aws-iot-device-sdk-v2. The SDK URL-encodes the signature, appends its metrics (SDK=...&Platform=...)',
    '# to the username, and warns that the port is not 443 (expected here).',
    "node - <<'EOF'",
    ...deviceSdkJsScript(jsArgs('process.env.SIGNATURE', 'process.env.TOKEN'), {
      host: JSON.stringify(hostOf(mqtts)), port: 'Number(process.env.MQTTS_PORT)', caFile: 'process.env.CA_FILE', clientId: 'process.env.CLIENT_ID', topic: JSON.stringify(topic),
    }),
    'EOF',
  ].join('\n');

  const tlsMissing = https ? undefined : 'HTTPS listener: restart it with --tls and fill in HTTPS_PORT and CA_FILE from its "listening" line';
  const pyKwargs: Array<[string, string]> = [
    ['endpoint', JSON.stringify(hostOf(https))],
    ['port', 'int(os.environ["HTTPS_PORT"])'],
    ['ca_filepath', 'os.environ["CA_FILE"]'],
    ['client_id', 'os.environ["CLIENT_ID"]'],
    ...(a.signingDisabled
      ? [['auth_username', `${JSON.stringify(`device?${encodeURIComponent(tokenKeyName)}=`)} + quote(os.environ["TOKEN"], safe="")`] as [string, string], ['auth_authorizer_name', name] as [string, string]]
      : [
          ['auth_username', '"device"'] as [string, string],
          ['auth_authorizer_name', name] as [string, string],
          ['auth_authorizer_signature', 'quote(os.environ["SIGNATURE"], safe="")'] as [string, string],
          ['auth_token_key_name', key] as [string, string],
          ['auth_token_value', 'quote(os.environ["TOKEN"], safe="")'] as [string, string],
        ]),
    ['auth_password', '"unused"'],
  ];
  const python = [
    ...head('the AWS IoT Device SDK v2 for Python (MQTT 3.1.1 over WSS)', tlsMissing),
    ...listenerLines('HTTPS_PORT', https),
    exported('HTTPS_PORT'),
    '# pip install awsiotsdk. direct_with_custom_authorizer always connects to port 443, so this uses',
    '# websockets_with_custom_authorizer on the HTTPS listener. The SDK puts the values into the username',
    '# as given: the signature and token are URL-encoded once here.',
    "python3 - <<'EOF'",
    'import os',
    'from urllib.parse import quote',
    'from awscrt import mqtt',
    'from awsiot import mqtt_connection_builder',
    '',
    'connection = mqtt_connection_builder.websockets_with_custom_authorizer(',
    ...pythonKwargs(pyKwargs),
    ')',
    'connection.connect().result()',
    `published, _ = connection.publish(topic=${JSON.stringify(topic)}, payload=${JSON.stringify(MESSAGE)}, qos=mqtt.QoS.AT_LEAST_ONCE)`,
    'published.result()',
    'print("published")',
    'connection.disconnect().result()',
    'EOF',
  ].join('\n');

  // The module is written with the shell's values filled in (unquoted here-document).
  const browser = [
    ...head('a browser page (Device SDK v2 browser build, MQTT over WSS)', tlsMissing),
    ...listenerLines('HTTPS_PORT', https),
    `# The page connects to wss://${hostOf(https)}:$HTTPS_PORT/mqtt: the browser must trust the endpoint's certificate`,
    '# (import $CA_FILE into its trust store). npm install aws-iot-device-sdk-v2, then bundle browser-connect.js for the page.',
    'cat > browser-connect.js <<EOF',
    ...browserWssLines(jsArgs("'$SIGNATURE'", "'$TOKEN'"), { host: JSON.stringify(hostOf(https)), port: '$HTTPS_PORT', clientId: "'$CLIENT_ID'", topic: JSON.stringify(topic) }),
    'EOF',
  ].join('\n');

  return [
    { kind: 'device-sdk-js', label: `AWS IoT Device SDK v2 for JavaScript (MQTT over TLS through ${a.name})`, language: 'shell', text: js },
    { kind: 'device-sdk-python', label: `AWS IoT Device SDK v2 for Python (MQTT over WSS through ${a.name})`, language: 'shell', text: python },
    { kind: 'browser-wss', label: `Browser page (MQTT over WSS through ${a.name})`, language: 'shell', text: browser },
  ];
}

/** An HTTP publish to the local endpoint carrying a run's credentials. */
export interface HttpPublishRequest {
  readonly topic: string;
  /** `/topics/<topic>?<query>`. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The run's request as an HTTP publish (what "Run against endpoint" sends): an HTTP run's own
 * headers and query string; an MQTT run's credentials moved to headers (or the query string
 * when they travelled there). The topic is one the run's policies allowed, else the default.
 */
export function httpPublishFromRun(run: InvocationResult, options: { tokenKeyName?: string } = {}): HttpPublishRequest | { readonly error: string } {
  const r = snippetRequestFromRun(run, options);
  if (!r) return { error: 'This run has no request to send: it stopped before a request was built. Fix the event file and run it again first.' };
  let headers: Record<string, string> = {};
  let query = 'qos=1';
  if (r.protocol === 'http' && r.httpContext) {
    headers = { ...r.httpContext.headers };
    const q = (r.httpContext.queryString ?? '').replace(/^\?/, '');
    if (q !== '') query = q;
  } else if (r.credentials) {
    if (r.credentialsIn === 'query') query = `qos=1&${credentialsToQueryString(r.credentials)}`;
    else headers = credentialsToHeaders(r.credentials);
  }
  const isName = (k: string) => k.toLowerCase() === AUTHORIZER_NAME_PARAM;
  const named = Object.keys(headers).some(isName) || parseQueryParams(query).some(([k]) => isName(k));
  if (!named && r.authorizer !== undefined) headers = { [AUTHORIZER_NAME_PARAM]: r.authorizer, ...headers };
  return { topic: r.topic, path: `/topics/${topicUrlPath(r.topic)}?${query}`, headers };
}
