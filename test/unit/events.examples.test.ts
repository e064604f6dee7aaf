// The example workspace's events run end to end: authorizer chosen from the request, real
// signatures with a TEST-ONLY key pair installed as "example", the gate, the real handler.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KEY_STORE_DIR, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from '../../src/core/constants';
import { loadProject } from '../../src/core/project';
import { loadTestEvent } from '../../src/core/testEvent';
import { LocalRuntime, invokeBehindGate, GatedInvocation } from '../../src/local';
import { fixture } from './keyFixtures';

const EXAMPLES = path.resolve(__dirname, '../../../examples/workspace');

suite('example events through the gate and the local runtime', () => {
  let workspace: string;
  let runtime: LocalRuntime;

  suiteSetup(() => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-example-'));
    fs.cpSync(EXAMPLES, workspace, { recursive: true, filter: (src) => !src.includes(`${path.sep}.iot-authz`) });
    const keyDir = path.join(workspace, KEY_STORE_DIR, 'example');
    fs.mkdirSync(keyDir, { recursive: true });
    fs.writeFileSync(path.join(keyDir, PRIVATE_KEY_FILE), fixture('rsa2048_private_key.pem'), { mode: 0o600 });
    fs.writeFileSync(path.join(keyDir, PUBLIC_KEY_FILE), fixture('rsa2048_public_key.pem'));
  });
  suiteTeardown(() => fs.rmSync(workspace, { recursive: true, force: true }));
  setup(() => {
    runtime = new LocalRuntime();
  });
  teardown(() => runtime.dispose());

  async function run(eventFile: string): Promise<GatedInvocation> {
    const { project } = loadProject(path.join(workspace, 'iot-authorizer.json'));
    const { request, issues } = loadTestEvent(path.join(workspace, 'events', eventFile));
    assert.deepStrictEqual(issues, []);
    assert.ok(project && request);
    return invokeBehindGate(runtime, { project, request });
  }

  for (const [file, protocols] of [
    ['http-publish.authz.json', ['tls', 'http']],
    ['mqtt-connect.authz.json', ['tls', 'mqtt']],
    ['mqtt-wss-browser.authz.json', ['tls', 'http', 'mqtt']],
  ] as const) {
    test(`${file}: verified, invoked, sensor1 let in`, async () => {
      const r = await run(file);
      assert.strictEqual(r.authorizer, 'ExampleTokenAuthorizer');
      assert.deepStrictEqual(r.build?.event.protocols, protocols);
      assert.strictEqual(r.build?.gate.signature.status, 'verified');
      assert.strictEqual(r.build?.event.signatureVerified, true);
      assert.ok(r.result?.ok, JSON.stringify(r.result));
      const response = r.result.response as { isAuthenticated: boolean; principalId: string };
      assert.strictEqual(response.isAuthenticated, true);
      assert.strictEqual(response.principalId, 'sensor1');
    });
  }

  test('mqtt-wrong-client.authz.json: invoked, and the handler says no', async () => {
    const r = await run('mqtt-wrong-client.authz.json');
    assert.strictEqual(r.build?.gate.invoke, true);
    assert.ok(r.result?.ok);
    assert.strictEqual((r.result.response as { isAuthenticated: boolean }).isAuthenticated, false);
  });

  test('http-unsigned.authz.json: stopped at the gate, the handler never runs', async () => {
    const r = await run('http-unsigned.authz.json');
    assert.strictEqual(r.build?.gate.invoke, false);
    assert.strictEqual(r.build?.gate.signature.status, 'missing');
    assert.strictEqual(r.result, undefined);
    assert.deepStrictEqual(runtime.workerPids(), [], 'no worker was started');
  });

  test('a tampered signature is refused with a diagnosis and the handler never runs', async () => {
    const { project } = loadProject(path.join(workspace, 'iot-authorizer.json'));
    const { request } = loadTestEvent(path.join(workspace, 'events', 'http-publish.authz.json'));
    assert.ok(project && request?.credentials);
    const r = await invokeBehindGate(runtime, { project, request: { ...request, credentials: { ...request.credentials, token: 'allow-sensor1' } }, sign: () => 'AAAA' + 'A'.repeat(340) });
    assert.strictEqual(r.build?.gate.signature.status, 'failed');
    assert.ok(r.build?.gate.signature.diagnosis);
    assert.strictEqual(r.result, undefined);
    assert.deepStrictEqual(runtime.workerPids(), []);
  });
});
