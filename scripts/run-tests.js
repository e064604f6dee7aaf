// `npm test`: installs what the tests need (npm packages; Chromium, Node 24 and code-server
// through scripts/test-env.sh), builds, then runs every suite and ends with one line
// "N passed, N failed" summing them. Exit code is non-zero on any failure.
// Select suites with IOT_AUTHZ_SUITES=static,unit,extension-host,ui,e2e (default: all).
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { ensureDependencies, root } = require('./ensure-deps');

const started = Date.now();
const wanted = (process.env.IOT_AUTHZ_SUITES || 'static,unit,extension-host,ui,e2e').split(',');
const resultsDir = path.join(root, '.test-runs');
// The suite runners leave the "ran no test" judgement to this script (see the summary).
process.env.IOT_AUTHZ_WHOLE_RUN = '1';
fs.mkdirSync(resultsDir, { recursive: true });

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  return r.status === null ? 1 : r.status;
}

function step(title, cmd, args) {
  console.log(`\n=== ${title}`);
  const code = run(cmd, args);
  if (code !== 0) {
    console.error(`[test] ${title} failed (exit ${code})`);
    console.log('\n0 passed, 1 failed');
    process.exit(1);
  }
}

ensureDependencies();
require('./ensure-example-key').ensureExampleKey();
if (wanted.some((s) => s === 'extension-host' || s === 'ui' || s === 'e2e')) step('test environment (Chromium, Node 24, code-server)', 'bash', ['scripts/test-env.sh']);
// --no-generate: a stale package.json or schema must fail the static suite's check, not be rewritten here.
step('build', process.execPath, ['esbuild.js', '--no-generate']);
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const eslint = path.join(root, 'node_modules/eslint/bin/eslint.js');

const results = [];

/** A check that is one test: typecheck, lint, manifest in sync. */
function checkSuite(name, checks) {
  console.log(`\n=== ${name}`);
  const t0 = Date.now();
  let passed = 0;
  const failures = [];
  for (const [title, cmd, args] of checks) {
    const code = run(cmd, args);
    if (code === 0) {
      passed++;
      console.log(`  ✔ ${title}`);
    } else {
      failures.push({ title, error: `exit ${code}` });
      console.log(`  ✘ ${title} (exit ${code})`);
    }
  }
  results.push({ suite: name, passed, failed: failures.length, skipped: 0, failures, durationMs: Date.now() - t0 });
}

/** A suite whose runner writes a results JSON file. */
function fileSuite(name, args) {
  console.log(`\n=== ${name}`);
  const file = path.join(resultsDir, `${name}-results.json`);
  fs.rmSync(file, { force: true });
  const code = run(process.execPath, [...args, file]);
  if (fs.existsSync(file)) results.push(JSON.parse(fs.readFileSync(file, 'utf8')));
  else results.push({ suite: name, passed: 0, failed: 1, skipped: 0, failures: [{ title: name, error: `runner exited ${code} without results` }], durationMs: 0 });
}

if (wanted.includes('static')) {
  checkSuite('static', [
    ['typecheck (tsc --noEmit, strict)', process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit']],
    ['lint (eslint)', process.execPath, [eslint, '--no-error-on-unmatched-pattern', 'src', 'test', 'scripts', 'bench', 'esbuild.js']],
    ['generated files are current (package.json contributions, schemas/*.json: esbuild.js --check)', process.execPath, ['esbuild.js', '--check']],
  ]);
}
console.log('\n=== compile tests');
if (run(process.execPath, [tsc, '-p', 'tsconfig.test.json']) !== 0) {
  results.push({ suite: 'compile-tests', passed: 0, failed: 1, skipped: 0, failures: [{ title: 'tsc -p tsconfig.test.json', error: 'type errors' }], durationMs: 0 });
}
const runner = path.join(root, 'out/test/harness/mochaRunner.js');
if (wanted.includes('unit')) fileSuite('unit', [runner, 'unit', 'out/test/unit']);
if (wanted.includes('extension-host')) fileSuite('extension-host', [path.join(root, 'out/test/harness/runExtensionHost.js')]);
if (wanted.includes('ui')) fileSuite('ui', [runner, 'ui', 'out/test/ui']);
if (wanted.includes('e2e') && fs.existsSync(path.join(root, 'out/test/e2e'))) fileSuite('e2e', [runner, 'e2e', 'out/test/e2e']);

// A suite that ran nothing proves nothing: without a grep it is a failure of that suite; with
// IOT_AUTHZ_TEST_GREP, a grep that matched no test anywhere is a failure of the run.
const grep = process.env.IOT_AUTHZ_TEST_GREP;
const ran = (r) => r.passed + r.failed + (r.skipped || 0);
if (!grep) {
  for (const r of results) {
    if (ran(r) === 0 && r.suite !== 'compile-tests') {
      r.failed = 1;
      r.failures = [{ title: `${r.suite}: ran no test`, error: 'the suite found no test to run' }];
    }
  }
} else if (results.filter((r) => r.suite !== 'static').reduce((n, r) => n + ran(r), 0) === 0) {
  results.push({ suite: 'grep', passed: 0, failed: 1, skipped: 0, failures: [{ title: `IOT_AUTHZ_TEST_GREP=${JSON.stringify(grep)} matched no test`, error: 'no test name matched' }], durationMs: 0 });
}

/** The first lines of a failure's message (not its stack frames), each cut to a readable length. */
function errorHead(error) {
  const lines = String(error ?? '').split('\n').map((l) => l.trim()).filter((l) => l && !/^at /.test(l));
  return lines.slice(0, 4).map((l) => (l.length > 600 ? `${l.slice(0, 600)}…` : l));
}

let passed = 0;
let failed = 0;
let skipped = 0;
console.log('\n=== summary');
for (const r of results) {
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped || 0;
  console.log(`  ${r.suite.padEnd(16)} ${String(r.passed).padStart(4)} passed ${String(r.failed).padStart(3)} failed${r.skipped ? ` ${r.skipped} skipped` : ''}  (${(r.durationMs / 1000).toFixed(1)} s)`);
  for (const f of r.failures) {
    console.log(`    ✘ ${f.title}`);
    // The reason too: CI keeps only the tail of the output, and a name alone cannot be acted on.
    for (const line of errorHead(f.error)) console.log(`        ${line}`);
  }
}
console.log(`  total time ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
