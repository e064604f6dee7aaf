// The two halves together: the built CLI deploys the example workspace with the real AWS SDK
// to the local endpoint (`iot-authz endpoint`, not a stand-in), twice (the second run changes
// nothing), test-invokes it, and a device's HTTP publish through the deployed authorizer is
// allowed on its own topic and refused elsewhere, exactly as curl sees it.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ACCOUNT, curl, ensureBuilt, exampleWorkspaceToDeploy, iotAuthz, opensslSign, REGION, RunningEndpoint, startEndpointProcess, stopEndpointProcess, tempDir } from './endpointFixtures';

suite('e2e: iot-authz deploy to the local endpoint, then devices publish through it', function () {
  this.timeout(180_000);
  let dir: string;
  let endpoint: RunningEndpoint | undefined;

  suiteSetup(async () => {
    ensureBuilt();
    dir = tempDir('iot-authz-e2e-deploy-endpoint-');
    await exampleWorkspaceToDeploy(dir, ACCOUNT);
    endpoint = await startEndpointProcess(['--port', '0', '--region', REGION, '--account', ACCOUNT]);
  });

  suiteTeardown(async () => {
    await stopEndpointProcess(endpoint);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('deploy creates function, permission and authorizer; a second deploy changes nothing and says so', async () => {
    const url = endpoint!.url;
    const first = await iotAuthz(['deploy', '--yes', '--region', REGION, '--endpoint-url', url], dir);
    assert.strictEqual(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /Lambda function iot-authz-ExampleTokenAuthorizer: created, Active/);
    assert.match(first.stdout, /Invoke permission iot-authz-ExampleTokenAuthorizer: added/);
    assert.match(first.stdout, /Authorizer ExampleTokenAuthorizer: created/);
    // The deploy's test-invoke sends the example's first event the local run allows: the deployed handler allows it too.
    assert.match(first.stdout, /Test-invoke with events[\\/]http-publish\.authz\.json: AWS: allowed as sensor1/);
    assert.doesNotMatch(first.stdout, /made-up token|Denied|denied by the handler/);
    const second = await iotAuthz(['deploy', '--yes', '--region', REGION, '--endpoint-url', url], dir);
    assert.strictEqual(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /Nothing to deploy: ExampleTokenAuthorizer in 123456789012\/eu-west-1 already matches the workspace/);
  });

  test('test-invoke through the endpoint runs the deployed handler; the result has target aws', async () => {
    const r = await iotAuthz(
      ['test-invoke', '--authorizer', 'ExampleTokenAuthorizer', '--token', 'allow-sensor1', '--key', 'example', '--region', REGION, '--endpoint-url', endpoint!.url, '--json'],
      dir,
    );
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout) as { target: { kind: string }; outcome: string; headline: string };
    assert.strictEqual(result.target.kind, 'aws');
    assert.strictEqual(result.outcome, 'allowed', result.headline);
    assert.match(result.headline, /sensor1/);
  });

  test('curl publishes through the deployed authorizer: its own topic allowed, another refused', () => {
    const key = path.join(dir, '.iot-authz', 'keys', 'example', 'private_key.pem');
    const signature = opensslSign('allow-sensor1', key);
    const headers = ['-H', 'x-amz-customauthorizer-name: ExampleTokenAuthorizer', '-H', 'X-Example-Token: allow-sensor1', '-H', `x-amz-customauthorizer-signature: ${signature}`];
    const own = curl(['-X', 'POST', `${endpoint!.url}/topics/devices%2Fsensor1%2Ftelemetry?qos=1`, ...headers, '-d', '{"t":1}']);
    assert.strictEqual(own.status, 200, own.body);
    assert.strictEqual((JSON.parse(own.body) as { message: string }).message, 'OK');
    const other = curl(['-X', 'POST', `${endpoint!.url}/topics/devices%2Fsensor2%2Ftelemetry?qos=1`, ...headers, '-d', '{"t":1}']);
    assert.strictEqual(other.status, 403, other.body);
    assert.strictEqual((JSON.parse(other.body) as { message: string }).message, 'Forbidden');
  });
});
