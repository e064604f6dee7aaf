// RSA signing keys for custom authorizers (docs/aws-custom-auth.md: "Signing keys and tokens"): generate, import, check, fingerprint.
// Keys are refused early with a message that says why and what to do, so a user never learns
// from AWS (or a device that cannot connect) that a key was unusable. Messages name the PEM
// label or key type, never key material.
import * as crypto from 'crypto';
import { promisify } from 'util';
import {
  ALLOWED_KEYGEN_BITS,
  DEFAULT_KEYGEN_BITS,
  FINGERPRINT_SHORT_BYTES,
  MIN_RSA_BITS,
  PRIVATE_KEY_CIPHER,
  RSA_PUBLIC_EXPONENT,
} from './constants';
import { UserError } from './errors';

export type KeygenBits = (typeof ALLOWED_KEYGEN_BITS)[number];

/** Error codes of this module, stable for tests and `--json`. */
export type KeyErrorCode =
  | 'KEY_MALFORMED'
  | 'KEY_IS_CERTIFICATE'
  | 'KEY_NOT_RSA'
  | 'KEY_TOO_SMALL'
  | 'KEY_PUBLIC_NOT_PRIVATE'
  | 'KEY_PRIVATE_NOT_PUBLIC'
  | 'KEY_UNSUPPORTED_FORMAT'
  | 'KEY_PASSPHRASE_REQUIRED'
  | 'KEY_PASSPHRASE_WRONG'
  | 'KEYGEN_BITS';

export class KeyError extends UserError {
  constructor(
    message: string,
    override readonly code: KeyErrorCode,
  ) {
    super(message, code);
    this.name = 'KeyError';
  }
}

/** The plain facts about a public key that a UI, the CLI or a test shows. */
export interface PublicKeyInfo {
  readonly bits: number;
  /** SPKI PEM, exactly what `openssl rsa -pubout` prints for the key. */
  readonly publicKeyPem: string;
  /** See `fingerprintOf`. */
  readonly fingerprint: string;
  readonly shortFingerprint: string;
}

export interface RsaPublicKey extends PublicKeyInfo {
  readonly keyObject: crypto.KeyObject;
}

export interface RsaPrivateKey extends PublicKeyInfo {
  readonly keyObject: crypto.KeyObject;
  /** The format it was read from; `encrypted` when it needed a passphrase. */
  readonly format: 'pkcs8' | 'pkcs1';
  readonly encrypted: boolean;
}

export interface GeneratedKeyPair extends PublicKeyInfo {
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, or `ENCRYPTED PRIVATE KEY` with a passphrase). */
  readonly privateKeyPem: string;
}

const generateKeyPairAsync = promisify(crypto.generateKeyPair);

export function isKeygenBits(bits: number): bits is KeygenBits {
  return (ALLOWED_KEYGEN_BITS as readonly number[]).includes(bits);
}

/**
 * Generates an RSA key pair off the main thread (`crypto.generateKeyPair`; 4096 bits takes
 * seconds). With a passphrase the private key is written encrypted with PRIVATE_KEY_CIPHER.
 */
export async function generateKeyPair(bits: number = DEFAULT_KEYGEN_BITS, options: { passphrase?: string } = {}): Promise<GeneratedKeyPair> {
  if (!isKeygenBits(bits)) {
    throw new KeyError(`Cannot generate a ${bits}-bit key: choose one of ${ALLOWED_KEYGEN_BITS.join(', ')} bits.`, 'KEYGEN_BITS');
  }
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: RSA_PUBLIC_EXPONENT });
  const privateKeyPem = options.passphrase
    ? privateKey.export({ type: 'pkcs8', format: 'pem', cipher: PRIVATE_KEY_CIPHER, passphrase: options.passphrase })
    : privateKey.export({ type: 'pkcs8', format: 'pem' });
  return { privateKeyPem: privateKeyPem.toString(), ...publicKeyInfo(publicKey) };
}

/**
 * SHA-256 of the public key's SPKI DER, lowercase hex pairs joined by `:`. The same text as
 * `openssl pkey -pubin -in public_key.pem -outform DER | openssl dgst -sha256 -c`, so anyone
 * can check it without this tool. The same for a private key and its public key.
 */
export function fingerprintOf(key: crypto.KeyObject): string {
  const publicKey = key.type === 'private' ? crypto.createPublicKey(key) : key;
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return colonHex(crypto.createHash('sha256').update(der).digest());
}

/** The first FINGERPRINT_SHORT_BYTES of a fingerprint, e.g. `3f:a0:9c:11:52:e7`. */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.split(':').slice(0, FINGERPRINT_SHORT_BYTES).join(':');
}

function colonHex(bytes: Buffer): string {
  return (bytes.toString('hex').match(/../g) ?? []).join(':');
}

export function publicKeyInfo(key: crypto.KeyObject): PublicKeyInfo {
  const publicKey = key.type === 'private' ? crypto.createPublicKey(key) : key;
  const fingerprint = fingerprintOf(publicKey);
  return {
    bits: publicKey.asymmetricKeyDetails?.modulusLength ?? 0,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint,
    shortFingerprint: shortFingerprint(fingerprint),
  };
}

interface PemBlock {
  readonly label: string;
  readonly text: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1], text: m[0] }));
}

const CONVERT_TO_PKCS8 = 'openssl pkcs8 -topk8 -nocrypt -in KEY -out private_key.pem';

function refuseLabel(label: string, expected: 'private' | 'public', what: string): never {
  if (label.includes('CERTIFICATE REQUEST')) {
    throw new KeyError(`${what} is a certificate signing request, not a key. Use the ${expected} key file the request was made from.`, 'KEY_IS_CERTIFICATE');
  }
  if (label.includes('CERTIFICATE')) {
    const fix =
      expected === 'public'
        ? 'Extract its public key with `openssl x509 -in CERT.pem -pubkey -noout > public_key.pem`, or use the public key file.'
        : 'Use the private key file the certificate was made for.';
    throw new KeyError(`${what} is a certificate (${label}), not a ${expected} key. ${fix}`, 'KEY_IS_CERTIFICATE');
  }
  if (label === 'OPENSSH PRIVATE KEY') {
    throw new KeyError(
      `${what} is in OpenSSH's own format, which this tool does not read. Convert a copy to PEM with \`ssh-keygen -p -m PEM -f COPY\`, or generate an RSA key with \`iot-authz keygen\`.`,
      'KEY_UNSUPPORTED_FORMAT',
    );
  }
  if (expected === 'private' && label.includes('PUBLIC KEY')) {
    throw new KeyError(
      `${what} holds a public key (${label}), but signing needs the private key. Use private_key.pem (the file made by \`openssl genrsa\` or \`iot-authz keygen\`).`,
      'KEY_PUBLIC_NOT_PRIVATE',
    );
  }
  if (expected === 'public' && label.includes('PRIVATE KEY')) {
    throw new KeyError(
      `${what} holds a private key (${label}) where a public key is expected. Never register or share a private key; derive its public key with \`openssl rsa -in private_key.pem -pubout > public_key.pem\`.`,
      'KEY_PRIVATE_NOT_PUBLIC',
    );
  }
  if (label === 'EC PRIVATE KEY' || label === 'EC PARAMETERS' || label === 'DSA PRIVATE KEY') {
    throw notRsa(label.split(' ')[0].toLowerCase(), what);
  }
  throw new KeyError(`${what} holds a "${label}" PEM block, not an RSA ${expected} key.`, 'KEY_MALFORMED');
}

function notRsa(type: string, what: string): KeyError {
  const hint = type === 'rsa-pss' ? ' (an RSA-PSS-only key cannot make PKCS#1 v1.5 signatures)' : '';
  return new KeyError(
    `${what} is a ${type.toUpperCase()} key${hint}; AWS IoT custom authorizers verify RSA PKCS#1 v1.5 signatures only. Generate an RSA key: \`iot-authz keygen --bits ${DEFAULT_KEYGEN_BITS}\` or \`openssl genrsa -out private_key.pem ${DEFAULT_KEYGEN_BITS}\`.`,
    'KEY_NOT_RSA',
  );
}

function checkRsaKey(key: crypto.KeyObject, what: string): number {
  if (key.asymmetricKeyType !== 'rsa') throw notRsa(key.asymmetricKeyType ?? 'unknown', what);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw new KeyError(
      `${what} is a ${bits}-bit RSA key; AWS IoT requires at least ${MIN_RSA_BITS} bits. Generate a new key: \`iot-authz keygen --bits ${DEFAULT_KEYGEN_BITS}\`.`,
      'KEY_TOO_SMALL',
    );
  }
  return bits;
}

function findBlock(text: string, what: string, wanted: (label: string) => boolean, expected: 'private' | 'public'): PemBlock {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) {
    // No PEM header in the message itself: redactSecrets would swallow the rest of it.
    const kind = expected === 'private' ? 'PRIVATE KEY' : 'PUBLIC KEY';
    throw new KeyError(
      `${what} is not a PEM key: no BEGIN/END block found. Expected the text of a PEM file whose first line reads "BEGIN ${kind}" between five dashes; check it was not truncated, or pasted without its first and last lines.`,
      'KEY_MALFORMED',
    );
  }
  const block = blocks.find((b) => wanted(b.label));
  if (!block) refuseLabel(blocks[0].label, expected, what);
  return block;
}

/**
 * Reads an RSA private key from PEM: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`), and
 * their encrypted forms with `passphrase`. Other PEM blocks in the text (a certificate next to
 * the key) are skipped. `what` names the input in messages, e.g. the file name.
 */
export function importPrivateKey(pem: string, options: { passphrase?: string; what?: string } = {}): RsaPrivateKey {
  const what = options.what ?? 'The key';
  const block = findBlock(pem, what, (l) => l === 'PRIVATE KEY' || l === 'RSA PRIVATE KEY' || l === 'ENCRYPTED PRIVATE KEY', 'private');
  const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || /^Proc-Type:\s*4,ENCRYPTED/m.test(block.text);
  if (encrypted && !options.passphrase) {
    throw new KeyError(
      `${what} is encrypted and needs its passphrase. Pass it (CLI: --passphrase-env VAR), or decrypt a copy with \`openssl pkey -in KEY -out plain.pem\`.`,
      'KEY_PASSPHRASE_REQUIRED',
    );
  }
  let keyObject: crypto.KeyObject;
  try {
    keyObject = crypto.createPrivateKey({ key: block.text, format: 'pem', passphrase: encrypted ? options.passphrase : undefined });
  } catch {
    // The crypto error text adds nothing a user can act on; the label and state say more.
    if (encrypted) {
      throw new KeyError(`${what} could not be decrypted: the passphrase is wrong (or the file is damaged). Check the passphrase and try again.`, 'KEY_PASSPHRASE_WRONG');
    }
    throw new KeyError(
      `${what} has a "${block.label}" block that does not parse as a key: its base64 body is damaged or incomplete. Export the key again (\`${CONVERT_TO_PKCS8}\` rewrites a readable key).`,
      'KEY_MALFORMED',
    );
  }
  const bits = checkRsaKey(keyObject, what);
  return {
    keyObject,
    format: block.label === 'RSA PRIVATE KEY' ? 'pkcs1' : 'pkcs8',
    encrypted,
    ...publicKeyInfo(keyObject),
    bits,
  };
}

/**
 * Reads an RSA public key from PEM: SPKI (`PUBLIC KEY`, what AWS stores) or PKCS#1
 * (`RSA PUBLIC KEY`); `publicKeyPem` is always the SPKI form. A private key or a certificate
 * is refused (registering a private key would leak it).
 */
export function importPublicKey(pem: string, options: { what?: string } = {}): RsaPublicKey {
  const what = options.what ?? 'The key';
  const block = findBlock(pem, what, (l) => l === 'PUBLIC KEY' || l === 'RSA PUBLIC KEY', 'public');
  let keyObject: crypto.KeyObject;
  try {
    keyObject = crypto.createPublicKey({ key: block.text, format: 'pem' });
  } catch {
    throw new KeyError(
      `${what} has a "${block.label}" block that does not parse as a key: its base64 body is damaged or incomplete. Derive it again with \`openssl rsa -in private_key.pem -pubout > public_key.pem\`.`,
      'KEY_MALFORMED',
    );
  }
  const bits = checkRsaKey(keyObject, what);
  return { keyObject, ...publicKeyInfo(keyObject), bits };
}

/**
 * Checks a KeyObject handed in directly (e.g. parsed once for speed) the same way as PEM,
 * and remembers the verdict so hot paths (signing in a loop) pay for it once.
 */
const checkedKeys = { private: new WeakSet<crypto.KeyObject>(), public: new WeakSet<crypto.KeyObject>() };
export function assertRsaKeyObject(key: crypto.KeyObject, type: 'private' | 'public', what = 'The key'): void {
  if (checkedKeys[type].has(key)) return;
  if (key.type !== type) {
    refuseLabel(key.type === 'private' ? 'PRIVATE KEY' : key.type === 'public' ? 'PUBLIC KEY' : 'SECRET KEY', type, what);
  }
  checkRsaKey(key, what);
  checkedKeys[type].add(key);
}
