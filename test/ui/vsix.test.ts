// The packaged extension: `npm run package` yields a .vsix that holds the bundles, media and
// docs (no sources, tests, source maps or node_modules) and installs and activates in
// code-server as a user would install it.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { installVsix, REPO_ROOT, screenshot } from '../harness/codeServer';
import { openAuthorizersView, openWorkbench, OpenWorkbench, runCommand } from './workbench';

const VSIX = path.join(REPO_ROOT, 'dist-vsix/iot-authorizer-toolkit.vsix');

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
    for (const f of ['extension/dist/extension.js', 'extension/dist/features.js', 'extension/dist/aws.js', 'extension/dist/runtime/nodeWorker.js', 'extension/dist/runtime/python_bootstrap.py', 'extension/dist/webview/panel.js', 'extension/schemas/iot-authorizer.schema.json', 'extension/dist/cli.js', 'extension/media/icon.png', 'extension/readme.md', 'extension/changelog.md', 'extension/package.json']) {
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
    suiteSetup(async function () {
      this.timeout(180000);
      // An installed copy, as a user gets it: no extensionDevelopmentPath.
      wb = await openWorkbench({
        name: 'vsix',
        workspace: path.join(REPO_ROOT, 'examples/workspace'),
        extensionDevelopmentPath: null,
        beforeStart: (server) => assert.match(installVsix(server, VSIX), /successfully installed/i),
      });
    });
    suiteTeardown(async () => {
      await wb?.close();
    });

    test('activates and shows the Authorizers view with the example authorizer', async () => {
      const pane = await openAuthorizersView(wb.page);
      await pane.locator('.monaco-list-row', { hasText: 'ExampleTokenAuthorizer' }).waitFor({ timeout: 30000 });
      await runCommand(wb.page, 'IoT Authorizer: Show Output');
      await wb.page.locator('.part.panel').locator('text=IoT Custom Authorizer Toolkit is ready.').waitFor({ timeout: 30000 });
      await screenshot(wb.page, 'vsix-installed');
    });
  });
});
