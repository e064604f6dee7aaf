// Inputs built to be expensive: policies with hundreds of wildcards, answers with thousands of
// documents, project files with thousands of problems, endless standard input. Each must end
// quickly with a useful answer. Bounds are step counts or limits far above the fixed cost,
// never a tight clock.
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { JSON_MAX_ISSUES, MAX_POLICY_DOCUMENTS, STDIN_MAX_BYTES } from '../../src/core/constants';
import { evaluatePolicies } from '../../src/core/policy';
import { compilePattern, patternMatches } from '../../src/core/policyMatch';
import { parseProject } from '../../src/core/project';
import { parseTestEvent } from '../../src/core/testEvent';
import { ANY, ONE, wildcardMatch, WildcardStats, WildcardToken } from '../../src/core/wildcard';
import { invokeEventFile } from '../../src/local/invokeAuthorizer';
import type { LocalRuntime } from '../../src/local/runtime';
import { closeTempRuntime, openTempRuntime } from './tempRuntime';
import { fixturePath, REPO_ROOT } from './keyFixtures';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

function tokens(pattern: string): WildcardToken[] {
  return pattern.split('').map((c) => (c === '*' ? ANY : c === '?' ? ONE : c));
}

/** The old matcher, as a reference for what a match is. */
function regexMatch(pattern: string, value: string): boolean {
  const body = pattern.split('').map((c) => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`).test(value);
}

suite('bounds: wildcard matching', function () {
  // Before: a backtracking regex, time doubling per `*/` (past 60 s at 50).
  this.timeout(5000);

  test('agrees with the regex reference on every small pattern and value', () => {
    const alphabet = ['a', '/', '*', '?'];
    const values = ['', 'a', '/', 'aa', 'a/', '/a', 'a/a', 'aa/a/', '//a', 'a/a/a/a'];
    const patterns: string[] = [''];
    for (let len = 1; len <= 4; len++) {
      for (const p of [...patterns]) if (p.length === len - 1) for (const c of alphabet) patterns.push(p + c);
    }
    for (const p of patterns) for (const v of values) assert.strictEqual(wildcardMatch(tokens(p), v), regexMatch(p, v), `${p} vs ${v}`);
    assert.strictEqual(wildcardMatch(tokens('IOT:*'), 'iot:Connect', true), true);
  });

  test('200 wildcards against a value they do not match: steps stay within (pattern+1)×(value+1)', () => {
    const pattern = 'arn:aws:iot:*:*:topic/' + '*/'.repeat(200) + 'end';
    const value = 'arn:aws:iot:eu-west-1:123456789012:topic/' + 'a/'.repeat(300) + 'nope';
    const stats: WildcardStats = { steps: 0 };
    assert.strictEqual(wildcardMatch(tokens(pattern), value, false, stats), false);
    assert.ok(stats.steps <= (pattern.length + 1) * (value.length + 1), `${stats.steps} steps`);
    assert.strictEqual(patternMatches(compilePattern(pattern), value), false);
    assert.strictEqual(patternMatches(compilePattern(pattern), value.replace(/nope$/, 'end')), true);
  });

  test('a policy statement with 200 `*/` is evaluated (publish denied, not hung)', () => {
    const resource = 'arn:aws:iot:*:*:topic/' + '*/'.repeat(200) + 'x';
    const d = evaluatePolicies(
      [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: resource }] }],
      { action: 'iot:Publish', topic: 'a/'.repeat(100) + 'y' },
      { region: 'eu-west-1', accountId: '123456789012', clientId: 'c' },
    );
    assert.strictEqual(d.allowed, false);
  });
});

suite('bounds: project and event files', function () {
  // Before: 32 s for a 2.2 MB file with many problems.
  this.timeout(10_000);

  test('a 2 MB project file with tens of thousands of problems: a capped list, the first ones exact', () => {
    const bad = Array.from({ length: 20_000 }, (_, i) => `{"name": "bad name ${i}", "handler": "h.py:handler", "runtime": "python3.12", "x${i}": 1, "signingDisabled": true}`);
    const text = `{\n"authorizers": [\n${bad.join(',\n')}\n]}`;
    assert.ok(text.length > 2_000_000);
    const r = parseProject(text, '/p/iot-authorizer.json');
    assert.ok(r.issues.length <= JSON_MAX_ISSUES + 1, `${r.issues.length} issues`);
    assert.match(r.issues[r.issues.length - 1].message, /the rest are not listed/);
    assert.strictEqual(r.issues[0].line, 3);
    assert.strictEqual(r.project?.authorizers.length, 0, 'every authorizer failed, even those past the listed issues');
  });

  test('100 000 levels of nesting: one error, no stack overflow', () => {
    const r = parseProject('['.repeat(100_000) + ']'.repeat(100_000), '/p/iot-authorizer.json');
    assert.strictEqual(r.project, undefined);
    assert.match(r.issues[0].message, /nested too deeply/);
    assert.match(parseTestEvent('{"a":' + '['.repeat(100_000)).issues[0].message, /nested too deeply|syntax/);
  });

  test('a UTF-8 byte order mark is not a syntax error; repeated keys keep the last value, as JSON.parse does', () => {
    const project = '\ufeff{"authorizers": [{"name": "First", "name": "Last", "handler": "h.py:handler", "runtime": "python3.12", "signingDisabled": true}]}';
    const r = parseProject(project, '/p/iot-authorizer.json');
    assert.deepStrictEqual(r.issues, []);
    assert.strictEqual(r.project?.authorizers[0].name, 'Last');
    const event = parseTestEvent('\ufeff{"protocol": "mqtt", "protocol": "http", "credentials": {"token": "t"}}');
    assert.strictEqual(event.request?.protocol, 'http', JSON.stringify(event.issues));
  });
});

suite('bounds: answers and input', function () {
  this.timeout(30_000);
  let dir: string;
  let runtime: LocalRuntime;
  setup(() => ({ dir, runtime } = openTempRuntime('iot-authz-bounds-')));
  teardown(() => closeTempRuntime({ dir, runtime }));

  test('3 000 policy documents: invalid, and evaluation stops (before: 47 s)', async () => {
    fs.writeFileSync(path.join(dir, 'iot-authorizer.json'), JSON.stringify({ authorizers: [{ name: 'A', handler: 'h.js:handler', runtime: 'nodejs20.x', signingDisabled: true }] }));
    fs.writeFileSync(path.join(dir, 'h.js'), [
      'const doc = (i) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["iot:Connect", "iot:Publish", "iot:Subscribe", "iot:Receive"], Resource: [`arn:aws:iot:*:*:topic/t${i}/*/*/*`, `arn:aws:iot:*:*:topicfilter/t${i}/*`, "arn:aws:iot:*:*:client/${iot:ClientId}"] }] });',
      'exports.handler = async () => ({ isAuthenticated: true, principalId: "p", refreshAfterInSeconds: 300, disconnectAfterInSeconds: 300, policyDocuments: Array.from({ length: 3000 }, (_, i) => doc(i)) });',
    ].join('\n'));
    fs.writeFileSync(path.join(dir, 'e.authz.json'), JSON.stringify({ authorizer: 'A', protocol: 'mqtt', mqtt: { clientId: 'c1' } }));
    const r = await invokeEventFile(runtime, { eventFile: path.join(dir, 'e.authz.json') });
    assert.strictEqual(r.outcome, 'invalid-response', r.headline);
    assert.strictEqual(r.evaluation, undefined);
    assert.ok(r.problems.some((p) => p.message.includes(`more than ${MAX_POLICY_DOCUMENTS}`)), JSON.stringify(r.problems));
  });

  test('endless standard input for --token -: one line, exit 2, memory not exhausted', async () => {
    const child = spawn(process.execPath, [CLI, 'sign', '--key', fixturePath('rsa2048_private_key.pem'), '--token', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.stdin.on('error', () => undefined);
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let written = 0;
    const pump = () => {
      while (child.exitCode === null && written < STDIN_MAX_BYTES * 50) {
        written += chunk.length;
        if (!child.stdin.write(chunk)) return void child.stdin.once('drain', pump);
      }
    };
    pump();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.strictEqual(code, 2, stderr);
    assert.ok(written < STDIN_MAX_BYTES * 50, 'the CLI read far past its limit');
    assert.match(stderr, /^iot-authz sign: Standard input is larger than \d+ bytes/);
    assert.strictEqual(stderr.trim().split('\n').length, 1);
  });
});
