// The workspace's signing keys in the editor: generate, import, copy the public key; the
// helpers tokenCommands.ts shares (key arguments, picking a key). Each command takes an optional
// argument object so tests and other commands can skip the prompts; the QuickPick/InputBox path
// is a thin layer on top. Private keys and passphrases never reach a
// message, the log or a return value; keys are never replaced without an explicit yes.
import * as path from 'path';
import { promises as fsp } from 'fs';
import * as vscode from 'vscode';
import { ALLOWED_KEYGEN_BITS, DEFAULT_KEYGEN_BITS, KEY_STORE_DIR, SIGNING_KEY_NAME_PATTERN } from '../core/constants';
import { UserError } from '../core/errors';
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

/** The user pressed Escape: the command ends quietly. */
class Cancelled extends Error {}

export function orCancel<T>(value: T | undefined): T {
  if (value === undefined) throw new Cancelled('cancelled');
  return value;
}

export function cancellable<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R | undefined> {
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

export type KeyArgs = Args<AuthorizerNodeArg>;

/** The command's argument: an authorizer node, a key row, or an options object. */
export function keyArgs(arg: unknown): KeyArgs {
  if (isAuthorizerNode(arg)) {
    return new Args<AuthorizerNodeArg>({}, { interactive: true, node: arg, ...(arg.projectFile ? { folder: path.dirname(arg.projectFile) } : {}) });
  }
  const fromKeyRow = keyNodeOptions(arg);
  if (fromKeyRow) return new Args<AuthorizerNodeArg>(fromKeyRow, { interactive: true });
  return new Args<AuthorizerNodeArg>(arg);
}

export async function keyStoreFolder(args: KeyArgs): Promise<string> {
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

export interface WorkspaceKey extends StoredKey {
  /** Where the private key is (the file wins when both exist), if anywhere. */
  readonly privateKeyIn?: PrivateKeyStorage;
}

export async function workspaceKeys(services: Services, root: string): Promise<WorkspaceKey[]> {
  const keys = await listKeys(root);
  return Promise.all(
    keys.map(async (k) => {
      const where = await privateKeyLocations(services, root, k.name);
      const privateKeyIn: PrivateKeyStorage | undefined = where.file ? 'workspaceFile' : where.secret ? 'secretStorage' : undefined;
      return { ...k, privateKeyIn };
    }),
  );
}

export function keyDescription(k: WorkspaceKey): string {
  if (k.problem) return k.problem;
  return `${k.bits}-bit · SHA256 ${k.shortFingerprint}`;
}

function keyDetail(k: WorkspaceKey): string {
  if (k.privateKeyIn === 'secretStorage') return 'private key in VS Code SecretStorage';
  if (k.privateKeyIn === 'workspaceFile') return `private key in ${KEY_STORE_DIR}/${k.name}/`;
  return 'public key only (verification)';
}

export async function pickKey(keys: readonly WorkspaceKey[], placeHolder: string, emptyMessage: string): Promise<WorkspaceKey> {
  if (keys.length === 0) throw new UserError(emptyMessage, 'NO_KEYS');
  if (keys.length === 1) return keys[0];
  const picked = await vscode.window.showQuickPick(
    keys.map((k) => ({ label: k.name, description: keyDescription(k), detail: keyDetail(k), key: k })),
    { placeHolder, matchOnDescription: true },
  );
  return orCancel(picked).key;
}

/** The keys an explorer node's authorizer names, or all; refuses names the store lacks. */
export function keysFor(keys: readonly WorkspaceKey[], names: readonly string[] | undefined, root: string): WorkspaceKey[] {
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
export async function existingKey(services: Services, root: string, keyName: string, keys: readonly WorkspaceKey[]): Promise<WorkspaceKey | undefined> {
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

export function keyCommandHandlers(services: Services) {
  return {
    'iotAuthz.generateKeyPair': cancellable((arg?: unknown) => generateKeyPairCommand(services, arg)),
    'iotAuthz.importKey': cancellable((arg?: unknown) => importKeyCommand(services, arg)),
    'iotAuthz.copyPublicKey': cancellable((arg?: unknown) => copyPublicKeyCommand(services, arg)),
  } satisfies Partial<CommandHandlers>;
}
