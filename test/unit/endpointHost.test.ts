// The editor's endpoint host: the real CLI (dist/cli.js) as a child process, a real HTTP
// publish, the decision arriving as an endpoint run, stop killing the child by pid.
import * as assert from 'assert';
import * as net from 'net';
import * as path from 'path';
import { DecisionStream, EndpointDecision } from '../../src/core/decisions';
import { EndpointHost, EndpointStatus } from '../../src/vscode/endpointHost';

const root = path.resolve(__dirname, '../../..');
/** The status now (a function call, so the compiler does not narrow it from an earlier check). */
const statusOf = (h: EndpointHost): EndpointStatus => h.status;

suite('endpoint host (child process)', () => {
  test('starts, reports a refused publish as an endpoint run, stops by pid', async function () {
    this.timeout(30000);
    const stream = new DecisionStream();
    const host = new EndpointHost(path.join(root, 'dist/cli.js'), stream, () => {});
    try {
      const r = await host.start(path.join(root, 'examples/workspace'));
      assert.match(r.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepStrictEqual(r.authorizers, ['ExampleTokenAuthorizer']);
      const got = new Promise<EndpointDecision>((resolve) => stream.onDecision(resolve));
      const res = await fetch(`${r.url}/topics/a/b?qos=0`, { method: 'POST', body: 'x' });
      assert.strictEqual(res.status, 403);
      const d = await got;
      assert.strictEqual(d.allowed, false);
      assert.deepStrictEqual(d.run?.target, { kind: 'endpoint', url: r.url });
      await host.stop();
      assert.throws(() => process.kill(r.pid, 0));
      assert.strictEqual(host.running, undefined);
    } finally {
      host.dispose();
    }
  });

  test('a child that dies while running leaves the status failed with the reason; a port in use is refused with the fix', async function () {
    this.timeout(30000);
    let onChange: () => void = () => {};
    const host = new EndpointHost(path.join(root, 'dist/cli.js'), new DecisionStream(), () => onChange());
    const busy = net.createServer();
    try {
      const r = await host.start(path.join(root, 'examples/workspace'));
      assert.strictEqual(host.status.state, 'running');
      const failed = new Promise<void>((resolve) => (onChange = () => statusOf(host).state === 'failed' && resolve()));
      process.kill(r.pid, 'SIGKILL');
      await failed;
      const status = statusOf(host);
      assert.ok(status.state === 'failed');
      assert.match(status.reason, /exited \(signal SIGKILL\)/);
      assert.strictEqual(host.pid, undefined);

      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
      const port = (busy.address() as net.AddressInfo).port;
      await assert.rejects(host.start(path.join(root, 'examples/workspace'), { port }), new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use\\..*iotAuthz\\.endpoint\\.port`));
      const after = statusOf(host);
      assert.ok(after.state === 'failed' && /already in use/.test(after.reason));
      await host.stop();
      assert.strictEqual(statusOf(host).state, 'stopped');
    } finally {
      busy.close();
      host.dispose();
    }
  });
});
