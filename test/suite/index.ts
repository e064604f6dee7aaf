// Runs inside the VS Code extension host (code-server or desktop). Loads every compiled
// *.test.js beside this file into mocha and writes the counts to IOT_AUTHZ_TEST_RESULTS.
import * as fs from 'fs';
import * as path from 'path';
import { quietMocha, runCounted } from '../harness/mochaRunner';

export async function run(): Promise<void> {
  const mocha = quietMocha(30000);
  for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) {
    mocha.addFile(path.join(__dirname, f));
  }
  const results = await runCounted(mocha, 'extension-host');
  const out = process.env.IOT_AUTHZ_TEST_RESULTS;
  if (out) fs.writeFileSync(out, JSON.stringify(results, null, 2));
  if (results.failed > 0) throw new Error(`${results.failed} extension-host tests failed.`);
}
