// The editor's endpoint host: the real CLI (dist/cli.js) as a child process, a real HTTP
// publish, the decision arriving as an endpoint run, stop killing the child by pid.
import * as assert from 'assert';
import * as path from 'path';
import { DecisionStream, EndpointDecision } from '../../src/core/decisions';
import { EndpointHost } from '../../src/vscode/endpointHost';

const root = path.resolve(__dirname, '../../..');

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
});
