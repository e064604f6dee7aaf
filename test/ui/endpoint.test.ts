// The local endpoint as a person drives it: the "Local endpoint" row of the Authorizers view,
// its inline Start action, the row and the status bar while it runs, Stop from the palette.
import * as assert from 'assert';
import * as path from 'path';
import { REPO_ROOT, screenshot } from '../harness/codeServer';
import { openAuthorizersView, openWorkbench, OpenWorkbench, runCommand } from './workbench';

suite('workbench UI: local endpoint', () => {
  let wb: OpenWorkbench;
  suiteSetup(async () => {
    wb = await openWorkbench({ name: 'ui-endpoint', workspace: path.join(REPO_ROOT, 'examples/workspace'), theme: 'dark' });
  });
  suiteTeardown(async () => {
    if (wb) {
      await runCommand(wb.page, 'IoT Authorizer: Stop Local Endpoint').catch(() => undefined);
      await wb.close();
    }
  });

  test('the inline Start on the "Local endpoint" row starts it; the row and the status bar show the address; Stop ends it', async () => {
    const pane = await openAuthorizersView(wb.page);
    const row = pane.locator('.monaco-list-row', { hasText: 'Local endpoint' });
    await row.waitFor({ timeout: 30000 });
    assert.match((await row.textContent()) ?? '', /stopped/);
    await row.hover();
    await row.locator('.action-label[aria-label="Start Local Endpoint"]').click();
    await pane.locator('.monaco-list-row', { hasText: /running at http:\/\/127\.0\.0\.1:\d+/ }).waitFor({ timeout: 30000 });
    await pane.locator('.monaco-list-row', { hasText: 'Address' }).first().waitFor({ timeout: 10000 });
    await pane.locator('.monaco-list-row', { hasText: 'Recent decisions' }).first().waitFor({ timeout: 10000 });
    const status = wb.page.locator('.part.statusbar', { hasText: /Endpoint :\d+/ });
    await status.waitFor({ timeout: 10000 });
    await screenshot(wb.page, 'endpoint-running-dark');
    await runCommand(wb.page, 'IoT Authorizer: Stop Local Endpoint');
    await pane.locator('.monaco-list-row', { hasText: /Local endpoint\s*stopped/ }).waitFor({ timeout: 30000 });
    await wb.page.locator('.part.statusbar .statusbar-item', { hasText: /Endpoint :\d+/ }).waitFor({ state: 'detached', timeout: 10000 });
  });
});
