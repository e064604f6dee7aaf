// Local endpoint throughput: authorized HTTP publishes per second through the whole AWS order
// (authorizer lookup, signature verified with the registered key, permission, handler or
// cached answer, response rules, iot:Publish evaluated), with the answer cached
// (enableCachingForHttp on keep-alive connections) and uncached (the handler runs in its
// worker for every publish), next to a plain node:http server that answers without doing
// anything, all in this process with the same client load. Goal: cached ≥ 50% of the plain rate.
// Needs `node esbuild.js` (the worker bundle). Run alone: `npx tsc -p tsconfig.test.json && node out/bench/endpoint.bench.js`.
import * as crypto from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { performance } from 'perf_hooks';
import { zipSync, strToU8 } from 'fflate';
import { signToken } from '../src/core/tokens';
import { LocalEndpoint } from '../src/endpoint';

export type { BenchRow as Row } from './types';
import type { BenchRow as Row } from './types';

const CONNECTIONS = 16;
const MEASURE_MS = 1500;
/** Rounds alternate the three servers, so a change in machine load weighs on each alike; medians are kept. */
const ROUNDS = 3;
const WARMUP_MS = 300;
const CACHED_GOAL = 0.5;

const HANDLER = `exports.handler = async (event) => ({ isAuthenticated: event.token === 'allow-bench', principalId: 'bench',
  refreshAfterInSeconds: 3600, disconnectAfterInSeconds: 3600,
  policyDocuments: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/bench/*' }] }] });
`;

async function call(url: string, method: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Requests per second with CONNECTIONS keep-alive connections each sending one request at a time. */
async function rate(url: string, headers: Record<string, string>, ms: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const body = Buffer.from('{"temperature": 21.5}');
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  let done = 0;
  const until = performance.now() + ms;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < until) {
          const status = await one();
          if (status !== 200) throw new Error(`publish answered ${status}`);
          done++;
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return done / ((performance.now() - t0) / 1000);
}

async function measure(url: string, headers: Record<string, string>): Promise<number> {
  await rate(url, headers, WARMUP_MS);
  return rate(url, headers, MEASURE_MS);
}

export async function run(): Promise<Row[]> {
  const plain = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{"message":"OK"}'));
  });
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/topics/bench%2Fa?qos=1`;
  const ep = await LocalEndpoint.start({});
  try {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const zip = Buffer.from(zipSync({ 'index.js': strToU8(HANDLER) })).toString('base64');
    const fn = await call(`${ep.url}/2015-03-31/functions`, 'POST', { FunctionName: 'bench', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: 'arn:aws:iam::123456789012:role/bench', Code: { ZipFile: zip } });
    while ((await call(`${ep.url}/2015-03-31/functions/bench/configuration`, 'GET')).State !== 'Active') await new Promise((r) => setTimeout(r, 50));
    for (const [name, caching] of [['Cached', true], ['Uncached', false]] as const) {
      const a = await call(`${ep.url}/authorizer/${name}`, 'POST', { authorizerFunctionArn: fn.FunctionArn, tokenKeyName: 'token', tokenSigningPublicKeys: { bench: pem }, enableCachingForHttp: caching });
      await call(`${ep.url}/2015-03-31/functions/bench/policy`, 'POST', { StatementId: `iot-${name}`, Action: 'lambda:InvokeFunction', Principal: 'iot.amazonaws.com', SourceArn: a.authorizerArn });
    }
    const creds = (name: string) => ({ 'x-amz-customauthorizer-name': name, token: 'allow-bench', 'x-amz-customauthorizer-signature': signToken('allow-bench', privateKey) });
    const publishUrl = `${ep.url}/topics/bench%2Fa?qos=1`;

    const samples = { plain: [] as number[], cached: [] as number[], uncached: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      samples.plain.push(await measure(plainUrl, {}));
      samples.cached.push(await measure(publishUrl, creds('Cached')));
      samples.uncached.push(await measure(publishUrl, creds('Uncached')));
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    const plainRate = median(samples.plain);
    const cached = median(samples.cached);
    const uncached = median(samples.uncached);
    const row = (name: string, value: number, goal?: number): Row => ({
      name,
      value: Math.round(value),
      unit: 'req/s',
      reference: Math.round(plainRate),
      referenceName: 'plain node:http no-op',
      ratio: Number((value / plainRate).toFixed(2)),
      ...(goal !== undefined ? { goal: `ratio ≥ ${goal}`, pass: value / plainRate >= goal } : {}),
    });
    return [row('endpoint: authorized publish, cached answer', cached, CACHED_GOAL), row('endpoint: authorized publish, handler per request', uncached)];
  } finally {
    await ep.stop();
    await new Promise<void>((resolve) => plain.close(() => resolve()));
  }
}

if (require.main === module) {
  void run().then((rows) => console.log(JSON.stringify(rows, null, 2)));
}
