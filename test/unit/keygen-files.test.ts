// `iot-authz keygen` meeting a hostile file system: one line and exit 2 instead of a stack,
// the old pair intact when the new one cannot be written whole, a warning for an open folder.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from './keyFixtures';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

function keygen(out: string, extra: string[] = []): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'keygen', '--out', out, ...extra], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLine(stderr: string): void {
  assert.strictEqual(stderr.trim().split('\n').length, 1, stderr);
  assert.doesNotMatch(stderr, /\n\s+at |internal error/, stderr);
}

suite('keygen: file errors', function () {
  this.timeout(120_000);
  let dir: string;
  setup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-keygen-'));
  });
  teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('ENOTDIR: --out below a file is one line, exit 2', () => {
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    const r = keygen(path.join(dir, 'file', 'keys'));
    assert.strictEqual(r.code, 2, r.stderr);
    assertOneLine(r.stderr);
    assert.match(r.stderr, /ENOTDIR/);
  });

  test('EISDIR with --force: one line, and the old key pair is untouched (no half-written pair, no temp files)', () => {
    const out = path.join(dir, 'k');
    assert.strictEqual(keygen(out).code, 0);
    const oldPrivate = fs.readFileSync(path.join(out, 'private_key.pem'), 'utf8');
    fs.rmSync(path.join(out, 'public_key.pem'));
    fs.mkdirSync(path.join(out, 'public_key.pem'));
    fs.writeFileSync(path.join(out, 'public_key.pem', 'keep'), 'x');
    const r = keygen(out, ['--force']);
    assert.strictEqual(r.code, 2, r.stdout + r.stderr);
    assertOneLine(r.stderr);
    assert.match(r.stderr, /EISDIR|ENOTEMPTY|EEXIST/);
    assert.strictEqual(fs.readFileSync(path.join(out, 'private_key.pem'), 'utf8'), oldPrivate, 'the old private key was replaced without its public key');
    assert.deepStrictEqual(fs.readdirSync(out).filter((f) => f.endsWith('.tmp')), []);
  });

  test('EACCES: a folder that cannot be written is one line, exit 2', () => {
    const locked = path.join(dir, 'locked');
    fs.mkdirSync(locked, { mode: 0o500 });
    fs.chmodSync(locked, 0o500);
    // root writes anywhere: run the CLI as an ordinary user then, from a copy that user can read
    // (the checkout may sit below a folder only root can enter, such as one made by mktemp -d).
    const root = process.getuid?.() === 0;
    const asUser = root ? { uid: 65534, gid: 65534 } : {};
    let cli = CLI;
    if (root) {
      fs.chmodSync(dir, 0o755);
      const copy = path.join(dir, 'cli');
      fs.mkdirSync(path.join(copy, 'dist'), { recursive: true, mode: 0o755 });
      fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(copy, 'package.json')); // the bundle reads ../package.json
      fs.copyFileSync(CLI, path.join(copy, 'dist', 'cli.js'));
      for (const f of ['package.json', path.join('dist', 'cli.js')]) fs.chmodSync(path.join(copy, f), 0o644);
      cli = path.join(copy, 'dist', 'cli.js');
    }
    const r = spawnSync(process.execPath, [cli, 'keygen', '--out', path.join(locked, 'k')], { encoding: 'utf8', timeout: 60_000, ...asUser });
    assert.strictEqual(r.status, 2, r.stdout + r.stderr);
    assertOneLine(r.stderr);
    assert.match(r.stderr, /EACCES/);
  });

  test('EEXIST without --force: one line, exit 2', () => {
    const out = path.join(dir, 'k');
    assert.strictEqual(keygen(out).code, 0);
    const r = keygen(out);
    assert.strictEqual(r.code, 2);
    assertOneLine(r.stderr);
  });

  test('an --out folder writable by everyone gets a warning', () => {
    const open = path.join(dir, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    const r = keygen(open);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, /writable by every user/);
    fs.chmodSync(open, 0o700);
    assert.doesNotMatch(keygen(path.join(dir, 'closed')).stderr, /writable by every user/);
  });
});
