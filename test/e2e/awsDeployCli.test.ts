// The built CLI (dist/cli.js, loading dist/aws.js) deploys the example workspace with the real
// AWS SDK to a small REST-JSON stand-in for Lambda, IoT and STS on 127.0.0.1 (--endpoint-url):
// the wire requests are what AWS receives, and a second deploy changes nothing because the
// zip's SHA-256 equals the CodeSha256 the stand-in computed from the uploaded bytes.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ACCOUNT, REGION, StandIn } from '../harness/awsStandIn';
import { exampleWorkspaceToDeploy, iotAuthz } from './endpointFixtures';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

suite('e2e: iot-authz deploy to a local REST stand-in (real SDK, built CLI)', function () {
  this.timeout(120_000);
  let dir: string;
  let standIn: StandIn;
  let url: string;

  suiteSetup(function () {
    if (!fs.existsSync(CLI) || !fs.existsSync(path.join(REPO_ROOT, 'dist', 'aws.js'))) execFileSync(process.execPath, ['esbuild.js'], { cwd: REPO_ROOT, stdio: 'ignore' });
  });

  setup(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-e2e-deploy-'));
    await exampleWorkspaceToDeploy(dir, ACCOUNT);
    standIn = new StandIn();
    url = await standIn.start();
  });

  teardown(async () => {
    await standIn.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('deploy the example workspace, then again: the second run changes nothing and says so', async () => {
    const first = await iotAuthz(['deploy', '--yes', '--region', REGION, '--endpoint-url', url], dir);
    assert.strictEqual(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /create\s+Lambda function iot-authz-ExampleTokenAuthorizer/);
    assert.match(first.stdout, /Deployed ExampleTokenAuthorizer to 123456789012\/eu-west-1/);
    // The deploy test-invokes the example's first event the local run allows (the stand-in's handler answer is always a denial).
    assert.match(first.stdout, /Test-invoke with events[\\/]http-publish\.authz\.json: AWS: denied/);
    assert.doesNotMatch(first.stdout, /made-up token/);
    const test = standIn.seen.find((r) => /^\/authorizer\/ExampleTokenAuthorizer\/test$/.test(r.path));
    const sent = JSON.parse(test?.body ?? '{}') as { token?: string; httpContext?: { headers?: Record<string, string>; queryString?: string } };
    assert.strictEqual(sent.token, undefined, 'no made-up token');
    assert.strictEqual(sent.httpContext?.headers?.['X-Example-Token'], 'allow-sensor1');
    assert.ok(sent.httpContext?.headers?.['x-amz-customauthorizer-signature'], 'the event\'s {"sign": "example"} computed');
    assert.strictEqual(sent.httpContext?.queryString, '?qos=1');
    const fn = standIn.functions.get('iot-authz-ExampleTokenAuthorizer');
    assert.strictEqual(fn?.Runtime, 'nodejs22.x');
    assert.strictEqual(fn?.Handler, 'authorizer.handler');
    const auth = standIn.authorizers.get('ExampleTokenAuthorizer');
    assert.strictEqual(auth?.tokenKeyName, 'X-Example-Token');
    assert.deepStrictEqual(Object.keys(auth?.tokenSigningPublicKeys as object), ['example']);
    assert.strictEqual(standIn.policies.get('iot-authz-ExampleTokenAuthorizer')?.length, 1);

    const writes = standIn.seen.filter((r) => r.method !== 'GET').length;
    const second = await iotAuthz(['deploy', '--yes', '--region', REGION, '--endpoint-url', url], dir);
    assert.strictEqual(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /Nothing to deploy: ExampleTokenAuthorizer in 123456789012\/eu-west-1 already matches the workspace/);
    const newWrites = standIn.seen.filter((r) => r.method !== 'GET').slice(writes).filter((r) => !(r.path === '/' && /GetCallerIdentity/.test(r.body)));
    assert.deepStrictEqual(newWrites.map((r) => `${r.method} ${r.path}`), [], 'the second deploy sent no change');
  });

  test('test-invoke with a workspace key through the built CLI prints a result with target aws', async () => {
    await iotAuthz(['deploy', '--yes', '--region', REGION, '--endpoint-url', url, '--no-test-invoke'], dir);
    const r = await iotAuthz(['test-invoke', '--authorizer', 'ExampleTokenAuthorizer', '--token', 'allow-device1', '--key', 'example', '--region', REGION, '--endpoint-url', url, '--json'], dir);
    assert.strictEqual(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { target: { kind: string; accountId: string }; outcome: string; request: { serverName?: string } };
    assert.strictEqual(result.request.serverName, 'abc123example-ats.iot.eu-west-1.amazonaws.com', 'DescribeEndpoint names the server for the snippets');
    assert.strictEqual(result.target.kind, 'aws');
    assert.strictEqual(result.target.accountId, ACCOUNT);
    assert.strictEqual(result.outcome, 'denied');
  });
});
