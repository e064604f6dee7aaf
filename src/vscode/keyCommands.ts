// Signing keys and tokens in the editor: generate, import, sign, verify, copy. Each command
// takes an optional argument object so tests and other commands can skip the prompts; the
// QuickPick/InputBox path is a thin layer on top. Private keys and passphrases never reach a
// message, the log or a return value; keys are never replaced without an explicit yes.
import * as path from 'path';
import { promises as fsp } from 'fs';
import * as vscode from 'vscode';
import { ALLOWED_KEYGEN_BITS, DEFAULT_KEYGEN_BITS, KEY_STORE_DIR, MAX_TOKEN_LENGTH, PROJECT_FILE_NAME, SIGNING_KEY_NAME_PATTERN } from '../core/constants';
import { CREDENTIAL_FORMATS, CredentialFormat, formatCredentials, SignedCredentials } from '../core/credentials';
import { UserError } from '../core/errors';
import { placeholderServerName } from '../core/events';
import { generateKeyPair, importPublicKey, isKeygenBits, KeyError, RsaPrivateKey, RsaPublicKey } from '../core/keys';
import {
  addKeyDirToGitignore,
  checkKeyName,
  isKeyDirIgnored,
  listKeys,
  readPublicKey,
  storedKeyFiles,
  StoredKey,
  trackedKeyFiles,
  writeKeyPair,
  writePublicKeyOnly,
} from '../core/keyStore';
import type { AuthorizerConfig } from '../core/project';
import { signToken, VerifyResult, verifyToken } from '../core/tokens';
import { Args } from './commandArgs';
import { CommandHandlers, runCommand } from './commands';
import type { Services } from './features';
import {
  deletePrivateKeySecret,
  forgetKeyPassphrases,
  openPrivateKey,
  PrivateKeyStorage,
  privateKeyLocations,
  privateKeyStorage,
  readSigningKey,
  storePrivateKeySecret,
} from './keySource';


/** What Generate and Import return: facts about the stored key, never the key. */
export interface StoredKeyResult {
  readonly keyName: string;
  readonly fingerprint: string;
  readonly bits: number;
  readonly publicKeyPath: string;
  /** Where the private key went; `publicOnly` for an imported public key. */
  readonly storage: PrivateKeyStorage | 'publicOnly';
  /** What happened about git ignoring `.iot-authz/keys/` (only asked when a private key file was written). */
  readonly gitignore: GitignoreOutcome;
}

export type GitignoreOutcome = 'alreadyIgnored' | 'added' | 'declined' | 'offered' | 'notApplicable';

export interface SignTokenResult {
  readonly signature: string;
  readonly keyName: string;
  readonly fingerprint: string;
}

/** The user pressed Escape: the command ends quietly. */
class Cancelled extends Error {}

function orCancel<T>(value: T | undefined): T {
  if (value === undefined) throw new Cancelled('cancelled');
  return value;
}

function cancellable<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R | undefined> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (e) {
      if (e instanceof Cancelled) return undefined;
      throw e;
    }
  };
}

// ---------------------------------------------------------------------------------------
// Arguments: an options object, or the Authorizers view's node (its context menu).

interface AuthorizerNodeArg {
  readonly kind: 'authorizer';
  readonly authorizer: AuthorizerConfig;
  readonly projectFile?: string;
}

/** A key row of the Authorizers view: `{ kind: 'key', keyName, workspaceRoot }`. */
function keyNodeOptions(arg: unknown): Record<string, unknown> | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const a = arg as { kind?: unknown; keyName?: unknown; workspaceRoot?: unknown };
  if (a.kind !== 'key' || typeof a.keyName !== 'string' || typeof a.workspaceRoot !== 'string') return undefined;
  return { keyName: a.keyName, workspaceFolder: a.workspaceRoot };
}

function isAuthorizerNode(arg: unknown): arg is AuthorizerNodeArg {
  if (typeof arg !== 'object' || arg === null) return false;
  const a = arg as { kind?: unknown; authorizer?: { name?: unknown } };
  return a.kind === 'authorizer' && typeof a.authorizer === 'object' && a.authorizer !== null && typeof a.authorizer.name === 'string';
}

type KeyArgs = Args<AuthorizerNodeArg>;

/** The command's argument: an authorizer node, a key row, or an options object. */
function keyArgs(arg: unknown): KeyArgs {
  if (isAuthorizerNode(arg)) {
    return new Args<AuthorizerNodeArg>({}, { interactive: true, node: arg, ...(arg.projectFile ? { folder: path.dirname(arg.projectFile) } : {}) });
  }
  const fromKeyRow = keyNodeOptions(arg);
  if (fromKeyRow) return new Args<AuthorizerNodeArg>(fromKeyRow, { interactive: true });
  return new Args<AuthorizerNodeArg>(arg);
}

async function keyStoreFolder(args: KeyArgs): Promise<string> {
  const given = args.folder();
  if (given) return given;
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) throw new UserError(`Open a folder first: signing keys are stored in the workspace (${KEY_STORE_DIR}/).`, 'NO_WORKSPACE');
  if (folders.length === 1) return folders[0].uri.fsPath;
  const picked = await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Workspace folder whose signing keys to use' });
  return orCancel(picked).uri.fsPath;
}

// ---------------------------------------------------------------------------------------
// Keys of a workspace: the store's folders plus where each private key is.

interface WorkspaceKey extends StoredKey {
  /** Where the private key is (the file wins when both exist), if anywhere. */
  readonly privateKeyIn?: PrivateKeyStorage;
}

async function workspaceKeys(services: Services, root: string): Promise<WorkspaceKey[]> {
  const keys = await listKeys(root);
  return Promise.all(
    keys.map(async (k) => {
      const where = await privateKeyLocations(services, root, k.name);
      const privateKeyIn: PrivateKeyStorage | undefined = where.file ? 'workspaceFile' : where.secret ? 'secretStorage' : undefined;
      return { ...k, privateKeyIn };
    }),
  );
}

function keyDescription(k: WorkspaceKey): string {
  if (k.problem) return k.problem;
  return `${k.bits}-bit · SHA256 ${k.shortFingerprint}`;
}

function keyDetail(k: WorkspaceKey): string {
  if (k.privateKeyIn === 'secretStorage') return 'private key in VS Code SecretStorage';
  if (k.privateKeyIn === 'workspaceFile') return `private key in ${KEY_STORE_DIR}/${k.name}/`;
  return 'public key only (verification)';
}

async function pickKey(keys: readonly WorkspaceKey[], placeHolder: string, emptyMessage: string): Promise<WorkspaceKey> {
  if (keys.length === 0) throw new UserError(emptyMessage, 'NO_KEYS');
  if (keys.length === 1) return keys[0];
  const picked = await vscode.window.showQuickPick(
    keys.map((k) => ({ label: k.name, description: keyDescription(k), detail: keyDetail(k), key: k })),
    { placeHolder, matchOnDescription: true },
  );
  return orCancel(picked).key;
}

/** The keys an explorer node's authorizer names, or all; refuses names the store lacks. */
function keysFor(keys: readonly WorkspaceKey[], names: readonly string[] | undefined, root: string): WorkspaceKey[] {
  if (names === undefined) return [...keys];
  const missing = names.filter((n) => !keys.some((k) => k.name === n));
  if (missing.length > 0) {
    throw new UserError(
      `No key ${missing.map((n) => `"${n}"`).join(', ')} in ${path.join(root, KEY_STORE_DIR)}. Generate or import ${missing.length === 1 ? 'it' : 'them'} (keys there: ${keys.map((k) => k.name).join(', ') || 'none'}).`,
      'KEY_NOT_FOUND',
    );
  }
  return keys.filter((k) => names.includes(k.name));
}

// ---------------------------------------------------------------------------------------
// Validation as the user types. Each returns the message shown under the input, or undefined.

export function keyNameProblem(name: string, existing: ReadonlySet<string>): vscode.InputBoxValidationMessage | undefined {
  if (name === '') return { message: 'Enter a key name, e.g. "default" or "device-2025".', severity: vscode.InputBoxValidationSeverity.Error };
  if (!SIGNING_KEY_NAME_PATTERN.test(name)) {
    const bad = [...new Set(name.replace(/[a-zA-Z0-9:_-]/g, ''))].map((c) => (c === ' ' ? 'space' : `"${c}"`));
    return {
      message: `Not allowed in a key name: ${bad.join(', ')}. Use letters, digits, ":", "_" and "-" (the names AWS accepts in tokenSigningPublicKeys).`,
      severity: vscode.InputBoxValidationSeverity.Error,
    };
  }
  if (existing.has(name)) {
    return { message: `Key "${name}" already exists: you will be asked before it is replaced (its old private key would be lost).`, severity: vscode.InputBoxValidationSeverity.Warning };
  }
  return undefined;
}

export function tokenProblem(token: string): vscode.InputBoxValidationMessage | undefined {
  if (token === '') return { message: 'Enter the token exactly as the device sends it.', severity: vscode.InputBoxValidationSeverity.Error };
  if (token.length > MAX_TOKEN_LENGTH) {
    return { message: `The token is ${token.length} characters; AWS accepts at most ${MAX_TOKEN_LENGTH}.`, severity: vscode.InputBoxValidationSeverity.Error };
  }
  const edge = trailingOrLeadingWhitespace(token);
  if (edge) {
    return {
      message: `The token ${edge}: it is signed exactly as typed, so the device must send it the same way. A stray newline or space is the classic cause of "invalid signature".`,
      severity: vscode.InputBoxValidationSeverity.Warning,
    };
  }
  return undefined;
}

function trailingOrLeadingWhitespace(token: string): string | undefined {
  if (/\r?\n$/.test(token)) return 'ends with a newline';
  if (/\s$/.test(token)) return 'ends with whitespace';
  if (/^\s/.test(token)) return 'starts with whitespace';
  return undefined;
}

/** The same rules for a token passed as an argument: errors refuse, warnings are only shown. */
function checkToken(token: string): void {
  const problem = tokenProblem(token);
  if (problem?.severity === vscode.InputBoxValidationSeverity.Error) throw new UserError(problem.message, token === '' ? 'TOKEN_EMPTY' : 'TOKEN_TOO_LONG');
}

async function askToken(title: string, prompt: string): Promise<string> {
  const token = await vscode.window.showInputBox({ title, prompt, ignoreFocusOut: true, validateInput: tokenProblem });
  return orCancel(token);
}

// ---------------------------------------------------------------------------------------
// Storing keys.

/** Refuses (overwrite false), asks (undefined, modal) or goes ahead (true) when a key exists. */
async function confirmOverwrite(keyName: string, existing: WorkspaceKey | undefined, overwrite: boolean | undefined, root: string): Promise<boolean> {
  if (!existing) return false;
  if (overwrite === true) return true;
  const where = existing.privateKeyIn === 'secretStorage' ? 'VS Code SecretStorage' : path.join(root, KEY_STORE_DIR, keyName);
  if (overwrite === false) {
    throw new UserError(`Key "${keyName}" already exists (${where}); it was not overwritten. Choose another name, or confirm the overwrite.`, 'KEY_EXISTS');
  }
  const answer = await vscode.window.showWarningMessage(
    `Overwrite key "${keyName}"? The old private key will be lost.`,
    {
      modal: true,
      detail: `${where}${existing.shortFingerprint ? `, SHA256 ${existing.shortFingerprint}` : ''}. Devices signing with it and authorizers trusting it stop working until they get the new key.`,
    },
    'Overwrite',
  );
  if (answer !== 'Overwrite') throw new Cancelled('kept');
  return true;
}

/** Writes a key per the storage setting; replacing a key removes its other copy so the two never disagree. */
async function storeKey(
  services: Services,
  root: string,
  keyName: string,
  pem: { privateKeyPem?: string; publicKeyPem: string },
  overwrite: boolean,
): Promise<{ storage: StoredKeyResult['storage']; publicKeyPath: string }> {
  const storage = pem.privateKeyPem === undefined ? 'publicOnly' : privateKeyStorage(root);
  let files;
  if (storage === 'workspaceFile') {
    files = await writeKeyPair(root, keyName, { privateKeyPem: pem.privateKeyPem as string, publicKeyPem: pem.publicKeyPem }, { overwrite });
    await deletePrivateKeySecret(services, root, keyName);
  } else {
    files = await writePublicKeyOnly(root, keyName, pem.publicKeyPem, { overwrite });
    if (storage === 'secretStorage') await storePrivateKeySecret(services, root, keyName, pem.privateKeyPem as string);
    else await deletePrivateKeySecret(services, root, keyName);
  }
  forgetKeyPassphrases(services, root, keyName);
  return { storage, publicKeyPath: files.publicKeyFile };
}

/** After a private key file is written: make sure git ignores the key store, asking first. */
async function offerGitignore(services: Services, root: string, choice: boolean | undefined): Promise<GitignoreOutcome> {
  const tracked = await trackedKeyFiles(root);
  if (tracked.length > 0) {
    void vscode.window.showWarningMessage(
      `git tracks key files (${tracked.join(', ')}): ignoring does not untrack them. Run \`git rm --cached -r ${KEY_STORE_DIR}\` and commit, and replace any private key that was pushed.`,
    );
  }
  if (await isKeyDirIgnored(root)) return 'alreadyIgnored';
  if (choice === false) return 'declined';
  const add = async (): Promise<void> => {
    const { changed, file } = await addKeyDirToGitignore(root);
    if (changed) services.log.info(`Added ${KEY_STORE_DIR}/ to ${file}.`);
  };
  if (choice === true) {
    await add();
    return 'added';
  }
  void vscode.window
    .showWarningMessage(`${KEY_STORE_DIR}/ is not ignored by git: a private key in it could be committed.`, 'Add to .gitignore', 'Not Now')
    .then(async (answer) => {
      if (answer === 'Add to .gitignore') await add();
    })
    .then(undefined, (e: unknown) => services.log.error(`Could not update .gitignore: ${e instanceof Error ? e.message : String(e)}`));
  return 'offered';
}

function announceKey(services: Services, root: string, verb: string, keyName: string, info: { fingerprint: string; shortFingerprint: string; bits: number }, storage: StoredKeyResult['storage']): void {
  const where = storage === 'secretStorage' ? 'private key in VS Code SecretStorage' : storage === 'publicOnly' ? 'public key only' : `${KEY_STORE_DIR}/${keyName}/`;
  services.log.info(`${verb} signing key "${keyName}" (${info.bits}-bit, ${where}), SHA256 fingerprint ${info.fingerprint}.`);
  vscode.window.setStatusBarMessage(`$(key) Key "${keyName}" ${verb.toLowerCase()}: SHA256 ${info.shortFingerprint}`, 30000);
  void vscode.window.showInformationMessage(`${verb} key "${keyName}" (${info.bits}-bit, ${where}). SHA256 fingerprint: ${info.fingerprint}`, 'Copy Public Key').then((answer) => {
    if (answer) void runCommand('iotAuthz.copyPublicKey', { keyName, workspaceFolder: root });
  });
}

// ---------------------------------------------------------------------------------------
// Generate Signing Key Pair

async function askKeyName(existing: ReadonlySet<string>, title: string, value?: string): Promise<string> {
  const name = await vscode.window.showInputBox({
    title,
    prompt: 'The key\'s name: its folder under .iot-authz/keys/ and its name in the authorizer\'s "signingKeys" / tokenSigningPublicKeys.',
    placeHolder: 'e.g. default',
    value,
    ignoreFocusOut: true,
    validateInput: (v) => keyNameProblem(v, existing),
  });
  return orCancel(name);
}

async function askBits(): Promise<number> {
  const picked = await vscode.window.showQuickPick(
    ALLOWED_KEYGEN_BITS.map((bits) => ({
      label: `${bits}`,
      description: bits === DEFAULT_KEYGEN_BITS ? 'recommended: the size AWS requires at least, fastest to verify' : bits === 4096 ? 'takes a few seconds to generate' : undefined,
      bits,
    })),
    { title: 'Generate Signing Key Pair', placeHolder: 'RSA key size in bits' },
  );
  return orCancel(picked).bits;
}

async function generateKeyPairCommand(services: Services, arg: unknown): Promise<StoredKeyResult> {
  const args = keyArgs(arg);
  const root = await keyStoreFolder(args);
  const keys = await workspaceKeys(services, root);
  const names = new Set(keys.map((k) => k.name));
  const keyName = args.string('keyName') ?? (await askKeyName(names, 'Generate Signing Key Pair'));
  checkKeyName(keyName);
  const bits = args.number('bits') ?? (await askBits());
  if (!isKeygenBits(bits)) throw new KeyError(`Cannot generate a ${bits}-bit key: choose one of ${ALLOWED_KEYGEN_BITS.join(', ')} bits.`, 'KEYGEN_BITS');
  const existing = await existingKey(services, root, keyName, keys);
  const overwrite = await confirmOverwrite(keyName, existing, args.boolean('overwrite'), root);
  const pair = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Generating a ${bits}-bit RSA key "${keyName}"…` },
    () => generateKeyPair(bits),
  );
  const { storage, publicKeyPath } = await storeKey(services, root, keyName, pair, overwrite);
  services.explorer.refresh();
  const gitignore = storage === 'workspaceFile' ? await offerGitignore(services, root, args.boolean('addToGitignore')) : 'notApplicable';
  announceKey(services, root, 'Created', keyName, pair, storage);
  return { keyName, fingerprint: pair.fingerprint, bits: pair.bits, publicKeyPath, storage, gitignore };
}

/** The key called `keyName`, also when only a SecretStorage entry is left of it. */
async function existingKey(services: Services, root: string, keyName: string, keys: readonly WorkspaceKey[]): Promise<WorkspaceKey | undefined> {
  const listed = keys.find((k) => k.name === keyName);
  if (listed) return listed;
  const where = await privateKeyLocations(services, root, keyName);
  if (!where.file && !where.secret) return undefined;
  const files = storedKeyFiles(root, keyName);
  return { name: keyName, ...files, hasPrivateKey: where.file, hasPublicKey: false, privateKeyIn: where.file ? 'workspaceFile' : 'secretStorage' };
}

// ---------------------------------------------------------------------------------------
// Import Signing Key…

const PRIVATE_KEY_BLOCK = /-----BEGIN (ENCRYPTED PRIVATE KEY|RSA PRIVATE KEY|PRIVATE KEY)-----[\s\S]*?-----END \1-----/;

function suggestedKeyName(file: string | undefined): string | undefined {
  if (!file) return undefined;
  const base = path.basename(file).replace(/\.(pem|key|txt)$/i, '');
  // `private_key.pem` says nothing: its folder usually names the key.
  const source = /^(private|public)[_-]?key$/i.test(base) ? path.basename(path.dirname(file)) : base.replace(/[_-]?(private|public)[_-]?key$/i, '');
  const name = source.replace(/[^a-zA-Z0-9:_-]+/g, '-').replace(/^-+|-+$/g, '');
  return name || undefined;
}

async function readKeyText(args: KeyArgs): Promise<{ text: string; what: string; file?: string }> {
  const pem = args.string('pem');
  if (pem !== undefined) return { text: pem, what: 'The key' };
  let file = args.string('file');
  if (file === undefined) {
    const picked = await vscode.window.showOpenDialog({
      title: 'Import Signing Key: an RSA private key (PKCS#8 / PKCS#1 PEM) or a public key',
      canSelectMany: false,
      openLabel: 'Import',
      filters: { 'PEM keys': ['pem', 'key'], 'All files': ['*'] },
    });
    file = orCancel(picked?.[0]).fsPath;
  }
  try {
    return { text: await fsp.readFile(file, 'utf8'), what: file, file };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`Cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (code ?? 'error')}.`, 'KEY_FILE_UNREADABLE');
  }
}

type ImportedKey = { kind: 'private'; key: RsaPrivateKey; privateKeyPem: string } | { kind: 'public'; key: RsaPublicKey };

async function parseImportedKey(services: Services, text: string, what: string, args: KeyArgs): Promise<ImportedKey> {
  try {
    const key = await openPrivateKey(services, text, path.basename(what), what, undefined, { passphrase: args.string('passphrase') });
    // Only the key block is kept (an encrypted key stays encrypted), not certificates or notes beside it.
    const block = PRIVATE_KEY_BLOCK.exec(text);
    return { kind: 'private', key, privateKeyPem: `${block ? block[0] : text.trim()}\n` };
  } catch (e) {
    if (e instanceof KeyError && e.code === 'KEY_PUBLIC_NOT_PRIVATE') return { kind: 'public', key: importPublicKey(text, { what }) };
    throw e;
  }
}

async function importKeyCommand(services: Services, arg: unknown): Promise<StoredKeyResult> {
  const args = keyArgs(arg);
  const root = await keyStoreFolder(args);
  const source = await readKeyText(args);
  const imported = await parseImportedKey(services, source.text, source.what, args);
  const keys = await workspaceKeys(services, root);
  const keyName = args.string('keyName') ?? (await askKeyName(new Set(keys.map((k) => k.name)), 'Import Signing Key: name', suggestedKeyName(source.file)));
  checkKeyName(keyName);
  const existing = await existingKey(services, root, keyName, keys);
  const overwrite = await confirmOverwrite(keyName, existing, args.boolean('overwrite'), root);
  const { storage, publicKeyPath } = await storeKey(
    services,
    root,
    keyName,
    { privateKeyPem: imported.kind === 'private' ? imported.privateKeyPem : undefined, publicKeyPem: imported.key.publicKeyPem },
    overwrite,
  );
  services.explorer.refresh();
  const gitignore = storage === 'workspaceFile' ? await offerGitignore(services, root, args.boolean('addToGitignore')) : 'notApplicable';
  announceKey(services, root, 'Imported', keyName, imported.key, storage);
  return { keyName, fingerprint: imported.key.fingerprint, bits: imported.key.bits, publicKeyPath, storage, gitignore };
}

// ---------------------------------------------------------------------------------------
// Sign Token…

async function pickSigningKey(services: Services, root: string, args: KeyArgs, restrictTo?: readonly string[]): Promise<WorkspaceKey> {
  const given = args.string('keyName');
  if (given !== undefined) {
    checkKeyName(given);
    const existing = await existingKey(services, root, given, await workspaceKeys(services, root));
    return existing ?? { name: given, ...storedKeyFiles(root, given), hasPrivateKey: false, hasPublicKey: false };
  }
  const all = keysFor(await workspaceKeys(services, root), restrictTo, root);
  const signable = all.filter((k) => k.privateKeyIn !== undefined);
  return pickKey(
    signable,
    'Key to sign with',
    all.length > 0
      ? `No private key for ${all.map((k) => `"${k.name}"`).join(', ')} in this workspace (only public keys). Import the private key, or generate a new key pair.`
      : `No signing key in ${path.join(root, KEY_STORE_DIR)}. Run "Generate Signing Key Pair" or "Import Signing Key…" first.`,
  );
}

async function signWith(services: Services, root: string, keyName: string, token: string, args: KeyArgs): Promise<{ signature: string; key: RsaPrivateKey }> {
  const key = await readSigningKey(services, root, keyName, { passphrase: args.string('passphrase') });
  return { signature: signToken(token, key.keyObject), key };
}

async function signTokenCommand(services: Services, arg: unknown): Promise<SignTokenResult> {
  const args = keyArgs(arg);
  const root = await keyStoreFolder(args);
  const key = await pickSigningKey(services, root, args, args.node?.authorizer.signingKeys);
  const token = args.string('token') ?? (await askToken(`Sign Token with "${key.name}"`, 'The token to sign, exactly as the device sends it.'));
  checkToken(token);
  const { signature, key: privateKey } = await signWith(services, root, key.name, token, args);
  await vscode.env.clipboard.writeText(signature);
  const edge = trailingOrLeadingWhitespace(token);
  services.log.info(`Signed a ${token.length}-character token with key "${key.name}" (SHA256 ${privateKey.fingerprint}); the signature is on the clipboard.`);
  vscode.window.setStatusBarMessage(`$(key) Signature copied · key "${key.name}" SHA256 ${privateKey.shortFingerprint}`, 30000);
  void vscode.window.showInformationMessage(
    `Signature copied to the clipboard (key "${key.name}", SHA256 ${privateKey.fingerprint})${edge ? `. Note: the token ${edge}, and it was signed that way` : ''}: ${signature}`,
  );
  return { signature, keyName: key.name, fingerprint: privateKey.fingerprint };
}

// ---------------------------------------------------------------------------------------
// Verify Token Signature…

async function verifySignatureCommand(services: Services, arg: unknown): Promise<VerifyResult> {
  const args = keyArgs(arg);
  const root = await keyStoreFolder(args);
  const all = (await workspaceKeys(services, root)).filter((k) => k.hasPublicKey && !k.problem);
  let keys = keysFor(all, args.strings('keyNames') ?? args.node?.authorizer.signingKeys, root);
  if (keys.length === 0) throw new UserError(`No public key to verify with in ${path.join(root, KEY_STORE_DIR)}. Generate or import the key the token was signed with.`, 'NO_PUBLIC_KEYS');
  const token = args.string('token') ?? (await askToken('Verify Token Signature: token', 'The token that was signed, exactly as the device sends it.'));
  const signature =
    args.string('signature') ??
    orCancel(
      await vscode.window.showInputBox({
        title: 'Verify Token Signature: signature',
        prompt: 'The base64 signature, exactly as the device sends it (before any URL encoding).',
        ignoreFocusOut: true,
        validateInput: (v) => (v === '' ? 'Paste the signature.' : undefined),
      }),
    );
  if (keys.length > 1 && args.interactive && !args.node) {
    const picked = await vscode.window.showQuickPick(
      keys.map((k) => ({ label: k.name, description: keyDescription(k), picked: true, key: k })),
      { canPickMany: true, title: 'Verify Token Signature: keys', placeHolder: 'The public keys the authorizer trusts (all by default)' },
    );
    keys = orCancel(picked && picked.length > 0 ? picked : undefined).map((p) => p.key);
  }
  const publicKeys = await Promise.all(keys.map(async (k) => ({ name: k.name, pem: (await readPublicKey(root, k.name)).keyObject })));
  const result = verifyToken(token, signature, publicKeys);
  reportVerification(services, result);
  return result;
}

function reportVerification(services: Services, result: VerifyResult): void {
  const checked = result.checkedKeys.map((k) => `"${k.name}" (SHA256 ${k.shortFingerprint})`).join(', ');
  if (result.valid) {
    const key = result.checkedKeys.find((k) => k.name === result.keyName);
    services.log.info(`Signature valid: made with key "${result.keyName}", SHA256 ${result.keyFingerprint}.`);
    vscode.window.setStatusBarMessage(`$(pass) Signature valid · key "${result.keyName}"`, 30000);
    void vscode.window.showInformationMessage(`Valid: the signature was made with key "${result.keyName}" (${key?.bits}-bit, SHA256 ${result.keyFingerprint}).`);
    return;
  }
  const lines = [`Signature NOT valid${result.keyName ? ` (key "${result.keyName}" verifies it, but a limit fails)` : ''}; checked ${checked}:`];
  result.findings.forEach((f, i) => lines.push(`  ${i + 1}. ${f.message}`, `     Fix: ${f.fix}`));
  services.log.append(lines.join('\n'));
  vscode.window.setStatusBarMessage(`$(error) Signature not valid: ${result.findings[0]?.code ?? 'no key verifies it'}`, 30000);
  const first = result.findings[0];
  void vscode.window
    .showErrorMessage(`Signature not valid: ${first ? `${first.message} Fix: ${first.fix}` : `no key verifies it (${checked}).`}`, 'Show Diagnosis')
    .then((answer) => {
      if (answer) services.log.show();
    });
}

// ---------------------------------------------------------------------------------------
// Copy Public Key (PEM)

async function copyPublicKeyCommand(services: Services, arg: unknown): Promise<{ keyName: string; fingerprint: string; publicKeyPem: string }> {
  const args = keyArgs(arg);
  const root = await keyStoreFolder(args);
  const given = args.string('keyName');
  const keyName = given ?? (await pickKey(keysFor((await workspaceKeys(services, root)).filter((k) => k.hasPublicKey), args.node?.authorizer.signingKeys, root), 'Public key to copy', `No public key in ${path.join(root, KEY_STORE_DIR)}. Generate or import a key first.`)).name;
  const key = await readPublicKey(root, keyName);
  // The file as written (checked above to be a public key), so it matches what was registered.
  const publicKeyPem = await fsp.readFile(storedKeyFiles(root, keyName).publicKeyFile, 'utf8');
  await vscode.env.clipboard.writeText(publicKeyPem);
  vscode.window.setStatusBarMessage(`$(copy) Public key "${keyName}" copied · SHA256 ${key.shortFingerprint}`, 30000);
  void vscode.window.showInformationMessage(`Public key "${keyName}" (PEM, ${key.bits}-bit, SHA256 ${key.fingerprint}) copied to the clipboard.`);
  return { keyName, fingerprint: key.fingerprint, publicKeyPem };
}

// ---------------------------------------------------------------------------------------
// Copy Signed Credentials As…

function loadAuthorizers(services: Services, root: string): { authorizers: readonly AuthorizerConfig[]; defaultAuthorizer?: string } {
  const file = path.join(root, PROJECT_FILE_NAME);
  // The file as saved (what a device's credentials are signed against), not an editor's unsaved text.
  const { project, issues } = services.projects.saved(file);
  if (!project) {
    const first = issues[0];
    throw new UserError(`${file}: ${first ? `line ${first.line}: ${first.message}` : 'cannot be read'}`, 'PROJECT_INVALID');
  }
  if (project.authorizers.length === 0) throw new UserError(`${file} defines no usable authorizer; fix the problems it shows in the Authorizers view.`, 'NO_AUTHORIZERS');
  return project;
}

async function pickAuthorizer(services: Services, root: string, args: KeyArgs): Promise<AuthorizerConfig> {
  if (args.node) return args.node.authorizer;
  const project = loadAuthorizers(services, root);
  const wanted = args.string('authorizer');
  if (wanted !== undefined) {
    const found = project.authorizers.find((a) => a.name === wanted);
    if (!found) throw new UserError(`No authorizer "${wanted}" in ${PROJECT_FILE_NAME} (known: ${project.authorizers.map((a) => a.name).join(', ')}).`, 'AUTHORIZER_NOT_FOUND');
    return found;
  }
  if (project.authorizers.length === 1) return project.authorizers[0];
  const picked = await vscode.window.showQuickPick(
    project.authorizers.map((a) => ({ label: a.name, description: a.name === project.defaultAuthorizer ? 'default' : undefined, detail: `token key ${a.tokenKeyName ?? '(none)'} · signing ${a.signingDisabled ? 'disabled' : a.signingKeys.join(', ')}`, a })),
    { placeHolder: 'Authorizer the credentials are for' },
  );
  return orCancel(picked).a;
}

function isCredentialFormat(v: string): v is CredentialFormat {
  return (CREDENTIAL_FORMATS as readonly string[]).includes(v);
}

async function pickFormat(args: KeyArgs): Promise<CredentialFormat> {
  const given = args.string('format');
  if (given !== undefined) {
    if (!isCredentialFormat(given)) throw new UserError(`Format "${given}" is unknown: choose one of ${CREDENTIAL_FORMATS.join(', ')}.`, 'BAD_ARGUMENT');
    return given;
  }
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'HTTP headers', description: 'HTTPS or WebSocket upgrade; values not URL-encoded', format: 'headers' as const },
      { label: 'Query string', description: 'HTTPS or WebSocket URL; values URL-encoded', format: 'query' as const },
      { label: 'MQTT username', description: 'MQTT over TLS (port 443, ALPN mqtt); values URL-encoded', format: 'mqtt-username' as const },
      { label: 'WebSocket URL', description: 'wss://<endpoint>/mqtt?…', format: 'websocket-url' as const },
    ],
    { title: 'Copy Signed Credentials As…', placeHolder: 'Where the device sends the credentials' },
  );
  return orCancel(picked).format;
}

async function copySignedCredentialsCommand(services: Services, arg: unknown): Promise<string> {
  const args = keyArgs(arg);
  const root = await keyStoreFolder(args);
  const authorizer = await pickAuthorizer(services, root, args);
  if (!authorizer.tokenKeyName) {
    throw new UserError(`Authorizer "${authorizer.name}" has no "tokenKeyName" in ${PROJECT_FILE_NAME}: set the header/parameter name that carries the token.`, 'NO_TOKEN_KEY_NAME');
  }
  let key: WorkspaceKey | undefined;
  if (!authorizer.signingDisabled) {
    if (authorizer.signingKeys.length === 0 && args.string('keyName') === undefined) {
      throw new UserError(`Authorizer "${authorizer.name}" has no "signingKeys" in ${PROJECT_FILE_NAME}: name the key(s) it trusts, e.g. ["default"].`, 'NO_SIGNING_KEYS');
    }
    key = await pickSigningKey(services, root, args, authorizer.signingKeys);
  }
  const token = args.string('token') ?? (await askToken(`Credentials for "${authorizer.name}": token`, `The value of ${authorizer.tokenKeyName}, exactly as the device sends it.`));
  checkToken(token);
  const format = await pickFormat(args);
  const host =
    format === 'websocket-url'
      ? (args.string('host') ??
        (!args.interactive
          ? placeholderServerName(authorizer)
          : orCancel(
              await vscode.window.showInputBox({
                title: 'Your AWS IoT data endpoint',
                prompt: 'From `aws iot describe-endpoint --endpoint-type iot:Data-ATS` (the value is a placeholder).',
                value: placeholderServerName(authorizer),
                ignoreFocusOut: true,
                validateInput: (v) => (/^[A-Za-z0-9.-]+(:\d+)?$/.test(v.replace(/^wss?:\/\//, '').replace(/\/+$/, '')) ? undefined : 'A host name such as abc123-ats.iot.eu-west-1.amazonaws.com'),
              }),
            )))
      : '';
  const signed = key ? await signWith(services, root, key.name, token, args) : undefined;
  const credentials: SignedCredentials = { authorizerName: authorizer.name, tokenKeyName: authorizer.tokenKeyName, token, signature: signed?.signature };
  const text = formatCredentials(credentials, format, { host, username: args.string('username') });
  await vscode.env.clipboard.writeText(text);
  const how = signed ? `signed with "${key?.name}", SHA256 ${signed.key.shortFingerprint}` : 'unsigned: signing is disabled for this authorizer';
  const notRegistered = key && !authorizer.signingKeys.includes(key.name) ? ` Key "${key.name}" is not in this authorizer's signingKeys, so AWS would refuse it.` : '';
  vscode.window.setStatusBarMessage(`$(clippy) Credentials (${format}) copied for "${authorizer.name}"`, 30000);
  void vscode.window.showInformationMessage(`Credentials for "${authorizer.name}" copied as ${format} (${how}).${notRegistered}`);
  return text;
}

// ---------------------------------------------------------------------------------------

export function keyCommandHandlers(services: Services) {
  return {
    'iotAuthz.generateKeyPair': cancellable((arg?: unknown) => generateKeyPairCommand(services, arg)),
    'iotAuthz.importKey': cancellable((arg?: unknown) => importKeyCommand(services, arg)),
    'iotAuthz.signToken': cancellable((arg?: unknown) => signTokenCommand(services, arg)),
    'iotAuthz.verifySignature': cancellable((arg?: unknown) => verifySignatureCommand(services, arg)),
    'iotAuthz.copyPublicKey': cancellable((arg?: unknown) => copyPublicKeyCommand(services, arg)),
    'iotAuthz.copySignedCredentials': cancellable((arg?: unknown) => copySignedCredentialsCommand(services, arg)),
  } satisfies Partial<CommandHandlers>;
}
