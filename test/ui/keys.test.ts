// Generating a signing key as a person does: the palette, the name typed into the quick input
// (a bad name first, to read the validation message), the key size picked, then the result in
// the status bar and the new key's files in the Explorer. Light and dark.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT, screenshot, Theme } from '../harness/codeServer';
import { openAuthorizersView, openWorkbench, OpenWorkbench, runCommand, waitForStatusText } from './workbench';

for (const theme of ['dark', 'light'] as Theme[]) {
  suite(`signing keys UI (${theme})`, () => {
    let wb: OpenWorkbench;
    suiteSetup(async () => {
      wb = await openWorkbench({ name: `ui-keys-${theme}`, workspace: path.join(REPO_ROOT, 'examples/workspace'), theme });
    });
    suiteTeardown(async () => {
      await wb?.close();
    });

    test('"Generate Signing Key Pair": a bad name is refused as typed, 2048 bits picked, the key appears', async () => {
      const page = wb.page;
      const keyName = `ui-${theme}`;
      // The extension's contributions are loaded once its activity-bar entry shows.
      await page.locator('.activitybar .action-item a[aria-label^="IoT Authorizers"]').waitFor({ timeout: 60000 });
      await runCommand(page, 'IoT Authorizer: Generate Signing Key Pair');
      const input = page.locator('.quick-input-widget input');
      await page.locator('.quick-input-widget', { hasText: 'Generate Signing Key Pair' }).waitFor({ timeout: 30000 });
      await input.fill('bad name!');
      const message = page.locator('.quick-input-widget .quick-input-message');
      await message.filter({ hasText: 'Not allowed in a key name: space, "!"' }).waitFor({ timeout: 10000 });
      await screenshot(page, `keys-generate-invalid-name-${theme}`);
      // Enter on an invalid name does nothing: the box stays open with the message.
      await page.keyboard.press('Enter');
      await message.filter({ hasText: 'Not allowed in a key name' }).waitFor({ timeout: 5000 });

      await input.fill('example');
      await message.filter({ hasText: 'Key "example" already exists' }).waitFor({ timeout: 10000 });
      await screenshot(page, `keys-generate-existing-name-${theme}`);
      await input.fill(keyName);
      await message.filter({ hasText: 'Not allowed' }).waitFor({ state: 'detached', timeout: 10000 }).catch(() => undefined);
      await page.keyboard.press('Enter');

      const recommended = page.locator('.quick-input-list .monaco-list-row', { hasText: '2048' });
      await recommended.waitFor({ timeout: 10000 });
      assert.match((await recommended.textContent()) ?? '', /recommended/);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: '4096' }).waitFor();
      await screenshot(page, `keys-generate-bits-${theme}`);
      await page.keyboard.press('Enter');

      await waitForStatusText(page, `Key "${keyName}" created: SHA256`);
      const files = path.join(wb.server.workspace, '.iot-authz/keys', keyName);
      assert.strictEqual(fs.statSync(path.join(files, 'private_key.pem')).mode & 0o777, 0o600);
      assert.ok(fs.existsSync(path.join(files, 'public_key.pem')));

      // The key's folder and files in the Explorer view.
      await runCommand(page, 'View: Show Explorer');
      const explorer = page.locator('.explorer-folders-view');
      await explorer.waitFor({ timeout: 10000 });
      await explorer.locator('.monaco-list-row', { hasText: '.iot-authz' }).first().click();
      const keyRow = explorer.locator('.monaco-list-row', { hasText: keyName });
      await keyRow.waitFor({ timeout: 10000 });
      await keyRow.click();
      await explorer.locator('.monaco-list-row', { hasText: 'private_key.pem' }).first().waitFor({ timeout: 10000 });
      await explorer.locator('.monaco-list-row', { hasText: 'public_key.pem' }).first().waitFor({ timeout: 10000 });
      await screenshot(page, `keys-generate-result-${theme}`);
    });

    test('"Sign Token…" from the authorizer\'s context menu signs with its key and reports the fingerprint', async () => {
      const page = wb.page;
      const pane = await openAuthorizersView(page);
      const row = pane.locator('.monaco-list-row', { hasText: 'ExampleTokenAuthorizer' });
      await row.waitFor({ timeout: 30000 });
      await row.click({ button: 'right' });
      const menu = page.locator('.context-view .monaco-menu');
      for (const entry of ['Sign Token…', 'Verify Token Signature…', 'Copy Signed Credentials As…', 'Copy Public Key (PEM)']) {
        await menu.locator('.action-label', { hasText: entry }).waitFor({ timeout: 10000 });
      }
      await screenshot(page, `keys-context-menu-${theme}`);
      await menu.locator('.action-label', { hasText: 'Sign Token…' }).click();
      const input = page.locator('.quick-input-widget input');
      await page.locator('.quick-input-widget', { hasText: 'Sign Token with "example"' }).waitFor({ timeout: 10000 });
      await input.fill('my-device-token ');
      await page.locator('.quick-input-widget .quick-input-message', { hasText: 'ends with whitespace' }).waitFor({ timeout: 10000 });
      await screenshot(page, `keys-sign-token-warning-${theme}`);
      await input.fill('my-device-token');
      await page.keyboard.press('Enter');
      await waitForStatusText(page, 'Signature copied · key "example" SHA256');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10000 });
      await page.waitForTimeout(300); // let the quick input's fade-out finish before the picture
      await screenshot(page, `keys-sign-token-result-${theme}`);
    });
  });
}
