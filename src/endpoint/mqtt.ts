// MQTT for the local endpoint: the aedes broker does the protocol and the routing; these hooks
// enforce custom authentication in AWS's order, with the same stages as HTTP publish
// (publish.ts): CONNECT runs authorizer → signature → permission → handler → answer →
// iot:Connect on client/<clientId>; PUBLISH needs iot:Publish (and iot:RetainPublish when
// retained); SUBSCRIBE iot:Subscribe on topicfilter/<filter>; each delivery iot:Receive.
// Every decision goes to the endpoint's decision log.
//
// How a refusal looks to the client (docs/aws-custom-auth.md, domain §8 and §10):
// - CONNECT refused: the connection is closed without a CONNACK (AWS with MQTT 3.1.1).
// - MQTT 5 CONNECT: aedes speaks MQTT 3.1 / 3.1.1 only, so the endpoint answers CONNACK
//   reason 0x84 (unsupported protocol version) and closes; the decision log says why.
// - PUBLISH refused: the client is disconnected (AWS documents this for MQTT 3.1.1).
// - SUBSCRIBE refused: SUBACK return code 0x80 for that filter; the connection stays.
// - RECEIVE refused: the message is not delivered to that client.
// The HTTP publish path and MQTT share one message flow: an HTTP publish is routed to MQTT
// subscribers, and an MQTT publish is kept in the message store the HTTP GET reads.
import { randomUUID } from 'crypto';
import type { Duplex } from 'stream';
import { performance } from 'perf_hooks';
import { Aedes } from 'aedes';
import type { Client, PublishPacket, Subscription, ConnectPacket, AedesPublishPacket } from 'aedes';
import { AUTHORIZER_NAME_PARAM, ENDPOINT_LOCAL_PATH_PREFIX, MAX_SIGNATURE_LENGTH, MAX_TOKEN_LENGTH, DEFAULT_REFRESH_SECONDS, DEFAULT_DISCONNECT_SECONDS } from '../core/constants';
import { credentialReader } from '../core/credentials';
import { buildAuthorizerEvent, AuthorizerEvent } from '../core/events';
import { evaluatePolicies, AuthorizationDecision, AuthorizationRequest, PolicyContext } from '../core/policy';
import { eventConfigOf, publicKeysOf } from './authorizers';
import { EndpointContext, regionOfArn } from './context';
import type { EndpointDecision, StageName } from './decisions';
import { CachedAnswer, checkPermission, decisionTimings, Facts, invokeForAnswer, policyRefusal, Refusal, Trace } from './publish';
import type { ClockTimer } from './clock';
import type { AuthorizerRecord } from './state';
import { plural } from '../core/text';

/** The server name a device would send (SNI), when the transport gives none. */
const DEFAULT_SERVER_NAME = 'localhost';

interface Session {
  readonly clientId: string;
  readonly protocol: 'mqtt' | 'mqtt-ws';
  readonly tls: boolean;
  /** MQTT over WebSocket: the path the client upgraded on (`--ws-path`); '' over TCP and TLS. */
  readonly path: string;
  readonly username?: string;
  readonly authorizer: AuthorizerRecord;
  answer: CachedAnswer;
  pctx: PolicyContext;
  readonly connectedAt: number;
  readonly timers: ClockTimer[];
  refreshAt: number;
  readonly disconnectAt: number;
}

export interface MqttConnectionInfo {
  readonly clientId: string;
  readonly principalId: string;
  readonly authorizer: string;
  readonly protocol: 'mqtt' | 'mqtt-ws';
  readonly connectedAt: string;
  readonly nextRefreshAt: string;
  readonly disconnectAt: string;
}

/** The MQTT 5 CONNACK with reason 0x84 (unsupported protocol version), no properties. */
const CONNACK_V5_UNSUPPORTED = Buffer.from([0x20, 0x03, 0x00, 0x84, 0x00]);

interface ConnectionMeta {
  protocol: 'mqtt' | 'mqtt-ws';
  tls: boolean;
  /** MQTT over WebSocket: the path of the upgrade request, without its query string. */
  path?: string;
  serverName?: string;
  remoteAddress?: string;
  headers?: Record<string, string>;
  queryString?: string;
}

export class MqttBroker {
  private readonly sessions = new Map<Client, Session>();
  private readonly meta = new WeakMap<object, ConnectionMeta>();
  /** Called when a connection opens or closes (the CLI's `--json` prints the list then). */
  onConnectionsChanged: (() => void) | undefined;
  private readonly onMessage: (m: { topic: string; qos: number; retain: boolean; payloadBase64: string; via?: string }, payload: Buffer | undefined) => void;

  private constructor(private readonly ctx: EndpointContext, readonly aedes: Aedes) {
    aedes.preConnect = (client, packet, done) => {
      this.connect(client, packet).then(
        (ok) => done(ok ? null : new Error('not authorized'), ok),
        (e: unknown) => {
          const message = e instanceof Error ? e.message : String(e);
          process.stderr.write(`iot-authz endpoint: internal error on MQTT CONNECT: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
          // Logged as a decision too: the device was refused (and a handler may have run).
          this.refuseConnection(this.meta.get(client.conn), `An internal error of the local endpoint closed the CONNECT: ${message}`, 'Report it with the decision log line; the device itself may be fine.', packet.clientId);
          done(new Error('internal error'), false);
        },
      );
    };
    aedes.authenticate = (_client, _username, _password, done) => done(null, true);
    aedes.authorizePublish = (client, packet, done) => done(this.publish(client, packet));
    aedes.authorizeSubscribe = (client, sub, done) => done(null, this.subscribe(client, sub));
    aedes.authorizeForward = (client, packet) => this.forward(client, packet);
    aedes.on('clientDisconnect', (client) => this.forget(client));
    aedes.on('clientError', (client) => this.forget(client));
    aedes.on('publish', (packet, client) => {
      if (!client) return;
      const session = this.sessions.get(client);
      ctx.messages.add({
        topic: packet.topic,
        qos: packet.qos,
        retain: packet.retain,
        payloadBase64: Buffer.from(packet.payload).toString('base64'),
        receivedAt: new Date().toISOString(),
        traceId: randomUUID(),
        via: 'mqtt',
        clientId: client.id,
        ...(session ? { authorizer: session.authorizer.authorizerName, principalId: session.answer.principalId } : {}),
      });
    });
    // HTTP publishes reach MQTT subscribers (iot:Receive is checked per delivery).
    this.onMessage = (m, payload) => {
      if (m.via === 'mqtt') return;
      aedes.publish({ cmd: 'publish', topic: m.topic, payload: payload ?? Buffer.from(m.payloadBase64, 'base64'), qos: m.qos as 0 | 1, retain: m.retain, dup: false }, () => undefined);
    };
    ctx.messages.on('message', this.onMessage);
  }

  static async create(ctx: EndpointContext): Promise<MqttBroker> {
    const aedes = await Aedes.createBroker({ heartbeatInterval: 60_000, connectTimeout: 30_000 });
    return new MqttBroker(ctx, aedes);
  }

  /** Serves one MQTT connection (a TCP or TLS socket, or a WebSocket stream). */
  handle(stream: Duplex, meta: ConnectionMeta): void {
    this.meta.set(stream, meta);
    const client = this.aedes.handle(stream);
    // Also when the connection ends before aedes registers the client (no clientDisconnect then).
    stream.once('close', () => this.forget(client));
  }

  get connections(): MqttConnectionInfo[] {
    return [...this.sessions.values()].map((s) => ({
      clientId: s.clientId,
      principalId: s.answer.principalId,
      authorizer: s.authorizer.authorizerName,
      protocol: s.protocol,
      connectedAt: new Date(s.connectedAt).toISOString(),
      nextRefreshAt: new Date(s.refreshAt).toISOString(),
      disconnectAt: new Date(s.disconnectAt).toISOString(),
    }));
  }

  async close(): Promise<void> {
    this.ctx.messages.off('message', this.onMessage);
    for (const s of this.sessions.values()) for (const t of s.timers) this.ctx.clock.clearTimeout(t);
    this.sessions.clear();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }

  private forget(client: Client): void {
    const s = this.sessions.get(client);
    if (!s) return;
    for (const t of s.timers) this.ctx.clock.clearTimeout(t);
    this.sessions.delete(client);
    this.ctx.counters.mqttConnectionsOpen = this.sessions.size;
    this.onConnectionsChanged?.();
  }

  /** Closes the live connection of `clientId` (the endpoint API's disconnect); false when there is none. */
  disconnect(clientId: string): boolean {
    for (const [client, s] of this.sessions) {
      if (s.clientId !== clientId) continue;
      this.record({
        request: this.opRequest(s, 'DISCONNECT'),
        ...this.sessionWho(s),
        allowed: false,
        status: 403,
        answer: 'connection closed',
        decidedBy: 'transport',
        reason: `Disconnected on request (VS Code's Disconnect or POST ${ENDPOINT_LOCAL_PATH_PREFIX}/connections/{clientId}/disconnect), not by the authorizer: the device sees the connection closed, as after a network loss or a broker restart, and should reconnect.`,
        stages: [{ stage: 'transport', status: 'failed', detail: `Connected since ${new Date(s.connectedAt).toISOString()}; closed on request.` }],
        t0: performance.now(),
        lifecycle: true,
      });
      client.close();
      this.forget(client);
      return true;
    }
    return false;
  }

  /**
   * Logs a decision. A refusal counts in refusedByStage unless it is a `lifecycle` event (a connection
   * closed at disconnectAfterInSeconds or on request): those end a session, they refuse nothing.
   */
  private record(
    d: Omit<EndpointDecision, 'id' | 'traceId' | 'at' | 'endpointUrl' | 'cached' | 'timings'> & {
      t0: number; cached?: boolean; handler?: Pick<Facts, 'handlerMs' | 'queuedMs' | 'cold'>; lifecycle?: boolean;
    },
  ): void {
    const { t0, handler, cached, lifecycle, ...rest } = d;
    if (!rest.allowed && !lifecycle) {
      this.ctx.counters.refusedByStage[rest.decidedBy] = (this.ctx.counters.refusedByStage[rest.decidedBy] ?? 0) + 1;
      if (rest.decidedBy === 'signature') this.ctx.counters.savedBySignatureGate++;
    }
    this.ctx.log.add({
      id: randomUUID(),
      traceId: randomUUID(),
      at: new Date(this.ctx.clock.now() - (performance.now() - t0)).toISOString(),
      ...rest,
      cached: cached ?? false,
      timings: decisionTimings(t0, handler ?? {}),
      endpointUrl: this.ctx.url(),
    });
  }

  /**
   * Logs a connection refused at the transport stage before (or outside) the CONNECT chain: a TLS
   * connection without ALPN `mqtt`, an internal error.
   */
  refuseConnection(meta: ConnectionMeta | undefined, reason: string, fix: string, clientId?: string): void {
    const m = meta ?? { protocol: 'mqtt', tls: false };
    this.record({
      request: {
        protocol: m.protocol, method: 'CONNECT', path: m.path ?? '', tls: m.tls,
        ...(m.remoteAddress ? { remoteAddress: m.remoteAddress } : {}),
        ...(clientId !== undefined ? { clientId } : {}),
        ...(m.serverName ? { serverName: m.serverName } : {}),
      },
      allowed: false,
      status: 403,
      answer: 'connection closed without CONNACK',
      decidedBy: 'transport',
      reason,
      fix,
      stages: [{ stage: 'transport', status: 'failed', detail: reason }],
      t0: performance.now(),
    });
  }

  /** CONNECT: the whole custom-auth chain, then iot:Connect. Resolves false when refused (closed without CONNACK). */
  private async connect(client: Client, packet: ConnectPacket): Promise<boolean> {
    const trace = new Trace();
    const meta = this.meta.get(client.conn) ?? { protocol: 'mqtt', tls: false };
    const partial: Facts = { cached: false };
    const username = packet.username;
    const clientId = packet.clientId ?? '';
    const version = packet.protocolVersion ?? 4;
    const request = {
      protocol: meta.protocol,
      method: 'CONNECT',
      path: meta.path ?? '',
      tls: meta.tls,
      ...(meta.remoteAddress ? { remoteAddress: meta.remoteAddress } : {}),
      clientId,
      ...(username !== undefined ? { username } : {}),
      protocolVersion: version,
      ...(meta.headers ? { headers: meta.headers } : {}),
      ...(meta.queryString ? { queryString: meta.queryString } : {}),
      serverName: meta.serverName ?? DEFAULT_SERVER_NAME,
    };
    const log = (allowed: boolean, answer: string, decidedBy: StageName, reason: string, fix?: string): void =>
      this.record({
        request: {
          ...request,
          ...(partial.credentialsIn ? { credentialsIn: partial.credentialsIn } : {}),
          ...(partial.token !== undefined ? { token: partial.token } : {}),
        },
        ...this.who(partial),
        allowed,
        status: allowed ? 200 : 403,
        answer,
        decidedBy,
        reason,
        ...(fix ? { fix } : {}),
        stages: trace.stages,
        ...this.facts(partial),
        t0: trace.t0,
        handler: partial,
      });
    const refuse = (r: Refusal, answer = 'connection closed without CONNACK'): false => {
      log(false, answer, r.stage, r.reason, r.fix);
      return false;
    };
    if (version === 5) {
      trace.fail('transport', 'MQTT 5 CONNECT: the broker library of the local endpoint (aedes) speaks MQTT 3.1 and 3.1.1 only. AWS IoT accepts MQTT 5.');
      // Written (flushed) before aedes closes the connection.
      await new Promise<void>((resolve) => client.conn.write(CONNACK_V5_UNSUPPORTED, () => resolve()));
      return refuse({ stage: 'transport', status: 403, reason: 'MQTT 5 is not supported by the local endpoint (aedes speaks MQTT 3.1.1); AWS IoT does support it.', fix: 'Connect with MQTT 3.1.1 (mqtt.js: protocolVersion 4; mosquitto: -V mqttv311).' }, 'CONNACK 0x84 (unsupported protocol version)');
    }
    if (clientId === '') {
      // AWS identifies every connection, and checks iot:Connect, by its client id; what it does with
      // an empty one over MQTT 3.1.1 is not documented. The endpoint refuses it before the handler.
      const reason = 'The CONNECT has an empty client id: AWS IoT identifies each connection by its client id, and iot:Connect is checked on client/<clientId>.';
      trace.fail('transport', reason);
      return refuse({ stage: 'transport', status: 403, reason, fix: 'Give the device a client id (usually its thing name); mqtt.js: clientId, mosquitto: -i.' });
    }
    trace.pass('transport', `MQTT ${version === 4 ? '3.1.1' : '3.1'} CONNECT over ${meta.protocol === 'mqtt-ws' ? 'WebSocket' : 'TCP'}${meta.tls ? ' with TLS' : ''}, client id "${clientId}".`);

    // authorizer: named, else the default
    // Parsed once: the name now, the token once the authorizer (and its tokenKeyName) is known.
    const read = credentialReader({ headers: meta.headers, queryString: meta.queryString, mqttUsername: username });
    const named = read(undefined);
    const name = named.authorizerName ?? this.ctx.state.defaultAuthorizer;
    const a = name !== undefined ? this.ctx.state.authorizers.get(name) : undefined;
    if (!a) {
      const reason = name === undefined
        ? `No ${AUTHORIZER_NAME_PARAM} in the username${meta.protocol === 'mqtt-ws' ? ', headers or query string' : ''}, and no default authorizer is set.`
        : `No authorizer named "${name}"${named.authorizerName === undefined ? ' (the default authorizer)' : ''}.`;
      trace.fail('authorizer', reason);
      return refuse({ stage: 'authorizer', status: 403, reason, fix: name === undefined ? `Put ?${AUTHORIZER_NAME_PARAM}=NAME&... in the MQTT username, or set a default authorizer.` : `Known authorizers: ${[...this.ctx.state.authorizers.keys()].join(', ') || 'none'} (names are case-sensitive).` });
    }
    partial.authorizer = a;
    if (a.status === 'INACTIVE') {
      trace.fail('authorizer', `Authorizer "${a.authorizerName}" is INACTIVE.`);
      return refuse({ stage: 'authorizer', status: 403, reason: `Authorizer "${a.authorizerName}" is INACTIVE.`, fix: `aws iot update-authorizer --authorizer-name ${a.authorizerName} --status ACTIVE` });
    }
    trace.pass('authorizer', `${named.authorizerName !== undefined ? 'Named' : 'Default'} authorizer "${a.authorizerName}" (ACTIVE).`);

    // signature, before anything runs
    const found = read(a.tokenKeyName);
    partial.token = found.token;
    partial.signatureValue = found.signature;
    if (found.source) partial.credentialsIn = found.source;
    if (found.token !== undefined && found.token.length > MAX_TOKEN_LENGTH) {
      trace.fail('signature', `The token is ${found.token.length} characters; AWS accepts at most ${MAX_TOKEN_LENGTH}.`);
      return refuse({ stage: 'signature', status: 403, reason: `Token longer than ${MAX_TOKEN_LENGTH} characters.` });
    }
    if (found.signature !== undefined && found.signature.length > MAX_SIGNATURE_LENGTH) {
      trace.fail('signature', `The signature is ${found.signature.length} characters; AWS accepts at most ${MAX_SIGNATURE_LENGTH}.`);
      return refuse({ stage: 'signature', status: 403, reason: `Signature longer than ${MAX_SIGNATURE_LENGTH} characters.` });
    }
    const build = await buildAuthorizerEvent({
      request: {
        protocol: meta.protocol === 'mqtt-ws' ? 'mqtt-wss' : 'mqtt',
        serverName: meta.serverName ?? DEFAULT_SERVER_NAME,
        headers: meta.protocol === 'mqtt-ws' ? { ...meta.headers } : {},
        ...(meta.protocol === 'mqtt-ws' && meta.queryString ? { queryString: meta.queryString } : {}),
        mqtt: { ...(username !== undefined ? { username } : {}), ...(packet.password !== undefined ? { passwordBase64: Buffer.from(packet.password).toString('base64') } : {}), clientId },
      },
      authorizer: eventConfigOf(a),
      publicKeys: a.signingDisabled ? [] : publicKeysOf(a),
    });
    partial.signature = build.gate.signature;
    partial.event = build.event;
    const s = build.gate.signature;
    if (s.status === 'disabled') trace.skip('signature', `Signing is disabled for "${a.authorizerName}": the handler is invoked for every CONNECT.`);
    else if (s.status !== 'verified') {
      // The username is decoded once, so a signature still URL-encoded after that was encoded twice.
      const twice = found.source === 'mqtt-username' && s.findings?.some((f) => f.code === 'SIGNATURE_URL_ENCODED');
      const diagnosis = twice ? `The signature in the MQTT username is URL-encoded twice (%252B for +): AWS decodes the username's parameters once and then finds %2B. ${s.diagnosis ?? ''}`.trim() : s.diagnosis;
      trace.fail('signature', diagnosis ?? `Signature ${s.status}.`);
      return refuse({
        stage: 'signature',
        status: 403,
        reason: `Signature ${s.status}${twice ? ' (URL-encoded twice)' : ''}: AWS closes the connection without invoking the authorizer.`,
        ...(twice ? { fix: 'URL-encode the signature once in the username (the device SDKs do so only when it holds no %), or not at all when it has no +, / or =.' } : diagnosis ? { fix: diagnosis } : {}),
      });
    } else trace.pass('signature', `Token signature verified with key "${s.keyName ?? '?'}".`);

    // permission, handler, answer
    const fn = checkPermission(this.ctx, a, trace);
    if ('stage' in fn) return refuse(fn);
    const answer = await invokeForAnswer(this.ctx, a, fn, trace, partial);
    if ('stage' in answer) return refuse(answer);
    partial.principalId = answer.principalId;
    const n = answer.validation.normalized;
    if (!n?.isAuthenticated) {
      trace.fail('answer', `The handler answered isAuthenticated false (principal ${answer.principalId}).`);
      return refuse({ stage: 'answer', status: 403, reason: `Denied by the handler: isAuthenticated false for principal ${answer.principalId}.` });
    }
    trace.pass('answer', `Valid: isAuthenticated true, principal ${answer.principalId}, ${plural(n.policyDocuments.length, 'policy document', 'policy documents')}.`);

    // policy: iot:Connect on client/<clientId>
    const region = regionOfArn(a.authorizerArn, this.ctx.defaultRegion);
    const pctx: PolicyContext = { region, accountId: this.ctx.accountId, principalId: answer.principalId, clientId };
    const d = this.evaluate(answer, pctx, { action: 'iot:Connect', clientId });
    partial.evaluation = { context: { region, accountId: pctx.accountId, principalId: answer.principalId, clientId }, decisions: [d], summary: answer.summary };
    if (!d.allowed) return refuse(policyRefusal(trace, d));
    trace.pass('policy', `iot:Connect on ${d.resourceArn} allowed.`);
    if (client.closed || client.conn.destroyed) {
      // The device left while it was being authorized (its close was handled already): a
      // session registered now would stay listed, and refreshed, for a connection that is gone.
      log(true, 'no CONNACK: the client had closed the connection', 'policy', `iot:Connect on ${d.resourceArn} allowed for ${answer.principalId}, but the client closed the connection before the answer; nothing was registered.`);
      return false;
    }

    const connectedAt = this.ctx.clock.now();
    const session: Session = {
      clientId,
      protocol: meta.protocol,
      tls: meta.tls,
      path: meta.path ?? '',
      ...(username !== undefined ? { username } : {}),
      authorizer: a,
      answer,
      pctx,
      connectedAt,
      timers: [],
      refreshAt: 0,
      disconnectAt: connectedAt + (n.disconnectAfterInSeconds ?? DEFAULT_DISCONNECT_SECONDS) * 1000,
    };
    this.sessions.set(client, session);
    this.ctx.counters.mqttConnectionsOpen = this.sessions.size;
    this.ctx.counters.mqttConnects++;
    this.schedule(client, session, n.refreshAfterInSeconds ?? DEFAULT_REFRESH_SECONDS, n.disconnectAfterInSeconds ?? DEFAULT_DISCONNECT_SECONDS);
    this.onConnectionsChanged?.();
    log(true, 'CONNACK 0 (accepted)', 'policy', `iot:Connect on ${d.resourceArn} allowed for ${answer.principalId}.`);
    return true;
  }

  /** Disconnect at disconnectAfterInSeconds; re-ask the handler every refreshAfterInSeconds (on the endpoint clock). */
  private schedule(client: Client, session: Session, refreshSeconds: number, disconnectSeconds: number): void {
    const clock = this.ctx.clock;
    session.timers.push(
      clock.setTimeoutAt(() => {
        const t0 = performance.now();
        this.ctx.counters.mqttLifetimeDisconnects++;
        this.record({
          request: this.opRequest(session, 'DISCONNECT'),
          ...this.sessionWho(session),
          allowed: false,
          status: 403,
          answer: 'connection closed',
          decidedBy: 'answer',
          reason: `disconnectAfterInSeconds (${disconnectSeconds} s) reached: AWS closes the connection; the device must reconnect (and is authorized again).`,
          stages: [{ stage: 'answer', status: 'failed', detail: `Connected since ${new Date(session.connectedAt).toISOString()}, ${disconnectSeconds} s ago on the endpoint clock.` }],
          t0,
          lifecycle: true,
        });
        client.close();
      }, session.disconnectAt, session),
    );
    this.scheduleRefresh(client, session, refreshSeconds, session.connectedAt);
  }

  /** The next refresh, refreshSeconds after `from` (the previous refresh's due time: an advance of the clock replays them on AWS's cadence). */
  private scheduleRefresh(client: Client, session: Session, refreshSeconds: number, from = this.ctx.clock.now()): void {
    session.refreshAt = from + refreshSeconds * 1000;
    session.timers.push(this.ctx.clock.setTimeoutAt((due) => this.refresh(client, session, due), session.refreshAt, session));
  }

  /** Invokes the handler again with the connection's event; its new answer applies from now on, a refusal closes the connection. */
  private async refresh(client: Client, session: Session, due: number): Promise<void> {
    // A refresh due when the session ends (refreshAfterInSeconds divides disconnectAfterInSeconds) is not made.
    if (this.sessions.get(client) !== session || due >= session.disconnectAt) return;
    const trace = new Trace();
    const partial: Facts = { cached: false, event: session.answer.event };
    this.ctx.counters.mqttRefreshes++;
    const fn = checkPermission(this.ctx, session.authorizer, trace);
    const answer = 'stage' in fn ? fn : await invokeForAnswer(this.ctx, session.authorizer, fn, trace, partial);
    if (this.sessions.get(client) !== session) return;
    const base = { request: this.opRequest(session, 'REFRESH'), ...this.sessionWho(session), stages: trace.stages, t0: trace.t0, ...(partial.response !== undefined ? { response: partial.response } : {}) };
    const refusal: Refusal | undefined = 'stage' in answer
      ? answer
      : !answer.validation.normalized?.isAuthenticated
        ? { stage: 'answer', status: 403, reason: `The handler answered isAuthenticated false for ${answer.principalId}.` }
        : undefined;
    if (refusal || 'stage' in answer) {
      const r = refusal ?? { stage: 'answer' as const, reason: 'No answer.' };
      this.record({ ...base, allowed: false, status: 403, answer: 'connection closed', decidedBy: r.stage, reason: `Policy refresh refused: ${r.reason}` });
      client.close();
      return;
    }
    trace.pass('answer', `Valid: isAuthenticated true, principal ${answer.principalId}.`);
    session.answer = answer;
    session.pctx = { ...session.pctx, principalId: answer.principalId };
    const next = answer.validation.normalized?.refreshAfterInSeconds ?? DEFAULT_REFRESH_SECONDS;
    this.scheduleRefresh(client, session, next, due);
    this.onConnectionsChanged?.(); // principal and next refresh changed
    this.record({ ...base, allowed: true, status: 200, answer: 'policies replaced', decidedBy: 'answer', reason: `Policies refreshed for ${answer.principalId} (refreshAfterInSeconds); the new answer applies from now on; next refresh in ${next} s.` });
  }

  private publish(client: Client | null, packet: PublishPacket): Error | null {
    const session = client ? this.sessions.get(client) : undefined;
    if (!session) return null; // the broker's own publishes (HTTP bridge)
    const t0 = performance.now();
    const requests: AuthorizationRequest[] = [{ action: 'iot:Publish', topic: packet.topic }];
    if (packet.retain) requests.push({ action: 'iot:RetainPublish', topic: packet.topic });
    const decisions = requests.map((r) => this.evaluate(session.answer, session.pctx, r));
    const request = { ...this.opRequest(session, 'PUBLISH'), topic: packet.topic, qos: packet.qos, retain: packet.retain };
    const refused = this.recordByPolicy(session, request, t0, decisions, {
      allowed: packet.qos > 0 ? 'PUBACK' : 'accepted',
      refused: 'disconnected (AWS closes an MQTT 3.1.1 connection on an unauthorized publish)',
      withEvaluation: true,
    });
    if (refused) return new Error(refused);
    this.ctx.counters.published++;
    return null;
  }

  private subscribe(client: Client, sub: Subscription): Subscription | null {
    const session = this.sessions.get(client);
    if (!session) return null;
    const t0 = performance.now();
    const d = this.evaluate(session.answer, session.pctx, { action: 'iot:Subscribe', topicFilter: sub.topic });
    const request = { ...this.opRequest(session, 'SUBSCRIBE'), topicFilter: sub.topic, qos: sub.qos };
    if (this.recordByPolicy(session, request, t0, [d], { allowed: `SUBACK ${Math.min(sub.qos, 1)}`, refused: 'SUBACK 0x80 (failure)', withEvaluation: true })) return null;
    // AWS IoT supports QoS 0 and 1 only.
    return sub.qos > 1 ? { ...sub, qos: 1 } : sub;
  }

  private forward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    const session = this.sessions.get(client);
    if (!session) return null;
    const t0 = performance.now();
    const d = this.evaluate(session.answer, session.pctx, { action: 'iot:Receive', topic: packet.topic });
    const request = { ...this.opRequest(session, 'RECEIVE'), topic: packet.topic, qos: packet.qos };
    if (this.recordByPolicy(session, request, t0, [d], { allowed: 'delivered', refused: 'not delivered', withEvaluation: false })) return null;
    return packet;
  }

  private evaluate(answer: CachedAnswer, pctx: PolicyContext, r: AuthorizationRequest): AuthorizationDecision {
    const key = `${r.action} ${pctx.clientId ?? ''} ${r.topic ?? r.topicFilter ?? r.clientId ?? ''}`;
    let d = answer.decided.get(key);
    if (!d) {
      d = evaluatePolicies(answer.documents, r, pctx);
      if (answer.decided.size < 1000) answer.decided.set(key, d);
    }
    return d;
  }

  /**
   * Logs an operation of a live session that its policies decided (PUBLISH, SUBSCRIBE, delivery):
   * refused at the first denied decision, else allowed. `allowed` / `refused` are what the client
   * saw. Returns the refusal's reason, or undefined when allowed.
   */
  private recordByPolicy(
    session: Session,
    request: EndpointDecision['request'],
    t0: number,
    decisions: AuthorizationDecision[],
    answers: { allowed: string; refused: string; withEvaluation: boolean },
  ): string | undefined {
    const denied = decisions.find((d) => !d.allowed);
    if (denied) {
      const trace = new Trace();
      const r = policyRefusal(trace, denied);
      const evaluation = answers.withEvaluation ? { evaluation: { context: session.pctx, decisions, summary: session.answer.summary } } : {};
      this.record({ request, ...this.sessionWho(session), allowed: false, status: 403, answer: answers.refused, decidedBy: 'policy', reason: r.reason, ...(r.fix ? { fix: r.fix } : {}), stages: trace.stages, ...evaluation, t0 });
      return r.reason;
    }
    const reason = `${decisions.map((d) => `${d.action} on ${d.resourceArn}`).join(' and ')} allowed for ${session.answer.principalId}.`;
    this.record({ request, ...this.sessionWho(session), allowed: true, status: 200, answer: answers.allowed, decidedBy: 'policy', reason, stages: [{ stage: 'policy', status: 'passed', detail: 'Allowed by the connection\'s policies.' }], cached: true, t0 });
    return undefined;
  }

  private opRequest(s: Session, method: string): EndpointDecision['request'] {
    return { protocol: s.protocol, method, path: s.path, tls: s.tls, clientId: s.clientId, ...(s.username !== undefined ? { username: s.username } : {}) };
  }

  private sessionWho(s: Session): Pick<EndpointDecision, 'authorizer' | 'authorizerArn' | 'functionArn' | 'principalId'> {
    const a = s.authorizer;
    return { authorizer: a.authorizerName, authorizerArn: a.authorizerArn, functionArn: a.authorizerFunctionArn, principalId: s.answer.principalId };
  }

  private who(p: Facts): Pick<EndpointDecision, 'authorizer' | 'authorizerArn' | 'functionArn'> {
    const a = p.authorizer;
    return a ? { authorizer: a.authorizerName, authorizerArn: a.authorizerArn, functionArn: a.authorizerFunctionArn } : {};
  }

  /** What the stages learnt, for the decision; the MQTT password is replaced by its length. */
  private facts(p: Facts): Partial<EndpointDecision> {
    return {
      ...(p.signature ? { signature: p.signature } : {}),
      ...(p.event ? { event: redactPassword(p.event) } : {}),
      ...(p.response !== undefined ? { response: p.response } : {}),
      ...(p.handlerError ? { handlerError: p.handlerError } : {}),
      ...(p.validation ? { validation: p.validation } : {}),
      ...(p.evaluation ? { evaluation: p.evaluation } : {}),
      ...(p.principalId !== undefined ? { principalId: p.principalId } : {}),
      ...(p.logs ? { logs: p.logs } : {}),
    };
  }
}

function redactPassword(event: AuthorizerEvent): AuthorizerEvent {
  const mqtt = event.protocolData.mqtt;
  if (!mqtt?.password) return event;
  return { ...event, protocolData: { ...event.protocolData, mqtt: { ...mqtt, password: `<redacted: ${Buffer.from(mqtt.password, 'base64').length} bytes>` } } };
}

export type { StageName };
