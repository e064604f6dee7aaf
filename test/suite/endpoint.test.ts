// The local IoT endpoint in a real VS Code: Start Local Endpoint runs the CLI as a child
// process on the example workspace, the "Local endpoint" node and the status bar follow its
// state, a real signed HTTP publish (and a badly signed one) show up as decisions in the tree,
// a decision opens in the results panel as a run with target endpoint, and Stop ends the child.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import { AUTHORIZER_NAME_PARAM, ENDPOINT_CONCURRENCY_SETTING, ENDPOINT_DEFAULT_CONCURRENCY, SIGNATURE_PARAM } from '../../src/core/constants';
import { signToken } from '../../src/core/tokens';
import type { EndpointRunning } from '../../src/vscode/endpointHost';
import type { EndpointRunResult, EndpointSnippetsResult } from '../../src/vscode/endpointCommands';
import type { InvocationResult } from '../../src/core/result';
import type { ExplorerNode } from '../../src/vscode/explorer';
import type { FromWebview, ToWebview } from '../../src/webview/protocol';
import * as mqtt from 'mqtt';
import { credentialsToMqttUsername } from '../../src/core/credentials';
import { within } from './within';

const EXTENSION_ID = 'iot-authz-dev.iot-authorizer-toolkit';

suite('local endpoint in VS Code (node, status bar, decisions, panel)', function () {
  this.timeout(90_000);
  let api: ExtensionApi['features'];
  let ws: string;

  const roots = () => api.explorer.getChildren();
  async function endpointNode(): Promise<ExplorerNode> {
    const node = (await roots()).find((n) => n.kind === 'endpoint');
    assert.ok(node, 'no "Local endpoint" node in the Authorizers view');
    return node;
  }
  const rootItem = async () => api.explorer.getTreeItem(await endpointNode());
  async function children(): Promise<ExplorerNode[]> {
    return api.explorer.getChildren(await endpointNode());
  }
  async function decisionNodes(): Promise<ExplorerNode[]> {
    const group = (await children()).find((n) => n.kind === 'endpointChild' && n.view.kind === 'decisions');
    return group ? api.explorer.getChildren(group) : [];
  }

  /** Resolves when `check` holds, re-checking each time the tree changes (no polling, no sleep). */
  async function treeUntil<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
    const now = await check();
    if (now !== undefined) return now;
    return new Promise<T>((resolve, reject) => {
      const sub = api.explorer.onDidChangeTreeData(() => {
        check().then(
          (v) => {
            if (v === undefined) return;
            sub.dispose();
            resolve(v);
          },
          (e: unknown) => {
            sub.dispose();
            reject(e instanceof Error ? e : new Error(`${what}: ${String(e)}`));
          },
        );
      });
    });
  }

  function toPage(type: ToWebview['type'], match: (m: ToWebview) => boolean): Promise<ToWebview> {
    return new Promise((resolve) => {
      const sub = api.results.onDidPostMessage((m) => {
        if (m.type === type && match(m)) {
          sub.dispose();
          resolve(m);
        }
      });
    });
  }
  function fromPage(type: FromWebview['type'], match: (m: FromWebview) => boolean): Promise<FromWebview> {
    return new Promise((resolve) => {
      const sub = api.results.onDidReceiveMessage((m) => {
        if (m.type === type && match(m)) {
          sub.dispose();
          resolve(m);
        }
      });
    });
  }

  suiteSetup(async () => {
    api = (await vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.activate()).features;
    ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
  });

  suiteTeardown(async () => {
    // Leave the window as the other suites expect it: endpoint stopped, no runs in the history, no panel open.
    await vscode.commands.executeCommand('iotAuthz.endpoint.stop');
    await vscode.commands.executeCommand('iotAuthz.clearHistory', { confirm: true });
    api.results.webviewPanel?.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('stopped at first: the node says so, offers Start, and the status bar item is hidden', async () => {
    const item = await rootItem();
    assert.strictEqual(item.contextValue, 'endpoint.stopped');
    assert.strictEqual(item.description, 'stopped');
    assert.strictEqual(api.endpoint.statusBarText, undefined);
    assert.deepStrictEqual(await children(), []);
    // Commands that need it running say how to start it.
    assert.strictEqual(await vscode.commands.executeCommand('iotAuthz.endpoint.copyUrl'), undefined);
  });

  test('start, publish signed and badly signed, see both decisions, open one as an endpoint run, stop by pid', async () => {
    const started = (await vscode.commands.executeCommand('iotAuthz.endpoint.start')) as EndpointRunning;
    assert.ok(started, 'Start Local Endpoint returned nothing (see the output channel)');
    assert.match(started.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    process.kill(started.pid, 0); // the child is alive
    const health = (await (await fetch(`${started.url}/_iot-authz/health`)).json()) as { concurrency: number };
    assert.strictEqual(health.concurrency, ENDPOINT_DEFAULT_CONCURRENCY, 'without the setting, the endpoint default');

    await treeUntil('the node shows running', async () => ((await rootItem()).contextValue === 'endpoint.running' ? true : undefined));
    assert.strictEqual((await rootItem()).description, `running at ${started.url}`);
    assert.strictEqual(api.endpoint.statusBarText, `$(radio-tower) Endpoint :${started.port}`);
    const kids = await children();
    const labels = kids.map((n) => (n.kind === 'endpointChild' ? [n.view.kind, n.view.label, n.view.description] : []));
    assert.deepStrictEqual(labels.slice(0, 2), [
      ['address', 'Address', started.url],
      ['registered', 'ExampleTokenAuthorizer', 'registered from iot-authorizer.json'],
    ]);
    assert.strictEqual(api.explorer.getTreeItem(kids[0]).command?.command, 'iotAuthz.endpoint.copyUrl');
    assert.strictEqual(await vscode.commands.executeCommand('iotAuthz.endpoint.copyUrl'), started.url);
    assert.strictEqual(await vscode.env.clipboard.readText(), started.url);
    const snippets = (await vscode.commands.executeCommand('iotAuthz.endpoint.snippets', { open: false })) as EndpointSnippetsResult;
    assert.ok(snippets.text.includes(`aws --endpoint-url '${started.url}' iot list-authorizers`), snippets.text);
    assert.ok(snippets.text.includes(`'${started.url}/topics/test/topic?qos=1'`), snippets.text);
    // openssl is there (the test set-up checks it): the editor starts the TLS listeners, and the
    // Device SDK snippets use their ports and certificate instead of asking for a restart.
    assert.ok(started.mqtts && started.https, JSON.stringify(started));
    assert.ok(snippets.text.includes(`MQTTS_PORT=${new URL(started.mqtts.url).port}`), snippets.text);
    assert.ok(snippets.text.includes(`CA_FILE='${started.mqtts.caFile}'`), snippets.text);
    assert.ok(!snippets.text.includes('restart it with --mqtts-port'), snippets.text);

    // A real HTTP publish, signed with the example workspace key, to a topic the example policy allows.
    const privateKey = fs.readFileSync(path.join(ws, '.iot-authz/keys/example/private_key.pem'), 'utf8');
    const token = 'allow-sensor1';
    const headers = { [AUTHORIZER_NAME_PARAM]: 'ExampleTokenAuthorizer', 'X-Example-Token': token, [SIGNATURE_PARAM]: signToken(token, privateKey) };
    const ok = await fetch(`${started.url}/topics/devices/sensor1/temp?qos=1`, { method: 'POST', headers, body: '{"t":21}' });
    assert.strictEqual(ok.status, 200, await ok.text());
    const allowed = await treeUntil('the allowed decision in the tree', async () =>
      (await decisionNodes()).find((n) => n.kind === 'endpointDecision' && n.view.label === 'allow · policy · devices/sensor1/temp'),
    );
    // The signature of another token: refused at the signature stage, before the handler.
    const bad = await fetch(`${started.url}/topics/devices/sensor1/temp?qos=1`, { method: 'POST', headers: { ...headers, 'X-Example-Token': 'allow-sensor2' }, body: '{}' });
    assert.strictEqual(bad.status, 403);
    const denied = await treeUntil('the refused decision in the tree', async () => {
      const nodes = await decisionNodes();
      return nodes[0]?.kind === 'endpointDecision' && nodes[0].view.label === 'deny · signature · devices/sensor1/temp' ? nodes : undefined;
    });
    assert.strictEqual(denied.length, 2, 'newest first: the refusal, then the allowed publish');

    // Clicking the allowed decision opens it in the results panel as a run with target endpoint.
    const item = api.explorer.getTreeItem(allowed);
    assert.ok(item.command && allowed.kind === 'endpointDecision');
    const runId = allowed.view.runId!;
    const sent = toPage('showRun', (m) => m.type === 'showRun' && m.run.id === runId);
    const rendered = fromPage('rendered', (m) => m.type === 'rendered' && m.runId === runId);
    assert.strictEqual(await vscode.commands.executeCommand(item.command.command, ...(item.command.arguments ?? [])), runId);
    const shown = await sent;
    await rendered;
    assert.ok(shown.type === 'showRun');
    assert.strictEqual(shown.run.target.kind, 'endpoint');
    assert.strictEqual(shown.run.outcome, 'allowed');
    assert.strictEqual(api.results.shownRunId, runId);

    const pid = (await vscode.commands.executeCommand('iotAuthz.endpoint.stop')) as number;
    assert.strictEqual(pid, started.pid);
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the endpoint process is gone');
    await treeUntil('the node shows stopped', async () => ((await rootItem()).contextValue === 'endpoint.stopped' ? true : undefined));
    assert.strictEqual(api.endpoint.statusBarText, undefined);
  });

  test('Run against endpoint: the panel sends a local run\'s request to the endpoint (starting it) and shows the endpoint\'s decision', async () => {
    assert.strictEqual(api.endpoint.status.state, 'stopped');
    const local = (await vscode.commands.executeCommand('iotAuthz.runTestEvent', vscode.Uri.file(path.join(ws, 'events/http-publish.authz.json')))) as InvocationResult;
    assert.strictEqual(local.target.kind, 'local');
    assert.strictEqual(local.outcome, 'allowed');
    const shown = toPage('showRun', (m) => m.type === 'showRun' && m.run.target.kind === 'endpoint');
    await api.results.handleMessage({ type: 'runOnEndpoint', runId: local.id });
    const m = await shown;
    assert.ok(m.type === 'showRun');
    assert.strictEqual(m.run.outcome, 'allowed', m.run.headline);
    assert.strictEqual(api.results.shownRunId, m.run.id);
    const running = api.endpoint.host.running;
    assert.ok(running, 'the endpoint was started for the run');
    await treeUntil('the decision in the tree', async () =>
      (await decisionNodes()).some((n) => n.kind === 'endpointDecision' && n.view.runId === m.run.id) ? true : undefined,
    );

    // An MQTT run: its credentials go as headers of the HTTP publish.
    const mqtt = (await vscode.commands.executeCommand('iotAuthz.runTestEvent', vscode.Uri.file(path.join(ws, 'events/mqtt-connect.authz.json')))) as InvocationResult;
    const r = (await vscode.commands.executeCommand('iotAuthz.endpoint.runAgainst', { runId: mqtt.id })) as EndpointRunResult;
    assert.ok(r, 'Run Against Local Endpoint returned nothing (see the output channel)');
    assert.strictEqual(r.status, 200);
    assert.strictEqual(api.results.shownRunId, r.runId);

    const pid = (await vscode.commands.executeCommand('iotAuthz.endpoint.stop')) as number;
    assert.strictEqual(pid, running.pid);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });

  test('a saved change to iot-authorizer.json offers a restart on the same address, which registers the change and the concurrency setting; the status-bar actions copy the URL', async () => {
    const win = vscode.window as unknown as Record<string, unknown>;
    const originals = { info: win.showInformationMessage, pick: win.showQuickPick };
    const projectFile = path.join(ws, 'iot-authorizer.json');
    const original = fs.readFileSync(projectFile, 'utf8');
    let offered: (message: string) => void = () => {};
    const offer = new Promise<string>((resolve) => (offered = resolve));
    try {
      const started = (await vscode.commands.executeCommand('iotAuthz.endpoint.start')) as EndpointRunning;
      assert.ok(started);
      // A setting the endpoint reads when it starts: the restart applies it.
      await vscode.workspace.getConfiguration().update(ENDPOINT_CONCURRENCY_SETTING, 2, vscode.ConfigurationTarget.Global);
      win.showInformationMessage = (message: string, ...items: unknown[]) => {
        if (!items.includes('Restart Endpoint')) return (originals.info as (...a: unknown[]) => unknown)(message, ...items);
        offered(message);
        return Promise.resolve('Restart Endpoint');
      };
      const project = JSON.parse(original) as { authorizers: Array<Record<string, unknown>> };
      project.authorizers.push({ ...project.authorizers[0], name: 'SecondAuthorizer' });
      fs.writeFileSync(projectFile, JSON.stringify(project, null, 2) + '\n');
      // Bounded below the test's own timeout, so the finally below restores the project file for the next suites.
      assert.match(await within(60_000, 'the restart offer after saving iot-authorizer.json', offer), /iot-authorizer\.json changed: .*Restart it \(same address/);
      const registered = await treeUntil('the second authorizer registered', async () => {
        const names = (await children()).flatMap((n) => (n.kind === 'endpointChild' && n.view.kind === 'registered' ? [n.view.label] : []));
        return names.includes('SecondAuthorizer') ? names : undefined;
      });
      assert.deepStrictEqual(registered, ['ExampleTokenAuthorizer', 'SecondAuthorizer']);
      const restarted = api.endpoint.host.running;
      assert.ok(restarted);
      assert.strictEqual(restarted.url, started.url, 'same address after the restart');
      assert.notStrictEqual(restarted.pid, started.pid);
      assert.throws(() => process.kill(started.pid, 0), /ESRCH/, 'the first process is gone');
      const health = (await (await fetch(`${restarted.url}/_iot-authz/health`)).json()) as { concurrency: number };
      assert.strictEqual(health.concurrency, 2, 'the restarted endpoint runs with iotAuthz.endpoint.concurrency');

      // The status-bar item's click: the quick actions, answered with "Copy Local Endpoint URL".
      await vscode.env.clipboard.writeText('');
      let labels: string[] = [];
      win.showQuickPick = async (items: readonly vscode.QuickPickItem[] | Thenable<readonly vscode.QuickPickItem[]>) => {
        const list = await items;
        labels = list.map((i) => i.label);
        return list.find((i) => i.label.includes('Copy Local Endpoint URL'));
      };
      assert.strictEqual(await vscode.commands.executeCommand('iotAuthz.endpoint.actions'), restarted.url);
      assert.deepStrictEqual(labels, [
        '$(copy) Copy Local Endpoint URL', '$(terminal) Connection Snippets', '$(preview) Open Results Panel', '$(clock) Advance Local Endpoint Clock…', '$(debug-stop) Stop Local Endpoint',
      ]);
      assert.strictEqual(await vscode.env.clipboard.readText(), restarted.url);
    } finally {
      win.showInformationMessage = originals.info;
      win.showQuickPick = originals.pick;
      await vscode.workspace.getConfiguration().update(ENDPOINT_CONCURRENCY_SETTING, undefined, vscode.ConfigurationTarget.Global);
      fs.writeFileSync(projectFile, original);
      await vscode.commands.executeCommand('iotAuthz.endpoint.stop');
    }
  });

  test('a live MQTT connection is listed under the node; Disconnect closes it; Advance Local Endpoint Clock moves the endpoint clock', async () => {
    let client: mqtt.MqttClient | undefined;
    try {
      const started = (await vscode.commands.executeCommand('iotAuthz.endpoint.start')) as EndpointRunning;
      assert.ok(started?.mqttUrl, 'the endpoint serves MQTT');
      const connectionNodes = async () => {
        const group = (await children()).find((n) => n.kind === 'endpointChild' && n.view.kind === 'connections');
        return group ? api.explorer.getChildren(group) : undefined;
      };
      assert.deepStrictEqual(await connectionNodes(), []);
      const privateKey = fs.readFileSync(path.join(ws, '.iot-authz/keys/example/private_key.pem'), 'utf8');
      const token = 'allow-sensor7';
      const username = credentialsToMqttUsername({ authorizerName: 'ExampleTokenAuthorizer', tokenKeyName: 'X-Example-Token', token, signature: signToken(token, privateKey) }, 'dev');
      const c = mqtt.connect(started.mqttUrl, { clientId: 'sensor7', username, password: 'pw', protocolVersion: 4, reconnectPeriod: 0 });
      client = c;
      c.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
      const node = await within(30_000, 'sensor7 listed under MQTT connections', treeUntil('sensor7 listed', async () =>
        (await connectionNodes())?.find((n) => n.kind === 'endpointConnection' && n.view.clientId === 'sensor7')));
      assert.ok(node.kind === 'endpointConnection');
      assert.match(node.view.description, /^sensor7 · since \d\d:\d\d:\d\d · refresh \d\d:\d\d:\d\d$/);
      assert.match(String(api.explorer.getTreeItem(node).tooltip), /Disconnect at: /);
      assert.strictEqual(api.explorer.getTreeItem(node).contextValue, 'endpointConnection');

      // The inline action passes the tree node.
      assert.strictEqual(await vscode.commands.executeCommand('iotAuthz.endpoint.disconnect', node), 'sensor7');
      await within(30_000, 'the client closed by the endpoint', closed);
      await within(30_000, 'sensor7 gone from the tree', treeUntil('sensor7 gone', async () => ((await connectionNodes())?.length === 0 ? true : undefined)));

      const moved = (await vscode.commands.executeCommand('iotAuthz.endpoint.advanceClock', '6h')) as { offsetSeconds: number };
      assert.strictEqual(moved.offsetSeconds, 21600);
      const clock = (await (await fetch(`${started.url}/_iot-authz/clock`)).json()) as { offsetSeconds: number };
      assert.strictEqual(clock.offsetSeconds, 21600);
    } finally {
      client?.end(true);
      await vscode.commands.executeCommand('iotAuthz.endpoint.stop');
    }
  });
});
