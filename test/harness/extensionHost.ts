// Runs the compiled extension-host suites (out/test/suite) inside code-server's real
// extension host, with the example workspace, and returns their counts.
import * as fs from 'fs';
import * as path from 'path';
import * as util from 'util';
import { launchBrowser, REPO_ROOT, startCodeServer, stopCodeServer, workbenchUrl } from './codeServer';
import type { SuiteResults } from './suiteResults';

const TIMEOUT_MS = Number(process.env.IOT_AUTHZ_EXT_TIMEOUT_MS ?? 600000);

export interface ExtensionHostRun {
  /** Compiled index.js exporting run(), executed inside the extension host. */
  readonly testsPath?: string;
  readonly name?: string;
  readonly extraEnv?: NodeJS.ProcessEnv;
}

export async function runExtensionHostSuites(opts: ExtensionHostRun = {}): Promise<SuiteResults> {
  const started = Date.now();
  const resultsFile = path.join(REPO_ROOT, '.test-runs', `ext-results-${process.pid}-${Date.now()}.json`);
  fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
  fs.rmSync(resultsFile, { force: true });
  const server = await startCodeServer({
    name: opts.name ?? 'ext',
    workspace: path.join(REPO_ROOT, 'examples/workspace'),
    extraEnv: { IOT_AUTHZ_TEST_RESULTS: resultsFile, IOT_AUTHZ_TEST_GREP: process.env.IOT_AUTHZ_TEST_GREP ?? '', ...(opts.extraEnv ?? {}) },
  });
  const browser = await launchBrowser(server.runDir);
  let exitCode: number | 'timeout' = 1;
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    let resolveExit: (c: number) => void = () => undefined;
    const exited = new Promise<number>((r) => (resolveExit = r));
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown) => {
      const line = util.format(...(Array.isArray(args) ? args : [args]));
      if (/^\s+[✔✘-] /.test(line) || /Error|failed/.test(line)) console.log(line);
    });
    await page.exposeFunction('codeAutomationExit', (c: number) => resolveExit(c));
    await page.goto(
      workbenchUrl(server, [
        ['extensionDevelopmentPath', REPO_ROOT],
        ['extensionTestsPath', opts.testsPath ?? path.join(REPO_ROOT, 'out/test/suite/index.js')],
        ['skipWelcome', 'true'],
      ]),
    );
    exitCode = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), TIMEOUT_MS))]);
    if (exitCode === 'timeout') {
      const shot = path.join(server.runDir, 'timeout.png');
      await page.screenshot({ path: shot });
      console.log(`[ext-host] no result within ${TIMEOUT_MS} ms; screenshot ${shot}`);
    }
  } finally {
    await browser.close();
    await stopCodeServer(server);
  }
  if (fs.existsSync(resultsFile)) {
    const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as SuiteResults;
    return { ...results, durationMs: Date.now() - started };
  }
  return {
    suite: 'extension-host',
    passed: 0,
    failed: 1,
    skipped: 0,
    failures: [{ title: 'extension-host run', error: `no results (exit ${exitCode}); see ${server.runDir}` }],
    durationMs: Date.now() - started,
  };
}
