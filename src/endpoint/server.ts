// The local IoT endpoint: one node:http server (and an HTTPS one with --tls) serving the IoT
// and Lambda control planes and HTTP publish on the same port, told apart by path
// (`/2015-03-31/...` is Lambda, `/topics/...` is publish, `/_iot-authz/...` is the endpoint's
// own API) with the region taken from the SigV4 credential scope.
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as tls from 'tls';
import type { Socket } from 'net';
import * as os from 'os';
import * as path from 'path';
import { WebSocketServer, createWebSocketStream } from 'ws';
import {
  ENDPOINT_DEFAULT_CONCURRENCY,
  ENDPOINT_DEFAULT_HOST,
  ENDPOINT_LISTEN_BACKLOG,
  ENDPOINT_LOCAL_PATH_PREFIX,
  LAMBDA_API_VERSION_PATH,
  LOCAL_ACCOUNT_ID,
  LOCAL_DEFAULT_REGION,
  MIN_REFRESH_SECONDS,
} from '../core/constants';
import { MQTT_WEBSOCKET_PATH, webSocketPathProblem } from '../core/credentials';
import { parseDurationSeconds } from '../core/duration';
import { UserError } from '../core/errors';
import { LocalRuntime } from '../local/runtime';
import { EndpointClock } from './clock';
import { EndpointContext, MessageStore, newCounters } from './context';
import { DecisionLog } from './decisions';
import { IotApi } from './iotApi';
import { LambdaApi } from './lambdaApi';
import { MqttBroker, MqttConnectionInfo } from './mqtt';
import { handlePublish } from './publish';
import { EndpointState } from './state';
import { EndpointCertificate, selfSignedCertificate } from './tls';
import { AwsApiError, ApiService, readBody, sendAwsError, sendJson, sigV4Scope } from './wire';
import { registerWorkspace, WorkspaceRegistration } from './workspace';

export interface EndpointOptions {
  readonly host?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly accountId?: string;
  /** Region for requests without a SigV4 scope and for workspace authorizers. */
  readonly region?: string;
  /** Folder for state.json and function code; without it nothing outlives the process. */
  readonly stateDir?: string;
  /** A folder with iot-authorizer.json whose authorizers are registered at start. */
  readonly workspace?: string;
  /** JSON-lines decision log file (appended). */
  readonly logFile?: string;
  /** Also serve HTTPS with a self-signed certificate. */
  readonly tls?: boolean;
  /** Port of the HTTPS listener; 0 picks a free one. */
  readonly tlsPort?: number;
  readonly pythonPath?: string;
  /** Invocations of one function run at once, each in its own worker (default ENDPOINT_DEFAULT_CONCURRENCY). */
  readonly concurrency?: number;
  /** Also serve MQTT over TCP on this port (0 picks a free one). */
  readonly mqttPort?: number;
  /** Also serve MQTT over TLS (ALPN `mqtt`, the self-signed certificate) on this port (0 picks a free one). */
  readonly mqttsPort?: number;
  /** The path MQTT over WebSocket is served on, on the HTTP(S) listeners (default MQTT_WEBSOCKET_PATH, as AWS). */
  readonly wsPath?: string;
}

export interface EndpointListener {
  readonly protocol: 'http' | 'https' | 'mqtt' | 'mqtts';
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** HTTPS: the certificate to trust (curl --cacert, AWS_CA_BUNDLE). */
  readonly caFile?: string;
  /** HTTP and HTTPS: the path of MQTT over WebSocket (ws:// or wss:// URL + this path). */
  readonly wsPath?: string;
}

const LOCAL_PREFIX = `${ENDPOINT_LOCAL_PATH_PREFIX}/`;
/** `onConnectionsChanged`: at most one report per this many ms, listing at most this many connections. */
const CONNECTIONS_REPORT_MS = 100;
const CONNECTIONS_REPORT_MAX = 200;
/** A year: the clock is for watching lifetimes, not for overflowing timers. */
const MAX_CLOCK_ADVANCE_SECONDS = 365 * 86400;

export class LocalEndpoint {
  readonly listeners: EndpointListener[] = [];
  readonly context: EndpointContext;
  workspace?: WorkspaceRegistration;
  private readonly servers: http.Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly iot: IotApi;
  private readonly lambda: LambdaApi;
  private readonly tempRoot: string;
  private stopped = false;
  private mqtt?: MqttBroker;
  private connectionsTimer: NodeJS.Timeout | undefined;
  private readonly mqttServers: net.Server[] = [];

  /** Where MQTT over WebSocket is served (EndpointOptions.wsPath). */
  private readonly wsPath: string;

  private constructor(private readonly options: EndpointOptions) {
    this.wsPath = options.wsPath ?? MQTT_WEBSOCKET_PATH;
    const state = new EndpointState(options.stateDir ? path.resolve(options.stateDir) : undefined);
    this.tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-endpoint-'));
    this.context = {
      state,
      runtime: new LocalRuntime({
        maxWorkersPerHandler: options.concurrency ?? ENDPOINT_DEFAULT_CONCURRENCY,
        ...(options.pythonPath !== undefined ? { pythonPath: options.pythonPath } : {}),
      }),
      accountId: options.accountId ?? LOCAL_ACCOUNT_ID,
      defaultRegion: options.region ?? LOCAL_DEFAULT_REGION,
      tempRoot: this.tempRoot,
      log: new DecisionLog(options.logFile),
      messages: new MessageStore(),
      counters: newCounters(),
      clock: new EndpointClock(MIN_REFRESH_SECONDS * 1000),
      url: () => this.listeners[0]?.url ?? '',
    };
    this.iot = new IotApi(this.context);
    this.lambda = new LambdaApi(this.context);
  }

  /** Loads the state, registers the workspace, and listens; resolves once every listener is ready. */
  static async start(options: EndpointOptions = {}): Promise<LocalEndpoint> {
    const wsProblem = options.wsPath !== undefined ? webSocketPathProblem(options.wsPath) : undefined;
    if (wsProblem) throw new UserError(`MQTT over WebSocket path: ${wsProblem}`);
    const endpoint = new LocalEndpoint(options);
    try {
      endpoint.context.state.load();
      if (options.workspace) endpoint.workspace = await registerWorkspace(endpoint.context, path.resolve(options.workspace));
      const host = options.host ?? ENDPOINT_DEFAULT_HOST;
      endpoint.mqtt = await MqttBroker.create(endpoint.context);
      await endpoint.listen(http.createServer(), 'http', host, options.port ?? 0);
      const cert = options.tls || options.mqttsPort !== undefined
        ? await selfSignedCertificate(options.stateDir ? path.resolve(options.stateDir, 'tls') : path.join(endpoint.tempRoot, 'tls'), host)
        : undefined;
      if (options.tls && cert) await endpoint.listen(https.createServer({ key: cert.key, cert: cert.cert }), 'https', host, options.tlsPort ?? 0, cert.certFile);
      if (options.mqttPort !== undefined) await endpoint.listenMqtt(host, options.mqttPort);
      if (options.mqttsPort !== undefined && cert) await endpoint.listenMqtt(host, options.mqttsPort, cert);
    } catch (e) {
      await endpoint.stop();
      throw e;
    }
    return endpoint;
  }

  get url(): string {
    return this.context.url();
  }

  get log(): DecisionLog {
    return this.context.log;
  }

  /** The live MQTT connections. */
  get connections(): MqttConnectionInfo[] {
    return this.mqtt?.connections ?? [];
  }

  /**
   * Calls `listener` with the live MQTT connections (at most CONNECTIONS_REPORT_MAX, and their
   * total) after one opens or closes; changes within CONNECTIONS_REPORT_MS come as one call, so
   * a thousand connects do not print a thousand growing lists.
   */
  onConnectionsChanged(listener: (connections: MqttConnectionInfo[], total: number) => void): void {
    if (!this.mqtt) return;
    this.mqtt.onConnectionsChanged = () => {
      if (this.connectionsTimer || this.stopped) return;
      this.connectionsTimer = setTimeout(() => {
        this.connectionsTimer = undefined;
        const all = this.connections;
        listener(all.slice(0, CONNECTIONS_REPORT_MAX), all.length);
      }, CONNECTIONS_REPORT_MS);
    };
  }

  private listen(server: http.Server, protocol: 'http' | 'https', host: string, port: number, caFile?: string): Promise<void> {
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.route(req, res, protocol === 'https').catch((e: unknown) => this.internalError(res, e));
    });
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    server.on('secureConnection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    // MQTT over WebSocket at wsPath (/mqtt as AWS); the WebSocket sub-protocols AWS IoT's clients ask for.
    server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head, protocol === 'https'));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      this.context.counters.malformedHttp++;
      if (!socket.writable || socket.destroyed) return socket.destroy();
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const body = JSON.stringify({ message: status === 431 ? 'Request header fields too large' : status === 408 ? 'Request timeout' : 'Bad request' });
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
    this.servers.push(server);
    return this.bind(server, protocol, host, port, caFile);
  }

  /** Listens on host:port and records the listener with the port actually bound (port 0 picks a free one). */
  private bind(server: net.Server, protocol: EndpointListener['protocol'], host: string, port: number, caFile?: string): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host, backlog: ENDPOINT_LISTEN_BACKLOG }, () => {
        server.off('error', reject);
        const address = server.address();
        const actual = typeof address === 'object' && address ? address.port : port;
        const shownHost = host.includes(':') ? `[${host}]` : host;
        const ws = protocol === 'http' || protocol === 'https' ? { wsPath: this.wsPath } : {};
        this.listeners.push({ protocol, host, port: actual, url: `${protocol}://${shownHost}:${actual}`, ...(caFile ? { caFile } : {}), ...ws });
        resolve();
      });
    });
  }

  /** The MQTT broker, once an MQTT listener is up. */
  get broker(): MqttBroker | undefined {
    return this.mqtt;
  }

  /** MQTT over TCP, or over TLS with ALPN `mqtt` (as devices reach AWS on port 443) when `cert` is given. */
  private async listenMqtt(host: string, port: number, cert?: EndpointCertificate): Promise<void> {
    const broker = this.mqtt;
    if (!broker) throw new Error('The MQTT broker starts before the MQTT listener.');
    const serve = (socket: Socket, serverName?: string) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      broker.handle(socket, { protocol: 'mqtt', tls: cert !== undefined, ...(serverName ? { serverName } : {}), ...(socket.remoteAddress ? { remoteAddress: socket.remoteAddress } : {}) });
    };
    // AWS serves custom authentication on port 443 only to TLS connections that ask for ALPN `mqtt`
    // (docs/aws-custom-auth.md: "Credentials on the wire"); without it the authorizer is never invoked.
    const serveTls = (s: tls.TLSSocket) => {
      if (s.alpnProtocol === 'mqtt') return serve(s, s.servername || undefined);
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
      broker.refuseConnection(
        { protocol: 'mqtt', tls: true, ...(s.servername ? { serverName: s.servername } : {}), ...(s.remoteAddress ? { remoteAddress: s.remoteAddress } : {}) },
        'TLS connection without the ALPN protocol "mqtt": on port 443 AWS IoT takes MQTT with custom authentication only when the client asks for ALPN "mqtt"; without it the authorizer is never invoked.',
        'Set ALPN "mqtt" on the TLS connection: mosquitto --tls-alpn mqtt, mqtt.js ALPNProtocols: [\'mqtt\'], the Device SDK v2 sets it for custom auth on port 443.',
      );
      s.destroy();
    };
    const server = cert
      ? tls.createServer({ key: cert.key, cert: cert.cert, ALPNProtocols: ['mqtt'] }, serveTls)
      : net.createServer((s) => serve(s));
    if (cert) server.on('tlsClientError', (_e: Error, s: Socket) => s.destroy());
    this.mqttServers.push(server);
    await this.bind(server, cert ? 'mqtts' : 'mqtt', host, port, cert?.certFile);
  }

  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 256 * 1024,
    handleProtocols: (offered: Set<string>) => ['mqtt', 'mqttv3.1', 'wss-custom-auth'].find((p) => offered.has(p)) ?? false,
  });

  private upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer, tls: boolean): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q >= 0 ? url.slice(0, q) : url;
    const broker = this.mqtt;
    if (rawPath !== this.wsPath || !broker) {
      const body = JSON.stringify({ message: `MQTT over WebSocket is served at ${this.wsPath}, not ${rawPath}.` });
      socket.end(`HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      stream.on('error', () => stream.destroy());
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      broker.handle(stream, {
        protocol: 'mqtt-ws',
        tls,
        path: rawPath,
        headers,
        ...(q >= 0 ? { queryString: url.slice(q + 1) } : {}),
        serverName: (req.socket as Socket & { servername?: string }).servername || (headers.host ?? '').replace(/:\d+$/, ''),
        ...(socket.remoteAddress ? { remoteAddress: socket.remoteAddress } : {}),
      });
    });
  }

  private clockState(): { now: string; offsetSeconds: number } {
    return { now: new Date(this.context.clock.now()).toISOString(), offsetSeconds: this.context.clock.offsetMs / 1000 };
  }

  /** `POST /_iot-authz/clock {"advance": "6h"}`: moves the endpoint clock forward; due lifetimes fire now. */
  private async advanceClock(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const text = (await readBody(req, 4096)).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const advance = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).advance : undefined;
    const seconds = typeof advance === 'number' ? advance : typeof advance === 'string' ? parseDurationSeconds(advance) : undefined;
    if (seconds === undefined || !(seconds >= 0) || seconds > MAX_CLOCK_ADVANCE_SECONDS) {
      return sendJson(res, 400, { message: `Send {"advance": "6h"} (s, m, h, d, or seconds as a number), from 0 to ${MAX_CLOCK_ADVANCE_SECONDS / 86400} days; got ${text.slice(0, 100) || 'an empty body'}.` });
    }
    const c = this.context.counters;
    const before = { refreshes: c.mqttRefreshes, disconnects: c.mqttLifetimeDisconnects };
    const timersFired = await this.context.clock.advance(seconds * 1000);
    sendJson(res, 200, {
      advancedSeconds: seconds,
      ...this.clockState(),
      timersFired,
      mqttRefreshes: c.mqttRefreshes - before.refreshes,
      mqttLifetimeDisconnects: c.mqttLifetimeDisconnects - before.disconnects,
    });
  }

  /** `POST /_iot-authz/connections/{clientId}/disconnect`: closes that MQTT connection, as a broker restart would. */
  private disconnectClient(res: http.ServerResponse, rawClientId: string): void {
    let clientId: string;
    try {
      clientId = decodeURIComponent(rawClientId);
    } catch {
      return sendJson(res, 400, { message: `The client id in the path is not valid percent-encoding: ${rawClientId.slice(0, 100)}.` });
    }
    if (!this.mqtt?.disconnect(clientId)) {
      return sendJson(res, 404, { message: `No live MQTT connection with client id "${clientId}"; GET ${ENDPOINT_LOCAL_PATH_PREFIX}/health lists them.` });
    }
    sendJson(res, 200, { disconnected: clientId, connections: this.connections });
  }

  private internalError(res: http.ServerResponse, e: unknown): void {
    process.stderr.write(`iot-authz endpoint: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, 500, { __type: 'InternalFailureException', message: 'Internal error in the local endpoint; see its standard error.' }, { 'x-amzn-errortype': 'InternalFailureException' });
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse, tls: boolean): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q >= 0 ? url.slice(0, q) : url;
    const rawQuery = q >= 0 ? url.slice(q + 1) : '';
    const query = new URLSearchParams(rawQuery);
    const scope = sigV4Scope(req, query);
    const region = scope?.region ?? this.context.defaultRegion;
    const method = req.method ?? 'GET';

    if (rawPath.startsWith('/topics/')) {
      if (method !== 'POST') return sendJson(res, 405, { message: `${method} is not supported on /topics: publish with POST.` }, { allow: 'POST' });
      return handlePublish(this.context, { req, res, rawTopic: rawPath.slice('/topics/'.length), query, rawQuery, tls, ...(scope ? { sigv4: scope } : {}) });
    }
    if (rawPath === `${LOCAL_PREFIX}clock` && method === 'POST') return this.advanceClock(req, res);
    const disconnect = /^\/_iot-authz\/connections\/([^/]+)\/disconnect$/.exec(rawPath);
    if (disconnect && method === 'POST') return this.disconnectClient(res, disconnect[1]);
    if (rawPath.startsWith(LOCAL_PREFIX)) return this.localApi(req, res, rawPath.slice(LOCAL_PREFIX.length), query);

    const isLambda = rawPath === LAMBDA_API_VERSION_PATH || rawPath.startsWith(`${LAMBDA_API_VERSION_PATH}/`);
    const service: ApiService = isLambda || scope?.service === 'lambda' ? 'lambda' : 'iot';
    try {
      const rest = isLambda ? rawPath.slice(LAMBDA_API_VERSION_PATH.length) : rawPath;
      const segments = rest.replace(/^\//, '').split('/').map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          throw new AwsApiError(400, service === 'lambda' ? 'InvalidParameterValueException' : 'InvalidRequestException', `The path ${rawPath} is not valid percent-encoding.`);
        }
      });
      if (!isLambda && service === 'lambda') throw new AwsApiError(404, 'UnknownOperationException', `Unknown operation ${method} ${rawPath}`);
      if (isLambda) await this.lambda.handle({ req, res, segments, query, region });
      else await this.iot.handle({ req, res, segments, query, region, host: req.headers.host ?? `${this.listeners[0]?.host}:${this.listeners[0]?.port}` });
    } catch (e) {
      if (!(e instanceof AwsApiError)) throw e;
      // The rest of an unread body is drained so the connection stays usable.
      if (!req.complete) req.resume();
      sendAwsError(res, service, e);
    }
  }

  private localApi(req: http.IncomingMessage, res: http.ServerResponse, what: string, query: URLSearchParams): void {
    const limit = query.has('limit') ? Math.max(1, Number(query.get('limit')) || 1) : undefined;
    if (req.method !== 'GET') return sendJson(res, 405, { message: 'The endpoint API is read-only (use GET), except POST /_iot-authz/clock and POST /_iot-authz/connections/{clientId}/disconnect.' });
    if (what === 'connections') return sendJson(res, 200, { connections: this.connections });
    if (what === 'clock') return sendJson(res, 200, this.clockState());
    if (what === 'health') {
      return sendJson(res, 200, {
        status: 'ok',
        listeners: this.listeners,
        accountId: this.context.accountId,
        region: this.context.defaultRegion,
        concurrency: this.options.concurrency ?? ENDPOINT_DEFAULT_CONCURRENCY,
        authorizers: [...this.context.state.authorizers.keys()],
        defaultAuthorizer: this.context.state.defaultAuthorizer ?? null,
        functions: [...this.context.state.functions.keys()],
        counters: this.context.counters,
        /** TCP connections open on every listener (HTTP keep-alive, MQTT, WebSocket), this request's included. */
        openSockets: this.sockets.size,
        connections: this.connections,
      });
    }
    if (what === 'messages') {
      const topic = query.get('topic') ?? undefined;
      return sendJson(res, 200, { messages: this.context.messages.recent({ ...(topic !== undefined ? { topic } : {}), ...(limit ? { limit } : {}) }) });
    }
    if (what === 'decisions') return sendJson(res, 200, { decisions: this.context.log.recent(limit) });
    sendJson(res, 404, { message: `Unknown endpoint path ${ENDPOINT_LOCAL_PATH_PREFIX}/${what}: use health, messages, decisions, connections or clock.` });
  }

  /** Closes every connection and listener, ends the handler workers, flushes the log; idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.connectionsTimer);
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const m of this.mqttServers) closing.push(new Promise<void>((resolve) => m.close(() => resolve())));
    for (const s of this.sockets) s.destroy();
    for (const s of this.servers) s.closeAllConnections();
    await Promise.all(closing);
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    await this.mqtt?.close();
    this.context.clock.dispose();
    this.lambda.settleAll();
    await this.context.runtime.dispose();
    await this.context.log.close();
    fs.rmSync(this.tempRoot, { recursive: true, force: true });
  }
}
