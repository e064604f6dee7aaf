// Runs one mocha suite in this Node process and writes its counts for scripts/run-tests.js.
// Usage: node out/test/harness/mochaRunner.js <suite-name> <dir> [<dir>...] <results.json>
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';
import type { SuiteResults } from './suiteResults';

function testFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.js'))
    .map((f) => path.join(dir, f))
    .sort();
}

/** Runs `mocha`, printing a line per test, and counts the results for the summary. */
export function runCounted(mocha: Mocha, suite: string): Promise<SuiteResults> {
  const started = Date.now();
  const failures: Array<{ title: string; error: string }> = [];
  let passed = 0;
  let skipped = 0;
  return new Promise((resolve) => {
    const runner = mocha.run((failed) =>
      resolve({ suite, passed, failed, skipped, failures, durationMs: Date.now() - started }),
    );
    runner.on('pass', (t) => {
      passed++;
      console.log(`  ✔ ${t.fullTitle()} (${t.duration ?? 0} ms)`);
    });
    runner.on('pending', (t) => {
      skipped++;
      console.log(`  - ${t.fullTitle()} (skipped)`);
    });
    runner.on('fail', (t, err: Error) => {
      failures.push({ title: t.fullTitle(), error: err.stack ?? err.message });
      console.log(`  ✘ ${t.fullTitle()}\n${(err.stack ?? err.message).split('\n').map((l) => '      ' + l).join('\n')}`);
    });
  });
}

/** A mocha instance whose own reporter is silent: runCounted prints the lines. */
export function quietMocha(timeoutMs: number): Mocha {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: timeoutMs, reporter: class {} as unknown as string });
  const grep = process.env.IOT_AUTHZ_TEST_GREP;
  if (grep) mocha.grep(grep);
  return mocha;
}

export function runMochaSuite(suite: string, dirs: string[], timeoutMs: number): Promise<SuiteResults> {
  const mocha = quietMocha(timeoutMs);
  for (const d of dirs) for (const f of testFiles(d)) mocha.addFile(f);
  return runCounted(mocha, suite);
}

if (require.main === module) {
  const [suite, ...rest] = process.argv.slice(2);
  const resultsFile = rest.pop() as string;
  const dirs = rest;
  const timeout = Number(process.env.IOT_AUTHZ_TEST_TIMEOUT_MS ?? (suite === 'unit' ? 20000 : 180000));
  runMochaSuite(suite, dirs, timeout).then((r) => {
    if (r.passed + r.failed + r.skipped === 0 && !process.env.IOT_AUTHZ_WHOLE_RUN) {
      // Nothing ran: a grep that matches no test name, or an empty folder, is a failure.
      // Under `npm test` (IOT_AUTHZ_WHOLE_RUN) scripts/run-tests.js judges the whole run instead.
      const why = process.env.IOT_AUTHZ_TEST_GREP ? `IOT_AUTHZ_TEST_GREP=${JSON.stringify(process.env.IOT_AUTHZ_TEST_GREP)} matched no test` : `no test found in ${dirs.join(', ')}`;
      r = { ...r, failed: 1, failures: [{ title: `${suite}: ran no test`, error: why }] };
      console.log(`  ✘ ${suite}: ${why}`);
    }
    fs.writeFileSync(resultsFile, JSON.stringify(r, null, 2));
    process.exit(r.failed > 0 ? 1 : 0);
  });
}
