// TypeScript handlers where no native esbuild resolves (the installed .vsix ships no
// node_modules): the esbuild-wasm copy in dist/runtime bundles them as native esbuild does,
// for deploy packaging and for local runs. Needs the build (`node esbuild.js`).
import * as assert from 'assert';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { packageHandler, resolveEsbuild } from '../../src/aws/packageHandler';
import { ESBUILD_WASM_DIR, NODE_WORKER_FILE, PYTHON_BOOTSTRAP_FILE } from '../../src/core/constants';
import type { AuthorizerConfig } from '../../src/core/project';
import { LocalRuntime, runtimeAssetsDir } from '../../src/local/runtime';
import { loadEsbuild } from '../../src/local/runtime/esbuildLoader';

const TS_FIXTURE = path.resolve(__dirname, '../../../test/fixtures/handlers/node/ts');
const EVENT = { token: 'allow-device1', signatureVerified: true, protocols: ['MQTT'] };

interface Esbuild {
  readonly version: string;
  build(options: Record<string, unknown>): Promise<{ outputFiles?: Array<{ path: string; contents: Uint8Array }> }>;
}

function configFor(handlerFile: string): AuthorizerConfig {
  return {
    name: 'TsAuthorizer', handler: 'handler.ts:handler', handlerFile, handlerFunction: 'handler', language: 'typescript',
    runtime: 'nodejs22.x', signingDisabled: true, signingKeys: [], enableCachingForHttp: false, status: 'ACTIVE', aws: {},
  };
}

suite('TypeScript handlers without native esbuild (esbuild-wasm)', () => {
  let root: string;
  let handlerFile: string;
  // A folder with no node_modules anywhere above it, like the installed extension's.
  let toolkitDir: string;
  setup(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-wasm-'));
    fs.mkdirSync(path.join(root, 'project'));
    for (const f of ['handler.ts', 'policy.ts']) fs.copyFileSync(path.join(TS_FIXTURE, f), path.join(root, 'project', f));
    handlerFile = path.join(root, 'project/handler.ts');
    toolkitDir = path.join(root, 'extension/dist');
    fs.mkdirSync(toolkitDir, { recursive: true });
  });
  teardown(() => fs.rmSync(root, { recursive: true, force: true }));

  test('with no project or toolkit esbuild, the shipped esbuild-wasm is found; without it, none is', () => {
    const wasm = loadEsbuild<Esbuild>(handlerFile, { runtimeDir: runtimeAssetsDir(), toolkitDir });
    assert.strictEqual(wasm?.source, 'wasm');
    assert.strictEqual(wasm.api.version, esbuild.version, 'esbuild-wasm and esbuild must be the same version');
    assert.strictEqual(loadEsbuild<Esbuild>(handlerFile, { toolkitDir }), undefined);
    // A project's own esbuild comes first.
    assert.strictEqual(loadEsbuild<Esbuild>(path.resolve(__dirname, 'x.ts'), { runtimeDir: runtimeAssetsDir(), toolkitDir })?.source, 'project');
  });

  test('deploy packaging: the wasm bundle is byte for byte the native one', async function () {
    this.timeout(60000);
    const wasm = resolveEsbuild(handlerFile, { toolkitDir });
    assert.strictEqual(wasm?.source, 'wasm');
    const viaWasm = await packageHandler(configFor(handlerFile), { esbuild: wasm.api });
    const viaNative = await packageHandler(configFor(handlerFile), { esbuild });
    assert.deepStrictEqual(viaWasm.files, ['index.js']);
    assert.strictEqual(viaWasm.sha256, viaNative.sha256);
  });

  test('local run: the worker with only the shipped runtime files bundles with esbuild-wasm and answers as with native esbuild', async function () {
    this.timeout(120000);
    // The runtime files as the .vsix lays them out, away from the repository's node_modules.
    const shipped = path.join(toolkitDir, 'runtime');
    fs.mkdirSync(shipped);
    for (const f of [NODE_WORKER_FILE, PYTHON_BOOTSTRAP_FILE]) fs.copyFileSync(path.join(runtimeAssetsDir(), f), path.join(shipped, f));
    fs.cpSync(path.join(runtimeAssetsDir(), ESBUILD_WASM_DIR), path.join(shipped, ESBUILD_WASM_DIR), { recursive: true });
    const viaWasm = new LocalRuntime({}, () => shipped);
    const viaNative = new LocalRuntime();
    const bare = new LocalRuntime({}, () => shipped);
    try {
      const a = await viaWasm.invoke(configFor(handlerFile), EVENT);
      const b = await viaNative.invoke(configFor(handlerFile), EVENT);
      assert.ok(a.ok, `wasm run failed: ${JSON.stringify(!a.ok && a.error)}\n${a.logs.text}`);
      assert.ok(b.ok, `native run failed: ${JSON.stringify(!b.ok && b.error)}`);
      assert.strictEqual((a.response as { principalId?: string }).principalId, 'device1');
      assert.deepStrictEqual(a.response, b.response);
      // Without the shipped copy nothing bundles it: the run above did use esbuild-wasm.
      await viaWasm.dispose();
      fs.rmSync(path.join(shipped, ESBUILD_WASM_DIR), { recursive: true });
      const none = await bare.invoke(configFor(handlerFile), EVENT);
      assert.ok(!none.ok && none.error.code === 'TYPESCRIPT_COMPILER_NOT_FOUND', JSON.stringify(none));
      assert.match(none.error.message, /Reinstall the extension, or add esbuild to your project: npm install --save-dev esbuild/);
    } finally {
      await viaWasm.dispose();
      await viaNative.dispose();
      await bare.dispose();
    }
  });
});
