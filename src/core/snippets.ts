// Connection snippets for a run: the same request as curl (HTTPS publish), mosquitto_pub and
// mqtt.js (MQTT over TLS on 443 with ALPN "mqtt", or MQTT over WebSocket), a browser WebSocket
// URL, and `aws iot test-invoke-authorizer`. Credentials are placed by the encoders of
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

export type SnippetKind = 'curl' | 'mosquitto_pub' | 'mqtt.js' | 'websocket-url' | 'aws-cli';
export const SNIPPET_KINDS: readonly SnippetKind[] = ['curl', 'mosquitto_pub', 'mqtt.js', 'websocket-url', 'aws-cli'];

export interface ConnectionSnippet {
  readonly kind: SnippetKind;
  /** What a menu shows, e.g. "curl (HTTPS publish)". */
  readonly label: string;
  readonly language: 'shell' | 'javascript' | 'text';
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
  return [curlSnippet(r), mosquittoSnippet(r), mqttJsSnippet(r), webSocketUrlSnippet(r), awsCliSnippet(r)].filter(
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
 * per authorizer with curl, and the AWS CLI pointed at it with `--endpoint-url`. The token is
 * read from $TOKEN and signed with openssl from the workspace key file, so no secret is written.
 */
export function localEndpointSnippets(
  url: string,
  authorizers: readonly LocalEndpointAuthorizer[],
  options: { region: string; topic?: string; mqttUrl?: string },
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
