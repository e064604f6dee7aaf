// Token signatures (docs/aws-custom-auth.md: "Signing keys and tokens"): RSA PKCS#1 v1.5 over SHA-256 of the token's UTF-8 bytes,
// standard base64. `signToken` signs; `verifyToken` answers like AWS does, and when the answer
// is no, signatureDiagnosis.ts works out why.
import * as crypto from 'crypto';
import { MAX_SIGNATURE_LENGTH, MAX_TOKEN_LENGTH, TOKEN_SIGNATURE_HASH } from './constants';
import { UserError } from './errors';
import { assertRsaKeyObject, importPrivateKey, importPublicKey, PublicKeyInfo, publicKeyInfo } from './keys';
import { CheckedKey, diagnose, isStrictBase64, ParsedKey, SignatureFinding } from './signatureDiagnosis';

/**
 * Signs `token` for AWS IoT: the same bytes as
 * `printf %s TOKEN | openssl dgst -sha256 -sign private_key.pem | base64 -w0`.
 * Pass a KeyObject (from `importPrivateKey(...).keyObject`) to sign many tokens without
 * parsing the PEM each time.
 */
export function signToken(token: string, privateKey: string | crypto.KeyObject, options: { passphrase?: string } = {}): string {
  const key = typeof privateKey === 'string' ? importPrivateKey(privateKey, options).keyObject : privateKey;
  assertRsaKeyObject(key, 'private');
  return crypto.sign(TOKEN_SIGNATURE_HASH, Buffer.from(token, 'utf8'), key).toString('base64');
}

/** A key the authorizer trusts, by the name it has in `tokenSigningPublicKeys`. */
export interface NamedPublicKey {
  readonly name: string;
  /** SPKI or PKCS#1 PEM, or a parsed public KeyObject. */
  readonly pem: string | crypto.KeyObject;
}

export interface VerifyResult {
  /** True when AWS would accept: a key verifies the signature as given and the limits hold. */
  readonly valid: boolean;
  /** The key that verifies the signature as given (also set when a limit still fails). */
  readonly keyName?: string;
  readonly keyFingerprint?: string;
  /** Why it is not valid, most likely cause first; empty when valid. */
  readonly findings: readonly SignatureFinding[];
  readonly checkedKeys: readonly CheckedKey[];
}

export interface VerifyOptions {
  /** Skip the diagnosis (a few extra RSA operations) when only the yes/no matters. */
  readonly diagnose?: boolean;
}

const keyInfoCache = new WeakMap<crypto.KeyObject, PublicKeyInfo>();

function parseKey(k: NamedPublicKey): ParsedKey {
  const what = `Public key "${k.name}"`;
  let keyObject: crypto.KeyObject;
  let info: PublicKeyInfo | undefined;
  if (typeof k.pem === 'string') {
    const imported = importPublicKey(k.pem, { what });
    keyObject = imported.keyObject;
    info = imported;
  } else {
    keyObject = k.pem;
    assertRsaKeyObject(keyObject, 'public', what);
    info = keyInfoCache.get(keyObject);
  }
  if (!info) {
    info = publicKeyInfo(keyObject);
    keyInfoCache.set(keyObject, info);
  }
  return { name: k.name, bits: info.bits, fingerprint: info.fingerprint, shortFingerprint: info.shortFingerprint, keyObject, bytes: Math.ceil(info.bits / 8) };
}

/**
 * Verifies `signature` over `token` with each key in turn, as AWS does before invoking the
 * authorizer. When no key verifies, `findings` says why (see SignatureFindingCode).
 */
export function verifyToken(token: string, signature: string, publicKeys: readonly NamedPublicKey[], options: VerifyOptions = {}): VerifyResult {
  if (publicKeys.length === 0) {
    throw new UserError('No public key to verify with. Give the public key(s) registered with the authorizer (tokenSigningPublicKeys).', 'NO_PUBLIC_KEYS');
  }
  const keys = publicKeys.map(parseKey);
  const checkedKeys = keys.map(({ name, bits, fingerprint, shortFingerprint }) => ({ name, bits, fingerprint, shortFingerprint }));
  const limits = limitFindings(token, signature);

  let match: ParsedKey | undefined;
  if (isStrictBase64(signature) && signature.length > 0) {
    const sig = Buffer.from(signature, 'base64');
    const data = Buffer.from(token, 'utf8');
    match = keys.find((k) => sig.length === k.bytes && crypto.verify(TOKEN_SIGNATURE_HASH, data, k.keyObject, sig));
  }
  if (match) {
    return { valid: limits.length === 0, keyName: match.name, keyFingerprint: match.fingerprint, findings: limits, checkedKeys };
  }
  const findings = options.diagnose === false ? [] : diagnose(token, signature, keys);
  return { valid: false, findings: [...limits, ...findings], checkedKeys };
}

function limitFindings(token: string, signature: string): SignatureFinding[] {
  const findings: SignatureFinding[] = [];
  if (token.length > MAX_TOKEN_LENGTH) {
    findings.push({
      code: 'TOKEN_TOO_LONG',
      message: `The token is ${token.length} characters; AWS accepts at most ${MAX_TOKEN_LENGTH}.`,
      fix: `Shorten the token to ${MAX_TOKEN_LENGTH} characters or fewer (carry large data elsewhere, e.g. in the MQTT password).`,
    });
  }
  if (signature.length > MAX_SIGNATURE_LENGTH) {
    findings.push({
      code: 'SIGNATURE_TOO_LONG',
      message: `The signature is ${signature.length} characters; AWS accepts at most ${MAX_SIGNATURE_LENGTH}.`,
      fix: 'Pass only the base64 signature of the token, one line, nothing else.',
    });
  }
  return findings;
}
