// `iot-authz deploy` and `iot-authz test-invoke` as the CLI runs them (runCli in process, so
// aws-sdk-client-mock answers for AWS): exit codes, the plan, the refusal without a terminal,
// the second deploy that changes nothing, and the test-invoke argument rules.
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { TestInvokeAuthorizerCommand } from '@aws-sdk/client-iot';
import { CliIO } from '../../src/cli/args';
import { runCli } from '../../src/cli/main';
import { writeKeyPair } from '../../src/core/keyStore';
import type { InvocationResult } from '../../src/core/result';
import { AwsMocks, freshAccount, mocks, REGION, ROLE } from './awsFakeAccount';
import { assertNoKeyMaterial, fixture, TEST_PASSPHRASE } from './keyFixtures';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], cwd: string, extra: Partial<CliIO> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readStdin: async () => '',
    cwd,
    ...extra,
  });
  return { code, stdout, stderr };
}

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'] as const;

suite('iot-authz deploy and test-invoke (aws-sdk-client-mock)', () => {
  let m: AwsMocks;
  let dir: string;
  const saved: Partial<Record<string, string>> = {};

  suiteSetup(() => {
    m = mocks();
    for (const k of ENV_KEYS) saved[k] = process.env[k];
    process.env.AWS_ACCESS_KEY_ID = 'AKIDCLITEST';
    process.env.AWS_SECRET_ACCESS_KEY = 'cli-test-secret';
    delete process.env.AWS_PROFILE;
  });

  suiteTeardown(() => {
    m.iot.restore();
    m.lambda.restore();
    m.sts.restore();
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  setup(async () => {
    freshAccount(m);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-cli-aws-'));
    fs.writeFileSync(path.join(dir, 'authorizer.js'), "exports.handler = async () => ({ isAuthenticated: false, principalId: 'denied', policyDocuments: [] });\n");
    fs.writeFileSync(path.join(dir, 'iot-authorizer.json'), JSON.stringify({ authorizers: [
      { name: 'CliAuthorizer', handler: 'authorizer.js:handler', runtime: 'nodejs22.x', tokenKeyName: 'X-Token', signingKeys: ['example'], aws: { roleArn: ROLE, region: REGION } },
    ] }));
    await writeKeyPair(dir, 'example', { privateKeyPem: fixture('rsa2048_private_key.pem'), publicKeyPem: fixture('rsa2048_public_key.pem') });
  });

  teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('deploy without --yes and without a terminal prints the plan, refuses, changes nothing (exit 2)', async () => {
    const r = await cli(['deploy'], dir, { interactive: false });
    assert.strictEqual(r.code, 2, r.stderr);
    assert.match(r.stdout, /Plan for CliAuthorizer:\nAccount 111122223333, region eu-west-1\n\s+create\s+Lambda function iot-authz-CliAuthorizer/);
    assert.match(r.stderr, /not a terminal.*--yes/);
    assert.strictEqual(m.lambda.commandCalls(CreateFunctionCommand).length, 0);
  });

  test('deploy asks on a terminal; "n" changes nothing (exit 1), "y" deploys (exit 0)', async () => {
    const no = await cli(['deploy'], dir, { interactive: true, prompt: async () => 'n' });
    assert.strictEqual(no.code, 1);
    assert.strictEqual(m.lambda.commandCalls(CreateFunctionCommand).length, 0);
    const questions: string[] = [];
    const yes = await cli(['deploy'], dir, { interactive: true, prompt: async (q) => (questions.push(q), 'y') });
    assert.strictEqual(yes.code, 0, yes.stderr);
    assert.deepStrictEqual(questions, ['Apply this plan? [y/N] ']);
    assert.strictEqual(m.lambda.commandCalls(CreateFunctionCommand).length, 1);
  });

  test('deploy --yes twice: the second run changes nothing and says so (exit 0 both times)', async () => {
    const first = await cli(['deploy', '--yes'], dir);
    assert.strictEqual(first.code, 0, first.stderr);
    assert.match(first.stdout, /Deployed CliAuthorizer to 111122223333\/eu-west-1/);
    const second = await cli(['deploy', '--yes'], dir);
    assert.strictEqual(second.code, 0, second.stderr);
    assert.match(second.stdout, /Nothing to deploy: CliAuthorizer in 111122223333\/eu-west-1 already matches the workspace/);
    assert.strictEqual(m.lambda.commandCalls(CreateFunctionCommand).length, 1);
  });

  test('deploy --json prints the report; bad input is exit 2', async () => {
    const r = await cli(['deploy', '--yes', '--json', '--no-test-invoke'], dir);
    assert.strictEqual(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { outcome: string; plan: { steps: Array<{ kind: string }> } };
    assert.strictEqual(report.outcome, 'done');
    assert.deepStrictEqual(report.plan.steps.map((s) => s.kind), ['function', 'permission', 'authorizer']);
    assert.strictEqual((await cli(['deploy', '--authorizer', 'Nope', '--yes'], dir)).code, 2);
    assert.strictEqual((await cli(['deploy', '--region', 'mars', '--yes'], dir)).code, 2);
    assert.strictEqual((await cli(['deploy', '--endpoint-url', 'ftp://x', '--yes'], dir)).code, 2);
  });

  test('test-invoke signs the token with a workspace key and prints an InvocationResult with target aws', async () => {
    const r = await cli(['test-invoke', '--authorizer', 'CliAuthorizer', '--token', 'allow-device1', '--key', 'example', '--json'], dir);
    assert.strictEqual(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as InvocationResult;
    assert.strictEqual(result.target.kind, 'aws');
    assert.strictEqual(result.outcome, 'denied');
    const sent = m.iot.commandCalls(TestInvokeAuthorizerCommand)[0].args[0].input;
    assert.strictEqual(sent.token, 'allow-device1');
    assert.ok((sent.tokenSignature ?? '').length > 300);
  });

  test('an encrypted workspace key: test-invoke and deploy sign with --passphrase-env VAR, and without it say what to give', async () => {
    await writeKeyPair(dir, 'sealed', { privateKeyPem: fixture('rsa2048_encrypted_private_key.pem'), publicKeyPem: fixture('rsa2048_public_key.pem') });
    const project = JSON.parse(fs.readFileSync(path.join(dir, 'iot-authorizer.json'), 'utf8')) as { authorizers: Array<{ signingKeys: string[] }> };
    project.authorizers[0].signingKeys = ['sealed'];
    fs.writeFileSync(path.join(dir, 'iot-authorizer.json'), JSON.stringify(project));
    fs.mkdirSync(path.join(dir, 'events'));
    fs.writeFileSync(path.join(dir, 'events', 'sealed.authz.json'), JSON.stringify({
      authorizer: 'CliAuthorizer', protocol: 'http', credentials: { token: 'allow-device1', signature: { sign: 'sealed' }, in: 'headers' },
    }));
    const verifies = (token: string, signature: string | undefined) =>
      crypto.verify('sha256', Buffer.from(token), fixture('rsa2048_public_key.pem'), Buffer.from(signature ?? '', 'base64'));
    const VAR = 'IOT_AUTHZ_TEST_KEY_PASSPHRASE';

    // Without the passphrase: refused with the option to give; nothing sent.
    const locked = await cli(['test-invoke', '--authorizer', 'CliAuthorizer', '--token', 'allow-device1', '--key', 'sealed'], dir);
    assert.notStrictEqual(locked.code, 0);
    assert.match(locked.stderr, /encrypted and needs its passphrase.*--passphrase-env VAR/);
    const unset = await cli(['test-invoke', '--authorizer', 'CliAuthorizer', '--token', 'allow-device1', '--key', 'sealed', '--passphrase-env', VAR], dir);
    assert.strictEqual(unset.code, 2);
    assert.match(unset.stderr, new RegExp(`--passphrase-env ${VAR}: the environment variable ${VAR} is not set or empty`));
    const deployLocked = await cli(['deploy', '--yes'], dir);
    assert.strictEqual(deployLocked.code, 0, deployLocked.stderr);
    assert.match(deployLocked.stdout, /test event sealed\.authz\.json not usable: .*encrypted and needs its passphrase/);
    assert.match(deployLocked.stdout, /key "sealed" cannot sign the made-up token: .*--passphrase-env VAR/);
    assert.strictEqual(m.iot.commandCalls(TestInvokeAuthorizerCommand).length, 0);

    process.env[VAR] = TEST_PASSPHRASE;
    try {
      const r = await cli(['test-invoke', '--authorizer', 'CliAuthorizer', '--token', 'allow-device1', '--key', 'sealed', '--passphrase-env', VAR, '--json'], dir);
      assert.strictEqual(r.code, 0, r.stderr);
      const sent = m.iot.commandCalls(TestInvokeAuthorizerCommand)[0].args[0].input;
      assert.ok(verifies('allow-device1', sent.tokenSignature), 'the token signature verifies with the public key');

      // The event file's {"sign": "sealed"} too, through --event.
      const e = await cli(['test-invoke', '--authorizer', 'CliAuthorizer', '--event', path.join('events', 'sealed.authz.json'), '--passphrase-env', VAR, '--json'], dir);
      assert.strictEqual(e.code, 0, e.stderr);
      assert.ok(m.iot.commandCalls(TestInvokeAuthorizerCommand)[1].args[0].input.httpContext, 'sent as an HTTP context');

      // deploy (with a change: the handler) test-invokes with the event file, now signed.
      fs.appendFileSync(path.join(dir, 'authorizer.js'), '// changed\n');
      const d = await cli(['deploy', '--yes', '--passphrase-env', VAR], dir);
      assert.strictEqual(d.code, 0, d.stderr);
      assert.match(d.stdout, /Test-invoke with events[\\/]sealed\.authz\.json/);
      assert.strictEqual(m.iot.commandCalls(TestInvokeAuthorizerCommand).length, 3);
      for (const run of [locked, deployLocked, r, e, d]) assertNoKeyMaterial(run.stdout + run.stderr);
    } finally {
      delete process.env[VAR];
    }
  });

  test('test-invoke argument rules: token and event together, token without signature, nothing at all', async () => {
    const both = await cli(['test-invoke', '--authorizer', 'CliAuthorizer', '--token', 't', '--signature', 's', '--event', 'e.authz.json'], dir);
    assert.strictEqual(both.code, 2);
    assert.match(both.stderr, /not both.*Request cannot have token and Http\/Mqtt\/Tls context/);
    const noSig = await cli(['test-invoke', '--authorizer', 'CliAuthorizer', '--token', 't'], dir);
    assert.strictEqual(noSig.code, 2);
    assert.match(noSig.stderr, /exactly one of --signature S and --key K/);
    assert.strictEqual((await cli(['test-invoke', '--authorizer', 'CliAuthorizer'], dir)).code, 2);
    assert.strictEqual(m.iot.commandCalls(TestInvokeAuthorizerCommand).length, 0);
  });
});
