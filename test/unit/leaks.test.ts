// What a handler gets and what a run shows: the handler sees Lambda's environment and its
// own declared variables, not the caller's; the MQTT password appears nowhere in a result;
// handler-controlled text cannot drive the terminal.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseProject } from '../../src/core/project';
import { replaceSecret } from '../../src/core/scrub';
import type { LocalRuntime } from '../../src/local/runtime';
import { closeTempRuntime, openTempRuntime } from './tempRuntime';
import { REPO_ROOT } from './keyFixtures';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

suite('leaks: handler environment', function () {
  this.timeout(30_000);
  let dir: string;
  let runtime: LocalRuntime;
  setup(() => ({ dir, runtime } = openTempRuntime('iot-authz-env-')));
  teardown(() => closeTempRuntime({ dir, runtime }));

  test('the handler sees Lambda\'s variables and the project\'s "environment", not the parent\'s secrets', async () => {
    fs.writeFileSync(path.join(dir, 'iot-authorizer.json'), JSON.stringify({
      authorizers: [{ name: 'A', handler: 'src/h.js:handler', runtime: 'nodejs20.x', signingDisabled: true, memorySize: 256, environment: { TABLE_NAME: 'devices' } }],
    }));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src/h.js'), 'exports.handler = async () => ({ env: process.env });');
    const project = parseProject(fs.readFileSync(path.join(dir, 'iot-authorizer.json'), 'utf8'), path.join(dir, 'iot-authorizer.json'));
    assert.ok(project.project, JSON.stringify(project.issues));
    const saved = { ...process.env };
    Object.assign(process.env, { GITHUB_TOKEN: 'ghp_parent_secret', AWS_SECRET_ACCESS_KEY: 'parent-aws-secret', NODE_OPTIONS: '--max-old-space-size=64' });
    try {
      const r = await runtime.invoke(project.project.authorizers[0], {});
      assert.ok(r.ok, JSON.stringify(r));
      const env = (r.response as { env: Record<string, string> }).env;
      for (const leaked of ['GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'NODE_OPTIONS', 'HOME']) assert.strictEqual(env[leaked], undefined, `${leaked} leaked`);
      assert.strictEqual(env.TABLE_NAME, 'devices');
      assert.strictEqual(env._HANDLER, 'src/h.handler');
      assert.strictEqual(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '256');
      assert.strictEqual(env.LANG, 'en_US.UTF-8');
      assert.strictEqual(env.TZ, 'UTC');
      assert.ok(env.PATH);
      const allowed = /^(AWS_LAMBDA_\w+|AWS_REGION|AWS_DEFAULT_REGION|AWS_EXECUTION_ENV|_HANDLER|LAMBDA_TASK_ROOT|LAMBDA_RUNTIME_DIR|TZ|LANG|PATH|TABLE_NAME|ELECTRON_RUN_AS_NODE)$/;
      assert.deepStrictEqual(Object.keys(env).filter((k) => !allowed.test(k)), []);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  test('"environment" with a reserved or malformed name, or a non-string value, is an error at its line', () => {
    const r = parseProject(JSON.stringify({
      authorizers: [{ name: 'A', handler: 'h.js:handler', runtime: 'nodejs20.x', signingDisabled: true, environment: { AWS_REGION: 'x', '1BAD': 'y', N: 3 }, memorySize: 64 }],
    }), '/p/iot-authorizer.json');
    const messages = r.issues.map((i) => i.message).join('\n');
    assert.match(messages, /AWS_REGION is set by Lambda itself/);
    assert.match(messages, /"1BAD" is not a name Lambda accepts/);
    assert.match(messages, /"N" must be a string/);
    assert.match(messages, /"memorySize" must be a whole number of MB from 128 to 10240/);
  });
});

suite('leaks: password and terminal', function () {
  this.timeout(60_000);
  let dir: string;
  setup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-scrub-'));
    fs.writeFileSync(path.join(dir, 'iot-authorizer.json'), JSON.stringify({ authorizers: [{ name: 'A', handler: 'h.js:handler', runtime: 'nodejs20.x', signingDisabled: true }] }));
    fs.writeFileSync(path.join(dir, 'h.js'), [
      'exports.handler = async (event) => {',
      '  const pw = Buffer.from(event.protocolData.mqtt.password, "base64").toString("utf8");',
      '  console.log("plain:", pw, "b64:", event.protocolData.mqtt.password);',
      '  console.log("\\u001b[2J\\u001b[H\\u001b]0;owned\\u0007ALLOWED  forged headline");',
      '  return { isAuthenticated: true, principalId: "p1", refreshAfterInSeconds: 300, disconnectAfterInSeconds: 300, policyDocuments: [',
      '    { Version: "2012-10-17", Statement: [',
      '      { Effect: "Allow", Action: "iot:Connect", Resource: `arn:aws:iot:*:*:client/${pw}` },',
      '      { Effect: "Allow", Action: ["iot:Publish", "iot:Subscribe"], Resource: [`arn:aws:iot:*:*:topic/${pw}/*`, `arn:aws:iot:*:*:topicfilter/${pw}/*`] } ] } ] };',
      '};',
    ].join('\n'));
  });
  teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const password of ['Sup3rSecretPassw0rd', 'Q7z']) {
    test(`the password (${password.length} characters) appears nowhere in --json, evaluation included`, () => {
      fs.writeFileSync(path.join(dir, 'e.authz.json'), JSON.stringify({ authorizer: 'A', protocol: 'mqtt', mqtt: { clientId: password, username: 'u', password } }));
      const r = cli(['invoke', '--event', 'e.authz.json', '--json'], dir);
      assert.strictEqual(r.code, 0, r.stdout + r.stderr);
      const parsed = JSON.parse(r.stdout) as { evaluation?: unknown };
      assert.ok(parsed.evaluation, 'policies were evaluated');
      for (const form of [password, Buffer.from(password).toString('base64')]) assert.ok(!r.stdout.includes(form), `found ${form} in:\n${r.stdout}`);
      const text = cli(['invoke', '--event', 'e.authz.json'], dir);
      assert.ok(!text.stdout.includes(password), text.stdout);
    });
  }

  test('short secrets are replaced where they stand alone, not inside longer words', () => {
    assert.strictEqual(replaceSecret('pw=ab "ab" abc cab ab', 'ab', '#'), 'pw=# "#" abc cab #');
    assert.strictEqual(replaceSecret('x-longsecret-x', 'longsecret', '#'), 'x-#-x');
  });

  test('escape sequences in handler logs are shown, not executed, in the text output', () => {
    fs.writeFileSync(path.join(dir, 'e.authz.json'), JSON.stringify({ authorizer: 'A', protocol: 'mqtt', mqtt: { clientId: 'c1', username: 'u', password: 'longpassword1' } }));
    const r = cli(['invoke', '--event', 'e.authz.json'], dir);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    // eslint-disable-next-line no-control-regex -- looking for control characters
    assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(r.stdout), 'a control character reached the terminal');
    assert.ok(r.stdout.includes('\\x1b[2J\\x1b[H\\x1b]0;owned\\x07ALLOWED  forged headline'), r.stdout);
  });
});
