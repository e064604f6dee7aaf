// The local endpoint in-process, driven by the real AWS SDK v3 clients with `endpoint` set:
// the wire shapes the SDK parses (status codes, error names, waiters), the Python handler
// resolution, HTTP caching on a keep-alive connection, the in-process decision API, and a
// workspace registered with --workspace.
import * as assert from 'assert';
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import {
  AddPermissionCommand, CreateFunctionCommand, GetFunctionCommand, GetPolicyCommand, InvokeCommand, LambdaClient, ListFunctionsCommand,
  RemovePermissionCommand, UpdateFunctionCodeCommand, waitUntilFunctionActiveV2, waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import {
  CreateAuthorizerCommand, DescribeAuthorizerCommand, DescribeEndpointCommand, IoTClient, paginateListAuthorizers, TestInvokeAuthorizerCommand,
  UpdateAuthorizerCommand,
} from '@aws-sdk/client-iot';
import { decisionToInvocationResult, EndpointDecision, LocalEndpoint } from '../../src/endpoint';
import { ACCOUNT, CLI, ensureBuilt, NODE_HANDLER, opensslKeyPair, opensslSign, PYTHON_HANDLER, REGION, REPO_ROOT, tempDir, zipOf } from './endpointFixtures';

const credentials = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-secret' };

async function rejects(p: Promise<unknown>, name: string, message?: RegExp, status?: number): Promise<void> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    assert.strictEqual(err.name, name, err.message);
    if (message) assert.match(err.message, message);
    if (status !== undefined) assert.strictEqual(err.$metadata?.httpStatusCode, status);
    return;
  }
  assert.fail(`expected ${name}`);
}

/** curl as a child process, answered by this process's endpoint; the status is the last line. */
function curlAsync(args: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '30', '-w', '\n%{http_code}', ...args], { encoding: 'utf8' }, (_e, stdout) => {
      const i = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) });
    });
  });
}

function post(agent: http.Agent, url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end('payload');
  });
}

suite('endpoint: AWS SDK v3 clients against the local endpoint', function () {
  this.timeout(60000);
  let dir: string;
  let ep: LocalEndpoint;
  let iot: IoTClient;
  let lambda: LambdaClient;
  let keys: ReturnType<typeof opensslKeyPair>;

  /** A copy of examples/workspace with a signing key made by `iot-authz keygen`. */
  const exampleWorkspace = (): string => {
    const ws = path.join(dir, 'workspace');
    if (fs.existsSync(ws)) return ws;
    fs.mkdirSync(ws);
    for (const f of ['authorizer.js', 'iot-authorizer.json']) fs.copyFileSync(path.join(REPO_ROOT, 'examples/workspace', f), path.join(ws, f));
    execFileSync(process.execPath, [CLI, 'keygen', '--out', path.join(ws, '.iot-authz/keys/example')], { stdio: 'ignore' });
    return ws;
  };

  suiteSetup(async () => {
    ensureBuilt();
    dir = tempDir('sdk');
    keys = opensslKeyPair(dir);
    ep = await LocalEndpoint.start({ stateDir: path.join(dir, 'state'), accountId: ACCOUNT });
    iot = new IoTClient({ endpoint: ep.url, region: REGION, credentials });
    lambda = new LambdaClient({ endpoint: ep.url, region: REGION, credentials });
  });

  suiteTeardown(async () => {
    iot?.destroy();
    lambda?.destroy();
    await ep?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('Lambda: create from a zip (Python, handler in a folder), waiters, invoke with log tail, update code, list', async () => {
    const created = await lambda.send(new CreateFunctionCommand({
      FunctionName: 'py-auth', Runtime: 'python3.12', Handler: 'pkg/auth.lambda_handler', Role: `arn:aws:iam::${ACCOUNT}:role/r`,
      Code: { ZipFile: zipOf({ 'pkg/auth.py': PYTHON_HANDLER }) },
    }));
    assert.strictEqual(created.$metadata.httpStatusCode, 201);
    assert.strictEqual(created.State, 'Pending');
    assert.strictEqual(created.FunctionArn, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:py-auth`);
    await rejects(lambda.send(new InvokeCommand({ FunctionName: 'py-auth', Payload: Buffer.from('{}') })), 'ResourceConflictException', /Pending/);
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 30, minDelay: 1 }, { FunctionName: 'py-auth' });

    const out = await lambda.send(new InvokeCommand({ FunctionName: 'py-auth', Payload: Buffer.from(JSON.stringify({ token: 'allow' })), LogType: 'Tail' }));
    assert.strictEqual(out.StatusCode, 200);
    assert.strictEqual(out.FunctionError, undefined);
    assert.strictEqual((JSON.parse(Buffer.from(out.Payload ?? []).toString()) as { principalId: string }).principalId, 'py1');
    assert.strictEqual(typeof out.LogResult, 'string');

    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'py-auth', ZipFile: zipOf({ 'pkg/auth.py': 'def lambda_handler(e, c):\n    raise KeyError("nope")\n' }) }));
    await rejects(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'py-auth', ZipFile: zipOf({ 'pkg/auth.py': PYTHON_HANDLER }) })), 'ResourceConflictException', /update is in progress/);
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 30, minDelay: 1 }, { FunctionName: 'py-auth' });
    const failed = await lambda.send(new InvokeCommand({ FunctionName: 'py-auth', Payload: Buffer.from('{}') }));
    assert.strictEqual(failed.FunctionError, 'Unhandled');
    assert.strictEqual((JSON.parse(Buffer.from(failed.Payload ?? []).toString()) as { errorType: string }).errorType, 'KeyError');

    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:py-auth` }));
    assert.strictEqual(fn.Configuration?.LastUpdateStatus, 'Successful');
    const list = await lambda.send(new ListFunctionsCommand({}));
    assert.deepStrictEqual(list.Functions?.map((f) => f.FunctionName), ['py-auth']);
    await rejects(lambda.send(new CreateFunctionCommand({ FunctionName: 'py-auth', Runtime: 'python3.12', Handler: 'a.b', Role: `arn:aws:iam::${ACCOUNT}:role/r`, Code: { ZipFile: zipOf({ 'a.py': '' }) } })), 'ResourceConflictException', /already exist/, 409);
    await rejects(lambda.send(new CreateFunctionCommand({ FunctionName: 'java', Runtime: 'java21', Handler: 'a.b', Role: `arn:aws:iam::${ACCOUNT}:role/r`, Code: { ZipFile: zipOf({ 'a.py': '' }) } })), 'InvalidParameterValueException', /not supported/);
    await rejects(lambda.send(new CreateFunctionCommand({ FunctionName: 'badzip', Runtime: 'python3.12', Handler: 'a.b', Role: `arn:aws:iam::${ACCOUNT}:role/r`, Code: { ZipFile: Buffer.from('not a zip') } })), 'InvalidParameterValueException', /Could not unzip/);
  });

  test('IoT: authorizer validation, paging, test-invoke request errors with AWS wording, DescribeEndpoint', async () => {
    const fnArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:py-auth`;
    await rejects(iot.send(new CreateAuthorizerCommand({
      authorizerName: 'ThreeKeys', authorizerFunctionArn: fnArn, tokenKeyName: 't',
      tokenSigningPublicKeys: { a: keys.publicPem, b: keys.publicPem, c: keys.publicPem },
    })), 'InvalidRequestException', /at most 2/, 400);
    await rejects(iot.send(new CreateAuthorizerCommand({ authorizerName: 'BadKey', authorizerFunctionArn: fnArn, tokenKeyName: 't', tokenSigningPublicKeys: { k: 'not a pem' } })), 'InvalidRequestException');
    await rejects(iot.send(new CreateAuthorizerCommand({ authorizerName: 'BadTokenKey', authorizerFunctionArn: fnArn, tokenKeyName: 'a b', tokenSigningPublicKeys: { k: keys.publicPem } })), 'InvalidRequestException', /tokenKeyName/);
    for (const name of ['PageA', 'PageB', 'PageC']) await iot.send(new CreateAuthorizerCommand({ authorizerName: name, authorizerFunctionArn: fnArn, signingDisabled: true }));
    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateListAuthorizers({ client: iot, pageSize: 2 }, {})) {
      pages++;
      names.push(...(page.authorizers ?? []).map((a) => a.authorizerName ?? ''));
    }
    assert.deepStrictEqual(names, ['PageA', 'PageB', 'PageC']);
    assert.strictEqual(pages, 2);
    const described = await iot.send(new DescribeAuthorizerCommand({ authorizerName: 'PageA' }));
    assert.ok(described.authorizerDescription?.creationDate instanceof Date);
    assert.strictEqual(described.authorizerDescription?.signingDisabled, true);

    await iot.send(new CreateAuthorizerCommand({ authorizerName: 'Signed', authorizerFunctionArn: fnArn, tokenKeyName: 'tok', tokenSigningPublicKeys: { k1: keys.publicPem } }));
    const wording: Array<[object, RegExp]> = [
      [{ token: 'a' }, /^Request must provide both token and tokenSignature together\.$/],
      [{ token: 'a', tokenSignature: 'b', tlsContext: { serverName: 'x' } }, /^Request cannot have token and Http\/Mqtt\/Tls context\.$/],
      [{}, /^Request must have Http\/Mqtt\/Tls context\.$/],
      [{ httpContext: { headers: {}, queryString: 'a=b' } }, /^Invalid arguments in the call$/],
      [{ token: 'a', tokenSignature: opensslSign('b', keys.privateKey) }, /^Token signature mismatch for authorizer Signed$/],
    ];
    for (const [input, message] of wording) await rejects(iot.send(new TestInvokeAuthorizerCommand({ authorizerName: 'Signed', ...input })), 'InvalidRequestException', message, 400);
    await rejects(iot.send(new TestInvokeAuthorizerCommand({ authorizerName: 'PageA', token: 'a', tokenSignature: 'b' })), 'InvalidRequestException', /^Token and token signature provided but signing is disabled for the authorizer\.$/);
    await rejects(iot.send(new TestInvokeAuthorizerCommand({ authorizerName: 'Nope', token: 'a', tokenSignature: 'b' })), 'ResourceNotFoundException', /^Authorizer Nope not found$/, 404);
    // The function now raises: AWS's wording for a failing Lambda.
    await rejects(iot.send(new TestInvokeAuthorizerCommand({ authorizerName: 'Signed', token: 'a', tokenSignature: opensslSign('a', keys.privateKey) })), 'InvalidResponseException', /^Lambda function encountered error in execution: .*KeyError$/);
    await rejects(iot.send(new UpdateAuthorizerCommand({ authorizerName: 'Missing', status: 'INACTIVE' })), 'ResourceNotFoundException');

    const endpoint = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
    assert.strictEqual(endpoint.endpointAddress, new URL(ep.url).host);
  });

  test('HTTP caching per keep-alive connection, the in-process decision API, and InvocationResults with target endpoint', async () => {
    const fn = await lambda.send(new CreateFunctionCommand({
      FunctionName: 'node-auth', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: `arn:aws:iam::${ACCOUNT}:role/r`, Code: { ZipFile: zipOf({ 'index.js': NODE_HANDLER }) },
    }));
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 30, minDelay: 1 }, { FunctionName: 'node-auth' });
    const auth = await iot.send(new CreateAuthorizerCommand({
      authorizerName: 'Cached', authorizerFunctionArn: fn.FunctionArn, tokenKeyName: 'tok', tokenSigningPublicKeys: { k1: keys.publicPem }, enableCachingForHttp: true,
    }));
    const perm = await lambda.send(new AddPermissionCommand({ FunctionName: 'node-auth', StatementId: 'iot', Action: 'lambda:InvokeFunction', Principal: 'iot.amazonaws.com', SourceArn: auth.authorizerArn }));
    assert.strictEqual(perm.$metadata.httpStatusCode, 201);
    const policy = await lambda.send(new GetPolicyCommand({ FunctionName: 'node-auth' }));
    assert.match(policy.Policy ?? '', /"AWS:SourceArn":"arn:aws:iot:eu-west-1:123456789012:authorizer\/Cached"/);

    const abort = new AbortController();
    const seen: EndpointDecision[] = [];
    const reading = (async () => {
      for await (const d of ep.log.decisions(abort.signal)) {
        seen.push(d);
        if (seen.length === 4) break;
      }
    })();
    const headers = { 'x-amz-customauthorizer-name': 'Cached', tok: 'allow', 'x-amz-customauthorizer-signature': opensslSign('allow', keys.privateKey) };
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const fresh = new http.Agent({ keepAlive: false });
    const before = ep.context.counters.handlerInvocations;
    try {
      for (let i = 0; i < 3; i++) assert.strictEqual(await post(keepAlive, `${ep.url}/topics/devices%2Fdev1%2Fc`, headers), 200);
      assert.strictEqual(await post(fresh, `${ep.url}/topics/devices%2Fdev1%2Fc`, headers), 200);
    } finally {
      keepAlive.destroy();
      fresh.destroy();
    }
    await reading;
    abort.abort();
    assert.deepStrictEqual(seen.map((d) => d.cached), [false, true, true, false]);
    assert.strictEqual(ep.context.counters.handlerInvocations - before, 2);
    const result = decisionToInvocationResult(seen[1]);
    assert.deepStrictEqual(result.target, { kind: 'endpoint', url: ep.url });
    assert.strictEqual(result.outcome, 'allowed');
    assert.strictEqual(result.evaluation?.decisions[0].action, 'iot:Publish');
    assert.strictEqual(result.request.protocol, 'http');

    await lambda.send(new RemovePermissionCommand({ FunctionName: 'node-auth', StatementId: 'iot' }));
    const refused = await post(new http.Agent(), `${ep.url}/topics/devices%2Fdev1%2Fc`, headers);
    assert.strictEqual(refused, 403);
    const last = ep.log.recent(1)[0];
    assert.strictEqual(last.decidedBy, 'permission');
    const r = decisionToInvocationResult(last);
    assert.strictEqual(r.outcome, 'signature-rejected');
    assert.strictEqual(r.error?.code, 'PERMISSION_MISSING');
  });

  test('--workspace registers the workspace authorizers with keys and permission: curl publishes at once', async () => {
    const ws = exampleWorkspace();
    const local = await LocalEndpoint.start({ workspace: ws, region: REGION, accountId: ACCOUNT });
    try {
      assert.deepStrictEqual(local.workspace?.authorizers.map((a) => a.name), ['ExampleTokenAuthorizer']);
      const sig = opensslSign('allow-sensor1', path.join(ws, '.iot-authz/keys/example/private_key.pem'));
      const headers = { 'x-amz-customauthorizer-name': 'ExampleTokenAuthorizer', 'X-Example-Token': 'allow-sensor1', 'x-amz-customauthorizer-signature': sig };
      const agent = new http.Agent();
      assert.strictEqual(await post(agent, `${local.url}/topics/devices%2Fsensor1%2Ftemp`, headers), 200);
      assert.strictEqual(await post(agent, `${local.url}/topics/devices%2Fother%2Ftemp`, headers), 403);
      assert.strictEqual(local.log.recent(1)[0].decidedBy, 'policy');
      agent.destroy();
    } finally {
      await local.stop();
    }
  });

  test('--tls: curl publishes over HTTPS trusting the printed certificate; the event carries the SNI', async () => {
    const ws = exampleWorkspace();
    const local = await LocalEndpoint.start({ workspace: ws, region: REGION, accountId: ACCOUNT, tls: true, stateDir: path.join(dir, 'tls-state') });
    try {
      const secure = local.listeners.find((l) => l.protocol === 'https');
      assert.ok(secure?.caFile && fs.existsSync(secure.caFile));
      const sig = opensslSign('allow-sensor1', path.join(ws, '.iot-authz/keys/example/private_key.pem'));
      // curl runs as a child process while this process serves, so it must not block (no spawnSync).
      const r = await curlAsync(['--cacert', secure.caFile, '-X', 'POST', `https://localhost:${secure.port}/topics/devices%2Fsensor1%2Ftls?qos=1`,
        '-H', 'x-amz-customauthorizer-name: ExampleTokenAuthorizer', '-H', 'X-Example-Token: allow-sensor1', '-H', `x-amz-customauthorizer-signature: ${sig}`]);
      assert.strictEqual(r.status, 200, r.body);
      const d = local.log.recent(1)[0];
      assert.strictEqual(d.request.tls, true);
      assert.strictEqual(d.event?.protocolData.tls?.serverName, 'localhost');
    } finally {
      await local.stop();
    }
  });
});
