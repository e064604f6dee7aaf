// Answers a local run must not get wrong: a handler forging the worker's messages, limits AWS
// enforces (memory, cold start time), runtimes Lambda does not have, setup errors as exit 2.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseProject } from '../../src/core/project';
import { invokeEventFile } from '../../src/local/invokeAuthorizer';
import type { LocalRuntime } from '../../src/local/runtime';
import { closeTempRuntime, openTempRuntime } from './tempRuntime';
import { REPO_ROOT } from './keyFixtures';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const hasPython = spawnSync('python3', ['--version']).status === 0;
const FORGED = '{"type":"result","id":1,"durationMs":1,"response":{"isAuthenticated":true,"principalId":"forged","refreshAfterInSeconds":300,"disconnectAfterInSeconds":300,"policyDocuments":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}]}}';

suite('answers: what a run reports', function () {
  this.timeout(60_000);
  let dir: string;
  let runtime: LocalRuntime;
  setup(() => ({ dir, runtime } = openTempRuntime('iot-authz-answers-')));
  teardown(() => closeTempRuntime({ dir, runtime }));

  function project(handler: string, runtimeId: string, code: string, extra: Record<string, unknown> = {}): string {
    fs.writeFileSync(path.join(dir, 'iot-authorizer.json'), JSON.stringify({ authorizers: [{ name: 'A', handler, runtime: runtimeId, signingDisabled: true, ...extra }] }));
    fs.writeFileSync(path.join(dir, handler.split(':')[0]), code);
    fs.writeFileSync(path.join(dir, 'e.authz.json'), JSON.stringify({ authorizer: 'A', protocol: 'mqtt', mqtt: { clientId: 'c1' } }));
    return path.join(dir, 'e.authz.json');
  }

  test('Node.js: a forged answer written to fd 3 is refused, not reported', async () => {
    const event = project('h.js:handler', 'nodejs20.x', `exports.handler = async () => { require('fs').writeSync(3, ${JSON.stringify(FORGED + '\n')}); return new Promise(() => {}); };`);
    const r = await invokeEventFile(runtime, { eventFile: event, invoke: { timeoutMs: 3000 } });
    assert.notStrictEqual(r.outcome, 'allowed', r.headline);
    assert.strictEqual(r.error?.code, 'WORKER_EXITED', r.headline);
    assert.match(r.error?.message ?? '', /not a protocol message/);
  });

  test('Python: a forged answer written to the protocol\'s file descriptor is refused', async function () {
    if (!hasPython) this.skip();
    const event = project('h.py:handler', 'python3.12', [
      'import os, time',
      'def handler(event, context):',
      '    for fd in range(3, 8):',
      '        try:',
      `            os.write(fd, ${JSON.stringify(FORGED + '\n')}.encode())`,
      '        except OSError:',
      '            pass',
      '    time.sleep(600)',
    ].join('\n'));
    const r = await invokeEventFile(runtime, { eventFile: event, invoke: { timeoutMs: 3000 } });
    assert.notStrictEqual(r.outcome, 'allowed', r.headline);
    assert.notStrictEqual((r.response as { principalId?: string } | undefined)?.principalId, 'forged');
  });

  test('a handler using more memory than the function is configured for is a finding', async () => {
    const event = project('h.js:handler', 'nodejs20.x', [
      'let keep;',
      "exports.handler = async () => { keep = Buffer.alloc(200 * 1024 * 1024, 1); return { isAuthenticated: true, principalId: 'p', refreshAfterInSeconds: 300, disconnectAfterInSeconds: 300, policyDocuments: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] }] }; };",
    ].join('\n'), { memorySize: 128 });
    const r = await invokeEventFile(runtime, { eventFile: event });
    assert.strictEqual(r.outcome, 'allowed', r.headline);
    assert.ok(r.problems.some((p) => p.severity === 'warning' && /configured for 128 MB/.test(p.message)), JSON.stringify(r.problems));
  });

  test('a cold start longer than AWS IoT waits for an authorizer is a finding', async () => {
    const event = project('h.js:handler', 'nodejs20.x', [
      'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5200);',
      "exports.handler = async () => ({ isAuthenticated: false, principalId: 'p', refreshAfterInSeconds: 300, disconnectAfterInSeconds: 300, policyDocuments: [] });",
    ].join('\n'));
    const r = await invokeEventFile(runtime, { eventFile: event });
    assert.strictEqual(r.outcome, 'denied', r.headline);
    assert.ok(r.problems.some((p) => p.severity === 'warning' && /cold start took \d+ ms .*waits 5000 ms/.test(p.message)), JSON.stringify(r.problems));
  });

  test('runtimes Lambda does not have are refused: nodejs99.x, python3.99', () => {
    for (const runtimeId of ['nodejs99.x', 'python3.99']) {
      const r = parseProject(JSON.stringify({ authorizers: [{ name: 'A', handler: runtimeId.startsWith('py') ? 'h.py:h' : 'h.js:h', runtime: runtimeId, signingDisabled: true }] }), '/p/iot-authorizer.json');
      assert.match(r.issues.map((i) => i.message).join('\n'), new RegExp(`Lambda has no runtime "${runtimeId.replace('.', '\\.')}"`));
      assert.strictEqual(r.project?.authorizers.length, 0);
    }
  });

  test('a missing handler file exits 2 with one line', () => {
    const event = project('h.js:handler', 'nodejs20.x', '');
    fs.rmSync(path.join(dir, 'h.js'));
    const r = spawnSync(process.execPath, [CLI, 'invoke', '--event', event], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.strictEqual(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /HANDLER_FILE_NOT_FOUND/);
  });
});
