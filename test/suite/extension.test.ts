import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../src/vscode/commandTable';
import type { ExtensionApi } from '../../src/extension';
import type { AuthorizerExplorer, ExplorerNode } from '../../src/vscode/explorer';

const EXTENSION_ID = 'iot-authz-dev.iot-authorizer-toolkit';

async function activate(): Promise<ExtensionApi> {
  const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
  return ext.activate();
}

suite('extension', () => {
  let api: ExtensionApi;
  suiteSetup(async () => {
    api = await activate();
  });

  test('activates quickly and reports its activation time', () => {
    assert.strictEqual(typeof api.activationMs, 'number');
    assert.ok(api.activationMs >= 0);
  });

  test('every contributed command is registered and every registered command is contributed', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const pkg = ext.packageJSON as { contributes: { commands: Array<{ command: string; category: string }> } };
    const contributed = pkg.contributes.commands.map((c) => c.command).sort();
    const all = await vscode.commands.getCommands(true);
    // VS Code adds focus/open/... commands for each contributed view: those are not ours.
    const viewIds = Object.values((ext.packageJSON as { contributes: { views: Record<string, Array<{ id: string }>> } }).contributes.views)
      .flat()
      .map((v) => v.id);
    const registered = all.filter((c) => c.startsWith('iotAuthz.') && !viewIds.some((v) => c.startsWith(`${v}.`))).sort();
    assert.deepStrictEqual(registered, contributed);
    assert.deepStrictEqual(contributed, COMMANDS.map((c) => c.id).sort());
    for (const c of pkg.contributes.commands) assert.strictEqual(c.category, 'IoT Authorizer');
  });

  test('the menus and welcome view only name commands that exist', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { menus: Record<string, Array<{ command: string }>>; viewsWelcome: Array<{ contents: string }> };
    };
    const ids = new Set(COMMANDS.map((c) => c.id as string));
    for (const [menu, items] of Object.entries(pkg.contributes.menus)) {
      for (const item of items) assert.ok(ids.has(item.command), `${menu} names unknown ${item.command}`);
    }
    for (const w of pkg.contributes.viewsWelcome) {
      for (const m of w.contents.matchAll(/command:(iotAuthz\.[\w.]+)/g)) assert.ok(ids.has(m[1]), `welcome names unknown ${m[1]}`);
    }
  });

  test('Show Output returns its result through the command wrapper', async () => {
    assert.strictEqual(await vscode.commands.executeCommand('iotAuthz.showOutput'), 'shown');
  });

  test('the explorer lists the example workspace authorizer with its details', async () => {
    const explorer = (api.features as { explorer: AuthorizerExplorer }).explorer;
    const roots = await explorer.getChildren();
    const names = roots.filter((n): n is Extract<ExplorerNode, { kind: 'authorizer' }> => n.kind === 'authorizer').map((n) => n.authorizer.name);
    assert.deepStrictEqual(names, ['ExampleTokenAuthorizer']);
    const details = (await explorer.getChildren(roots[0])).map((n) => (n.kind === 'detail' ? `${n.label}=${n.description}` : ''));
    assert.ok(details.includes('Handler=authorizer.js:handler'), details.join(','));
  });

  test('the explorer lists the signing keys with size and fingerprint', async () => {
    const explorer = (api.features as { explorer: AuthorizerExplorer }).explorer;
    const group = (await explorer.getChildren()).find((n) => n.kind === 'keys');
    assert.ok(group, 'no Signing keys node');
    const keys = await explorer.getChildren(group);
    const example = keys.find((n) => n.kind === 'key' && n.keyName === 'example');
    assert.ok(example && example.kind === 'key');
    const item = explorer.getTreeItem(example);
    assert.match(String(item.description), /^2048-bit · [0-9a-f:]+$/);
    assert.strictEqual(item.contextValue, 'signingKey');
    // The row's inline "Copy Public Key (PEM)" action receives the row itself.
    await vscode.commands.executeCommand('iotAuthz.copyPublicKey', example);
    const pem = fs.readFileSync(path.join(example.workspaceRoot, '.iot-authz/keys/example/public_key.pem'), 'utf8');
    assert.strictEqual((await vscode.env.clipboard.readText()).trim(), pem.trim());
  });

  test('the explorer shows project-file errors and refreshes when the file changes', async () => {
    const explorer = (api.features as { explorer: AuthorizerExplorer }).explorer;
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const file = path.join(root, 'iot-authorizer.json');
    const original = fs.readFileSync(file, 'utf8');
    const changed = new Promise<void>((resolve) => {
      const sub = explorer.onDidChangeTreeData(() => {
        sub.dispose();
        resolve();
      });
    });
    try {
      fs.writeFileSync(file, '{"authorizers": [{"name": "Broken", "handler": "nofunction.js", "runtime": "nodejs20.x", "signingDisabled": true}]}');
      await Promise.race([changed, new Promise((_, rej) => setTimeout(() => rej(new Error('no refresh after the file changed')), 15000))]);
      const roots = await explorer.getChildren();
      assert.ok(roots.some((n) => n.kind === 'issue' && /path\/to\/file:function/.test(n.issue.message)));
    } finally {
      fs.writeFileSync(file, original);
    }
  });
});
