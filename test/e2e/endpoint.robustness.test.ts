// Bad input against the `iot-authz endpoint` process: malformed HTTP and JSON, oversized
// tokens and bodies, unknown paths, 500 concurrent requests (every one answered, the process
// keeps serving), and --state surviving a kill -9 in the middle of writes.
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { ensureBuilt, RunningEndpoint, startEndpointProcess, stopEndpointProcess, tempDir } from './endpointFixtures';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(agent: http.Agent, url: string, method: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    s.on('error', reject);
  });
}

const FN_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:none';

suite('endpoint: bad input, load and crashes', function () {
  this.timeout(60000);
  let dir: string;
  let ep: RunningEndpoint | undefined;
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

  suiteSetup(async () => {
    ensureBuilt();
    dir = tempDir('robust');
    ep = await startEndpointProcess([]);
  });

  suiteTeardown(async () => {
    agent.destroy();
    await stopEndpointProcess(ep);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('malformed HTTP gets a 400 and the connection closed; the next request is served', async () => {
    const port = Number(new URL(ep!.url).port);
    const reply = await rawExchange(port, 'GARBAGE \u0000\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 400 /);
    const ok = await request(agent, `${ep!.url}/authorizers/`, 'GET');
    assert.strictEqual(ok.status, 200);
  });

  test('malformed JSON: IoT InvalidRequestException, Lambda InvalidRequestContentException (header and body name the error)', async () => {
    const iot = await request(agent, `${ep!.url}/authorizer/A`, 'POST', '{"authorizerFunctionArn": ', { 'content-type': 'application/json' });
    assert.strictEqual(iot.status, 400);
    assert.strictEqual(iot.headers['x-amzn-errortype'], 'InvalidRequestException');
    assert.strictEqual((JSON.parse(iot.body) as { __type: string }).__type, 'InvalidRequestException');
    const lambda = await request(agent, `${ep!.url}/2015-03-31/functions`, 'POST', '[1,2', { 'content-type': 'application/json' });
    assert.strictEqual(lambda.headers['x-amzn-errortype'], 'InvalidRequestContentException');
    const body = JSON.parse(lambda.body) as { Type: string; Message: string; message: string };
    assert.strictEqual(body.Type, 'User');
    assert.strictEqual(body.Message, body.message);
  });

  test('oversized: a 200 KB publish gets 413, a 20 KB token header 431, a 2 MB control-plane body 413', async () => {
    const publish = await request(agent, `${ep!.url}/topics/a`, 'POST', Buffer.alloc(200 * 1024, 1), { 'x-amz-customauthorizer-name': 'X' });
    assert.strictEqual(publish.status, 413);
    const header = await request(agent, `${ep!.url}/topics/a`, 'POST', 'x', { token: 'a'.repeat(20 * 1024) });
    assert.strictEqual(header.status, 431);
    const control = await request(agent, `${ep!.url}/authorizer/Big`, 'POST', JSON.stringify({ authorizerFunctionArn: FN_ARN, pad: 'x'.repeat(2 * 1024 * 1024) }));
    assert.strictEqual(control.status, 413);
    assert.strictEqual(control.headers['x-amzn-errortype'], 'RequestEntityTooLargeException');
  });

  test('unknown paths and methods are answered with a named error', async () => {
    const unknown = await request(agent, `${ep!.url}/things/nope`, 'GET');
    assert.strictEqual(unknown.status, 404);
    assert.strictEqual(unknown.headers['x-amzn-errortype'], 'UnknownOperationException');
    const lambda = await request(agent, `${ep!.url}/2015-03-31/layers`, 'GET');
    assert.strictEqual(lambda.status, 404);
    assert.strictEqual((JSON.parse(lambda.body) as { Type: string }).Type, 'User');
    assert.strictEqual((await request(agent, `${ep!.url}/topics/a`, 'GET')).status, 405);
    assert.strictEqual((await request(agent, `${ep!.url}/_iot-authz/nope`, 'GET')).status, 404);
    assert.strictEqual((await request(agent, `${ep!.url}/authorizer/%E0%A4%A`, 'GET')).status, 400);
  });

  test('500 concurrent requests are all answered and the process keeps serving', async () => {
    const created = await request(agent, `${ep!.url}/authorizer/Load`, 'POST', JSON.stringify({ authorizerFunctionArn: FN_ARN, signingDisabled: true }));
    assert.strictEqual(created.status, 200, created.body);
    const jobs: Array<Promise<Answer>> = [];
    for (let i = 0; i < 500; i++) {
      if (i % 3 === 0) jobs.push(request(agent, `${ep!.url}/authorizers/`, 'GET'));
      else if (i % 3 === 1) jobs.push(request(agent, `${ep!.url}/topics/load%2F${i}?qos=1`, 'POST', 'x', { 'x-amz-customauthorizer-name': 'Load' }));
      else jobs.push(request(agent, `${ep!.url}/authorizer/Load`, 'GET'));
    }
    const answers = await Promise.all(jobs);
    assert.strictEqual(answers.length, 500);
    for (const [i, a] of answers.entries()) assert.strictEqual(a.status, i % 3 === 1 ? 403 : 200, `request ${i}: ${a.status} ${a.body}`);
    const health = JSON.parse((await request(agent, `${ep!.url}/_iot-authz/health`, 'GET')).body) as { status: string; counters: { refusedByStage: { permission?: number } } };
    assert.strictEqual(health.status, 'ok');
    // The function does not exist: every publish stops at the permission stage.
    assert.ok((health.counters.refusedByStage.permission ?? 0) >= 166);
  });

  test('--state survives a kill -9 in the middle of writes: every acknowledged authorizer is there, the file parses', async () => {
    const stateDir = path.join(dir, 'state');
    const victim = await startEndpointProcess(['--state', stateDir]);
    const acknowledged: string[] = [];
    let killed = false;
    const jobs: Array<Promise<void>> = [];
    for (let i = 0; i < 300; i++) {
      const name = `Crash${i}`;
      jobs.push(
        request(agent, `${victim.url}/authorizer/${name}`, 'POST', JSON.stringify({ authorizerFunctionArn: FN_ARN, signingDisabled: true }))
          .then((a) => {
            if (a.status === 200) acknowledged.push(name);
            if (acknowledged.length >= 60 && !killed) {
              killed = true;
              victim.child.kill('SIGKILL');
            }
          })
          .catch(() => undefined),
      );
    }
    await Promise.all(jobs);
    await victim.exited;
    assert.ok(killed, 'the process was killed while writing');
    assert.ok(acknowledged.length >= 60 && acknowledged.length < 300, `acknowledged ${acknowledged.length}`);
    JSON.parse(fs.readFileSync(path.join(stateDir, 'state.json'), 'utf8'));

    const restarted = await startEndpointProcess(['--state', stateDir]);
    try {
      const health = JSON.parse((await request(agent, `${restarted.url}/_iot-authz/health`, 'GET')).body) as { authorizers: string[] };
      for (const name of acknowledged) assert.ok(health.authorizers.includes(name), `${name} was acknowledged but lost`);
      assert.ok(!fs.readdirSync(stateDir).some((f) => f.includes('.tmp-')), 'leftover temp files are removed at start');
    } finally {
      await stopEndpointProcess(restarted);
    }
  });
});
