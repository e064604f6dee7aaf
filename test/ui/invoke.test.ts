// The local loop as a person drives it: open an event file, click the "Run locally" CodeLens,
// read the headline in the output panel, the status bar and the "Last:" lens; then click
// "Invoke locally…" above the handler and pick the event. Light and dark.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { REPO_ROOT, screenshot, Theme } from '../harness/codeServer';
import { acceptRow, openAuthorizersView, openWorkbench, OpenWorkbench, waitForPanelText, waitForStatusText } from './workbench';

const HEADLINE = 'Allowed as sensor1 (1 policy)';

/** F1, type, wait for the row, Enter: a command with ">", else Quick Open of a file. Works with the editor hidden. */
async function palette(page: Page, text: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(text);
  // ":<line>" (Go to Line) lists no rows, only its hint.
  if (text.startsWith(':')) {
    await page.locator('.quick-input-widget', { hasText: /line/i }).waitFor({ timeout: 30000 });
    await page.keyboard.press('Enter');
  } else {
    await acceptRow(page, text.replace(/^>/, ''));
  }
}

async function openFile(page: Page, name: string): Promise<void> {
  await palette(page, name);
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: 30000 });
}

function lens(page: Page, text: string) {
  return page.locator('.part.editor .monaco-editor .codelens-decoration a', { hasText: text });
}

for (const theme of ['dark', 'light'] as Theme[]) {
  suite(`local invoke UI (${theme})`, () => {
    let wb: OpenWorkbench;
    suiteSetup(async () => {
      wb = await openWorkbench({ name: `ui-invoke-${theme}`, workspace: path.join(REPO_ROOT, 'examples/workspace'), theme });
    });
    suiteTeardown(async () => {
      await wb?.close();
    });

    test('clicking "Run locally" above an event file shows the headline in the output panel, the status bar and the lens', async () => {
      const page = wb.page;
      await openFile(page, 'http-publish.authz.json');
      const run = lens(page, 'Run locally');
      // CodeLens shows once the extension is active and the lens provider answered.
      await run.waitFor({ timeout: 60000 });
      await screenshot(page, `invoke-event-lens-${theme}`);
      await run.click();
      // Both at once: the status bar message is shown for 15 s, so waiting for the lens first
      // could let it go by on a machine slow enough for the lens to take that long.
      await Promise.all([
        waitForStatusText(page, HEADLINE),
        lens(page, `Last: ${HEADLINE}`).waitFor({ timeout: 30000 }),
      ]);
      await screenshot(page, `invoke-event-last-run-${theme}`);
      // Then the output channel, where the run wrote its result block. The command's own status
      // message first: a failure then says whether the command ran or the panel did not open.
      await palette(page, '>IoT Authorizer: Show Output');
      await waitForStatusText(page, 'IoT Authorizer: output shown');
      const panel = page.locator('.part.panel');
      await waitForPanelText(page, 'IoT Custom Authorizer Toolkit is ready.');
      // The whole result block (it starts with the headline) in view. Restored however this
      // ends: a panel left maximized hides the editor, and with it the next test's lenses.
      await palette(page, '>View: Toggle Maximized Panel');
      try {
        await waitForPanelText(page, HEADLINE, 30000);
        await waitForPanelText(page, 'verified with key "example"', 30000);
        const panelText = (await panel.innerText()).replace(/\u00a0/g, ' ');
        assert.match(panelText, /ALLOWED\s+Allowed as sensor1 \(1 policy\)/);
        assert.match(panelText, /Signature\s+verified with key "example"/);
        await screenshot(page, `invoke-output-${theme}`);
      } finally {
        await palette(page, '>View: Toggle Maximized Panel');
      }
    });

    test('"Invoke locally…" above the handler lists the events that reach it, last run first', async () => {
      const page = wb.page;
      await openFile(page, 'authorizer.js');
      const invoke = lens(page, 'Invoke locally…');
      await invoke.waitFor({ timeout: 60000 });
      await invoke.click();
      const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
      await page.locator('.quick-input-widget', { hasText: 'Invoke ExampleTokenAuthorizer locally with' }).waitFor({ timeout: 30000 });
      await rows.filter({ hasText: 'New Test Event…' }).waitFor({ timeout: 10000 });
      const first = (await rows.first().innerText()).replace(/\s+/g, ' ');
      assert.match(first, /http-publish\.authz\.json/);
      assert.match(first, /last run/);
      // Every example event reaches the example authorizer (one by its default-authorizer role).
      for (const name of ['mqtt-connect', 'mqtt-wrong-client', 'mqtt-wss-browser', 'http-unsigned']) {
        await rows.filter({ hasText: name }).first().waitFor({ timeout: 10000 });
      }
      await screenshot(page, `invoke-handler-pick-${theme}`);
      await rows.filter({ hasText: 'mqtt-wrong-client' }).first().click();
      await Promise.all([
        lens(page, 'Last: Denied by the handler').waitFor({ timeout: 30000 }),
        waitForStatusText(page, 'Denied by the handler'),
      ]);
      await screenshot(page, `invoke-handler-last-run-${theme}`);
    });

    test('the authorizer row in the Authorizers view has an inline "Invoke locally" button', async () => {
      const page = wb.page;
      const pane = await openAuthorizersView(page);
      const row = pane.locator('.monaco-list-row', { hasText: 'ExampleTokenAuthorizer' });
      await row.waitFor({ timeout: 30000 });
      await row.hover();
      const button = row.locator('.action-label[aria-label^="Invoke Authorizer Locally"]');
      await button.waitFor({ timeout: 10000 });
      await screenshot(page, `invoke-explorer-inline-${theme}`);
      await button.click();
      await page.locator('.quick-input-widget', { hasText: 'Invoke ExampleTokenAuthorizer locally with' }).waitFor({ timeout: 30000 });
      await page.keyboard.press('Escape');
    });
  });
}

suite('New Authorizer UI: empty workspace', () => {
  let wb: OpenWorkbench;
  suiteSetup(async () => {
    wb = await openWorkbench({ name: 'ui-new-authorizer', workspace: path.join(REPO_ROOT, 'test/fixtures/empty-workspace') });
  });
  suiteTeardown(async () => {
    await wb?.close();
  });

  test('the welcome view\'s "New Authorizer…" button walks through kind, language and name, then the new event runs', async () => {
    const page = wb.page;
    const pane = await openAuthorizersView(page);
    const button = pane.locator('.welcome-view-content a, .welcome-view-content .monaco-button', { hasText: 'New Authorizer…' }).first();
    await button.waitFor({ timeout: 30000 });
    await screenshot(page, 'new-authorizer-welcome');
    await button.click();
    const widget = page.locator('.quick-input-widget');
    const rows = widget.locator('.quick-input-list .monaco-list-row');
    await widget.filter({ hasText: 'what does the device send?' }).waitFor({ timeout: 30000 });
    await rows.filter({ hasText: 'Bearer token (JWT)' }).waitFor({ timeout: 10000 });
    await screenshot(page, 'new-authorizer-kind');
    await rows.filter({ hasText: 'MQTT username and password' }).click();
    await widget.filter({ hasText: 'handler language' }).waitFor({ timeout: 10000 });
    await rows.filter({ hasText: 'TypeScript' }).click();
    await widget.filter({ hasText: 'authorizer name' }).waitFor({ timeout: 10000 });
    const input = widget.locator('input');
    assert.strictEqual(await input.inputValue(), 'PasswordAuthorizer');
    await input.fill('bad name');
    const message = widget.locator('.quick-input-message');
    await message.filter({ hasText: 'Use letters, digits and _ = , @ - only' }).waitFor({ timeout: 10000 });
    await screenshot(page, 'new-authorizer-name-invalid');
    await input.fill('DevicePasswords');
    await message.filter({ hasText: 'Use letters' }).waitFor({ state: 'detached', timeout: 10000 }).catch(() => undefined);
    await page.keyboard.press('Enter');

    // The handler opens; the Authorizers view lists the new authorizer.
    await page.locator('.tabs-container .tab.active', { hasText: 'index.ts' }).waitFor({ timeout: 30000 });
    await pane.locator('.monaco-list-row', { hasText: 'DevicePasswords' }).waitFor({ timeout: 30000 });
    // Go to the handler function (Quick Open ":line"), where its lens is.
    const source = fs.readFileSync(path.join(wb.server.workspace, 'authorizers/DevicePasswords/index.ts'), 'utf8');
    const line = source.split('\n').findIndex((l) => l.startsWith('export const handler')) + 1;
    assert.ok(line > 0);
    await palette(page, `:${line}`);
    await lens(page, 'Invoke locally…').waitFor({ timeout: 60000 });
    await screenshot(page, 'new-authorizer-handler');

    await openFile(page, 'mqtt.authz.json');
    const run = lens(page, 'Run locally');
    await run.waitFor({ timeout: 60000 });
    await run.click();
    await lens(page, 'Last: Allowed as sensor1').waitFor({ timeout: 60000 });
    await screenshot(page, 'new-authorizer-event-run');
  });

  test('the walkthrough has the handler and local-run steps with their command links', async () => {
    const page = wb.page;
    await palette(page, '>IoT Authorizer: Get Started');
    const walkthrough = page.locator('.gettingStartedContainer');
    await walkthrough.locator('.getting-started-step', { hasText: 'Write the authorizer handler' }).first().click({ timeout: 30000 });
    await walkthrough.locator('.getting-started-step.expanded a, .getting-started-step.expanded .button-link', { hasText: 'New Authorizer…' }).first().waitFor({ timeout: 10000 });
    await screenshot(page, 'walkthrough-handler-step');
    await walkthrough.locator('.getting-started-step', { hasText: 'Run it locally' }).first().click();
    await walkthrough.locator('.getting-started-step.expanded a, .getting-started-step.expanded .button-link', { hasText: 'Run a Test Event' }).first().waitFor({ timeout: 10000 });
    await screenshot(page, 'walkthrough-invoke-step');
  });
});
