// Why a token signature does not verify: it recovers what the signature was made over (RSA
// verify-recover) and compares it with the known mistakes, so the user reads "signed with a
// trailing newline", not "invalid". tokens.ts verifies and calls this when no key does. Pure.
import * as crypto from 'crypto';
import { GNU_BASE64_WRAP_COLUMNS, TOKEN_SIGNATURE_HASH } from './constants';

export type SignatureFindingCode =
  | 'TOKEN_TOO_LONG'
  | 'SIGNATURE_TOO_LONG'
  | 'SIGNATURE_EMPTY'
  | 'SIGNATURE_NOT_BASE64'
  | 'SIGNATURE_LINE_BREAKS'
  | 'SIGNATURE_SPACES'
  | 'SIGNATURE_PLUS_AS_SPACE'
  | 'SIGNATURE_URL_ENCODED'
  | 'SIGNATURE_DOUBLE_URL_ENCODED'
  | 'SIGNATURE_BASE64URL'
  | 'SIGNATURE_MISSING_PADDING'
  | 'SIGNATURE_HEX'
  | 'SIGNATURE_WRONG_LENGTH'
  | 'TOKEN_TRAILING_NEWLINE'
  | 'TOKEN_TRAILING_CRLF'
  | 'TOKEN_EXTRA_WHITESPACE'
  | 'TOKEN_WHITESPACE_NOT_SIGNED'
  | 'TOKEN_QUOTED'
  | 'TOKEN_ENCODING'
  | 'TOKEN_IS_WHOLE_JWT'
  | 'HEX_DIGEST_SIGNED'
  | 'BASE64_DIGEST_SIGNED'
  | 'DIGEST_SIGNED_AGAIN'
  | 'WRONG_HASH_ALGORITHM'
  | 'DIGEST_INFO_MISSING'
  | 'TOKEN_NOT_HASHED'
  | 'PSS_PADDING'
  | 'SIGNED_DIFFERENT_TEXT'
  | 'DIFFERENT_KEY';

export interface SignatureFinding {
  readonly code: SignatureFindingCode;
  /** What is wrong, in a sentence. Never holds key material. */
  readonly message: string;
  /** What to do about it. */
  readonly fix: string;
  /** The key the finding is about, when one is. */
  readonly keyName?: string;
}

export interface CheckedKey {
  readonly name: string;
  readonly bits: number;
  readonly fingerprint: string;
  readonly shortFingerprint: string;
}

/** A trusted key, parsed once for verification and diagnosis. */
export interface ParsedKey extends CheckedKey {
  readonly keyObject: crypto.KeyObject;
  readonly bytes: number;
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 as AWS documents it: alphabet `A-Z a-z 0-9 + /`, padded, one line. */
export function isStrictBase64(text: string): boolean {
  return STRICT_BASE64.test(text);
}

// ---------------------------------------------------------------------------------------
// Diagnosis. Step 1: undo the ways a signature gets mangled on its way (each undo is a
// finding). Step 2: for each repaired signature and key, recover the signed digest; if the
// padding checks out the key is right, and the digest says what was signed.

interface SignatureCandidate {
  readonly text: string;
  readonly repairs: readonly SignatureFindingCode[];
}

const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;

function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Every repair that applies, in order of plausibility; the first candidate is the input. */
function signatureCandidates(signature: string): SignatureCandidate[] {
  const out: SignatureCandidate[] = [];
  const seen = new Set<string>();
  const add = (text: string, repairs: readonly SignatureFindingCode[]): void => {
    if (seen.has(text)) return;
    seen.add(text);
    out.push({ text, repairs });
  };
  const stages: SignatureCandidate[] = [{ text: signature, repairs: [] }];
  // URL decoding, once and twice (%252B).
  if (PERCENT_ESCAPE.test(signature)) {
    const once = percentDecode(signature);
    stages.push({ text: once, repairs: ['SIGNATURE_URL_ENCODED'] });
    if (PERCENT_ESCAPE.test(once)) stages.push({ text: percentDecode(once), repairs: ['SIGNATURE_DOUBLE_URL_ENCODED'] });
  }
  const whitespaceStages: SignatureCandidate[] = [];
  for (const s of stages) {
    whitespaceStages.push(s);
    const trimmed = s.text.trim();
    if (/ /.test(trimmed) && !/[\r\n]/.test(trimmed)) {
      whitespaceStages.push({ text: trimmed.replace(/ /g, '+'), repairs: [...s.repairs, 'SIGNATURE_PLUS_AS_SPACE'] });
    }
    if (/\s/.test(s.text)) {
      whitespaceStages.push({ text: s.text.replace(/\s+/g, ''), repairs: [...s.repairs, /[\r\n]/.test(s.text) ? 'SIGNATURE_LINE_BREAKS' : 'SIGNATURE_SPACES'] });
    }
  }
  for (const s of whitespaceStages) {
    add(s.text, s.repairs);
    if (/[-_]/.test(s.text) && !/[+/]/.test(s.text)) {
      add(padBase64(s.text.replace(/-/g, '+').replace(/_/g, '/')), [...s.repairs, 'SIGNATURE_BASE64URL']);
    } else if (s.text.length % 4 !== 0 && /^[A-Za-z0-9+/]+$/.test(s.text)) {
      add(padBase64(s.text), [...s.repairs, 'SIGNATURE_MISSING_PADDING']);
    }
  }
  return out;
}

function padBase64(text: string): string {
  const bare = text.replace(/=+$/, '');
  return bare + '='.repeat((4 - (bare.length % 4)) % 4);
}

/** DER DigestInfo prefixes (RFC 8017 section 9.2 note 1) of the hashes a signer might pick. */
const DIGEST_INFO_PREFIXES: ReadonlyArray<[string, Buffer]> = [
  ['sha256', Buffer.from('3031300d060960864801650304020105000420', 'hex')],
  ['sha1', Buffer.from('3021300906052b0e03021a05000414', 'hex')],
  ['sha224', Buffer.from('302d300d06096086480165030402040500041c', 'hex')],
  ['sha384', Buffer.from('3041300d060960864801650304020205000430', 'hex')],
  ['sha512', Buffer.from('3051300d060960864801650304020305000440', 'hex')],
  ['md5', Buffer.from('3020300c06082a864886f70d020505000410', 'hex')],
];

/** What a PKCS#1 v1.5 signature was made over: a digest with its algorithm, or raw bytes. */
type Recovered = { readonly kind: 'digest'; readonly hash: string; readonly digest: Buffer } | { readonly kind: 'raw'; readonly hash: 'none'; readonly raw: Buffer };

function recoverSigned(key: ParsedKey, signature: Buffer): Recovered | undefined {
  let recovered: Buffer;
  try {
    recovered = crypto.publicDecrypt({ key: key.keyObject, padding: crypto.constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return undefined; // padding does not check out: not made with this key's private key
  }
  for (const [hash, prefix] of DIGEST_INFO_PREFIXES) {
    if (recovered.length > prefix.length && recovered.subarray(0, prefix.length).equals(prefix)) {
      return { kind: 'digest', hash, digest: recovered.subarray(prefix.length) };
    }
  }
  return { kind: 'raw', hash: 'none', raw: recovered };
}

interface SignedTextGuess {
  /** Undefined for the token exactly. */
  readonly code?: SignatureFindingCode;
  readonly bytes: Buffer;
  readonly what: string;
}

function hashOf(hash: string, data: Buffer | string): Buffer {
  return crypto.createHash(hash).update(data).digest();
}

/** The texts people sign by mistake instead of the token (docs/aws-custom-auth.md: "Signing keys and tokens"). */
function signedTextGuesses(token: string): SignedTextGuess[] {
  const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
  const guesses: SignedTextGuess[] = [{ bytes: utf8(token), what: 'the token' }];
  const g = (code: SignatureFindingCode, text: string | Buffer, what: string): void => {
    guesses.push({ code, bytes: typeof text === 'string' ? utf8(text) : text, what });
  };
  g('TOKEN_TRAILING_NEWLINE', token + '\n', 'the token followed by a newline');
  g('TOKEN_TRAILING_CRLF', token + '\r\n', 'the token followed by CR LF');
  g('TOKEN_EXTRA_WHITESPACE', token + ' ', 'the token followed by a space');
  g('TOKEN_EXTRA_WHITESPACE', ' ' + token, 'the token preceded by a space');
  g('TOKEN_EXTRA_WHITESPACE', token + ' \n', 'the token followed by a space and a newline');
  const trimmed = token.trim();
  if (trimmed !== token) {
    g('TOKEN_WHITESPACE_NOT_SIGNED', trimmed, 'the token without its leading/trailing whitespace');
    g('TOKEN_WHITESPACE_NOT_SIGNED', token.replace(/\r?\n$/, ''), 'the token without its final newline');
  }
  g('TOKEN_QUOTED', `"${token}"`, 'the token in double quotes');
  g('TOKEN_QUOTED', `'${token}'`, 'the token in single quotes');
  g('TOKEN_QUOTED', JSON.stringify(token) + '\n', 'the token in double quotes followed by a newline');
  g('TOKEN_ENCODING', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(token)]), 'the token with a UTF-8 byte-order mark');
  g('TOKEN_ENCODING', Buffer.from(token, 'utf16le'), 'the token as UTF-16LE');
  g('TOKEN_ENCODING', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(token + '\r\n', 'utf16le')]), 'the token as UTF-16LE with BOM and CR LF (PowerShell)');
  // Only a non-ASCII token reads differently in Latin-1 (its UTF-8 form is longer).
  if (Buffer.byteLength(token, 'utf8') !== token.length) g('TOKEN_ENCODING', Buffer.from(token, 'latin1'), 'the token as Latin-1');
  const jwt = token.split('.');
  if (jwt.length === 3 && jwt.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) {
    g('TOKEN_IS_WHOLE_JWT', `${jwt[0]}.${jwt[1]}`, 'the JWT header.payload (the token holds the whole JWT)');
  }
  for (const [source, label] of [
    [token, 'the token'],
    [token + '\n', 'the token with a newline'],
  ] as const) {
    const digest = hashOf(TOKEN_SIGNATURE_HASH, source);
    const hex = digest.toString('hex');
    g('HEX_DIGEST_SIGNED', hex, `the hex SHA-256 digest text of ${label}`);
    g('HEX_DIGEST_SIGNED', hex + '\n', `the hex SHA-256 digest text of ${label}, with a newline`);
    g('HEX_DIGEST_SIGNED', hex.toUpperCase(), `the upper-case hex SHA-256 digest text of ${label}`);
    g('HEX_DIGEST_SIGNED', `${hex}  -`, `the \`sha256sum\` output line for ${label}`);
    g('HEX_DIGEST_SIGNED', `${hex}  -\n`, `the \`sha256sum\` output line for ${label}, with a newline`);
    g('BASE64_DIGEST_SIGNED', digest.toString('base64'), `the base64 SHA-256 digest of ${label}`);
    g('BASE64_DIGEST_SIGNED', digest.toString('base64') + '\n', `the base64 SHA-256 digest of ${label}, with a newline`);
    g('DIGEST_SIGNED_AGAIN', digest, `the raw SHA-256 digest of ${label} (hashed twice)`);
  }
  return guesses;
}

interface Explanation {
  readonly guess: SignedTextGuess;
  /** Set when the signer used the wrong hash or no DigestInfo. */
  readonly algorithmProblem?: 'WRONG_HASH_ALGORITHM' | 'DIGEST_INFO_MISSING' | 'TOKEN_NOT_HASHED';
  readonly hash: string;
}

function explainRecovered(rec: Recovered, guesses: readonly SignedTextGuess[]): Explanation | undefined {
  if (rec.kind === 'digest') {
    const digest = rec.digest;
    const guess = guesses.find((g) => hashOf(rec.hash, g.bytes).equals(digest));
    if (!guess) return undefined;
    return { guess, hash: rec.hash, algorithmProblem: rec.hash === TOKEN_SIGNATURE_HASH ? undefined : 'WRONG_HASH_ALGORITHM' };
  }
  // No DigestInfo: `openssl pkeyutl -sign` (or rsautl) without `-pkeyopt digest:sha256`.
  for (const g of guesses) {
    if (hashOf(TOKEN_SIGNATURE_HASH, g.bytes).equals(rec.raw)) return { guess: g, hash: TOKEN_SIGNATURE_HASH, algorithmProblem: 'DIGEST_INFO_MISSING' };
    if (g.bytes.equals(rec.raw)) return { guess: g, hash: 'none', algorithmProblem: 'TOKEN_NOT_HASHED' };
  }
  return undefined;
}

function keyLabel(k: CheckedKey): string {
  return `"${k.name}" (${k.bits}-bit, SHA256 ${k.shortFingerprint})`;
}

function expectedBase64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/** Why no key verifies `signature` over `token`, most likely cause first. */
export function diagnose(token: string, signature: string, keys: readonly ParsedKey[]): SignatureFinding[] {
  if (signature.trim() === '') {
    return [{ code: 'SIGNATURE_EMPTY', message: 'The signature is empty.', fix: 'Sign the token: `iot-authz sign --key private_key.pem --token TOKEN`.' }];
  }
  const candidates = signatureCandidates(signature)
    .filter((c) => isStrictBase64(c.text) && c.text.length > 0)
    .map((c) => ({ ...c, bytes: Buffer.from(c.text, 'base64') }));
  // Hex (`xxd -p`, `od`) is also valid base64 text, so it is tried besides, not instead.
  const hex = signature.replace(/\s+/g, '');
  if (/^[0-9a-fA-F]+$/.test(hex) && keys.some((k) => hex.length === 2 * k.bytes)) {
    candidates.push({ text: hex, repairs: ['SIGNATURE_HEX'], bytes: Buffer.from(hex, 'hex') });
  }
  if (candidates.length === 0) {
    const bad = [...new Set(signature.replace(/[A-Za-z0-9+/=\s%_-]/g, ''))].slice(0, 5).map((ch) => JSON.stringify(ch));
    return [
      {
        code: 'SIGNATURE_NOT_BASE64',
        message: `The signature is not base64${bad.length ? `: it holds ${bad.join(', ')}` : ' (wrong length or misplaced "=")'}.`,
        fix: 'Pass the base64 text of the signature bytes: `openssl dgst -sha256 -sign private_key.pem | base64 -w0`, not the binary, hex or a file name.',
      },
    ];
  }
  const guesses = signedTextGuesses(token);
  for (const c of candidates) {
    for (const k of keys) {
      if (c.bytes.length !== k.bytes) continue;
      const rec = recoverSigned(k, c.bytes);
      if (!rec) continue;
      const repairs = c.repairs.map((code) => repairFinding(code, k));
      const explanation = explainRecovered(rec, guesses);
      if (!explanation) return [...repairs, signedDifferentText(k, rec)];
      const textFindings = explanation.guess.code ? [textFinding(explanation.guess, k)] : [];
      const algo = explanation.algorithmProblem ? [algorithmFinding(explanation.algorithmProblem, explanation.hash, k)] : [];
      const findings = [...algo, ...textFindings, ...repairs];
      // Unreachable in theory (the exact, unrepaired case verified above); never answer "invalid" with no reason.
      return findings.length > 0 ? findings : [signedDifferentText(k, rec)];
    }
  }
  // Not PKCS#1 v1.5 with any key. RSA-PSS over the token is the one other scheme worth a try.
  for (const c of candidates) {
    for (const k of keys) {
      if (c.bytes.length !== k.bytes) continue;
      const pss = crypto.verify(TOKEN_SIGNATURE_HASH, Buffer.from(token, 'utf8'), { key: k.keyObject, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_AUTO }, c.bytes);
      if (pss) {
        return [
          {
            code: 'PSS_PADDING',
            keyName: k.name,
            message: `The signature is RSA-PSS (made by the private key of ${keyLabel(k)}); AWS verifies RSA PKCS#1 v1.5 only.`,
            fix: 'Sign with PKCS#1 v1.5 padding: `openssl dgst -sha256 -sign private_key.pem` without `-sigopt rsa_padding_mode:pss`; in code, use PKCS1v15 / RSASSA-PKCS1-v1_5 / RS256, not PSS / PS256.',
          },
          ...c.repairs.map((code) => repairFinding(code, k)),
        ];
      }
    }
  }
  const rightLength = candidates.find((c) => keys.some((k) => k.bytes === c.bytes.length));
  if (rightLength) {
    const k = keys.find((key) => key.bytes === rightLength.bytes.length) as ParsedKey;
    return [
      {
        code: 'DIFFERENT_KEY',
        message: `The signature is well-formed base64 of the right length (${rightLength.bytes.length} bytes), but it was signed by a different private key: it matches none of the public keys checked, ${keys.map(keyLabel).join(', ')}.`,
        fix: 'Sign with the private key whose public key is registered with the authorizer (compare fingerprints: `iot-authz keygen` and `iot-authz verify` print them), or register the public key of the key you signed with.',
      },
      ...rightLength.repairs.map((code) => repairFinding(code, k)),
    ];
  }
  const got = candidates[0];
  const expected = [...new Set(keys.map((k) => `${k.bytes} bytes (${expectedBase64Length(k.bytes)} base64 characters) for a ${k.bits}-bit key`))];
  return [
    {
      code: 'SIGNATURE_WRONG_LENGTH',
      message: `The signature decodes to ${got.bytes.length} bytes (${got.text.length} base64 characters); expected ${expected.join(' or ')}. It is truncated, holds extra text, or was made with a key of another size.`,
      fix: 'Copy the whole signature, one line (`base64 -w0`), and sign with the key registered with the authorizer.',
    },
  ];
}

function repairFinding(code: SignatureFindingCode, k: CheckedKey): SignatureFinding {
  const keyName = k.name;
  switch (code) {
    case 'SIGNATURE_LINE_BREAKS':
      return {
        code,
        keyName,
        message: `The signature holds line breaks (a final newline, or GNU \`base64\` wrapping at ${GNU_BASE64_WRAP_COLUMNS} columns); AWS needs it on one line.`,
        fix: 'Encode on one line: `base64 -w0` (GNU) or `base64 | tr -d \'\\n\'` (macOS), or `openssl base64 -A`.',
      };
    case 'SIGNATURE_SPACES':
      return { code, keyName, message: 'The signature holds spaces or tabs; AWS needs the base64 text alone.', fix: 'Pass the signature exactly as base64 printed it, without spaces.' };
    case 'SIGNATURE_PLUS_AS_SPACE':
      return {
        code,
        keyName,
        message: 'The signature has spaces where its "+" characters were: it went into a URL or MQTT username without URL-encoding, and "+" decodes to a space.',
        fix: 'URL-encode the signature in query strings and MQTT usernames (`+` → %2B, `/` → %2F, `=` → %3D): `iot-authz sign --format query|mqtt-username` does it.',
      };
    case 'SIGNATURE_URL_ENCODED':
      return {
        code,
        keyName,
        message: 'The signature is still URL-encoded (%2B, %2F, %3D); AWS expects the decoded base64 here.',
        fix: 'Pass the plain base64 signature in headers and test-invoke; URL-encode it only inside a query string or MQTT username.',
      };
    case 'SIGNATURE_DOUBLE_URL_ENCODED':
      return {
        code,
        keyName,
        message: 'The signature was URL-encoded twice (%252B): AWS decodes once and receives "%2B".',
        fix: 'URL-encode the signature once. The device SDKs encode it themselves unless it already holds "%", so pass them the plain base64.',
      };
    case 'SIGNATURE_BASE64URL':
      return {
        code,
        keyName,
        message: 'The signature is base64url ("-" and "_", no "=" padding), e.g. a JWS signature; AWS needs standard base64.',
        fix: 'Convert: replace "-" with "+", "_" with "/", and pad with "=" to a multiple of 4 characters.',
      };
    case 'SIGNATURE_HEX':
      return {
        code,
        keyName,
        message: 'The signature is hex text; AWS needs the signature bytes in base64.',
        fix: 'Encode the signature bytes with `base64 -w0` (not `xxd -p` or `-hex`), or convert: `xxd -r -p sig.hex | base64 -w0`.',
      };
    case 'SIGNATURE_MISSING_PADDING':
      return {
        code,
        keyName,
        message: 'The signature lacks its "=" padding; AWS documents standard, padded base64.',
        fix: 'Keep the trailing "=" characters when copying the signature.',
      };
    default:
      return { code, keyName, message: code, fix: '' };
  }
}

function textFinding(guess: SignedTextGuess, k: CheckedKey): SignatureFinding {
  const keyName = k.name;
  const code = guess.code as SignatureFindingCode;
  const signedWhat = `The signature was made with ${keyLabel(k)} over ${guess.what}, not over the token itself.`;
  switch (code) {
    case 'TOKEN_TRAILING_NEWLINE':
    case 'TOKEN_TRAILING_CRLF':
      return {
        code,
        keyName,
        message: signedWhat,
        fix: 'Sign the token without a line ending: `printf %s TOKEN | openssl dgst -sha256 -sign private_key.pem | base64 -w0` (or `echo -n`), or `iot-authz sign`.',
      };
    case 'TOKEN_EXTRA_WHITESPACE':
      return { code, keyName, message: signedWhat, fix: 'Sign exactly the token the device sends, without surrounding spaces.' };
    case 'TOKEN_WHITESPACE_NOT_SIGNED':
      return {
        code,
        keyName,
        message: `The signature was made with ${keyLabel(k)} over ${guess.what}, but the token given here has extra whitespace.`,
        fix: 'Send and verify exactly the signed text: strip the newline or spaces from the token (a file read with a final newline is a common source).',
      };
    case 'TOKEN_QUOTED':
      return { code, keyName, message: signedWhat, fix: 'Sign the token text without quotes (check how the shell or JSON tool passed it).' };
    case 'TOKEN_ENCODING':
      return {
        code,
        keyName,
        message: signedWhat,
        fix: "Sign the token's UTF-8 bytes, no byte-order mark. In PowerShell, write the token with `[IO.File]::WriteAllText(path, token)` and sign the file.",
      };
    case 'TOKEN_IS_WHOLE_JWT':
      return {
        code,
        keyName,
        message: `The signature is the JWT's own signature (over header.payload, made with ${keyLabel(k)}), but the token given is the whole JWT.`,
        fix: 'For a JWT, send token = "header.payload" and signature = the third part converted from base64url to base64.',
      };
    case 'HEX_DIGEST_SIGNED':
    case 'BASE64_DIGEST_SIGNED':
      return {
        code,
        keyName,
        message: `${signedWhat} AWS hashes the token itself; signing a digest's text hashes the wrong bytes.`,
        fix: 'Sign the token: `printf %s TOKEN | openssl dgst -sha256 -sign private_key.pem | base64 -w0`. To sign a digest with pkeyutl it must be raw bytes: `printf %s HEX | xxd -r -p | openssl pkeyutl -sign -inkey private_key.pem -pkeyopt digest:sha256`.',
      };
    case 'DIGEST_SIGNED_AGAIN':
      return {
        code,
        keyName,
        message: `${signedWhat} The digest was hashed a second time by \`openssl dgst -sha256 -sign\`.`,
        fix: 'Either pipe the token (not its digest) into `openssl dgst -sha256 -sign`, or sign the raw digest with `openssl pkeyutl -sign -pkeyopt digest:sha256`.',
      };
    default:
      return { code, keyName, message: signedWhat, fix: '' };
  }
}

function algorithmFinding(code: 'WRONG_HASH_ALGORITHM' | 'DIGEST_INFO_MISSING' | 'TOKEN_NOT_HASHED', hash: string, k: CheckedKey): SignatureFinding {
  const keyName = k.name;
  switch (code) {
    case 'WRONG_HASH_ALGORITHM':
      return {
        code,
        keyName,
        message: `The signature was made with ${keyLabel(k)} using ${hash.toUpperCase()}; AWS verifies SHA-256 only.`,
        fix: 'Sign with SHA-256: `openssl dgst -sha256 -sign private_key.pem`; in code, RS256 / SHA256withRSA.',
      };
    case 'DIGEST_INFO_MISSING':
      return {
        code,
        keyName,
        message: `The signature was made with ${keyLabel(k)} over a bare SHA-256 digest without the DigestInfo header: \`openssl pkeyutl -sign\` (or \`rsautl\`) without \`-pkeyopt digest:sha256\`.`,
        fix: 'Add `-pkeyopt digest:sha256` to pkeyutl, or use `openssl dgst -sha256 -sign private_key.pem`.',
      };
    case 'TOKEN_NOT_HASHED':
      return {
        code,
        keyName,
        message: `The signature was made with ${keyLabel(k)} over unhashed bytes (raw RSA with PKCS#1 padding, e.g. \`openssl pkeyutl -sign\` or \`rsautl -sign\` without a digest).`,
        fix: 'Use `openssl dgst -sha256 -sign private_key.pem`, which hashes the token and adds the DigestInfo AWS expects.',
      };
  }
}

function signedDifferentText(k: CheckedKey, rec: Recovered): SignatureFinding {
  const how = rec.hash === 'none' ? 'raw RSA without a digest' : rec.hash.toUpperCase();
  return {
    code: 'SIGNED_DIFFERENT_TEXT',
    keyName: k.name,
    message: `The signature was made with ${keyLabel(k)} (${how}), but over different bytes than this token: not the token with a newline, spaces, quotes, another encoding, nor its digest text.`,
    fix: 'Verify the exact token that was signed (case, every character), or sign this token again: `iot-authz sign --key private_key.pem --token TOKEN`.',
  };
}
