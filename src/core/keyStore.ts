// The workspace key store: `<workspace>/.iot-authz/keys/<keyName>/{private,public}_key.pem`.
// Private keys are created 0600 in 0700 folders from the first byte (never chmod-ed after
// the fact, which leaves a window), and the store checks that git ignores it.
import { execFile } from 'child_process';
import * as crypto from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import {
  KEY_DIR_MODE,
  KEY_STORE_DIR,
  KEY_STORE_GITIGNORE_ENTRY,
  PRIVATE_KEY_FILE,
  PRIVATE_KEY_FILE_MODE,
  PUBLIC_KEY_FILE,
  PUBLIC_KEY_FILE_MODE,
  SIGNING_KEY_NAME_PATTERN,
} from './constants';
import { UserError } from './errors';
import { keyFileError } from './keyFiles';
import { importPrivateKey, importPublicKey, RsaPrivateKey, RsaPublicKey } from './keys';

export interface KeyPairFiles {
  readonly dir: string;
  readonly privateKeyFile: string;
  readonly publicKeyFile: string;
}

export interface KeyPairPem {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

export interface StoredKey extends KeyPairFiles {
  readonly name: string;
  readonly hasPrivateKey: boolean;
  readonly hasPublicKey: boolean;
  /** From the public key; absent when it is missing or unreadable (then `problem` says why). */
  readonly bits?: number;
  readonly fingerprint?: string;
  readonly shortFingerprint?: string;
  readonly problem?: string;
}

export function keyStoreDir(workspaceRoot: string): string {
  return path.join(workspaceRoot, ...KEY_STORE_DIR.split('/'));
}

export function checkKeyName(keyName: string): void {
  if (!SIGNING_KEY_NAME_PATTERN.test(keyName)) {
    throw new UserError(
      `"${keyName}" is not a valid signing key name: use letters, digits, ":", "_" and "-" only (the names AWS accepts in tokenSigningPublicKeys).`,
      'KEY_NAME_INVALID',
    );
  }
}

export function keyPairFiles(dir: string): KeyPairFiles {
  return { dir, privateKeyFile: path.join(dir, PRIVATE_KEY_FILE), publicKeyFile: path.join(dir, PUBLIC_KEY_FILE) };
}

export function storedKeyFiles(workspaceRoot: string, keyName: string): KeyPairFiles {
  checkKeyName(keyName);
  return keyPairFiles(path.join(keyStoreDir(workspaceRoot), keyName));
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** Writes a new file with `mode` set at creation; `wx` so a concurrent writer is not clobbered. */
async function createFile(file: string, text: string, mode: number): Promise<void> {
  const handle = await fsp.open(file, 'wx', mode);
  try {
    await handle.writeFile(text);
    // umask can only drop bits, but a mode narrower than asked would break readers; make it exact.
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

/** Replaces `file` atomically with a fresh file of `mode` (an existing file keeps its own mode on `w`). */
async function replaceFile(file: string, text: string, mode: number): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  try {
    await createFile(temp, text, mode);
    await fsp.rename(temp, file);
  } catch (e) {
    await fsp.rm(temp, { force: true });
    throw e;
  }
}

/**
 * Writes `private_key.pem` (0600) and `public_key.pem` (0644) into `dir`, creating it 0700.
 * Refuses (code KEY_EXISTS) when either file exists, unless `overwrite`.
 */
export async function writeKeyPairFiles(dir: string, pair: KeyPairPem, options: { overwrite?: boolean } = {}): Promise<KeyPairFiles> {
  const files = keyPairFiles(dir);
  try {
    await fsp.mkdir(dir, { recursive: true, mode: KEY_DIR_MODE });
  } catch (e) {
    keyFileError(e, 'create the folder', dir);
  }
  if (!options.overwrite) {
    const present = [];
    for (const f of [files.privateKeyFile, files.publicKeyFile]) if (await exists(f)) present.push(f);
    if (present.length > 0) {
      throw new UserError(`${present.join(' and ')} already exist${present.length === 1 ? 's' : ''}; not overwriting a key. Choose another place, or overwrite on purpose (CLI: --force).`, 'KEY_EXISTS');
    }
  }
  await writePairAtomically(files, pair, options.overwrite === true);
  return files;
}

/**
 * Renames each temp onto its target, all or none: a target that is not a file fails before
 * anything moves, and a rename failing midway puts the old files back.
 */
async function replacePair(moves: ReadonlyArray<readonly [string, string]>, at: (file: string) => void): Promise<void> {
  for (const [, target] of moves) {
    at(target);
    const st = await fsp.lstat(target).catch(() => undefined);
    if (st && !st.isFile()) throw Object.assign(new Error(`${target} is not a file`), { code: st.isDirectory() ? 'EISDIR' : 'EEXIST' });
  }
  const backups: Array<[string, string]> = [];
  try {
    for (const [, target] of moves) {
      const backup = `${target}.${crypto.randomBytes(6).toString('hex')}.bak`;
      if (await exists(target)) {
        await fsp.link(target, backup);
        backups.push([backup, target]);
      }
    }
    for (const [temp, target] of moves) {
      at(target);
      await fsp.rename(temp, target);
    }
  } catch (e) {
    for (const [backup, target] of backups) await fsp.rename(backup, target).catch(() => undefined);
    throw e;
  } finally {
    for (const [backup] of backups) await fsp.rm(backup, { force: true });
  }
}

/** Puts `temp` at `file` unless `file` exists: link() refuses an existing target, unlike rename(). */
async function placeNew(temp: string, file: string, text: string, mode: number): Promise<void> {
  try {
    await fsp.link(temp, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // File systems without hard links: create the file exclusively instead.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') await createFile(file, text, mode);
    else throw e;
  }
}

/**
 * Both files are written to temporary files first and put in place only when both were
 * written, so a failure never leaves a new private key next to an old public key (or loses
 * the old private key). Without `overwrite`, a file appearing meanwhile is not replaced.
 */
async function writePairAtomically(files: KeyPairFiles, pair: KeyPairPem, overwrite: boolean): Promise<void> {
  const temp = (file: string) => path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const privateTemp = temp(files.privateKeyFile);
  const publicTemp = temp(files.publicKeyFile);
  let current = files.privateKeyFile;
  try {
    await createFile(privateTemp, pair.privateKeyPem, PRIVATE_KEY_FILE_MODE);
    current = files.publicKeyFile;
    await createFile(publicTemp, pair.publicKeyPem, PUBLIC_KEY_FILE_MODE);
    if (overwrite) {
      await replacePair([[privateTemp, files.privateKeyFile], [publicTemp, files.publicKeyFile]], (f) => (current = f));
    } else {
      current = files.privateKeyFile;
      await placeNew(privateTemp, files.privateKeyFile, pair.privateKeyPem, PRIVATE_KEY_FILE_MODE);
      current = files.publicKeyFile;
      try {
        await placeNew(publicTemp, files.publicKeyFile, pair.publicKeyPem, PUBLIC_KEY_FILE_MODE);
      } catch (e) {
        await fsp.rm(files.privateKeyFile, { force: true });
        throw e;
      }
    }
  } catch (e) {
    keyFileError(e, 'write', current);
  } finally {
    await fsp.rm(privateTemp, { force: true });
    await fsp.rm(publicTemp, { force: true });
  }
}

/** Stores a key pair under the workspace key store as `keyName`. */
export async function writeKeyPair(workspaceRoot: string, keyName: string, pair: KeyPairPem, options: { overwrite?: boolean } = {}): Promise<KeyPairFiles> {
  const files = storedKeyFiles(workspaceRoot, keyName);
  await fsp.mkdir(path.dirname(files.dir), { recursive: true, mode: KEY_DIR_MODE });
  const written = await writeKeyPairFiles(files.dir, pair, options);
  // The folder may have existed with looser rights; ours hold a private key.
  await fsp.chmod(files.dir, KEY_DIR_MODE);
  return written;
}

/**
 * Stores only `public_key.pem` (0644, folder 0700) for a key whose private half is kept
 * elsewhere (VS Code SecretStorage) or not at all (verification only). Refuses (KEY_EXISTS)
 * when the key has either file, unless `overwrite`; overwriting removes `private_key.pem`,
 * which would no longer match the new public key.
 */
export async function writePublicKeyOnly(
  workspaceRoot: string,
  keyName: string,
  publicKeyPem: string,
  options: { overwrite?: boolean } = {},
): Promise<KeyPairFiles> {
  const files = storedKeyFiles(workspaceRoot, keyName);
  await fsp.mkdir(files.dir, { recursive: true, mode: KEY_DIR_MODE });
  await fsp.chmod(files.dir, KEY_DIR_MODE);
  if (!options.overwrite) {
    const present = [];
    for (const f of [files.privateKeyFile, files.publicKeyFile]) if (await exists(f)) present.push(f);
    if (present.length > 0) {
      throw new UserError(`${present.join(' and ')} already exist${present.length === 1 ? 's' : ''}; not overwriting a key. Choose another name, or overwrite on purpose.`, 'KEY_EXISTS');
    }
    await createFile(files.publicKeyFile, publicKeyPem, PUBLIC_KEY_FILE_MODE);
  } else {
    await replaceFile(files.publicKeyFile, publicKeyPem, PUBLIC_KEY_FILE_MODE);
    await fsp.rm(files.privateKeyFile, { force: true });
  }
  return files;
}

/** The keys in the workspace store, by name; folders that do not hold a readable key say why. */
export async function listKeys(workspaceRoot: string): Promise<StoredKey[]> {
  let entries: string[];
  try {
    entries = (await fsp.readdir(keyStoreDir(workspaceRoot), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
  const keys: StoredKey[] = [];
  for (const name of entries.sort()) {
    if (!SIGNING_KEY_NAME_PATTERN.test(name)) continue;
    const files = keyPairFiles(path.join(keyStoreDir(workspaceRoot), name));
    const hasPrivateKey = await exists(files.privateKeyFile);
    const hasPublicKey = await exists(files.publicKeyFile);
    let details: Partial<StoredKey> = {};
    if (hasPublicKey) {
      try {
        const k = importPublicKey(await fsp.readFile(files.publicKeyFile, 'utf8'), { what: files.publicKeyFile });
        details = { bits: k.bits, fingerprint: k.fingerprint, shortFingerprint: k.shortFingerprint };
      } catch (e) {
        details = { problem: e instanceof Error ? e.message : String(e) };
      }
    } else {
      details = { problem: `${files.publicKeyFile} is missing.` };
    }
    keys.push({ name, ...files, hasPrivateKey, hasPublicKey, ...details });
  }
  return keys;
}

async function readKeyFile(file: string, keyName: string): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError(`No key "${keyName}" in the key store: ${file} does not exist. Generate it (iot-authz keygen) or import it.`, 'KEY_NOT_FOUND');
    }
    throw e;
  }
}

export async function readPublicKey(workspaceRoot: string, keyName: string): Promise<RsaPublicKey> {
  const { publicKeyFile } = storedKeyFiles(workspaceRoot, keyName);
  return importPublicKey(await readKeyFile(publicKeyFile, keyName), { what: publicKeyFile });
}

export async function readPrivateKey(workspaceRoot: string, keyName: string, options: { passphrase?: string } = {}): Promise<RsaPrivateKey> {
  const { privateKeyFile } = storedKeyFiles(workspaceRoot, keyName);
  return importPrivateKey(await readKeyFile(privateKeyFile, keyName), { ...options, what: privateKeyFile });
}

/** Removes a stored key's folder. Returns false when there was none. */
export async function deleteKey(workspaceRoot: string, keyName: string): Promise<boolean> {
  const { dir } = storedKeyFiles(workspaceRoot, keyName);
  if (!(await exists(dir))) return false;
  await fsp.rm(dir, { recursive: true, force: true });
  return true;
}

// ---------------------------------------------------------------------------------------
// .gitignore coverage. Inside a git work tree git itself answers (all its ignore sources,
// nested repos, negations); elsewhere the workspace's own .gitignore is read.

/** A path inside the store that stands for every key file: ignored if and only if keys are. */
const PROBE = `${KEY_STORE_DIR}/example/${PRIVATE_KEY_FILE}`;

function runGit(args: readonly string[], cwd: string): Promise<{ code: number | 'unavailable'; stdout: string }> {
  return new Promise((resolve) => {
    execFile('git', [...args], { cwd, windowsHide: true }, (error, stdout) => {
      if (!error) return resolve({ code: 0, stdout });
      const code: unknown = (error as { code?: unknown }).code;
      resolve({ code: typeof code === 'number' ? code : 'unavailable', stdout });
    });
  });
}

/**
 * Key files git already tracks (committed or staged), relative to the workspace: ignoring
 * does not untrack them, so a UI must tell the user to `git rm --cached` them.
 */
export async function trackedKeyFiles(workspaceRoot: string): Promise<string[]> {
  const { code, stdout } = await runGit(['ls-files', '-z', '--', KEY_STORE_DIR], workspaceRoot);
  if (code !== 0) return [];
  return stdout.split('\0').filter((f) => f !== '');
}

/**
 * Whether git ignores `file` (absolute or relative to `cwd`): undefined outside a git work
 * tree or without git. For key files written outside the store (`iot-authz keygen --out`).
 */
export async function isIgnoredByGit(cwd: string, file: string): Promise<boolean | undefined> {
  const { code } = await runGit(['check-ignore', '-q', '--', path.resolve(cwd, file)], cwd);
  return code === 0 ? true : code === 1 ? false : undefined;
}

/** True when git (or, outside a repository, the workspace's .gitignore) ignores the key store. */
export async function isKeyDirIgnored(workspaceRoot: string): Promise<boolean> {
  // check-ignore: 0 ignored, 1 not ignored, 128 not a work tree (or other error).
  const { code } = await runGit(['check-ignore', '-q', PROBE], workspaceRoot);
  if (code === 0) return true;
  if (code === 1) return false;
  let text: string;
  try {
    text = await fsp.readFile(path.join(workspaceRoot, '.gitignore'), 'utf8');
  } catch {
    return false;
  }
  return gitignoreIgnores(text, PROBE);
}

/**
 * A small reading of gitignore(5) for one file: `#` comments, `!` negation, leading `/` or an
 * inner `/` anchors, trailing `/` means folders only, `*`, `?`, `**`. The last matching rule
 * wins, and nothing inside an ignored folder can be re-included.
 */
export function gitignoreIgnores(gitignoreText: string, relativeFile: string): boolean {
  const rules = gitignoreText
    .split(/\r?\n/)
    .map((l) => l.replace(/(?<!\\)\s+$/, ''))
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map(parseRule);
  const parts = relativeFile.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const candidate = parts.slice(0, i).join('/');
    const isDir = i < parts.length;
    let ignored = false;
    for (const r of rules) if ((!r.dirOnly || isDir) && r.regex.test(candidate)) ignored = !r.negate;
    if (ignored) return true;
  }
  return false;
}

interface IgnoreRule {
  readonly negate: boolean;
  readonly dirOnly: boolean;
  readonly regex: RegExp;
}

function parseRule(line: string): IgnoreRule {
  let pattern = line;
  const negate = pattern.startsWith('!');
  if (negate) pattern = pattern.slice(1);
  if (pattern.startsWith('\\')) pattern = pattern.slice(1);
  const dirOnly = pattern.endsWith('/');
  if (dirOnly) pattern = pattern.slice(0, -1);
  const anchored = pattern.includes('/');
  if (pattern.startsWith('/')) pattern = pattern.slice(1);
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*' && pattern[i + 1] === '*') {
      // `**/` any leading folders, `/**` everything inside, lone `**` anything.
      if (pattern[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return { negate, dirOnly, regex: new RegExp(anchored ? `^${re}$` : `(?:^|/)${re}$`) };
}

/**
 * Makes git ignore the key store by appending KEY_STORE_GITIGNORE_ENTRY to the workspace's
 * .gitignore (created if absent). Existing content is kept byte for byte; a missing final
 * newline is added first. Does nothing when the store is already ignored.
 */
export async function addKeyDirToGitignore(workspaceRoot: string): Promise<{ changed: boolean; file: string }> {
  const file = path.join(workspaceRoot, '.gitignore');
  if (await isKeyDirIgnored(workspaceRoot)) return { changed: false, file };
  let existing = '';
  try {
    existing = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
  await fsp.appendFile(file, `${separator}# Signing keys (private): never commit them.\n${KEY_STORE_GITIGNORE_ENTRY}\n`);
  return { changed: true, file };
}
