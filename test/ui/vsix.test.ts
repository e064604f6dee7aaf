// The packaged extension: `npm run package` yields a .vsix that holds the bundles, media and
// docs (no sources, tests, source maps or node_modules) and installs and activates in
// code-server as a user would install it, and runs a TypeScript handler in a project without
// esbuild (with the esbuild-wasm it ships).
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { installVsix, REPO_ROOT, screenshot } from '../harness/codeServer';
import { acceptRow, openAuthorizersView, openWorkbench, OpenWorkbench, runCommand, waitForPanelText, waitForStatusText } from './workbench';

const VSIX = path.join(REPO_ROOT, 'dist-vsix/iot-authorizer-toolkit.vsix');
const HEADLINE = 'Allowed as sensor1 (1 policy)';

/** The example workspace with its handler rewritten in TypeScript, and no node_modules. */
function typeScriptWorkspace(dir: string): string {
  fs.cpSync(path.join(REPO_ROOT, 'examples/workspace'), dir, { recursive: true });
  const js = fs.readFileSync(path.join(dir, 'authorizer.js'), 'utf8');
  const rewrites: Array<[string, string]> = [
    ["'use strict';\n", 'interface AuthorizerEvent {\n  token?: string;\n  signatureVerified: boolean;\n  protocolData?: { mqtt?: { clientId?: string } };\n}\n'],
    ['exports.handler = async (event) => {', 'export const handler = async (event: AuthorizerEvent): Promise<Record<string, unknown>> => {'],
    ['const arn = (type, name) =>', 'const arn = (type: string, name: string): string =>'],
  ];
  let ts = js;
  for (const [from, to] of rewrites) {
    assert.ok(ts.includes(from), `examples/workspace/authorizer.js no longer holds ${JSON.stringify(from)}: update this rewrite`);
    ts = ts.replace(from, to);
  }
  fs.writeFileSync(path.join(dir, 'authorizer.ts'), ts);
  fs.rmSync(path.join(dir, 'authorizer.js'));
  const projectFile = path.join(dir, 'iot-authorizer.json');
  fs.writeFileSync(projectFile, fs.readFileSync(projectFile, 'utf8').replace('"authorizer.js:handler"', '"authorizer.ts:handler"'));
  return dir;
}

suite('packaged .vsix', () => {
  let entries: string[] = [];
  suiteSetup(function () {
    this.timeout(180000);
    fs.rmSync(VSIX, { force: true });
    execFileSync('npm', ['run', 'package'], { cwd: REPO_ROOT, stdio: 'pipe', encoding: 'utf8' });
    entries = execFileSync('unzip', ['-Z1', VSIX], { encoding: 'utf8' }).trim().split('\n');
  });
  // `npm run package` replaced dist/ with the production build: give the developer back the
  // development bundles (with source maps) that `npm run build` made.
  suiteTeardown(function () {
    this.timeout(180000);
    execFileSync(process.execPath, ['esbuild.js'], { cwd: REPO_ROOT, stdio: 'pipe', encoding: 'utf8' });
  });

  test('contains dist/, media/, README, CHANGELOG and LICENSE', () => {
    // vsce stores README and CHANGELOG in lower case.
    const lower = entries.map((e) => e.toLowerCase());
    for (const f of ['extension/dist/runtime/esbuild-wasm/lib/main.js', 'extension/dist/runtime/esbuild-wasm/esbuild.wasm', 'extension/dist/runtime/esbuild-wasm/bin/esbuild', 'extension/dist/runtime/esbuild-wasm/wasm_exec_node.js', 'extension/dist/extension.js', 'extension/dist/features.js', 'extension/dist/aws.js', 'extension/dist/runtime/nodeWorker.js', 'extension/dist/runtime/python_bootstrap.py', 'extension/dist/webview/panel.js', 'extension/schemas/iot-authorizer.schema.json', 'extension/dist/cli.js', 'extension/media/icon.png', 'extension/readme.md', 'extension/changelog.md', 'extension/package.json']) {
      assert.ok(lower.includes(f.toLowerCase()), `${f} missing from the .vsix:\n${entries.join("\n")}`);
    }
    assert.ok(entries.some((e) => /^extension\/LICENSE(\.txt|\.md)?$/.test(e)), 'LICENSE missing');
  });

  test('contains no sources, tests, source maps or node_modules', () => {
    const junk = entries.filter((e) => /^extension\/(src|test|out|node_modules|scripts|bench|examples|\.test-runs|screenshots)\//.test(e) || e.endsWith('.map') || e.endsWith('.ts'));
    assert.deepStrictEqual(junk, []);
  });

  test('the production extension bundle is minified and under the 150 KB goal', () => {
    const size = fs.statSync(path.join(REPO_ROOT, 'dist/extension.js')).size;
    assert.ok(size < 150 * 1024, `dist/extension.js is ${size} bytes`);
    assert.ok(!fs.readFileSync(path.join(REPO_ROOT, 'dist/extension.js'), 'utf8').includes('sourceMappingURL'), 'source map reference in the production bundle');
  });

  suite('installed into code-server', () => {
    let wb: OpenWorkbench;
    let outside: string;
    suiteSetup(async function () {
      this.timeout(180000);
      // Installed extension and workspace outside the repository, so no node_modules (and no
      // esbuild) is within reach of either: as on a user's machine.
      outside = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-vsix-'));
      // An installed copy, as a user gets it: no extensionDevelopmentPath.
      wb = await openWorkbench({
        name: 'vsix',
        runsDir: outside,
        workspace: typeScriptWorkspace(path.join(outside, 'ts-workspace')),
        extensionDevelopmentPath: null,
        beforeStart: (server) => assert.match(installVsix(server, VSIX), /successfully installed/i),
      });
    });
    suiteTeardown(async () => {
      await wb?.close();
      fs.rmSync(outside, { recursive: true, force: true });
    });

    test('activates and shows the Authorizers view with the example authorizer', async () => {
      const pane = await openAuthorizersView(wb.page);
      await pane.locator('.monaco-list-row', { hasText: 'ExampleTokenAuthorizer' }).waitFor({ timeout: 30000 });
      await runCommand(wb.page, 'IoT Authorizer: Show Output');
      // The command's own message first: a failure then says whether it ran or the panel did not open.
      await waitForStatusText(wb.page, 'IoT Authorizer: output shown');
      await waitForPanelText(wb.page, 'IoT Custom Authorizer Toolkit is ready.');
      await screenshot(wb.page, 'vsix-installed');
    });

    test('runs a TypeScript handler locally in a project without esbuild', async () => {
      const page = wb.page;
      assert.ok(!fs.existsSync(path.join(wb.server.workspace, 'node_modules')));
      await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      await page.locator('.quick-input-widget input').fill('http-publish.authz.json');
      await acceptRow(page, 'http-publish.authz.json');
      await page.locator('.tabs-container .tab.active', { hasText: 'http-publish.authz.json' }).waitFor({ timeout: 30000 });
      const run = page.locator('.part.editor .monaco-editor .codelens-decoration a', { hasText: 'Run locally' });
      await run.waitFor({ timeout: 60000 });
      await run.click();
      // The first run compiles esbuild-wasm's WebAssembly: slower than native esbuild, not slow.
      await Promise.all([
        waitForStatusText(page, HEADLINE, 60000),
        page.locator('.part.editor .monaco-editor .codelens-decoration a', { hasText: `Last: ${HEADLINE}` }).waitFor({ timeout: 60000 }),
      ]);
      await screenshot(page, 'vsix-typescript-run');
    });
  });
});
