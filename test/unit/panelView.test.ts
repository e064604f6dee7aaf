// The results panel's pure parts: the view sent to the page, the comparison with the previous run,
// JSON paths to file positions, the protocol's checks on page messages, the JSON tokenizer and
// the in-page what-if evaluation.
import * as assert from 'assert';
import type { InvocationResult } from '../../src/core/result';
import { compareRuns, diffLines } from '../../src/vscode/panel/runDiff';
import { durationOf, historyEntryOf, responseJson, runViewOf } from '../../src/vscode/panel/runView';
import { jsonPathPosition, jsonPathSegments } from '../../src/vscode/panel/sourceLocations';
import { prettyJson, tokenizeJson } from '../../src/webview/jsonHighlight';
import { parseFromWebview, parsePanelState } from '../../src/webview/protocol';
import { evaluateWhatIf } from '../../src/webview/whatIf';
import { EXAMPLE_REQUESTS, fixtureRun } from './runFixtures';

const CONTEXT = { region: 'eu-west-1', accountId: '123456789012', clientId: 'sensor1' };

suite('results panel: view, diff, locations, protocol', () => {
  test('the view carries the decision as durations, each document with its size against 2048, and rows with the deciding statement', async () => {
    const run = await fixtureRun({ request: EXAMPLE_REQUESTS.mqttConnect, eventFile: 'events/mqtt-connect.authz.json' });
    const view = runViewOf(run);
    assert.deepStrictEqual(view.decision, { isAuthenticated: true, principalId: 'sensor1', refresh: '5 min', disconnect: '24 h' });
    assert.deepStrictEqual(view.duration, { total: '42 ms', detail: 'handler 3.0 ms · init 31 ms · cold start' });
    // An endpoint run that waited behind earlier invocations says so; under 1 ms it is noise.
    assert.strictEqual(durationOf({ ...run, timings: { totalMs: 900, invokeMs: 3, queuedMs: 850 } }).detail, 'handler 3.0 ms · queued 850 ms behind earlier invocations');
    assert.strictEqual(durationOf({ ...run, timings: { totalMs: 4, invokeMs: 3, queuedMs: 0.4 } }).detail, 'handler 3.0 ms');
    assert.strictEqual(view.documents[0].length, run.validation!.normalized!.policyDocuments[0].length);
    assert.strictEqual(view.documents[0].limit, 2048);
    const connect = view.evaluation!.rows.find((r) => r.action === 'iot:Connect')!;
    assert.strictEqual(connect.allowed, true);
    assert.match(connect.decidedBy ?? '', /^Document 1, statement 1: Allow iot:Connect on arn:aws:iot:eu-west-1:123456789012:client\/sensor1$/);
    assert.deepStrictEqual(view.sources.eventFile?.label, 'mqtt-connect.authz.json');
    assert.deepStrictEqual(view.unavailable, {});
    assert.strictEqual(view.hasResponse, true);
    assert.deepStrictEqual(historyEntryOf(run).label, 'mqtt-connect.authz.json');
    assert.deepStrictEqual(JSON.parse(responseJson(run)!), run.response);
  });

  test('findings: errors first; response findings open the handler, request problems the event file at their field', async () => {
    const run = await fixtureRun({
      request: EXAMPLE_REQUESTS.mqttConnect,
      eventFile: 'events/mqtt-connect.authz.json',
      response: { isAuthenticated: true, principalId: 'device-1', policyDocuments: [] },
    });
    const withProblem: InvocationResult = { ...run, problems: [{ severity: 'warning', field: 'credentials.signature', message: 'check me' }, { severity: 'warning', field: 'whatIf', message: 'not a file field' }] };
    const view = runViewOf(withProblem);
    assert.strictEqual(view.findings[0].severity, 'error');
    const principal = view.findings.find((f) => f.code === 'PRINCIPAL_ID_INVALID_CHARS')!;
    assert.strictEqual(principal.location?.file, run.source.handlerFile);
    assert.strictEqual(principal.locationLabel, 'authorizer.js');
    const problem = view.findings.find((f) => f.message === 'check me')!;
    assert.deepStrictEqual(problem.location, { file: run.source.eventFile, jsonPath: 'credentials.signature' });
    assert.strictEqual(view.findings.find((f) => f.message === 'not a file field')!.location, undefined);
    assert.strictEqual(view.outcome, 'invalid-response');
    // As in a real run, an invalid answer that says isAuthenticated is still evaluated: no policies, Connect denied.
    assert.deepStrictEqual(view.evaluation?.rows.map((r) => [r.action, r.allowed, r.reason]), [['iot:Connect', false, 'implicit-deny']]);
  });

  test('a handler error points at the handler line its stack names', async () => {
    const run = await fixtureRun({ request: EXAMPLE_REQUESTS.mqttConnect });
    const failed: InvocationResult = { ...run, outcome: 'handler-error', error: { code: 'HANDLER_THREW', message: 'boom', detail: `Error: boom\n    at exports.handler (${run.source.handlerFile}:17:11)` } };
    assert.deepStrictEqual(runViewOf(failed).error?.location, { file: run.source.handlerFile, line: 17 });
  });

  test('durations without handler timings show the total only', async () => {
    const run = await fixtureRun({ request: EXAMPLE_REQUESTS.httpUnsigned, totalMs: 3.21 });
    assert.deepStrictEqual(durationOf(run), { total: '3.2 ms' });
    const view = runViewOf(run);
    assert.strictEqual(view.outcome, 'signature-rejected');
    assert.strictEqual(view.decision, undefined);
    assert.strictEqual(view.hasResponse, false);
  });

  test('diffLines keeps common lines and marks what was removed and added', () => {
    assert.deepStrictEqual(diffLines(['a', 'b', 'c'], ['a', 'x', 'c', 'd']), [
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'added', text: 'x' },
      { kind: 'same', text: 'c' },
      { kind: 'added', text: 'd' },
    ]);
    assert.deepStrictEqual(diffLines([], []), []);
  });

  test('compareRuns: changed fields, documents line by line (pretty-printed), findings added and removed', async () => {
    const doc = (t: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws:iot:eu-west-1:123456789012:topic/${t}` }] });
    const a = await fixtureRun({ request: EXAMPLE_REQUESTS.mqttConnect, response: { isAuthenticated: true, principalId: 'p1', refreshAfterInSeconds: 300, disconnectAfterInSeconds: 86400, policyDocuments: [doc('a')] } });
    const b = await fixtureRun({ request: EXAMPLE_REQUESTS.mqttConnect, response: { isAuthenticated: true, principalId: 'p2', refreshAfterInSeconds: 300, policyDocuments: [doc('b')] } });
    const c = compareRuns(b, a);
    assert.deepStrictEqual(c.changes.map((x) => `${x.field}: ${x.before} → ${x.after}`), ['Principal: p1 → p2', 'Disconnect after: 24 h → (not set)']);
    assert.strictEqual(c.documents[0].status, 'changed');
    assert.ok(c.documents[0].lines.length > 3, 'string documents are pretty-printed before the diff');
    assert.deepStrictEqual(c.documents[0].lines.filter((l) => l.kind !== 'same').map((l) => l.kind), ['removed', 'added']);
    assert.ok(c.findingsAdded.some((f) => /disconnectAfterInSeconds/.test(f)));
    assert.deepStrictEqual(compareRuns(a, undefined), { runId: a.id, changes: [], documents: [], findingsAdded: [], findingsRemoved: [] });
  });

  test('JSON paths find the property in an event file, fall back to the nearest parent, and split dotted header names sensibly', () => {
    const text = '{\n  // comment\n  "headers": { "x.y": "1" },\n  "credentials": {\n    "token": "t",\n    "signature": { "sign": "k" }\n  },\n  "a": [1, {"b": 2}]\n}\n';
    assert.deepStrictEqual(jsonPathSegments('a[1].b'), ['a', 1, 'b']);
    assert.deepStrictEqual(jsonPathPosition(text, 'credentials.signature'), { line: 6, column: 5 });
    assert.deepStrictEqual(jsonPathPosition(text, 'credentials.missing'), { line: 4, column: 3 });
    assert.deepStrictEqual(jsonPathPosition(text, 'headers.x.y'), { line: 3, column: 16 });
    assert.deepStrictEqual(jsonPathPosition(text, 'a[1].b'), { line: 8, column: 13 });
    assert.deepStrictEqual(jsonPathPosition(text, ''), { line: 1, column: 1 });
  });

  test('page messages are checked: unknown types, missing fields and bad snippet kinds are dropped', () => {
    assert.deepStrictEqual(parseFromWebview({ type: 'ready' }), { type: 'ready' });
    assert.ok(parseFromWebview({ type: 'copy', runId: 'r', what: 'snippet', snippet: 'curl' }));
    assert.ok(parseFromWebview({ type: 'openLocation', file: '/w/e.authz.json', jsonPath: 'a.b', line: 3 }));
    for (const bad of [null, 'ready', { type: 'eval', code: 'x' }, { type: 'selectRun' }, { type: 'copy', runId: 'r', what: 'snippet', snippet: 'nc' }, { type: 'openLocation', file: '/x', line: 0 }, { type: 'rendered', runId: 'r' }, { type: 'toString' }]) {
      assert.strictEqual(parseFromWebview(bad), undefined, JSON.stringify(bad));
    }
    assert.deepStrictEqual(parsePanelState({ runId: 'abc', extra: 1 }), { runId: 'abc' });
    assert.deepStrictEqual(parsePanelState('junk'), {});
  });

  test('the JSON tokenizer covers every character and tells keys from string values', () => {
    const text = '{\n  "Effect": "Allow", "n": -1.5e3, "ok": true,\n  "x": null, "s": "a\\"b:"\n}';
    const tokens = tokenizeJson(text);
    assert.strictEqual(tokens.map((t) => t.text).join(''), text);
    assert.deepStrictEqual(tokens.filter((t) => t.kind === 'key').map((t) => t.text), ['"Effect"', '"n"', '"ok"', '"x"', '"s"']);
    assert.deepStrictEqual(tokens.filter((t) => t.kind === 'string').map((t) => t.text), ['"Allow"', '"a\\"b:"']);
    assert.deepStrictEqual(tokens.filter((t) => t.kind === 'number' || t.kind === 'literal').map((t) => t.text), ['-1.5e3', 'true', 'null']);
    assert.strictEqual(prettyJson('not json'), 'not json');
    assert.strictEqual(prettyJson('{"a":1}'), '{\n  "a": 1\n}');
  });

  test('what-if: the verdict follows the topic, filter and client id typed, with the deciding statement', async () => {
    const run = await fixtureRun({ request: EXAMPLE_REQUESTS.mqttConnect });
    const docs = run.validation!.normalized!.policyDocuments.map((d) => d.text);
    const allowed = evaluateWhatIf(docs, CONTEXT, { action: 'iot:Publish', clientId: 'sensor1', resource: 'devices/sensor1/telemetry' });
    assert.ok('row' in allowed && allowed.row.allowed);
    assert.match(allowed.row.decidedBy ?? '', /statement 2: Allow iot:Publish/);
    const denied = evaluateWhatIf(docs, CONTEXT, { action: 'iot:Publish', clientId: 'sensor1', resource: 'devices/sensor2/telemetry' });
    assert.ok('row' in denied && !denied.row.allowed && denied.row.reason === 'implicit-deny');
    const wildcard = evaluateWhatIf(docs, CONTEXT, { action: 'iot:Subscribe', clientId: 'sensor1', resource: 'devices/+/telemetry' });
    assert.ok('row' in wildcard && !wildcard.row.allowed, 'MQTT wildcards are literal in policies');
    const connect = evaluateWhatIf(docs, CONTEXT, { action: 'iot:Connect', clientId: 'other', resource: '' });
    assert.ok('row' in connect && connect.row.allowed && connect.row.resourceArn.endsWith(':client/other'));
    assert.deepStrictEqual(evaluateWhatIf(docs, CONTEXT, { action: 'iot:Subscribe', clientId: 'sensor1', resource: '' }), { missing: 'Type a topic filter to see the verdict.' });
  });
});
