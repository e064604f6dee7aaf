// `npm run bench`: runs every *.bench module and prints one table. Figures are compared with
// a reference measured in the same run (ratio), never asserted as timings in tests.
import * as fs from 'fs';
import * as path from 'path';
import type { BenchRow } from './types';

async function main(): Promise<void> {
  const only = process.env.IOT_AUTHZ_BENCH?.split(',');
  const modules = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.js'))
    .filter((f) => !only || only.some((o) => f.startsWith(o)))
    .sort();
  const rows: BenchRow[] = [];
  for (const m of modules) {
    process.stderr.write(`[bench] ${m}\n`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(__dirname, m)) as { run(): Promise<BenchRow[]> };
    try {
      rows.push(...(await mod.run()));
    } catch (e) {
      rows.push({ name: `${m} (failed: ${e instanceof Error ? e.message : String(e)})`, value: NaN, unit: '', pass: false });
    }
  }
  const header = ['bench', 'measured', 'reference', 'ratio', 'goal', 'ok'];
  const table = rows.map((r) => [
    r.name,
    `${r.value} ${r.unit}`,
    r.reference !== undefined ? `${r.reference} ${r.unit}${r.referenceName ? ` (${r.referenceName})` : ''}` : '',
    r.ratio !== undefined ? `${r.ratio}×` : '',
    r.goal ?? '',
    r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of table) console.log(line(row));
  const outDir = path.resolve(__dirname, '../../bench/results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
}

void main();
