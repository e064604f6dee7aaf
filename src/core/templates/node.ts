// JavaScript (ES module, .mjs) and TypeScript handler sources for the authorizer templates.
// One text per kind; `ts` adds the types. Node's crypto does the work, so nothing to install.
// In these strings `\${` is a literal `${` of the generated code.
import type { TemplateValues } from './values';

/** `ts ? text : ''`, for type annotations. */
function typed(ts: boolean): (text: string) => string {
  return (text) => (ts ? text : '');
}

const TS_TYPES = `
/** The event AWS IoT Core passes to a custom authorizer. */
interface AuthorizerEvent {
  token?: string;
  signatureVerified: boolean;
  protocols: string[];
  protocolData: {
    tls?: { serverName: string };
    http?: { headers: Record<string, string>; queryString?: string };
    mqtt?: { username?: string; password?: string; clientId?: string };
  };
  connectionMetadata: { id: string };
}

interface PolicyDocument {
  Version: string;
  Statement: Array<{ Effect: 'Allow' | 'Deny'; Action: string | string[]; Resource: string | string[] }>;
}

interface AuthorizerResponse {
  isAuthenticated: boolean;
  principalId: string;
  disconnectAfterInSeconds: number;
  refreshAfterInSeconds: number;
  policyDocuments: PolicyDocument[];
}
`;

function common(v: TemplateValues, ts: boolean, deviceIdPattern: boolean): string {
  const t = typed(ts);
  return `const REGION = process.env.AWS_REGION || '${v.defaultRegion}';
// Lambda sets no account id variable: set ${v.accountIdEnv} on the function.
const ACCOUNT_ID = process.env.${v.accountIdEnv} || '${v.defaultAccountId}';
${deviceIdPattern ? `// AWS accepts a principalId of letters and digits only, 1 to ${v.principalMaxLength} characters.
const DEVICE_ID = /^[A-Za-z0-9]{1,${v.principalMaxLength}}$/;
` : ''}
function devicePolicy(deviceId${t(': string')})${t(': PolicyDocument')} {
  const arn = \`arn:aws:iot:\${REGION}:\${ACCOUNT_ID}\`;
  return {
    Version: '${v.policyVersion}',
    Statement: [
      // MQTT and MQTT over WebSocket clients need iot:Connect; HTTPS publish does not.
      { Effect: 'Allow', Action: 'iot:Connect', Resource: arn + ':client/\${iot:ClientId}' },
      { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: \`\${arn}:topic/devices/\${deviceId}/*\` },
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: \`\${arn}:topicfilter/devices/\${deviceId}/*\` },
    ],
  };
}

function allow(deviceId${t(': string')})${t(': AuthorizerResponse')} {
  return {
    isAuthenticated: true,
    principalId: deviceId,
    disconnectAfterInSeconds: ${v.disconnectSeconds},
    refreshAfterInSeconds: ${v.refreshSeconds},
    policyDocuments: [devicePolicy(deviceId)],
  };
}

function deny(reason${t(': string')})${t(': AuthorizerResponse')} {
  // The reason goes to the function's log, never to the device. Never log passwords or keys.
  console.log(\`Denied: \${reason}\`);
  return { isAuthenticated: false, principalId: 'denied', disconnectAfterInSeconds: ${v.minSeconds}, refreshAfterInSeconds: ${v.minSeconds}, policyDocuments: [] };
}

/** An MQTT client must connect with its device id as client id (HTTPS publish has no MQTT data). */
function mqttClientMismatch(event${t(': AuthorizerEvent')}, deviceId${t(': string')})${t(': boolean')} {
  const mqtt = event.protocolData?.mqtt;
  return mqtt !== undefined && mqtt.clientId !== deviceId;
}
`;
}

function header(lines: string[]): string {
  return lines.map((l) => (l === '' ? '//' : `// ${l}`)).join('\n') + '\n';
}

export function nodeSignedToken(v: TemplateValues, ts: boolean): string {
  const t = typed(ts);
  return `${header([
    `AWS IoT Core custom authorizer "${v.name}": signed tokens.`,
    '',
    "Signing is enabled: AWS IoT verifies the token's signature with the authorizer's public key",
    'before it calls this function, so only tokens signed with your private key reach it. The',
    'token names the device and when it expires: "<deviceId>:<expiresAt in Unix seconds>", e.g.',
    `"${v.sampleToken}". Devices send it in the "${v.tokenKeyName}" header, query parameter or`,
    'MQTT username parameter, with its signature in x-amz-customauthorizer-signature.',
  ])}${t(TS_TYPES)}
${common(v, ts, false)}
// "<deviceId>:<expiresAt>"; AWS accepts a principalId of letters and digits only, 1 to ${v.principalMaxLength} characters.
const TOKEN = /^([A-Za-z0-9]{1,${v.principalMaxLength}}):([0-9]{1,12})$/;

export const handler = async (event${t(': AuthorizerEvent')})${t(': Promise<AuthorizerResponse>')} => {
  // True only when AWS verified the signature: refuse anything else.
  if (event.signatureVerified !== true) return deny('the token signature was not verified');
  const match = TOKEN.exec(event.token ?? '');
  if (!match) return deny('the token is not "<deviceId>:<expiresAt>"');
  const [, deviceId, expiresAt] = match;
  if (Number(expiresAt) <= Date.now() / 1000) return deny('the token has expired');
  if (mqttClientMismatch(event, deviceId)) return deny('the MQTT client id is not the device id of the token');
  return allow(deviceId);
};
`;
}

export function nodeUsernamePassword(v: TemplateValues, ts: boolean): string {
  const t = typed(ts);
  return `${header([
    `AWS IoT Core custom authorizer "${v.name}": MQTT username and password.`,
    '',
    'Signing is disabled, so AWS IoT calls this function for every connection attempt, signed or',
    'not: it must check everything itself. Devices connect over MQTT (port 443, ALPN mqtt) or MQTT',
    'over WebSocket with their device id as client id and user name, and their password.',
  ])}import { createHash, timingSafeEqual } from 'node:crypto';
${t(TS_TYPES)}
${common(v, ts, true)}
// SHA-256 of each device's password (hex). Replace with a lookup in your device registry or
// Secrets Manager: keep only hashes, and give devices long random passwords.
const PASSWORD_SHA256 = new Map${t('<string, string>')}([
  ['${v.sampleDevice}', '${v.samplePasswordSha256}'],
]);

export const handler = async (event${t(': AuthorizerEvent')})${t(': Promise<AuthorizerResponse>')} => {
  const mqtt = event.protocolData?.mqtt;
  if (mqtt?.password === undefined) return deny('no MQTT username and password (HTTPS publish has none)');
  // The user name may carry ?x-amz-customauthorizer-name=... and SDK parameters after it.
  const username = (mqtt.username ?? '').split('?')[0];
  if (!DEVICE_ID.test(username)) return deny('the user name is not a device id (letters and digits)');
  // The password reaches the authorizer base64-encoded.
  const actual = createHash('sha256').update(Buffer.from(mqtt.password, 'base64')).digest();
  const expected = Buffer.from(PASSWORD_SHA256.get(username) ?? '', 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(actual, expected)) {
    return deny(\`wrong user name or password for "\${username}"\`);
  }
  if (mqttClientMismatch(event, username)) return deny('the MQTT client id is not the user name');
  return allow(username);
};
`;
}

export function nodeJwtBearer(v: TemplateValues, ts: boolean): string {
  const t = typed(ts);
  return `${header([
    `AWS IoT Core custom authorizer "${v.name}": bearer JWTs (RS256).`,
    '',
    "Signing is disabled, so AWS IoT calls this function for every connection attempt: the JWT's",
    "own signature is the proof, verified here with the issuer's public key. Devices send the JWT",
    `in the "${v.tokenKeyName}" header, query parameter or MQTT username parameter. Claims used:`,
    '"sub" (the device id, letters and digits), "exp", and "nbf" when present.',
  ])}import { createPublicKey, verify } from 'node:crypto';
${t(TS_TYPES)}
${common(v, ts, true)}
// The JWT issuer's public key. Set JWT_PUBLIC_KEY on the function to use another one.
const PUBLIC_KEY = createPublicKey(process.env.JWT_PUBLIC_KEY || \`${v.jwtPublicKeyPem.trim()}\`);
${t(`
interface Claims {
  sub?: unknown;
  exp?: unknown;
  nbf?: unknown;
}
`)}
/** The claims of a JWT whose RS256 signature verifies, else undefined. */
function verifiedClaims(jwt${t(': string')})${t(': Claims | undefined')} {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  const [head, payload, signature] = parts;
  try {
    const header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8'));
    if (header?.alg !== 'RS256') return undefined;
    // RS256 is RSA PKCS#1 v1.5 with SHA-256 over "<header>.<payload>".
    if (!verify('sha256', Buffer.from(\`\${head}.\${payload}\`), PUBLIC_KEY, Buffer.from(signature, 'base64url'))) return undefined;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null ? claims : undefined;
  } catch {
    return undefined;
  }
}

export const handler = async (event${t(': AuthorizerEvent')})${t(': Promise<AuthorizerResponse>')} => {
  const claims = verifiedClaims((event.token ?? '').replace(/^Bearer /, ''));
  if (!claims) return deny('the token is not an RS256 JWT signed by the issuer');
  const now = Date.now() / 1000;
  if (typeof claims.exp !== 'number' || claims.exp <= now) return deny('the JWT has expired or has no "exp"');
  if (typeof claims.nbf === 'number' && claims.nbf > now) return deny('the JWT is not valid yet ("nbf")');
  const deviceId = claims.sub;
  if (typeof deviceId !== 'string' || !DEVICE_ID.test(deviceId)) return deny('"sub" is not a device id (letters and digits)');
  if (mqttClientMismatch(event, deviceId)) return deny('the MQTT client id is not the JWT subject');
  return allow(deviceId);
};
`;
}
