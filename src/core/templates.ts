// "New Authorizer": a handler, test events and the iot-authorizer.json entry for one of three
// common designs, in Python, TypeScript or JavaScript. scaffoldAuthorizer is pure (the files as
// text); writeScaffold puts them in the workspace without overwriting anything; createAuthorizer
// also makes the keys a template needs. Every generated handler passes the response rules and
// is tested with the real local runtime (test/unit/templates.test.ts).
//
// Designs:
// - signed-token: signing enabled; the token "<deviceId>:<expiresAt>" is signed with a key from
//   the key store, AWS checks the signature, the handler checks format, expiry and client id.
// - mqtt-username-password: signing disabled; the handler checks the MQTT user name and the
//   (base64) password against stored hashes. HTTPS publish carries no MQTT credentials, so its
//   test event is a refusal.
// - jwt-bearer: signing disabled (AWS's signature check would need the JWT split in two); the
//   handler verifies an RS256 JWT with the issuer's public key, embedded in the handler.
import * as crypto from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { applyEdits, findNodeAtLocation, modify, parseTree, ParseError } from 'jsonc-parser';
import {
  ACCOUNT_ID_ENV,
  AUTHORIZER_NAME_MAX_LENGTH,
  AUTHORIZER_NAME_PATTERN,
  DEFAULT_KEYGEN_BITS,
  IOT_POLICY_VERSION,
  LOCAL_ACCOUNT_ID,
  LOCAL_DEFAULT_REGION,
  MAX_DISCONNECT_SECONDS,
  MIN_REFRESH_SECONDS,
  PRINCIPAL_ID_MAX_LENGTH,
  PROJECT_FILE_NAME,
  TEST_EVENT_SUFFIX,
  TOKEN_SIGNATURE_HASH,
} from './constants';
import { UserError } from './errors';
import { generateKeyPair, importPrivateKey } from './keys';
import { checkKeyName, readPrivateKey, storedKeyFiles, writeKeyPair } from './keyStore';
import type { HandlerLanguage } from './project';
import { newTestEventText, PROTOCOL_LABELS, TestProtocol } from './testEvent';
import { nodeJwtBearer, nodeSignedToken, nodeUsernamePassword } from './templates/node';
import { pythonJwtBearer, pythonSignedToken, pythonUsernamePassword } from './templates/python';
import type { TemplateValues } from './templates/values';

export type TemplateKind = 'signed-token' | 'mqtt-username-password' | 'jwt-bearer';
export const TEMPLATE_KINDS: readonly TemplateKind[] = ['signed-token', 'mqtt-username-password', 'jwt-bearer'];
export const TEMPLATE_LANGUAGES: readonly HandlerLanguage[] = ['python', 'typescript', 'javascript'];

/** For pickers and `--help`. */
export const TEMPLATE_DESCRIPTIONS: Readonly<Record<TemplateKind, string>> = {
  'signed-token': 'Signed token: AWS verifies the token signature with your public key; the handler checks the token.',
  'mqtt-username-password': 'MQTT username/password: signing disabled; the handler checks the password against stored hashes.',
  'jwt-bearer': 'Bearer JWT: signing disabled; the handler verifies an RS256 JWT with the issuer public key.',
};

/** The Lambda runtime each language's template is written for. */
export const TEMPLATE_RUNTIMES: Readonly<Record<HandlerLanguage, string>> = { python: 'python3.12', typescript: 'nodejs22.x', javascript: 'nodejs22.x' };

const HANDLER_FILE: Readonly<Record<HandlerLanguage, { file: string; fn: string; ext: readonly string[] }>> = {
  python: { file: 'handler.py', fn: 'lambda_handler', ext: ['.py'] },
  typescript: { file: 'index.ts', fn: 'handler', ext: ['.ts', '.mts'] },
  // .mjs: an ES module whatever the workspace's package.json says, as Lambda reads it.
  javascript: { file: 'index.mjs', fn: 'handler', ext: ['.mjs'] },
};

const TOKEN_KEY_NAMES: Readonly<Record<TemplateKind, string | undefined>> = {
  'signed-token': 'X-Device-Token',
  'mqtt-username-password': undefined,
  'jwt-bearer': 'X-Device-Jwt',
};

/** An hour between policy refreshes; a day before the connection must re-authenticate. */
const TEMPLATE_REFRESH_SECONDS = 3600;
/** The device the test events use. */
export const SAMPLE_DEVICE = 'sensor1';
/** The sample device's password in the generated test events (a test credential). */
export const SAMPLE_PASSWORD = 'sensor1-test-password';
/** 2100-01-01: sample tokens that do not expire while the project lives. */
const FAR_FUTURE_EPOCH = 4_102_444_800;
/** 2020-01-01: the expired token of the "denied" events. */
const PAST_EPOCH = 1_577_836_800;

export interface ScaffoldOptions {
  readonly kind: TemplateKind;
  readonly language: HandlerLanguage;
  /** The authorizer name, as in AWS. */
  readonly name: string;
  /** The workspace root: iot-authorizer.json lives here and file paths are relative to it. */
  readonly dir: string;
  /** Handler file relative to `dir`; default `authorizers/<name>/<handler.py|index.ts|index.mjs>`. */
  readonly handlerPath?: string;
  /** signed-token: the key store key that signs tokens; default derived from the name. */
  readonly signingKey?: string;
  /** jwt-bearer: the JWT issuer's private key (PEM or KeyObject), to embed its public key and sign sample JWTs. */
  readonly jwtPrivateKey?: crypto.KeyObject | string;
}

export interface ScaffoldFile {
  /** Relative to the scaffold's `dir`, with `/` separators. */
  readonly path: string;
  readonly content: string;
  readonly role: 'handler' | 'event';
  /** Events: the outcome the event is written to produce. */
  readonly expect?: 'allowed' | 'denied';
}

/** An authorizer object for iot-authorizer.json's `authorizers` list. */
export interface ProjectEntry {
  readonly name: string;
  readonly description: string;
  readonly handler: string;
  readonly runtime: string;
  readonly tokenKeyName?: string;
  readonly signingDisabled: boolean;
  readonly signingKeys?: readonly string[];
}

export interface Scaffold {
  readonly kind: TemplateKind;
  readonly language: HandlerLanguage;
  readonly dir: string;
  readonly files: readonly ScaffoldFile[];
  readonly projectEntry: ProjectEntry;
  /** Key store keys the scaffold uses: to sign test events (signed-token) or sample JWTs (jwt-bearer). */
  readonly keys: { readonly signing?: string; readonly jwt?: string };
}

/** A key store name made from an authorizer name (which may hold `=`, `,` and `@`). */
function keyNameFor(name: string, suffix = ''): string {
  return `${name.replace(/[^a-zA-Z0-9:_-]/g, '-')}${suffix}`;
}

export function defaultSigningKeyName(name: string): string {
  return keyNameFor(name);
}

export function defaultJwtKeyName(name: string): string {
  return keyNameFor(name, '-jwt');
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** An RS256 JWT, signed as any JWT library would. */
export function signJwt(claims: Readonly<Record<string, unknown>>, privateKey: crypto.KeyObject): string {
  const input = `${base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${base64url(crypto.sign(TOKEN_SIGNATURE_HASH, Buffer.from(input), privateKey))}`;
}

function checkOptions(o: ScaffoldOptions): { handlerPath: string; fn: string } {
  if (!TEMPLATE_KINDS.includes(o.kind)) throw new UserError(`Unknown template "${o.kind}": choose ${TEMPLATE_KINDS.join(', ')}.`, 'TEMPLATE_UNKNOWN');
  if (!TEMPLATE_LANGUAGES.includes(o.language)) throw new UserError(`Unknown language "${o.language}": choose ${TEMPLATE_LANGUAGES.join(', ')}.`, 'TEMPLATE_UNKNOWN');
  if (!AUTHORIZER_NAME_PATTERN.test(o.name) || o.name.length > AUTHORIZER_NAME_MAX_LENGTH) {
    throw new UserError(`"${o.name}" is not a valid authorizer name: use 1-${AUTHORIZER_NAME_MAX_LENGTH} of letters, digits, _ = , @ -.`, 'AUTHORIZER_NAME_INVALID');
  }
  const h = HANDLER_FILE[o.language];
  const handlerPath = (o.handlerPath ?? `authorizers/${o.name.replace(/[=,@]/g, '_')}/${h.file}`).split(path.sep).join('/');
  if (path.isAbsolute(handlerPath) || handlerPath.split('/').includes('..')) {
    throw new UserError(`The handler path "${handlerPath}" must stay inside the workspace folder: give it relative to ${o.dir}.`, 'HANDLER_PATH_INVALID');
  }
  if (!h.ext.includes(path.extname(handlerPath).toLowerCase())) {
    throw new UserError(`A ${o.language} handler file must end in ${h.ext.join(' or ')} (got "${handlerPath}").`, 'HANDLER_PATH_INVALID');
  }
  return { handlerPath, fn: h.fn };
}

function event(fields: Record<string, unknown>): string {
  return JSON.stringify(fields, null, 2) + '\n';
}

/** An event from newTestEventText with its description replaced. */
function credentialEvent(description: string, options: Parameters<typeof newTestEventText>[0]): string {
  const parsed = JSON.parse(newTestEventText(options)) as Record<string, unknown>;
  return event({ ...parsed, description });
}

type EventSpec = { file: string; content: string; expect: 'allowed' | 'denied' };

function signedTokenEvents(name: string, keyName: string): EventSpec[] {
  const token = `${SAMPLE_DEVICE}:${FAR_FUTURE_EPOCH}`;
  const where: Readonly<Record<TestProtocol, string>> = { http: 'headers', mqtt: 'the MQTT username', 'mqtt-wss': 'the wss:// URL query (browsers cannot set headers)' };
  const good = (['http', 'mqtt', 'mqtt-wss'] as const).map((protocol) => ({
    file: protocol,
    expect: 'allowed' as const,
    content: credentialEvent(`${PROTOCOL_LABELS[protocol].long} from ${SAMPLE_DEVICE}: signed token in ${where[protocol]}`, {
      protocol, authorizer: name, signingKey: keyName, token, clientId: SAMPLE_DEVICE,
    }),
  }));
  const expired = credentialEvent(`Denied by the handler: a correctly signed token of ${SAMPLE_DEVICE} that expired`, {
    protocol: 'mqtt', authorizer: name, signingKey: keyName, token: `${SAMPLE_DEVICE}:${PAST_EPOCH}`, clientId: SAMPLE_DEVICE,
  });
  return [...good, { file: 'denied-expired', expect: 'denied', content: expired }];
}

function usernamePasswordEvents(name: string): EventSpec[] {
  const nameParam = `?x-amz-customauthorizer-name=${name}`;
  return [
    {
      file: 'http', expect: 'denied',
      content: event({
        description: 'Denied by the handler: an HTTPS publish carries no MQTT username and password',
        authorizer: name, protocol: 'http', queryString: '?qos=1',
        headers: { 'x-amz-customauthorizer-name': name },
      }),
    },
    {
      file: 'mqtt', expect: 'allowed',
      content: event({
        description: `${PROTOCOL_LABELS.mqtt.long} from ${SAMPLE_DEVICE}: the authorizer name in the username, then the password`,
        authorizer: name, protocol: 'mqtt',
        mqtt: { clientId: SAMPLE_DEVICE, username: `${SAMPLE_DEVICE}${nameParam}`, password: SAMPLE_PASSWORD },
      }),
    },
    {
      file: 'mqtt-wss', expect: 'allowed',
      content: event({
        description: `${PROTOCOL_LABELS['mqtt-wss'].long} from ${SAMPLE_DEVICE}: the authorizer name on the wss:// URL, username and password in CONNECT`,
        authorizer: name, protocol: 'mqtt-wss', queryString: { 'x-amz-customauthorizer-name': name },
        mqtt: { clientId: SAMPLE_DEVICE, username: SAMPLE_DEVICE, password: SAMPLE_PASSWORD },
      }),
    },
    {
      file: 'denied-wrong-password', expect: 'denied',
      content: event({
        description: `Denied by the handler: ${SAMPLE_DEVICE} with a wrong password`,
        authorizer: name, protocol: 'mqtt',
        mqtt: { clientId: SAMPLE_DEVICE, username: `${SAMPLE_DEVICE}${nameParam}`, password: 'not-the-password' },
      }),
    },
  ];
}

function jwtEvents(name: string, key: crypto.KeyObject): EventSpec[] {
  const jwt = signJwt({ sub: SAMPLE_DEVICE, iat: PAST_EPOCH, exp: FAR_FUTURE_EPOCH }, key);
  const expired = signJwt({ sub: SAMPLE_DEVICE, iat: PAST_EPOCH - 3600, exp: PAST_EPOCH }, key);
  const where: Readonly<Record<TestProtocol, string>> = { http: 'a header', mqtt: 'the MQTT username', 'mqtt-wss': 'the wss:// URL query' };
  const good = (['http', 'mqtt', 'mqtt-wss'] as const).map((protocol) => ({
    file: protocol,
    expect: 'allowed' as const,
    content: credentialEvent(`${PROTOCOL_LABELS[protocol].long} from ${SAMPLE_DEVICE}: JWT in ${where[protocol]}`, { protocol, authorizer: name, token: jwt, clientId: SAMPLE_DEVICE }),
  }));
  const denied = credentialEvent(`Denied by the handler: a JWT of ${SAMPLE_DEVICE} signed by the issuer but expired`, {
    protocol: 'mqtt', authorizer: name, token: expired, clientId: SAMPLE_DEVICE,
  });
  return [...good, { file: 'denied-expired', expect: 'denied', content: denied }];
}

function privateKeyObject(key: crypto.KeyObject | string): crypto.KeyObject {
  return typeof key === 'string' ? importPrivateKey(key, { what: 'The JWT issuer key' }).keyObject : key;
}

/** The files and project entry of a new authorizer, as text. Pure: writes nothing. */
export function scaffoldAuthorizer(options: ScaffoldOptions): Scaffold {
  const { kind, language, name } = options;
  const { handlerPath, fn } = checkOptions(options);
  const signingKey = kind === 'signed-token' ? options.signingKey ?? defaultSigningKeyName(name) : undefined;
  if (signingKey !== undefined) checkKeyName(signingKey);
  let jwtKey: crypto.KeyObject | undefined;
  if (kind === 'jwt-bearer') {
    if (options.jwtPrivateKey === undefined) {
      throw new UserError('The jwt-bearer template needs the JWT issuer private key, to embed its public key and sign the sample JWTs (createAuthorizer makes one).', 'JWT_KEY_REQUIRED');
    }
    jwtKey = privateKeyObject(options.jwtPrivateKey);
  }
  const tokenKeyName = TOKEN_KEY_NAMES[kind];
  const values: TemplateValues = {
    name,
    tokenKeyName,
    defaultRegion: LOCAL_DEFAULT_REGION,
    defaultAccountId: LOCAL_ACCOUNT_ID,
    accountIdEnv: ACCOUNT_ID_ENV,
    policyVersion: IOT_POLICY_VERSION,
    principalMaxLength: PRINCIPAL_ID_MAX_LENGTH,
    refreshSeconds: TEMPLATE_REFRESH_SECONDS,
    disconnectSeconds: MAX_DISCONNECT_SECONDS,
    minSeconds: MIN_REFRESH_SECONDS,
    sampleDevice: SAMPLE_DEVICE,
    sampleToken: `${SAMPLE_DEVICE}:${FAR_FUTURE_EPOCH}`,
    samplePasswordSha256: crypto.createHash('sha256').update(SAMPLE_PASSWORD, 'utf8').digest('hex'),
    jwtPublicKeyPem: jwtKey ? crypto.createPublicKey(jwtKey).export({ type: 'spki', format: 'pem' }).toString() : '',
  };
  const ts = language === 'typescript';
  const source =
    kind === 'signed-token'
      ? language === 'python' ? pythonSignedToken(values) : nodeSignedToken(values, ts)
      : kind === 'mqtt-username-password'
        ? language === 'python' ? pythonUsernamePassword(values) : nodeUsernamePassword(values, ts)
        : language === 'python' ? pythonJwtBearer(values) : nodeJwtBearer(values, ts);

  const events =
    kind === 'signed-token' ? signedTokenEvents(name, signingKey as string)
      : kind === 'mqtt-username-password' ? usernamePasswordEvents(name)
        : jwtEvents(name, jwtKey as crypto.KeyObject);
  const eventDir = path.posix.join(path.posix.dirname(handlerPath), 'events');
  const files: ScaffoldFile[] = [
    { path: handlerPath, content: source, role: 'handler' },
    ...events.map((e) => ({ path: `${eventDir}/${e.file}${TEST_EVENT_SUFFIX}`, content: e.content, role: 'event' as const, expect: e.expect })),
  ];
  const projectEntry: ProjectEntry = {
    name,
    description: TEMPLATE_DESCRIPTIONS[kind],
    handler: `${handlerPath}:${fn}`,
    runtime: TEMPLATE_RUNTIMES[language],
    ...(tokenKeyName !== undefined ? { tokenKeyName } : {}),
    signingDisabled: kind !== 'signed-token',
    ...(signingKey !== undefined ? { signingKeys: [signingKey] } : {}),
  };
  return { kind, language, dir: options.dir, files, projectEntry, keys: { ...(signingKey ? { signing: signingKey } : {}), ...(kind === 'jwt-bearer' ? { jwt: defaultJwtKeyName(name) } : {}) } };
}

/** Refused because something would be overwritten; `conflicts` lists what (files, or the authorizer name). */
export class ScaffoldConflictError extends UserError {
  constructor(message: string, code: 'FILE_EXISTS' | 'AUTHORIZER_EXISTS' | 'PROJECT_INVALID', readonly conflicts: readonly string[]) {
    super(message, code);
    this.name = 'ScaffoldConflictError';
  }
}

export interface WrittenScaffold {
  /** Absolute paths of the files written. */
  readonly files: readonly string[];
  readonly projectFile: string;
  readonly projectCreated: boolean;
}

async function exists(file: string): Promise<boolean> {
  return fsp.access(file).then(() => true, () => false);
}

const FORMATTING = { insertSpaces: true, tabSize: 2, eol: '\n' } as const;

/** iot-authorizer.json's text with `entry` added (or replacing one of the same name when `overwrite`). */
function projectTextWith(text: string, file: string, entry: ProjectEntry, overwrite: boolean): string {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (!root || errors.length > 0 || root.type !== 'object') {
    throw new ScaffoldConflictError(`${file} is not a valid JSON object, so the new authorizer cannot be added to it. Fix the file, or add this entry by hand:\n${JSON.stringify(entry, null, 2)}`, 'PROJECT_INVALID', [file]);
  }
  const list = findNodeAtLocation(root, ['authorizers']);
  if (list === undefined) return applyEdits(text, modify(text, ['authorizers'], [entry], { formattingOptions: FORMATTING }));
  if (list.type !== 'array') {
    throw new ScaffoldConflictError(`"authorizers" in ${file} is not a list; fix it before adding an authorizer.`, 'PROJECT_INVALID', [file]);
  }
  const index = (list.children ?? []).findIndex((n) => n.type === 'object' && findNodeAtLocation(n, ['name'])?.value === entry.name);
  if (index >= 0 && !overwrite) {
    throw new ScaffoldConflictError(`${file} already has an authorizer named "${entry.name}". Choose another name, or replace it on purpose (CLI: --force).`, 'AUTHORIZER_EXISTS', [entry.name]);
  }
  const edits = index >= 0
    ? modify(text, ['authorizers', index], entry, { formattingOptions: FORMATTING })
    : modify(text, ['authorizers', -1], entry, { formattingOptions: FORMATTING, isArrayInsertion: true });
  return applyEdits(text, edits);
}

/**
 * Writes the scaffold's files under `root` and adds its entry to `root`/iot-authorizer.json
 * (created when missing, other content kept). Checks everything first and writes nothing when
 * a file exists or the authorizer name is taken (ScaffoldConflictError), unless `overwrite`.
 */
export async function writeScaffold(root: string, scaffold: Scaffold, options: { overwrite?: boolean } = {}): Promise<WrittenScaffold> {
  const overwrite = options.overwrite === true;
  const targets = scaffold.files.map((f) => ({ file: path.join(root, ...f.path.split('/')), content: f.content }));
  if (!overwrite) {
    const present: string[] = [];
    for (const t of targets) if (await exists(t.file)) present.push(t.file);
    if (present.length > 0) {
      throw new ScaffoldConflictError(`Not overwriting ${present.length === 1 ? 'an existing file' : `${present.length} existing files`}: ${present.join(', ')}. Choose another name or folder, or overwrite on purpose (CLI: --force).`, 'FILE_EXISTS', present);
    }
  }
  const projectFile = path.join(root, PROJECT_FILE_NAME);
  const before = await fsp.readFile(projectFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new UserError(`Cannot read ${projectFile}: ${e.code ?? e.message}.`, 'PROJECT_INVALID');
  });
  const projectText = before === undefined
    ? JSON.stringify({ authorizers: [scaffold.projectEntry] }, null, 2) + '\n'
    : projectTextWith(before, projectFile, scaffold.projectEntry, overwrite);
  for (const t of targets) {
    await fsp.mkdir(path.dirname(t.file), { recursive: true });
    // 'wx' also refuses a file that appeared since the check.
    await fsp.writeFile(t.file, t.content, { flag: overwrite ? 'w' : 'wx' });
  }
  await fsp.writeFile(projectFile, projectText);
  return { files: targets.map((t) => t.file), projectFile, projectCreated: before === undefined };
}

export interface CreatedAuthorizer extends WrittenScaffold {
  readonly scaffold: Scaffold;
  /** Key store keys generated for the scaffold (existing ones are reused). */
  readonly generatedKeys: readonly string[];
}

async function keyExists(root: string, keyName: string): Promise<boolean> {
  const files = storedKeyFiles(root, keyName);
  return (await exists(files.privateKeyFile)) || (await exists(files.publicKeyFile));
}

/**
 * Scaffolds, writes and completes a new authorizer in `root`: the signing key (signed-token) or
 * JWT issuer key (jwt-bearer) is taken from the key store, or generated and stored there once
 * the files are written. Nothing is overwritten unless `overwrite`; existing keys never are.
 */
export async function createAuthorizer(
  root: string,
  options: Omit<ScaffoldOptions, 'dir' | 'jwtPrivateKey'> & { readonly overwrite?: boolean; readonly passphrase?: string },
): Promise<CreatedAuthorizer> {
  const generated: Array<{ name: string; pair: { privateKeyPem: string; publicKeyPem: string } }> = [];
  let jwtPrivateKey: crypto.KeyObject | undefined;
  if (options.kind === 'jwt-bearer') {
    const keyName = defaultJwtKeyName(options.name);
    if (await keyExists(root, keyName)) jwtPrivateKey = (await readPrivateKey(root, keyName, { passphrase: options.passphrase })).keyObject;
    else {
      const pair = await generateKeyPair(DEFAULT_KEYGEN_BITS);
      generated.push({ name: keyName, pair });
      jwtPrivateKey = crypto.createPrivateKey(pair.privateKeyPem);
    }
  }
  const scaffold = scaffoldAuthorizer({ ...options, dir: root, jwtPrivateKey });
  if (scaffold.keys.signing !== undefined && !(await keyExists(root, scaffold.keys.signing))) {
    generated.push({ name: scaffold.keys.signing, pair: await generateKeyPair(DEFAULT_KEYGEN_BITS) });
  }
  const written = await writeScaffold(root, scaffold, { overwrite: options.overwrite });
  for (const g of generated) await writeKeyPair(root, g.name, g.pair);
  return { ...written, scaffold, generatedKeys: generated.map((g) => g.name) };
}
