// The real AWS SDK against a real local HTTP server (127.0.0.1): the endpoint override reaches
// every client, requests are signed for the right service and region, errors are read from the
// x-amzn-ErrorType header, throttling is retried, paging is followed, and credential problems
// (expired token, SSO session without a login) become one message with the fix.
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { resolveTarget } from '../../src/aws/account';
import { createAwsClientFactory, AwsClientOptions } from '../../src/aws/clients';
import { AwsError } from '../../src/aws/errors';
import { IotAuthorizers } from '../../src/aws/iot';
import { LambdaFunctions } from '../../src/aws/lambda';
import { listProfiles } from '../../src/aws/profiles';
import { AwsTestInvokeOptions, testInvokeInAws } from '../../src/aws/testInvoke';
import type { InvocationResult } from '../../src/core/result';
import { UserError } from '../../src/core/errors';
import { signToken } from '../../src/core/tokens';
import { importPrivateKey, importPublicKey } from '../../src/core/keys';
import { fixture } from './keyFixtures';

interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Reply = { status: number; body?: unknown; error?: string; headers?: Record<string, string> };

class FakeAws {
  readonly seen: SeenRequest[] = [];
  private server?: http.Server;
  constructor(private readonly route: (r: SeenRequest, n: number) => Reply) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.seen.push(r);
        const reply = this.route(r, this.seen.length);
        const headers: Record<string, string> = { 'content-type': 'application/json', ...(reply.headers ?? {}) };
        if (reply.error) headers['x-amzn-errortype'] = reply.error;
        res.writeHead(reply.status, headers);
        res.end(reply.body === undefined ? (reply.error ? JSON.stringify({ message: `${reply.error} from the fake` }) : '') : JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const CREDS = { accessKeyId: 'AKIDWIRETEST', secretAccessKey: 'wire-secret' };

/** testInvokeInAws of authorizer A in 123456789012 / eu-west-1, through the fake server at `options`. */
async function testInvokeA(options: AwsClientOptions, rest: Pick<AwsTestInvokeOptions, 'input' | 'publicKeys'>): Promise<InvocationResult> {
  const f = createAwsClientFactory(options);
  try {
    return await testInvokeInAws({
      iot: new IotAuthorizers(f.iot()),
      target: { accountId: '123456789012', region: 'eu-west-1', partition: 'aws' },
      authorizerName: 'A',
      ...rest,
    });
  } finally {
    f.destroy();
  }
}

async function withServer(route: (r: SeenRequest, n: number) => Reply, run: (fake: FakeAws, options: AwsClientOptions) => Promise<void>): Promise<void> {
  const fake = new FakeAws(route);
  const url = await fake.start();
  try {
    await run(fake, { region: 'eu-west-1', endpointUrl: url, credentials: CREDS, retryDelayMs: 5 });
  } finally {
    await fake.stop();
  }
}

suite('aws clients against a local HTTP server (real SDK)', () => {
  test('the endpoint override reaches the IoT client; ListAuthorizers follows the pages; requests are SigV4 for iot in the region', async () => {
    await withServer(
      (r) => {
        const marker = new URL(r.url, 'http://x').searchParams.get('marker');
        return marker === null
          ? {
              status: 200,
              body: { authorizers: [{ authorizerName: 'A', authorizerArn: 'arn:aws:iot:eu-west-1:123456789012:authorizer/A' }], nextMarker: 'page2' },
            }
          : { status: 200, body: { authorizers: [{ authorizerName: 'B', authorizerArn: 'arn:aws:iot:eu-west-1:123456789012:authorizer/B' }] } };
      },
      async (fake, options) => {
        const f = createAwsClientFactory(options);
        try {
          const list = await new IotAuthorizers(f.iot()).listAuthorizers();
          assert.deepStrictEqual(
            list.map((a) => a.name),
            ['A', 'B'],
          );
          assert.strictEqual(fake.seen.length, 2);
          // SDK v3 sends /authorizers?… (the AWS CLI /authorizers/?…): an endpoint must take both.
          assert.ok(
            fake.seen.every((r) => r.method === 'GET' && /^\/authorizers\/?\?/.test(r.url)),
            fake.seen.map((r) => r.url).join(' '),
          );
          assert.match(fake.seen[1].url, /marker=page2/);
          assert.match(String(fake.seen[0].headers.authorization), /Credential=AKIDWIRETEST\/\d{8}\/eu-west-1\/iot\/aws4_request/);
        } finally {
          f.destroy();
        }
      },
    );
  });

  test('throttling is retried by the SDK and then succeeds', async () => {
    await withServer(
      (_r, n) =>
        n <= 2 ? { status: 429, error: 'ThrottlingException' } : { status: 200, body: { endpointAddress: 'abc123-ats.iot.eu-west-1.amazonaws.com' } },
      async (fake, options) => {
        const f = createAwsClientFactory(options);
        try {
          assert.strictEqual(await new IotAuthorizers(f.iot()).describeDataEndpoint(), 'abc123-ats.iot.eu-west-1.amazonaws.com');
          assert.strictEqual(fake.seen.length, 3);
          assert.match(fake.seen[0].url, /^\/endpoint\?endpointType=iot%3AData-ATS$/);
        } finally {
          f.destroy();
        }
      },
    );
  });

  test('throttling beyond the retries becomes one message', async () => {
    await withServer(
      () => ({ status: 429, error: 'ThrottlingException' }),
      async (fake, options) => {
        const f = createAwsClientFactory({ ...options, maxAttempts: 2 });
        try {
          await assert.rejects(new IotAuthorizers(f.iot()).listAuthorizers(), (e: unknown) => {
            assert.ok(e instanceof AwsError);
            assert.strictEqual(e.code, 'AWS_THROTTLED');
            assert.match(e.message, /throttled ListAuthorizers and retries ran out/);
            return true;
          });
          assert.strictEqual(fake.seen.length, 2);
        } finally {
          f.destroy();
        }
      },
    );
  });

  test('the error name is read from x-amzn-ErrorType: not found is an answer, a denial is a message', async () => {
    await withServer(
      (r) =>
        r.url.startsWith('/authorizer/Missing')
          ? { status: 404, error: 'ResourceNotFoundException' }
          : { status: 403, error: 'AccessDeniedException', body: { message: 'not authorized to perform: iot:DescribeAuthorizer' } },
      async (_fake, options) => {
        const f = createAwsClientFactory(options);
        try {
          const iot = new IotAuthorizers(f.iot(), 'dev');
          assert.strictEqual(await iot.describeAuthorizer('Missing'), undefined);
          await assert.rejects(iot.describeAuthorizer('Other'), (e: unknown) => {
            assert.ok(e instanceof UserError);
            assert.strictEqual(e.code, 'AWS_ACCESS_DENIED');
            assert.match(e.message, /AWS denied DescribeAuthorizer Other to profile dev: not authorized to perform: iot:DescribeAuthorizer/);
            return true;
          });
        } finally {
          f.destroy();
        }
      },
    );
  });

  test('an expired session token on the wire gives the sign-in command for the profile', async () => {
    await withServer(
      () => ({ status: 403, error: 'ExpiredTokenException', body: { message: 'The security token included in the request is expired' } }),
      async (_fake, options) => {
        const f = createAwsClientFactory({ ...options, profile: 'work' });
        try {
          await assert.rejects(new LambdaFunctions(f.lambda(), 'work').getFunction('fn'), (e: unknown) => {
            assert.ok(e instanceof AwsError);
            assert.strictEqual(e.code, 'AWS_CREDENTIALS_EXPIRED');
            assert.strictEqual(e.loginCommand, 'aws sso login --profile work');
            assert.match(e.message, /have expired.*aws sso login --profile work/);
            return true;
          });
        } finally {
          f.destroy();
        }
      },
    );
  });

  test('GetPolicy statements are read and AddPermission goes to the function policy path', async () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 's1',
          Principal: { Service: 'iot.amazonaws.com' },
          Action: 'lambda:InvokeFunction',
          Condition: { ArnLike: { 'AWS:SourceArn': 'arn:aws:iot:eu-west-1:123456789012:authorizer/A' } },
        },
      ],
    };
    await withServer(
      (r) => (r.method === 'GET' ? { status: 200, body: { Policy: JSON.stringify(policy), RevisionId: '1' } } : { status: 201, body: { Statement: '{}' } }),
      async (fake, options) => {
        const f = createAwsClientFactory(options);
        try {
          const lambda = new LambdaFunctions(f.lambda());
          assert.deepStrictEqual(await lambda.getPolicyStatements('fn'), [
            { sid: 's1', principal: 'iot.amazonaws.com', action: 'lambda:InvokeFunction', sourceArn: 'arn:aws:iot:eu-west-1:123456789012:authorizer/A' },
          ]);
          assert.strictEqual(await lambda.addInvokePermission('fn', 'iot-authz-A', 'arn:aws:iot:eu-west-1:123456789012:authorizer/A'), 'added');
          const add = fake.seen[1];
          assert.strictEqual(add.method, 'POST');
          assert.strictEqual(add.url, '/2015-03-31/functions/fn/policy');
          assert.deepStrictEqual(JSON.parse(add.body), {
            Action: 'lambda:InvokeFunction',
            Principal: 'iot.amazonaws.com',
            SourceArn: 'arn:aws:iot:eu-west-1:123456789012:authorizer/A',
            StatementId: 'iot-authz-A',
          });
          assert.match(String(add.headers.authorization), /\/eu-west-1\/lambda\/aws4_request/);
        } finally {
          f.destroy();
        }
      },
    );
  });

  test('test-invoke: a signature AWS refuses is explained with the workspace key', async () => {
    const token = 'allow-device1';
    const wrong = signToken(token, importPrivateKey(fixture('other_rsa2048_private_key.pem')).keyObject);
    await withServer(
      () => ({ status: 400, error: 'InvalidRequestException', body: { message: 'Token signature mismatch for authorizer A' } }),
      async (fake, options) => {
        const result = await testInvokeA(options, {
          input: { kind: 'token', token, signature: wrong },
          publicKeys: [{ name: 'example', pem: importPublicKey(fixture('rsa2048_public_key.pem')).keyObject }],
        });
        assert.strictEqual(result.target.kind, 'aws');
        assert.strictEqual(result.outcome, 'signature-rejected');
        assert.strictEqual(result.signature.status, 'failed');
        assert.strictEqual(result.error?.code, 'InvalidRequestException');
        assert.match(result.headline, /Token signature mismatch for authorizer A/);
        assert.deepStrictEqual(JSON.parse(fake.seen[0].body), { token, tokenSignature: wrong });
        assert.strictEqual(fake.seen[0].url, '/authorizer/A/test');
      },
    );
  });

  test('test-invoke: an allowed answer goes through the response rules and the policy evaluation', async () => {
    const doc = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:eu-west-1:123456789012:client/device1' }],
    });
    await withServer(
      () => ({
        status: 200,
        body: { isAuthenticated: true, principalId: 'device1', policyDocuments: [doc], refreshAfterInSeconds: 300, disconnectAfterInSeconds: 3600 },
      }),
      async (fake, options) => {
        const result = await testInvokeA(options, {
          input: {
            kind: 'context',
            request: {
              protocol: 'mqtt',
              serverName: 'abc-ats.iot.eu-west-1.amazonaws.com',
              mqtt: { username: 'u?x-amz-customauthorizer-name=A', passwordBase64: Buffer.from('pw').toString('base64'), clientId: 'device1' },
            },
          },
        });
        assert.strictEqual(result.outcome, 'allowed', result.headline);
        assert.strictEqual(result.validation?.valid, true);
        const connect = result.evaluation?.decisions.find((d) => d.action === 'iot:Connect');
        assert.strictEqual(connect?.allowed, true);
        const sent = JSON.parse(fake.seen[0].body) as {
          mqttContext: { password: string; clientId: string };
          tlsContext: { serverName: string };
          token?: string;
        };
        assert.strictEqual(sent.token, undefined, 'AWS refuses a token together with a context');
        assert.strictEqual(sent.mqttContext.password, Buffer.from('pw').toString('base64'));
        assert.strictEqual(sent.mqttContext.clientId, 'device1');
        assert.strictEqual(sent.tlsContext.serverName, 'abc-ats.iot.eu-west-1.amazonaws.com');
        assert.doesNotMatch(JSON.stringify(result), /"pw"/);
      },
    );
  });
});

suite('aws profiles and credential files', () => {
  let dir: string;
  const saved: Record<string, string | undefined> = {};
  const setEnv = (k: string, v: string | undefined) => {
    if (!(k in saved)) saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };

  setup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-aws-profiles-'));
    fs.writeFileSync(
      path.join(dir, 'config'),
      [
        '[default]',
        'region = eu-west-1',
        '',
        '[profile sso-dev]',
        'sso_session = corp',
        'sso_account_id = 111122223333',
        'sso_role_name = Dev',
        'region = eu-central-1',
        '',
        '[sso-session corp]',
        'sso_start_url = https://corp.awsapps.com/start',
        'sso_region = eu-west-1',
        '',
        '[profile tool]',
        'credential_process = /bin/false',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(dir, 'credentials'),
      [
        '[default]',
        'aws_access_key_id = AKIDDEFAULT',
        'aws_secret_access_key = x',
        '',
        '[ci]',
        'aws_access_key_id = AKIDCI',
        'aws_secret_access_key = y',
        '',
      ].join('\n'),
    );
    setEnv('AWS_CONFIG_FILE', path.join(dir, 'config'));
    setEnv('AWS_SHARED_CREDENTIALS_FILE', path.join(dir, 'credentials'));
    setEnv('HOME', dir);
    for (const k of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION'])
      setEnv(k, undefined);
  });

  teardown(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
      delete saved[k];
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('profiles from both files, with their kind and region; sso-session sections are not profiles', async () => {
    const profiles = await listProfiles();
    assert.deepStrictEqual(
      profiles.map((p) => [p.name, p.kind, p.region ?? '']),
      [
        ['default', 'keys', 'eu-west-1'],
        ['ci', 'keys', ''],
        ['sso-dev', 'sso', 'eu-central-1'],
        ['tool', 'process', ''],
      ],
    );
  });

  test('an SSO profile that was never logged in gives the aws sso login command, no stack trace', async () => {
    const f = createAwsClientFactory({ profile: 'sso-dev', region: 'eu-central-1' });
    try {
      await assert.rejects(resolveTarget(f), (e: unknown) => {
        assert.ok(e instanceof AwsError, String(e));
        assert.strictEqual(e.loginCommand, 'aws sso login --profile sso-dev');
        assert.match(e.message, /aws sso login --profile sso-dev/);
        assert.doesNotMatch(e.message, /\n\s+at /);
        return true;
      });
    } finally {
      f.destroy();
    }
  });

  test('a profile that does not exist is named with how to create it', async () => {
    const f = createAwsClientFactory({ profile: 'nope', region: 'eu-west-1' });
    try {
      await assert.rejects(
        resolveTarget(f),
        (e: unknown) => e instanceof AwsError && e.code === 'AWS_PROFILE_NOT_FOUND' && /no AWS profile "nope"/.test(e.message),
      );
    } finally {
      f.destroy();
    }
  });

  test('a failing credential_process is reported for its profile', async () => {
    const f = createAwsClientFactory({ profile: 'tool', region: 'eu-west-1' });
    try {
      await assert.rejects(resolveTarget(f), (e: unknown) => e instanceof UserError && /profile tool/.test(e.message));
    } finally {
      f.destroy();
    }
  });
});
