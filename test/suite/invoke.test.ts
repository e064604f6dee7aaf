// The local loop as a user drives it, inside a real extension host on a copy of the example
// workspace: run the example events, invoke from the explorer, diagnostics for a broken
// handler and project file, New Test Event, and the warm worker picking up an edit.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import type { InvocationResult } from '../../src/core/result';
import type { RunStore } from '../../src/vscode/runStore';
import type { AuthorizerExplorer, ExplorerNode } from '../../src/vscode/explorer';
import type { NewAuthorizerResult } from '../../src/vscode/scaffoldCommands';

const EXTENSION_ID = 'iot-authz-dev.iot-authorizer-toolkit';

function root(): string {
  return vscode.workspace.workspaceFolders![0].uri.fsPath;
}

function inRoot(...parts: string[]): string {
  return path.join(root(), ...parts);
}

async function run(file: string): Promise<InvocationResult> {
  const result = await vscode.commands.executeCommand<InvocationResult>('iotAuthz.runTestEvent', vscode.Uri.file(file));
  assert.ok(result, `no result for ${file}`);
  return result;
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Restores a file's content (or removes it) when the test ends. */
function keep(files: string[]): () => void {
  const saved = files.map((f) => [f, fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined] as const);
  return () => {
    for (const [f, text] of saved) {
      if (text === undefined) fs.rmSync(f, { force: true });
      else fs.writeFileSync(f, text);
    }
  };
}

suite('local invoke (extension host)', () => {
  let api: ExtensionApi;
  let runs: RunStore;
  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    runs = (api.features as { runs: RunStore }).runs;
  });
  teardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('Run Test Event runs every example event with the outcome it documents, into the run store', async () => {
    const expected: Record<string, { outcome: InvocationResult['outcome']; headline: RegExp }> = {
      'http-publish.authz.json': { outcome: 'allowed', headline: /^Allowed as sensor1 \(1 policy\)$/ },
      'http-unsigned.authz.json': { outcome: 'signature-rejected', headline: /^Not invoked: signature missing/ },
      'mqtt-connect.authz.json': { outcome: 'allowed', headline: /^Allowed as sensor1/ },
      'mqtt-wrong-client.authz.json': { outcome: 'denied', headline: /^Denied by the handler/ },
      'mqtt-wss-browser.authz.json': { outcome: 'allowed', headline: /^Allowed as sensor1/ },
    };
    const files = fs.readdirSync(inRoot('events')).filter((f) => f.endsWith('.authz.json')).sort();
    assert.deepStrictEqual(files, Object.keys(expected).sort());
    for (const f of files) {
      const result = await run(inRoot('events', f));
      assert.strictEqual(result.outcome, expected[f].outcome, `${f}: ${result.headline}`);
      assert.match(result.headline, expected[f].headline, f);
      assert.strictEqual(result.source.eventFile, inRoot('events', f));
      assert.strictEqual(runs.latest()?.id, result.id, 'the run store holds the newest run first');
      const problems = vscode.languages.getDiagnostics(vscode.Uri.file(inRoot('events', f)));
      if (result.outcome === 'allowed') assert.deepStrictEqual(problems.map((d) => d.message), [], `${f}: a clean run leaves nothing in Problems`);
      if (result.outcome === 'signature-rejected') assert.ok(problems.some((d) => /^Signature missing: No signature/.test(d.message)), `${f}: the gate's diagnosis`);
    }
    // Keys were read and signatures computed with the example key, which the signature-rejected event lacks.
    const signed = runs.runs().find((r) => r.source.eventFile?.endsWith('http-publish.authz.json'));
    assert.strictEqual(signed?.signature.status, 'verified');
  });

  test('Invoke Authorizer Locally takes the explorer node, lists matching events with the last run first', async () => {
    const explorer = (api.features as { explorer: AuthorizerExplorer }).explorer;
    const node = (await explorer.getChildren()).find((n): n is Extract<ExplorerNode, { kind: 'authorizer' }> => n.kind === 'authorizer');
    assert.ok(node);
    const last = await run(inRoot('events', 'mqtt-wrong-client.authz.json'));
    const pending = vscode.commands.executeCommand<InvocationResult>('iotAuthz.invokeLocally', node);
    // The QuickPick opens with the last-run event file selected first: accept it as soon as it is
    // open, i.e. keep accepting until the command answers (accepting with no QuickPick open does nothing).
    let settled = false;
    void Promise.resolve(pending).finally(() => (settled = true));
    const deadline = Date.now() + 20_000;
    while (!settled && Date.now() < deadline) {
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await new Promise((r) => setTimeout(r, 50));
    }
    const result = await pending;
    assert.ok(result, 'the QuickPick was accepted');
    assert.strictEqual(result.source.eventFile, last.source.eventFile);
    assert.strictEqual(result.outcome, 'denied');
  });

  test('Invoke Authorizer Locally with {authorizer, eventFile} needs no prompt', async () => {
    const result = await vscode.commands.executeCommand<InvocationResult>('iotAuthz.invokeLocally', {
      authorizer: 'ExampleTokenAuthorizer',
      eventFile: 'events/mqtt-connect.authz.json',
    });
    assert.strictEqual(result?.outcome, 'allowed');
    assert.strictEqual(result.request.protocol, 'mqtt');
  });

  test('a handler answering an invalid principalId puts the response findings in Problems on the event file', async () => {
    const project = inRoot('iot-authorizer.json');
    const handler = inRoot('bad_principal.js');
    const event = inRoot('events', 'bad-principal.authz.json');
    const restore = keep([project, handler, event]);
    try {
      fs.writeFileSync(handler, "exports.handler = async () => ({ isAuthenticated: true, principalId: 'device-1', disconnectAfterInSeconds: 3600, refreshAfterInSeconds: 300, policyDocuments: [] });\n");
      const p = JSON.parse(fs.readFileSync(project, 'utf8')) as { authorizers: unknown[] };
      p.authorizers.push({ name: 'BadPrincipal', handler: 'bad_principal.js:handler', runtime: 'nodejs20.x', tokenKeyName: 'token', signingDisabled: true });
      fs.writeFileSync(project, JSON.stringify(p, null, 2));
      fs.writeFileSync(event, JSON.stringify({ authorizer: 'BadPrincipal', protocol: 'http', credentials: { token: 'abc', in: 'headers' } }, null, 2));
      const result = await run(event);
      assert.strictEqual(result.outcome, 'invalid-response', result.headline);
      const diagnostics = vscode.languages.getDiagnostics(vscode.Uri.file(event));
      const principal = diagnostics.find((d) => d.code === 'PRINCIPAL_ID_INVALID_CHARS');
      assert.ok(principal, diagnostics.map((d) => `${String(d.code)}: ${d.message}`).join('\n'));
      assert.strictEqual(principal.severity, vscode.DiagnosticSeverity.Error);
      assert.strictEqual(principal.source, 'IoT Authorizer');
      assert.match(principal.message, /principalId/);
      assert.strictEqual(principal.relatedInformation?.[0]?.location.uri.fsPath, handler, 'points at the handler');

      // Fixed handler, same event: the finding goes away.
      fs.writeFileSync(handler, "exports.handler = async () => ({ isAuthenticated: true, principalId: 'device1', disconnectAfterInSeconds: 3600, refreshAfterInSeconds: 300, policyDocuments: [] });\n");
      const fixed = await run(event);
      assert.strictEqual(fixed.outcome, 'allowed', fixed.headline);
      assert.ok(!vscode.languages.getDiagnostics(vscode.Uri.file(event)).some((d) => d.code === 'PRINCIPAL_ID_INVALID_CHARS'));
    } finally {
      restore();
    }
    await waitFor('the deleted event file to leave Problems', () => vscode.languages.getDiagnostics(vscode.Uri.file(event)).length === 0);
  });

  test('a signature the gate rejects is a warning on the event field that carries it', async () => {
    const event = inRoot('events', 'bad-signature.authz.json');
    const restore = keep([event]);
    try {
      fs.writeFileSync(
        event,
        JSON.stringify({ authorizer: 'ExampleTokenAuthorizer', protocol: 'http', credentials: { token: 'allow-sensor1', signature: 'AAAA', in: 'headers' } }, null, 2),
      );
      const result = await run(event);
      assert.strictEqual(result.outcome, 'signature-rejected');
      const d = vscode.languages.getDiagnostics(vscode.Uri.file(event)).find((x) => /^Signature failed/.test(x.message));
      assert.ok(d, 'a signature diagnostic');
      assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Warning);
      const line = fs.readFileSync(event, 'utf8').split('\n')[d.range.start.line];
      assert.match(line, /"signature"/);
    } finally {
      restore();
    }
  });

  test('project-file issues show in Problems at their line as the file is edited', async () => {
    const project = inRoot('iot-authorizer.json');
    const doc = await vscode.workspace.openTextDocument(project);
    await vscode.window.showTextDocument(doc);
    const line = doc.getText().split('\n').findIndex((l) => l.includes('"runtime"'));
    const edit = new vscode.WorkspaceEdit();
    const at = doc.lineAt(line).text.indexOf('nodejs22.x');
    edit.replace(doc.uri, new vscode.Range(line, at, line, at + 'nodejs22.x'.length), 'nodejs99');
    assert.ok(await vscode.workspace.applyEdit(edit));
    try {
      const d = await waitFor('a runtime diagnostic', () => vscode.languages.getDiagnostics(doc.uri).find((x) => /Unknown runtime "nodejs99"/.test(x.message)));
      assert.strictEqual(d.range.start.line, line);
      assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Error);
    } finally {
      // Undo the edit in this document itself (a revert command acts on whichever editor is
      // active, and a dirty project file left behind would be saved by the next run).
      const undo = new vscode.WorkspaceEdit();
      undo.replace(doc.uri, new vscode.Range(line, at, line, at + 'nodejs99'.length), 'nodejs22.x');
      assert.ok(await vscode.workspace.applyEdit(undo));
      // A save can be refused while another extension's save listener is slow (a busy machine).
      for (let i = 0; i < 5 && doc.isDirty; i++) await doc.save();
      assert.ok(!doc.isDirty, 'the project file is saved back as it was');
      assert.strictEqual(doc.getText(), fs.readFileSync(project, 'utf8'));
    }
    await waitFor('the diagnostic to clear after the undo', () => !vscode.languages.getDiagnostics(doc.uri).some((x) => /nodejs99/.test(x.message)));
  });

  test('New Test Event writes a fresh file next to an existing one, never over it, and the new event runs', async () => {
    const existing = inRoot('events', 'http-publish.authz.json');
    const before = fs.readFileSync(existing, 'utf8');
    const file = await vscode.commands.executeCommand<string>('iotAuthz.newTestEvent', {
      authorizer: 'ExampleTokenAuthorizer',
      protocol: 'mqtt',
      name: 'http-publish',
    });
    try {
      assert.strictEqual(file, inRoot('events', 'http-publish-2.authz.json'));
      assert.strictEqual(fs.readFileSync(existing, 'utf8'), before, 'the existing event is untouched');
      const written = JSON.parse(fs.readFileSync(file, 'utf8')) as { protocol: string; authorizer: string; credentials: { signature: unknown } };
      assert.strictEqual(written.protocol, 'mqtt');
      assert.strictEqual(written.authorizer, 'ExampleTokenAuthorizer');
      assert.deepStrictEqual(written.credentials.signature, { sign: 'example' });
      assert.strictEqual(vscode.window.activeTextEditor?.document.uri.fsPath, file, 'the new event is opened');
      const result = await run(file);
      // The starting point carries a placeholder token, which the example handler refuses.
      assert.strictEqual(result.signature.status, 'verified');
      assert.strictEqual(result.outcome, 'denied', result.headline);
    } finally {
      if (file) fs.rmSync(file, { force: true });
    }
  });

  test('the warm worker answers an unsaved edit of the handler (saved before the run)', async () => {
    const handler = inRoot('authorizer.js');
    const event = inRoot('events', 'http-publish.authz.json');
    const restore = keep([handler]);
    try {
      await run(event);
      const warm = await run(event);
      assert.strictEqual(warm.timings.cold, false, 'the second run reuses the worker');

      const doc = await vscode.workspace.openTextDocument(handler);
      await vscode.window.showTextDocument(doc);
      // An open model may not have caught up yet with a file an earlier test rewrote on disk.
      await waitFor('the editor to hold what is on disk', () => !doc.isDirty && doc.getText() === fs.readFileSync(handler, 'utf8'));
      const text = doc.getText();
      const offset = text.lastIndexOf('principalId: device,');
      assert.ok(offset > 0);
      const edit = new vscode.WorkspaceEdit();
      edit.replace(doc.uri, new vscode.Range(doc.positionAt(offset), doc.positionAt(offset + 'principalId: device,'.length)), "principalId: device + 'Edited',");
      assert.ok(await vscode.workspace.applyEdit(edit));
      assert.ok(doc.isDirty);
      const edited = await run(event);
      assert.ok(!doc.isDirty, 'the handler was saved before the run');
      assert.strictEqual(edited.headline, 'Allowed as sensor1Edited (1 policy)', `on disk: ${fs.readFileSync(handler, 'utf8').includes('Edited')}; problems: ${edited.problems.map((p) => p.message).join(' | ')}; cold ${edited.timings.cold}`);
      assert.ok(edited.problems.some((p) => /Reloaded the handler: authorizer\.js changed/.test(p.message)));
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      restore();
    }
    const back = await run(event);
    assert.strictEqual(back.headline, 'Allowed as sensor1 (1 policy)');
  });

  test('New Authorizer scaffolds handler, events and project entry; the explorer lists it; its events answer as written', async function () {
    // Three scaffolds, three keys and nine real runs: 22 s on a loaded machine. A test cut off by
    // mocha's timeout goes on running and restores the project file under the next test.
    this.timeout(180_000);
    const explorer = (api.features as { explorer: AuthorizerExplorer }).explorer;
    const project = inRoot('iot-authorizer.json');
    const restore = keep([project]);
    const made: NewAuthorizerResult[] = [];
    try {
      for (const [kind, language, name] of [
        ['mqtt-username-password', 'python', 'TestPasswordPy'],
        ['signed-token', 'typescript', 'TestSignedTs'],
        ['jwt-bearer', 'javascript', 'TestJwtJs'],
      ] as const) {
        const result = await vscode.commands.executeCommand<NewAuthorizerResult>('iotAuthz.newAuthorizer', { kind, language, name, generateKey: true });
        assert.ok(result, `${name} was created`);
        made.push(result);
        assert.strictEqual(vscode.window.activeTextEditor?.document.uri.fsPath, result.handlerFile, 'the handler is opened');
        const names = (await explorer.getChildren()).filter((n): n is Extract<ExplorerNode, { kind: 'authorizer' }> => n.kind === 'authorizer').map((n) => n.authorizer.name);
        assert.ok(names.includes(name), `explorer lists ${name}: ${names.join(', ')}`);
        if (kind === 'signed-token') assert.strictEqual(result.signingKeyReady, true, 'Generate Signing Key Pair made the signing key');
        assert.ok(result.events.length >= 2, `${name} has test events`);
        assert.ok(result.events.some((e) => e.expect === 'allowed') && result.events.some((e) => e.expect === 'denied'));
        for (const event of result.events) {
          const r = await run(event.file);
          assert.strictEqual(r.outcome, event.expect, `${name} ${path.basename(event.file)}: ${r.headline}`);
        }
      }
      const p = JSON.parse(fs.readFileSync(project, 'utf8')) as { authorizers: Array<{ name: string }> };
      assert.deepStrictEqual(p.authorizers.map((a) => a.name), ['ExampleTokenAuthorizer', 'TestPasswordPy', 'TestSignedTs', 'TestJwtJs']);

      // The same name again with overwrite false: refused, nothing touched.
      const projectBefore = fs.readFileSync(project, 'utf8');
      const handlerBefore = fs.readFileSync(made[0].handlerFile, 'utf8');
      const again = await vscode.commands.executeCommand('iotAuthz.newAuthorizer', { kind: 'jwt-bearer', language: 'python', name: 'TestPasswordPy', overwrite: false });
      assert.strictEqual(again, undefined);
      assert.strictEqual(fs.readFileSync(project, 'utf8'), projectBefore);
      assert.strictEqual(fs.readFileSync(made[0].handlerFile, 'utf8'), handlerBefore);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      restore();
      for (const m of made) fs.rmSync(path.dirname(m.handlerFile), { recursive: true, force: true });
      for (const m of made) for (const k of [m.signingKey, ...m.generatedKeys]) if (k) fs.rmSync(inRoot('.iot-authz', 'keys', k), { recursive: true, force: true });
    }
  });

  test('New Authorizer refuses a name AWS would refuse', async () => {
    const result = await vscode.commands.executeCommand('iotAuthz.newAuthorizer', { kind: 'signed-token', language: 'python', name: 'has space' });
    assert.strictEqual(result, undefined);
    assert.ok(!fs.existsSync(inRoot('authorizers', 'has space')));
  });

  test('iotAuthz.pythonPath and iotAuthz.local.timeoutMs apply to the next run', async () => {
    const project = inRoot('iot-authorizer.json');
    const handler = inRoot('py_settings.py');
    const fast = inRoot('events', 'py-fast.authz.json');
    const slow = inRoot('events', 'py-slow.authz.json');
    const restore = keep([project, handler, fast, slow]);
    const config = () => vscode.workspace.getConfiguration();
    try {
      fs.writeFileSync(
        handler,
        'import time\n\n\ndef lambda_handler(event, context):\n    time.sleep(float(event["token"]))\n    return {"isAuthenticated": True, "principalId": "device1", "refreshAfterInSeconds": 300, "disconnectAfterInSeconds": 3600, "policyDocuments": []}\n',
      );
      const p = JSON.parse(fs.readFileSync(project, 'utf8')) as { authorizers: unknown[] };
      p.authorizers.push({ name: 'PySettings', handler: 'py_settings.py:lambda_handler', runtime: 'python3.12', tokenKeyName: 'token', signingDisabled: true });
      fs.writeFileSync(project, JSON.stringify(p, null, 2));
      const event = (token: string) => JSON.stringify({ authorizer: 'PySettings', protocol: 'http', credentials: { token, in: 'headers' } });
      fs.writeFileSync(fast, event('0'));
      fs.writeFileSync(slow, event('1'));
      assert.strictEqual((await run(fast)).outcome, 'allowed');

      await config().update('iotAuthz.pythonPath', '/nonexistent/python3', vscode.ConfigurationTarget.Workspace);
      const missing = await run(fast);
      assert.strictEqual(missing.outcome, 'handler-error', missing.headline);
      assert.strictEqual(missing.error?.code, 'INTERPRETER_NOT_FOUND');
      assert.match(missing.error?.message ?? '', /iotAuthz\.pythonPath/);
      await config().update('iotAuthz.pythonPath', undefined, vscode.ConfigurationTarget.Workspace);
      assert.strictEqual((await run(fast)).outcome, 'allowed');

      assert.strictEqual((await run(slow)).outcome, 'allowed', 'one second is within the default 5 s');
      await config().update('iotAuthz.local.timeoutMs', 300, vscode.ConfigurationTarget.Workspace);
      const timedOut = await run(slow);
      assert.strictEqual(timedOut.error?.code, 'TIMEOUT', timedOut.headline);
    } finally {
      await config().update('iotAuthz.pythonPath', undefined, vscode.ConfigurationTarget.Workspace);
      await config().update('iotAuthz.local.timeoutMs', undefined, vscode.ConfigurationTarget.Workspace);
      restore();
    }
  });

  test('the contributed JSON schemas complete and check event files', async () => {
    const file = inRoot('events', 'schema-check.authz.json');
    const restore = keep([file]);
    try {
      fs.writeFileSync(file, '{\n  "protocol": "ftp",\n  \n}\n');
      const doc = await vscode.workspace.openTextDocument(file);
      await vscode.window.showTextDocument(doc);
      const d = await waitFor(
        'a schema diagnostic for "ftp"',
        () => vscode.languages.getDiagnostics(doc.uri).find((x) => x.range.start.line === 1 && /mqtt-wss/.test(x.message)),
        20000,
      );
      assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Warning);
      const completions = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(2, 2));
      const labels = completions.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
      for (const field of ['credentials', 'authorizer', 'mqtt']) assert.ok(labels.some((l) => l.includes(field)), `completes ${field}: ${labels.join(', ')}`);
    } finally {
      restore();
    }
  });

  test('Run Test Event refuses a file that is not a test event, saying what to run', async () => {
    const result = await vscode.commands.executeCommand('iotAuthz.runTestEvent', vscode.Uri.file(inRoot('authorizer.js')));
    assert.strictEqual(result, undefined, 'the command wrapper turns the UserError into a message');
  });
});
