import * as path from 'path';
import { CliCommand, CliIO, optionValue, UsageError } from '../args';
import { MQTT_WEBSOCKET_PATH, webSocketPathProblem } from '../../core/credentials';
import { parseDurationSeconds } from '../../core/duration';
import { plural } from '../../core/text';
import { UserError } from '../../core/errors';
import {
  AWS_ACCOUNT_ID_PATTERN, AWS_REGION_PATTERN, ENDPOINT_DEFAULT_CONCURRENCY, ENDPOINT_DEFAULT_HOST, ENDPOINT_LOCAL_PATH_PREFIX, ENDPOINT_MAX_CONCURRENCY,
  LOCAL_ACCOUNT_ID, LOCAL_DEFAULT_REGION, PYTHON_PATH_CLI_OPTION,
} from '../../core/constants';
import { LocalEndpoint } from '../../endpoint';
import { endsSession } from '../../endpoint/decisionResult';
import { recordRunningEndpoint, runningEndpoints } from '../../endpoint/running';
import type { EndpointDecision, EndpointListener } from '../../endpoint';

function portOf(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new UsageError(`--${option} ${text}: give a port number from 0 to 65535 (0 picks a free one).`);
  return n;
}

function readyLine(l: EndpointListener): string {
  if (l.protocol === 'mqtt') return `iot-authz endpoint: listening on ${l.url} (MQTT 3.1.1, custom auth in the username): mosquitto_sub -h ${l.host} -p ${l.port} -V mqttv311 -i CLIENT -u 'user?x-amz-customauthorizer-name=NAME&TOKENKEY=T&x-amz-customauthorizer-signature=S' -t TOPIC\n`;
  if (l.protocol === 'mqtts') return `iot-authz endpoint: listening on ${l.url} (MQTT over TLS, ALPN mqtt; trust ${l.caFile ?? 'the printed certificate'})\n`;
  if (l.protocol === 'https') return `iot-authz endpoint: listening on ${l.url} (HTTP publish and MQTT over WSS at ${l.wsPath ?? MQTT_WEBSOCKET_PATH}; trust ${l.caFile ?? 'the printed certificate'})\n`;
  return `iot-authz endpoint: listening on ${l.url} (IoT and Lambda APIs, HTTP publish, MQTT over WebSocket at ${l.wsPath ?? MQTT_WEBSOCKET_PATH}): aws --endpoint-url ${l.url} iot list-authorizers\n`;
}

function decisionLine(d: EndpointDecision): string {
  const who = d.authorizer ? ` ${d.authorizer}` : '';
  const verdict = d.allowed ? 'allowed' : endsSession(d) ? 'session ended' : `refused at ${d.decidedBy}`;
  const what = d.request.protocol === 'http' ? d.request.topic ?? d.request.path : `MQTT ${d.request.method} ${d.request.clientId ?? ''} ${d.request.topic ?? d.request.topicFilter ?? ''}`.trimEnd();
  return `${d.status} ${what}${who}: ${verdict}: ${d.reason}${d.fix ? ` Fix: ${d.fix}` : ''}\n`;
}

/** A count the endpoint answered, worded; '?' when an older endpoint did not send it. */
const counted = (n: number | undefined, one: string, many: string): string => (n === undefined ? `? ${many}` : plural(n, one, many));

async function advanceClock(words: string[], url: string | undefined, io: CliIO): Promise<number> {
  if (words[0] !== 'advance' || words.length !== 2) throw new UsageError('usage: iot-authz endpoint clock advance DURATION [--url URL] (DURATION such as 90s, 5m, 6h, 1d).');
  const seconds = parseDurationSeconds(words[1]);
  if (seconds === undefined) throw new UsageError(`"${words[1]}" is not a duration: write 90s, 5m, 6h, 1d or 1h30m.`);
  if (!url) {
    const running = runningEndpoints();
    if (running.length === 0) throw new UsageError('No running endpoint found: start one with "iot-authz endpoint" (or Start Local Endpoint in VS Code), or give --url URL, the HTTP URL it printed when ready.');
    if (running.length > 1) {
      throw new UsageError(`${running.length} endpoints are running; say which with --url: ${running.map((r) => `${r.url} (pid ${r.pid}, started ${r.startedAt} in ${r.cwd})`).join('; ')}.`);
    }
    url = running[0].url;
    io.stderr(`iot-authz endpoint: the running endpoint at ${url} (pid ${running[0].pid})\n`);
  }
  let res: Response;
  try {
    res = await fetch(`${url.replace(/\/$/, '')}${ENDPOINT_LOCAL_PATH_PREFIX}/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance: seconds }) });
  } catch (e) {
    throw new UserError(`Cannot reach the endpoint at ${url}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}. Is it running?`);
  }
  type ClockAnswer = { message?: string; now?: string; offsetSeconds?: number; mqttRefreshes?: number; mqttLifetimeDisconnects?: number };
  const body = (await res.json().catch(() => ({}))) as ClockAnswer;
  if (!res.ok) throw new UserError(`The endpoint refused the clock change (${res.status}): ${body.message ?? 'no message'}`);
  io.stdout(`endpoint clock advanced by ${seconds} s: now ${body.now ?? '?'} (${body.offsetSeconds ?? '?'} s ahead of real time); `
    + `in that time ${counted(body.mqttRefreshes, 'MQTT policy refresh', 'MQTT policy refreshes')} (handler invoked), `
    + `${counted(body.mqttLifetimeDisconnects, 'connection', 'connections')} closed at disconnectAfterInSeconds\n`);
  return 0;
}

function concurrencyOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > ENDPOINT_MAX_CONCURRENCY) {
    throw new UsageError(`--concurrency ${text}: give how many invocations of one function may run at once, a whole number from 1 to ${ENDPOINT_MAX_CONCURRENCY} (default ${ENDPOINT_DEFAULT_CONCURRENCY}).`);
  }
  return n;
}

export const endpointCommand: CliCommand = {
  name: 'endpoint',
  summary: 'Run a local AWS IoT endpoint: IoT/Lambda APIs for the AWS CLI and SDK, HTTP publish and MQTT (TCP, TLS, WebSocket) enforced by your authorizer.',
  usage: 'iot-authz endpoint clock advance DURATION [--url URL] | iot-authz endpoint [--host H] [--port N] [--account A] [--region R] [--state DIR] [--workspace DIR] [--log FILE] [--tls [--tls-port N]] [--mqtt-port N] [--mqtts-port N] [--ws-path /mqtt] [--concurrency N] [--json]',
  options: [
    { name: 'host', value: 'H', description: `Address to listen on (default ${ENDPOINT_DEFAULT_HOST}).` },
    { name: 'port', value: 'N', description: 'Port of the HTTP listener (default 0: a free port, printed when ready).' },
    { name: 'account', value: 'A', description: `Account id in ARNs (default ${LOCAL_ACCOUNT_ID}).` },
    { name: 'region', value: 'R', description: `Region when a request carries no SigV4 scope, and of workspace authorizers (default ${LOCAL_DEFAULT_REGION}).` },
    { name: 'state', value: 'DIR', description: 'Keep functions, permissions, authorizers and the default in DIR across restarts.' },
    { name: 'workspace', value: 'DIR', description: 'Register the authorizers of DIR/iot-authorizer.json (keys from its key store, permission granted).' },
    { name: 'log', value: 'FILE', description: 'Append every decision to FILE as JSON lines.' },
    { name: 'tls', description: 'Also serve HTTPS with a self-signed certificate (its path is printed).' },
    { name: 'tls-port', value: 'N', description: 'Port of the HTTPS listener (default 0: a free port).' },
    { name: 'mqtt-port', value: 'N', description: 'Also serve MQTT 3.1.1 over TCP on port N (0: a free port), custom auth enforced on CONNECT, PUBLISH, SUBSCRIBE and delivery.' },
    { name: 'mqtts-port', value: 'N', description: 'Also serve MQTT over TLS with ALPN "mqtt" (the self-signed certificate, path printed) on port N.' },
    { name: 'ws-path', value: 'PATH', description: `The path of MQTT over WebSocket on the HTTP (and --tls HTTPS) listener (default ${MQTT_WEBSOCKET_PATH}, as AWS IoT).` },
    { name: 'concurrency', value: 'N', description: `Invocations of one function run at once, each in its own worker process (default ${ENDPOINT_DEFAULT_CONCURRENCY}, at most ${ENDPOINT_MAX_CONCURRENCY}); more wait for a free one. 1 runs them one after another.` },
    { name: PYTHON_PATH_CLI_OPTION.slice(2), value: 'PATH', description: 'The Python interpreter for Python functions (default: python3).' },
    { name: 'json', description: 'Print one JSON object per listener when ready, then one per decision, and the live MQTT connections whenever one opens or closes.' },
    { name: 'url', value: 'URL', description: 'With "clock": the running endpoint (its HTTP URL as printed when ready); without it, the one endpoint running on this machine.' },
  ],
  details: `Point the AWS CLI at it with --endpoint-url (or AWS_ENDPOINT_URL_IOT / AWS_ENDPOINT_URL_LAMBDA);
any credentials work. Devices publish with POST /topics/<topic>?qos=1. Recent messages: GET /_iot-authz/messages;
decisions: GET /_iot-authz/decisions; live MQTT connections: GET /_iot-authz/connections,
closed with POST /_iot-authz/connections/CLIENT-ID/disconnect. MQTT over WebSocket: ws://HOST:PORT/mqtt (--ws-path). Stops cleanly on Ctrl+C (SIGINT) or SIGTERM.
\`iot-authz endpoint clock advance 6h [--url URL]\` moves a running endpoint's clock forward (the only one running, without --url): MQTT connections
are refreshed or closed and the HTTP answer cache expires as if that time had passed.`,
  async run(args, io) {
    if (args.positional[0] === 'clock') return advanceClock(args.positional.slice(1), optionValue(args, 'url'), io);
    if (args.positional.length > 0) throw new UsageError(`unexpected "${args.positional[0]}": iot-authz endpoint takes options, or "clock advance DURATION [--url URL]".`);
    const region = optionValue(args, 'region');
    if (region !== undefined && !AWS_REGION_PATTERN.test(region)) throw new UsageError(`--region ${region}: not a region name such as eu-west-1.`);
    const accountId = optionValue(args, 'account');
    if (accountId !== undefined && !AWS_ACCOUNT_ID_PATTERN.test(accountId)) throw new UsageError(`--account ${accountId}: an AWS account id is 12 digits.`);
    const tlsPort = portOf(optionValue(args, 'tls-port'), 'tls-port');
    const mqttPort = portOf(optionValue(args, 'mqtt-port'), 'mqtt-port');
    const mqttsPort = portOf(optionValue(args, 'mqtts-port'), 'mqtts-port');
    if (tlsPort !== undefined && !args.flags.has('tls')) throw new UsageError('--tls-port needs --tls.');
    const concurrency = concurrencyOf(optionValue(args, 'concurrency'));
    const wsPath = optionValue(args, 'ws-path');
    const wsProblem = wsPath !== undefined ? webSocketPathProblem(wsPath) : undefined;
    if (wsProblem) throw new UsageError(`--ws-path ${wsPath}: ${wsProblem}`);
    const resolved = (name: string) => {
      const v = optionValue(args, name);
      return v !== undefined ? path.resolve(io.cwd, v) : undefined;
    };
    const json = args.flags.has('json');
    const endpoint = await LocalEndpoint.start({
      host: optionValue(args, 'host') ?? ENDPOINT_DEFAULT_HOST,
      port: portOf(optionValue(args, 'port'), 'port') ?? 0,
      ...(accountId !== undefined ? { accountId } : {}),
      ...(region !== undefined ? { region } : {}),
      stateDir: resolved('state'),
      workspace: resolved('workspace'),
      logFile: resolved('log'),
      tls: args.flags.has('tls'),
      ...(tlsPort !== undefined ? { tlsPort } : {}),
      ...(mqttPort !== undefined ? { mqttPort } : {}),
      ...(mqttsPort !== undefined ? { mqttsPort } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(wsPath !== undefined ? { wsPath } : {}),
      ...(optionValue(args, PYTHON_PATH_CLI_OPTION.slice(2)) !== undefined ? { pythonPath: optionValue(args, PYTHON_PATH_CLI_OPTION.slice(2)) } : {}),
    });
    const unrecord = recordRunningEndpoint(endpoint.listeners[0].url);
    const ws = endpoint.workspace;
    for (const l of endpoint.listeners) {
      io.stdout(json ? JSON.stringify({ event: 'listening', ...l }) + '\n' : readyLine(l));
    }
    if (ws) {
      if (json) io.stdout(JSON.stringify({ event: 'workspace', ...ws }) + '\n');
      else io.stdout(`iot-authz endpoint: registered from ${ws.projectFile}: ${ws.authorizers.map((a) => a.name).join(', ') || 'no authorizers'}\n`);
      for (const w of ws.warnings) io.stderr(`warning: ${w}\n`);
    }
    if (json) endpoint.onConnectionsChanged((connections, total) => io.stdout(JSON.stringify({ event: 'connections', total, connections }) + '\n'));
    endpoint.log.on('decision', (d) => (json ? io.stdout(JSON.stringify({ event: 'decision', decision: d }) + '\n') : io.stderr(decisionLine(d))));
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    unrecord();
    await endpoint.stop();
    io.stdout(json ? JSON.stringify({ event: 'stopped' }) + '\n' : 'iot-authz endpoint: stopped\n');
    return 0;
  },
};
