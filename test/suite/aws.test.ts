// AWS in a real VS Code: the commands and the endpoint setting are contributed; with
// iotAuthz.aws.endpointUrl pointing the real SDK at a REST stand-in on 127.0.0.1, Deploy to
// AWS deploys the example authorizer (and a second deploy changes nothing), the AWS node lists
// it with its key matched to the workspace key, and Test-Invoke in AWS from an event file
// puts a result with target aws into the run history.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { InvocationResult } from '../../src/core/result';
import type { ExplorerNode } from '../../src/vscode/explorer';
import type { AwsTreeNode } from '../../src/vscode/awsTree';
import type { DeployReport } from '../../src/aws';
import { ACCOUNT, REGION, StandIn } from '../harness/awsStandIn';

const EXTENSION_ID = 'iot-authz-dev.iot-authorizer-toolkit';
const ENDPOINT_SETTING = 'iotAuthz.aws.endpointUrl';
const ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'] as const;

function inRoot(...parts: string[]): string {
  return path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, ...parts);
}

suite('AWS: deploy, the AWS node, test-invoke (real SDK, local stand-in)', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let standIn: StandIn;
  let projectText: string;
  const savedEnv: Partial<Record<string, string>> = {};

  suiteSetup(async () => {
    api = await vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.activate();
    standIn = new StandIn();
    const url = await standIn.start();
    for (const k of ENV) savedEnv[k] = process.env[k];
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDEXTHOST',
      AWS_SECRET_ACCESS_KEY: 'ext-host-secret',
      AWS_REGION: REGION,
      AWS_CONFIG_FILE: inRoot('no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: inRoot('no-aws-credentials'),
    });
    delete process.env.AWS_PROFILE;
    await vscode.workspace.getConfiguration().update(ENDPOINT_SETTING, url, vscode.ConfigurationTarget.Global);
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
    await standIn.stop();
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
    ]) {
      assert.ok(all.includes(`iotAuthz.aws.${id}`), id);
    }
    const props = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { configuration: { properties: Record<string, unknown> } } })
      .contributes.configuration.properties;
    assert.ok(props[ENDPOINT_SETTING]);
  });

  test('Deploy to AWS deploys the example authorizer; deploying again changes nothing', async () => {
    const first = await vscode.commands.executeCommand<DeployReport>('iotAuthz.aws.deploy', { authorizer: 'ExampleTokenAuthorizer', yes: true });
    assert.strictEqual(first?.outcome, 'done', `${first?.summary}\n${standIn.seen.map((r) => `${r.method} ${r.path}`).join('\n')}`);
    assert.strictEqual(standIn.functions.get('iot-authz-ExampleTokenAuthorizer')?.Handler, 'authorizer.handler');
    assert.ok(standIn.authorizers.has('ExampleTokenAuthorizer'));
    assert.strictEqual(first.testInvoke?.target.kind, 'aws');
    const second = await vscode.commands.executeCommand<DeployReport>('iotAuthz.aws.deploy', { authorizer: 'ExampleTokenAuthorizer', yes: true });
    assert.strictEqual(second?.outcome, 'nothing-to-do', second?.summary);
  });

  test('the AWS node lists the deployed authorizer with its key matched to the workspace key', async () => {
    const explorer = api.features.explorer;
    await vscode.commands.executeCommand('iotAuthz.aws.refresh');
    const root = (await explorer.getChildren()).find((n: ExplorerNode) => n.kind === 'awsRoot');
    assert.ok(root, 'an AWS node');
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

  test('Test-Invoke in AWS from an event file puts a result with target aws in the history', async () => {
    const before = standIn.seen.filter((r) => r.path.endsWith('/test')).length;
    const result = await vscode.commands.executeCommand<InvocationResult>('iotAuthz.aws.testInvoke', {
      eventFile: inRoot('events', 'http-publish.authz.json'),
    });
    assert.ok(result, 'a result');
    assert.strictEqual(result.target.kind, 'aws');
    assert.strictEqual(result.outcome, 'denied');
    assert.strictEqual(api.features.runs.latest()?.id, result.id);
    assert.strictEqual(result.request.serverName, `abc123example-ats.iot.${REGION}.amazonaws.com`, 'DescribeEndpoint names the server for the snippets');
    const sent = standIn.seen.filter((r) => r.path.endsWith('/test'));
    assert.strictEqual(sent.length, before + 1);
    const body = JSON.parse(sent[sent.length - 1].body) as { httpContext: { headers: Record<string, string>; queryString: string }; token?: string };
    assert.strictEqual(body.token, undefined);
    assert.strictEqual(body.httpContext.queryString, '?qos=1');
    assert.strictEqual(body.httpContext.headers['X-Example-Token'], 'allow-sensor1');
  });
});
