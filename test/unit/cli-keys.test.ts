// `iot-authz keygen | sign | verify` as a user meets them: most tests run the built
// dist/cli.js as a child process (built first when older than the sources), a few call
// runCli in-process to check the stdin handling precisely.
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../../src/cli/main';
import { AUTHORIZER_NAME_PARAM, SIGNATURE_PARAM } from '../../src/core/constants';
import { extractCredentials, parseMqttUsername } from '../../src/core/credentials';
import { importPublicKey } from '../../src/core/keys';
import { signToken } from '../../src/core/tokens';
import { assertNoKeyMaterial, buildWhenStale, fixture, fixturePath, REPO_ROOT, TEST_PASSPHRASE } from './keyFixtures';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const TOKEN = 'MyStringThatNeedsToBeSigned';
const PRIV = fixturePath('rsa2048_private_key.pem');
const PUB = fixturePath('rsa2048_public_key.pem');
const OTHER_PUB = fixturePath('other_rsa2048_public_key.pem');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input: options.input ?? '',
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function inProcess(args: string[], stdin = '', cwd = REPO_ROOT): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readStdin: () => Promise.resolve(stdin),
    cwd,
  });
  return { code, stdout, stderr };
}

suiteSetup(function () {
  this.timeout(120_000);
  buildWhenStale(CLI, ['src/cli', 'src/core']);
});

suite('cli: keygen', () => {
  let dir: string;
  setup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-cli-'));
  });
  teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('--help for each command', () => {
    for (const name of ['keygen', 'sign', 'verify']) {
      const r = cli([name, '--help']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Usage: iot-authz ${name} `));
      assert.match(r.stdout, /--help/);
    }
    assert.match(cli(['sign', '--help']).stdout, /exactly one final line ending/);
    assert.match(cli(['--help']).stdout, /keygen[\s\S]*sign[\s\S]*verify/);
  });

  test('writes a 0600 private key and a public key, prints paths and fingerprint, never the key', () => {
    const out = path.join(dir, 'keys');
    const r = cli(['keygen', '--out', out]);
    assert.strictEqual(r.code, 0, r.stderr);
    const priv = path.join(out, 'private_key.pem');
    const pub = path.join(out, 'public_key.pem');
    if (process.platform !== 'win32') assert.strictEqual(fs.statSync(priv).mode & 0o777, 0o600);
    const fingerprint = importPublicKey(fs.readFileSync(pub, 'utf8')).fingerprint;
    assert.ok(r.stdout.includes(priv) && r.stdout.includes(pub), r.stdout);
    assert.ok(r.stdout.includes(`SHA256 ${fingerprint}`), r.stdout);
    assert.match(r.stdout, /2048-bit/);
    const body = fs.readFileSync(priv, 'utf8').split('\n')[1];
    assert.ok(!r.stdout.includes(body) && !r.stdout.includes('PRIVATE KEY-----'));
  });

  test('refuses to overwrite without --force (exit 2), overwrites with it', () => {
    assert.strictEqual(cli(['keygen', '--out', dir]).code, 0);
    const before = fs.readFileSync(path.join(dir, 'private_key.pem'), 'utf8');
    const again = cli(['keygen', '--out', dir]);
    assert.strictEqual(again.code, 2);
    assert.match(again.stderr, /already exist.*--force/);
    assert.strictEqual(fs.readFileSync(path.join(dir, 'private_key.pem'), 'utf8'), before);
    const forced = cli(['keygen', '--out', dir, '--force']);
    assert.strictEqual(forced.code, 0, forced.stderr);
    assert.notStrictEqual(fs.readFileSync(path.join(dir, 'private_key.pem'), 'utf8'), before);
  });

  test('--bits 3072 and --json; bad sizes and a missing --out are usage errors', () => {
    const r = cli(['keygen', '--out', dir, '--bits', '3072', '--json']);
    assert.strictEqual(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { bits: number; fingerprint: string; privateKeyFile: string; encrypted: boolean };
    assert.strictEqual(json.bits, 3072);
    assert.strictEqual(json.privateKeyFile, path.join(dir, 'private_key.pem'));
    assert.strictEqual(json.encrypted, false);
    for (const bits of ['1024', '2048.5', 'big']) {
      const bad = cli(['keygen', '--out', path.join(dir, bits), '--bits', bits]);
      assert.strictEqual(bad.code, 2);
      assert.match(bad.stderr, /--bits .*2048, 3072, 4096/);
    }
    const missing = cli(['keygen']);
    assert.strictEqual(missing.code, 2);
    assert.match(missing.stderr, /missing --out/);
  });

  test('--passphrase-env encrypts the private key; sign reads it back with the same option', () => {
    const r = cli(['keygen', '--out', dir, '--passphrase-env', 'KEY_PASS'], { env: { KEY_PASS: TEST_PASSPHRASE } });
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(fs.readFileSync(path.join(dir, 'private_key.pem'), 'utf8'), /ENCRYPTED PRIVATE KEY/);
    const key = path.join(dir, 'private_key.pem');
    const noPass = cli(['sign', '--key', key, '--token', TOKEN]);
    assert.strictEqual(noPass.code, 2);
    assert.match(noPass.stderr, /encrypted and needs its passphrase.*--passphrase-env/);
    const signed = cli(['sign', '--key', key, '--token', TOKEN, '--passphrase-env', 'KEY_PASS'], { env: { KEY_PASS: TEST_PASSPHRASE } });
    assert.strictEqual(signed.code, 0, signed.stderr);
    const verified = cli(['verify', '--public-key', path.join(dir, 'public_key.pem'), '--token', TOKEN, '--signature', signed.stdout.trim()]);
    assert.strictEqual(verified.code, 0, verified.stdout);
    const unset = cli(['sign', '--key', key, '--token', TOKEN, '--passphrase-env', 'IOT_AUTHZ_TEST_UNSET_VAR']);
    assert.strictEqual(unset.code, 2);
    assert.match(unset.stderr, /IOT_AUTHZ_TEST_UNSET_VAR is not set/);
  });

  test('warns when the written private key is not ignored by git', function () {
    try {
      execFileSync('git', ['init', '-q'], { cwd: dir });
    } catch {
      this.skip();
    }
    const r = cli(['keygen', '--out', path.join(dir, 'k')], { cwd: dir });
    assert.strictEqual(r.code, 0);
    assert.match(r.stderr, /git does not ignore .*private_key\.pem/);
    fs.writeFileSync(path.join(dir, '.gitignore'), 'k2/\n');
    assert.doesNotMatch(cli(['keygen', '--out', path.join(dir, 'k2')], { cwd: dir }).stderr, /warning/);
  });
});

suite('cli: sign', () => {
  test('prints the base64 signature and a newline, as signToken', () => {
    const r = cli(['sign', '--key', PRIV, '--token', TOKEN]);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(r.stdout, signToken(TOKEN, fixture('rsa2048_private_key.pem')) + '\n');
  });

  test('--token - reads stdin minus exactly one final newline', () => {
    const expected = signToken(TOKEN, fixture('rsa2048_private_key.pem')) + '\n';
    assert.strictEqual(cli(['sign', '--key', PRIV, '--token', '-'], { input: `${TOKEN}\n` }).stdout, expected);
    assert.strictEqual(cli(['sign', '--key', PRIV, '--token', '-'], { input: `${TOKEN}\r\n` }).stdout, expected);
    assert.strictEqual(cli(['sign', '--key', PRIV, '--token', '-'], { input: TOKEN }).stdout, expected);
    const twoNewlines = cli(['sign', '--key', PRIV, '--token', '-'], { input: `${TOKEN}\n\n` }).stdout;
    assert.strictEqual(twoNewlines, signToken(`${TOKEN}\n`, fixture('rsa2048_private_key.pem')) + '\n');
  });

  test('--format header prints "Name: value" lines', () => {
    const r = cli(['sign', '--key', PRIV, '--token', TOKEN, '--format', 'header', '--authorizer', 'MyAuth', '--token-key-name', 'X-Token']);
    assert.strictEqual(r.code, 0, r.stderr);
    const sig = signToken(TOKEN, fixture('rsa2048_private_key.pem'));
    assert.strictEqual(r.stdout, `${AUTHORIZER_NAME_PARAM}: MyAuth\nX-Token: ${TOKEN}\n${SIGNATURE_PARAM}: ${sig}\n`);
  });

  test('--format query and mqtt-username print encoded forms the parser reads back', () => {
    const token = 'a+b c&d=é';
    const q = cli(['sign', '--key', PRIV, '--token', token, '--format', 'query', '--authorizer', 'MyAuth', '--token-key-name', 'X-Token']);
    assert.strictEqual(q.code, 0, q.stderr);
    const fromQuery = extractCredentials({ queryString: q.stdout.trim() }, 'X-Token');
    assert.strictEqual(fromQuery.token, token);
    assert.strictEqual(fromQuery.authorizerName, 'MyAuth');
    assert.strictEqual(fromQuery.signature, signToken(token, fixture('rsa2048_private_key.pem')));
    const u = cli(['sign', '--key', PRIV, '--token', token, '--format', 'mqtt-username', '--token-key-name', 'X-Token', '--username', 'device-1']);
    assert.strictEqual(u.code, 0, u.stderr);
    assert.strictEqual(parseMqttUsername(u.stdout.trim()).base, 'device-1');
    assert.strictEqual(extractCredentials({ mqttUsername: u.stdout.trim() }, 'X-Token').signature, fromQuery.signature);
  });

  test('--json gives the signature, fingerprint and every form', () => {
    const r = cli(['sign', '--key', PRIV, '--token', TOKEN, '--token-key-name', 'X-Token', '--json']);
    const json = JSON.parse(r.stdout) as { signature: string; fingerprint: string; headers: Record<string, string>; queryString: string; mqttUsername: string };
    assert.strictEqual(json.fingerprint, importPublicKey(fixture('rsa2048_public_key.pem')).fingerprint);
    assert.strictEqual(json.headers['X-Token'], TOKEN);
    assert.ok(json.mqttUsername.startsWith('?X-Token='));
  });

  test('refused inputs exit 2 with a message that says what to do, never key material', () => {
    const cases: Array<[string[], RegExp]> = [
      [['sign', '--key', PUB, '--token', TOKEN], /holds a public key.*signing needs the private key/],
      [['sign', '--key', fixturePath('rsa1024_private_key.pem'), '--token', TOKEN], /1024-bit.*at least 2048/],
      [['sign', '--key', fixturePath('ec_p256_private_key.pem'), '--token', TOKEN], /EC key.*RSA/],
      [['sign', '--key', fixturePath('rsa2048_certificate.pem'), '--token', TOKEN], /certificate/],
      [['sign', '--key', path.join(REPO_ROOT, 'no-such-key.pem'), '--token', TOKEN], /no such file/],
      [['sign', '--key', PRIV], /missing --token/],
      [['sign', '--token', TOKEN], /missing --key/],
      [['sign', '--key', PRIV, '--token', TOKEN, '--format', 'query'], /needs --token-key-name/],
      [['sign', '--key', PRIV, '--token', TOKEN, '--format', 'xml'], /--format xml: choose one of/],
      [['sign', '--key', PRIV, '--token', TOKEN, '--token-key-name', 'bad key'], /--token-key-name/],
      [['sign', '--key', PRIV, '--token', 'a\nb', '--format', 'header', '--token-key-name', 'k'], /line break.*HTTP header/],
      [['sign', '--key', PRIV, '--token', TOKEN, '--bogus'], /unknown option --bogus/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
      assertNoKeyMaterial(r.stderr + r.stdout);
    }
  });
});

suite('cli: verify', () => {
  const sig = signToken(TOKEN, fixture('rsa2048_private_key.pem'));

  test('valid: exit 0, names the key and fingerprint', () => {
    const r = cli(['verify', '--public-key', PUB, '--token', TOKEN, '--signature', sig]);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^Valid: .*TEST_ONLY_rsa2048_public_key\.pem/);
    assert.ok(r.stdout.includes(importPublicKey(fixture('rsa2048_public_key.pem')).fingerprint));
  });

  test('two --public-key: the second one verifies and is named', () => {
    const r = cli(['verify', '--public-key', OTHER_PUB, '--public-key', PUB, '--token', TOKEN, '--signature', sig, '--json']);
    assert.strictEqual(r.code, 0);
    assert.strictEqual((JSON.parse(r.stdout) as { keyName: string }).keyName, PUB);
  });

  test('invalid: exit 1 and the diagnosis (echo without -n, piped through GNU-style base64)', () => {
    const bad = signToken(`${TOKEN}\n`, fixture('rsa2048_private_key.pem'));
    const wrapped = (bad.match(/.{1,76}/g) ?? []).join('\n') + '\n';
    const r = cli(['verify', '--public-key', PUB, '--token', TOKEN, '--signature', '-'], { input: wrapped });
    assert.strictEqual(r.code, 1, r.stderr);
    assert.match(r.stdout, /^Invalid/);
    assert.match(r.stdout, /TOKEN_TRAILING_NEWLINE: .*followed by a newline[\s\S]*Fix: /);
    assert.match(r.stdout, /SIGNATURE_LINE_BREAKS/);
  });

  test('--json for machines: valid, findings with code, message, fix', () => {
    const r = cli(['verify', '--public-key', OTHER_PUB, '--token', TOKEN, '--signature', sig, '--json']);
    assert.strictEqual(r.code, 1);
    const json = JSON.parse(r.stdout) as { valid: boolean; findings: Array<{ code: string; message: string; fix: string }> };
    assert.strictEqual(json.valid, false);
    assert.strictEqual(json.findings[0].code, 'DIFFERENT_KEY');
    assert.ok(json.findings[0].fix.length > 0);
  });

  test('bad input exits 2', () => {
    const cases: Array<[string[], RegExp]> = [
      [['verify', '--public-key', PRIV, '--token', TOKEN, '--signature', sig], /holds a private key.*Never register/],
      [['verify', '--token', TOKEN, '--signature', sig], /missing --public-key/],
      [['verify', '--public-key', PUB, '--token', '-', '--signature', '-'], /only one value can come from standard input/],
      [['verify', '--public-key', PUB, '--token', TOKEN], /missing --signature/],
      [['verify', '--public-key', fixturePath('rsa2048_certificate.pem'), '--token', TOKEN, '--signature', sig], /certificate.*x509/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
      assertNoKeyMaterial(r.stderr + r.stdout);
    }
  });

  test('a shell pipeline: echo TOKEN | sign --token - | verify --signature -', function () {
    if (process.platform === 'win32') this.skip();
    const script = `echo "$T" | "$NODE" "$CLI" sign --key "$KEY" --token - | "$NODE" "$CLI" verify --public-key "$PUB" --token "$T" --signature -`;
    const r = spawnSync('sh', ['-c', script], { env: { ...process.env, T: TOKEN, NODE: process.execPath, CLI, KEY: PRIV, PUB }, encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^Valid/);
  });
});

suite('cli: in-process', () => {
  test('stdin is read once, for the one "-" value', async () => {
    const sig = signToken(TOKEN, fixture('rsa2048_private_key.pem'));
    const r = await inProcess(['verify', '--public-key', PUB, '--token', TOKEN, '--signature', '-'], `${sig}\n`);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    const t = await inProcess(['verify', '--public-key', PUB, '--token', '-', '--signature', sig], `${TOKEN}\r\n`);
    assert.strictEqual(t.code, 0, t.stdout + t.stderr);
  });

  test('a token signed with its newline does not verify against the stripped token', async () => {
    const withNewline = signToken(`${TOKEN}\n`, fixture('rsa2048_private_key.pem'));
    const r = await inProcess(['verify', '--public-key', PUB, '--token', '-', '--signature', withNewline], `${TOKEN}\n`);
    assert.strictEqual(r.code, 1);
    assert.match(r.stdout, /TOKEN_TRAILING_NEWLINE/);
  });
});
