// Local endpoint MQTT throughput, each next to the same broker library (aedes) with no
// authorization, same client load, same run, rounds alternated and medians kept:
// - QoS 1 publishes per second from clients connected through the custom authorizer (every
//   PUBLISH evaluated against the connection's policies and logged). Goal: ≥ 50% of bare aedes.
// - CONNECTs per second through the whole chain (signature, handler in its worker, answer,
//   iot:Connect), and CONNECTs refused at the signature gate (a bad signature: no handler runs),
//   which shows the handler's share of a CONNECT.
// - CONNECTs per second through a handler that waits IO_WAIT_MS on I/O (a database, a token
//   service), with the endpoint's default --concurrency next to --concurrency 1: each worker
//   serves one invocation at a time, as a Lambda execution environment does, so several workers
//   keep a slow handler's CONNECTs from queueing behind each other. Goal: ≥ 2× (4 workers, 8 clients).
// There is no "cached answer" CONNECT row: AWS never caches an MQTT authorizer answer (every
// CONNECT that passes the signature check invokes the authorizer; the HTTP answer cache,
// enableCachingForHttp, does not apply: docs/aws-custom-auth.md, "What a fleet costs in
// authorizer invocations"), and neither does the endpoint. The cached and uncached HTTP publish rows are in
// bench/endpoint.bench.ts.
// Needs `node esbuild.js` (the worker bundle). Run alone: `npx tsc -p tsconfig.test.json && IOT_AUTHZ_BENCH=mqtt npm run bench`.
import * as crypto from 'crypto';
import * as net from 'net';
import type { AddressInfo } from 'net';
import { performance } from 'perf_hooks';
import { Aedes } from 'aedes';
import { zipSync, strToU8 } from 'fflate';
import * as mqtt from 'mqtt';
import { signToken } from '../src/core/tokens';
import { LocalEndpoint } from '../src/endpoint';
import type { BenchRow as Row } from './types';

const CLIENTS = 8;
const MEASURE_MS = 1500;
const WARMUP_MS = 300;
const ROUNDS = 3;
const GOAL = 0.5;
const IO_WAIT_MS = 20;
const CONCURRENCY_GOAL = 2;

const HANDLER = `exports.handler = async (event) => ({ isAuthenticated: event.token === 'allow-bench', principalId: 'bench',
  refreshAfterInSeconds: 3600, disconnectAfterInSeconds: 3600,
  policyDocuments: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iot:Connect', 'iot:Publish'], Resource: '*' }] }] });
`;

/** A handler that waits IO_WAIT_MS before it answers, as one that calls another service does. */
const IO_HANDLER = HANDLER.replace('async (event) => (', `async (event) => (await new Promise((r) => setTimeout(r, ${IO_WAIT_MS})), `);

async function call(url: string, method: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function connect(port: number, clientId: string, username?: string): Promise<mqtt.MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect({ host: '127.0.0.1', port, clientId, protocolVersion: 4, reconnectPeriod: 0, ...(username ? { username } : {}) });
    c.once('connect', () => resolve(c));
    c.once('close', () => reject(new Error(`${clientId}: closed before CONNACK`)));
    c.once('error', reject);
  });
}

/** A CONNECT the endpoint refuses: resolves when the connection closes without CONNACK. */
function refusedConnect(port: number, clientId: string, username: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect({ host: '127.0.0.1', port, clientId, protocolVersion: 4, reconnectPeriod: 0, username });
    c.on('error', () => undefined);
    c.once('connect', () => reject(new Error(`${clientId}: accepted, but the bench expected a refusal`)));
    c.once('close', () => resolve());
  });
}

/** QoS 1 publishes per second, each client waiting for its PUBACK before the next. */
async function publishRate(clients: mqtt.MqttClient[], ms: number): Promise<number> {
  let done = 0;
  const until = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < until) {
        await c.publishAsync('bench/a', '{"temperature": 21.5}', { qos: 1 });
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

/** CONNECTs per second, CLIENTS at a time, each closed once answered: accepted (CONNACK 0) or, with `refused`, closed without CONNACK. */
async function connectRate(port: number, username: string | undefined, ms: number, refused = false): Promise<number> {
  let done = 0;
  const until = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      while (performance.now() < until) {
        const clientId = `bench-conn-${i}-${done}`;
        if (refused) await refusedConnect(port, clientId, username as string);
        else await (await connect(port, clientId, username)).endAsync(true);
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

/** Registers function `name` (running `source`) and authorizer `name` on `ep`; returns a CONNECT username its handler allows. */
async function authorizerOn(ep: LocalEndpoint, name: string, source: string, privateKey: crypto.KeyObject, pem: string): Promise<string> {
  const zip = Buffer.from(zipSync({ 'index.js': strToU8(source) })).toString('base64');
  const fn = await call(`${ep.url}/2015-03-31/functions`, 'POST', { FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: 'arn:aws:iam::123456789012:role/bench', Code: { ZipFile: zip } });
  while ((await call(`${ep.url}/2015-03-31/functions/${name}/configuration`, 'GET')).State !== 'Active') await new Promise((r) => setTimeout(r, 50));
  const a = await call(`${ep.url}/authorizer/${name}`, 'POST', { authorizerFunctionArn: fn.FunctionArn, tokenKeyName: 'token', tokenSigningPublicKeys: { bench: pem } });
  await call(`${ep.url}/2015-03-31/functions/${name}/policy`, 'POST', { StatementId: 'iot', Action: 'lambda:InvokeFunction', Principal: 'iot.amazonaws.com', SourceArn: a.authorizerArn });
  return `bench?x-amz-customauthorizer-name=${name}&token=allow-bench&x-amz-customauthorizer-signature=${encodeURIComponent(signToken('allow-bench', privateKey))}`;
}

export async function run(): Promise<Row[]> {
  const bare = await Aedes.createBroker();
  const bareServer = net.createServer((s) => bare.handle(s));
  await new Promise<void>((resolve) => bareServer.listen(0, '127.0.0.1', resolve));
  const barePort = (bareServer.address() as AddressInfo).port;
  const ep = await LocalEndpoint.start({ mqttPort: 0 });
  // The same slow handler behind an endpoint that runs one invocation at a time.
  const serial = await LocalEndpoint.start({ mqttPort: 0, concurrency: 1 });
  const open: mqtt.MqttClient[] = [];
  try {
    const mqttPort = ep.listeners.find((l) => l.protocol === 'mqtt')?.port ?? 0;
    const serialPort = serial.listeners.find((l) => l.protocol === 'mqtt')?.port ?? 0;
    const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const username = await authorizerOn(ep, 'Bench', HANDLER, privateKey, pem);
    const ioUsername = await authorizerOn(ep, 'BenchIo', IO_HANDLER, privateKey, pem);
    const serialIoUsername = await authorizerOn(serial, 'BenchIo', IO_HANDLER, privateKey, pem);
    // The signature of another token: refused at the signature gate, before any handler.
    const badSignature = `bench?x-amz-customauthorizer-name=Bench&token=allow-bench&x-amz-customauthorizer-signature=${encodeURIComponent(signToken('other', privateKey))}`;

    const authed = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => connect(mqttPort, `bench-auth-${i}`, username)));
    const plain = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => connect(barePort, `bench-bare-${i}`)));
    open.push(...authed, ...plain);
    const samples = {
      bare: [] as number[], authed: [] as number[], bareConnects: [] as number[], connects: [] as number[], refusedConnects: [] as number[],
      ioConnects: [] as number[], serialIoConnects: [] as number[],
    };
    const counters = ep.context.counters;
    for (let i = 0; i < ROUNDS; i++) {
      await publishRate(plain, WARMUP_MS);
      samples.bare.push(await publishRate(plain, MEASURE_MS));
      await publishRate(authed, WARMUP_MS);
      samples.authed.push(await publishRate(authed, MEASURE_MS));
      samples.bareConnects.push(await connectRate(barePort, undefined, MEASURE_MS));
      const invoked = counters.handlerInvocations;
      samples.connects.push(await connectRate(mqttPort, username, MEASURE_MS));
      if (counters.handlerInvocations === invoked) throw new Error('the authorized CONNECTs invoked no handler');
      const gated = counters.handlerInvocations;
      samples.refusedConnects.push(await connectRate(mqttPort, badSignature, MEASURE_MS, true));
      if (counters.handlerInvocations !== gated) throw new Error('a CONNECT with a bad signature reached the handler');
      samples.ioConnects.push(await connectRate(mqttPort, ioUsername, MEASURE_MS));
      samples.serialIoConnects.push(await connectRate(serialPort, serialIoUsername, MEASURE_MS));
    }
    const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
    const bareRate = median(samples.bare);
    const authedRate = median(samples.authed);
    const bareConnectRate = median(samples.bareConnects);
    const connectRow = (name: string, rate: number): Row => ({
      name,
      value: Math.round(rate),
      unit: 'conn/s',
      reference: Math.round(bareConnectRate),
      referenceName: 'bare aedes CONNECT, no auth',
      ratio: Number((rate / bareConnectRate).toFixed(2)),
    });
    return [
      {
        name: 'endpoint MQTT: authorized QoS 1 publish',
        value: Math.round(authedRate),
        unit: 'msg/s',
        reference: Math.round(bareRate),
        referenceName: 'bare aedes, no auth',
        ratio: Number((authedRate / bareRate).toFixed(2)),
        goal: `ratio ≥ ${GOAL}`,
        pass: authedRate / bareRate >= GOAL,
      },
      connectRow('endpoint MQTT: CONNECT through the authorizer (handler invoked, as on every AWS CONNECT)', median(samples.connects)),
      connectRow('endpoint MQTT: CONNECT refused at the signature gate (no handler)', median(samples.refusedConnects)),
      {
        name: `endpoint MQTT: CONNECT through a handler that waits ${IO_WAIT_MS} ms on I/O, default --concurrency`,
        value: Math.round(median(samples.ioConnects)),
        unit: 'conn/s',
        reference: Math.round(median(samples.serialIoConnects)),
        referenceName: 'the same, --concurrency 1',
        ratio: Number((median(samples.ioConnects) / median(samples.serialIoConnects)).toFixed(2)),
        goal: `ratio ≥ ${CONCURRENCY_GOAL}`,
        pass: median(samples.ioConnects) / median(samples.serialIoConnects) >= CONCURRENCY_GOAL,
      },
    ];
  } finally {
    for (const c of open) c.end(true);
    await ep.stop();
    await serial.stop();
    await new Promise<void>((resolve) => bare.close(() => resolve()));
    await new Promise<void>((resolve) => bareServer.close(() => resolve()));
  }
}
