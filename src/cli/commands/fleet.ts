// `iot-authz fleet`: N simulated devices (mqtt.js) connect with signed tokens, hold, publish and
// reconnect for a while; the report (core/fleet.ts) gives authorization latency, handler
// invocations per device-hour over the run, and the monthly invocation count at the user's fleet
// size as the steady state of the pattern (refreshAfterInSeconds and disconnectAfterInSeconds
// read from the local endpoint's live connections, or given, or AWS's defaults).
import * as path from 'path';
import { performance } from 'perf_hooks';
import type { IClientOptions, MqttClient } from 'mqtt';
import { CliCommand, optionValue, ParsedArgs, UsageError } from '../args';
import { AUTHORIZER_NAME_PATTERN, ENDPOINT_LOCAL_PATH_PREFIX, MAX_DISCONNECT_SECONDS, MAX_REFRESH_SECONDS, MIN_DISCONNECT_SECONDS, MIN_REFRESH_SECONDS, TOKEN_KEY_NAME_PATTERN } from '../../core/constants';
import { credentialsToMqttUsername } from '../../core/credentials';
import { parseDurationSeconds } from '../../core/duration';
import { UserError } from '../../core/errors';
import {
  EndpointCounterSnapshot, FleetLifetime, fleetReport, FleetMeasurement, formatFleetReport, lifetimeOfConnection, LiveConnectionTimes, reconnectsPerDevice,
} from '../../core/fleet';
import { signToken } from '../../core/tokens';
import { loadPrivateKeyArg, PASSPHRASE_ENV_OPTION, readTextFile } from './sign';

const MAX_DEVICES = 5000;
const MAX_DURATION_SECONDS = 86400;
const MAX_FLEET_SIZE = 1e9;
/** How long a device waits for CONNACK before giving up (counted as timed out, not refused). */
const CONNECT_TIMEOUT_MS = 30_000;
/** How long a device waits for outstanding PUBACKs before it disconnects. */
const ACK_GRACE_MS = 2_000;

function positiveInt(args: ParsedArgs, name: string, max: number, fallback?: number): number {
  const text = optionValue(args, name);
  if (text === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`--${name} N is required. See: iot-authz fleet --help`);
  }
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max) throw new UsageError(`--${name} ${text}: give a whole number from 1 to ${max}.`);
  return n;
}

function duration(args: ParsedArgs, name: string, required: boolean): number | undefined {
  const text = optionValue(args, name);
  if (text === undefined) {
    if (required) throw new UsageError(`--${name} DURATION is required (such as 30s, 5m, 1h). See: iot-authz fleet --help`);
    return undefined;
  }
  const s = parseDurationSeconds(text);
  if (s === undefined || !(s > 0) || s > MAX_DURATION_SECONDS) throw new UsageError(`--${name} ${text}: give a duration above 0 and at most 1d, such as 30s, 5m or 1h (a bare number is seconds).`);
  return s;
}

/** --refresh-after / --disconnect-after: whole seconds in AWS's range for the answer's field. */
function lifetimeOption(args: ParsedArgs, name: string, field: string, min: number, max: number): number | undefined {
  const text = optionValue(args, name);
  if (text === undefined) return undefined;
  const s = parseDurationSeconds(text);
  if (s === undefined || !Number.isInteger(s) || s < min || s > max) {
    throw new UsageError(`--${name} ${text}: give your handler's ${field}, whole seconds from ${min} to ${max} (AWS's range), such as 300, 5m or 1h.`);
  }
  return s;
}

async function getJson(url: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new UserError(`Cannot reach ${url}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}. Is the endpoint running (iot-authz endpoint --mqtt-port 0)?`);
  }
  const body = (await res.json().catch(() => undefined)) as unknown;
  if (!res.ok || body === undefined) throw new UserError(`${url} answered ${res.status}${body && typeof body === 'object' && 'message' in body ? `: ${String((body as { message: unknown }).message)}` : ''}. Is --endpoint the local endpoint's HTTP URL as it printed when ready?`);
  return body;
}

interface Health {
  listeners?: Array<{ protocol?: string; url?: string; caFile?: string }>;
  counters?: EndpointCounterSnapshot;
}

interface Connections {
  connections?: Array<LiveConnectionTimes & { clientId?: unknown }>;
}

async function readHealth(endpointUrl: string): Promise<Health> {
  const h = (await getJson(`${endpointUrl}${ENDPOINT_LOCAL_PATH_PREFIX}/health`)) as Health;
  if (!h.counters) throw new UserError(`${endpointUrl} is not an iot-authz local endpoint (its health has no counters). Give --url mqtt://HOST:PORT for another MQTT endpoint.`);
  return h;
}


const fill = (template: string, clientId: string, n: number): string => template.replace(/\{clientId\}/g, clientId).replace(/\{n\}/g, String(n));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export const fleetCommand: CliCommand = {
  name: 'fleet',
  summary: 'Connect N simulated MQTT devices with signed tokens; report auth latency and the monthly authorizer invocations.',
  usage: 'iot-authz fleet --devices N --duration S (--endpoint HTTP-URL [--tls] | --url mqtt[s]://HOST:PORT [--ca FILE]) --authorizer NAME (--key FILE|NAME | --signature SIG) [--token TEMPLATE] [--token-key-name KEY] [--reconnect-every S] [--publish-every S] [--fleet-size N] [--refresh-after S] [--disconnect-after S] [--json]',
  options: [
    { name: 'devices', value: 'N', description: `Simulated devices, connected at once (1 to ${MAX_DEVICES}).` },
    { name: 'duration', value: 'S', description: 'How long to run (30s, 5m, 1h; a bare number is seconds).' },
    { name: 'endpoint', value: 'URL', description: 'The local endpoint\'s HTTP URL (as printed when ready): its MQTT listener is used and its counters read.' },
    { name: 'url', value: 'URL', description: 'The MQTT endpoint: mqtt://HOST:PORT or mqtts://HOST:PORT (any broker; without --endpoint, handler figures are unknown).' },
    { name: 'ca', value: 'FILE', description: 'For mqtts://: the CA certificate to trust (the local endpoint prints its path).' },
    { name: 'tls', description: 'With --endpoint: connect over its MQTT-over-TLS listener (ALPN mqtt, as devices reach AWS on port 443), trusting its certificate.' },
    { name: 'authorizer', value: 'NAME', description: 'The authorizer name sent in the username (x-amz-customauthorizer-name).' },
    { name: 'token-key-name', value: 'KEY', description: "The authorizer's tokenKeyName (read from the local endpoint when omitted)." },
    { name: 'token', value: 'TEMPLATE', description: 'Each device\'s token; {clientId} and {n} are replaced (default "allow-{clientId}", as the example authorizer expects).' },
    { name: 'key', value: 'FILE|NAME', description: 'The private key signing each token: a PEM file, or a key name in the workspace key store.' },
    { name: 'workspace', value: 'DIR', description: 'Where --key NAME is looked up (default: the current folder).' },
    PASSPHRASE_ENV_OPTION,
    { name: 'signature', value: 'SIG', description: 'A ready signature instead of --key (the token must then be the same for every device).' },
    { name: 'client-id', value: 'TEMPLATE', description: 'Each device\'s client id; {n} is the device number from 1 (default "fleet{n}").' },
    { name: 'topic', value: 'TEMPLATE', description: 'Where --publish-every publishes, QoS 1; {clientId} and {n} are replaced (default "devices/{clientId}/fleet").' },
    { name: 'reconnect-every', value: 'S', description: 'Each device disconnects and connects again this often (default: stay connected).' },
    { name: 'publish-every', value: 'S', description: 'Each connected device publishes this often (default: no publishes).' },
    { name: 'fleet-size', value: 'N', description: 'Your real fleet size, for the monthly invocation count (default: --devices).' },
    { name: 'refresh-after', value: 'S', description: `The handler's refreshAfterInSeconds (${MIN_REFRESH_SECONDS} to ${MAX_REFRESH_SECONDS}), for the monthly count: read from the local endpoint when omitted, else AWS's default.` },
    { name: 'disconnect-after', value: 'S', description: `The handler's disconnectAfterInSeconds (${MIN_DISCONNECT_SECONDS} to ${MAX_DISCONNECT_SECONDS}), for the monthly count: read from the local endpoint when omitted, else AWS's default.` },
    { name: 'json', description: 'Print the report as JSON.' },
  ],
  details: `Latency is CONNECT sent → CONNACK received, as each device sees it (authorization included).
Handler invocations, refreshes, cache hits and refusals by stage are the local endpoint's counters
before and after the run (GET /_iot-authz/health); for another endpoint they are "unknown".
Invocations per device-hour "measured over this run" include each device's first CONNECT: a
short run divides it by a few seconds, so it is no monthly rate. The monthly count is the steady
state of the pattern: a session lasts L = min(--reconnect-every, disconnectAfterInSeconds) and
costs 1 CONNECT + a refresh every refreshAfterInSeconds R before L, so
  monthly = fleet size × 730 h × ceil(L / R) × 3600 / L
(R 300 and D 3600 or 86400: 12 per device-hour; --reconnect-every 60: 60). R and D are read from
the local endpoint's live connections (GET /_iot-authz/connections) right after the devices
connect; --refresh-after / --disconnect-after give or override them; otherwise AWS's defaults for
an answer that omits them (300 and 86400) are assumed and the report says so. No clock advance
is needed (advancing it during a run adds refreshes that the measured figure divides by real time).
Exit code 1 when any connect was refused or got no CONNACK within ${CONNECT_TIMEOUT_MS / 1000} s (timed out).`,
  async run(args, io) {
    if (args.positional.length > 0) throw new UsageError(`unexpected "${args.positional[0]}": iot-authz fleet takes options only. See: iot-authz fleet --help`);
    const devices = positiveInt(args, 'devices', MAX_DEVICES);
    const durationSeconds = duration(args, 'duration', true) as number;
    const reconnectEvery = duration(args, 'reconnect-every', false);
    const publishEvery = duration(args, 'publish-every', false);
    const fleetSize = positiveInt(args, 'fleet-size', MAX_FLEET_SIZE, devices);
    const refreshAfterOption = lifetimeOption(args, 'refresh-after', 'refreshAfterInSeconds', MIN_REFRESH_SECONDS, MAX_REFRESH_SECONDS);
    const disconnectAfterOption = lifetimeOption(args, 'disconnect-after', 'disconnectAfterInSeconds', MIN_DISCONNECT_SECONDS, MAX_DISCONNECT_SECONDS);
    const authorizer = optionValue(args, 'authorizer');
    if (authorizer === undefined) throw new UsageError('--authorizer NAME is required: the custom authorizer the devices name in their username.');
    if (!AUTHORIZER_NAME_PATTERN.test(authorizer)) throw new UsageError(`--authorizer ${authorizer}: AWS accepts letters, digits and _ = , @ - only.`);
    const endpointUrl = optionValue(args, 'endpoint')?.replace(/\/+$/, '');
    if (endpointUrl !== undefined && !/^https?:\/\/[^/]+$/.test(endpointUrl)) throw new UsageError(`--endpoint ${endpointUrl}: give the local endpoint's HTTP URL, such as http://127.0.0.1:4566.`);
    let mqttUrl = optionValue(args, 'url');
    if (mqttUrl === undefined && endpointUrl === undefined) throw new UsageError('give --endpoint HTTP-URL (the local endpoint) or --url mqtt://HOST:PORT (any MQTT endpoint).');
    if (mqttUrl !== undefined && !/^mqtts?:\/\/[^/?#]+:\d+\/?$/.test(mqttUrl)) throw new UsageError(`--url ${mqttUrl}: give mqtt://HOST:PORT or mqtts://HOST:PORT.`);
    const keyArg = optionValue(args, 'key');
    const fixedSignature = optionValue(args, 'signature');
    if ((keyArg === undefined) === (fixedSignature === undefined)) throw new UsageError('give either --key (signs each device\'s token) or --signature (one ready signature), not both or neither.');
    const tokenTemplate = optionValue(args, 'token') ?? 'allow-{clientId}';
    if (fixedSignature !== undefined && /\{(clientId|n)\}/.test(tokenTemplate)) throw new UsageError(`--signature signs one token, but --token ${tokenTemplate} differs per device: give a fixed --token, or --key to sign each one.`);
    const clientIdTemplate = optionValue(args, 'client-id') ?? 'fleet{n}';
    if (devices > 1 && !clientIdTemplate.includes('{n}')) throw new UsageError(`--client-id ${clientIdTemplate}: with more than one device it must hold {n}, or the devices would take over each other's session.`);
    const topicTemplate = optionValue(args, 'topic') ?? 'devices/{clientId}/fleet';
    const overTls = args.flags.has('tls');
    if (overTls && endpointUrl === undefined) throw new UsageError('--tls picks the TLS listener of the local endpoint: give --endpoint HTTP-URL (for another broker, give --url mqtts://HOST:PORT and --ca FILE).');
    if (overTls && mqttUrl !== undefined) throw new UsageError('give --tls or --url, not both: --tls takes the local endpoint\'s TLS listener, --url names the MQTT endpoint yourself.');
    let caFile = optionValue(args, 'ca');

    let health: Health | undefined;
    if (endpointUrl !== undefined) {
      health = await readHealth(endpointUrl);
      if (mqttUrl === undefined && overTls) {
        const mqtts = health.listeners?.find((l) => l.protocol === 'mqtts');
        if (mqtts?.url === undefined) throw new UserError(`The endpoint at ${endpointUrl} has no MQTT-over-TLS listener: start it with --mqtts-port 0 (or leave out --tls to use its plain MQTT listener).`);
        mqttUrl = mqtts.url;
        caFile ??= mqtts.caFile;
      } else if (mqttUrl === undefined) {
        mqttUrl = health.listeners?.find((l) => l.protocol === 'mqtt')?.url;
        if (mqttUrl === undefined) throw new UserError(`The endpoint at ${endpointUrl} has no MQTT listener: start it with --mqtt-port 0 (or give --url mqtt://HOST:PORT, or --tls for its TLS listener).`);
      }
    }
    const ca = caFile !== undefined ? await readTextFile(io, caFile, 'ca') : undefined;
    let tokenKeyName = optionValue(args, 'token-key-name');
    if (tokenKeyName === undefined) {
      if (endpointUrl === undefined) throw new UsageError("--token-key-name KEY is required with --url (the authorizer's tokenKeyName).");
      const d = (await getJson(`${endpointUrl}/authorizer/${encodeURIComponent(authorizer)}`).catch((e: unknown) => {
        throw new UserError(`The endpoint at ${endpointUrl} has no authorizer ${authorizer} (${e instanceof Error ? e.message : String(e)}). Register it (--workspace, or aws iot create-authorizer), or give --token-key-name.`);
      })) as { authorizerDescription?: { tokenKeyName?: string } };
      tokenKeyName = d.authorizerDescription?.tokenKeyName;
      if (!tokenKeyName) throw new UserError(`The authorizer ${authorizer} has no tokenKeyName on the endpoint: give --token-key-name KEY.`);
    }
    if (!TOKEN_KEY_NAME_PATTERN.test(tokenKeyName)) throw new UsageError(`--token-key-name ${tokenKeyName}: AWS accepts letters, digits, "_" and "-" only.`);
    const key = keyArg !== undefined ? await loadPrivateKeyArg(args, io, keyArg, path.resolve(io.cwd, optionValue(args, 'workspace') ?? '.')) : undefined;

    const mqtt = await import('mqtt');
    const reconnects = reconnectsPerDevice(durationSeconds, reconnectEvery);
    const m = {
      connectAttempts: 0, connectsAccepted: 0, connectsRefused: 0, connectsTimedOut: 0, publishesSent: 0, publishesAcknowledged: 0, serverDisconnects: 0,
      latenciesMs: [] as number[],
    };
    const before = health?.counters;

    // The lifetime each device's connection was given, read from the endpoint's live connections
    // right after its CONNACK (on the endpoint clock: nextRefreshAt − connectedAt = R and
    // disconnectAt − connectedAt = D until the first refresh). Reads are coalesced: one at a time,
    // another after it when more devices connected meanwhile; none once every device is known.
    const clientIds = new Set(Array.from({ length: devices }, (_, i) => fill(clientIdTemplate, '', i + 1)));
    const lifetimes = new Map<string, FleetLifetime>();
    let lifetimesReadError: string | undefined;
    let reading: Promise<void> | undefined;
    let readAgain = false;
    const readLifetimes = async (): Promise<void> => {
      const list = ((await getJson(`${endpointUrl as string}${ENDPOINT_LOCAL_PATH_PREFIX}/connections`)) as Connections).connections ?? [];
      for (const c of list) {
        if (typeof c.clientId !== 'string' || !clientIds.has(c.clientId) || lifetimes.has(c.clientId)) continue;
        const l = lifetimeOfConnection(c);
        if (l) lifetimes.set(c.clientId, l);
      }
    };
    const connected = (): void => {
      if (endpointUrl === undefined || lifetimes.size >= devices || lifetimesReadError !== undefined) return;
      if (reading) {
        readAgain = true;
        return;
      }
      reading = (async () => {
        do {
          readAgain = false;
          await readLifetimes().catch((e: unknown) => {
            lifetimesReadError = e instanceof Error ? e.message : String(e);
          });
        } while (readAgain && lifetimes.size < devices && lifetimesReadError === undefined);
        reading = undefined;
      })();
    };

    const t0 = performance.now();
    const slotEnd = (k: number) => t0 + Math.min(durationSeconds, (k + 1) * (reconnectEvery ?? durationSeconds)) * 1000;

    /** One connection of one device: connect, publish until `until`, disconnect. */
    const session = async (clientId: string, username: string, topic: string, until: number): Promise<void> => {
      m.connectAttempts++;
      const options: IClientOptions = {
        // The device's own timer (below) gives up first and tells a timeout from a refusal.
        clientId, username, password: 'fleet', protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: 2 * CONNECT_TIMEOUT_MS,
        ...(ca !== undefined ? { ca } : {}),
        ...(mqttUrl?.startsWith('mqtts:') ? { ALPNProtocols: ['mqtt'] } : {}),
      };
      const c: MqttClient = mqtt.connect(mqttUrl as string, options);
      let sentAt = performance.now();
      let timedOut = false;
      let connackTimer: NodeJS.Timeout | undefined;
      c.on('packetsend', (p) => {
        if (p.cmd !== 'connect') return;
        sentAt = performance.now();
        connackTimer = setTimeout(() => {
          timedOut = true;
          c.end(true);
        }, CONNECT_TIMEOUT_MS);
      });
      c.on('error', () => undefined);
      let closed = false;
      const closedPromise = new Promise<void>((resolve) => c.once('close', () => {
        closed = true;
        resolve();
      }));
      const ok = await new Promise<boolean>((resolve) => {
        c.once('connect', () => resolve(true));
        c.once('close', () => resolve(false));
      });
      clearTimeout(connackTimer);
      if (!ok) {
        if (timedOut) m.connectsTimedOut++;
        else m.connectsRefused++;
        c.end(true);
        // The device stays offline until its next scheduled connect, so the run lasts what was asked.
        await sleep(until - performance.now());
        return;
      }
      m.connectsAccepted++;
      m.latenciesMs.push(performance.now() - sentAt);
      connected();
      let pending = 0;
      let nextPublish = publishEvery !== undefined ? performance.now() : Infinity;
      while (!closed && performance.now() < until) {
        const wake = Math.min(until, nextPublish);
        await Promise.race([sleep(wake - performance.now()), closedPromise]);
        if (closed) break;
        if (performance.now() >= nextPublish && performance.now() < until) {
          m.publishesSent++;
          pending++;
          c.publish(topic, JSON.stringify({ clientId, at: new Date().toISOString() }), { qos: 1 }, (err) => {
            pending--;
            if (!err) m.publishesAcknowledged++;
          });
          nextPublish += (publishEvery as number) * 1000;
        }
      }
      if (closed) {
        m.serverDisconnects++;
        await sleep(until - performance.now());
        return;
      }
      const graceEnd = performance.now() + ACK_GRACE_MS;
      while (pending > 0 && !closed && performance.now() < graceEnd) await Promise.race([sleep(20), closedPromise]);
      await new Promise<void>((resolve) => c.end(false, {}, () => resolve()));
    };

    const device = async (n: number): Promise<void> => {
      const clientId = fill(clientIdTemplate, '', n);
      const token = fill(tokenTemplate, clientId, n);
      const signature = key ? signToken(token, key.keyObject) : (fixedSignature as string);
      const username = credentialsToMqttUsername({ authorizerName: authorizer, tokenKeyName: tokenKeyName as string, token, signature }, 'fleet');
      const topic = fill(topicTemplate, clientId, n);
      for (let k = 0; k <= reconnects; k++) await session(clientId, username, topic, slotEnd(k));
    };
    await Promise.all(Array.from({ length: devices }, (_, i) => device(i + 1)));
    const measuredSeconds = (performance.now() - t0) / 1000;
    await reading;
    const after = endpointUrl !== undefined ? (await readHealth(endpointUrl)).counters : undefined;

    const measurement: FleetMeasurement = {
      mqttUrl: mqttUrl as string,
      ...(endpointUrl !== undefined ? { endpointUrl } : {}),
      devices,
      requestedDurationSeconds: durationSeconds,
      measuredSeconds,
      ...(reconnectEvery !== undefined ? { reconnectEverySeconds: reconnectEvery } : {}),
      ...(publishEvery !== undefined ? { publishEverySeconds: publishEvery } : {}),
      reconnectsPerDevice: reconnects,
      fleetSize,
      connectTimeoutSeconds: CONNECT_TIMEOUT_MS / 1000,
      ...m,
      ...(before && after ? { before, after } : {}),
      ...(endpointUrl !== undefined ? { lifetimesRead: [...lifetimes.values()] } : {}),
      ...(lifetimesReadError !== undefined ? { lifetimesReadError } : {}),
      ...(refreshAfterOption !== undefined ? { refreshAfterOption } : {}),
      ...(disconnectAfterOption !== undefined ? { disconnectAfterOption } : {}),
    };
    const report = fleetReport(measurement);
    io.stdout(args.flags.has('json') ? JSON.stringify(report, null, 2) + '\n' : formatFleetReport(report));
    return report.connects.refused + report.connects.timedOut > 0 ? 1 : 0;
  },
};
