// Bundle sizes of the production build, against the size goals (the shipped esbuild-wasm
// package is measured by esbuild.bench.ts).
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../test/harness/codeServer';
import type { BenchRow } from './types';

const GOALS: Record<string, number> = { 'dist/extension.js': 150 * 1024 };

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dist = path.join(REPO_ROOT, 'dist');
  const files = fs.readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js') && !f.includes('esbuild-wasm')).sort();
  for (const f of files) {
    const rel = `dist/${f}`;
    const size = fs.statSync(path.join(dist, f)).size;
    const goal = GOALS[rel];
    rows.push({
      name: `size ${rel}`,
      value: Number((size / 1024).toFixed(1)),
      unit: 'KB',
      ...(goal ? { goal: `< ${goal / 1024} KB`, pass: size < goal, reference: goal / 1024, referenceName: 'goal', ratio: Number((size / goal).toFixed(2)) } : {}),
    });
  }
  return rows;
}
