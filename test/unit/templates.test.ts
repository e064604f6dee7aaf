// Authorizer templates: the pure scaffold, writing it without overwriting, the pure-Python RS256
// check against Node and openssl, strict type-checking of the TypeScript handlers, and every
// kind x language run through invokeAuthorizer with the real local runtime.
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { ACCOUNT_ID_ENV, LOCAL_ACCOUNT_ID, LOCAL_DEFAULT_REGION } from '../../src/core/constants';
import { UserError } from '../../src/core/errors';
import { generateKeyPair } from '../../src/core/keys';
import { storedKeyFiles } from '../../src/core/keyStore';
import type { HandlerLanguage } from '../../src/core/project';
import { loadProject, parseProject } from '../../src/core/project';
import { validateAuthorizerResponse } from '../../src/core/response';
import { loadTestEvent, parseTestEvent } from '../../src/core/testEvent';
import {
  createAuthorizer,
  SAMPLE_DEVICE,
  SAMPLE_PASSWORD,
  scaffoldAuthorizer,
  ScaffoldConflictError,
  signJwt,
  TEMPLATE_KINDS,
  TEMPLATE_LANGUAGES,
  TemplateKind,
  writeScaffold,
} from '../../src/core/templates';
import { invokeAuthorizer } from '../../src/local/invokeAuthorizer';
import { LocalRuntime } from '../../src/local/runtime';
import { fixture, fixturePath, REPO_ROOT } from './keyFixtures';

const hasPython = spawnSync('python3', ['--version']).status === 0;
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const JWT_KEY = fixture('rsa2048_private_key.pem');

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `iot-authz-${prefix}-`));
}

function scaffoldOf(kind: TemplateKind, language: HandlerLanguage, name = 'DeviceAuth') {
  return scaffoldAuthorizer({ kind, language, name, dir: '/workspace', jwtPrivateKey: kind === 'jwt-bearer' ? JWT_KEY : undefined });
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof UserError, String(e));
    return e.code;
  }
  return undefined;
}

suite('templates: scaffoldAuthorizer (pure)', () => {
  for (const kind of TEMPLATE_KINDS) {
    for (const language of TEMPLATE_LANGUAGES) {
      test(`${kind} / ${language}: handler, four events, a valid project entry`, () => {
        const s = scaffoldOf(kind, language);
        const handler = s.files.filter((f) => f.role === 'handler');
        const events = s.files.filter((f) => f.role === 'event');
        assert.strictEqual(handler.length, 1);
        const ext = { python: '.py', typescript: '.ts', javascript: '.mjs' }[language];
        assert.ok(handler[0].path.startsWith('authorizers/DeviceAuth/') && handler[0].path.endsWith(ext), handler[0].path);
        assert.deepStrictEqual(events.map((e) => path.posix.basename(e.path)).slice(0, 3), ['http.authz.json', 'mqtt.authz.json', 'mqtt-wss.authz.json']);
        assert.strictEqual(events.length, 4);
        assert.ok(events.some((e) => e.expect === 'denied' && e.path.includes('/denied-')));
        for (const e of events) {
          const parsed = parseTestEvent(e.content, e.path);
          assert.deepStrictEqual(parsed.issues, [], e.path);
          assert.strictEqual(parsed.request?.authorizer, 'DeviceAuth');
        }
        const project = parseProject(JSON.stringify({ authorizers: [s.projectEntry] }), '/workspace/iot-authorizer.json');
        assert.deepStrictEqual(project.issues, []);
        const config = project.project?.authorizers[0];
        assert.strictEqual(config?.handlerFile, path.resolve('/workspace', handler[0].path));
        assert.strictEqual(config?.language, language);
        assert.strictEqual(config?.signingDisabled, kind !== 'signed-token');
        // Region and account come from the environment, with the shared placeholders as fallback.
        const source = handler[0].content;
        for (const text of ['AWS_REGION', ACCOUNT_ID_ENV, LOCAL_DEFAULT_REGION, LOCAL_ACCOUNT_ID, 'client/${iot:ClientId}', 'topicfilter/devices/']) {
          assert.ok(source.includes(text), `${text} missing`);
        }
        assert.ok(!/'undefined'|: undefined,|\bNaN\b|\[object /.test(source), 'a template value was not filled in');
      });
    }
  }

  test('signed-token: signing key, token key name and signed events', () => {
    const s = scaffoldAuthorizer({ kind: 'signed-token', language: 'python', name: 'Tok@en', dir: '/w', signingKey: 'prod-1' });
    assert.deepStrictEqual(s.projectEntry.signingKeys, ['prod-1']);
    assert.strictEqual(s.projectEntry.tokenKeyName, 'X-Device-Token');
    assert.deepStrictEqual(s.keys, { signing: 'prod-1' });
    assert.ok(s.files[0].path.startsWith('authorizers/Tok_en/'), 'folder name without @');
    for (const e of s.files.filter((f) => f.role === 'event')) assert.deepStrictEqual(parseTestEvent(e.content).request?.credentials?.signature, { sign: 'prod-1' });
    assert.strictEqual(scaffoldAuthorizer({ kind: 'signed-token', language: 'python', name: 'A=b', dir: '/w' }).keys.signing, 'A-b', 'default key name is a valid key store name');
  });

  test('jwt-bearer: needs the issuer key; embeds its public key; events carry JWTs it signed', () => {
    assert.strictEqual(codeOf(() => scaffoldAuthorizer({ kind: 'jwt-bearer', language: 'python', name: 'J', dir: '/w' })), 'JWT_KEY_REQUIRED');
    const s = scaffoldOf('jwt-bearer', 'javascript');
    const publicPem = crypto.createPublicKey(JWT_KEY).export({ type: 'spki', format: 'pem' }).toString().trim();
    assert.ok(s.files[0].content.includes(publicPem));
    assert.ok(!s.files.some((f) => f.content.includes('PRIVATE KEY')), 'no private key in any file');
    const event = parseTestEvent(s.files[2].content).request;
    const [head, payload, sig] = (event?.credentials?.token ?? '').split('.');
    assert.ok(crypto.verify('sha256', Buffer.from(`${head}.${payload}`), crypto.createPublicKey(JWT_KEY), Buffer.from(sig, 'base64url')));
    assert.strictEqual(JSON.parse(Buffer.from(payload, 'base64url').toString()).sub, SAMPLE_DEVICE);
    assert.deepStrictEqual(scaffoldOf('jwt-bearer', 'javascript'), s, 'pure: same input, same output');
  });

  test('mqtt-username-password: the password is stored as a hash, only events hold it', () => {
    const s = scaffoldOf('mqtt-username-password', 'typescript');
    const hash = crypto.createHash('sha256').update(SAMPLE_PASSWORD).digest('hex');
    assert.ok(s.files[0].content.includes(hash) && !s.files[0].content.includes(SAMPLE_PASSWORD));
    assert.strictEqual(s.projectEntry.signingDisabled, true);
    assert.strictEqual(s.projectEntry.tokenKeyName, undefined);
  });

  test('refuses bad names, kinds, languages and handler paths', () => {
    const base = { kind: 'signed-token' as const, language: 'python' as const, name: 'Ok', dir: '/w' };
    assert.strictEqual(codeOf(() => scaffoldAuthorizer({ ...base, name: 'has space' })), 'AUTHORIZER_NAME_INVALID');
    assert.strictEqual(codeOf(() => scaffoldAuthorizer({ ...base, kind: 'oauth' as TemplateKind })), 'TEMPLATE_UNKNOWN');
    assert.strictEqual(codeOf(() => scaffoldAuthorizer({ ...base, language: 'go' as HandlerLanguage })), 'TEMPLATE_UNKNOWN');
    assert.strictEqual(codeOf(() => scaffoldAuthorizer({ ...base, handlerPath: 'src/auth.js' })), 'HANDLER_PATH_INVALID');
    assert.strictEqual(codeOf(() => scaffoldAuthorizer({ ...base, handlerPath: '../outside/auth.py' })), 'HANDLER_PATH_INVALID');
    assert.strictEqual(codeOf(() => scaffoldAuthorizer({ ...base, handlerPath: '/abs/auth.py' })), 'HANDLER_PATH_INVALID');
    const custom = scaffoldAuthorizer({ ...base, handlerPath: 'src/auth/main.py' });
    assert.strictEqual(custom.projectEntry.handler, 'src/auth/main.py:lambda_handler');
    assert.ok(custom.files[1].path.startsWith('src/auth/events/'));
  });
});

suite('templates: writeScaffold', () => {
  let dir: string;
  setup(() => {
    dir = tempDir('scaffold');
  });
  teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  const listFiles = (d: string): string[] =>
    fs.readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(d, path.join(e.parentPath, e.name))).sort();

  test('creates the files and iot-authorizer.json', async () => {
    const s = scaffoldOf('signed-token', 'javascript');
    const written = await writeScaffold(dir, s);
    assert.strictEqual(written.projectCreated, true);
    assert.deepStrictEqual(listFiles(dir), [...s.files.map((f) => f.path.split('/').join(path.sep)), 'iot-authorizer.json'].sort());
    const loaded = loadProject(path.join(dir, 'iot-authorizer.json'));
    assert.deepStrictEqual(loaded.issues, []);
    assert.strictEqual(loaded.project?.authorizers[0].name, 'DeviceAuth');
  });

  test('adds to an existing project, keeping its comments and other content', async () => {
    const before = '{\n  // ours\n  "authorizers": [\n    { "name": "Old", "handler": "old.py:h", "runtime": "python3.12", "signingDisabled": true }\n  ],\n  "defaultAuthorizer": "Old"\n}\n';
    fs.writeFileSync(path.join(dir, 'iot-authorizer.json'), before);
    const written = await writeScaffold(dir, scaffoldOf('jwt-bearer', 'python'));
    assert.strictEqual(written.projectCreated, false);
    const text = fs.readFileSync(path.join(dir, 'iot-authorizer.json'), 'utf8');
    assert.ok(text.includes('// ours') && text.includes('"defaultAuthorizer": "Old"'));
    const loaded = loadProject(path.join(dir, 'iot-authorizer.json'));
    assert.deepStrictEqual(loaded.issues, []);
    assert.deepStrictEqual(loaded.project?.authorizers.map((a) => a.name), ['Old', 'DeviceAuth']);
  });

  test('a project without "authorizers" gets the list', async () => {
    fs.writeFileSync(path.join(dir, 'iot-authorizer.json'), '{ "note": "x" }\n');
    await writeScaffold(dir, scaffoldOf('signed-token', 'python'));
    assert.deepStrictEqual(loadProject(path.join(dir, 'iot-authorizer.json')).project?.authorizers.map((a) => a.name), ['DeviceAuth']);
  });

  test('refuses an existing file (FILE_EXISTS, all conflicts listed) and writes nothing', async () => {
    const s = scaffoldOf('signed-token', 'python');
    const clash = path.join(dir, s.files[1].path);
    fs.mkdirSync(path.dirname(clash), { recursive: true });
    fs.writeFileSync(clash, 'mine');
    await assert.rejects(writeScaffold(dir, s), (e: unknown) => {
      assert.ok(e instanceof ScaffoldConflictError);
      assert.strictEqual(e.code, 'FILE_EXISTS');
      assert.deepStrictEqual(e.conflicts, [clash]);
      return true;
    });
    assert.strictEqual(fs.readFileSync(clash, 'utf8'), 'mine');
    assert.deepStrictEqual(listFiles(dir), [path.relative(dir, clash)], 'nothing else written');
  });

  test('refuses a duplicate authorizer name (AUTHORIZER_EXISTS) and writes nothing', async () => {
    const project = '{ "authorizers": [ { "name": "DeviceAuth", "handler": "a.py:h", "runtime": "python3.12", "signingDisabled": true } ] }';
    fs.writeFileSync(path.join(dir, 'iot-authorizer.json'), project);
    await assert.rejects(writeScaffold(dir, scaffoldOf('signed-token', 'python')), (e: unknown) => e instanceof ScaffoldConflictError && e.code === 'AUTHORIZER_EXISTS');
    assert.deepStrictEqual(listFiles(dir), ['iot-authorizer.json']);
    assert.strictEqual(fs.readFileSync(path.join(dir, 'iot-authorizer.json'), 'utf8'), project);
  });

  test('refuses to edit a project file that is not valid JSON', async () => {
    fs.writeFileSync(path.join(dir, 'iot-authorizer.json'), '{ "authorizers": [ ');
    await assert.rejects(writeScaffold(dir, scaffoldOf('signed-token', 'python')), (e: unknown) => e instanceof ScaffoldConflictError && e.code === 'PROJECT_INVALID');
    assert.deepStrictEqual(listFiles(dir), ['iot-authorizer.json']);
  });

  test('overwrite: replaces the files and the entry of the same name', async () => {
    await writeScaffold(dir, scaffoldOf('signed-token', 'python'));
    const again = scaffoldOf('mqtt-username-password', 'python');
    await writeScaffold(dir, again, { overwrite: true });
    const loaded = loadProject(path.join(dir, 'iot-authorizer.json'));
    assert.strictEqual(loaded.project?.authorizers.length, 1);
    assert.strictEqual(loaded.project?.authorizers[0].signingDisabled, true);
    assert.strictEqual(fs.readFileSync(path.join(dir, again.files[0].path), 'utf8'), again.files[0].content);
  });

  test('createAuthorizer generates a missing key, reuses an existing one, never overwrites it', async () => {
    const first = await createAuthorizer(dir, { kind: 'signed-token', language: 'python', name: 'A1', signingKey: 'shared' });
    assert.deepStrictEqual(first.generatedKeys, ['shared']);
    const keyFile = storedKeyFiles(dir, 'shared').privateKeyFile;
    const key = fs.readFileSync(keyFile, 'utf8');
    if (process.platform !== 'win32') assert.strictEqual(fs.statSync(keyFile).mode & 0o777, 0o600);
    const second = await createAuthorizer(dir, { kind: 'signed-token', language: 'javascript', name: 'A2', signingKey: 'shared' });
    assert.deepStrictEqual(second.generatedKeys, []);
    assert.strictEqual(fs.readFileSync(keyFile, 'utf8'), key);
    await assert.rejects(createAuthorizer(dir, { kind: 'jwt-bearer', language: 'python', name: 'A1' }), (e: unknown) => e instanceof ScaffoldConflictError);
    assert.ok(!fs.existsSync(storedKeyFiles(dir, 'A1-jwt').dir), 'no key generated for a refused scaffold');
  });
});

suite('templates: RS256 in pure Python', function () {
  this.timeout(30_000);
  let dir: string;
  let handlerFile: string;

  suiteSetup(function () {
    if (!hasPython) this.skip();
    dir = tempDir('rs256');
    const s = scaffoldOf('jwt-bearer', 'python');
    handlerFile = path.join(dir, 'handler.py');
    fs.writeFileSync(handlerFile, s.files[0].content);
  });
  suiteTeardown(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs rs256_valid / verified_claims / rsa_public_numbers of the generated handler. */
  function python(script: string, input: unknown, env: Record<string, string> = {}): unknown {
    const prelude = [
      'import base64, importlib.util, json, sys',
      `spec = importlib.util.spec_from_file_location('handler', ${JSON.stringify(handlerFile)})`,
      'h = importlib.util.module_from_spec(spec)',
      'spec.loader.exec_module(h)',
      'data = json.load(sys.stdin)',
    ].join('\n');
    const r = spawnSync('python3', ['-c', `${prelude}\n${script}`], { input: JSON.stringify(input), encoding: 'utf8', env: { ...process.env, ...env } });
    assert.strictEqual(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  }

  const check = (cases: Array<{ message: string; signature: string }>, env: Record<string, string> = {}) =>
    python("print(json.dumps([h.rs256_valid(c['message'].encode(), base64.b64decode(c['signature'])) for c in data]))", cases, env);

  test('reads n and e of the embedded key as Node does', () => {
    const jwk = crypto.createPublicKey(JWT_KEY).export({ format: 'jwk' });
    const hex = (b64url: string | undefined) => BigInt(`0x${Buffer.from(b64url ?? '', 'base64url').toString('hex')}`).toString(16);
    assert.deepStrictEqual(python("print(json.dumps([format(h.N, 'x'), format(h.E, 'x')]))", null), [hex(jwk.n), hex(jwk.e)]);
  });

  test('accepts Node signatures; rejects other messages, other keys, altered and short signatures', () => {
    const message = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZW5zb3IxIn0';
    const sign = (key: string, text: string) => crypto.sign('sha256', Buffer.from(text), key).toString('base64');
    const good = sign(JWT_KEY, message);
    const flipped = Buffer.from(good, 'base64');
    flipped[100] ^= 1;
    assert.deepStrictEqual(
      check([
        { message, signature: good },
        { message: `${message}x`, signature: good },
        { message, signature: sign(fixture('other_rsa2048_private_key.pem'), message) },
        { message, signature: flipped.toString('base64') },
        { message, signature: Buffer.from(good, 'base64').subarray(1).toString('base64') },
        { message, signature: '' },
      ]),
      [true, false, false, false, false, false],
    );
  });

  test('agrees with openssl dgst -sha256 -sign', function () {
    if (!hasOpenssl) this.skip();
    const message = 'header.payload';
    const signature = execFileSync('openssl', ['dgst', '-sha256', '-sign', fixturePath('rsa2048_private_key.pem')], { input: message }).toString('base64');
    assert.deepStrictEqual(check([{ message, signature }]), [true]);
  });

  test('a 3072-bit key from JWT_PUBLIC_KEY; a generated 4096-bit one', async () => {
    const pub3072 = fixture('rsa3072_public_key.pem');
    const sig3072 = crypto.sign('sha256', Buffer.from('m'), fixture('rsa3072_private_key.pem')).toString('base64');
    assert.deepStrictEqual(check([{ message: 'm', signature: sig3072 }, { message: 'm', signature: crypto.sign('sha256', Buffer.from('m'), JWT_KEY).toString('base64') }], { JWT_PUBLIC_KEY: pub3072 }), [true, false]);
    const big = await generateKeyPair(4096);
    assert.deepStrictEqual(check([{ message: 'm', signature: crypto.sign('sha256', Buffer.from('m'), big.privateKeyPem).toString('base64') }], { JWT_PUBLIC_KEY: big.publicKeyPem }), [true]);
  });

  test('verified_claims: only RS256 JWTs with a valid signature', () => {
    const key = crypto.createPrivateKey(JWT_KEY);
    const good = signJwt({ sub: 'd1' }, key);
    const [, payload, sig] = good.split('.');
    const noneAlg = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    const hs256 = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${payload}.${sig}`;
    const out = python("print(json.dumps([h.verified_claims(t) for t in data]))", [good, noneAlg, hs256, 'a.b', 'not.base64!.x', `${good}x`]);
    assert.deepStrictEqual(out, [{ sub: 'd1' }, null, null, null, null, null]);
  });
});

suite('templates: TypeScript handlers type-check under strict', function () {
  this.timeout(60_000);
  test('every kind compiles with tsc --strict against @types/node', () => {
    const dir = tempDir('tsc');
    try {
      const files = TEMPLATE_KINDS.map((kind) => {
        const file = path.join(dir, `${kind}.ts`);
        fs.writeFileSync(file, scaffoldOf(kind, 'typescript').files[0].content);
        return file;
      });
      const program = ts.createProgram(files, {
        strict: true,
        noEmit: true,
        noUnusedLocals: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        types: ['node'],
        typeRoots: [path.join(REPO_ROOT, 'node_modules/@types')],
      });
      const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      assert.deepStrictEqual(diagnostics, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** What each denial event's handler logs: proof it was refused for the intended reason. */
const DENIAL_REASON: Readonly<Record<TemplateKind, Record<string, RegExp>>> = {
  'signed-token': { 'denied-expired': /Denied: the token has expired/ },
  'mqtt-username-password': { http: /Denied: no MQTT username and password/, 'denied-wrong-password': /Denied: wrong user name or password for "sensor1"/ },
  'jwt-bearer': { 'denied-expired': /Denied: the JWT has expired/ },
};

suite('templates: every generated event through the real runtime', function () {
  this.timeout(120_000);
  let runtime: LocalRuntime;
  const dirs: string[] = [];
  suiteSetup(() => {
    runtime = new LocalRuntime();
  });
  suiteTeardown(async () => {
    await runtime.dispose();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  for (const kind of TEMPLATE_KINDS) {
    for (const language of TEMPLATE_LANGUAGES) {
      test(`${kind} / ${language}`, async function () {
        if (language === 'python' && !hasPython) this.skip();
        const root = tempDir('tpl');
        dirs.push(root);
        const name = `${kind.replace(/-/g, '')}${language}`;
        const created = await createAuthorizer(root, { kind, language, name });
        assert.deepStrictEqual(created.generatedKeys, kind === 'mqtt-username-password' ? [] : [kind === 'jwt-bearer' ? `${name}-jwt` : name]);
        const loaded = loadProject(created.projectFile);
        assert.deepStrictEqual(loaded.issues, []);
        const project = loaded.project;
        assert.ok(project);
        for (const file of created.scaffold.files.filter((f) => f.role === 'event')) {
          const eventFile = path.join(root, file.path);
          const request = loadTestEvent(eventFile).request;
          assert.ok(request, file.path);
          const r = await invokeAuthorizer(runtime, { project, request, eventFile });
          const where = `${file.path}: ${r.headline}\n${r.logs.text}`;
          assert.strictEqual(r.outcome, file.expect, where);
          assert.strictEqual(r.error, undefined, where);
          // The answer passes the response rules as generated: no errors, no warnings.
          const validation = validateAuthorizerResponse(r.response);
          assert.deepStrictEqual(validation.findings.filter((f) => f.severity !== 'info'), [], where);
          assert.strictEqual(r.signature.status, kind === 'signed-token' ? 'verified' : 'disabled', where);
          const base = path.posix.basename(file.path, '.authz.json');
          if (file.expect === 'denied') {
            assert.match(r.logs.text, DENIAL_REASON[kind][base], where);
            continue;
          }
          assert.strictEqual(r.request.clientId, request.protocol === 'http' ? undefined : SAMPLE_DEVICE);
          assert.strictEqual(r.validation?.normalized?.principalId, SAMPLE_DEVICE);
          assert.deepStrictEqual(r.evaluation?.summary.warnings, [], where);
          const decisions = r.evaluation?.decisions ?? [];
          if (request.protocol !== 'http') assert.ok(decisions.some((d) => d.action === 'iot:Connect' && d.allowed), where);
          for (const action of ['iot:Publish', 'iot:Subscribe', 'iot:Receive']) {
            assert.ok(decisions.some((d) => d.action === action && d.allowed && d.resourceArn.includes(`/devices/${SAMPLE_DEVICE}/`)), `${action} ${where}`);
          }
          assert.ok(decisions.every((d) => d.allowed), where);
        }
        if (kind === 'mqtt-username-password') {
          const eventFile = path.join(root, created.scaffold.files[2].path);
          const r = await invokeAuthorizer(runtime, { project, request: loadTestEvent(eventFile).request!, eventFile });
          const text = JSON.stringify(r);
          assert.ok(!text.includes(SAMPLE_PASSWORD) && !text.includes(Buffer.from(SAMPLE_PASSWORD).toString('base64')), 'password in the result');
        }
      });
    }
  }

  test('the same handlers refuse what they must: another device, a forged token, a wrong client id', async function () {
    const root = tempDir('tpl-neg');
    dirs.push(root);
    const jwt = await createAuthorizer(root, { kind: 'jwt-bearer', language: 'javascript', name: 'J' });
    const pw = await createAuthorizer(root, { kind: 'mqtt-username-password', language: 'javascript', name: 'P' });
    assert.ok(jwt && pw);
    const project = loadProject(path.join(root, 'iot-authorizer.json')).project;
    assert.ok(project);
    const attempt = async (fields: Record<string, unknown>) => {
      const request = parseTestEvent(JSON.stringify(fields)).request;
      assert.ok(request);
      return invokeAuthorizer(runtime, { project, request });
    };
    const otherKey = crypto.createPrivateKey(fixture('other_rsa2048_private_key.pem'));
    const forged = signJwt({ sub: 'sensor1', exp: 4_102_444_800 }, otherKey);
    let r = await attempt({ authorizer: 'J', protocol: 'http', credentials: { token: forged } });
    assert.strictEqual(r.outcome, 'denied');
    assert.match(r.logs.text, /not an RS256 JWT signed by the issuer/);
    const goodJwt = parseTestEvent(jwt.scaffold.files[2].content).request?.credentials?.token;
    r = await attempt({ authorizer: 'J', protocol: 'mqtt', mqtt: { clientId: 'sensor2' }, credentials: { token: goodJwt } });
    assert.strictEqual(r.outcome, 'denied');
    assert.match(r.logs.text, /client id is not the JWT subject/);
    r = await attempt({ authorizer: 'P', protocol: 'mqtt', mqtt: { clientId: 'sensor2', username: 'sensor2?x-amz-customauthorizer-name=P', password: SAMPLE_PASSWORD } });
    assert.strictEqual(r.outcome, 'denied');
    assert.match(r.logs.text, /wrong user name or password for "sensor2"/);
  });
});
