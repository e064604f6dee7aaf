// Activation time measured inside a real extension host (code-server), median of several
// fresh hosts, against a hello-world reference extension timed the same way in the same host.
import { runExtensionHostSuites } from '../test/harness/extensionHost';
import * as path from 'path';
import { REPO_ROOT } from '../test/harness/codeServer';
import type { BenchRow } from './types';

const ACTIVATION_GOAL_MS = 50;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function run(): Promise<BenchRow[]> {
  const runs = Number(process.env.IOT_AUTHZ_BENCH_ACTIVATIONS ?? 3);
  const ours: number[] = [];
  const firstUse: number[] = [];
  const refs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = (await runExtensionHostSuites({ name: 'bench-activation', testsPath: path.join(REPO_ROOT, 'out/bench/extensionHost/index.js') })) as unknown as {
      activationMs?: number;
      featuresLoadMs?: number;
      referenceMs?: number;
    };
    if (typeof r.activationMs !== 'number' || typeof r.referenceMs !== 'number') throw new Error(`activation bench run ${i + 1} produced no figures`);
    ours.push(r.activationMs);
    if (typeof r.featuresLoadMs === 'number') firstUse.push(r.featuresLoadMs);
    refs.push(r.referenceMs);
  }
  const value = median(ours);
  const reference = median(refs);
  return [
    {
      name: `activation (median of ${runs} hosts)`,
      value: Number(value.toFixed(2)),
      unit: 'ms',
      reference: Number(reference.toFixed(2)),
      referenceName: 'hello-world extension',
      ratio: Number((value / reference).toFixed(2)),
      goal: `< ${ACTIVATION_GOAL_MS} ms`,
      pass: value < ACTIVATION_GOAL_MS,
    },
    ...(firstUse.length
      ? [{ name: `features bundle load on first use (median)`, value: Number(median(firstUse).toFixed(2)), unit: 'ms', reference: Number(reference.toFixed(2)), referenceName: 'hello-world extension', ratio: Number((median(firstUse) / reference).toFixed(2)) }]
      : []),
  ];
}
