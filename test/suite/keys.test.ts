// Signing keys and tokens, through the real commands in the extension host: what lands on
// disk (and with which modes), in SecretStorage, on the clipboard, and what the user reads
// when an input is refused. Prompts and messages are answered by a stand-in for the user.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../src/extension';
import { KEY_STORE_GITIGNORE_ENTRY, MAX_TOKEN_LENGTH, PRIVATE_KEY_STORAGE_SETTING } from '../../src/core/constants';
import { importPrivateKey, importPublicKey } from '../../src/core/keys';
import { deleteKey, storedKeyFiles } from '../../src/core/keyStore';
import { signToken, VerifyResult } from '../../src/core/tokens';
import type { StoredKeyResult } from '../../src/vscode/keyCommands';
import { keyNameProblem } from '../../src/vscode/keyCommands';
import type { SignTokenResult } from '../../src/vscode/tokenCommands';
import { tokenProblem } from '../../src/vscode/tokenCommands';
import type { AuthorizerExplorer } from '../../src/vscode/explorer';
import { assertNoKeyMaterial, fixture, fixturePath, TEST_PASSPHRASE } from '../unit/keyFixtures';

const EXTENSION_ID = 'iot-authz-dev.iot-authorizer-toolkit';
const isWindows = process.platform === 'win32';

type Kind = 'error' | 'warning' | 'info';
interface Shown {
  readonly kind: Kind;
  readonly message: string;
  readonly items: readonly string[];
  readonly modal: boolean;
}

/**
 * Stands in for the user: records every message the extension shows and answers messages,
 * input boxes and quick picks with the given functions (default: dismiss / Escape).
 */
class FakeUser {
  readonly shown: Shown[] = [];
  readonly inputs: vscode.InputBoxOptions[] = [];
  answerMessage: (m: Shown) => string | undefined = () => undefined;
  answerInput: (o: vscode.InputBoxOptions) => string | undefined = () => undefined;
  answerPick: (items: readonly vscode.QuickPickItem[]) => vscode.QuickPickItem | undefined = () => undefined;
  private readonly originals = new Map<string, unknown>();
  private readonly window = vscode.window as unknown as Record<string, unknown>;

  install(): void {
    const message = (kind: Kind) => (message: string, ...rest: unknown[]) => {
      const options = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as vscode.MessageOptions) : undefined;
      const items = rest.filter((r): r is string => typeof r === 'string');
      const shown = { kind, message, items, modal: options?.modal === true };
      this.shown.push(shown);
      return Promise.resolve(this.answerMessage(shown));
    };
    this.patch('showErrorMessage', message('error'));
    this.patch('showWarningMessage', message('warning'));
    this.patch('showInformationMessage', message('info'));
    this.patch('showInputBox', (o: vscode.InputBoxOptions) => {
      this.inputs.push(o);
      return Promise.resolve(this.answerInput(o));
    });
    this.patch('showQuickPick', async (items: readonly vscode.QuickPickItem[] | Thenable<readonly vscode.QuickPickItem[]>) => this.answerPick(await items));
  }

  private patch(name: string, fn: unknown): void {
    this.originals.set(name, this.window[name]);
    this.window[name] = fn;
  }

  restore(): void {
    for (const [name, fn] of this.originals) this.window[name] = fn;
    this.originals.clear();
  }

  reset(): void {
    this.shown.length = 0;
    this.inputs.length = 0;
    this.answerMessage = () => undefined;
    this.answerInput = () => undefined;
    this.answerPick = () => undefined;
  }

  errors(): string[] {
    return this.shown.filter((s) => s.kind === 'error').map((s) => s.message);
  }

  /** The one error the last command showed. */
  lastError(): string {
    const errors = this.errors();
    assert.strictEqual(errors.length, 1, `expected one error message, got: ${JSON.stringify(this.shown)}`);
    return errors[0];
  }
}

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

async function until(what: string, check: () => boolean, timeoutMs = 10000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function run<T>(command: string, arg?: unknown): Promise<T | undefined> {
  return Promise.resolve(vscode.commands.executeCommand<T | undefined>(command, arg));
}

suite('keys and tokens (extension host)', () => {
  let api: ExtensionApi;
  let root: string;
  const user = new FakeUser();
  const created = new Set<string>();
  const tempDirs: string[] = [];
  const name = (base: string) => {
    const n = `t-${base}-${crypto.randomBytes(3).toString('hex')}`;
    created.add(n);
    return n;
  };

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    user.install();
  });
  setup(() => user.reset());
  suiteTeardown(async () => {
    user.restore();
    for (const n of created) await deleteKey(root, n);
    for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('the stand-in user sees what the command wrapper shows', async () => {
    await run('iotAuthz.generateKeyPair', { keyName: 'bad name!', bits: 2048 });
    assert.match(user.lastError(), /^Generate Signing Key Pair: "bad name!" is not a valid signing key name/);
  });

  test('Generate: 0600 private key in a 0700 folder, 0644 public key, the fingerprint keys.ts computes; the explorer refreshes', async () => {
    const explorer = (api.features as { explorer: AuthorizerExplorer }).explorer;
    let refreshed = 0;
    const sub = explorer.onDidChangeTreeData(() => refreshed++);
    const keyName = name('gen');
    try {
      const r = await run<StoredKeyResult>('iotAuthz.generateKeyPair', { keyName, bits: 2048, addToGitignore: false });
      assert.ok(r, JSON.stringify(user.shown));
      const files = storedKeyFiles(root, keyName);
      assert.strictEqual(r.publicKeyPath, files.publicKeyFile);
      assert.strictEqual(r.storage, 'workspaceFile');
      assert.strictEqual(r.bits, 2048);
      if (!isWindows) {
        assert.strictEqual(mode(files.privateKeyFile), 0o600);
        assert.strictEqual(mode(files.dir), 0o700);
        assert.strictEqual(mode(files.publicKeyFile), 0o644);
      }
      const priv = importPrivateKey(fs.readFileSync(files.privateKeyFile, 'utf8'));
      const pub = importPublicKey(fs.readFileSync(files.publicKeyFile, 'utf8'));
      assert.strictEqual(r.fingerprint, pub.fingerprint);
      assert.strictEqual(r.fingerprint, priv.fingerprint);
      assert.ok(refreshed > 0, 'the explorer was refreshed');
      const info = user.shown.find((s) => s.kind === 'info');
      assert.ok(info && info.message.includes(r.fingerprint), 'the fingerprint is shown');
      assertNoKeyMaterial(JSON.stringify(user.shown) + JSON.stringify(r));
      // The example workspace copy sits in the repository's git-ignored run folder.
      assert.strictEqual(r.gitignore, 'alreadyIgnored');
    } finally {
      sub.dispose();
    }
  });

  test('Generate refuses to overwrite an existing key unless confirmed; the old key stays byte for byte', async () => {
    const keyName = name('exists');
    const first = await run<StoredKeyResult>('iotAuthz.generateKeyPair', { keyName, bits: 2048 });
    assert.ok(first);
    const files = storedKeyFiles(root, keyName);
    const before = [fs.readFileSync(files.privateKeyFile, 'utf8'), fs.readFileSync(files.publicKeyFile, 'utf8')];
    const unchanged = () => assert.deepStrictEqual([fs.readFileSync(files.privateKeyFile, 'utf8'), fs.readFileSync(files.publicKeyFile, 'utf8')], before);

    user.reset();
    assert.strictEqual(await run('iotAuthz.generateKeyPair', { keyName, bits: 2048, overwrite: false }), undefined);
    assert.match(user.lastError(), new RegExp(`Key "${keyName}" already exists .*not overwritten`));
    unchanged();

    // Without the argument a person is asked, in a modal; dismissing it keeps the key.
    user.reset();
    assert.strictEqual(await run('iotAuthz.generateKeyPair', { keyName, bits: 2048 }), undefined);
    const ask = user.shown.find((s) => s.modal);
    assert.ok(ask, 'a modal confirmation was shown');
    assert.strictEqual(ask.message, `Overwrite key "${keyName}"? The old private key will be lost.`);
    assert.deepStrictEqual(user.errors(), []);
    unchanged();

    user.reset();
    user.answerMessage = (m) => (m.modal ? 'Overwrite' : undefined);
    const second = await run<StoredKeyResult>('iotAuthz.generateKeyPair', { keyName, bits: 2048 });
    assert.ok(second && second.fingerprint !== first.fingerprint);
    assert.strictEqual(importPublicKey(fs.readFileSync(files.publicKeyFile, 'utf8')).fingerprint, second.fingerprint);

    const third = await run<StoredKeyResult>('iotAuthz.generateKeyPair', { keyName, bits: 2048, overwrite: true });
    assert.ok(third && third.fingerprint !== second.fingerprint);
    if (!isWindows) assert.strictEqual(mode(files.privateKeyFile), 0o600);
    assert.deepStrictEqual(fs.readdirSync(files.dir).sort(), ['private_key.pem', 'public_key.pem']);
  });

  test('the .gitignore offer: adds .iot-authz/keys/ once, keeps the existing content, is skipped when declined', async function () {
    try {
      execFileSync('git', ['--version'], { stdio: 'ignore' });
    } catch {
      this.skip();
    }
    const repo = (gitignore?: string): string => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-gitignore-'));
      tempDirs.push(dir);
      execFileSync('git', ['init', '-q'], { cwd: dir });
      if (gitignore !== undefined) fs.writeFileSync(path.join(dir, '.gitignore'), gitignore);
      return dir;
    };
    const existing = 'node_modules/\n*.log'; // no final newline on purpose
    const dir = repo(existing);
    const a = await run<StoredKeyResult>('iotAuthz.generateKeyPair', { keyName: 'first', bits: 2048, workspaceFolder: dir, addToGitignore: true });
    assert.strictEqual(a?.gitignore, 'added');
    const text = fs.readFileSync(path.join(dir, '.gitignore'), 'utf8');
    assert.ok(text.startsWith(`${existing}\n`), text);
    assert.strictEqual(text.split('\n').filter((l) => l === KEY_STORE_GITIGNORE_ENTRY).length, 1);
    assert.strictEqual(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir, encoding: 'utf8' }).trim(), '?? .gitignore', 'git ignores the key files');
    const b = await run<StoredKeyResult>('iotAuthz.generateKeyPair', { keyName: 'second', bits: 2048, workspaceFolder: dir, addToGitignore: true });
    assert.strictEqual(b?.gitignore, 'alreadyIgnored');
    assert.strictEqual(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8'), text, 'added once');

    const declined = repo('dist/\n');
    const c = await run<StoredKeyResult>('iotAuthz.generateKeyPair', { keyName: 'k', bits: 2048, workspaceFolder: declined, addToGitignore: false });
    assert.strictEqual(c?.gitignore, 'declined');
    assert.strictEqual(fs.readFileSync(path.join(declined, '.gitignore'), 'utf8'), 'dist/\n');

    // Asked as a person would be: the warning offers "Add to .gitignore"; answering it adds the line.
    user.reset();
    const asked = repo();
    user.answerMessage = (m) => (m.items.includes('Add to .gitignore') ? 'Add to .gitignore' : undefined);
    const d = await run<StoredKeyResult>('iotAuthz.generateKeyPair', { keyName: 'k', bits: 2048, workspaceFolder: asked });
    assert.strictEqual(d?.gitignore, 'offered');
    const offer = user.shown.find((s) => s.items.includes('Add to .gitignore'));
    assert.ok(offer && /\.iot-authz\/keys\/ is not ignored by git/.test(offer.message));
    const gitignore = path.join(asked, '.gitignore');
    await until('.gitignore written', () => fs.existsSync(gitignore) && fs.readFileSync(gitignore, 'utf8').includes(KEY_STORE_GITIGNORE_ENTRY));
  });

  test('SecretStorage round trip: no private_key.pem on disk, signing works, the signature verifies with the public key', async () => {
    const config = vscode.workspace.getConfiguration();
    await config.update(PRIVATE_KEY_STORAGE_SETTING, 'secretStorage', vscode.ConfigurationTarget.Workspace);
    const keyName = name('secret');
    const files = storedKeyFiles(root, keyName);
    try {
      const r = await run<StoredKeyResult>('iotAuthz.generateKeyPair', { keyName, bits: 2048 });
      assert.ok(r, JSON.stringify(user.shown));
      assert.strictEqual(r.storage, 'secretStorage');
      assert.strictEqual(r.gitignore, 'notApplicable');
      assert.ok(!fs.existsSync(files.privateKeyFile), 'no private key file');
      assert.deepStrictEqual(fs.readdirSync(files.dir), ['public_key.pem']);
      const token = 'secret-storage-token';
      const signed = await run<SignTokenResult>('iotAuthz.signToken', { keyName, token });
      assert.ok(signed, JSON.stringify(user.shown));
      const pub = importPublicKey(fs.readFileSync(files.publicKeyFile, 'utf8'));
      assert.ok(crypto.verify('sha256', Buffer.from(token), pub.keyObject, Buffer.from(signed.signature, 'base64')));
      assert.strictEqual(signed.fingerprint, r.fingerprint);
      const verified = await run<VerifyResult>('iotAuthz.verifySignature', { token, signature: signed.signature, keyNames: [keyName] });
      assert.strictEqual(verified?.valid, true);
      // An existing SecretStorage key is an existing key.
      user.reset();
      await run('iotAuthz.generateKeyPair', { keyName, bits: 2048, overwrite: false });
      assert.match(user.lastError(), /already exists \(VS Code SecretStorage\)/);
    } finally {
      await config.update(PRIVATE_KEY_STORAGE_SETTING, undefined, vscode.ConfigurationTarget.Workspace);
    }
    // Replacing it with a file key removes the secret: with the file gone there is nothing to sign with.
    const replaced = await run<StoredKeyResult>('iotAuthz.generateKeyPair', { keyName, bits: 2048, overwrite: true });
    assert.strictEqual(replaced?.storage, 'workspaceFile');
    fs.rmSync(files.privateKeyFile);
    user.reset();
    assert.strictEqual(await run('iotAuthz.signToken', { keyName, token: 't' }), undefined);
    assert.match(user.lastError(), /has only its public key here/);
  });

  test('Import an openssl key (PKCS#8, PKCS#1, encrypted, public only): same fingerprint, stored like a generated one', async () => {
    const pkcs8 = name('imp8');
    const r = await run<StoredKeyResult>('iotAuthz.importKey', { keyName: pkcs8, file: fixturePath('rsa2048_private_key.pem') });
    assert.ok(r, JSON.stringify(user.shown));
    const expected = importPrivateKey(fixture('rsa2048_private_key.pem')).fingerprint;
    assert.strictEqual(r.fingerprint, expected);
    const files = storedKeyFiles(root, pkcs8);
    if (!isWindows) assert.strictEqual(mode(files.privateKeyFile), 0o600);
    assert.strictEqual(importPrivateKey(fs.readFileSync(files.privateKeyFile, 'utf8')).fingerprint, expected);
    assert.strictEqual(fs.readFileSync(files.publicKeyFile, 'utf8'), fixture('rsa2048_public_key.pem'));

    const pkcs1 = name('imp1');
    const r1 = await run<StoredKeyResult>('iotAuthz.importKey', { keyName: pkcs1, file: fixturePath('rsa2048_pkcs1_private_key.pem') });
    assert.strictEqual(r1?.fingerprint, expected);

    // Encrypted: stays encrypted on disk; signing asks for the passphrase once per session.
    const enc = name('impenc');
    const re = await run<StoredKeyResult>('iotAuthz.importKey', { keyName: enc, file: fixturePath('rsa2048_encrypted_private_key.pem'), passphrase: TEST_PASSPHRASE });
    assert.strictEqual(re?.fingerprint, expected);
    assert.match(fs.readFileSync(storedKeyFiles(root, enc).privateKeyFile, 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    user.reset();
    user.answerInput = (o) => (o.password ? TEST_PASSPHRASE : undefined);
    const s1 = await run<SignTokenResult>('iotAuthz.signToken', { keyName: enc, token: 'tok' });
    assert.strictEqual(s1?.signature, signToken('tok', fixture('rsa2048_private_key.pem')));
    assert.strictEqual(user.inputs.filter((o) => o.password).length, 1);
    await run<SignTokenResult>('iotAuthz.signToken', { keyName: enc, token: 'tok2' });
    assert.strictEqual(user.inputs.filter((o) => o.password).length, 1, 'the passphrase is remembered for the session');

    const pubOnly = name('imppub');
    const rp = await run<StoredKeyResult>('iotAuthz.importKey', { keyName: pubOnly, file: fixturePath('rsa2048_pkcs1_public_key.pem') });
    assert.strictEqual(rp?.storage, 'publicOnly');
    assert.strictEqual(rp.fingerprint, expected);
    assert.deepStrictEqual(fs.readdirSync(storedKeyFiles(root, pubOnly).dir), ['public_key.pem']);
    const v = await run<VerifyResult>('iotAuthz.verifySignature', { token: 'tok', signature: s1.signature, keyNames: [pubOnly] });
    assert.strictEqual(v?.valid, true);
  });

  test('Import refuses unusable keys with their message, no key material, nothing written', async () => {
    const cases: Array<[string, string | { pem: string }, RegExp]> = [
      ['too small', 'rsa1024_private_key.pem', /1024-bit RSA key; AWS IoT requires at least 2048 bits/],
      ['EC', 'ec_p256_private_key.pem', /EC key.*RSA PKCS#1 v1\.5 signatures only/],
      ['EC PKCS#8', 'ec_p256_pkcs8_private_key.pem', /EC key.*RSA PKCS#1 v1\.5 signatures only/],
      ['Ed25519', 'ed25519_private_key.pem', /ED25519 key.*RSA/],
      ['RSA-PSS', 'rsa_pss_private_key.pem', /RSA-PSS key.*cannot make PKCS#1 v1\.5 signatures/],
      ['certificate', 'rsa2048_certificate.pem', /is a certificate \(CERTIFICATE\), not a private key/],
      ['OpenSSH', 'openssh_private_key.txt', /OpenSSH's own format/],
      ['not PEM', { pem: 'hello, I am not a key' }, /not a PEM key: no BEGIN\/END block found/],
      ['damaged', { pem: fixture('rsa2048_private_key.pem').replace(/\n[A-Za-z0-9+/]{20}/, '\n') }, /does not parse as a key: its base64 body is damaged/],
      ['too-small public', 'rsa1024_public_key.pem', /1024-bit RSA key/],
      ['wrong passphrase', 'rsa2048_encrypted_private_key.pem', /could not be decrypted: the passphrase is wrong/],
    ];
    for (const [label, source, expected] of cases) {
      user.reset();
      const keyName = name('refused');
      const arg = typeof source === 'string' ? { file: fixturePath(source), keyName } : { ...source, keyName };
      const r = await run('iotAuthz.importKey', { ...arg, ...(label === 'wrong passphrase' ? { passphrase: 'not-it' } : {}) });
      assert.strictEqual(r, undefined, label);
      const message = user.lastError();
      assert.match(message, /^Import Signing Key…: /, label);
      assert.match(message, expected, `${label}: ${message}`);
      assertNoKeyMaterial(message);
      assert.ok(!fs.existsSync(storedKeyFiles(root, keyName).dir), `${label}: nothing written`);
    }
    // An encrypted key whose passphrase prompt is dismissed.
    user.reset();
    const keyName = name('refused');
    await run('iotAuthz.importKey', { file: fixturePath('rsa2048_pkcs1_encrypted_private_key.pem'), keyName });
    assert.strictEqual(user.inputs.filter((o) => o.password).length, 1);
    assert.match(user.lastError(), /is encrypted and no passphrase was given/);
    assert.ok(!fs.existsSync(storedKeyFiles(root, keyName).dir));
  });

  test('refused arguments: key name, key size, token, unknown key, public-only key, format', async () => {
    const imported = name('args');
    await run('iotAuthz.importKey', { keyName: imported, file: fixturePath('rsa2048_private_key.pem') });
    const pubOnly = name('argspub');
    await run('iotAuthz.importKey', { keyName: pubOnly, file: fixturePath('rsa2048_public_key.pem') });
    const cases: Array<[string, unknown, RegExp]> = [
      ['iotAuthz.generateKeyPair', { keyName: '../escape', bits: 2048 }, /"\.\.\/escape" is not a valid signing key name: use letters, digits, ":", "_" and "-" only/],
      ['iotAuthz.generateKeyPair', { keyName: name('bits'), bits: 1024 }, /Cannot generate a 1024-bit key: choose one of 2048, 3072, 4096 bits/],
      ['iotAuthz.generateKeyPair', { keyName: 42 }, /Argument "keyName" must be a string/],
      ['iotAuthz.signToken', { keyName: imported, token: '' }, /Enter the token exactly as the device sends it/],
      ['iotAuthz.signToken', { keyName: imported, token: 'x'.repeat(MAX_TOKEN_LENGTH + 1) }, new RegExp(`${MAX_TOKEN_LENGTH + 1} characters; AWS accepts at most ${MAX_TOKEN_LENGTH}`)],
      ['iotAuthz.signToken', { keyName: 'no-such-key', token: 't' }, /No signing key "no-such-key": neither .* nor a SecretStorage entry exists/],
      ['iotAuthz.signToken', { keyName: pubOnly, token: 't' }, /has only its public key here/],
      ['iotAuthz.verifySignature', { token: 't', signature: 's', keyNames: ['no-such-key'] }, /No key "no-such-key" in /],
      ['iotAuthz.copyPublicKey', { keyName: 'no-such-key' }, /No key "no-such-key" in the key store/],
      ['iotAuthz.copySignedCredentials', { token: 't', format: 'carrier-pigeon' }, /Format "carrier-pigeon" is unknown: choose one of headers, query, mqtt-username, websocket-url/],
      ['iotAuthz.copySignedCredentials', { authorizer: 'Nope', token: 't', format: 'query' }, /No authorizer "Nope" in iot-authorizer\.json \(known: ExampleTokenAuthorizer\)/],
    ];
    for (const [command, arg, expected] of cases) {
      user.reset();
      assert.strictEqual(await run(command, arg), undefined, `${command} ${JSON.stringify(arg).slice(0, 80)}`);
      const message = user.lastError();
      assert.match(message, expected);
      assertNoKeyMaterial(message);
    }
  });

  test('Sign Token: the clipboard holds the signature, equal to signToken; the fingerprint is shown', async () => {
    const keyName = name('sign');
    await run('iotAuthz.importKey', { keyName, file: fixturePath('rsa2048_private_key.pem') });
    user.reset();
    const token = 'device-42:2025-01-01T00:00:00Z';
    const r = await run<SignTokenResult>('iotAuthz.signToken', { keyName, token });
    assert.ok(r, JSON.stringify(user.shown));
    assert.strictEqual(r.signature, signToken(token, fixture('rsa2048_private_key.pem')));
    assert.strictEqual(await vscode.env.clipboard.readText(), r.signature);
    assert.strictEqual(r.fingerprint, importPublicKey(fixture('rsa2048_public_key.pem')).fingerprint);
    const info = user.shown.find((s) => s.kind === 'info');
    assert.ok(info && info.message.includes(r.fingerprint) && info.message.includes(r.signature), JSON.stringify(user.shown));

    // The prompts: the key is picked (name, short fingerprint, bits), the token typed.
    user.reset();
    let offered: readonly vscode.QuickPickItem[] = [];
    user.answerPick = (items) => {
      offered = items;
      return items.find((i) => i.label === keyName);
    };
    user.answerInput = () => 'typed-token';
    const typed = await run<SignTokenResult>('iotAuthz.signToken');
    assert.strictEqual(typed?.signature, signToken('typed-token', fixture('rsa2048_private_key.pem')));
    const item = offered.find((i) => i.label === keyName);
    assert.match(item?.description ?? '', new RegExp(`^2048-bit · SHA256 ${r.fingerprint.slice(0, 17)}$`));
    assert.ok(!offered.some((i) => /public key only/.test(i.detail ?? '')), 'keys without a private key are not offered');
  });

  test('Verify: valid names the key; a signature made over the token plus a newline gets that diagnosis', async () => {
    const keyName = name('verify');
    await run('iotAuthz.importKey', { keyName, file: fixturePath('rsa2048_private_key.pem') });
    const token = 'verify-me';
    const good = signToken(token, fixture('rsa2048_private_key.pem'));
    user.reset();
    const valid = await run<VerifyResult>('iotAuthz.verifySignature', { token, signature: good, keyNames: [keyName, 'example'] });
    assert.strictEqual(valid?.valid, true);
    assert.strictEqual(valid.keyName, keyName);
    assert.match(user.shown.find((s) => s.kind === 'info')?.message ?? '', new RegExp(`Valid: the signature was made with key "${keyName}"`));

    user.reset();
    const withNewline = signToken(`${token}\n`, fixture('rsa2048_private_key.pem'));
    const bad = await run<VerifyResult>('iotAuthz.verifySignature', { token, signature: withNewline, keyNames: [keyName] });
    assert.strictEqual(bad?.valid, false);
    assert.strictEqual(bad.findings[0].code, 'TOKEN_TRAILING_NEWLINE');
    const shown = user.lastError();
    assert.match(shown, /over the token followed by a newline/);
    assert.match(shown, /Fix: Sign the token without a line ending/);
  });

  test('Copy Public Key copies public_key.pem', async () => {
    const keyName = name('pub');
    await run('iotAuthz.importKey', { keyName, file: fixturePath('rsa2048_private_key.pem') });
    const r = await run<{ keyName: string; publicKeyPem: string }>('iotAuthz.copyPublicKey', { keyName });
    assert.strictEqual(r?.publicKeyPem, fixture('rsa2048_public_key.pem'));
    assert.strictEqual(await vscode.env.clipboard.readText(), fixture('rsa2048_public_key.pem'));
  });

  test('Copy Signed Credentials As…: headers, query, MQTT username (URL-encoded signature), WebSocket URL; from the explorer node', async () => {
    const token = 'copy-token';
    const examplePrivate = fs.readFileSync(storedKeyFiles(root, 'example').privateKeyFile, 'utf8');
    const signature = signToken(token, examplePrivate);
    assert.ok(/[+/=]/.test(signature));
    const encoded = encodeURIComponent(signature);
    const expected: Record<string, string> = {
      headers: `x-amz-customauthorizer-name: ExampleTokenAuthorizer\nX-Example-Token: ${token}\nx-amz-customauthorizer-signature: ${signature}`,
      query: `x-amz-customauthorizer-name=ExampleTokenAuthorizer&X-Example-Token=${token}&x-amz-customauthorizer-signature=${encoded}`,
      'mqtt-username': `?x-amz-customauthorizer-name=ExampleTokenAuthorizer&X-Example-Token=${token}&x-amz-customauthorizer-signature=${encoded}`,
      'websocket-url': `wss://abc-ats.iot.eu-west-1.amazonaws.com/mqtt?x-amz-customauthorizer-name=ExampleTokenAuthorizer&X-Example-Token=${token}&x-amz-customauthorizer-signature=${encoded}`,
    };
    for (const [format, text] of Object.entries(expected)) {
      const r = await run<string>('iotAuthz.copySignedCredentials', { authorizer: 'ExampleTokenAuthorizer', token, format, host: 'abc-ats.iot.eu-west-1.amazonaws.com' });
      assert.strictEqual(r, text, format);
      assert.strictEqual(await vscode.env.clipboard.readText(), text);
    }
    assert.ok(!expected['mqtt-username'].includes(signature), 'the MQTT username carries the encoded signature only');

    // From the Authorizers view's context menu: the node is the argument, the rest is asked.
    const explorer = (api.features as { explorer: AuthorizerExplorer }).explorer;
    const node = (await explorer.getChildren()).find((n) => n.kind === 'authorizer');
    assert.ok(node);
    user.reset();
    user.answerInput = () => token;
    user.answerPick = (items) => items.find((i) => i.label === 'MQTT username');
    assert.strictEqual(await run<string>('iotAuthz.copySignedCredentials', node), expected['mqtt-username']);
    user.answerPick = () => undefined;
    const signed = await run<SignTokenResult>('iotAuthz.signToken', node);
    assert.strictEqual(signed?.keyName, 'example', 'the authorizer\'s only signing key is used without asking');
    assert.strictEqual(signed.signature, signature);
  });

  test('contributions: the storage setting, the walkthrough step after "welcome", the welcome-view button', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const pkg = ext.packageJSON as {
      contributes: {
        configuration: { properties: Record<string, { default?: unknown; enum?: string[] }> };
        walkthroughs: Array<{ id: string; steps: Array<{ id: string; description: string; media: { markdown?: string } }> }>;
        viewsWelcome: Array<{ view: string; contents: string }>;
      };
    };
    const setting = pkg.contributes.configuration.properties[PRIVATE_KEY_STORAGE_SETTING];
    assert.deepStrictEqual(setting?.enum, ['workspaceFile', 'secretStorage']);
    assert.strictEqual(setting.default, 'workspaceFile');
    assert.strictEqual(vscode.workspace.getConfiguration().get(PRIVATE_KEY_STORAGE_SETTING), 'workspaceFile');
    const steps = pkg.contributes.walkthroughs.find((w) => w.id === 'iotAuthz.gettingStarted')!.steps;
    const at = steps.findIndex((s) => s.id === 'keys');
    assert.strictEqual(steps[at - 1]?.id, 'welcome');
    assert.match(steps[at].description, /\[Generate Signing Key Pair\]\(command:iotAuthz\.generateKeyPair\)/);
    const media = fs.readFileSync(path.join(ext.extensionPath, steps[at].media.markdown!), 'utf8');
    assert.match(media, /openssl genrsa -out private_key\.pem 2048/);
    assert.ok(pkg.contributes.viewsWelcome.some((w) => w.view === 'iotAuthz.authorizers' && w.contents.includes('(command:iotAuthz.generateKeyPair)')));
  });

  test('validation as you type: key names and tokens', () => {
    const existing = new Set(['default']);
    assert.strictEqual(keyNameProblem('device-2025:a_b', existing), undefined);
    const bad = keyNameProblem('bad name!', existing);
    assert.strictEqual(bad?.severity, vscode.InputBoxValidationSeverity.Error);
    assert.match(bad.message, /Not allowed in a key name: space, "!"/);
    assert.strictEqual(keyNameProblem('', existing)?.severity, vscode.InputBoxValidationSeverity.Error);
    const dup = keyNameProblem('default', existing);
    assert.strictEqual(dup?.severity, vscode.InputBoxValidationSeverity.Warning);
    assert.match(dup.message, /already exists/);

    assert.strictEqual(tokenProblem('ok'), undefined);
    assert.strictEqual(tokenProblem('')?.severity, vscode.InputBoxValidationSeverity.Error);
    assert.strictEqual(tokenProblem('x'.repeat(MAX_TOKEN_LENGTH))?.severity, undefined);
    assert.strictEqual(tokenProblem('x'.repeat(MAX_TOKEN_LENGTH + 1))?.severity, vscode.InputBoxValidationSeverity.Error);
    for (const [token, what] of [['tok\n', 'ends with a newline'], ['tok ', 'ends with whitespace'], [' tok', 'starts with whitespace']]) {
      const p = tokenProblem(token);
      assert.strictEqual(p?.severity, vscode.InputBoxValidationSeverity.Warning, token);
      assert.match(p.message, new RegExp(what));
    }
  });
});
