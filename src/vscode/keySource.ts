// Where the editor finds a signing key's private half: the workspace key store
// (`.iot-authz/keys/<name>/private_key.pem`) first, then VS Code SecretStorage (setting
// iotAuthz.keys.privateKeyStorage = "secretStorage"). Encrypted keys ask for their passphrase
// once per session; passphrases and keys live in memory only and never reach a log or message.
import * as vscode from 'vscode';
import { promises as fsp } from 'fs';
import { PRIVATE_KEY_SECRET_PREFIX, PRIVATE_KEY_STORAGE_SETTING } from '../core/constants';
import { UserError } from '../core/errors';
import type { TokenSigner } from '../core/events';
import { importPrivateKey, KeyError, RsaPrivateKey } from '../core/keys';
import { storedKeyFiles } from '../core/keyStore';
import { signToken } from '../core/tokens';
import type { Services } from './features';

export type PrivateKeyStorage = 'workspaceFile' | 'secretStorage';

/** Where new private keys go (reading always tries both stores). */
export function privateKeyStorage(workspaceRoot: string): PrivateKeyStorage {
  const value = vscode.workspace.getConfiguration(undefined, vscode.Uri.file(workspaceRoot)).get<string>(PRIVATE_KEY_STORAGE_SETTING);
  return value === 'secretStorage' ? 'secretStorage' : 'workspaceFile';
}

/** `iotAuthz.privateKey/<workspace folder uri>/<keyName>`: one secret per key and folder. */
export function privateKeySecretId(workspaceRoot: string, keyName: string): string {
  return `${PRIVATE_KEY_SECRET_PREFIX}/${vscode.Uri.file(workspaceRoot).toString()}/${keyName}`;
}

async function fileExists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** Which stores hold the private key of `keyName`. */
export async function privateKeyLocations(services: Services, workspaceRoot: string, keyName: string): Promise<{ file: boolean; secret: boolean }> {
  const { privateKeyFile } = storedKeyFiles(workspaceRoot, keyName);
  const [file, secret] = await Promise.all([fileExists(privateKeyFile), services.context.secrets.get(privateKeySecretId(workspaceRoot, keyName))]);
  return { file, secret: secret !== undefined };
}

export async function storePrivateKeySecret(services: Services, workspaceRoot: string, keyName: string, privateKeyPem: string): Promise<void> {
  await services.context.secrets.store(privateKeySecretId(workspaceRoot, keyName), privateKeyPem);
  forgetPassphrase(services, privateKeySecretId(workspaceRoot, keyName));
}

export async function deletePrivateKeySecret(services: Services, workspaceRoot: string, keyName: string): Promise<void> {
  await services.context.secrets.delete(privateKeySecretId(workspaceRoot, keyName));
  forgetPassphrase(services, privateKeySecretId(workspaceRoot, keyName));
}

// Passphrases of encrypted keys, per extension session, keyed by the key's file or secret id.
const passphraseCaches = new WeakMap<vscode.ExtensionContext, Map<string, string>>();

function passphraseCache(services: Services): Map<string, string> {
  let cache = passphraseCaches.get(services.context);
  if (!cache) {
    cache = new Map();
    passphraseCaches.set(services.context, cache);
  }
  return cache;
}

/** Drops a remembered passphrase, e.g. when the key behind it was replaced. */
export function forgetPassphrase(services: Services, source: string): void {
  passphraseCache(services).delete(source);
}

export function forgetKeyPassphrases(services: Services, workspaceRoot: string, keyName: string): void {
  forgetPassphrase(services, storedKeyFiles(workspaceRoot, keyName).privateKeyFile);
  forgetPassphrase(services, privateKeySecretId(workspaceRoot, keyName));
}

/** Asks for the passphrase of `subject` (e.g. `signing key "x"`); undefined when the user cancels. */
export type PassphrasePrompt = (subject: string, retry: boolean) => Promise<string | undefined>;

export const MAX_PASSPHRASE_ATTEMPTS = 3;

export const askPassphraseInputBox: PassphrasePrompt = async (subject, retry) =>
  vscode.window.showInputBox({
    title: `Passphrase of ${subject}`,
    prompt: retry ? 'That passphrase did not decrypt the key. Try again.' : 'The private key is encrypted. The passphrase is kept in memory for this session only.',
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v === '' ? 'Enter the passphrase (Escape cancels).' : undefined),
  });

export interface ReadKeyOptions {
  /** Given by the caller (e.g. a command argument): used instead of asking, and a wrong one is an error. */
  readonly passphrase?: string;
  readonly askPassphrase?: PassphrasePrompt;
}

/**
 * Opens `pem` (named `what` in messages), asking for the passphrase of `subject` when it is
 * encrypted and remembering the one that worked under `cacheKey` for this session.
 */
export async function openPrivateKey(
  services: Services,
  pem: string,
  subject: string,
  what: string,
  cacheKey: string | undefined,
  options: ReadKeyOptions = {},
): Promise<RsaPrivateKey> {
  const cache = passphraseCache(services);
  let passphrase = options.passphrase ?? (cacheKey ? cache.get(cacheKey) : undefined);
  const ask = options.askPassphrase ?? askPassphraseInputBox;
  for (let attempt = 0; ; attempt++) {
    try {
      const key = importPrivateKey(pem, { passphrase, what });
      if (key.encrypted && cacheKey && passphrase !== undefined) cache.set(cacheKey, passphrase);
      return key;
    } catch (e) {
      const code = e instanceof KeyError ? e.code : undefined;
      if (code !== 'KEY_PASSPHRASE_REQUIRED' && code !== 'KEY_PASSPHRASE_WRONG') throw e;
      if (options.passphrase !== undefined || attempt >= MAX_PASSPHRASE_ATTEMPTS) throw e;
      if (cacheKey) cache.delete(cacheKey);
      passphrase = await ask(subject, code === 'KEY_PASSPHRASE_WRONG');
      if (passphrase === undefined) {
        throw new UserError(`${what} is encrypted and no passphrase was given.`, 'KEY_PASSPHRASE_CANCELLED');
      }
    }
  }
}

/**
 * The private key of `keyName` for `workspaceRoot`: the key store's private_key.pem if present,
 * else the SecretStorage entry. Refuses with KEY_NOT_FOUND naming both places.
 */
export async function readSigningKey(
  services: Services,
  workspaceRoot: string,
  keyName: string,
  options: ReadKeyOptions = {},
): Promise<RsaPrivateKey & { storage: PrivateKeyStorage }> {
  const { privateKeyFile, publicKeyFile } = storedKeyFiles(workspaceRoot, keyName);
  let pem: string | undefined;
  try {
    pem = await fsp.readFile(privateKeyFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (pem !== undefined) {
    return { ...(await openPrivateKey(services, pem, `signing key "${keyName}"`, privateKeyFile, privateKeyFile, options)), storage: 'workspaceFile' };
  }
  const secretId = privateKeySecretId(workspaceRoot, keyName);
  const secret = await services.context.secrets.get(secretId);
  if (secret !== undefined) {
    return { ...(await openPrivateKey(services, secret, `signing key "${keyName}"`, `The private key of "${keyName}" in SecretStorage`, secretId, options)), storage: 'secretStorage' };
  }
  const publicOnly = await fileExists(publicKeyFile);
  throw new UserError(
    publicOnly
      ? `Signing key "${keyName}" has only its public key here (${publicKeyFile}): there is no ${privateKeyFile} and none in VS Code SecretStorage. Import its private key, or sign with another key.`
      : `No signing key "${keyName}": neither ${privateKeyFile} nor a SecretStorage entry exists. Run "Generate Signing Key Pair" or "Import Signing Key…".`,
    'KEY_NOT_FOUND',
  );
}

/**
 * Signs tokens with the workspace's keys, from the key store or SecretStorage, asking for
 * the passphrase of an encrypted key once per session. For `{"sign": "<key>"}` placeholders.
 */
export function createWorkspaceSigner(services: Services, workspaceRoot: string, options: ReadKeyOptions = {}): TokenSigner {
  return async (keyName, token) => signToken(token, (await readSigningKey(services, workspaceRoot, keyName, options)).keyObject);
}
