// Runs inside the VS Code extension host (code-server or desktop). Loads every compiled
// *.test.js beside this file into mocha and writes the counts to IOT_AUTHZ_TEST_RESULTS.
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';
import type { SuiteResults } from '../harness/suiteResults';

export function run(): Promise<void> {
  // Counts and lines come from the listeners below; mocha's own reporter would print twice.
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 30000, reporter: class {} as unknown as string });
  const grep = process.env.IOT_AUTHZ_TEST_GREP;
  if (grep) mocha.grep(grep);
  for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) {
    mocha.addFile(path.join(__dirname, f));
  }
  const started = Date.now();
  const failures: Array<{ title: string; error: string }> = [];
  let passed = 0;
  let skipped = 0;
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failed) => {
      const results: SuiteResults = { suite: 'extension-host', passed, failed, skipped, failures, durationMs: Date.now() - started };
      const out = process.env.IOT_AUTHZ_TEST_RESULTS;
      if (out) fs.writeFileSync(out, JSON.stringify(results, null, 2));
      if (failed > 0) reject(new Error(`${failed} extension-host tests failed.`));
      else resolve();
    });
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
      console.log(`  ✘ ${t.fullTitle()}: ${err.message}`);
    });
  });
}
