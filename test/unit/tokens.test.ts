import * as assert from 'assert';
import * as crypto from 'crypto';
import { GNU_BASE64_WRAP_COLUMNS, MAX_SIGNATURE_LENGTH, MAX_TOKEN_LENGTH } from '../../src/core/constants';
import { credentialsToQueryString, extractCredentials } from '../../src/core/credentials';
import { importPrivateKey, importPublicKey } from '../../src/core/keys';
import { isStrictBase64, SignatureFindingCode } from '../../src/core/signatureDiagnosis';
import { NamedPublicKey, signToken, verifyToken, VerifyResult } from '../../src/core/tokens';
import { assertNoKeyMaterial, fixture, TEST_PASSPHRASE } from './keyFixtures';

const TOKEN = 'MyStringThatNeedsToBeSigned';
const priv = crypto.createPrivateKey(fixture('rsa2048_private_key.pem'));
const otherPriv = crypto.createPrivateKey(fixture('other_rsa2048_private_key.pem'));
const priv3072 = crypto.createPrivateKey(fixture('rsa3072_private_key.pem'));
const KEY: NamedPublicKey = { name: 'primary', pem: fixture('rsa2048_public_key.pem') };
const OTHER: NamedPublicKey = { name: 'rotated', pem: fixture('other_rsa2048_public_key.pem') };

/** Signs bytes the way a mistaken shell pipeline would. */
function rawSign(data: string | Buffer, hash = 'sha256', key = priv): string {
  return crypto.sign(hash, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, key).toString('base64');
}

function sha256(data: string | Buffer): Buffer {
  return crypto.createHash('sha256').update(data).digest();
}

function codes(r: VerifyResult): SignatureFindingCode[] {
  return r.findings.map((f) => f.code);
}

/** Verifies and checks the diagnosis: invalid, these codes in this order, each with a fix, nothing secret. */
function diagnose(token: string, signature: string, expected: SignatureFindingCode[], keys: NamedPublicKey[] = [KEY]): VerifyResult {
  const r = verifyToken(token, signature, keys);
  assert.strictEqual(r.valid, false, 'expected an invalid signature');
  assert.deepStrictEqual(codes(r), expected, JSON.stringify(r.findings, null, 2));
  for (const f of r.findings) {
    assert.ok(f.message.length > 0 && f.fix.length > 0, `finding without text: ${f.code}`);
    assertNoKeyMaterial(f.message + f.fix);
  }
  return r;
}

/** A token whose signature holds each of the given characters (so + and / mistakes show). */
function tokenWhoseSignatureHas(chars: string): { token: string; signature: string } {
  for (let i = 0; ; i++) {
    const token = `${TOKEN}-${i}`;
    const signature = signToken(token, priv);
    if ([...chars].every((c) => signature.includes(c))) return { token, signature };
  }
}

suite('tokens: sign', () => {
  test('PKCS#1 v1.5 SHA-256 over the UTF-8 bytes, one line of standard base64', () => {
    for (const token of [TOKEN, 'héllo ✓ 🚀', '', 'a\nb']) {
      const sig = signToken(token, priv);
      assert.ok(isStrictBase64(sig) && !sig.includes('\n'), sig);
      assert.strictEqual(Buffer.from(sig, 'base64').length, 256);
      assert.ok(crypto.verify('sha256', Buffer.from(token, 'utf8'), crypto.createPublicKey(priv), Buffer.from(sig, 'base64')));
    }
  });

  test('a PEM string, a KeyObject and an encrypted PEM with passphrase sign alike', () => {
    const fromObject = signToken(TOKEN, priv);
    assert.strictEqual(signToken(TOKEN, fixture('rsa2048_private_key.pem')), fromObject);
    assert.strictEqual(signToken(TOKEN, fixture('rsa2048_pkcs1_private_key.pem')), fromObject);
    assert.strictEqual(signToken(TOKEN, fixture('rsa2048_encrypted_private_key.pem'), { passphrase: TEST_PASSPHRASE }), fromObject);
    assert.strictEqual(signToken(TOKEN, importPrivateKey(fixture('rsa2048_private_key.pem')).keyObject), fromObject);
  });
});

suite('tokens: verify', () => {
  test('valid with the key that signed it, named', () => {
    const r = verifyToken(TOKEN, signToken(TOKEN, priv), [KEY]);
    assert.deepStrictEqual({ valid: r.valid, keyName: r.keyName, findings: r.findings }, { valid: true, keyName: 'primary', findings: [] });
    assert.strictEqual(r.keyFingerprint, importPublicKey(KEY.pem as string).fingerprint);
  });

  test('with two keys (a rotation), says which one verified', () => {
    const r = verifyToken(TOKEN, signToken(TOKEN, otherPriv), [KEY, OTHER]);
    assert.strictEqual(r.valid, true);
    assert.strictEqual(r.keyName, 'rotated');
    assert.deepStrictEqual(
      r.checkedKeys.map((k) => k.name),
      ['primary', 'rotated'],
    );
  });

  test('accepts parsed public KeyObjects', () => {
    const pem = { name: 'obj', pem: crypto.createPublicKey(fixture('rsa2048_public_key.pem')) };
    assert.strictEqual(verifyToken(TOKEN, signToken(TOKEN, priv), [pem]).valid, true);
    assert.strictEqual(verifyToken(TOKEN, signToken('x', priv), [pem]).valid, false);
  });

  test('no keys is a usage error; a bad key is refused with its name', () => {
    assert.throws(() => verifyToken(TOKEN, 'AAAA', []), /No public key/);
    assert.throws(() => verifyToken(TOKEN, 'AAAA', [{ name: 'oops', pem: fixture('rsa2048_private_key.pem') }]), (e: Error & { code?: string }) => {
      assert.strictEqual(e.code, 'KEY_PRIVATE_NOT_PUBLIC');
      assert.match(e.message, /^Public key "oops" holds a private key/);
      assertNoKeyMaterial(e.message);
      return true;
    });
  });

  test('a private KeyObject used for signing is still refused as a public key', () => {
    signToken(TOKEN, priv);
    assert.throws(() => verifyToken(TOKEN, 'AAAA', [{ name: 'p', pem: priv }]), (e: Error & { code?: string }) => e.code === 'KEY_PRIVATE_NOT_PUBLIC');
  });

  test('diagnose: false skips the diagnosis', () => {
    const r = verifyToken(TOKEN, rawSign(TOKEN + '\n'), [KEY], { diagnose: false });
    assert.deepStrictEqual({ valid: r.valid, findings: r.findings }, { valid: false, findings: [] });
  });
});

suite('tokens: diagnosis of the known mistakes', () => {
  test('token signed with a trailing newline (echo without -n)', () => {
    const r = diagnose(TOKEN, rawSign(TOKEN + '\n'), ['TOKEN_TRAILING_NEWLINE']);
    assert.match(r.findings[0].message, /followed by a newline/);
    assert.match(r.findings[0].fix, /printf %s|echo -n/);
    assert.strictEqual(r.findings[0].keyName, 'primary');
  });

  test('token signed with CR LF', () => {
    diagnose(TOKEN, rawSign(TOKEN + '\r\n'), ['TOKEN_TRAILING_CRLF']);
  });

  test('token signed with a leading or trailing space', () => {
    diagnose(TOKEN, rawSign(TOKEN + ' '), ['TOKEN_EXTRA_WHITESPACE']);
    diagnose(TOKEN, rawSign(' ' + TOKEN), ['TOKEN_EXTRA_WHITESPACE']);
  });

  test('the token given has a newline that was not signed', () => {
    diagnose(TOKEN + '\n', rawSign(TOKEN), ['TOKEN_WHITESPACE_NOT_SIGNED']);
  });

  test('the hex digest text signed instead of the token, and its variants', () => {
    const hex = sha256(TOKEN).toString('hex');
    diagnose(TOKEN, rawSign(hex), ['HEX_DIGEST_SIGNED']);
    diagnose(TOKEN, rawSign(hex + '\n'), ['HEX_DIGEST_SIGNED']);
    diagnose(TOKEN, rawSign(hex.toUpperCase()), ['HEX_DIGEST_SIGNED']);
    diagnose(TOKEN, rawSign(`${hex}  -\n`), ['HEX_DIGEST_SIGNED']);
    diagnose(TOKEN, rawSign(sha256(TOKEN + '\n').toString('hex')), ['HEX_DIGEST_SIGNED']);
    const r = diagnose(TOKEN, rawSign(hex, 'sha1'), ['WRONG_HASH_ALGORITHM', 'HEX_DIGEST_SIGNED']);
    assert.match(r.findings[0].message, /SHA1/);
  });

  test('the base64 digest, or the raw digest hashed again', () => {
    diagnose(TOKEN, rawSign(sha256(TOKEN).toString('base64')), ['BASE64_DIGEST_SIGNED']);
    diagnose(TOKEN, rawSign(sha256(TOKEN)), ['DIGEST_SIGNED_AGAIN']);
  });

  test('another hash than SHA-256', () => {
    for (const hash of ['sha1', 'sha384', 'sha512']) {
      const r = diagnose(TOKEN, rawSign(TOKEN, hash), ['WRONG_HASH_ALGORITHM']);
      assert.match(r.findings[0].message, new RegExp(hash.toUpperCase()));
    }
  });

  test('raw RSA without DigestInfo (pkeyutl without -pkeyopt digest), over the digest or the text', () => {
    const pad = { key: priv, padding: crypto.constants.RSA_PKCS1_PADDING };
    diagnose(TOKEN, crypto.privateEncrypt(pad, sha256(TOKEN)).toString('base64'), ['DIGEST_INFO_MISSING']);
    diagnose(TOKEN, crypto.privateEncrypt(pad, Buffer.from(TOKEN)).toString('base64'), ['TOKEN_NOT_HASHED']);
    const hex = sha256(TOKEN).toString('hex');
    diagnose(TOKEN, crypto.privateEncrypt(pad, Buffer.from(hex)).toString('base64'), ['TOKEN_NOT_HASHED', 'HEX_DIGEST_SIGNED']);
  });

  test('RSA-PSS instead of PKCS#1 v1.5', () => {
    const pss = crypto.sign('sha256', Buffer.from(TOKEN), { key: priv, padding: crypto.constants.RSA_PKCS1_PSS_PADDING }).toString('base64');
    diagnose(TOKEN, pss, ['PSS_PADDING']);
  });

  test('quoted token, UTF-16 token, whole JWT as the token', () => {
    diagnose(TOKEN, rawSign(`"${TOKEN}"`), ['TOKEN_QUOTED']);
    diagnose(TOKEN, rawSign(Buffer.from(TOKEN, 'utf16le')), ['TOKEN_ENCODING']);
    diagnose('héllo', rawSign(Buffer.from('héllo', 'latin1')), ['TOKEN_ENCODING']);
    const header = Buffer.from('{"alg":"RS256","typ":"JWT"}').toString('base64url');
    const payload = Buffer.from('{"sub":"device-1"}').toString('base64url');
    const jwsSig = crypto.sign('sha256', Buffer.from(`${header}.${payload}`), priv);
    diagnose(`${header}.${payload}.${jwsSig.toString('base64url')}`, jwsSig.toString('base64'), ['TOKEN_IS_WHOLE_JWT']);
    // docs/aws-custom-auth.md, "What real clients send": the JWS signature itself is base64url; converted it is valid.
    diagnose(`${header}.${payload}`, jwsSig.toString('base64url'), ['SIGNATURE_BASE64URL']);
    assert.strictEqual(verifyToken(`${header}.${payload}`, jwsSig.toString('base64'), [KEY]).valid, true);
  });

  test('signature wrapped at 76 columns (GNU base64), or with a final newline', () => {
    const sig = signToken(TOKEN, priv);
    const wrapped = (sig.match(new RegExp(`.{1,${GNU_BASE64_WRAP_COLUMNS}}`, 'g')) ?? []).join('\n') + '\n';
    diagnose(TOKEN, wrapped, ['SIGNATURE_LINE_BREAKS']);
    diagnose(TOKEN, sig + '\n', ['SIGNATURE_LINE_BREAKS']);
    diagnose(TOKEN, sig.replace(/(.{40})/, '$1\r\n'), ['SIGNATURE_LINE_BREAKS']);
  });

  test('echo without -n and GNU base64 together: both named, the token first', () => {
    const sig = rawSign(TOKEN + '\n');
    const wrapped = (sig.match(/.{1,76}/g) ?? []).join('\n');
    diagnose(TOKEN, wrapped, ['TOKEN_TRAILING_NEWLINE', 'SIGNATURE_LINE_BREAKS']);
  });

  test('signature with spaces inserted', () => {
    const sig = signToken(TOKEN, priv);
    diagnose(TOKEN, `${sig.slice(0, 100)} ${sig.slice(100)}`, ['SIGNATURE_SPACES']);
  });

  test('"+" turned into spaces by an unencoded query string', () => {
    const { token, signature } = tokenWhoseSignatureHas('+');
    const query = `X-Token=${token}&x-amz-customauthorizer-signature=${signature}`;
    const arrived = extractCredentials({ queryString: query }, 'X-Token');
    assert.ok(arrived.signature?.includes(' '));
    const r = diagnose(token, arrived.signature ?? '', ['SIGNATURE_PLUS_AS_SPACE']);
    assert.match(r.findings[0].fix, /URL-encode/);
    // Encoded properly, the same parser gives back a valid signature.
    const ok = extractCredentials({ queryString: credentialsToQueryString({ tokenKeyName: 'X-Token', token, signature }) }, 'X-Token');
    assert.strictEqual(verifyToken(token, ok.signature ?? '', [KEY]).valid, true);
  });

  test('signature left %-encoded, or encoded twice (%252B)', () => {
    const { token, signature } = tokenWhoseSignatureHas('+/');
    const once = encodeURIComponent(signature);
    diagnose(token, once, ['SIGNATURE_URL_ENCODED']);
    diagnose(token, encodeURIComponent(once), ['SIGNATURE_DOUBLE_URL_ENCODED']);
  });

  test('base64url instead of base64, and padding dropped', () => {
    const { token, signature } = tokenWhoseSignatureHas('+/');
    const bytes = Buffer.from(signature, 'base64');
    diagnose(token, bytes.toString('base64url'), ['SIGNATURE_BASE64URL']);
    diagnose(token, signature.replace(/=+$/, ''), ['SIGNATURE_MISSING_PADDING']);
  });

  test('hex instead of base64', () => {
    diagnose(TOKEN, Buffer.from(signToken(TOKEN, priv), 'base64').toString('hex'), ['SIGNATURE_HEX']);
  });

  test('a different key: well-formed, right length, names the fingerprints it does not match', () => {
    const r = diagnose(TOKEN, signToken(TOKEN, otherPriv), ['DIFFERENT_KEY']);
    const fp = importPublicKey(KEY.pem as string).shortFingerprint;
    assert.match(r.findings[0].message, /signed by a different private key/);
    assert.ok(r.findings[0].message.includes(fp), r.findings[0].message);
    assert.ok(r.findings[0].message.includes('"primary"'));
  });

  test('a different key whose signature was also wrapped: both said', () => {
    const wrapped = (signToken(TOKEN, otherPriv).match(/.{1,76}/g) ?? []).join('\n');
    diagnose(TOKEN, wrapped, ['DIFFERENT_KEY', 'SIGNATURE_LINE_BREAKS']);
  });

  test('signed by the right key over some other text', () => {
    const r = diagnose(TOKEN, rawSign('SomethingElse'), ['SIGNED_DIFFERENT_TEXT']);
    assert.match(r.findings[0].message, /made with "primary"/);
  });

  test('wrong signature length for the key size (truncated, or another key size)', () => {
    const sig = signToken(TOKEN, priv);
    const r = diagnose(TOKEN, sig.slice(0, 200), ['SIGNATURE_WRONG_LENGTH']);
    assert.match(r.findings[0].message, /150 bytes.*256 bytes \(344 base64 characters\) for a 2048-bit key/);
    diagnose(TOKEN, signToken(TOKEN, priv3072), ['SIGNATURE_WRONG_LENGTH']);
  });

  test('not base64 at all, and empty', () => {
    const r = diagnose(TOKEN, 'not a signature!', ['SIGNATURE_NOT_BASE64']);
    assert.match(r.findings[0].message, /"!"/);
    diagnose(TOKEN, '', ['SIGNATURE_EMPTY']);
    diagnose(TOKEN, 'A=B=', ['SIGNATURE_NOT_BASE64']);
  });

  test('token longer than MAX_TOKEN_LENGTH: invalid even though the signature matches', () => {
    const long = 'x'.repeat(MAX_TOKEN_LENGTH + 1);
    const r = verifyToken(long, signToken(long, priv), [KEY]);
    assert.strictEqual(r.valid, false);
    assert.strictEqual(r.keyName, 'primary');
    assert.deepStrictEqual(codes(r), ['TOKEN_TOO_LONG']);
    const atLimit = 'x'.repeat(MAX_TOKEN_LENGTH);
    assert.strictEqual(verifyToken(atLimit, signToken(atLimit, priv), [KEY]).valid, true);
  });

  test('signature longer than MAX_SIGNATURE_LENGTH', () => {
    const r = verifyToken(TOKEN, 'A'.repeat(MAX_SIGNATURE_LENGTH + 4), [KEY]);
    assert.strictEqual(r.valid, false);
    assert.strictEqual(codes(r)[0], 'SIGNATURE_TOO_LONG');
  });
});
