// What a person sees first: the activity-bar container, the Authorizers view with the
// example authorizer, and a palette command with a visible result. Light and dark.
import * as assert from 'assert';
import * as path from 'path';
import { REPO_ROOT, screenshot, Theme } from '../harness/codeServer';
import { openAuthorizersView, openWorkbench, OpenWorkbench, runCommand, waitForPanelText, waitForStatusText } from './workbench';

for (const theme of ['dark', 'light'] as Theme[]) {
  suite(`workbench UI (${theme})`, () => {
    let wb: OpenWorkbench;
    suiteSetup(async () => {
      wb = await openWorkbench({ name: `ui-${theme}`, workspace: path.join(REPO_ROOT, 'examples/workspace'), theme });
    });
    suiteTeardown(async () => {
      await wb?.close();
    });

    test('the IoT Authorizers container shows the Authorizers view with the example authorizer', async () => {
      const pane = await openAuthorizersView(wb.page);
      const row = pane.locator('.monaco-list-row', { hasText: 'ExampleTokenAuthorizer' });
      await row.waitFor({ timeout: 30000 });
      assert.match((await row.textContent()) ?? '', /nodejs22\.x/);
      await row.click();
      await pane.locator('.monaco-list-row', { hasText: 'authorizer.js:handler' }).waitFor({ timeout: 10000 });
      await screenshot(wb.page, `foundation-authorizers-view-${theme}`);
    });

    test('"IoT Authorizer: Show Output" from the palette opens the output channel with its message', async () => {
      await runCommand(wb.page, 'IoT Authorizer: Show Output');
      // The command ran (its status-bar message), then the channel shows its line.
      await waitForStatusText(wb.page, 'IoT Authorizer: output shown');
      await waitForPanelText(wb.page, 'IoT Custom Authorizer Toolkit is ready.');
      await screenshot(wb.page, `foundation-show-output-${theme}`);
    });
  });
}

suite('workbench UI: empty workspace', () => {
  let wb: OpenWorkbench;
  suiteSetup(async () => {
    wb = await openWorkbench({ name: 'ui-empty', workspace: path.join(REPO_ROOT, 'test/fixtures/empty-workspace') });
  });
  suiteTeardown(async () => {
    await wb?.close();
  });

  test('the Authorizers view offers first steps when there is no project file', async () => {
    const pane = await openAuthorizersView(wb.page);
    await pane.locator('.welcome-view-content', { hasText: 'No authorizers yet' }).waitFor({ timeout: 30000 });
    await pane.locator('.welcome-view-content a, .welcome-view-content .monaco-button', { hasText: 'Get Started' }).first().waitFor();
    await screenshot(wb.page, 'foundation-welcome-view');
  });
});
