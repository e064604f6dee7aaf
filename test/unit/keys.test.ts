import * as assert from 'assert';
import * as crypto from 'crypto';
import { ALLOWED_KEYGEN_BITS, FINGERPRINT_SHORT_BYTES, MIN_RSA_BITS } from '../../src/core/constants';
import { UserError } from '../../src/core/errors';
import { fingerprintOf, generateKeyPair, importPrivateKey, importPublicKey, shortFingerprint } from '../../src/core/keys';
import { signToken } from '../../src/core/tokens';
import { assertNoKeyMaterial, fixture, TEST_PASSPHRASE, thrown } from './keyFixtures';

const FINGERPRINT = /^(?:[0-9a-f]{2}:){31}[0-9a-f]{2}$/;

function assertRefused(fn: () => unknown, code: string, mentions: RegExp): void {
  const e = thrown(fn);
  assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
  assert.strictEqual(e.code, code, e.message);
  assert.match(e.message, mentions);
  assertNoKeyMaterial(e.message);
}

suite('keys: generate', () => {
  test('2048-bit pair: PKCS#8 private, SPKI public, matching fingerprint', async () => {
    const pair = await generateKeyPair(2048);
    assert.match(pair.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(pair.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    assert.strictEqual(pair.bits, 2048);
    assert.match(pair.fingerprint, FINGERPRINT);
    const imported = importPrivateKey(pair.privateKeyPem);
    assert.strictEqual(imported.fingerprint, pair.fingerprint);
    assert.strictEqual(imported.publicKeyPem, pair.publicKeyPem);
    assert.strictEqual(importPublicKey(pair.publicKeyPem).fingerprint, pair.fingerprint);
  });

  test('does not block the event loop while generating', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const pair = await generateKeyPair(3072);
      assert.strictEqual(pair.bits, 3072);
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks > 0, 'the timer never fired during key generation');
  });

  test('encrypts the private key when given a passphrase', async () => {
    const pair = await generateKeyPair(2048, { passphrase: TEST_PASSPHRASE });
    assert.match(pair.privateKeyPem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    assertRefused(() => importPrivateKey(pair.privateKeyPem), 'KEY_PASSPHRASE_REQUIRED', /passphrase/);
    assert.strictEqual(importPrivateKey(pair.privateKeyPem, { passphrase: TEST_PASSPHRASE }).fingerprint, pair.fingerprint);
  });

  test('refuses sizes other than the allowed ones', async () => {
    for (const bits of [1024, 2047, 8192]) {
      await assert.rejects(generateKeyPair(bits), (e: UserError) => e.code === 'KEYGEN_BITS' && e.message.includes(ALLOWED_KEYGEN_BITS.join(', ')));
    }
  });
});

suite('keys: import', () => {
  test('PKCS#8 and PKCS#1 private keys of the same key read the same', () => {
    const pkcs8 = importPrivateKey(fixture('rsa2048_private_key.pem'));
    const pkcs1 = importPrivateKey(fixture('rsa2048_pkcs1_private_key.pem'));
    assert.strictEqual(pkcs8.format, 'pkcs8');
    assert.strictEqual(pkcs1.format, 'pkcs1');
    assert.strictEqual(pkcs1.fingerprint, pkcs8.fingerprint);
    assert.strictEqual(pkcs8.publicKeyPem, fixture('rsa2048_public_key.pem'));
    assert.strictEqual(pkcs8.bits, 2048);
  });

  test('encrypted PKCS#8 and legacy encrypted PKCS#1 with their passphrase', () => {
    const expected = importPublicKey(fixture('rsa2048_public_key.pem')).fingerprint;
    for (const name of ['rsa2048_encrypted_private_key.pem', 'rsa2048_pkcs1_encrypted_private_key.pem']) {
      const k = importPrivateKey(fixture(name), { passphrase: TEST_PASSPHRASE });
      assert.ok(k.encrypted);
      assert.strictEqual(k.fingerprint, expected, name);
    }
  });

  test('a PKCS#1 public key is accepted and given back as SPKI', () => {
    const k = importPublicKey(fixture('rsa2048_pkcs1_public_key.pem'));
    assert.strictEqual(k.publicKeyPem, fixture('rsa2048_public_key.pem'));
  });

  test('a key next to a certificate in one file is found', () => {
    const both = fixture('rsa2048_certificate.pem') + fixture('rsa2048_private_key.pem');
    assert.strictEqual(importPrivateKey(both).publicKeyPem, fixture('rsa2048_public_key.pem'));
  });

  test('refuses keys smaller than MIN_RSA_BITS', () => {
    assertRefused(() => importPrivateKey(fixture('rsa1024_private_key.pem')), 'KEY_TOO_SMALL', new RegExp(`1024-bit.*at least ${MIN_RSA_BITS}.*keygen`));
    assertRefused(() => importPublicKey(fixture('rsa1024_public_key.pem')), 'KEY_TOO_SMALL', /1024-bit/);
  });

  test('refuses EC, Ed25519 and RSA-PSS keys, naming the type', () => {
    assertRefused(() => importPrivateKey(fixture('ec_p256_private_key.pem')), 'KEY_NOT_RSA', /EC key.*RSA/);
    assertRefused(() => importPrivateKey(fixture('ec_p256_pkcs8_private_key.pem')), 'KEY_NOT_RSA', /EC key.*RSA/);
    assertRefused(() => importPublicKey(fixture('ec_p256_public_key.pem')), 'KEY_NOT_RSA', /EC key/);
    assertRefused(() => importPrivateKey(fixture('ed25519_private_key.pem')), 'KEY_NOT_RSA', /ED25519 key.*keygen/);
    assertRefused(() => importPublicKey(fixture('ed25519_public_key.pem')), 'KEY_NOT_RSA', /ED25519 key/);
    assertRefused(() => importPrivateKey(fixture('rsa_pss_private_key.pem')), 'KEY_NOT_RSA', /RSA-PSS.*PKCS#1 v1\.5/);
  });

  test('refuses text that is not PEM, and a damaged PEM body', () => {
    assertRefused(() => importPrivateKey('hello'), 'KEY_MALFORMED', /not a PEM key.*BEGIN PRIVATE KEY/);
    assertRefused(() => importPublicKey(''), 'KEY_MALFORMED', /not a PEM key.*BEGIN PUBLIC KEY/);
    const pem = fixture('rsa2048_private_key.pem').split('\n');
    const damaged = [...pem.slice(0, 5), ...pem.slice(9)].join('\n');
    assertRefused(() => importPrivateKey(damaged), 'KEY_MALFORMED', /does not parse.*damaged/);
    const pub = fixture('rsa2048_public_key.pem').replace(/A/g, '!');
    assertRefused(() => importPublicKey(pub), 'KEY_MALFORMED', /does not parse/);
  });

  test('refuses a certificate where a key is expected, with the extraction command', () => {
    assertRefused(() => importPublicKey(fixture('rsa2048_certificate.pem')), 'KEY_IS_CERTIFICATE', /certificate.*openssl x509 .*-pubkey/);
    assertRefused(() => importPrivateKey(fixture('rsa2048_certificate.pem')), 'KEY_IS_CERTIFICATE', /certificate/);
  });

  test('refuses a public key where a private one is needed, and the reverse', () => {
    assertRefused(() => importPrivateKey(fixture('rsa2048_public_key.pem'), { what: 'pub.pem' }), 'KEY_PUBLIC_NOT_PRIVATE', /^pub\.pem holds a public key.*private key/);
    assertRefused(() => importPublicKey(fixture('rsa2048_private_key.pem')), 'KEY_PRIVATE_NOT_PUBLIC', /private key.*Never register.*-pubout/);
    assertRefused(() => importPublicKey(fixture('rsa2048_pkcs1_private_key.pem')), 'KEY_PRIVATE_NOT_PUBLIC', /private key/);
  });

  test('refuses an OpenSSH private key, saying how to convert it', () => {
    assertRefused(() => importPrivateKey(fixture('openssh_private_key.txt')), 'KEY_UNSUPPORTED_FORMAT', /OpenSSH.*ssh-keygen -p -m PEM/);
  });

  test('encrypted key: missing and wrong passphrase are told apart', () => {
    for (const name of ['rsa2048_encrypted_private_key.pem', 'rsa2048_pkcs1_encrypted_private_key.pem']) {
      assertRefused(() => importPrivateKey(fixture(name)), 'KEY_PASSPHRASE_REQUIRED', /encrypted.*passphrase/);
      assertRefused(() => importPrivateKey(fixture(name), { passphrase: 'wrong' }), 'KEY_PASSPHRASE_WRONG', /passphrase is wrong/);
    }
  });

  test('signing with a public KeyObject is refused like a public PEM', () => {
    const pub = importPublicKey(fixture('rsa2048_public_key.pem')).keyObject;
    assertRefused(() => signToken('t', pub), 'KEY_PUBLIC_NOT_PRIVATE', /signing needs the private key/);
    assertRefused(() => signToken('t', fixture('rsa2048_public_key.pem')), 'KEY_PUBLIC_NOT_PRIVATE', /public key/);
    const ec = crypto.createPrivateKey(fixture('ec_p256_private_key.pem'));
    assertRefused(() => signToken('t', ec), 'KEY_NOT_RSA', /EC key/);
  });
});

suite('keys: fingerprint', () => {
  test('SHA-256 of the SPKI DER as colon hex; short form is its first bytes', () => {
    const k = importPublicKey(fixture('rsa2048_public_key.pem'));
    const der = k.keyObject.export({ type: 'spki', format: 'der' });
    const hex = crypto.createHash('sha256').update(der).digest('hex');
    assert.strictEqual(k.fingerprint.replace(/:/g, ''), hex);
    assert.match(k.fingerprint, FINGERPRINT);
    assert.strictEqual(k.shortFingerprint, k.fingerprint.slice(0, FINGERPRINT_SHORT_BYTES * 3 - 1));
    assert.strictEqual(shortFingerprint(k.fingerprint), k.shortFingerprint);
  });

  test('the same for a private key and its public key; different keys differ', () => {
    const priv = crypto.createPrivateKey(fixture('rsa2048_private_key.pem'));
    const pub = crypto.createPublicKey(fixture('rsa2048_public_key.pem'));
    const other = crypto.createPublicKey(fixture('other_rsa2048_public_key.pem'));
    assert.strictEqual(fingerprintOf(priv), fingerprintOf(pub));
    assert.notStrictEqual(fingerprintOf(other), fingerprintOf(pub));
  });
});
