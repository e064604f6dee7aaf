// Local invoke speed, each figure next to a reference measured in the same run:
// - warm p50 (a warm worker answering one more invoke) against a bare JSON echo over the same
//   channel, so the ratio is what loading the event into the handler and back costs;
// - cold (start a worker, load the handler, invoke) against starting the interpreter alone
//   (`node -e 0`, `python3 -c pass`).
// Goals: warm p50 < 5 ms (Node.js) and < 20 ms (Python); cold < 300 ms (TypeScript included,
// whose cold start bundles the handler with esbuild).
// Needs `node esbuild.js` (the worker bundle). Run alone: `npx tsc -p tsconfig.test.json && node out/bench/invoke.bench.js`.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import type { AuthorizerConfig } from '../src/core/project';
import { LocalRuntime } from '../src/local/runtime';

export type { BenchRow as Row } from './types';
import type { BenchRow as Row } from './types';

const WARM_GOAL_MS = { javascript: 5, typescript: 5, python: 20 } as const;
const COLD_GOAL_MS = 300;
const WARMUP = 30;
const WARM_SAMPLES = 300;
const COLD_SAMPLES = 10;

/** An event of the size AWS sends for MQTT over WebSocket. */
const EVENT = {
  token: 'allow-sensor1',
  signatureVerified: true,
  protocols: ['tls', 'http', 'mqtt'],
  protocolData: {
    tls: { serverName: 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com' },
    http: {
      headers: { host: 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13' },
      queryString: `?x-amz-customauthorizer-name=ExampleTokenAuthorizer&X-Example-Token=allow-sensor1&x-amz-customauthorizer-signature=${'A'.repeat(342)}%3D%3D`,
    },
    mqtt: { clientId: 'sensor1', username: 'sensor1', password: 'c2VjcmV0' },
  },
  connectionMetadata: { id: '9c6d2a4e-1d57-4a7e-9d0c-3f1b8f1e2a10' },
};

const HANDLERS = {
  javascript: {
    file: 'bench.js',
    text: "exports.handler = async (event) => ({ isAuthenticated: true, principalId: event.protocolData.mqtt.clientId, disconnectAfterInSeconds: 3600, refreshAfterInSeconds: 300, policyDocuments: [] });\n",
    runtime: 'nodejs20.x',
  },
  typescript: {
    file: 'bench.ts',
    text: "export const handler = async (event: { protocolData: { mqtt: { clientId: string } } }): Promise<object> => ({ isAuthenticated: true, principalId: event.protocolData.mqtt.clientId, policyDocuments: [] });\n",
    runtime: 'nodejs20.x',
  },
  python: {
    file: 'bench.py',
    text: 'def handler(event, context):\n    return {"isAuthenticated": True, "principalId": event["protocolData"]["mqtt"]["clientId"], "disconnectAfterInSeconds": 3600, "refreshAfterInSeconds": 300, "policyDocuments": []}\n',
    runtime: 'python3.12',
  },
} as const;

type Language = keyof typeof HANDLERS;

function configFor(dir: string, language: Language): AuthorizerConfig {
  const h = HANDLERS[language];
  return {
    name: 'Bench',
    handler: `${h.file}:handler`,
    handlerFile: path.join(dir, h.file),
    handlerFunction: 'handler',
    language,
    runtime: h.runtime,
    signingDisabled: true,
    signingKeys: [],
    enableCachingForHttp: false,
    status: 'ACTIVE',
    aws: {},
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function round(value: number): number {
  return Number(value.toFixed(3));
}

function row(name: string, value: number, reference: number, referenceName: string, goalMs: number): Row {
  return {
    name,
    value: round(value),
    unit: 'ms',
    reference: round(reference),
    referenceName,
    ratio: Number((value / reference).toFixed(2)),
    goal: `< ${goalMs} ms`,
    pass: value < goalMs,
  };
}

async function warm(dir: string, language: Language): Promise<Row> {
  const runtime = new LocalRuntime();
  const config = configFor(dir, language);
  try {
    for (let i = 0; i < WARMUP; i++) {
      const r = await runtime.invoke(config, EVENT);
      if (!r.ok) throw new Error(`${language} bench handler failed: ${r.error.message}`);
      await runtime.echo(config, EVENT);
    }
    const invokes: number[] = [];
    const echoes: number[] = [];
    for (let i = 0; i < WARM_SAMPLES; i++) {
      invokes.push((await runtime.invoke(config, EVENT)).timings.totalMs);
      echoes.push(await runtime.echo(config, EVENT));
    }
    return row(`invoke: warm p50 ${language}`, median(invokes), median(echoes), 'JSON echo, same channel', WARM_GOAL_MS[language]);
  } finally {
    await runtime.dispose();
  }
}

async function cold(dir: string, language: Language, interpreter: string[]): Promise<Row> {
  const config = configFor(dir, language);
  const colds: number[] = [];
  const starts: number[] = [];
  for (let i = 0; i < COLD_SAMPLES; i++) {
    const runtime = new LocalRuntime();
    try {
      const r = await runtime.invoke(config, EVENT);
      if (!r.ok || !r.timings.cold) throw new Error(`${language} cold invoke failed`);
      colds.push(r.timings.totalMs);
    } finally {
      await runtime.dispose();
    }
    const t0 = performance.now();
    spawnSync(interpreter[0], interpreter.slice(1), { stdio: 'ignore' });
    starts.push(performance.now() - t0);
  }
  return row(`invoke: cold ${language}`, median(colds), median(starts), `\`${interpreter.join(' ')}\``, COLD_GOAL_MS);
}

export async function run(): Promise<Row[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-bench-'));
  try {
    for (const h of Object.values(HANDLERS)) fs.writeFileSync(path.join(dir, h.file), h.text);
    const node = [process.execPath, '-e', '0'];
    // TypeScript's cold start includes bundling with esbuild; warm it is the same as JavaScript.
    const rows: Row[] = [await warm(dir, 'javascript'), await cold(dir, 'javascript', node), await cold(dir, 'typescript', node)];
    if (spawnSync('python3', ['-c', 'pass']).status === 0) {
      rows.push(await warm(dir, 'python'), await cold(dir, 'python', ['python3', '-c', 'pass']));
    } else {
      rows.push({ name: 'invoke: python (python3 not found, skipped)', value: NaN, unit: 'ms' });
    }
    return rows;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().then(
    (rows) => {
      for (const r of rows) {
        console.log(`${r.name.padEnd(32)} ${String(r.value).padStart(9)} ${r.unit}   ref ${r.reference} ${r.unit} (${r.referenceName})   ratio ${r.ratio}×   ${r.goal}: ${r.pass ? 'ok' : 'NOT MET'}`);
      }
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
