import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KEY_STORE_GITIGNORE_ENTRY, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from '../../src/core/constants';
import { UserError } from '../../src/core/errors';
import {
  addKeyDirToGitignore,
  deleteKey,
  gitignoreIgnores,
  isIgnoredByGit,
  isKeyDirIgnored,
  keyStoreDir,
  listKeys,
  readPrivateKey,
  readPublicKey,
  storedKeyFiles,
  trackedKeyFiles,
  writeKeyPair,
  writeKeyPairFiles,
  writePublicKeyOnly,
} from '../../src/core/keyStore';
import { importPublicKey } from '../../src/core/keys';
import { fixture } from './keyFixtures';

const PAIR = { privateKeyPem: fixture('rsa2048_private_key.pem'), publicKeyPem: fixture('rsa2048_public_key.pem') };
const OTHER_PAIR = { privateKeyPem: fixture('other_rsa2048_private_key.pem'), publicKeyPem: fixture('other_rsa2048_public_key.pem') };
const isWindows = process.platform === 'win32';

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

let gitAvailable = true;
try {
  execFileSync('git', ['--version'], { stdio: 'ignore' });
} catch {
  gitAvailable = false;
}

suite('key store: files', () => {
  let ws: string;
  setup(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-keystore-'));
  });
  teardown(() => fs.rmSync(ws, { recursive: true, force: true }));

  test('writes <ws>/.iot-authz/keys/<name>/ with a 0600 private key, 0644 public key, 0700 folder', async function () {
    if (isWindows) this.skip();
    const files = await writeKeyPair(ws, 'primary', PAIR);
    assert.strictEqual(files.privateKeyFile, path.join(ws, '.iot-authz', 'keys', 'primary', PRIVATE_KEY_FILE));
    assert.strictEqual(files.publicKeyFile, path.join(ws, '.iot-authz', 'keys', 'primary', PUBLIC_KEY_FILE));
    assert.strictEqual(mode(files.privateKeyFile), 0o600);
    assert.strictEqual(mode(files.publicKeyFile), 0o644);
    assert.strictEqual(mode(files.dir), 0o700);
    assert.strictEqual(fs.readFileSync(files.privateKeyFile, 'utf8'), PAIR.privateKeyPem);
  });

  test('the private key is 0600 from creation even with umask 000, and 0644 public with umask 077', async function () {
    if (isWindows) this.skip();
    const before = process.umask(0o000);
    try {
      const a = await writeKeyPairFiles(path.join(ws, 'a'), PAIR);
      assert.strictEqual(mode(a.privateKeyFile), 0o600);
      assert.strictEqual(mode(a.dir), 0o700);
      process.umask(0o077);
      const b = await writeKeyPairFiles(path.join(ws, 'b'), PAIR);
      assert.strictEqual(mode(b.privateKeyFile), 0o600);
      assert.strictEqual(mode(b.publicKeyFile), 0o644);
    } finally {
      process.umask(before);
    }
  });

  test('refuses to overwrite (KEY_EXISTS) and leaves the old key intact', async () => {
    await writeKeyPair(ws, 'primary', PAIR);
    await assert.rejects(writeKeyPair(ws, 'primary', OTHER_PAIR), (e: UserError) => {
      assert.strictEqual(e.code, 'KEY_EXISTS');
      assert.match(e.message, /already exist.*not overwriting/);
      return true;
    });
    assert.strictEqual((await readPublicKey(ws, 'primary')).publicKeyPem, PAIR.publicKeyPem);
  });

  test('refuses when only one of the two files exists', async () => {
    const dir = path.join(ws, 'half');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, PUBLIC_KEY_FILE), 'old');
    await assert.rejects(writeKeyPairFiles(dir, PAIR), /already exists/);
    assert.ok(!fs.existsSync(path.join(dir, PRIVATE_KEY_FILE)));
  });

  test('overwrite: true replaces both, and a loosened private key file comes back 0600', async function () {
    const files = await writeKeyPair(ws, 'primary', PAIR);
    if (!isWindows) fs.chmodSync(files.privateKeyFile, 0o644);
    await writeKeyPair(ws, 'primary', OTHER_PAIR, { overwrite: true });
    assert.strictEqual(fs.readFileSync(files.privateKeyFile, 'utf8'), OTHER_PAIR.privateKeyPem);
    assert.strictEqual(fs.readFileSync(files.publicKeyFile, 'utf8'), OTHER_PAIR.publicKeyPem);
    if (!isWindows) assert.strictEqual(mode(files.privateKeyFile), 0o600);
    assert.deepStrictEqual(fs.readdirSync(files.dir).sort(), [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE], 'no temporary files left behind');
  });

  test('reads keys back; a missing key and a bad name are user errors', async () => {
    await writeKeyPair(ws, 'primary', PAIR);
    const pub = await readPublicKey(ws, 'primary');
    const priv = await readPrivateKey(ws, 'primary');
    assert.strictEqual(priv.fingerprint, pub.fingerprint);
    await assert.rejects(readPublicKey(ws, 'absent'), (e: UserError) => e.code === 'KEY_NOT_FOUND' && /absent/.test(e.message));
    for (const bad of ['../escape', 'a/b', 'has space', '']) {
      assert.throws(() => storedKeyFiles(ws, bad), (e: UserError) => e.code === 'KEY_NAME_INVALID');
    }
    await assert.rejects(writeKeyPair(ws, '../escape', PAIR), (e: UserError) => e.code === 'KEY_NAME_INVALID');
    assert.ok(!fs.existsSync(path.join(ws, '.iot-authz', 'escape')));
  });

  test('reading a stored private key with a passphrase', async () => {
    await writeKeyPair(ws, 'enc', { privateKeyPem: fixture('rsa2048_encrypted_private_key.pem'), publicKeyPem: PAIR.publicKeyPem });
    await assert.rejects(readPrivateKey(ws, 'enc'), (e: UserError) => e.code === 'KEY_PASSPHRASE_REQUIRED' && e.message.includes(PRIVATE_KEY_FILE));
    assert.ok((await readPrivateKey(ws, 'enc', { passphrase: 'test-only-passphrase' })).encrypted);
  });

  test('lists keys by name with fingerprints; a broken folder says why; other entries skipped', async () => {
    assert.deepStrictEqual(await listKeys(ws), []);
    await writeKeyPair(ws, 'b-key', OTHER_PAIR);
    await writeKeyPair(ws, 'a:key', PAIR);
    fs.mkdirSync(path.join(keyStoreDir(ws), 'broken'));
    fs.writeFileSync(path.join(keyStoreDir(ws), 'broken', PUBLIC_KEY_FILE), 'garbage');
    fs.mkdirSync(path.join(keyStoreDir(ws), 'no public'));
    fs.writeFileSync(path.join(keyStoreDir(ws), 'stray.txt'), '');
    const keys = await listKeys(ws);
    assert.deepStrictEqual(
      keys.map((k) => k.name),
      ['a:key', 'b-key', 'broken'],
    );
    assert.strictEqual(keys[0].fingerprint, importPublicKey(PAIR.publicKeyPem).fingerprint);
    assert.strictEqual(keys[0].bits, 2048);
    assert.ok(keys[0].hasPrivateKey && keys[0].hasPublicKey && !keys[0].problem);
    assert.strictEqual(keys[2].hasPrivateKey, false);
    assert.match(keys[2].problem ?? '', /not a PEM key/);
  });

  test('writePublicKeyOnly: 0644 public key in a 0700 folder; refuses an existing key; overwrite drops the stale private key', async function () {
    const files = await writePublicKeyOnly(ws, 'verify-only', PAIR.publicKeyPem);
    assert.strictEqual(fs.readFileSync(files.publicKeyFile, 'utf8'), PAIR.publicKeyPem);
    assert.ok(!fs.existsSync(files.privateKeyFile));
    if (!isWindows) {
      assert.strictEqual(mode(files.publicKeyFile), 0o644);
      assert.strictEqual(mode(files.dir), 0o700);
    }
    await writeKeyPair(ws, 'pair', PAIR);
    await assert.rejects(writePublicKeyOnly(ws, 'pair', OTHER_PAIR.publicKeyPem), (e: UserError) => e.code === 'KEY_EXISTS');
    assert.strictEqual((await readPublicKey(ws, 'pair')).publicKeyPem, PAIR.publicKeyPem);
    const replaced = await writePublicKeyOnly(ws, 'pair', OTHER_PAIR.publicKeyPem, { overwrite: true });
    assert.strictEqual(fs.readFileSync(replaced.publicKeyFile, 'utf8'), OTHER_PAIR.publicKeyPem);
    assert.deepStrictEqual(fs.readdirSync(replaced.dir), [PUBLIC_KEY_FILE], 'the old private key is gone, no temporary files left');
  });

  test('deleteKey removes the folder; false when absent', async () => {
    const files = await writeKeyPair(ws, 'gone', PAIR);
    assert.strictEqual(await deleteKey(ws, 'gone'), true);
    assert.ok(!fs.existsSync(files.dir));
    assert.strictEqual(await deleteKey(ws, 'gone'), false);
  });
});

suite('key store: .gitignore', () => {
  let ws: string;
  setup(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-gitignore-'));
  });
  teardown(() => fs.rmSync(ws, { recursive: true, force: true }));

  const PROBE = '.iot-authz/keys/example/private_key.pem';
  const CASES: Array<[string, boolean]> = [
    ['', false],
    ['.iot-authz/keys/\n', true],
    ['.iot-authz/keys\n', true],
    ['/.iot-authz/keys/\n', true],
    ['.iot-authz/\n', true],
    ['.iot-authz\n', true],
    ['*.pem\n', true],
    ['private_key.pem\n', true],
    ['.iot-authz/**\n', true],
    ['**/keys/\n', true],
    ['keys/\n', true],
    ['.iot-authz/keys/*\n', true],
    ['# .iot-authz/keys/\n', false],
    ['.iot-authz/keys/\n!.iot-authz/keys/\n', false],
    ['*.pem\n!private_key.pem\n', false],
    // A folder that is ignored cannot have a file inside it re-included.
    ['.iot-authz/\n!.iot-authz/keys/\n', true],
    ['/keys/\n', false],
    ['.iot-authz/key\n', false],
    ['*.key\nnode_modules/\n', false],
    ['.iot-authz/keys/   \r\n', true],
  ];

  test('the fallback parser agrees with the table', () => {
    for (const [text, expected] of CASES) assert.strictEqual(gitignoreIgnores(text, PROBE), expected, JSON.stringify(text));
  });

  test('the fallback parser agrees with git check-ignore on every case', function () {
    if (!gitAvailable) this.skip();
    git(ws, 'init', '-q');
    for (const [text] of CASES) {
      fs.writeFileSync(path.join(ws, '.gitignore'), text);
      let gitSays: boolean;
      try {
        git(ws, 'check-ignore', '-q', PROBE);
        gitSays = true;
      } catch {
        gitSays = false;
      }
      assert.strictEqual(gitignoreIgnores(text, PROBE), gitSays, JSON.stringify(text));
    }
  });

  test('outside a git repository: reads .gitignore; adds the entry once, keeping content', async () => {
    assert.strictEqual(await isKeyDirIgnored(ws), false);
    fs.writeFileSync(path.join(ws, '.gitignore'), 'node_modules/\n# mine\nout'); // no final newline
    assert.strictEqual(await isKeyDirIgnored(ws), false);
    const first = await addKeyDirToGitignore(ws);
    assert.deepStrictEqual(first, { changed: true, file: path.join(ws, '.gitignore') });
    const text = fs.readFileSync(first.file, 'utf8');
    assert.ok(text.startsWith('node_modules/\n# mine\nout\n'), text);
    assert.ok(text.endsWith(`\n${KEY_STORE_GITIGNORE_ENTRY}\n`), text);
    assert.strictEqual(await isKeyDirIgnored(ws), true);
    assert.deepStrictEqual(await addKeyDirToGitignore(ws), { changed: false, file: first.file });
    assert.strictEqual(fs.readFileSync(first.file, 'utf8'), text);
  });

  test('creates .gitignore when there is none', async () => {
    assert.strictEqual((await addKeyDirToGitignore(ws)).changed, true);
    assert.ok(fs.readFileSync(path.join(ws, '.gitignore'), 'utf8').endsWith(`${KEY_STORE_GITIGNORE_ENTRY}\n`));
    assert.strictEqual(await isKeyDirIgnored(ws), true);
  });

  test('inside a git repository: asks git (global rules, nested .gitignore, subfolder workspace)', async function () {
    if (!gitAvailable) this.skip();
    git(ws, 'init', '-q');
    assert.strictEqual(await isKeyDirIgnored(ws), false);
    // An ignore rule in .git/info/exclude is invisible to the fallback parser but not to git.
    fs.writeFileSync(path.join(ws, '.git', 'info', 'exclude'), '.iot-authz/\n');
    assert.strictEqual(await isKeyDirIgnored(ws), true);
    fs.writeFileSync(path.join(ws, '.git', 'info', 'exclude'), '');
    // A workspace that is a subfolder of the repository, covered by the root .gitignore.
    const sub = path.join(ws, 'packages', 'device');
    fs.mkdirSync(sub, { recursive: true });
    assert.strictEqual(await isKeyDirIgnored(sub), false);
    fs.writeFileSync(path.join(ws, '.gitignore'), '**/.iot-authz/keys/\n');
    assert.strictEqual(await isKeyDirIgnored(sub), true);
  });

  test('inside a git repository: adding the entry makes git ignore written keys', async function () {
    if (!gitAvailable) this.skip();
    git(ws, 'init', '-q');
    fs.writeFileSync(path.join(ws, '.gitignore'), 'dist/\n');
    await writeKeyPair(ws, 'primary', PAIR);
    assert.match(git(ws, 'status', '--porcelain', '--untracked-files=all'), /\.iot-authz\/keys\/primary\/private_key\.pem/);
    assert.strictEqual((await addKeyDirToGitignore(ws)).changed, true);
    assert.strictEqual(await isKeyDirIgnored(ws), true);
    assert.doesNotMatch(git(ws, 'status', '--porcelain', '--untracked-files=all'), /private_key/);
    assert.strictEqual(await isIgnoredByGit(ws, path.join(ws, '.iot-authz/keys/primary/private_key.pem')), true);
    assert.strictEqual(await isIgnoredByGit(ws, 'elsewhere.pem'), false);
  });

  test('reports key files git already tracks (ignoring them does not untrack them)', async function () {
    if (!gitAvailable) this.skip();
    git(ws, 'init', '-q');
    await writeKeyPair(ws, 'primary', PAIR);
    assert.deepStrictEqual(await trackedKeyFiles(ws), []);
    git(ws, 'add', '.iot-authz/keys/primary/private_key.pem');
    await addKeyDirToGitignore(ws);
    assert.deepStrictEqual(await trackedKeyFiles(ws), ['.iot-authz/keys/primary/private_key.pem']);
  });

  test('isIgnoredByGit is undefined outside a repository', async () => {
    assert.strictEqual(await isIgnoredByGit(ws, 'x.pem'), undefined);
  });
});
