// The local endpoint as a person drives it: the "Local endpoint" row of the Authorizers view,
// its inline Start action, the row and the status bar while it runs, Stop from the palette; a
// live MQTT connection listed under it and closed by its inline Disconnect.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as mqtt from 'mqtt';
import { credentialsToMqttUsername } from '../../src/core/credentials';
import { signToken } from '../../src/core/tokens';
import { REPO_ROOT, screenshot } from '../harness/codeServer';
import { openAuthorizersView, openWorkbench, OpenWorkbench, runCommand } from './workbench';

suite('workbench UI: local endpoint', () => {
  let wb: OpenWorkbench;
  suiteSetup(async () => {
    wb = await openWorkbench({ name: 'ui-endpoint', workspace: path.join(REPO_ROOT, 'examples/workspace'), theme: 'dark' });
  });
  teardown(async function () {
    if (this.currentTest?.state === 'failed' && wb) await screenshot(wb.page, `failed-endpoint-${this.currentTest.title.slice(0, 40).replace(/\W+/g, '-')}`);
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

  test('a device connected over MQTT is listed under "MQTT connections"; its inline Disconnect closes it', async () => {
    const pane = await openAuthorizersView(wb.page);
    await runCommand(wb.page, 'IoT Authorizer: Start Local Endpoint');
    const group = pane.locator('.monaco-list-row', { hasText: 'MQTT connections' });
    await group.waitFor({ timeout: 30000 });
    const mqttUrl = /connect to (mqtt:\/\/127\.0\.0\.1:\d+)/.exec((await group.textContent()) ?? '')?.[1];
    assert.ok(mqttUrl, `the row names the MQTT address: ${await group.textContent()}`);
    const privateKey = fs.readFileSync(path.join(REPO_ROOT, 'examples/workspace/.iot-authz/keys/example/private_key.pem'), 'utf8');
    const token = 'allow-sensor9';
    const username = credentialsToMqttUsername({ authorizerName: 'ExampleTokenAuthorizer', tokenKeyName: 'X-Example-Token', token, signature: signToken(token, privateKey) }, 'dev');
    const client = mqtt.connect(mqttUrl, { clientId: 'sensor9', username, password: 'pw', protocolVersion: 4, reconnectPeriod: 0 });
    client.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('close', () => reject(new Error('the endpoint closed the example device\'s CONNECT')));
      });
      await pane.locator('.monaco-list-row', { hasText: /MQTT connections\s*1 live/ }).waitFor({ timeout: 30000 });
      const expanded = await group.getAttribute('aria-expanded');
      if (expanded !== 'true') await group.click();
      const row = pane.locator('.monaco-list-row', { hasText: /sensor9 · since/ });
      await row.waitFor({ timeout: 30000 });
      await row.hover();
      await screenshot(wb.page, 'endpoint-connection-dark');
      await row.locator('.action-label[aria-label="Disconnect"]').click();
      await closed;
      await row.waitFor({ state: 'detached', timeout: 30000 });
      await pane.locator('.monaco-list-row', { hasText: /MQTT connections\s*none: connect to/ }).waitFor({ timeout: 30000 });

      // The disconnect is in the decisions as a session that ended; it opens in the results panel
      // as such, not as a refusal.
      const decisions = pane.locator('.monaco-list-row', { hasText: 'Recent decisions' }).first();
      if ((await decisions.getAttribute('aria-expanded')) !== 'true') await decisions.click();
      const ended = pane.locator('.monaco-list-row', { hasText: /ended · transport · disconnect sensor9/ });
      await ended.waitFor({ timeout: 30000 });
      await ended.click();
      const panel = wb.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await panel.locator('#outcome', { hasText: 'Session ended' }).waitFor({ timeout: 30000 });
      assert.match((await panel.locator('#headline').innerText()).replace(/\s+/g, ' '), /^Session of sensor9 ended: Disconnected on request/);
      // A session's end has no request of its own: the header actions say so instead of failing.
      const rerun = panel.locator('#rerun[aria-disabled="true"]');
      await rerun.waitFor({ timeout: 30000 });
      assert.match(await rerun.getAttribute('title') ?? '', /^A DISCONNECT on a connection, decided on the policies its CONNECT returned/);
      await screenshot(wb.page, 'endpoint-session-ended-dark');
      // Close the panel: the palette commands below click the editor area, which it would cover.
      await wb.page.locator('.tab', { hasText: 'Authorizer Results' }).locator('.tab-actions .action-label').click();
      await wb.page.locator('iframe.webview.ready').waitFor({ state: 'detached', timeout: 30000 });
    } finally {
      client.end(true);
    }
    await runCommand(wb.page, 'IoT Authorizer: Stop Local Endpoint');
  });
});
