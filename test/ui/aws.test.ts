// AWS as a person drives it, against the real local endpoint (`iot-authz endpoint`, a child
// process stopped by pid) with iotAuthz.aws.endpointUrl pointing at it: click "Deploy to AWS…"
// above the authorizer in iot-authorizer.json, confirm the plan in the modal, read the deploy's
// test-invoke in the results panel; then click "Test-invoke in AWS" above an event file and read
// "Allowed as sensor1" there. Light and dark screenshots go to screenshots/ (git-ignored).
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { FrameLocator, Page } from 'playwright-core';
import { REPO_ROOT, screenshot, Theme } from '../harness/codeServer';
import { ACCOUNT, REGION, RunningEndpoint, startEndpointProcess, stopEndpointProcess } from '../e2e/endpointFixtures';
import { acceptRow, openWorkbench, OpenWorkbench } from './workbench';

/** F1, the file's name (Quick Open), Enter; waits for its tab. */
async function openFile(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(name);
  await acceptRow(page, name);
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: 30000 });
}

function lens(page: Page, text: string) {
  return page.locator('.part.editor .monaco-editor .codelens-decoration a', { hasText: text });
}

function panelFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

for (const theme of ['dark', 'light'] as Theme[]) {
  suite(`AWS UI against the local endpoint (${theme})`, () => {
    let wb: OpenWorkbench | undefined;
    let endpoint: RunningEndpoint | undefined;
    let dir: string;

    suiteSetup(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-ui-aws-'));
      fs.cpSync(path.join(REPO_ROOT, 'examples/workspace'), dir, { recursive: true });
      const file = path.join(dir, 'iot-authorizer.json');
      const project = JSON.parse(fs.readFileSync(file, 'utf8')) as { authorizers: Array<Record<string, unknown>> };
      project.authorizers[0].aws = { roleArn: `arn:aws:iam::${ACCOUNT}:role/iot-authz-ui`, region: REGION };
      fs.writeFileSync(file, JSON.stringify(project, null, 2) + '\n');
      endpoint = await startEndpointProcess(['--port', '0', '--region', REGION, '--account', ACCOUNT], 30000);
      wb = await openWorkbench({
        name: `ui-aws-${theme}`,
        workspace: dir,
        theme,
        settings: { 'iotAuthz.aws.endpointUrl': endpoint.url },
        extraEnv: {
          AWS_ACCESS_KEY_ID: 'AKIDUITEST',
          AWS_SECRET_ACCESS_KEY: 'ui-test-secret',
          AWS_REGION: REGION,
          AWS_CONFIG_FILE: path.join(dir, 'no-aws-config'),
          AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-aws-credentials'),
          AWS_PROFILE: '',
        },
      });
    });

    suiteTeardown(async () => {
      await wb?.close();
      await stopEndpointProcess(endpoint);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    teardown(async function () {
      if (this.currentTest?.state === 'failed' && wb) await screenshot(wb.page, `failed-aws-${theme}-${this.currentTest.title.slice(0, 40).replace(/\W+/g, '-')}`);
    });

    test('"Deploy to AWS…" above the authorizer: the plan in a modal, then the deploy\'s test-invoke in the results panel', async () => {
      const page = wb!.page;
      await openFile(page, 'iot-authorizer.json');
      const deploy = lens(page, 'Deploy to AWS…');
      await deploy.waitFor({ timeout: 60000 });
      await deploy.click();
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 60000 });
      const dialogText = (await dialog.innerText()).replace(/\s+/g, ' ');
      assert.match(dialogText, new RegExp(`Deploy ExampleTokenAuthorizer to ${ACCOUNT} · ${REGION}\\?`));
      assert.match(dialogText, /create Lambda function iot-authz-ExampleTokenAuthorizer/);
      await screenshot(page, `aws-deploy-plan-${theme}`);
      await dialog.locator('.monaco-button', { hasText: /^Deploy$/ }).click();
      const frame = panelFrame(page);
      // The deploy test-invokes the example's first event the local run allows (events/http-publish.authz.json).
      await frame.locator('#headline', { hasText: 'AWS: allowed as sensor1' }).waitFor({ timeout: 90000 });
      const request = (await frame.locator('#request').first().innerText()).replace(/\s+/g, ' ');
      assert.match(request, new RegExp(`Target AWS ${ACCOUNT} ${REGION}`));
      assert.match(request, /Token allow-sensor1/);
      assert.match(request, /Sent, verified by AWS/);
      await screenshot(page, `aws-deploy-result-${theme}`);
    });

    test('"Test-invoke in AWS" above an event file: the deployed handler\'s answer in the results panel', async () => {
      const page = wb!.page;
      await openFile(page, 'http-publish.authz.json');
      const invoke = lens(page, 'Test-invoke in AWS');
      await invoke.waitFor({ timeout: 60000 });
      await invoke.click();
      const frame = panelFrame(page);
      await frame.locator('#headline', { hasText: 'sensor1' }).waitFor({ timeout: 60000 });
      assert.strictEqual((await frame.locator('#outcome').first().innerText()).trim(), 'Allowed');
      assert.strictEqual((await frame.locator('#principal').first().innerText()).trim(), 'sensor1');
      await screenshot(page, `aws-test-invoke-${theme}`);
    });
  });
}
