// AWS in a real VS Code against the real local endpoint (`iot-authz endpoint`, started here as
// a child process on a free port and stopped by pid): with iotAuthz.aws.endpointUrl pointing
// the real SDK at it, Deploy to AWS deploys the example authorizer (a second deploy changes
// nothing), the AWS node lists it with its key matched to the workspace key, the event file's
// "Test-invoke in AWS" CodeLens runs it through the deployed handler, and the results panel's
// real page renders that run with target aws.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { InvocationResult } from '../../src/core/result';
import type { ExplorerNode } from '../../src/vscode/explorer';
import type { AwsTreeNode } from '../../src/vscode/awsTree';
import type { DeployReport } from '../../src/aws';
import { deleteKey, writeKeyPair } from '../../src/core/keyStore';
import { generateKeyPair } from '../../src/core/keys';
import { ACCOUNT, REGION, RunningEndpoint, startEndpointProcess, stopEndpointProcess } from '../e2e/endpointFixtures';
import { within } from './within';

const EXTENSION_ID = 'iot-authz-dev.iot-authorizer-toolkit';
const ENDPOINT_SETTING = 'iotAuthz.aws.endpointUrl';
const ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'] as const;

function inRoot(...parts: string[]): string {
  return path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, ...parts);
}

/** Our lenses on `file`, resolved; asks again until one runs `command` (the project parse is cached on first use). */
async function lensFor(file: string, command: string): Promise<{ lens: vscode.CodeLens & { command: vscode.Command }; titles: string[] }> {
  await vscode.workspace.openTextDocument(file); // the provider command works on an open model only
  const started = Date.now();
  for (;;) {
    const all = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', vscode.Uri.file(file), 20)) ?? [];
    const lens = all.find((l) => l.command?.command === command);
    if (lens?.command) return { lens: lens as vscode.CodeLens & { command: vscode.Command }, titles: all.map((l) => l.command?.title ?? '') };
    if (Date.now() - started > 10_000) throw new Error(`no ${command} lens on ${path.basename(file)}; lenses: ${all.map((l) => l.command?.title).join(' | ')}`);
  }
}


suite('AWS: deploy, the AWS node, test-invoke from the CodeLens, the panel (real SDK, real local endpoint)', function () {
  this.timeout(180_000);
  let api: ExtensionApi;
  let endpoint: RunningEndpoint | undefined;
  let projectText: string;
  const savedEnv: Partial<Record<string, string>> = {};

  suiteSetup(async () => {
    api = await vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.activate();
    endpoint = await startEndpointProcess(['--port', '0', '--region', REGION, '--account', ACCOUNT], 30_000);
    for (const k of ENV) savedEnv[k] = process.env[k];
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDEXTHOST',
      AWS_SECRET_ACCESS_KEY: 'ext-host-secret',
      AWS_REGION: REGION,
      AWS_CONFIG_FILE: inRoot('no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: inRoot('no-aws-credentials'),
    });
    delete process.env.AWS_PROFILE;
    await vscode.workspace.getConfiguration().update(ENDPOINT_SETTING, endpoint.url, vscode.ConfigurationTarget.Global);
    projectText = fs.readFileSync(inRoot('iot-authorizer.json'), 'utf8');
    const project = JSON.parse(projectText) as { authorizers: Array<Record<string, unknown>> };
    project.authorizers[0].aws = { roleArn: `arn:aws:iam::${ACCOUNT}:role/iot-authz-ext-host`, region: REGION };
    fs.writeFileSync(inRoot('iot-authorizer.json'), JSON.stringify(project, null, 2) + '\n');
  });

  suiteTeardown(async () => {
    // Leave the window as the other suites expect it: no AWS runs in the history, no panel open.
    await vscode.commands.executeCommand('iotAuthz.clearHistory', { confirm: true });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.writeFileSync(inRoot('iot-authorizer.json'), projectText);
    await vscode.workspace.getConfiguration().update(ENDPOINT_SETTING, undefined, vscode.ConfigurationTarget.Global);
    for (const k of ENV) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
    await deleteKey(inRoot(), 'next');
    await stopEndpointProcess(endpoint);
  });

  test('every AWS command and the endpoint setting are contributed; the AWS SDK bundle is not loaded before an AWS command runs', async () => {
    api.features.explorer.refresh();
    assert.ok(!Object.keys(require.cache).some((f) => f.endsWith(`${path.sep}dist${path.sep}aws.js`)), 'dist/aws.js loaded before any AWS use');
    const all = await vscode.commands.getCommands(true);
    for (const id of [
      'selectTarget',
      'refresh',
      'signIn',
      'deploy',
      'testInvoke',
      'setDefault',
      'activate',
      'deactivate',
      'delete',
      'copyArn',
      'showDetails',
      'openConsole',
      'rotatePublicKey',
      'removePublicKey',
      'pullIntoProject',
    ]) {
      assert.ok(all.includes(`iotAuthz.aws.${id}`), id);
    }
    const props = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { configuration: { properties: Record<string, unknown> } } })
      .contributes.configuration.properties;
    assert.ok(props[ENDPOINT_SETTING]);
  });

  test('Deploy to AWS deploys the example authorizer to the local endpoint; deploying again changes nothing', async () => {
    const first = await vscode.commands.executeCommand<DeployReport>('iotAuthz.aws.deploy', { authorizer: 'ExampleTokenAuthorizer', yes: true });
    assert.strictEqual(first?.outcome, 'done', `${first?.summary}\n${endpoint!.stderr.join('')}`);
    assert.strictEqual(first.testInvoke?.target.kind, 'aws');
    // The deploy's test-invoke sends the example's first event the local run allows, not a made-up token.
    assert.strictEqual(first.testInvoke?.source.eventFile, inRoot('events', 'http-publish.authz.json'));
    assert.strictEqual(first.testInvoke?.outcome, 'allowed', first.testInvoke?.headline);
    assert.strictEqual(first.testInvoke?.request.token, 'allow-sensor1');
    // The second deploy from the "Deploy to AWS…" CodeLens above the authorizer in iot-authorizer.json.
    const { lens } = await lensFor(inRoot('iot-authorizer.json'), 'iotAuthz.aws.deploy');
    assert.match(lens.command.title, /Deploy to AWS/);
    const projectLines = fs.readFileSync(inRoot('iot-authorizer.json'), 'utf8').split('\n');
    assert.match(projectLines[lens.range.start.line], /"name": "ExampleTokenAuthorizer"/);
    const [lensArg] = (lens.command.arguments ?? []) as Array<Record<string, unknown>>;
    assert.deepStrictEqual(lensArg, { authorizer: 'ExampleTokenAuthorizer' });
    // yes: true stands for the modal "Deploy" click.
    const second = await vscode.commands.executeCommand<DeployReport>('iotAuthz.aws.deploy', { ...lensArg, yes: true });
    assert.strictEqual(second?.outcome, 'nothing-to-do', second?.summary);
  });

  test('the AWS node lists the deployed authorizer with its key matched to the workspace key', async () => {
    const explorer = api.features.explorer;
    await vscode.commands.executeCommand('iotAuthz.aws.refresh');
    const root = (await explorer.getChildren()).find((n: ExplorerNode) => n.kind === 'awsRoot');
    assert.ok(root, 'an AWS node');
    assert.match(String(explorer.getTreeItem(root).description), /^Local endpoint http:\/\/127\.0\.0\.1:\d+/, 'the target names the endpoint');
    assert.ok(String(explorer.getTreeItem(root).description).startsWith(`Local endpoint ${endpoint!.url}`));
    const authorizers = await explorer.getChildren(root);
    const mine = authorizers.find((n) => n.kind === 'awsAuthorizer' && n.details.name === 'ExampleTokenAuthorizer') as AwsTreeNode | undefined;
    assert.ok(mine, JSON.stringify(authorizers));
    const item = explorer.getTreeItem(mine);
    assert.match(String(item.description), /^ACTIVE · signing on$/);
    assert.strictEqual(item.contextValue, 'awsAuthorizer.ACTIVE');
    const details = await explorer.getChildren(mine);
    const key = details.find((n) => n.kind === 'awsKey');
    assert.ok(key);
    assert.match(String(explorer.getTreeItem(key).description), /matches key example$/);
  });

  test("the event file's \"Test-invoke in AWS\" CodeLens runs the deployed handler and the panel renders the result", async () => {
    const { runs, results } = api.features;
    const eventFile = inRoot('events', 'http-publish.authz.json');
    const { lens } = await lensFor(eventFile, 'iotAuthz.aws.testInvoke');
    assert.match(lens.command.title, /Test-invoke in AWS/);

    // What the page is sent and says it rendered, from before the run (the run opens the panel).
    const shown: Array<{ id: string; outcome: string }> = [];
    const renderedIds: string[] = [];
    const changed = new vscode.EventEmitter<void>();
    const subs = [
      results.onDidPostMessage((m) => {
        if (m.type === 'showRun') shown.push(m.run);
        changed.fire();
      }),
      results.onDidReceiveMessage((m) => {
        if (m.type === 'rendered') renderedIds.push(m.runId);
        changed.fire();
      }),
    ];
    const until = (what: string, ok: () => boolean) =>
      within(60_000, what, new Promise<void>((resolve) => {
        if (ok()) return resolve();
        const sub = changed.event(() => {
          if (ok()) {
            sub.dispose();
            resolve();
          }
        });
      }));
    try {
      const result = await vscode.commands.executeCommand<InvocationResult>(lens.command.command, ...((lens.command.arguments ?? []) as unknown[]));
      assert.ok(result, 'a result');
      assert.strictEqual(result.target.kind, 'aws');
      assert.strictEqual(result.outcome, 'allowed', result.headline);
      assert.match(result.headline, /sensor1/);
      assert.strictEqual(result.source.eventFile, eventFile);
      // The panel's request view: the token the event sent, its signature sent and verified by AWS.
      assert.strictEqual(result.request.token, 'allow-sensor1');
      assert.strictEqual(result.signature.status, 'verified');
      assert.match(result.signature.diagnosis ?? '', /^Sent, verified by AWS/);
      assert.strictEqual(runs.latest()?.id, result.id);
      await until('the panel to be sent the AWS run', () => shown.some((r) => r.id === result.id));
      await until('the page to render the AWS run', () => renderedIds.includes(result.id));
      assert.strictEqual(shown.find((r) => r.id === result.id)?.outcome, 'allowed');
      assert.ok(results.webviewPanel, 'the results panel is open');
    } finally {
      for (const s of subs) s.dispose();
      changed.dispose();
    }
  });

  test('Rotate Public Key adds the workspace\'s new key next to the old one; removing the old one leaves the new one; the last key stays', async () => {
    await writeKeyPair(inRoot(), 'next', await generateKeyPair());
    const explorer = api.features.explorer;
    const keysInTree = async (): Promise<string[]> => {
      await vscode.commands.executeCommand('iotAuthz.aws.refresh');
      const root = (await explorer.getChildren()).find((n: ExplorerNode) => n.kind === 'awsRoot')!;
      const mine = (await explorer.getChildren(root)).find((n) => n.kind === 'awsAuthorizer' && n.details.name === 'ExampleTokenAuthorizer')!;
      return (await explorer.getChildren(mine)).filter((n) => n.kind === 'awsKey').map((n) => `${n.kind === 'awsKey' ? n.key.name : ''}: ${String(explorer.getTreeItem(n).description).replace(/^.* · /, '')}`);
    };
    const added = await vscode.commands.executeCommand<string>('iotAuthz.aws.rotatePublicKey', { authorizer: 'ExampleTokenAuthorizer', keyName: 'next', yes: true });
    assert.match(added ?? '', /verifies tokens with (example and next|next and example)/);
    assert.deepStrictEqual(await keysInTree(), ['example: matches key example', 'next: matches key next']);
    const removed = await vscode.commands.executeCommand<string>('iotAuthz.aws.removePublicKey', { authorizer: 'ExampleTokenAuthorizer', keyName: 'example', yes: true });
    assert.match(removed ?? '', /verifies tokens with next\.$/);
    assert.deepStrictEqual(await keysInTree(), ['next: matches key next']);
    // The last key is refused with a message (shown, not thrown): the command returns nothing and AWS keeps the key.
    const refused = await vscode.commands.executeCommand<string>('iotAuthz.aws.removePublicKey', { authorizer: 'ExampleTokenAuthorizer', keyName: 'next', yes: true });
    assert.strictEqual(refused, undefined);
    assert.deepStrictEqual(await keysInTree(), ['next: matches key next']);
  });

  test('Pull into iot-authorizer.json writes the rotated key and the region from AWS into the project file; pulling again changes nothing', async () => {
    const first = await vscode.commands.executeCommand<{ written: boolean; changed: string[]; file: string }>('iotAuthz.aws.pullIntoProject', {
      authorizer: 'ExampleTokenAuthorizer',
      yes: true,
    });
    assert.ok(first?.written, JSON.stringify(first));
    assert.strictEqual(first.file, inRoot('iot-authorizer.json'));
    assert.ok(first.changed.includes('signingKeys: ["example"] → ["next"]'), first.changed.join('\n'));
    const entry = (JSON.parse(fs.readFileSync(inRoot('iot-authorizer.json'), 'utf8')) as { authorizers: Array<Record<string, unknown>> }).authorizers[0];
    assert.deepStrictEqual(entry.signingKeys, ['next']);
    assert.strictEqual(entry.status, 'ACTIVE');
    assert.deepStrictEqual(entry.aws, { roleArn: `arn:aws:iam::${ACCOUNT}:role/iot-authz-ext-host`, region: REGION }, 'what AWS does not know stays');
    const again = await vscode.commands.executeCommand<{ written: boolean; changed: string[] }>('iotAuthz.aws.pullIntoProject', { authorizer: 'ExampleTokenAuthorizer', yes: true });
    assert.deepStrictEqual(again?.changed, []);
    assert.strictEqual(again.written, false);
  });
});
