// The built CLI (dist/cli.js, loading dist/aws.js) deploys the example workspace with the real
// AWS SDK to a small REST-JSON stand-in for Lambda, IoT and STS on 127.0.0.1 (--endpoint-url):
// the wire requests are what AWS receives, and a second deploy changes nothing because the
// zip's SHA-256 equals the CodeSha256 the stand-in computed from the uploaded bytes.
import * as assert from 'assert';
import { execFile, execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

interface Seen {
  method: string;
  path: string;
  body: string;
}

/** Lambda + IoT + STS as far as deploy and test-invoke use them. */
class StandIn {
  readonly seen: Seen[] = [];
  functions = new Map<string, Record<string, unknown>>();
  policies = new Map<string, Array<Record<string, unknown>>>();
  authorizers = new Map<string, Record<string, unknown>>();
  private server?: http.Server;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const body = Buffer.concat(chunks).toString('utf8');
        this.seen.push({ method: req.method ?? '', path: url.pathname, body });
        const send = (status: number, json: unknown, error?: string) => {
          res.writeHead(status, { 'content-type': 'application/json', ...(error ? { 'x-amzn-errortype': error } : {}) });
          res.end(json === undefined ? '' : JSON.stringify(json));
        };
        const fail = (status: number, name: string, message: string) => send(status, { __type: name, message, Type: 'User', Message: message }, name);
        if (req.method === 'POST' && url.pathname === '/' && /GetCallerIdentity/.test(body)) {
          res.writeHead(200, { 'content-type': 'text/xml' });
          res.end(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::${ACCOUNT}:user/dev</Arn><UserId>AIDA</UserId><Account>${ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`);
          return;
        }
        let m: RegExpExecArray | null;
        if (req.method === 'POST' && url.pathname === '/2015-03-31/functions') {
          const input = JSON.parse(body) as { FunctionName: string; Runtime: string; Handler: string; Role: string; Code: { ZipFile: string } };
          const zip = Buffer.from(input.Code.ZipFile, 'base64');
          const config = { FunctionName: input.FunctionName, FunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${input.FunctionName}`, Runtime: input.Runtime, Handler: input.Handler, Role: input.Role, CodeSha256: crypto.createHash('sha256').update(zip).digest('base64'), State: 'Active', LastUpdateStatus: 'Successful' };
          this.functions.set(input.FunctionName, config);
          return send(201, config);
        }
        if ((m = /^\/2015-03-31\/functions\/([^/]+)$/.exec(url.pathname)) && req.method === 'GET') {
          const f = this.functions.get(decodeURIComponent(m[1]));
          return f ? send(200, { Configuration: f, Code: {} }) : fail(404, 'ResourceNotFoundException', `Function not found: ${m[1]}`);
        }
        if ((m = /^\/2015-03-31\/functions\/([^/]+)\/code$/.exec(url.pathname)) && req.method === 'PUT') {
          const f = this.functions.get(decodeURIComponent(m[1]));
          if (!f) return fail(404, 'ResourceNotFoundException', 'Function not found');
          f.CodeSha256 = crypto.createHash('sha256').update(Buffer.from((JSON.parse(body) as { ZipFile: string }).ZipFile, 'base64')).digest('base64');
          return send(200, f);
        }
        if ((m = /^\/2015-03-31\/functions\/([^/]+)\/policy$/.exec(url.pathname))) {
          const name = decodeURIComponent(m[1]);
          const list = this.policies.get(name) ?? [];
          if (req.method === 'GET') return list.length ? send(200, { Policy: JSON.stringify({ Version: '2012-10-17', Statement: list }), RevisionId: '1' }) : fail(404, 'ResourceNotFoundException', 'The resource you requested does not exist.');
          const input = JSON.parse(body) as { StatementId: string; Principal: string; Action: string; SourceArn: string };
          if (list.some((s) => s.Sid === input.StatementId)) return fail(409, 'ResourceConflictException', `The statement id (${input.StatementId}) provided already exists.`);
          list.push({ Sid: input.StatementId, Effect: 'Allow', Principal: { Service: input.Principal }, Action: input.Action, Condition: { ArnLike: { 'AWS:SourceArn': input.SourceArn } } });
          this.policies.set(name, list);
          return send(201, { Statement: JSON.stringify(list[list.length - 1]) });
        }
        if ((m = /^\/authorizer\/([^/]+)\/test$/.exec(url.pathname)) && req.method === 'POST') {
          return send(200, { isAuthenticated: false, principalId: 'denied', policyDocuments: [], refreshAfterInSeconds: 300, disconnectAfterInSeconds: 300 });
        }
        if ((m = /^\/authorizer\/([^/]+)$/.exec(url.pathname))) {
          const name = decodeURIComponent(m[1]);
          const a = this.authorizers.get(name);
          if (req.method === 'GET') return a ? send(200, { authorizerDescription: a }) : fail(404, 'ResourceNotFoundException', `Authorizer ${name} not found`);
          const input = JSON.parse(body) as Record<string, unknown>;
          const arn = `arn:aws:iot:${REGION}:${ACCOUNT}:authorizer/${name}`;
          this.authorizers.set(name, { ...(a ?? {}), ...input, authorizerName: name, authorizerArn: arn });
          return send(200, { authorizerName: name, authorizerArn: arn });
        }
        if (url.pathname === '/default-authorizer') return fail(404, 'ResourceNotFoundException', 'No default authorizer');
        return fail(400, 'InvalidRequestException', `stand-in does not know ${req.method} ${url.pathname}`);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', AWS_ACCESS_KEY_ID: 'AKIDE2E', AWS_SECRET_ACCESS_KEY: 'e2e-secret', AWS_PROFILE: '', AWS_CONFIG_FILE: path.join(cwd, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: path.join(cwd, 'no-credentials') },
    }, (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

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
    fs.cpSync(path.join(REPO_ROOT, 'examples', 'workspace'), dir, { recursive: true });
    const project = JSON.parse(fs.readFileSync(path.join(dir, 'iot-authorizer.json'), 'utf8')) as { authorizers: Array<Record<string, unknown>> };
    project.authorizers[0].aws = { roleArn: `arn:aws:iam::${ACCOUNT}:role/iot-authz-e2e` };
    fs.writeFileSync(path.join(dir, 'iot-authorizer.json'), JSON.stringify(project, null, 2));
    const keygen = await cli(['keygen', '--out', path.join(dir, '.iot-authz', 'keys', 'example')], dir);
    assert.strictEqual(keygen.code, 0, keygen.stderr);
    standIn = new StandIn();
    url = await standIn.start();
  });

  teardown(async () => {
    await standIn.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('deploy the example workspace, then again: the second run changes nothing and says so', async () => {
    const first = await cli(['deploy', '--yes', '--region', REGION, '--endpoint-url', url], dir);
    assert.strictEqual(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /create\s+Lambda function iot-authz-ExampleTokenAuthorizer/);
    assert.match(first.stdout, /Deployed ExampleTokenAuthorizer to 123456789012\/eu-west-1/);
    assert.match(first.stdout, /Test-invoke: AWS: denied/);
    const fn = standIn.functions.get('iot-authz-ExampleTokenAuthorizer');
    assert.strictEqual(fn?.Runtime, 'nodejs22.x');
    assert.strictEqual(fn?.Handler, 'authorizer.handler');
    const auth = standIn.authorizers.get('ExampleTokenAuthorizer');
    assert.strictEqual(auth?.tokenKeyName, 'X-Example-Token');
    assert.deepStrictEqual(Object.keys(auth?.tokenSigningPublicKeys as object), ['example']);
    assert.strictEqual(standIn.policies.get('iot-authz-ExampleTokenAuthorizer')?.length, 1);

    const writes = standIn.seen.filter((r) => r.method !== 'GET').length;
    const second = await cli(['deploy', '--yes', '--region', REGION, '--endpoint-url', url], dir);
    assert.strictEqual(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /Nothing to deploy: ExampleTokenAuthorizer in 123456789012\/eu-west-1 already matches the workspace/);
    const newWrites = standIn.seen.filter((r) => r.method !== 'GET').slice(writes).filter((r) => !(r.path === '/' && /GetCallerIdentity/.test(r.body)));
    assert.deepStrictEqual(newWrites.map((r) => `${r.method} ${r.path}`), [], 'the second deploy sent no change');
  });

  test('test-invoke with a workspace key through the built CLI prints a result with target aws', async () => {
    await cli(['deploy', '--yes', '--region', REGION, '--endpoint-url', url, '--no-test-invoke'], dir);
    const r = await cli(['test-invoke', '--authorizer', 'ExampleTokenAuthorizer', '--token', 'allow-device1', '--key', 'example', '--region', REGION, '--endpoint-url', url, '--json'], dir);
    assert.strictEqual(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { target: { kind: string; accountId: string }; outcome: string };
    assert.strictEqual(result.target.kind, 'aws');
    assert.strictEqual(result.target.accountId, ACCOUNT);
    assert.strictEqual(result.outcome, 'denied');
  });
});
