// `iot-authz invoke` and `iot-authz new` as a user meets them: the built dist/cli.js run as a
// child process (built first when older than the sources) on temp copies of
// test/fixtures/projects/invoke and on freshly scaffolded authorizers.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { InvocationResult } from '../../src/core/result';
import { buildWhenStale, REPO_ROOT } from './keyFixtures';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/projects/invoke');
const PASSWORD = 'fixture-secret-pw';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function json(r: Run): InvocationResult {
  return JSON.parse(r.stdout) as InvocationResult;
}

suiteSetup(function () {
  this.timeout(120_000);
  buildWhenStale(CLI, ['src/cli', 'src/core', 'src/local']);
});

suite('cli: invoke', function () {
  this.timeout(30_000);
  let dir: string;
  setup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-cli-invoke-'));
    fs.cpSync(FIXTURE, dir, { recursive: true });
  });
  teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('--help lists the options and exit codes', () => {
    const r = cli(['invoke', '--help'], dir);
    assert.strictEqual(r.code, 0);
    for (const o of ['--event', '--project', '--authorizer', '--json', '--python', '--timeout', '--region', '--account']) assert.ok(r.stdout.includes(o), o);
    assert.match(r.stdout, /Exit codes: 0 .* 1 .* 2 /s);
    assert.match(cli(['--help'], dir).stdout, /invoke/);
  });

  test('allowed: exit 0; prints decision, findings and the policy table; never the password', () => {
    const r = cli(['invoke', '--event', 'events/allow-mqtt.authz.json'], dir);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ALLOWED {2}Allowed as d1 \(1 policy\)/);
    assert.match(r.stdout, /Decision\s+isAuthenticated true/);
    assert.match(r.stdout, /Response\s+valid: AWS accepts it/);
    assert.match(r.stdout, /iot:Connect\s+arn:aws:iot:us-east-1:123456789012:client\/d1\s+allow/);
    assert.ok(!r.stdout.includes(PASSWORD) && !r.stdout.includes(Buffer.from(PASSWORD).toString('base64')));
  });

  test('--json prints the InvocationResult', () => {
    const r = cli(['invoke', '--event', 'events/allow-mqtt.authz.json', '--json'], dir);
    assert.strictEqual(r.code, 0, r.stderr);
    const result = json(r);
    assert.strictEqual(result.outcome, 'allowed');
    assert.strictEqual(result.event?.protocolData.mqtt?.password, '[password hidden]');
    assert.strictEqual(result.source.eventFile, path.join(dir, 'events/allow-mqtt.authz.json'));
    assert.ok(!r.stdout.includes(PASSWORD));
  });

  test('denied with a valid response: exit 0', () => {
    const r = cli(['invoke', '--event', 'events/deny.authz.json'], dir);
    assert.strictEqual(r.code, 0, r.stdout);
    assert.match(r.stdout, /^DENIED/);
  });

  test('invalid response: exit 1 with the finding, its path and fix', () => {
    const r = cli(['invoke', '--event', 'events/invalid.authz.json'], dir);
    assert.strictEqual(r.code, 1, r.stdout);
    assert.match(r.stdout, /^INVALID RESPONSE/);
    assert.match(r.stdout, /error {3}principalId: .*\n\s+fix: /);
  });

  test('handler throws: exit 1; timeout with --timeout: exit 1', () => {
    const thrown = cli(['invoke', '--event', 'events/throw.authz.json'], dir);
    assert.strictEqual(thrown.code, 1);
    assert.match(thrown.stdout, /HANDLER_EXCEPTION: .*boom from the test handler/);
    const slow = cli(['invoke', '--event', 'events/sleep.authz.json', '--timeout', '300', '--json'], dir);
    assert.strictEqual(slow.code, 1);
    assert.strictEqual(json(slow).error?.code, 'TIMEOUT');
  });

  test('signature missing with signing enabled: exit 1', () => {
    const r = cli(['invoke', '--event', 'events/unsigned.authz.json'], dir);
    assert.strictEqual(r.code, 1, r.stdout);
    assert.match(r.stdout, /^SIGNATURE REJECTED/);
    assert.match(r.stdout, /Signature\s+missing\n\s+No signature/);
  });

  test('bad input: exit 2 (event errors with file:line, missing event, no project, unknown authorizer, bad options)', () => {
    const broken = cli(['invoke', '--event', 'events/broken.authz.json'], dir);
    assert.strictEqual(broken.code, 2);
    assert.match(broken.stderr, /broken\.authz\.json:3:\d+: protocol: Unknown protocol "smtp"/);
    assert.strictEqual(cli(['invoke', '--event', 'events/none.authz.json'], dir).code, 2);
    assert.strictEqual(cli(['invoke'], dir).code, 2);
    const unknown = cli(['invoke', '--event', 'events/deny.authz.json', '--authorizer', 'Nobody'], dir);
    assert.strictEqual(unknown.code, 2);
    assert.match(unknown.stderr, /No authorizer named "Nobody"/);
    assert.match(cli(['invoke', '--event', 'events/deny.authz.json', '--timeout', 'soon'], dir).stderr, /--timeout soon/);
    assert.strictEqual(cli(['invoke', '--event', 'events/deny.authz.json', '--region', 'mars'], dir).code, 2);
    assert.strictEqual(cli(['invoke', '--event', 'events/deny.authz.json', '--account', '12'], dir).code, 2);
    const lone = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-cli-lone-'));
    try {
      fs.copyFileSync(path.join(dir, 'events/deny.authz.json'), path.join(lone, 'deny.authz.json'));
      const r = cli(['invoke', '--event', 'deny.authz.json', '--json'], lone);
      assert.strictEqual(r.code, 2);
      assert.strictEqual(json(r).error?.code, 'PROJECT_NOT_FOUND');
      const given = cli(['invoke', '--event', 'deny.authz.json', '--project', path.join(dir, 'iot-authorizer.json')], lone);
      assert.strictEqual(given.code, 0, given.stdout + given.stderr);
    } finally {
      fs.rmSync(lone, { recursive: true, force: true });
    }
  });

  test('the project is found from the current folder upward; --authorizer, --region and --account apply', () => {
    const sub = path.join(dir, 'deep', 'er');
    fs.mkdirSync(sub, { recursive: true });
    const r = cli(['invoke', '--event', '../../events/allow-mqtt.authz.json', '--authorizer', 'Deployed', '--region', 'ap-south-1', '--account', '111122223333', '--json'], sub);
    assert.strictEqual(r.code, 0, r.stderr);
    const result = json(r);
    assert.strictEqual(result.request.authorizer, 'Deployed');
    assert.deepStrictEqual([result.evaluation?.context.region, result.evaluation?.context.accountId], ['ap-south-1', '111122223333']);
    assert.strictEqual(result.evaluation?.decisions[0].allowed, true);
  });

  test('--python names the interpreter in the error when it does not exist', () => {
    fs.writeFileSync(path.join(dir, 'iot-authorizer.json'), JSON.stringify({ authorizers: [{ name: 'Py', handler: 'h.py:handler', runtime: 'python3.12', signingDisabled: true }] }));
    fs.writeFileSync(path.join(dir, 'h.py'), 'def handler(event, context):\n    return None\n');
    const r = cli(['invoke', '--event', 'events/deny.authz.json', '--authorizer', 'Py', '--python', '/nonexistent/python9', '--json'], dir);
    assert.strictEqual(r.code, 2, 'a missing interpreter is bad input, like a missing file');
    assert.strictEqual(json(r).error?.code, 'INTERPRETER_NOT_FOUND');
  });
});

suite('cli: new', function () {
  this.timeout(60_000);
  let dir: string;
  setup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-cli-new-'));
  });
  teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('scaffolds, and its events run: allowed exit 0, denied exit 0', () => {
    const made = cli(['new', '--kind', 'signed-token', '--language', 'javascript', '--name', 'Dev'], dir);
    assert.strictEqual(made.code, 0, made.stderr);
    assert.match(made.stdout, /Created authorizer "Dev" \(signed-token, javascript\)/);
    assert.match(made.stdout, /Generated key "Dev"/);
    assert.ok(fs.existsSync(path.join(dir, '.iot-authz/keys/Dev/private_key.pem')));
    const allowed = cli(['invoke', '--event', 'authorizers/Dev/events/mqtt-wss.authz.json'], dir);
    assert.strictEqual(allowed.code, 0, allowed.stdout);
    assert.match(allowed.stdout, /^ALLOWED {2}Allowed as sensor1/);
    assert.match(allowed.stdout, /Signature\s+verified with key "Dev"/);
    const denied = cli(['invoke', '--event', 'authorizers/Dev/events/denied-expired.authz.json'], dir);
    assert.strictEqual(denied.code, 0);
    assert.match(denied.stdout, /^DENIED[\s\S]*Denied: the token has expired/);
  });

  test('refuses to overwrite (exit 2) unless --force; a second authorizer is added', () => {
    assert.strictEqual(cli(['new', '--kind', 'mqtt-username-password', '--language', 'python', '--name', 'Pw'], dir).code, 0);
    const again = cli(['new', '--kind', 'mqtt-username-password', '--language', 'python', '--name', 'Pw'], dir);
    assert.strictEqual(again.code, 2);
    assert.match(again.stderr, /Not overwriting 5 existing files/);
    assert.strictEqual(cli(['new', '--kind', 'mqtt-username-password', '--language', 'python', '--name', 'Pw', '--force'], dir).code, 0);
    assert.strictEqual(cli(['new', '--kind', 'jwt-bearer', '--language', 'typescript', '--name', 'Jwt', '--dir', '.'], dir).code, 0);
    const project = JSON.parse(fs.readFileSync(path.join(dir, 'iot-authorizer.json'), 'utf8')) as { authorizers: Array<{ name: string }> };
    assert.deepStrictEqual(project.authorizers.map((a) => a.name), ['Pw', 'Jwt']);
    const r = cli(['invoke', '--event', 'authorizers/Jwt/events/http.authz.json', '--json'], dir);
    assert.strictEqual(r.code, 0, r.stdout);
    assert.strictEqual(json(r).outcome, 'allowed');
  });

  test('bad options: exit 2 naming the choices', () => {
    const r = cli(['new', '--kind', 'oauth', '--language', 'python', '--name', 'X'], dir);
    assert.strictEqual(r.code, 2);
    assert.match(r.stderr, /signed-token, mqtt-username-password, jwt-bearer/);
    assert.strictEqual(cli(['new', '--kind', 'jwt-bearer', '--language', 'go', '--name', 'X'], dir).code, 2);
    assert.strictEqual(cli(['new', '--kind', 'jwt-bearer', '--language', 'python'], dir).code, 2);
    assert.match(cli(['new', '--kind', 'jwt-bearer', '--language', 'python', '--name', 'bad name'], dir).stderr, /not a valid authorizer name/);
  });
});
