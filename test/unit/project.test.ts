import * as assert from 'assert';
import * as path from 'path';
import { parseProject, pickAuthorizer } from '../../src/core/project';

const FILE = path.resolve('/ws/iot-authorizer.json');

suite('project file', () => {
  test('parses the documented example', () => {
    const text = JSON.stringify({
      authorizers: [
        {
          name: 'MyCustomAuthorizer',
          handler: 'authorizer.py:lambda_handler',
          runtime: 'python3.12',
          tokenKeyName: 'X-My-App-custom-key',
          signingDisabled: false,
          signingKeys: ['default'],
        },
      ],
    });
    const { project, issues } = parseProject(text, FILE);
    assert.deepStrictEqual(issues, []);
    const a = pickAuthorizer(project!);
    assert.ok(a);
    assert.strictEqual(a.handlerFile, path.resolve('/ws/authorizer.py'));
    assert.strictEqual(a.handlerFunction, 'lambda_handler');
    assert.strictEqual(a.language, 'python');
    assert.strictEqual(project!.defaultAuthorizer, 'MyCustomAuthorizer');
  });

  test('points at the line and field of an error', () => {
    const text = '{\n  "authorizers": [\n    {\n      "name": "A",\n      "handler": "index.js",\n      "runtime": "nodejs20.x",\n      "signingDisabled": true\n    }\n  ]\n}';
    const { project, issues } = parseProject(text, FILE);
    const e = issues.find((i) => i.jsonPath === 'authorizers[0].handler');
    assert.ok(e, JSON.stringify(issues));
    assert.strictEqual(e.line, 5);
    assert.match(e.message, /path\/to\/file:function/);
    assert.strictEqual(project!.authorizers.length, 0);
  });

  test('reports syntax errors with their position', () => {
    const { issues } = parseProject('{ "authorizers": [ { "name": } ] }', FILE);
    assert.ok(issues.length > 0);
    assert.match(issues[0].message, /JSON syntax error/);
    assert.strictEqual(issues[0].line, 1);
  });

  test('requires signing keys and token key name when signing is enabled', () => {
    const { issues } = parseProject(JSON.stringify({ authorizers: [{ name: 'A', handler: 'a.py:h', runtime: 'python3.12' }] }), FILE);
    assert.ok(issues.some((i) => i.jsonPath === 'authorizers[0].tokenKeyName'));
    assert.ok(issues.some((i) => i.jsonPath === 'authorizers[0].signingKeys'));
  });

  test('rejects a runtime that does not match the handler language and more than two keys', () => {
    const { issues } = parseProject(
      JSON.stringify({ authorizers: [{ name: 'A', handler: 'a.py:h', runtime: 'nodejs20.x', tokenKeyName: 't', signingKeys: ['a', 'b', 'c'] }] }),
      FILE,
    );
    assert.ok(issues.some((i) => i.jsonPath === 'authorizers[0].runtime'));
    assert.ok(issues.some((i) => i.jsonPath === 'authorizers[0].signingKeys' && /at most 2/.test(i.message)));
  });

  test('warns about unknown fields and rejects duplicate names', () => {
    const a = { name: 'A', handler: 'a.js:h', runtime: 'nodejs20.x', signingDisabled: true, colour: 'red' };
    const { issues } = parseProject(JSON.stringify({ authorizers: [a, { ...a, colour: undefined }] }), FILE);
    assert.ok(issues.some((i) => i.severity === 'warning' && /colour/.test(i.message)));
    assert.ok(issues.some((i) => /Duplicate authorizer name/.test(i.message)));
  });
});
