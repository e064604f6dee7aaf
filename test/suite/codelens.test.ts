// CodeLens as VS Code asks for it (vscode.executeCodeLensProvider) on the example workspace:
// above the handler function, at the top of each event file, and refreshed by runs and by
// changes to iot-authorizer.json.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { InvocationResult } from '../../src/core/result';

const EXTENSION_ID = 'iot-authz-dev.iot-authorizer-toolkit';

function inRoot(...parts: string[]): string {
  return path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, ...parts);
}

/** Our lenses on `file`, resolved (titles and commands filled in). */
async function lenses(file: string): Promise<vscode.CodeLens[]> {
  // The provider command works on an open model only.
  await vscode.workspace.openTextDocument(file);
  const all = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', vscode.Uri.file(file), 20)) ?? [];
  return all.filter((l) => l.command?.command.startsWith('iotAuthz.'));
}

async function lensesUntil(file: string, what: string, ok: (ls: vscode.CodeLens[]) => boolean, timeoutMs = 10000): Promise<vscode.CodeLens[]> {
  const started = Date.now();
  for (;;) {
    const ls = await lenses(file);
    if (ok(ls)) return ls;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}; lenses: ${ls.map((l) => `${l.range.start.line}:${l.command?.title}`).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

suite('CodeLens (extension host)', () => {
  suiteSetup(async () => {
    await vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.activate();
  });

  test('"Invoke locally…" sits on the line that defines the handler function named in iot-authorizer.json', async () => {
    const handler = inRoot('authorizer.js');
    const ls = await lenses(handler);
    const invoke = ls.find((l) => l.command?.command === 'iotAuthz.invokeLocally');
    assert.ok(invoke, 'an invoke lens');
    assert.strictEqual(invoke.command?.title, '$(play) Invoke locally…');
    const line = fs.readFileSync(handler, 'utf8').split('\n').findIndex((l) => l.startsWith('exports.handler ='));
    assert.strictEqual(invoke.range.start.line, line);
    assert.deepStrictEqual(invoke.command?.arguments?.[0], { authorizer: 'ExampleTokenAuthorizer', projectFile: inRoot('iot-authorizer.json') });
  });

  test('an event file has "Run locally" at the top; its command runs the event, then "Last:" shows the headline', async () => {
    const event = inRoot('events', 'mqtt-connect.authz.json');
    const ls = await lenses(event);
    const runLens = ls.find((l) => l.command?.title === '$(play) Run locally');
    assert.ok(runLens, 'a Run locally lens');
    assert.strictEqual(runLens.range.start.line, 0);
    const result = await vscode.commands.executeCommand<InvocationResult>(runLens.command!.command, ...(runLens.command!.arguments ?? []));
    assert.strictEqual(result?.outcome, 'allowed');
    const after = await lensesUntil(event, 'no Last: lens after the run', (x) => x.some((l) => l.command?.title.includes('Last: ')));
    const last = after.find((l) => l.command?.title.includes('Last: '))!;
    assert.strictEqual(last.command?.title, `$(pass) Last: ${result.headline}`);
    // The handler shows the same latest run of its authorizer.
    const handlerLenses = await lenses(inRoot('authorizer.js'));
    assert.ok(handlerLenses.some((l) => l.command?.title === `$(pass) Last: ${result.headline}`), handlerLenses.map((l) => l.command?.title).join(' | '));
  });

  test('files that are no authorizer handler get no lenses', async () => {
    const other = inRoot('not_a_handler.js');
    fs.writeFileSync(other, 'exports.handler = () => 1;\n');
    try {
      assert.deepStrictEqual(await lenses(other), []);
    } finally {
      fs.rmSync(other, { force: true });
    }
  });

  test('a new authorizer in iot-authorizer.json gets its lens (Python: on "def lambda_handler")', async () => {
    const project = inRoot('iot-authorizer.json');
    const handler = inRoot('py_auth.py');
    const original = fs.readFileSync(project, 'utf8');
    fs.writeFileSync(handler, 'import json\n\n\ndef helper():\n    pass\n\n\ndef lambda_handler(event, context):\n    return {}\n');
    try {
      assert.deepStrictEqual(await lenses(handler), []);
      const p = JSON.parse(original) as { authorizers: unknown[] };
      p.authorizers.push({ name: 'PyAuth', handler: 'py_auth.py:lambda_handler', runtime: 'python3.12', signingDisabled: true });
      fs.writeFileSync(project, JSON.stringify(p, null, 2));
      const ls = await lensesUntil(handler, 'no lens after the project file changed', (x) => x.some((l) => l.command?.command === 'iotAuthz.invokeLocally'));
      assert.strictEqual(ls.find((l) => l.command?.command === 'iotAuthz.invokeLocally')!.range.start.line, 7);
    } finally {
      fs.writeFileSync(project, original);
      fs.rmSync(handler, { force: true });
    }
  });
});
