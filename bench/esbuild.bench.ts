// The cost of shipping esbuild-wasm for TypeScript handlers in projects without esbuild:
// the first and a warm bundle of a two-file handler with the shipped esbuild-wasm, against
// native esbuild measured in the same run (each cold one in a fresh process), and what the
// esbuild-wasm folder adds to the package (unpacked, and deflated as the .vsix stores it).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { ESBUILD_WASM_DIR, RUNTIME_ASSETS_DIR } from '../src/core/constants';
import { REPO_ROOT } from '../test/harness/codeServer';
import type { BenchRow } from './types';

const HANDLER = path.join(REPO_ROOT, 'test/fixtures/handlers/node/ts/handler.ts');
const ROUNDS = 3;

/** Milliseconds of the first and of a later build, in a fresh Node process. */
function timeBuilds(modulePath: string): { first: number; warm: number } {
  const script = `
    const api = require(${JSON.stringify(modulePath)});
    const opts = { entryPoints: [${JSON.stringify(HANDLER)}], bundle: true, write: false, platform: 'node', format: 'cjs', logLevel: 'silent' };
    (async () => {
      let t = performance.now(); await api.build(opts); const first = performance.now() - t;
      t = performance.now(); await api.build(opts); const warm = performance.now() - t;
      api.stop && api.stop();
      process.stdout.write(JSON.stringify({ first, warm }));
    })();`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { first: number; warm: number };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function folderBytes(dir: string): { raw: number; deflated: number } {
  let raw = 0;
  let deflated = 0;
  for (const f of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const p = path.join(dir, f);
    if (!fs.statSync(p).isFile()) continue;
    const bytes = fs.readFileSync(p);
    raw += bytes.length;
    deflated += zlib.deflateRawSync(bytes).length;
  }
  return { raw, deflated };
}

export async function run(): Promise<BenchRow[]> {
  const wasmDir = path.join(REPO_ROOT, 'dist', RUNTIME_ASSETS_DIR, ESBUILD_WASM_DIR);
  const native = path.join(REPO_ROOT, 'node_modules/esbuild');
  const wasmMain = path.join(wasmDir, 'lib/main.js');
  const n: Array<{ first: number; warm: number }> = [];
  const w: Array<{ first: number; warm: number }> = [];
  for (let i = 0; i < ROUNDS; i++) {
    n.push(timeBuilds(native));
    w.push(timeBuilds(wasmMain));
  }
  const row = (name: string, value: number, reference: number): BenchRow => ({
    name, value: Math.round(value), unit: 'ms', reference: Math.round(reference), referenceName: 'native esbuild', ratio: Number((value / reference).toFixed(1)),
  });
  const size = folderBytes(wasmDir);
  return [
    row('TypeScript first bundle, esbuild-wasm (fresh process)', median(w.map((x) => x.first)), median(n.map((x) => x.first))),
    row('TypeScript warm bundle, esbuild-wasm', median(w.map((x) => x.warm)), median(n.map((x) => x.warm))),
    { name: 'size dist/runtime/esbuild-wasm (unpacked)', value: Number((size.raw / 1024 / 1024).toFixed(2)), unit: 'MB' },
    // Loaded only when a TypeScript handler is bundled: dist/extension.js (size.bench.ts) does not grow.
    { name: 'size dist/runtime/esbuild-wasm (deflated, as in the .vsix)', value: Number((size.deflated / 1024 / 1024).toFixed(2)), unit: 'MB' },
  ];
}
