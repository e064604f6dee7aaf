// The local runtime against real handlers (test/fixtures/handlers) in real child processes.
// Needs the built worker (`node esbuild.js`) and, for the Python suite, python3 on PATH.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LOG_CAPTURE_MAX_BYTES, PYTHON_PATH_SETTING } from '../../src/core/constants';
import type { AuthorizerConfig, HandlerLanguage } from '../../src/core/project';
import { LocalRuntime, RuntimeResult, runtimeAssetsDir } from '../../src/local/runtime';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/handlers');
const SHORT_TIMEOUT_MS = 400;

function languageOf(file: string): HandlerLanguage {
  if (file.endsWith('.py')) return 'python';
  return /\.[mc]?ts$/.test(file) ? 'typescript' : 'javascript';
}

function configFor(file: string, fn: string, extra: Partial<AuthorizerConfig> = {}): AuthorizerConfig {
  const handlerFile = path.isAbsolute(file) ? file : path.join(FIXTURES, file);
  const language = languageOf(handlerFile);
  return {
    name: 'TestAuthorizer',
    handler: `${path.basename(handlerFile)}:${fn}`,
    handlerFile,
    handlerFunction: fn,
    language,
    runtime: language === 'python' ? 'python3.12' : 'nodejs20.x',
    signingDisabled: true,
    signingKeys: [],
    enableCachingForHttp: false,
    status: 'ACTIVE',
    aws: {},
    ...extra,
  };
}

function expectOk(r: RuntimeResult): Record<string, unknown> {
  assert.ok(r.ok, `expected success, got ${JSON.stringify(!r.ok && r.error)}\nlogs: ${r.logs.text}`);
  return r.response as Record<string, unknown>;
}

function expectError(r: RuntimeResult, code: string): Extract<RuntimeResult, { ok: false }>['error'] {
  assert.ok(!r.ok, `expected ${code}, got success ${JSON.stringify(r.ok && r.response).slice(0, 200)}`);
  assert.strictEqual(r.error.code, code, JSON.stringify(r.error));
  return r.error;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tempCopy(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-runtime-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const hasPython = spawnSync('python3', ['--version']).status === 0;
const EVENT = { token: 'allow-device1', signatureVerified: true, protocols: ['tls', 'mqtt'] };

suite('local runtime: assets', () => {
  test('finds the built worker and bootstrap from the compiled tests', () => {
    const dir = runtimeAssetsDir();
    assert.ok(fs.existsSync(path.join(dir, 'nodeWorker.js')));
    assert.ok(fs.existsSync(path.join(dir, 'python_bootstrap.py')));
  });

  test('says how to build them when they are missing', () => {
    assert.throws(() => runtimeAssetsDir(os.tmpdir()), /npm run build/);
  });
});

suite('local runtime: Node.js handlers', () => {
  let runtime: LocalRuntime;
  setup(() => {
    runtime = new LocalRuntime();
  });
  teardown(() => runtime.dispose());

  test('CommonJS async handler gets the event, a Lambda context and environment; logs are captured', async () => {
    const r = await runtime.invoke(configFor('node/allow.js', 'handler'), EVENT);
    const res = expectOk(r);
    const seen = res.seen as Record<string, unknown>;
    assert.deepStrictEqual(seen.event, EVENT);
    assert.strictEqual(seen.awsRequestId, r.requestId);
    assert.strictEqual(seen.functionName, 'TestAuthorizer');
    assert.strictEqual(seen.memoryLimitInMB, '128');
    assert.match(String(seen.invokedFunctionArn), /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:TestAuthorizer$/);
    assert.strictEqual(seen.logGroupName, '/aws/lambda/TestAuthorizer');
    assert.ok(Number(seen.remaining) > 0 && Number(seen.remaining) <= 5000);
    assert.strictEqual(seen.cwd, path.join(FIXTURES, 'node'));
    assert.strictEqual(seen.envFunctionName, 'TestAuthorizer');
    assert.notStrictEqual(seen.pid, process.pid, 'the handler must run in a child process');
    assert.match(r.logs.text, /checking token allow-device1/);
    assert.match(r.logs.text, /stderr line/);
    assert.strictEqual(r.logs.truncated, false);
    assert.strictEqual(r.timings.cold, true);
  });

  test('a warm worker serves the next invoke: same process, fresh logs, fresh request id', async () => {
    const config = configFor('node/allow.js', 'handler');
    const first = await runtime.invoke(config, { token: 'one' });
    const second = await runtime.invoke(config, { token: 'two' });
    assert.strictEqual(second.timings.cold, false);
    assert.strictEqual(second.workerPid, first.workerPid);
    assert.notStrictEqual(second.requestId, first.requestId);
    assert.match(second.logs.text, /checking token two/);
    assert.doesNotMatch(second.logs.text, /checking token one/);
    assert.strictEqual(expectOk(await runtime.invoke(configFor('node/allow.js', 'other'), {})).principalId, 'other');
  });

  test('parallel invokes of one handler run one after the other and all answer', async () => {
    const config = configFor('node/allow.js', 'handler');
    const results = await Promise.all([1, 2, 3, 4].map((n) => runtime.invoke(config, { token: `t${n}` })));
    results.forEach((r, i) => assert.strictEqual(((expectOk(r).seen as Record<string, unknown>).event as { token: string }).token, `t${i + 1}`));
  });

  test('callback-style handlers answer through callback, callback(error) and context.succeed', async () => {
    assert.strictEqual(expectOk(await runtime.invoke(configFor('node/callback.js', 'handler'), { token: 'x' })).principalId, 'cb');
    const e = expectError(await runtime.invoke(configFor('node/callback.js', 'fails'), {}), 'HANDLER_EXCEPTION');
    assert.match(e.message, /denied through the callback/);
    assert.strictEqual(expectOk(await runtime.invoke(configFor('node/callback.js', 'viaContext'), {})).principalId, 'ctx');
  });

  test('ES modules: .mjs, and "type": "module" with a sibling import', async () => {
    const mjs = expectOk(await runtime.invoke(configFor('node/allow.mjs', 'handler'), { token: 'x' }));
    assert.strictEqual(mjs.principalId, 'esm');
    assert.strictEqual(mjs.kind, 'undefined', 'an ES module has no require');
    const pkg = expectOk(await runtime.invoke(configFor('node/esm-package/index.js', 'handler'), { token: 'a-b' }));
    assert.strictEqual(pkg.principalId, 'esmab');
  });

  test('TypeScript is bundled on the fly, sibling imports included, stacks point at the .ts source', async () => {
    const res = expectOk(await runtime.invoke(configFor('node/ts/handler.ts', 'handler'), EVENT));
    assert.strictEqual(res.principalId, 'device1');
    assert.strictEqual(res.isAuthenticated, true);
    assert.match(JSON.stringify(res.policyDocuments), /client\/device1/);
    const e = expectError(await runtime.invoke(configFor('node/ts/handler.ts', 'fails'), {}), 'HANDLER_EXCEPTION');
    assert.match(e.detail?.stack ?? '', /handler\.ts:\d+/);
  });

  test('syntax errors name the file and line (CommonJS, ES module, TypeScript)', async () => {
    for (const [file, line] of [['node/syntax-error.js', 4], ['node/syntax-error.mjs', 2], ['node/ts/broken.ts', 2]] as const) {
      const e = expectError(await runtime.invoke(configFor(file, 'handler'), {}), 'SYNTAX_ERROR');
      assert.strictEqual(e.detail?.file, path.join(FIXTURES, file));
      assert.strictEqual(e.detail?.line, line, file);
      assert.ok(e.message.includes(`${path.join(FIXTURES, file)}:${line}`), e.message);
    }
  });

  test('a missing dependency is an import error naming the module', async () => {
    const e = expectError(await runtime.invoke(configFor('node/missing-module.js', 'handler'), {}), 'IMPORT_ERROR');
    assert.strictEqual(e.detail?.missingModule, 'iot-authz-no-such-package');
    assert.match(e.message, /npm install iot-authz-no-such-package/);
  });

  test('top-level code that throws (even a SyntaxError from JSON.parse) is an init error, not a syntax error', async () => {
    const e = expectError(await runtime.invoke(configFor('node/init-throws.js', 'handler'), {}), 'INIT_ERROR');
    assert.match(e.detail?.stack ?? '', /init-throws\.js:2/);
  });

  test('a missing function lists the functions the module exports', async () => {
    const e = expectError(await runtime.invoke(configFor('node/allow.js', 'handlr'), {}), 'FUNCTION_NOT_FOUND');
    assert.deepStrictEqual(e.detail?.availableFunctions, ['handler', 'other']);
    assert.match(e.message, /"handlr".*handler, other/);
  });

  test('an exception reports its type, message and a stack into the handler file', async () => {
    const e = expectError(await runtime.invoke(configFor('node/failures.js', 'throws'), {}), 'HANDLER_EXCEPTION');
    assert.strictEqual(e.detail?.errorType, 'TypeError');
    assert.match(e.message, /reading 'id'/);
    assert.match(e.detail?.stack ?? '', /failures\.js:6/);
    assert.doesNotMatch(e.detail?.stack ?? '', /nodeWorker/);
    const s = expectError(await runtime.invoke(configFor('node/failures.js', 'rejectsString'), {}), 'HANDLER_EXCEPTION');
    assert.match(s.message, /"Unauthorized"/);
    const later = expectError(await runtime.invoke(configFor('node/failures.js', 'throwsLater'), {}), 'HANDLER_EXCEPTION');
    assert.strictEqual(later.detail?.errorType, 'RangeError');
  });

  test('returning nothing, null, or a value from a non-async handler is NO_RESPONSE', async () => {
    const none = await runtime.invoke(configFor('node/failures.js', 'returnsNothing'), {});
    assert.match(expectError(none, 'NO_RESPONSE').message, /undefined/);
    assert.match(none.logs.text, /forgot to return/);
    assert.match(expectError(await runtime.invoke(configFor('node/failures.js', 'returnsNull'), {}), 'NO_RESPONSE').message, /null/);
    assert.match(expectError(await runtime.invoke(configFor('node/failures.js', 'syncReturn'), {}), 'NO_RESPONSE').message, /not async/);
  });

  test('answers JSON cannot hold are RESPONSE_NOT_JSON', async () => {
    assert.match(expectError(await runtime.invoke(configFor('node/failures.js', 'bigint'), {}), 'RESPONSE_NOT_JSON').message, /BigInt/);
    assert.match(expectError(await runtime.invoke(configFor('node/failures.js', 'circular'), {}), 'RESPONSE_NOT_JSON').message, /circular/);
  });

  test('huge output is cut at the cap and flagged; a huge answer is RESPONSE_TOO_LARGE', async () => {
    const loud = await runtime.invoke(configFor('node/failures.js', 'hugeLog'), {});
    assert.strictEqual(expectOk(loud).principalId, 'loud');
    assert.strictEqual(loud.logs.truncated, true);
    assert.strictEqual(Buffer.byteLength(loud.logs.text), LOG_CAPTURE_MAX_BYTES);
    const next = await runtime.invoke(configFor('node/failures.js', 'returnsNull'), {});
    assert.strictEqual(next.logs.truncated, false, 'the cap applies per invocation');
    const e = expectError(await runtime.invoke(configFor('node/failures.js', 'hugeResponse'), {}), 'RESPONSE_TOO_LARGE');
    assert.ok((e.detail?.sizeBytes ?? 0) > (e.detail?.limitBytes ?? Infinity));
  });

  test('a hang times out, the worker is killed, and the next invoke starts a fresh one', async () => {
    const config = configFor('node/failures.js', 'hangs');
    const r = await runtime.invoke(config, {}, { timeoutMs: SHORT_TIMEOUT_MS });
    const e = expectError(r, 'TIMEOUT');
    assert.strictEqual(e.detail?.phase, 'invoke');
    // Only the lower bound is a fact (the limit never fires early); how late it fires depends on the machine's load.
    assert.ok(r.timings.totalMs >= SHORT_TIMEOUT_MS, `took ${r.timings.totalMs} ms`);
    assert.ok(r.workerPid && !isRunning(r.workerPid), 'the timed-out worker must be gone');
    const after = await runtime.invoke(configFor('node/failures.js', 'returnsNull'), {});
    assert.strictEqual(after.timings.cold, true);
    assert.notStrictEqual(after.workerPid, r.workerPid);
  });

  test('a handler that exits the process is WORKER_EXITED with its exit code and output', async () => {
    const r = await runtime.invoke(configFor('node/failures.js', 'exits'), {});
    const e = expectError(r, 'WORKER_EXITED');
    assert.strictEqual(e.detail?.exitCode, 3);
    assert.match(r.logs.text, /bye/);
  });

  test('garbage on the worker\'s channel stops the worker instead of the caller', async () => {
    const r = await runtime.invoke(configFor('node/failures.js', 'writesToChannel'), {});
    assert.match(expectError(r, 'WORKER_EXITED').message, /not a protocol message/);
    assert.ok(r.workerPid && !isRunning(r.workerPid));
  });

  test('a missing handler file says which file and where it is configured', async () => {
    const e = expectError(await runtime.invoke(configFor('node/nope.js', 'handler'), {}), 'HANDLER_FILE_NOT_FOUND');
    assert.match(e.message, /nope\.js/);
    assert.match(e.message, /iot-authorizer\.json/);
  });

  test('a node binary that does not exist is INTERPRETER_NOT_FOUND', async () => {
    const e = expectError(await runtime.invoke(configFor('node/allow.js', 'handler'), {}, { nodePath: '/nonexistent/node' }), 'INTERPRETER_NOT_FOUND');
    assert.strictEqual(e.detail?.command, '/nonexistent/node');
  });

  test('echo measures the channel without calling the handler', async () => {
    const config = configFor('node/allow.js', 'handler');
    const ms = await runtime.echo(config, EVENT);
    assert.ok(ms >= 0 && ms < 1000);
    const r = await runtime.invoke(config, EVENT);
    assert.strictEqual(r.timings.cold, false, 'echo warmed the worker');
    assert.doesNotMatch(r.logs.text, /checking token.*checking token/s, 'echo did not run the handler');
  });
});

suite('local runtime: reload and lifecycle', () => {
  let runtime: LocalRuntime;
  let dir: string | undefined;
  setup(() => {
    runtime = new LocalRuntime();
  });
  teardown(async () => {
    await runtime.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  test('editing the handler restarts its warm worker with the new code', async () => {
    dir = tempCopy({ 'auth.js': "exports.handler = async () => ({ principalId: 'v1' });\n" });
    const config = configFor(path.join(dir, 'auth.js'), 'handler');
    const first = await runtime.invoke(config, {});
    assert.strictEqual(expectOk(first).principalId, 'v1');
    assert.strictEqual(expectOk(await runtime.invoke(config, {})).principalId, 'v1');
    fs.writeFileSync(path.join(dir, 'auth.js'), "exports.handler = async () => ({ principalId: 'version2' });\n");
    const second = await runtime.invoke(config, {});
    assert.strictEqual(expectOk(second).principalId, 'version2');
    assert.strictEqual(second.timings.cold, true);
    assert.strictEqual(second.reloadedBecause, path.join(dir, 'auth.js'));
    assert.ok(first.workerPid && !isRunning(first.workerPid), 'the stale worker was stopped');
  });

  test('editing a module the handler requires restarts it too', async () => {
    dir = tempCopy({
      'auth.js': "const { id } = require('./lib');\nexports.handler = async () => ({ principalId: id() });\n",
      'lib.js': "exports.id = () => 'one';\n",
    });
    const config = configFor(path.join(dir, 'auth.js'), 'handler');
    assert.strictEqual(expectOk(await runtime.invoke(config, {})).principalId, 'one');
    fs.writeFileSync(path.join(dir, 'lib.js'), "exports.id = () => 'three';\n");
    const r = await runtime.invoke(config, {});
    assert.strictEqual(expectOk(r).principalId, 'three');
    assert.strictEqual(r.reloadedBecause, path.join(dir, 'lib.js'));
  });

  test('fixing a syntax error is picked up on the next invoke', async () => {
    dir = tempCopy({ 'auth.mjs': 'export const handler = async () => ({ principalId: };\n' });
    const config = configFor(path.join(dir, 'auth.mjs'), 'handler');
    expectError(await runtime.invoke(config, {}), 'SYNTAX_ERROR');
    fs.writeFileSync(path.join(dir, 'auth.mjs'), "export const handler = async () => ({ principalId: 'fixed' });\n");
    assert.strictEqual(expectOk(await runtime.invoke(config, {})).principalId, 'fixed');
  });

  test('non-ASCII text survives the round trip, in the answer and in the logs', async () => {
    dir = tempCopy({
      'u.js': "exports.h = async (e) => { console.log('héllo ✓', e.token); return { principalId: e.token }; };\n",
      'u.py': 'def h(e, c):\n    print("héllo ✓", e["token"])\n    return {"principalId": e["token"]}\n',
    });
    for (const file of hasPython ? ['u.js', 'u.py'] : ['u.js']) {
      const r = await runtime.invoke(configFor(path.join(dir, file), 'h'), { token: 'ünï😀' });
      assert.strictEqual(expectOk(r).principalId, 'ünï😀', file);
      assert.strictEqual(r.logs.text, 'héllo ✓ ünï😀\n', file);
    }
  });

  test('dispose kills every worker: their pids are gone', async () => {
    await runtime.invoke(configFor('node/allow.js', 'handler'), {});
    await runtime.invoke(configFor('node/callback.js', 'handler'), {});
    const pids = runtime.workerPids();
    assert.strictEqual(pids.length, 2);
    assert.ok(pids.every(isRunning));
    await runtime.dispose();
    assert.deepStrictEqual(pids.filter(isRunning), []);
    assert.deepStrictEqual(runtime.workerPids(), []);
  });
});


// A handler that answers only once `n` invocations have arrived (each leaves a file in its
// folder): served one at a time, the first would wait for the others forever.
const BARRIER_HANDLER = `const fs = require('fs');
const path = require('path');
exports.handler = async (event, context) => {
  fs.writeFileSync(path.join(__dirname, 'arrived-' + context.awsRequestId), '');
  while (fs.readdirSync(__dirname).filter((f) => f.startsWith('arrived-')).length < event.n) {
    await new Promise((r) => setTimeout(r, 5));
  }
  return { principalId: String(process.pid) };
};
exports.order = async (event) => {
  fs.appendFileSync(path.join(__dirname, 'order.txt'), event.token + '\\n');
  return { principalId: event.token };
};
`;
const BARRIER_TIMEOUT_MS = 60000;

suite('local runtime: several workers per handler (maxWorkersPerHandler)', () => {
  let runtime: LocalRuntime | undefined;
  let dir: string | undefined;
  teardown(async () => {
    await runtime?.dispose();
    runtime = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  test('with 3 workers, 3 invokes run at once, each in its own cold worker', async () => {
    dir = tempCopy({ 'barrier.js': BARRIER_HANDLER });
    runtime = new LocalRuntime({ maxWorkersPerHandler: 3 });
    const rt = runtime;
    const config = configFor(path.join(dir, 'barrier.js'), 'handler');
    const results = await Promise.all([1, 2, 3].map(() => rt.invoke(config, { n: 3 }, { timeoutMs: BARRIER_TIMEOUT_MS })));
    const pids = results.map((r) => Number(expectOk(r).principalId));
    assert.strictEqual(new Set(pids).size, 3, `three processes answered: ${pids.join(', ')}`);
    assert.deepStrictEqual(results.map((r) => r.timings.cold), [true, true, true]);
    assert.deepStrictEqual(results.map((r) => r.workerPid).sort(), [...pids].sort());
    assert.deepStrictEqual([...rt.workerPids()].sort(), [...pids].sort());
  });

  test('an invoke that finds every worker busy waits for the first free one and runs warm in it', async () => {
    dir = tempCopy({ 'barrier.js': BARRIER_HANDLER });
    runtime = new LocalRuntime({ maxWorkersPerHandler: 2 });
    const rt = runtime;
    const config = configFor(path.join(dir, 'barrier.js'), 'handler');
    // Two hold both workers until both have arrived; the third can only run after one of them.
    const results = await Promise.all([2, 2, 3].map((n) => rt.invoke(config, { n }, { timeoutMs: BARRIER_TIMEOUT_MS })));
    const [a, b, c] = results;
    expectOk(c);
    assert.strictEqual(c.timings.cold, false);
    assert.ok(c.workerPid === a.workerPid || c.workerPid === b.workerPid, 'the waiting invoke reused a worker');
    assert.strictEqual(rt.workerPids().length, 2, 'no third worker was started');
  });

  test('with one worker, parallel invokes run in the order they arrived', async () => {
    dir = tempCopy({ 'barrier.js': BARRIER_HANDLER });
    runtime = new LocalRuntime();
    const rt = runtime;
    const config = configFor(path.join(dir, 'barrier.js'), 'order');
    const tokens = ['t1', 't2', 't3', 't4', 't5'];
    await Promise.all(tokens.map((token) => rt.invoke(config, { token })));
    assert.strictEqual(fs.readFileSync(path.join(dir, 'order.txt'), 'utf8'), tokens.map((t) => `${t}\n`).join(''));
  });

  test('a worker that times out is replaced; its sibling keeps serving warm', async () => {
    runtime = new LocalRuntime({ maxWorkersPerHandler: 2 });
    const rt = runtime;
    const hang = rt.invoke(configFor('node/failures.js', 'hangs'), {}, { timeoutMs: SHORT_TIMEOUT_MS });
    const fine = await rt.invoke(configFor('node/failures.js', 'returnsNull'), {});
    const timedOut = await hang;
    expectError(timedOut, 'TIMEOUT');
    assert.ok(timedOut.workerPid && !isRunning(timedOut.workerPid), 'the timed-out worker is gone');
    assert.notStrictEqual(fine.workerPid, timedOut.workerPid);
    assert.deepStrictEqual(rt.workerPids(), [fine.workerPid]);
    const again = await rt.invoke(configFor('node/failures.js', 'returnsNull'), {});
    assert.strictEqual(again.workerPid, fine.workerPid);
    assert.strictEqual(again.timings.cold, false);
  });

  test('dispose stops the busy worker and fails the invoke still waiting for one', async () => {
    runtime = new LocalRuntime();
    const rt = runtime;
    const config = configFor('node/failures.js', 'hangs');
    const running = rt.invoke(config, {}, { timeoutMs: BARRIER_TIMEOUT_MS });
    // Its outcome is taken at once: a rejection nobody had listened to yet would be reported as unhandled.
    const waiting = rt.invoke(config, {}, { timeoutMs: BARRIER_TIMEOUT_MS }).then(() => undefined, (e: unknown) => e);
    // Dispose once the first invoke's worker is up (its pid listed), not after a guessed delay.
    const started = Date.now();
    while (rt.workerPids().length === 0) {
      assert.ok(Date.now() - started < BARRIER_TIMEOUT_MS, 'the worker never started');
      await new Promise((r) => setImmediate(r));
    }
    const pids = rt.workerPids();
    await rt.dispose();
    assert.match(String(await waiting), /LocalRuntime was disposed/);
    assert.strictEqual((await running).ok, false);
    assert.deepStrictEqual(pids.filter(isRunning), []);
  });

  test('a worker count below 1 is refused with what to give', () => {
    assert.throws(() => new LocalRuntime({ maxWorkersPerHandler: 0 }), /maxWorkersPerHandler must be a whole number of at least 1 \(was 0\)/);
    assert.throws(() => new LocalRuntime({ maxWorkersPerHandler: 1.5 }), /at least 1/);
  });
});

suite('local runtime: Python handlers', function () {
  let runtime: LocalRuntime;
  let dir: string | undefined;
  suiteSetup(function () {
    if (!hasPython) this.skip();
  });
  setup(() => {
    runtime = new LocalRuntime();
  });
  teardown(async () => {
    await runtime.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  test('gets the event and a context object; imports a sibling module; prints are the logs', async () => {
    const r = await runtime.invoke(configFor('python/allow.py', 'lambda_handler'), EVENT);
    const res = expectOk(r);
    const seen = res.seen as Record<string, unknown>;
    assert.strictEqual(res.principalId, 'allowdevice1');
    assert.deepStrictEqual(seen.event, EVENT);
    assert.strictEqual(seen.awsRequestId, r.requestId);
    assert.strictEqual(seen.functionName, 'TestAuthorizer');
    assert.strictEqual(seen.memoryLimitInMB, 128);
    assert.match(String(seen.invokedFunctionArn), /:function:TestAuthorizer$/);
    assert.strictEqual(seen.logGroupName, '/aws/lambda/TestAuthorizer');
    assert.ok(Number(seen.remaining) > 0 && Number(seen.remaining) <= 5000);
    assert.strictEqual(seen.cwd, path.join(FIXTURES, 'python'));
    assert.strictEqual(seen.envFunctionName, 'TestAuthorizer');
    assert.notStrictEqual(seen.pid, process.pid);
    assert.strictEqual(r.logs.text, 'checking token allow-device1\n');
    const warm = await runtime.invoke(configFor('python/allow.py', 'other'), {});
    assert.strictEqual(warm.timings.cold, false);
    assert.strictEqual(warm.workerPid, r.workerPid);
  });

  test('an exception reports type, message and a traceback into the handler file', async () => {
    const e = expectError(await runtime.invoke(configFor('python/failures.py', 'raises'), {}), 'HANDLER_EXCEPTION');
    assert.strictEqual(e.detail?.errorType, 'KeyError');
    assert.match(e.detail?.stack ?? '', /failures\.py", line 9, in raises/);
    assert.doesNotMatch(e.detail?.stack ?? '', /python_bootstrap|frozen/);
  });

  test('returning None is NO_RESPONSE; sets and NaN are RESPONSE_NOT_JSON; Decimal is a number as in Lambda', async () => {
    const none = await runtime.invoke(configFor('python/failures.py', 'returns_none'), {});
    assert.match(expectError(none, 'NO_RESPONSE').message, /None/);
    assert.match(none.logs.text, /forgot to return/);
    assert.match(expectError(await runtime.invoke(configFor('python/failures.py', 'not_json'), {}), 'RESPONSE_NOT_JSON').message, /set/);
    expectError(await runtime.invoke(configFor('python/failures.py', 'nan'), {}), 'RESPONSE_NOT_JSON');
    const dec = expectOk(await runtime.invoke(configFor('python/failures.py', 'decimals'), {}));
    assert.strictEqual(dec.refreshAfterInSeconds, 300);
    assert.strictEqual(dec.ratio, 0.5);
  });

  test('huge output is capped and flagged; a huge answer is RESPONSE_TOO_LARGE; fd 1 writes are logs', async () => {
    const loud = await runtime.invoke(configFor('python/failures.py', 'huge_log'), {});
    assert.strictEqual(expectOk(loud).principalId, 'loud');
    assert.strictEqual(loud.logs.truncated, true);
    assert.strictEqual(Buffer.byteLength(loud.logs.text), LOG_CAPTURE_MAX_BYTES);
    expectError(await runtime.invoke(configFor('python/failures.py', 'huge_response'), {}), 'RESPONSE_TOO_LARGE');
    const fd = await runtime.invoke(configFor('python/failures.py', 'writes_stdout_fd'), {});
    assert.strictEqual(expectOk(fd).principalId, 'fd');
    assert.match(fd.logs.text, /raw fd 1 output/);
  });

  test('sys.exit is a handler failure; os._exit ends the worker', async () => {
    assert.match(expectError(await runtime.invoke(configFor('python/failures.py', 'exits'), {}), 'HANDLER_EXCEPTION').message, /sys\.exit/);
    const r = await runtime.invoke(configFor('python/failures.py', 'hard_exit'), {});
    assert.strictEqual(expectError(r, 'WORKER_EXITED').detail?.exitCode, 3);
    assert.match(r.logs.text, /bye/);
  });

  test('a missing function lists the functions the module defines', async () => {
    const e = expectError(await runtime.invoke(configFor('python/allow.py', 'handler'), {}), 'FUNCTION_NOT_FOUND');
    assert.deepStrictEqual(e.detail?.availableFunctions, ['lambda_handler', 'other']);
    assert.match(e.message, /lambda_handler, other/);
  });

  test('syntax error with file and line; missing module; raising at import', async () => {
    const syntax = expectError(await runtime.invoke(configFor('python/syntax_error.py', 'lambda_handler'), {}), 'SYNTAX_ERROR');
    assert.strictEqual(syntax.detail?.file, path.join(FIXTURES, 'python/syntax_error.py'));
    assert.strictEqual(syntax.detail?.line, 4);
    const missing = expectError(await runtime.invoke(configFor('python/missing_module.py', 'lambda_handler'), {}), 'IMPORT_ERROR');
    assert.strictEqual(missing.detail?.missingModule, 'iot_authz_no_such_module');
    assert.match(missing.message, /pip install iot_authz_no_such_module/);
    const init = expectError(await runtime.invoke(configFor('python/init_raises.py', 'lambda_handler'), {}), 'INIT_ERROR');
    assert.strictEqual(init.detail?.errorType, 'KeyError');
  });

  test('a hang times out and kills the worker', async () => {
    const r = await runtime.invoke(configFor('python/failures.py', 'hangs'), {}, { timeoutMs: SHORT_TIMEOUT_MS });
    expectError(r, 'TIMEOUT');
    assert.ok(r.workerPid && !isRunning(r.workerPid));
  });

  test('python3 not found says how to set the interpreter path', async () => {
    const r = await runtime.invoke(configFor('python/allow.py', 'lambda_handler'), {}, { pythonPath: 'python3-iot-authz-missing' });
    const e = expectError(r, 'INTERPRETER_NOT_FOUND');
    assert.match(e.message, /python3-iot-authz-missing/);
    assert.ok(e.message.includes(PYTHON_PATH_SETTING), e.message);
  });

  test('editing the handler or a module it imports restarts the worker', async () => {
    dir = tempCopy({
      'auth.py': 'from lib import ident\n\ndef handler(event, context):\n    return {"principalId": ident()}\n',
      'lib.py': 'def ident():\n    return "one"\n',
    });
    const config = configFor(path.join(dir, 'auth.py'), 'handler');
    assert.strictEqual(expectOk(await runtime.invoke(config, {})).principalId, 'one');
    fs.writeFileSync(path.join(dir, 'lib.py'), 'def ident():\n    return "three"\n');
    const r = await runtime.invoke(config, {});
    assert.strictEqual(expectOk(r).principalId, 'three');
    assert.strictEqual(r.reloadedBecause, path.join(dir, 'lib.py'));
    fs.writeFileSync(path.join(dir, 'auth.py'), 'def handler(event, context):\n    return {"principalId": "edited"}\n');
    assert.strictEqual(expectOk(await runtime.invoke(config, {})).principalId, 'edited');
    assert.ok(!fs.existsSync(path.join(dir, '__pycache__')), 'no bytecode written into the workspace');
  });
});
