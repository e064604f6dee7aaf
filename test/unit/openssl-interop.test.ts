// Interop with the real `openssl` binary, both ways, and the diagnosis of mistakes made with
// the shell commands people actually type (docs/aws-custom-auth.md: "Signing keys and tokens"). Skipped only when openssl is absent.
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ALLOWED_KEYGEN_BITS } from '../../src/core/constants';
import { generateKeyPair, importPrivateKey } from '../../src/core/keys';
import type { SignatureFindingCode } from '../../src/core/signatureDiagnosis';
import { signToken, verifyToken } from '../../src/core/tokens';
import { fixturePath, TEST_PASSPHRASE } from './keyFixtures';

function available(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

const HAS_OPENSSL = available('openssl', ['version']);
const HAS_GNU_TOOLS = process.platform !== 'win32' && available('base64', ['-w0', '/dev/null']) && available('xxd', ['-v']) && available('sha256sum', ['--version']);

const TOKENS = ['MyStringThatNeedsToBeSigned', 'a+b/c=d&e f', 'unicode: héllo ✓ 日本 🚀', 'line1\nline2', '', 'x'.repeat(6144)];

/** Runs a shell pipeline with the given variables; returns stdout (exit status checked unless allowed). */
function sh(script: string, env: Record<string, string>, options: { allowFailure?: boolean } = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', `set -o pipefail; ${script}`], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (!options.allowFailure) assert.strictEqual(r.status, 0, `${script}\n${r.stderr}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function openssl(args: string[], input?: string | Buffer): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

suite('openssl interop', function () {
  this.timeout(60_000);
  let dir: string;
  suiteSetup(function () {
    if (!HAS_OPENSSL) {
      console.warn('    (openssl not found: interop tests skipped)');
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-openssl-'));
  });
  suiteTeardown(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const bits of ALLOWED_KEYGEN_BITS) {
    test(`our ${bits}-bit key: openssl reads it, -pubout prints our public PEM byte for byte, same fingerprint`, async () => {
      const pair = await generateKeyPair(bits);
      const priv = path.join(dir, `ours-${bits}.pem`);
      fs.writeFileSync(priv, pair.privateKeyPem, { mode: 0o600 });
      assert.match(openssl(['rsa', '-in', priv, '-check', '-noout']).toString(), /RSA key ok/);
      assert.strictEqual(openssl(['rsa', '-in', priv, '-pubout']).toString(), pair.publicKeyPem);
      const der = openssl(['pkey', '-pubin', '-outform', 'DER'], pair.publicKeyPem);
      const dgst = openssl(['dgst', '-sha256', '-c'], der).toString();
      assert.strictEqual(dgst.trim().split('= ')[1], pair.fingerprint);
    });
  }

  for (const [label, args] of [
    ['openssl genrsa 2048 (PKCS#8)', ['genrsa', '2048']],
    ['openssl genrsa -traditional 3072 (PKCS#1)', ['genrsa', '-traditional', '3072']],
    ['openssl genpkey -algorithm RSA 4096', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:4096']],
  ] as const) {
    test(`${label}: we read it and derive exactly openssl's public PEM`, () => {
      const pem = openssl([...args]).toString();
      const file = path.join(dir, 'theirs.pem');
      fs.writeFileSync(file, pem);
      assert.strictEqual(importPrivateKey(pem).publicKeyPem, openssl(['rsa', '-in', file, '-pubout']).toString());
    });
  }

  test('signatures equal `printf %s TOKEN | openssl dgst -sha256 -sign k.pem | base64 -w0` byte for byte', function () {
    if (!HAS_GNU_TOOLS) this.skip();
    for (const key of ['rsa2048_private_key.pem', 'rsa2048_pkcs1_private_key.pem', 'rsa3072_private_key.pem']) {
      for (const token of TOKENS) {
        const theirs = sh('printf %s "$T" | openssl dgst -sha256 -sign "$K" | base64 -w0', { T: token, K: fixturePath(key) }).stdout;
        assert.strictEqual(signToken(token, fs.readFileSync(fixturePath(key), 'utf8')), theirs, `${key}: ${JSON.stringify(token.slice(0, 40))}`);
      }
    }
  });

  test('openssl dgst -verify accepts our signatures; we accept openssl signatures', () => {
    const sigFile = path.join(dir, 'sig.bin');
    const pub = fixturePath('rsa2048_public_key.pem');
    const priv = fixturePath('rsa2048_private_key.pem');
    for (const token of TOKENS) {
      fs.writeFileSync(sigFile, Buffer.from(signToken(token, fs.readFileSync(priv, 'utf8')), 'base64'));
      assert.match(openssl(['dgst', '-sha256', '-verify', pub, '-signature', sigFile], Buffer.from(token, 'utf8')).toString(), /Verified OK/);
      const theirs = openssl(['dgst', '-sha256', '-sign', priv], Buffer.from(token, 'utf8')).toString('base64');
      assert.strictEqual(verifyToken(token, theirs, [{ name: 'k', pem: fs.readFileSync(pub, 'utf8') }]).valid, true);
    }
  });

  test('encrypted keys both ways: openssl pkcs8 -topk8 read here, ours read by openssl -passin', async () => {
    const plain = fixturePath('rsa2048_private_key.pem');
    const encrypted = openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', plain, '-passout', `pass:${TEST_PASSPHRASE}`]).toString();
    assert.strictEqual(importPrivateKey(encrypted, { passphrase: TEST_PASSPHRASE }).publicKeyPem, fs.readFileSync(fixturePath('rsa2048_public_key.pem'), 'utf8'));
    const ours = await generateKeyPair(2048, { passphrase: TEST_PASSPHRASE });
    const file = path.join(dir, 'ours-encrypted.pem');
    fs.writeFileSync(file, ours.privateKeyPem);
    assert.strictEqual(openssl(['rsa', '-in', file, '-passin', `pass:${TEST_PASSPHRASE}`, '-pubout']).toString(), ours.publicKeyPem);
  });
});

suite('openssl interop: diagnosing real shell mistakes', function () {
  this.timeout(60_000);
  const T = 'MyStringThatNeedsToBeSigned';
  const K = fixturePath('rsa2048_private_key.pem');
  const PUB = { name: 'registered', pem: '' };
  suiteSetup(function () {
    if (!HAS_OPENSSL || !HAS_GNU_TOOLS) this.skip();
    PUB.pem = fs.readFileSync(fixturePath('rsa2048_public_key.pem'), 'utf8');
  });

  function expectDiagnosis(script: string, expected: SignatureFindingCode[], env: Record<string, string> = {}): void {
    const signature = sh(script, { T, K, ...env }).stdout;
    const r = verifyToken(T, signature, [PUB]);
    assert.strictEqual(r.valid, false, script);
    assert.deepStrictEqual(
      r.findings.map((f) => f.code),
      expected,
      `${script}\n${JSON.stringify(r.findings, null, 2)}`,
    );
  }

  test('the right way verifies', () => {
    const signature = sh('echo -n "$T" | openssl dgst -sha256 -sign "$K" | base64 -w0', { T, K }).stdout;
    assert.strictEqual(verifyToken(T, signature, [PUB]).valid, true);
  });

  test('echo without -n: trailing newline', () => {
    expectDiagnosis('echo "$T" | openssl dgst -sha256 -sign "$K" | base64 -w0', ['TOKEN_TRAILING_NEWLINE']);
  });

  test('echo without -n and base64 without -w0 (76-column wrap)', () => {
    expectDiagnosis('echo "$T" | openssl dgst -sha256 -sign "$K" | base64', ['TOKEN_TRAILING_NEWLINE', 'SIGNATURE_LINE_BREAKS']);
  });

  test('openssl base64 (64-column wrap)', () => {
    expectDiagnosis('printf %s "$T" | openssl dgst -sha256 -sign "$K" | openssl base64', ['SIGNATURE_LINE_BREAKS']);
  });

  test('printf with CR LF', () => {
    expectDiagnosis('printf "%s\\r\\n" "$T" | openssl dgst -sha256 -sign "$K" | base64 -w0', ['TOKEN_TRAILING_CRLF']);
  });

  test('the hex digest text signed with openssl dgst', () => {
    expectDiagnosis('printf %s "$(printf %s "$T" | sha256sum | cut -d" " -f1)" | openssl dgst -sha256 -sign "$K" | base64 -w0', ['HEX_DIGEST_SIGNED']);
    expectDiagnosis('printf %s "$T" | sha256sum | openssl dgst -sha256 -sign "$K" | base64 -w0', ['HEX_DIGEST_SIGNED']);
    expectDiagnosis('printf %s "$T" | sha256sum | cut -d" " -f1 | openssl dgst -sha256 -sign "$K" | base64 -w0', ['HEX_DIGEST_SIGNED']);
  });

  test('the popular article: pkeyutl -pkeyopt digest:sha256 on hex text fails in OpenSSL 3; raw bytes (xxd -r -p) work', () => {
    const hexSigned = sh('printf %s "$(printf %s "$T" | sha256sum | cut -d" " -f1)" | openssl pkeyutl -sign -inkey "$K" -pkeyopt digest:sha256 | base64 -w0', { T, K }, { allowFailure: true });
    assert.notStrictEqual(hexSigned.status, 0, 'expected openssl to refuse a 64-byte "digest"');
    const raw = sh('printf %s "$T" | sha256sum | cut -d" " -f1 | xxd -r -p | openssl pkeyutl -sign -inkey "$K" -pkeyopt digest:sha256 | base64 -w0', { T, K }).stdout;
    assert.strictEqual(verifyToken(T, raw, [PUB]).valid, true);
  });

  test('pkeyutl without a digest option, on the hex text or the raw digest', () => {
    expectDiagnosis('printf %s "$(printf %s "$T" | sha256sum | cut -d" " -f1)" | openssl pkeyutl -sign -inkey "$K" | base64 -w0', ['TOKEN_NOT_HASHED', 'HEX_DIGEST_SIGNED']);
    expectDiagnosis('printf %s "$T" | openssl dgst -sha256 -binary | openssl pkeyutl -sign -inkey "$K" | base64 -w0', ['DIGEST_INFO_MISSING']);
  });

  test('the raw digest piped into dgst -sign again (hashed twice)', () => {
    expectDiagnosis('printf %s "$T" | openssl dgst -sha256 -binary | openssl dgst -sha256 -sign "$K" | base64 -w0', ['DIGEST_SIGNED_AGAIN']);
  });

  test('-sha1 and -sha512 instead of -sha256', () => {
    expectDiagnosis('printf %s "$T" | openssl dgst -sha1 -sign "$K" | base64 -w0', ['WRONG_HASH_ALGORITHM']);
    expectDiagnosis('printf %s "$T" | openssl dgst -sha512 -sign "$K" | base64 -w0', ['WRONG_HASH_ALGORITHM']);
  });

  test('PSS padding', () => {
    expectDiagnosis('printf %s "$T" | openssl dgst -sha256 -sign "$K" -sigopt rsa_padding_mode:pss | base64 -w0', ['PSS_PADDING']);
  });

  test('hex output (xxd -p) instead of base64', () => {
    expectDiagnosis('printf %s "$T" | openssl dgst -sha256 -sign "$K" | xxd -p', ['SIGNATURE_HEX']);
  });

  test('base64url (tr, no padding) instead of base64', () => {
    expectDiagnosis(`printf %s "$T" | openssl dgst -sha256 -sign "$K" | base64 -w0 | tr '+/' '-_' | tr -d =`, ['SIGNATURE_BASE64URL']);
  });

  test('a key made by openssl genrsa that is not the registered one', () => {
    expectDiagnosis('openssl genrsa 2048 2>/dev/null > "$D/k.pem" && printf %s "$T" | openssl dgst -sha256 -sign "$D/k.pem" | base64 -w0; rm -f "$D/k.pem"', ['DIFFERENT_KEY'], {
      D: fs.mkdtempSync(path.join(os.tmpdir(), 'iot-authz-otherkey-')),
    });
  });

  test('a 3072-bit key signing for a registered 2048-bit key: wrong length', () => {
    expectDiagnosis('printf %s "$T" | openssl dgst -sha256 -sign "$K3" | base64 -w0', ['SIGNATURE_WRONG_LENGTH'], { K3: fixturePath('rsa3072_private_key.pem') });
  });
});
