// Lambda handler strings resolved as the Lambda runtimes resolve them, and zip packages
// unpacked without leaving their folder.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { strToU8, zipSync } from 'fflate';
import { resolveLambdaHandler, unpackZip } from '../../src/endpoint/functions';

suite('endpoint: Lambda handler strings and zip packages', () => {
  let dir: string;
  setup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-handler-'));
  });
  teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  const files = (names: string[]) => {
    for (const n of names) {
      fs.mkdirSync(path.dirname(path.join(dir, n)), { recursive: true });
      fs.writeFileSync(path.join(dir, n), '');
    }
  };

  test('Python: module path with / or dots, function after the last dot', () => {
    files(['lambda_function.py', 'pkg/auth.py']);
    assert.deepStrictEqual(resolveLambdaHandler(dir, 'python3.12', 'lambda_function.lambda_handler'), { file: path.join(dir, 'lambda_function.py'), functionName: 'lambda_handler', language: 'python' });
    assert.strictEqual((resolveLambdaHandler(dir, 'python3.12', 'pkg/auth.fn') as { file: string }).file, path.join(dir, 'pkg/auth.py'));
    assert.strictEqual((resolveLambdaHandler(dir, 'python3.12', 'pkg.auth.fn') as { file: string }).file, path.join(dir, 'pkg/auth.py'));
    assert.match((resolveLambdaHandler(dir, 'python3.12', 'missing.fn') as { error: string }).error, /Unable to import module 'missing'/);
    assert.match((resolveLambdaHandler(dir, 'python3.12', 'nodot') as { error: string }).error, /Bad handler/);
  });

  test('Node.js: module up to the first dot of the file name (.js, .mjs, .cjs), nested export after it', () => {
    files(['index.mjs', 'src/app.cjs']);
    assert.deepStrictEqual(resolveLambdaHandler(dir, 'nodejs20.x', 'index.handler'), { file: path.join(dir, 'index.mjs'), functionName: 'handler', language: 'javascript' });
    assert.deepStrictEqual(resolveLambdaHandler(dir, 'nodejs22.x', 'src/app.handlers.auth'), { file: path.join(dir, 'src/app.cjs'), functionName: 'handlers.auth', language: 'javascript' });
    assert.match((resolveLambdaHandler(dir, 'nodejs20.x', 'nope.handler') as { error: string }).error, /Cannot find module 'nope'/);
  });

  test('a zip is unpacked with its folders; an entry leaving the folder or a non-zip is refused', () => {
    const zip = Buffer.from(zipSync({ 'a/b.py': strToU8('x = 1\n'), 'top.js': strToU8('') }));
    const out = path.join(dir, 'code');
    const r = unpackZip(zip, out);
    assert.strictEqual(fs.readFileSync(path.join(out, 'a/b.py'), 'utf8'), 'x = 1\n');
    assert.strictEqual(r.size, zip.length);
    assert.match(r.sha256, /^[A-Za-z0-9+/]{43}=$/);
    assert.throws(() => unpackZip(Buffer.from(zipSync({ '../evil.js': strToU8('') })), path.join(dir, 'c2')), /outside the package/);
    assert.ok(!fs.existsSync(path.join(dir, 'evil.js')));
    assert.throws(() => unpackZip(Buffer.from('not a zip'), path.join(dir, 'c3')), /Could not unzip/);
  });
});
